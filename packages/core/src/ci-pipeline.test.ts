/**
 * The ci pipeline without an engine: a fake engine behind the seam returns a scripted run (events,
 * status, a staged export made on disk as the real one is), and the real policy, report, swap and
 * verdict code does the rest. The end-to-end tests run the same pipeline on Docker.
 */
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseTrace, type Report, type TraceEvent } from '@safe-install/schema';
import { evaluate, type Policy } from '@safe-install/policy';
import { startCi, type CiResult, type RunObserver } from './ci-pipeline.js';
import { npm } from './npm.js';
import { STAGING_PREFIX } from '@safe-install/sandbox';
import type { SandboxInstall } from './sandbox-engine.js';
import { HOST_CONFIG, fakeEngine, quietObserver, testNpm, type Scripted } from './fake-engine.test-helper.js';

const LOCK = {
  name: 'app',
  version: '1.0.0',
  lockfileVersion: 3,
  requires: true,
  packages: {
    '': { name: 'app', version: '1.0.0', dependencies: { 'left-pad': '1.3.0' } },
    'node_modules/left-pad': { version: '1.3.0', resolved: 'https://registry.example/left-pad/-/left-pad-1.3.0.tgz', integrity: 'sha512-AAAA', hasInstallScript: true },
  },
};

let project: string;
beforeEach(async () => {
  project = await mkdtemp(join(tmpdir(), 'si-core-'));
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { 'left-pad': '1.3.0' } }));
  await writeFile(join(project, 'package-lock.json'), JSON.stringify(LOCK));
});
afterEach(async () => {
  await rm(project, { recursive: true, force: true });
});

const base = { source: 'tracer' as const, ppid: 1 };
const pad = { name: 'left-pad', version: '1.3.0' };
const scriptRun = (extra: TraceEvent[], code = 0): TraceEvent[] => [
  { ...base, id: 'e1', ts: 1000, pid: 10, type: 'script', action: 'start', package: pad, lifecycle: 'install', run: 1, command: 'node install.js', cwd: '/home/node/project/node_modules/left-pad' },
  ...extra,
  { ...base, id: 'e9', ts: 2000, pid: 10, type: 'script', action: 'end', package: pad, lifecycle: 'install', run: 1, code },
];
const egress: TraceEvent = { ...base, id: 'e2', ts: 1500, pid: 11, type: 'network', action: 'connect', family: 'AF_INET', address: '198.51.100.7', port: 443, ok: false, errno: 'ENETUNREACH', package: pad, lifecycle: 'install', run: 1 };

async function run(script: Scripted, extra: { report?: string; trace?: string } = {}): Promise<{ result: CiResult; engine: ReturnType<typeof fakeEngine> }> {
  const engine = fakeEngine(script);
  const result = await startCi({ dir: project, timeoutSeconds: 60, ...extra }, quietObserver(), { engine, packageManager: testNpm }).result;
  return { result, engine };
}

