/**
 * Whether an io_uring attempt reaches the script's tracer depends on the engine's seccomp layer as
 * well as the sandbox's stacked filter: an ERRNO from any filter outranks the tracer's TRACE. This
 * engine's own default (Docker 20.10) allows io_uring, so the ">= 25" condition is simulated by
 * handing the container Docker's current default profile as it ships (docker/docker-default-seccomp.json,
 * which refuses io_uring with EPERM): under it the attempt is refused and missing from the trace;
 * under the sandbox's profile (that default plus its deltas) it is in the trace, whatever the
 * engine's own default is.
 *
 * Each case runs the sandbox image's own entrypoint filter and the script tracer's exact strace
 * invocation in a container with the sandbox's capabilities; the full install under the sandbox's
 * profile, up to the `tracer-evasion` finding, is tracer.e2e.test.ts (kernel-probe).
 */
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { SANDBOX_HELPERS, type ProcessUntraceableEvent } from '@safe-install/schema';
import { DEFAULT_BASE_IMAGE, DOCKER_DEFAULT_SECCOMP_FILE, requireSandboxImage, sandboxSeccompProfile } from '@safe-install/sandbox';
import { straceArgs, traceToEvents } from '@safe-install/tracer';
import { describeWithEngine } from './engine.js';

const docker = new Docker();

const PROBE = [
  'import ctypes, errno',
  'libc = ctypes.CDLL(None, use_errno=True)',
  'r = libc.syscall(425, 4, ctypes.create_string_buffer(120))',
  'print("io_uring_setup", "ok" if r >= 0 else errno.errorcode[ctypes.get_errno()])',
].join('\n');

const TRACE = '/tmp/trace.txt';

interface Outcome {
  probe: string;
  trace: string;
}

/** Runs PROBE under the sandbox's entrypoint filter and the script's strace, with `profile` at the engine's layer. */
async function underProfile(image: string, profile: string): Promise<Outcome> {
  const strace = ['/usr/bin/strace', ...straceArgs({ output: TRACE, user: 'nobody', command: ['/usr/bin/python3', '-c', PROBE] })];
  const quoted = strace.map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(' ');
  const container = await docker.createContainer({
    Image: image,
    User: '0:0',
    Entrypoint: [SANDBOX_HELPERS.syscallFilter, '/bin/sh', '-c', `${quoted} >/tmp/probe.txt 2>&1; cat /tmp/probe.txt; echo '--- trace'; cat ${TRACE}`],
    Cmd: [],
    Labels: { 'safe-install.test': 'seccomp-profile' },
    HostConfig: {
      CapDrop: ['ALL'],
      CapAdd: ['SYS_PTRACE', 'SETUID', 'SETGID', 'DAC_READ_SEARCH', 'SYS_ADMIN'],
      SecurityOpt: ['no-new-privileges', `seccomp=${profile}`],
      NetworkMode: 'none',
    },
  });
  try {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    let output = '';
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    container.modem.demuxStream(stream, sink, sink);
    await container.start();
    await container.wait();
    await new Promise<void>((resolve) => setImmediate(resolve));
    const [probe = '', trace = ''] = output.split('--- trace\n');
    return { probe: probe.trim(), trace };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

const attempts = (trace: string) =>
  traceToEvents(trace, { rootCwd: '/' })
    .events.filter((event): event is Omit<ProcessUntraceableEvent, 'id'> => event.type === 'process' && event.action === 'untraceable')
    .map((event) => [event.syscall, event.errno]);

await describeWithEngine('io_uring attempts under the engine\'s seccomp layer', () => {
  let image: string;
  beforeAll(async () => {
    image = await requireSandboxImage(docker, DEFAULT_BASE_IMAGE);
  }, 10 * 60_000);

  it('under Docker\'s current default (what an engine >= 25 applies), the attempt is refused and never reaches the trace: the gap', async () => {
    const dockerDefault = JSON.stringify(JSON.parse(readFileSync(DOCKER_DEFAULT_SECCOMP_FILE, 'utf8')));
    const { probe, trace } = await underProfile(image, dockerDefault);
    expect(probe).toBe('io_uring_setup EPERM');
    expect(trace).toMatch(/execve\("\/usr\/bin\/python3"/);
    expect(trace).not.toMatch(/io_uring_setup\(/);
    expect(attempts(trace)).toEqual([]);
  }, 2 * 60_000);

  it('under the sandbox\'s profile, the tracer records the attempt and fails it with ENOSYS', async () => {
    const { probe, trace } = await underProfile(image, sandboxSeccompProfile());
    expect(probe).toBe('io_uring_setup ENOSYS');
    expect(trace).toMatch(/io_uring_setup\(.*= -1 ENOSYS .*\(INJECTED\)/);
    expect(attempts(trace)).toEqual([['io_uring_setup', 'ENOSYS']]);
  }, 2 * 60_000);
});
