/**
 * A sandbox's lifecycle on the real engine: one container runs several jobs, each with its own
 * events (the gateway's included), what a job leaves is there for the next, and stop, abort and
 * `await using` remove the container, the gateway and the volumes, idempotently.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { DEFAULT_BASE_IMAGE, LABEL_RUN, gatewayNetwork, openSandbox, readHostNpmConfig, requireSandboxImage, type SandboxOptions } from '@safe-install/sandbox';
import type { JobStep, SandboxJob, TraceEvent } from '@safe-install/schema';
import { describeWithEngine } from './engine.js';

const docker = new Docker();
const subject = { name: 'left-pad', version: '1.3.0' };
const step = (phase: string, script: string): JobStep => ({ phase, command: ['sh', '-c', script], trace: 'tree', attribution: 'subject', subject, export: 'none' });
const job = (...steps: JobStep[]): SandboxJob => ({ version: 1, steps });
const jobRun = (j: SandboxJob, extra: { last?: boolean } = {}) => ({ upload: [], stageIn: null, job: j, timeoutMs: 60_000, ...extra });

/** What the engine still holds of a run: containers and volumes with its label. */
async function leftovers(runId: string): Promise<{ containers: number; volumes: number }> {
  const filters = { label: [`${LABEL_RUN}=${runId}`] };
  const containers = await docker.listContainers({ all: true, filters });
  const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
  return { containers: containers.length, volumes: volumes.length };
}

const lookups = (events: readonly TraceEvent[]) => events.flatMap((event) => (event.type === 'dns' ? [event.name] : []));

async function withGateway(): Promise<SandboxOptions['network']> {
  const dir = await mkdtemp(join(tmpdir(), 'lifecycle-'));
  const network = await gatewayNetwork(await readHostNpmConfig(dir), { projectRoot: dir, allow: { global: [], packages: {} } });
  return { gateway: { ...network.gateway, decoys: { values: [], files: [] } }, env: network.env };
}

await describeWithEngine('a sandbox’s lifecycle', () => {
  it('runs several jobs in one container: each its own events, the next sees what the last left; stop removes everything, twice is fine', async () => {
    const image = await requireSandboxImage(docker, DEFAULT_BASE_IMAGE);
    const sandbox = await openSandbox({ docker, image, network: 'none', timeoutMs: 60_000 });
    try {
      const first = await sandbox.run(jobRun(job(step('install', 'echo one > "$HOME/left-by-first"; cat /etc/hostname'))));
      expect(first.exitCode).toBe(0);
      const second = await sandbox.run(jobRun(job(step('import', 'cat "$HOME/left-by-first"; test "$(cat "$HOME/left-by-first")" = one'))));
      // The second job ran in the same container: the first one's file was there.
      expect(second.exitCode).toBe(0);
      // Each job has its own events, in its own phase.
      expect(first.events.filter((event) => event.phase !== undefined).every((event) => event.phase === 'install')).toBe(true);
      expect(second.events.filter((event) => event.phase !== undefined).every((event) => event.phase === 'import')).toBe(true);
      const execsOf = (events: readonly TraceEvent[]) => events.filter((event) => event.type === 'process' && event.action === 'exec').map((event) => (event as { path: string }).path);
      expect(execsOf(first.events).some((path) => path.endsWith('/cat'))).toBe(true);
      expect(execsOf(second.events).some((path) => path.endsWith('/test') || path.endsWith('/cat'))).toBe(true);
      // A failing job is that job's failure; the sandbox still takes the next one.
      expect((await sandbox.run(jobRun(job(step('run', 'exit 5'))))).exitCode).toBe(5);
      expect((await sandbox.run(jobRun(job(step('bin', 'true'))))).exitCode).toBe(0);
      expect((await leftovers(sandbox.runId)).containers).toBe(1);
    } finally {
      await sandbox.stop();
      await sandbox.stop();
    }
    expect(await leftovers(sandbox.runId)).toEqual({ containers: 0, volumes: 0 });
    await expect(sandbox.run(jobRun(job(step('install', 'true'))))).rejects.toThrow(/stopped/);
  }, 240_000);

  it('hands each job the gateway’s events of that job, and the last job stops the gateway', async () => {
    const image = await requireSandboxImage(docker, DEFAULT_BASE_IMAGE);
    const sandbox = await openSandbox({ docker, image, network: await withGateway(), timeoutMs: 90_000 });
    let runId = sandbox.runId;
    try {
      runId = sandbox.runId;
      // Names under reserved TLDs: the gateway's DNS answers them with its sink, and records the query.
      const first = await sandbox.run(jobRun(job(step('install', 'getent hosts first-job.invalid || true'))));
      const second = await sandbox.run(jobRun(job(step('import', 'getent hosts second-job.invalid || true')), { last: true }));
      expect(lookups(first.events)).toContain('first-job.invalid');
      expect(lookups(first.events)).not.toContain('second-job.invalid');
      expect(lookups(second.events)).toContain('second-job.invalid');
      expect(lookups(second.events)).not.toContain('first-job.invalid');
      // The gateway's events carry the phase of the job they came in.
      expect(first.events.filter((event) => event.source === 'gateway').every((event) => event.phase === 'install')).toBe(true);
      expect(second.events.filter((event) => event.source === 'gateway').every((event) => event.phase === 'import')).toBe(true);
      // After the last job the sandbox takes no other.
      await expect(sandbox.run(jobRun(job(step('run', 'true'))))).rejects.toThrow(/stopped/);
    } finally {
      await sandbox.stop();
    }
    expect(await leftovers(runId)).toEqual({ containers: 0, volumes: 0 });
  }, 240_000);

  it('aborts while a job runs: the job ends at once with what it saw, and nothing is left', async () => {
    const image = await requireSandboxImage(docker, DEFAULT_BASE_IMAGE);
    let handle: (() => Promise<void>) | null = null;
    const sandbox = await openSandbox({ docker, image, network: await withGateway(), timeoutMs: 120_000, onAbortHandle: (abort) => (handle = abort) });
    expect(handle).toBe(sandbox.abort);
    const started = Date.now();
    let sawScript!: () => void;
    const scriptStarted = new Promise<void>((resolve) => (sawScript = resolve));
    const running = sandbox.run({
      ...jobRun(job(step('install', 'sleep 300'))),
      timeoutMs: 120_000,
      onEvent: (event) => {
        if (event.type === 'script' && event.action === 'start') sawScript();
      },
    });
    await scriptStarted;
    await Promise.all([sandbox.abort(), sandbox.abort()]);
    const result = await running;
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(result.exitCode === null || result.exitCode !== 0).toBe(true);
    expect(result.events.some((event) => event.type === 'script' && event.action === 'start')).toBe(true);
    expect(await leftovers(sandbox.runId)).toEqual({ containers: 0, volumes: 0 });
    await expect(sandbox.run(jobRun(job(step('run', 'true'))))).rejects.toThrow(/stopped/);
  }, 180_000);

  it('`await using` stops it', async () => {
    const image = await requireSandboxImage(docker, DEFAULT_BASE_IMAGE);
    let runId = '';
    {
      await using sandbox = await openSandbox({ docker, image, network: 'none', timeoutMs: 60_000 });
      runId = sandbox.runId;
      expect((await sandbox.run(jobRun(job(step('install', 'true'))))).exitCode).toBe(0);
    }
    expect(await leftovers(runId)).toEqual({ containers: 0, volumes: 0 });
  }, 120_000);
});
