/**
 * The trace as a self-contained file: a malicious corpus case installed with `--trace`, then
 * judged again offline by `safe-install trace judge` — with the run's policy (the same findings,
 * down to the evidence ids) and with a wider one (fewer).
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Finding, Report, TraceEvent } from '@safe-install/schema';
import { loadCorpus, maliciousProject, selectCases } from './corpus.js';
import { describeWithEngine, findingsOf, readTraceWithHeader, runCli } from './engine.js';

const CASE = 'p1-npmrc-node';

await describeWithEngine('a saved trace, judged again', () => {
  let project = '';
  let tracePath = '';
  let run: Report;
  let runExit: number | undefined;
  const cleanup: string[] = [];
  afterAll(async () => {
    for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
  });

  const same = (finding: Finding) => ({ ruleId: finding.ruleId, package: finding.package, lifecycle: finding.lifecycle, evidence: finding.evidence });

  beforeAll(async () => {
    const [c] = selectCases(await loadCorpus(), [CASE]);
    if (c === undefined) throw new Error(`no corpus case ${CASE}`);
    project = await maliciousProject(c);
    cleanup.push(project);
    tracePath = join(project, 'trace.jsonl');
    const result = await runCli(['ci', project, '--trace', tracePath, '--report', join(project, 'run.json')]);
    runExit = result.exitCode;
    run = JSON.parse(await readFile(join(project, 'run.json'), 'utf8')) as Report;
  }, 15 * 60_000);

  it('the run failed on the exfiltration, and its trace starts with the header', async () => {
    expect(runExit).toBe(1);
    expect(run.findings.map((f) => f.ruleId)).toEqual(expect.arrayContaining(['decoy-credential-read', 'decoy-exfiltration', 'network-not-allowed']));
    const firstLine = JSON.parse((await readFile(tracePath, 'utf8')).split('\n')[0] as string) as Record<string, unknown>;
    expect(firstLine).toMatchObject({ type: 'trace-header', schemaVersion: 2, job: 'ci', command: ['npm', 'ci'], phases: ['install'], complete: true, outcome: run.outcome });
    const { header, events } = await readTraceWithHeader(tracePath);
    expect(header.runId).toMatch(/\S/);
    expect(header.packageManager).toEqual({ name: 'npm', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(header.context).toMatchObject({ projectDir: '/home/node/project', npmVersion: header.packageManager.version, now: expect.any(Number) });
    // The decoy index: the fake token planted in ~/.npmrc is there to be recognised later.
    expect(header.decoys.values.some((v) => v.kind === 'npm-token' && v.plantedAt.some((p) => p.endsWith('/.npmrc')))).toBe(true);
    expect(events.length).toBe(run.summary.events);
  });

  it('has the gateway events merged in by time, not appended', async () => {
    const { events } = await readTraceWithHeader(tracePath);
    const gateway = events.map((event, index) => ({ event, index })).filter(({ event }) => event.source === 'gateway');
    expect(gateway.length).toBeGreaterThan(0);
    // Something the sandbox saw after the exfiltration (the export's file changes at least) comes after it.
    const lastOther = events.findLastIndex((event: TraceEvent) => event.source !== 'gateway');
    expect(gateway[0]!.index).toBeLessThan(lastOther);
    for (const { event, index } of gateway) {
      const next = events.slice(index + 1).find((e) => e.source !== 'gateway');
      if (next !== undefined) expect(next.ts).toBeGreaterThanOrEqual(event.ts);
    }
  });

  it('judged with the run’s policy, it gives the run’s findings (rule, package, lifecycle, evidence ids) and exit code', async () => {
    const reportPath = join(project, 'judged.json');
    const judged = await runCli(['trace', 'judge', tracePath, '--report', reportPath]);
    expect(judged.exitCode).toBe(1);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as Report;
    expect(report.findings.map(same)).toEqual(run.findings.map(same));
    expect(report.findings).toEqual(run.findings);
    expect(report.verdict).toBe(run.verdict);
    expect(findingsOf(String(judged.stderr), 'p1-npmrc-node@1.0.0')).toMatch(/critical +decoy-exfiltration in postinstall/);
  }, 120_000);

  it('judged with a wider policy, it reports fewer findings, and passes when the policy accepts them all', async () => {
    const culprit = run.findings.filter((f) => f.package?.name === CASE);
    const wider = join(project, 'wider.yaml');
    await writeFile(
      wider,
      [
        'version: 1',
        'packages:',
        `  ${CASE}: true`,
        'ignore:',
        `  - { rule: network-not-allowed, package: ${CASE}, reason: "the responder asks what is left without it" }`,
        `  - { rule: decoy-credential-read, package: ${CASE}, reason: "the responder asks what is left without it" }`,
        '',
      ].join('\n'),
    );
    const reportPath = join(project, 'wider.json');
    const judged = await runCli(['trace', 'judge', tracePath, '--policy', wider, '--report', reportPath]);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as Report;
    expect(report.findings.length).toBeLessThan(run.findings.length);
    expect(report.findings.map((f) => f.ruleId)).not.toContain('network-not-allowed');
    // What is left is what the run found, judged the same way.
    for (const finding of report.findings) expect(run.findings.map(same)).toContainEqual(same(finding));
    // The exfiltration itself is still caught.
    expect(report.findings.map((f) => f.ruleId)).toContain('decoy-exfiltration');
    expect(judged.exitCode).toBe(1);

    const all = join(project, 'all.yaml');
    const rules = [...new Set(culprit.map((f) => f.ruleId))];
    await writeFile(all, ['version: 1', 'packages:', `  ${CASE}: true`, 'ignore:', ...rules.map((rule) => `  - { rule: ${rule}, package: ${CASE}, reason: "accepted" }`), ''].join('\n'));
    const accepted = await runCli(['trace', 'judge', tracePath, '--policy', all]);
    expect(accepted.stderr).toMatch(/verdict: pass/);
    expect(accepted.exitCode).toBe(0);
  }, 120_000);

  it('refuses a file that is not a trace with the usage exit code', async () => {
    const bogus = join(project, 'bogus.jsonl');
    await writeFile(bogus, (await readFile(tracePath, 'utf8')).split('\n').slice(1).join('\n'));
    const result = await runCli(['trace', 'judge', bogus]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/not a trace header \(it is an event/);
  }, 60_000);
});
