/**
 * Sandbox jobs of several steps, on the real runner in the real image: steps in order, each event
 * with its phase, `tree` tracing attributed to the step's subject, a failing step stopping the job
 * (or not, when it says so), and nothing of a step living on into the next.
 */
import Docker from 'dockerode';
import { DEFAULT_BASE_IMAGE, PROBE_JOB, probeTracer, requireSandboxImage, runInstall } from '@safe-install/sandbox';
import type { JobStep, SandboxJob, TraceEvent } from '@safe-install/schema';
import { describeWithEngine } from './engine.js';

const docker = new Docker();
const subject = { name: 'left-pad', version: '1.3.0' };
const tree = (phase: string, command: string[], extra: Partial<JobStep> = {}): JobStep => ({ phase, command, trace: 'tree', attribution: 'subject', subject, export: 'none', ...extra });
const run = async (job: SandboxJob) => {
  const image = await requireSandboxImage(docker, DEFAULT_BASE_IMAGE);
  return runInstall({ docker, image, network: 'none', upload: [], stageIn: null, command: job.steps[0]!.command, job, timeoutMs: 120_000 });
};
const execs = (events: readonly TraceEvent[], phase: string) =>
  events.filter((event): event is Extract<TraceEvent, { type: 'process'; action: 'exec' }> => event.type === 'process' && event.action === 'exec' && event.phase === phase);

await describeWithEngine('a sandbox job of several steps', () => {
  it('doctor’s probe traces a command through the script shell and as a whole tree', async () => {
    expect(await probeTracer(docker, await requireSandboxImage(docker, DEFAULT_BASE_IMAGE))).toMatch(/^traced \d+ events/);
    expect(PROBE_JOB.steps.map((step) => step.trace)).toEqual(['scripts', 'tree']);
  }, 120_000);

  it('runs its steps in order, each event with its phase, a tree step’s events the subject’s; a failure it allows does not stop it', async () => {
    const result = await run({
      version: 1,
      steps: [
        // Leaves a process behind: it must be reported in its own phase and gone before the next step.
        tree('install', ['sh', '-c', 'sleep 60 & echo started']),
        tree('import', ['sh', '-c', 'cat /etc/hostname; echo seen > /tmp/seen; exit 4'], { continueOnFailure: true }),
        tree('run', ['sh', '-c', 'echo ok > /tmp/ran']),
      ],
    });
    expect(result.status?.steps).toEqual([
      { phase: 'install', ran: true, exitCode: 0, signal: null },
      { phase: 'import', ran: true, exitCode: 4, signal: null },
      { phase: 'run', ran: true, exitCode: 0, signal: null },
    ]);
    // The job fails as its first failed step did.
    expect(result.exitCode).toBe(4);
    const runner = result.events.filter((event) => event.source === 'tracer' || event.source === 'fsdiff');
    expect(runner.every((event) => ['install', 'import', 'run'].includes(event.phase ?? ''))).toBe(true);
    // Phases come in order: the trace never goes back to an earlier step.
    const order = runner.map((event) => ['install', 'import', 'run'].indexOf(event.phase!));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // The tree of each step is one script run, the subject's, with a run number of its own.
    const starts = result.events.filter((event) => event.type === 'script' && event.action === 'start');
    expect(starts.map((event) => [event.phase, event.package, event.lifecycle])).toEqual([
      ['install', subject, 'install'],
      ['import', subject, 'import'],
      ['run', subject, 'run'],
    ]);
    expect(new Set(starts.map((event) => event.run)).size).toBe(3);
    expect(execs(result.events, 'import').some((event) => event.path.endsWith('/cat') && event.package?.name === subject.name)).toBe(true);
    // The `sleep` of the first step lingered, was reported there, and was gone before `import` ran.
    expect(result.events.some((event) => event.type === 'process' && event.action === 'lingering' && event.phase === 'install' && event.package?.name === subject.name)).toBe(true);
    expect(execs(result.events, 'install').some((event) => event.path.endsWith('/sleep'))).toBe(true);
    // Each step's own filesystem diff.
    expect(result.events.some((event) => event.type === 'fsdiff' && event.phase === 'import' && event.path === '/tmp/seen')).toBe(true);
    expect(result.events.some((event) => event.type === 'fsdiff' && event.phase === 'run' && event.path === '/tmp/ran')).toBe(true);
    expect(result.events.some((event) => event.type === 'fsdiff' && event.phase === 'run' && event.path === '/tmp/seen')).toBe(false);
  }, 180_000);

  it('stops at the first failing step unless it says otherwise', async () => {
    const result = await run({ version: 1, steps: [tree('install', ['sh', '-c', 'exit 3']), tree('import', ['cat', '/etc/hostname'])] });
    expect(result.status?.steps).toEqual([
      { phase: 'install', ran: true, exitCode: 3, signal: null },
      { phase: 'import', ran: false, exitCode: null, signal: null },
    ]);
    expect(result.exitCode).toBe(3);
    expect(result.events.filter((event) => event.phase === 'import')).toEqual([]);
  }, 120_000);

  it('refuses an invalid job before it makes a container', async () => {
    await expect(run({ version: 1, steps: [tree('Install', ['true'])] })).rejects.toThrow(/invalid sandbox job: steps\[0\]\.phase/);
  });
});