describe('the ci pipeline, on a fake engine', () => {
  it('asks the engine for npm ci in the project, through the gateway, with decoys and the lockfile scope', async () => {
    const { engine } = await run({ events: [] });
    const asked = engine.asked[0]!;
    expect(asked.command).toEqual(['npm', 'ci']);
    // The runner's snapshot skips the manager's own cache, as the seam names it.
    expect(asked.cacheFolders).toEqual(testNpm.cacheFolders);
    expect(asked.stageIn).toBe(project);
    expect(asked.network).not.toBe('none');
    const network = asked.network as Exclude<SandboxInstall['network'], 'none'>;
    expect(network.gateway.decoys.values.length).toBeGreaterThan(0);
    expect(network.gateway.registries[0]!.upstream).toBe(HOST_CONFIG.registry);
    // The project's real files go up; no real .env or credential does.
    expect(asked.upload.map((file) => file.path)).toEqual(expect.arrayContaining(['project/package.json', 'project/package-lock.json', '.npmrc']));
  });

  it('a clean run passes and puts node_modules in place', async () => {
    const { result } = await run({ events: scriptRun([]), nodeModules: { 'left-pad/index.js': 'module.exports = 1' } });
    expect(result.decision).toMatchObject({ end: 'pass', verdict: 'pass', outcome: 'completed' });
    expect(result.failure).toBeNull();
    expect(await readFile(join(project, 'node_modules/left-pad/index.js'), 'utf8')).toBe('module.exports = 1');
    expect((await readdir(project)).some((name) => name.startsWith(STAGING_PREFIX))).toBe(false);
    expect(result.report.scripts).toEqual([expect.objectContaining({ package: pad, lifecycle: 'install', code: 0 })]);
  });

  it('tells the observer its phases in order and every event as it arrives, and names the lockfile', async () => {
    const engine = fakeEngine({ events: scriptRun([]), nodeModules: { 'left-pad/index.js': '1' } });
    const seen: string[] = [];
    const observer = { ...quietObserver(), phase: (phase: string) => void seen.push(phase), event: (event: TraceEvent) => void seen.push(`event ${event.type}`) };
    const result = await startCi({ dir: project, timeoutSeconds: 60 }, observer, { engine, packageManager: testNpm }).result;
    const events = scriptRun([]).map((event) => `event ${event.type}`);
    expect(seen).toEqual(['preparing', 'installing', ...events, 'judging', 'exporting']);
    expect(result.lockfile).toEqual({ path: join(project, 'package-lock.json'), packages: expect.any(Number) });
  });

  it('tells the observer how many packages may run install scripts: the lockfile\'s, less allowScripts\' false, plus the project\'s own', async () => {
    const plans: number[] = [];
    const count = async () => {
      await startCi({ dir: project, timeoutSeconds: 60 }, { ...quietObserver(), plan: (plan) => void plans.push(plan.scriptPackages) }, { engine: fakeEngine({ events: [] }), packageManager: testNpm }).result;
      return plans.at(-1);
    };
    expect(await count()).toBe(1);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { 'left-pad': '1.3.0' }, allowScripts: { 'left-pad': false }, scripts: { prepare: 'node build.js' } }));
    expect(await count()).toBe(1);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { 'left-pad': '1.3.0' }, scripts: { prepare: 'node build.js' } }));
    expect(await count()).toBe(2);
  }, 20_000);

  it('a violation leaves the project as it was, writes the report first, and outranks the install failing', async () => {
    const reportFile = join(project, '..', `${project.split('/').pop()}-report.json`);
    const { result } = await run({ events: scriptRun([egress], 1), exitCode: 1, nodeModules: { 'left-pad/index.js': 'x' } }, { report: reportFile });
    expect(result.decision.end).toBe('violation');
    expect(result.findings.some((finding) => finding.package?.name === 'left-pad' && finding.evidence.includes('e2'))).toBe(true);
    expect(result.failure).toBeNull();
    await expect(readdir(join(project, 'node_modules'))).rejects.toThrow();
    expect((await readdir(project)).some((name) => name.startsWith(STAGING_PREFIX))).toBe(false);
    const written = JSON.parse(await readFile(reportFile, 'utf8')) as Report;
    expect(written.verdict).toBe('fail');
    expect(written.findings.length).toBe(result.findings.length);
    await rm(reportFile, { force: true });
  });

  it('the package manager failing with nothing found is its own error, naming the failed script', async () => {
    const { result } = await run({ events: scriptRun([], 2), exitCode: 1 });
    expect(result.decision.end).toBe('package-manager-failed');
    expect(result.failure?.kind).toBe('package-manager');
    expect(result.failure?.message).toBe('npm ci failed in the sandbox (exit 1): install of left-pad@1.3.0 exited with 2; node_modules was not changed');
  });

  it('a runner that broke is judged first: the findings stand, and the run cannot pass', async () => {
    const broken = await run({ events: scriptRun([]), runnerError: 'the tracer exited' , nodeModules: { 'left-pad/index.js': 'x' } });
    expect(broken.result.decision).toMatchObject({ end: 'runner-failed', verdict: 'fail', outcome: 'infrastructure-error' });
    expect(broken.result.failure?.code).toBe('RUNNER_FAILED');
    expect(broken.result.report.outcome).toBe('infrastructure-error');
    await expect(readdir(join(project, 'node_modules'))).rejects.toThrow();
    const caught = await run({ events: scriptRun([egress]), runnerError: 'the tracer exited' });
    expect(caught.result.decision.end).toBe('violation');
  });

  it('a failed export is reported after the verdict, with the export error in the report', async () => {
    const { result } = await run({ events: scriptRun([]), exportError: 'a sparse file' });
    expect(result.decision.end).toBe('export-failed');
    expect(result.failure?.code).toBe('EXPORT_FAILED');
    expect(result.report.export?.error).toBe('a sparse file');
  });

  it('a timeout is an infrastructure error with the limit in its message', async () => {
    const { result } = await run({ events: [], timedOut: true, exitCode: null });
    expect(result.failure?.code).toBe('INSTALL_TIMEOUT');
    expect(result.failure?.message).toContain('within 60 s');
  });

  it('writes every event to the trace file as it comes', async () => {
    const traceFile = join(project, '..', `${project.split('/').pop()}-trace.jsonl`);
    await run({ events: scriptRun([egress]) }, { trace: traceFile });
    const lines = (await readFile(traceFile, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { id?: string });
    expect(lines.map((line) => line.id).filter(Boolean)).toEqual(expect.arrayContaining(['e1', 'e2', 'e9']));
    await rm(traceFile, { force: true });
  });

  it('seals the trace: the header first (context, decoys, policy), the gateway events merged in by time, and the findings evaluate() gives the file are the run\'s', async () => {
    const traceFile = join(project, '..', `${project.split('/').pop()}-sealed.jsonl`);
    // The gateway hands its events over at the end: appended, as the engine returns them.
    const dns: TraceEvent = { id: 'g1', ts: 1600, source: 'gateway', pid: 0, ppid: 0, type: 'dns', name: 'x.collect.invalid', qtype: 'A', answered: 'sinked' };
    const { result } = await run({ events: [...scriptRun([egress]), dns] }, { trace: traceFile });
    const { header, events, badLines } = parseTrace(await readFile(traceFile, 'utf8'));
    await rm(traceFile, { force: true });
    expect(badLines).toBe(0);
    expect(header).toMatchObject({ type: 'trace-header', runId: 'fake', job: 'ci', command: ['npm', 'ci'], packageManager: { name: 'npm' }, phases: ['install'], complete: true, outcome: result.decision.outcome, project });
    expect(header.context).toMatchObject({ projectDir: '/home/node/project', registryHosts: ['registry.example'], lockedPackages: [pad], now: expect.any(Number) });
    expect(header.decoys.values.length).toBeGreaterThan(0);
    expect(events.map((e) => e.id)).toEqual(['e1', 'e2', 'g1', 'e9']);
    const again = evaluate({ events, policy: header.policy.resolved as Policy, decoys: header.decoys, context: header.context });
    expect(again.findings).toEqual(JSON.parse(JSON.stringify(result.findings)));
    expect(again.findings.map((f) => f.ruleId)).toContain('network-direct-connect');
  });

  it('an abort removes what the engine made, once, however often it is asked', async () => {
    const engine = fakeEngine({ events: [] });
    const running = startCi({ dir: project, timeoutSeconds: 60 }, quietObserver(), { engine, packageManager: testNpm });
    await Promise.all([running.abort(), running.abort()]);
    await running.result;
    expect(engine.aborted).toBe(1);
  });

  it('a signal after the verdict, before the swap: node_modules stays as it was and the report says not applied', async () => {
    const reportFile = join(project, '..', `${project.split('/').pop()}-interrupted.json`);
    const engine = fakeEngine({ events: scriptRun([]), nodeModules: { 'left-pad/index.js': '1' } });
    let running: ReturnType<typeof startCi> | null = null;
    const observer = { ...quietObserver(), phase: (phase: string) => void (phase === 'judging' ? running?.abort() : undefined) };
    running = startCi({ dir: project, timeoutSeconds: 60, report: reportFile }, observer, { engine, packageManager: testNpm });
    const result = await running.result;
    await expect(readdir(join(project, 'node_modules'))).rejects.toThrow();
    expect(result.report.export?.applied).toBe(false);
    expect((JSON.parse(await readFile(reportFile, 'utf8')) as Report).export?.applied).toBe(false);
    await rm(reportFile, { force: true });
  });

  it('bad input is a usage error before the engine is asked anything', async () => {
    await rm(join(project, 'package-lock.json'));
    const engine = fakeEngine({ events: [] });
    await expect(startCi({ dir: project, timeoutSeconds: 60 }, quietObserver(), { engine, packageManager: testNpm }).result).rejects.toMatchObject({ kind: 'usage' });
    expect(engine.asked).toHaveLength(0);
  });
});

