import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { REPORT_SCHEMA_VERSION, type Report } from './report.js';
import { REPORT_JSON_SCHEMA } from './report-json-schema.js';

const SCHEMA_FILE = fileURLToPath(new URL(`../schema/report.v${REPORT_SCHEMA_VERSION}.schema.json`, import.meta.url));
const text = `${JSON.stringify(REPORT_JSON_SCHEMA, null, 2)}\n`;
const validate = new Ajv2020({ strict: true, allErrors: true }).compile(REPORT_JSON_SCHEMA);

const minimal: Report = {
  schemaVersion: REPORT_SCHEMA_VERSION,
  tool: { name: 'safe-install', version: '0.1.0' },
  command: 'ci',
  project: '/home/user/app',
  verdict: 'fail',
  outcome: 'completed',
  findings: [
    {
      ruleId: 'network-not-allowed',
      severity: 'high',
      package: { name: 'x', version: '1.0.0' },
      lifecycle: 'postinstall',
      message: 'looked up a.invalid',
      evidence: ['g1'],
      allow: [{ field: 'network', value: 'a.invalid:443', lifecycle: 'postinstall' }],
    },
  ],
  scripts: [{ package: { name: 'x', version: '1.0.0' }, lifecycle: 'postinstall', command: 'node i.js', code: 0, durationMs: 12 }],
  summary: { findings: 1, bySeverity: { info: 0, low: 0, medium: 0, high: 1, critical: 0 }, events: 9, scripts: 1, packages: 1 },
  network: { requests: 1, allowed: 0, refused: 1, hosts: [{ host: 'a.invalid', allowed: 0, refused: 1 }] },
  timings: { total: 1234 },
};

describe('the report JSON Schema', () => {
  it(`matches schema/report.v${REPORT_SCHEMA_VERSION}.schema.json (set UPDATE_REPORT_SCHEMA=1 to rewrite it after a deliberate change)`, () => {
    // Written on first run, compared afterwards: a change to the report format shows up in review.
    if (!existsSync(SCHEMA_FILE) || process.env['UPDATE_REPORT_SCHEMA'] === '1') writeFileSync(SCHEMA_FILE, text);
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(text);
  });

  it('accepts a report', () => {
    expect(validate(minimal) ? [] : validate.errors).toEqual([]);
  });

  const finding = minimal.findings[0]!;
  const hostile: Array<[string, unknown]> = [
    ['not an object', 'pass'],
    ['another schema version', { ...minimal, schemaVersion: REPORT_SCHEMA_VERSION + 1 }],
    ['another tool', { ...minimal, tool: { name: 'evil', version: '1' } }],
    ['an unknown verdict', { ...minimal, verdict: 'maybe' }],
    ['an unknown outcome', { ...minimal, outcome: 'exploded' }],
    ['no findings array', { ...minimal, findings: undefined }],
    ['an unknown severity', { ...minimal, findings: [{ ...finding, severity: 'catastrophic' }] }],
    ['a rule id with spaces', { ...minimal, findings: [{ ...finding, ruleId: 'rm -rf' }] }],
    ['an allowance of an unknown field', { ...minimal, findings: [{ ...finding, allow: [{ field: 'root', value: 'x', lifecycle: 'install' }] }] }],
    ['a negative count', { ...minimal, summary: { ...minimal.summary, findings: -1 } }],
    ['a missing severity count', { ...minimal, summary: { ...minimal.summary, bySeverity: { high: 1 } } }],
    ['a timing that is not a number', { ...minimal, timings: { total: '1s' } }],
    ['a host count that is fractional', { ...minimal, network: { ...minimal.network!, allowed: 0.5 } }],
  ];
  it.each(hostile)('refuses %s', (_, report) => {
    expect(validate(report)).toBe(false);
  });
});
