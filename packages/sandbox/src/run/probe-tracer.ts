/**
 * Prove that tracing works in a container made exactly like a real run's: same image, same
 * hardening, same runner. Used by `doctor`; a probe that passes means a run's trace is real.
 */
import type Docker from 'dockerode';
import { SafeInstallError } from '@safe-install/schema';
import { runInstall } from './run-install.js';

// Through the script shell, as npm runs a lifecycle script: the probe takes the whole path a script
// takes (script broker, spawn-script-tracer, its own strace).
const PROBE_COMMAND = ['/usr/local/libexec/npm-lifecycle', '-c', 'cat /etc/hostname > /dev/null'];

export async function probeTracer(docker: Docker, image: string): Promise<string> {
  const run = await runInstall({ docker, image, network: 'none', upload: [], stageIn: null, command: PROBE_COMMAND, timeoutMs: 60_000 });
  const execs = run.events.filter((event) => event.type === 'process' && event.action === 'exec');
  const sawCat = execs.some((event) => 'path' in event && event.path.endsWith('/cat'));
  if (run.exitCode !== 0 || !sawCat) {
    throw new SafeInstallError(
      'TRACER_BROKEN',
      'infrastructure',
      `the probe ran (exit ${run.exitCode}) but the trace ${sawCat ? 'is incomplete' : 'shows no exec of cat'} (${run.events.length} events)`,
      { hint: 'check that the engine allows ptrace with SYS_PTRACE (seccomp profile) and rebuild the image' },
    );
  }
  return `traced ${run.events.length} events from a probe in ${run.timings['run']} ms`;
}
