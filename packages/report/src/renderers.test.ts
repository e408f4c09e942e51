/**
 * Every renderer on a recorded report with findings (the P1 corpus case: a postinstall that reads
 * ~/.npmrc and posts the token to a sinked host), compared with committed snapshots in
 * fixtures/snapshots (UPDATE_REPORT_SNAPSHOTS=1 rewrites them after a deliberate change), and the
 * formats checked against their schemas: the report against ours, the SARIF against SARIF 2.1.0's.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { REPORT_JSON_SCHEMA, type Report } from '@safe-install/schema';
import { RULES } from '@safe-install/policy';
import { renderFindings, renderSummary } from './terminal.js';
import { renderSarif } from './sarif.js';
import { renderAnnotations } from './github.js';
import { renderMarkdown } from './markdown.js';
import { renderJunit } from './junit.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const report = JSON.parse(readFileSync(fixture('p1-npmrc-shell.report.json'), 'utf8')) as Report;
const lockfile = { uri: 'app/package-lock.json', text: readFileSync(fixture('p1-npmrc-shell.package-lock.json'), 'utf8') };

function snapshot(name: string, text: string): void {
  const file = fixture(`snapshots/${name}`);
  if (!existsSync(file) || process.env['UPDATE_REPORT_SNAPSHOTS'] === '1') writeFileSync(file, text);
  expect(text).toBe(readFileSync(file, 'utf8'));
}

/** The SARIF 2.1.0 schema as published (draft-04; loaded into Ajv's draft-07 mode, which reads it the same). */
function sarifValidator() {
  const require = createRequire(import.meta.url);
  const schema = structuredClone(require('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json')) as Record<string, unknown>;
  delete schema['$schema'];
  schema['$id'] = schema['id'];
  delete schema['id'];
  // The schema's patterns are not valid with the `u` flag Ajv 8 uses by default.
  const regExp = Object.assign((pattern: string, flags: string) => new RegExp(pattern, flags.replace('u', '')), { code: 'new RegExp' });
  return new Ajv({ strict: false, allErrors: true, validateFormats: false, code: { regExp } }).compile(schema);
}

describe('the renderers on a recorded malicious run', () => {
  it('terminal: findings grouped by package with how to allow each, then a summary in plain words', () => {
    const lines = [...renderFindings(report.findings, RULES), ...renderSummary({ report, lockedPackages: 1, lingering: 0 })];
    const text = lines.map((line) => line.text).join('\n');
    snapshot('terminal.txt', `${text}\n`);
    // The old wording is gone: no phase dump, no severity marks, no "1 … scripts".
    expect(text).not.toMatch(/output-drain|runner \d|phases |warning: i |1 lifecycle scripts|1 packages/);
    expect(text).toContain('do not allow: treat the package as malicious');
    expect(text).toContain('to allow: packages: {"p1-npmrc-shell": {"network": ["registry-stats.invalid:80"]}}');
  });

  it('the JSON report validates against the report schema', () => {
    const validate = new Ajv2020({ strict: true, allErrors: true }).compile(REPORT_JSON_SCHEMA);
    expect(validate(report) ? [] : validate.errors).toEqual([]);
    snapshot('report.json', `${JSON.stringify(report, null, 2)}\n`);
  });

  it('SARIF: valid 2.1.0, one result per finding at the package line of the lockfile, rules from the catalog', () => {
    const sarif = renderSarif(report, RULES, lockfile);
    const validate = sarifValidator();
    expect(validate(sarif) ? [] : validate.errors).toEqual([]);
    const run = sarif.runs[0]!;
    expect(run.results).toHaveLength(report.findings.length);
    for (const result of run.results) {
      expect(result.locations[0]!.physicalLocation.artifactLocation.uri).toBe('app/package-lock.json');
      expect(result.locations[0]!.physicalLocation.region.startLine).toBe(14);
      expect(run.tool.driver.rules[result.ruleIndex!]!.id).toBe(result.ruleId);
    }
    expect(run.tool.driver.rules.map((rule) => rule.id)).toEqual(RULES.map((rule) => rule.id));
    snapshot('report.sarif', `${JSON.stringify(sarif, null, 2)}\n`);
  });

  it('SARIF is still valid with hostile text and without a lockfile', () => {
    const hostile: Report = { ...report, findings: report.findings.map((f) => ({ ...f, message: 'x\u001b]0;owned\u0007\n::error::y', package: { name: 'a"b\\c', version: '1' } })) };
    const validate = sarifValidator();
    for (const sarif of [renderSarif(hostile, RULES, null), renderSarif(hostile, RULES, { uri: 'package-lock.json', text: '\u0000{"node_modules/a\\"b": {' })]) {
      expect(validate(sarif) ? [] : validate.errors).toEqual([]);
      expect(JSON.stringify(sarif)).not.toMatch(/\\u001b|\\u0007/);
    }
  });

  it('GitHub annotations name the package, script and evidence on the lockfile line', () => {
    const lines = renderAnnotations(report, RULES, lockfile);
    expect(lines).toHaveLength(report.findings.length);
    expect(lines[0]).toMatch(/^::error title=safe-install critical decoy-credential-read%3A p1-npmrc-shell@1\.0\.0,file=app\/package-lock\.json,line=14::p1-npmrc-shell@1\.0\.0 \(postinstall\): read the credential file/);
    expect(lines[0]).toContain('%0Aevidence: t84, g1, g2, g3');
    expect(lines.at(-1)).toMatch(/^::notice /);
    snapshot('annotations.txt', `${lines.join('\n')}\n`);
  });

  it('Markdown: verdict, findings table, scripts run, hosts contacted', () => {
    const markdown = renderMarkdown(report, RULES);
    expect(markdown).toMatch(/^### safe-install: ❌ fail\n/);
    expect(markdown).toContain('#### Findings');
    expect(markdown).toContain('| p1-npmrc-shell&#64;1.0.0 | postinstall | ` bash collect.sh ` | ok,');
    expect(markdown).toContain('| ` registry-stats.invalid ` | 0 | 1 |');
    snapshot('summary.md', markdown);
  });

  it('JUnit: one case per package, a failure per failing finding', () => {
    const xml = renderJunit(report, (finding) => finding.severity !== 'info');
    expect(xml).toContain('tests="1" failures="4"');
    snapshot('junit.xml', xml);
  });
});
