import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { OSSF_DYNAMIC_ANALYSIS_SCHEMA, type OssfDynamicAnalysisRecord, type OssfStraceSummary } from './ossf-format.js';

const SCHEMA_FILE = fileURLToPath(new URL('../schema/ossf-dynamic-analysis.schema.json', import.meta.url));
const text = `${JSON.stringify(OSSF_DYNAMIC_ANALYSIS_SCHEMA, null, 2)}\n`;
const validate = new Ajv2020({ strict: true, allErrors: true }).compile(OSSF_DYNAMIC_ANALYSIS_SCHEMA);

const summary: OssfStraceSummary = { Status: 'completed', Stdout: '', Stderr: 'aGk=', Files: [], Sockets: [], Commands: [], DNS: [] };

describe('the OpenSSF dynamic-analysis JSON Schema', () => {
  it('matches schema/ossf-dynamic-analysis.schema.json (set UPDATE_OSSF_SCHEMA=1 to rewrite it after a deliberate change)', () => {
    if (!existsSync(SCHEMA_FILE) || process.env['UPDATE_OSSF_SCHEMA'] === '1') writeFileSync(SCHEMA_FILE, text);
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(text);
  });

  it('accepts a record as package-analysis documents it (docs/data_schema.md)', () => {
    const record: OssfDynamicAnalysisRecord = {
      Package: { Ecosystem: 'npm', Name: 'left-pad', Version: '1.3.0' },
      CreatedTimestamp: 1764720000,
      Analysis: {
        install: {
          ...summary,
          Status: 'error_analysis',
          Files: [{ Path: '/home/node/.npmrc', Read: true, Write: false, Delete: false }],
          Sockets: [{ Address: '127.10.0.1', Port: 443, Hostnames: ['exfil.invalid'] }],
          Commands: [{ Command: ['node', 'install.js'], Environment: [] }],
          DNS: [{ Class: 'IN', Queries: [{ Hostname: 'exfil.invalid', Types: ['A', 'AAAA'] }] }],
        },
        import: { ...summary },
        execute: { ...summary, Status: 'error_timeout' },
      },
    };
    expect(validate(record)).toBe(true);
    // package-analysis' Go types let Sockets.Hostnames and Commands.Environment be absent.
    expect(validate({ ...record, Analysis: { install: { ...summary, Sockets: [{ Address: '::1', Port: 0 }], Commands: [{ Command: ['sh'] }] } } })).toBe(true);
  });

  it.each([
    ['an unknown phase', { Analysis: { build: summary } }],
    ['an unknown status', { Analysis: { install: { ...summary, Status: 'ok' } } }],
    ['output that is not base64', { Analysis: { install: { ...summary, Stdout: 'plain text!' } } }],
    ['output past 4 KiB', { Analysis: { install: { ...summary, Stdout: 'A'.repeat(5468) } } }],
    ['a port out of range', { Analysis: { install: { ...summary, Sockets: [{ Address: '1.2.3.4', Port: 70000 }] } } }],
    ['an empty command', { Analysis: { install: { ...summary, Commands: [{ Command: [] }] } } }],
    ['a DNS entry without queries', { Analysis: { install: { ...summary, DNS: [{ Class: 'IN', Queries: [] }] } } }],
    ['a fractional timestamp', { CreatedTimestamp: 1.5 }],
    ['an unknown ecosystem', { Package: { Ecosystem: 'maven', Name: 'a', Version: '1' } }],
    ['an extra field', { Verdict: 'fail' }],
  ])('refuses %s', (_what, change) => {
    const base = { Package: { Ecosystem: 'npm', Name: 'a', Version: '1.0.0' }, CreatedTimestamp: 1, Analysis: { install: summary } };
    expect(validate({ ...base, ...change })).toBe(false);
  });
});
