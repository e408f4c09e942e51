/**
 * The CI outputs on a real malicious run (corpus P1: a postinstall that reads ~/.npmrc and posts the
 * token to a sinked host): with GITHUB_ACTIONS=true and GITHUB_STEP_SUMMARY set, the run writes
 * annotations on the package's lockfile line and a step summary naming the package, script and
 * evidence; --sarif, --markdown, --junit and --report are written; --json puts the report on stdout.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { REPORT_JSON_SCHEMA } from '@safe-install/schema';
import { describeWithEngine, projectWithPackages, runCli } from './engine.js';

const CULPRIT = 'p1-npmrc-shell';

await describeWithEngine('CI outputs of a malicious run', () => {
  let project: string;
  let result: Awaited<ReturnType<typeof runCli>>;
  const out = (name: string) => join(project, name);

  beforeAll(async () => {
    project = await projectWithPackages([CULPRIT], {}, { packagesFrom: 'examples/malicious/P1-npm-token-exfil' });
    await writeFile(out('step-summary.md'), '### earlier step\n');
    result = await runCli(['ci', project, '--json', '--report', out('report.json'), '--sarif', out('out.sarif'), '--markdown', out('summary.md'), '--junit', out('junit.xml')], {
      env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: out('step-summary.md'), GITHUB_WORKSPACE: project, CI: 'true' },
    });
  }, 10 * 60_000);

  it('fails the run, and --json puts the report (valid against its schema) on stdout alone', async () => {
    expect(result.exitCode).toBe(1);
    const stdoutReport = JSON.parse(String(result.stdout));
    const validate = new Ajv2020({ strict: true, allErrors: true }).compile(REPORT_JSON_SCHEMA);
    expect(validate(stdoutReport) ? [] : validate.errors).toEqual([]);
    expect(stdoutReport).toEqual(JSON.parse(await readFile(out('report.json'), 'utf8')));
    expect(stdoutReport.network).toMatchObject({ refused: expect.any(Number) });
    expect(stdoutReport.network.refused).toBeGreaterThan(0);
  });

  it('prints progress as plain lines in CI, and no internal phase names', () => {
    const stderr = String(result.stderr);
    expect(stderr).toMatch(/safe-install: \[\d+:\d\d\] running install scripts 0\/1 done, package 1 of 1, now p1-npmrc-shell@1\.0\.0 postinstall/);
    expect(stderr).not.toMatch(/output-drain|phases /);
    expect(stderr).not.toContain('\u001b[2K');
  });

  it('annotates the lockfile line of the package with the script and evidence', async () => {
    const lock = (await readFile(out('package-lock.json'), 'utf8')).split('\n');
    const line = lock.findIndex((row) => row.trim().startsWith(`"node_modules/${CULPRIT}": {`)) + 1;
    const annotations = String(result.stderr).split('\n').filter((row) => row.startsWith('::'));
    expect(annotations.length).toBeGreaterThan(0);
    const credential = annotations.find((row) => row.includes('decoy-credential-read'));
    expect(credential).toMatch(new RegExp(`^::error title=safe-install critical decoy-credential-read%3A ${CULPRIT}@1\\.0\\.0,file=package-lock\\.json,line=${line}::${CULPRIT}@1\\.0\\.0 \\(postinstall\\): `));
    expect(credential).toMatch(/%0Aevidence: t\d+/);
  });

  it('appends the step summary and writes the same Markdown with --markdown', async () => {
    const summary = await readFile(out('step-summary.md'), 'utf8');
    const markdown = await readFile(out('summary.md'), 'utf8');
    expect(summary.startsWith('### earlier step\n### safe-install: ❌ fail')).toBe(true);
    expect(summary).toContain(markdown);
    expect(markdown).toMatch(/\| 🔴 critical \| p1-npmrc-shell&#64;1\.0\.0 \(postinstall\) \| ` decoy-credential-read ` \|/);
    expect(markdown).toContain('| p1-npmrc-shell&#64;1.0.0 | postinstall | ` bash collect.sh ` |');
    expect(markdown).toMatch(/\| ` registry-stats\.invalid ` \| 0 \| [1-9]/);
  });

  it('writes SARIF whose results point at the lockfile line, and JUnit', async () => {
    const sarif = JSON.parse(await readFile(out('out.sarif'), 'utf8'));
    expect(sarif.version).toBe('2.1.0');
    const results = sarif.runs[0].results as Array<{ ruleId: string; locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }> }>;
    expect(results.map((r) => r.ruleId)).toContain('decoy-exfiltration');
    for (const r of results) expect(r.locations[0]!.physicalLocation.artifactLocation.uri).toBe('package-lock.json');
    expect(results[0]!.locations[0]!.physicalLocation.region.startLine).toBeGreaterThan(1);
    expect(await readFile(out('junit.xml'), 'utf8')).toMatch(/<testcase classname="safe-install" name="p1-npmrc-shell@1\.0\.0">\n\s+<failure type="/);
  });
});
