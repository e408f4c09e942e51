/**
 * `trace judge` without an engine: a real trace (examples/webapp's esbuild postinstall, the policy
 * package's fixture) saved with a header, judged again with the run's policy and with others.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluate, resolvePolicy, type Policy } from '@safe-install/policy';
import { parseTrace, type Report, type TraceEvent } from '@safe-install/schema';
import type { Printer } from '../output.js';
import { openTrace } from '@safe-install/core';
import { traceJudge } from './trace.js';

const fixture = fileURLToPath(new URL('../../../policy/src/fixtures/webapp-npm-ci.jsonl', import.meta.url));
const CONTEXT = { projectDir: '/home/node/project', homeDir: '/home/node', tmpDir: '/tmp', nodeModules: '/home/node/project/node_modules', registryHosts: ['registry.example'], now: Date.parse('2026-06-01T12:00:00Z') };
const DECOYS = { values: [{ kind: 'npm-token' as const, value: 'npm_decoyDECOYdecoyDECOYdecoyDECOY0000', plantedAt: ['/home/node/.npmrc'] }], files: [{ path: '/home/node/.npmrc', kind: 'npm-token' as const }] };
/** A policy that allows no script: esbuild's postinstall fails it. */
const STRICT = resolvePolicy({ document: { version: 1 }, documentFile: 'safe-install.config.yaml' }).value as Policy;
const EMPTY_INTEROP = { rules: [], allowAll: null, warnings: [] };

function capture(): Printer & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`), sandbox: (m) => lines.push(`sandbox ${m}`), plain: (m) => lines.push(`plain ${m}`), progress: () => undefined, done: () => undefined } as Printer & { lines: string[] };
}

let dir = '';
let events: TraceEvent[] = [];
let tracePath = '';
beforeAll(async () => {
  events = (await readFile(fixture, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as TraceEvent);
  dir = await mkdtemp(join(tmpdir(), 'trace-judge-'));
  tracePath = join(dir, 'trace.jsonl');
  const trace = openTrace(tracePath, {
    project: '/work/webapp', tool: { name: 'safe-install', version: '0.1.0' }, job: 'ci', command: ['npm', 'ci'], packageManager: { name: 'npm' }, phases: ['install'],
    context: CONTEXT, decoys: DECOYS, policy: { resolved: STRICT, interop: EMPTY_INTEROP },
  });
  await trace.seal({ runId: 'r1', outcome: 'completed', context: CONTEXT, packageManagerVersion: '11.6.2' }, events);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('safe-install trace judge', () => {
  it('--mode and --fail-on apply over the run\'s policy, as on ci', async () => {
    // The run's policy fails on a high finding (esbuild's postinstall, not allowed).
    expect(await traceJudge({ file: tracePath, printer: capture() })).toBe(1);
    const audit = capture();
    expect(await traceJudge({ file: tracePath, mode: 'audit', printer: audit })).toBe(0);
    expect(audit.lines.join('\n')).toContain('mode audit');
    expect(await traceJudge({ file: tracePath, failOn: 'critical', printer: capture() })).toBe(0);
    expect(await traceJudge({ file: tracePath, failOn: 'low', printer: capture() })).toBe(1);
  });

  it('with the run’s policy: the findings evaluate() gives the events, and the violation exit code', async () => {
    const expected = evaluate({ events, policy: STRICT, decoys: DECOYS, context: CONTEXT });
    expect(expected.verdict).toBe('fail');
    const printer = capture();
    const reportPath = join(dir, 'r.json');
    expect(await traceJudge({ file: tracePath, report: reportPath, printer })).toBe(1);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as Report;
    expect(report.findings).toEqual(JSON.parse(JSON.stringify(expected.findings)));
    expect(report).toMatchObject({ command: 'ci', project: '/work/webapp', verdict: 'fail', outcome: 'completed' });
    expect(report.summary.events).toBe(events.length);
    expect(printer.lines.join('\n')).toMatch(/plain   esbuild@0\.25\.12\nplain {5}high +script-not-allowed in postinstall: /);
    expect(printer.lines.at(-1)).toMatch(/^error verdict: fail/);
  });

  it('with a policy that allows esbuild: no findings, a pass', async () => {
    const policy = join(dir, 'allow.yaml');
    await writeFile(
      policy,
      'version: 1\npackages:\n  esbuild@0.25.12:\n    scripts: { postinstall: "sha256:912d4d8f507b7b392ae422a459f98da94669a742e4cc43cfe061e630ee2846fe" }\n    exec: ["$PACKAGE/bin/esbuild"]\n',
    );
    const printer = capture();
    const reportPath = join(dir, 'allow.json');
    expect(await traceJudge({ file: tracePath, policy, report: reportPath, printer })).toBe(0);
    expect((JSON.parse(await readFile(reportPath, 'utf8')) as Report).findings).toEqual([]);
    expect(printer.lines.at(-1)).toMatch(/^info verdict: pass/);
  });

  it('refuses a policy file that is not valid, as a usage error', async () => {
    const policy = join(dir, 'bad.yaml');
    await writeFile(policy, 'version: 1\nmode: yolo\n');
    await expect(traceJudge({ file: tracePath, policy, printer: capture() })).rejects.toMatchObject({ kind: 'usage', code: 'POLICY_INVALID' });
  });

  it('refuses a trace that is missing, not a trace, or carries a malformed policy, as usage errors', async () => {
    await expect(traceJudge({ file: join(dir, 'none.jsonl'), printer: capture() })).rejects.toMatchObject({ kind: 'usage', code: 'TRACE_NOT_FOUND' });
    const plain = join(dir, 'plain.jsonl');
    await writeFile(plain, `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
    await expect(traceJudge({ file: plain, printer: capture() })).rejects.toMatchObject({ kind: 'usage', code: 'TRACE_INVALID', message: expect.stringMatching(/it is an event/) });
    const text = await readFile(tracePath, 'utf8');
    const { header } = parseTrace(text);
    const tampered = join(dir, 'tampered.jsonl');
    const lines = text.split('\n');
    lines[0] = JSON.stringify({ ...header, policy: { resolved: { ...STRICT, packages: 'all' }, interop: EMPTY_INTEROP } });
    await writeFile(tampered, lines.join('\n'));
    await expect(traceJudge({ file: tampered, printer: capture() })).rejects.toMatchObject({ kind: 'usage', message: expect.stringMatching(/policy is malformed \(packages\)/) });
  });

  it('judges what an incomplete trace holds, and says it is incomplete', async () => {
    const partial = join(dir, 'partial.jsonl');
    const trace = openTrace(partial, { project: '/w', tool: { name: 'safe-install', version: '0.1.0' }, job: 'ci', command: ['npm', 'ci'], packageManager: { name: 'npm' }, phases: ['install'], context: CONTEXT, decoys: DECOYS, policy: { resolved: STRICT, interop: EMPTY_INTEROP } });
    for (const event of events.slice(0, 40)) trace.write(event);
    await trace.close();
    const printer = capture();
    await traceJudge({ file: partial, printer });
    expect(printer.lines.join('\n')).toMatch(/did not finish writing this trace/);
  });
});
