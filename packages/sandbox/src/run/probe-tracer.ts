/**
 * Prove that tracing works in a container made exactly like a real run's: same image, same
 * hardening, same runner. Used by `doctor`; a probe that passes means a run's trace is real.
 *
 * The probe is a sandbox job of two steps, one per tracing mode (see job.ts): `probe` runs a
 * command through the script shell, as npm runs a lifecycle script — so it takes the whole path a
 * script takes (script broker, spawn-script-tracer, its own strace); `probe-tree` traces a
 * command's whole process tree, attributed to the probe as its subject.
 */
import type Docker from 'dockerode';
import { JOB_VERSION, SafeInstallError, type SandboxJob, type TraceEvent } from '@safe-install/schema';
import { TOOL_VERSION } from '../docker/labels.js';
import { SANDBOX_HELPERS } from '../layout.js';
import { runInstall } from './run-install.js';

const SCRIPT_SHELL = SANDBOX_HELPERS.scriptShell;
const PROBE_SUBJECT = { name: 'safe-install-probe', version: TOOL_VERSION };

export const PROBE_JOB: SandboxJob = {
  version: JOB_VERSION,
  steps: [
    { phase: 'probe', command: [SCRIPT_SHELL, '-c', 'cat /etc/hostname > /dev/null'], trace: 'scripts', attribution: 'lockfile', export: 'none' },
    { phase: 'probe-tree', command: ['cat', '/etc/hostname'], trace: 'tree', attribution: 'subject', subject: PROBE_SUBJECT, export: 'none' },
  ],
};

/** Did the trace see `cat` exec'd in `phase` (and, when given, attributed to `subject`)? */
function sawCat(events: readonly TraceEvent[], phase: string, subject?: { name: string }): boolean {
  return events.some(
    (event) => event.type === 'process' && event.action === 'exec' && event.path.endsWith('/cat') && event.phase === phase && (subject === undefined || event.package?.name === subject.name),
  );
}

export async function probeTracer(docker: Docker, image: string): Promise<string> {
  const run = await runInstall({ docker, image, network: 'none', upload: [], stageIn: null, command: PROBE_JOB.steps[0]!.command, job: PROBE_JOB, timeoutMs: 60_000 });
  const scripts = sawCat(run.events, 'probe');
  const tree = sawCat(run.events, 'probe-tree', PROBE_SUBJECT);
  if (run.exitCode !== 0 || !scripts || !tree) {
    const missing = [...(scripts ? [] : ['through the script shell']), ...(tree ? [] : ['as a traced process tree'])];
    throw new SafeInstallError(
      'TRACER_BROKEN',
      'infrastructure',
      `the probe ran (exit ${run.exitCode}) but the trace ${missing.length === 0 ? 'is incomplete' : `shows no exec of cat ${missing.join(' nor ')}`} (${run.events.length} events)`,
      { hint: 'check that the engine allows ptrace with SYS_PTRACE (seccomp profile) and rebuild the image' },
    );
  }
  return `traced ${run.events.length} events from a probe in ${run.timings['run']} ms`;
}