describe('learning (policy learn, --write-policy) and --policy, on a fake engine', () => {
  let cwd: string;
  let elsewhere: string;
  beforeEach(async () => {
    // Run from another folder than the project: nothing may be written here.
    elsewhere = await mkdtemp(join(tmpdir(), 'si-core-cwd-'));
    cwd = process.cwd();
    process.chdir(elsewhere);
  });
  afterEach(async () => {
    process.chdir(cwd);
    await rm(elsewhere, { recursive: true, force: true });
  });

  const learnRun = (options: { policy?: string } = {}) =>
    startCi({ dir: relative(elsewhere, project), timeoutSeconds: 60, mode: 'audit', writePolicy: true, ...options }, quietObserver(), { engine: fakeEngine({ events: scriptRun([]) }), packageManager: testNpm }).result;

  it('updates the project\'s YAML policy in place, comments kept, when run from another folder', async () => {
    const yaml = '# Reviewed by the security team.\nversion: 1\npackages:\n  # never\n  core-js: false # no telemetry\n';
    await writeFile(join(project, 'safe-install.config.yaml'), yaml);
    const result = await learnRun();
    expect(result.learned).toMatchObject({ target: join(project, 'safe-install.config.yaml'), written: true });
    const text = await readFile(join(project, 'safe-install.config.yaml'), 'utf8');
    expect(text.startsWith(yaml)).toBe(true);
    expect(text).toMatch(/\n {2}# left-pad@1\.3\.0 install ran `node install\.js`\n {2}left-pad@1\.3\.0:/);
    expect(await readdir(elsewhere)).toEqual([]);
  }, 30_000);

  it('updates a package.json "safeInstall" policy where it is, and writes no second policy', async () => {
    const manifest = { name: 'app', version: '1.0.0', dependencies: { 'left-pad': '1.3.0' }, safeInstall: { version: 1 } };
    await writeFile(join(project, 'package.json'), `${JSON.stringify(manifest, null, 4)}\n`);
    const result = await learnRun();
    expect(result.learned).toMatchObject({ target: join(project, 'package.json'), written: true });
    expect((await readdir(project)).filter((name) => name.startsWith('safe-install.config'))).toEqual([]);
    const after = JSON.parse(await readFile(join(project, 'package.json'), 'utf8'));
    expect(Object.keys(after)).toEqual(['name', 'version', 'dependencies', 'safeInstall']);
    expect(Object.keys(after.safeInstall.packages)).toEqual(['left-pad@1.3.0']);
    // The next run loads it (no POLICY_AMBIGUOUS) and the script is allowed.
    const next = await startCi({ dir: project, timeoutSeconds: 60 }, quietObserver(), { engine: fakeEngine({ events: scriptRun([]) }), packageManager: testNpm }).result;
    expect(next.decision.end).toBe('pass');
    expect(next.findings.filter((finding) => finding.ruleId === 'script-not-allowed')).toEqual([]);
  }, 30_000);

  it('--policy names the policy (discovery skipped) and learning writes into it', async () => {
    await writeFile(join(project, 'safe-install.config.yaml'), 'version: 1\n');
    await writeFile(join(project, 'safe-install.config.json'), '{"version": 1}');
    const shared = join(elsewhere, 'org-policy.yaml');
    await writeFile(shared, '# for every service\nversion: 1\n');
    const result = await learnRun({ policy: shared });
    expect(result.learned?.target).toBe(shared);
    expect(await readFile(shared, 'utf8')).toMatch(/^# for every service\nversion: 1\npackages:\n/);
    expect(await readFile(join(project, 'safe-install.config.yaml'), 'utf8')).toBe('version: 1\n');
    await rm(shared);
    const engine = fakeEngine({ events: [] });
    await expect(startCi({ dir: project, timeoutSeconds: 60, policy: shared }, quietObserver(), { engine, packageManager: testNpm }).result).rejects.toMatchObject({
      kind: 'usage',
      code: 'POLICY_NOT_FOUND',
      message: `policy file ${shared} does not exist`,
    });
    expect(engine.asked).toHaveLength(0);
  }, 30_000);
});
