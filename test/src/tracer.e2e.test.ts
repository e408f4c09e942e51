import { rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { TRACE_EVENT_JSON_SCHEMA, type FileEvent, type NetworkEvent, type ProcessEvent, type ProcessExecEvent, type TraceEvent } from '@safe-install/schema';
import { execa } from 'execa';
import { advertisedRegistryUrl } from '@safe-install/sandbox';
import { describeWithEngine, projectWithPackages, readTrace, runCli, findingsOf } from './engine.js';

const BEHAVIOURS = { name: 'trace-behaviours', version: '1.0.0' };
const isExec = (event: TraceEvent): event is ProcessExecEvent => event.type === 'process' && event.action === 'exec';
const attributedTo = (event: TraceEvent, pkg: { name: string; version: string }) =>
  event.package?.name === pkg.name && event.package.version === pkg.version && event.lifecycle === 'postinstall';

await describeWithEngine('the tracer, on a real install with a real npm', () => {
  let project: string;
  let trace: TraceEvent[];
  let exitCode: number | undefined;
  let output: string;

  beforeAll(async () => {
    // The project names a shell of its own for scripts: the sandbox must not let it switch tracing off.
    // foreground-scripts: npm shows the scripts' output, where the observer probe reports.
    project = await projectWithPackages(['trace-behaviours', 'tamper-tracer', 'kernel-probe', 'observer-probe'], {}, { projectFiles: { '.npmrc': 'script-shell=/bin/sh\nforeground-scripts=true\n' } });
    const tracePath = join(project, 'trace.jsonl');
    const result = await runCli(['ci', project, '--trace', tracePath]);
    exitCode = result.exitCode;
    output = String(result.all);
    trace = await readTrace(tracePath);
  }, 10 * 60_000);
  afterAll(async () => {
    if (project) await rm(project, { recursive: true, force: true });
  });

  const mine = () => trace.filter((event) => attributedTo(event, BEHAVIOURS));
  const execOf = (binary: string) => mine().filter(isExec).filter((event) => event.path.endsWith(`/${binary}`));

  it('lets the install finish despite a daemon left behind, and the policy refuses what it saw', () => {
    expect(trace.filter((event) => event.type === 'process' && event.action === 'exit' && event.ppid === 0 && !event.package).length).toBeGreaterThan(0);
    expect(findingsOf(output, 'trace-behaviours@1.0.0')).toMatch(/lingering-process in postinstall: /);
    expect(findingsOf(output, 'trace-behaviours@1.0.0')).toMatch(/persistence-write in postinstall: /);
    expect(findingsOf(output, 'tamper-tracer@1.0.0')).toMatch(/tracer-tamper in postinstall: /);
    expect(output).toContain('verdict: fail');
    expect(exitCode).toBe(1);
  });

  it('runs scripts under the sandbox\'s seccomp filter, which refuses what the tracer cannot follow, and records the attempts', () => {
    const probe = { name: 'kernel-probe', version: '1.0.0' };
    const echo = trace.filter(isExec).find((event) => attributedTo(event, probe) && event.path === '/bin/echo');
    // Filters: Docker's default profile, the sandbox's own (docker/syscall-filter.c), the script
    // entry's refusal of new namespaces (docker/npm-lifecycle.c), strace's.
    // io_uring is failed by the tracer (ENOSYS), clone3 by Docker's profile and ours (ENOSYS, so
    // glibc falls back to clone), a clone with CLONE_UNTRACED by a SIGSYS (31).
    expect(echo?.argv.slice(1)).toEqual(['seccomp=2', 'filters=4', 'io_uring_setup=ENOSYS', 'clone3=ENOSYS', 'untraced-clone=signal-31']);
    const attempts = trace.filter((event): event is Extract<ProcessEvent, { action: 'untraceable' }> => event.type === 'process' && event.action === 'untraceable' && attributedTo(event, probe));
    expect(attempts.map((event) => [event.syscall, event.errno ?? event.signal])).toEqual(expect.arrayContaining([['io_uring_setup', 'ENOSYS'], ['clone', 'SIGSYS']]));
    expect(findingsOf(output, 'kernel-probe@1.0.0')).toMatch(/^ {4}critical tracer-evasion in postinstall: /m);
  });

  it('writes a trace whose every event is valid against the published JSON Schema', () => {
    const validate = new Ajv2020({ strict: true, allErrors: true }).compile(TRACE_EVENT_JSON_SCHEMA);
    const invalid = trace.filter((event) => !validate(event)).slice(0, 3);
    expect(invalid).toEqual([]);
    expect(trace.length).toBeGreaterThan(100);
    expect([...new Set(trace.map((event) => event.type))]).toEqual(expect.arrayContaining(['process', 'file', 'network', 'script', 'notice', 'fsdiff']));
  });

  it('records the script itself, with its command and a content hash', () => {
    const start = mine().find((event) => event.type === 'script' && event.action === 'start');
    expect(start).toMatchObject({ command: 'sh postinstall.sh', commandHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const end = mine().find((event) => event.type === 'script' && event.action === 'end');
    expect(end).toMatchObject({ code: 0 });
  });

  it('sees every process of a shell pipeline', () => {
    for (const binary of ['cat', 'grep', 'wc']) expect(execOf(binary).length).toBeGreaterThan(0);
  });

  it('follows python3 to the grandchild it starts, and can rebuild the chain', () => {
    const echo = execOf('echo').find((event) => event.argv.includes('grandchild-of-postinstall'));
    expect(echo).toBeDefined();
    const python = mine().filter(isExec).find((event) => event.pid === echo!.ppid);
    expect(python?.path).toMatch(/python3/);
    // Walk up from the grandchild to the script's own process.
    const parents = new Map<number, number>();
    for (const event of trace) if (event.type === 'process' && event.action === 'spawn' && event.child) parents.set(event.child, event.pid);
    const scriptPid = mine().find((event) => event.type === 'script' && event.action === 'start')!.pid;
    let pid = echo!.pid;
    const chain = [pid];
    while (pid !== scriptPid && parents.has(pid)) {
      pid = parents.get(pid)!;
      chain.push(pid);
    }
    expect(chain).toContain(scriptPid);
  });

  it('reports the double-forked daemon as lingering, attributed, and kills it', () => {
    const sleep = execOf('sleep')[0];
    expect(sleep).toBeDefined();
    const lingering = trace.filter((event): event is ProcessEvent => event.type === 'process' && event.action === 'lingering');
    expect(lingering.find((event) => event.pid === sleep!.pid)).toMatchObject({ outcome: 'killed', package: BEHAVIOURS, lifecycle: 'postinstall' });
    const exit = trace.find((event) => event.type === 'process' && event.action === 'exit' && event.pid === sleep!.pid);
    expect(exit).toMatchObject({ signal: 'SIGKILL' });
  });

  it('records the read of ~/.npmrc', () => {
    const read = mine().find((event): event is FileEvent => event.type === 'file' && event.action === 'open' && event.path === '/home/node/.npmrc');
    expect(read?.intent).toMatchObject({ read: true, write: false });
  });

  it('records the write to ~/.bashrc, and the file diff attributes it', () => {
    const write = mine().find((event): event is FileEvent => event.type === 'file' && event.action === 'open' && event.path === '/home/node/.bashrc');
    expect(write).toMatchObject({ ok: true, intent: expect.objectContaining({ write: true, create: true }) });
    const diff = trace.find((event) => event.type === 'fsdiff' && event.path === '/home/node/.bashrc');
    expect(diff).toMatchObject({ change: 'created', package: BEHAVIOURS, lifecycle: 'postinstall' });
    // The file's modification time (what attributes a change no traced call explains) falls in the
    // script's run, on the same clock as the trace (ms, to the filesystem's granularity).
    const start = mine().find((event) => event.type === 'script' && event.action === 'start')!;
    const end = mine().find((event) => event.type === 'script' && event.action === 'end')!;
    const mtime = (diff as { mtime?: number }).mtime;
    expect(mtime).toBeGreaterThanOrEqual(start.ts - 10);
    expect(mtime).toBeLessThanOrEqual(end.ts + 10);
  });

  it('records the refused connect to a closed loopback port, with its errno', () => {
    const connect = mine().find((event): event is NetworkEvent => event.type === 'network' && event.action === 'connect' && event.port === 9);
    expect(connect).toMatchObject({ family: 'AF_INET', address: '127.0.0.1', ok: false, errno: 'ECONNREFUSED' });
  });

  describe('a script that attacks the tracer', () => {
    const TAMPER = { name: 'tamper-tracer', version: '1.0.0' };
    const theirs = () => trace.filter((event) => attributedTo(event, TAMPER));

    it('can kill nothing outside its own tree: it sees only its namespace’s init, which the kernel shields; each attempt is in the trace', () => {
      const kills = theirs().filter((event): event is ProcessEvent & { target: number } => event.type === 'process' && event.action === 'signal' && event.signal === 'SIGKILL');
      expect(kills.length).toBeGreaterThanOrEqual(1);
      const scriptPid = theirs().find((event) => event.type === 'script' && event.action === 'start')!.pid;
      // The target is given as strace sees it: the namespace's init, the script's parent's parent.
      const spawns = trace.filter((event) => event.type === 'process' && event.action === 'spawn');
      const parentOf = (pid: number) => spawns.find((event) => 'child' in event && event.child === pid)?.pid;
      for (const kill of kills) expect(kill.target).toBe(parentOf(scriptPid));
      expect(findingsOf(output, 'tamper-tracer@1.0.0')).toMatch(/tracer-tamper in postinstall: .*sent SIGKILL to pid/);
    });

    it('fails to write the tracer output', () => {
      const writes = theirs().filter((event): event is FileEvent => event.type === 'file' && event.path.startsWith('/var/lib/npm-lifecycle/'));
      expect(writes.length).toBe(2);
      for (const write of writes) expect(write).toMatchObject({ ok: false, errno: 'EACCES' });
      expect(trace.some((event) => isExec(event) && event.path === '/forged')).toBe(false);
    });

    it('is caught reaching into the package manager, whose own file calls are not traced', () => {
      const writev = theirs().find((event) => event.type === 'notice' && /^process_vm_writev\(\d+\) called$/.test((event as { message: string }).message));
      // npm is not dumpable (node is execute-only in the image): the same user cannot write into it.
      expect(writev).toMatchObject({ ok: false, errno: 'EPERM' });
      const mem = theirs().filter((event): event is FileEvent => event.type === 'file' && /^\/proc\/\d+\/mem$/.test(event.path));
      expect(mem).toMatchObject([{ ok: false, errno: 'EACCES' }]);
      expect(findingsOf(output, 'tamper-tracer@1.0.0')).toMatch(/tracer-tamper in postinstall: .*code injection/);
    });

    it('gets no untraced script from the script broker, and its requests are in the trace', () => {
      const asks = theirs().filter((event) => event.type === 'network' && event.action === 'connect' && event.address === '127.0.0.1');
      expect(asks.length).toBeGreaterThanOrEqual(2);
      // It names pids of its own namespace, which mean other processes (or none) to the broker.
      const refusals = trace.filter((event) => event.type === 'notice' && /script broker refused a request/.test((event as { message: string }).message));
      expect(refusals.length).toBe(asks.length);
      expect(theirs().filter((event) => event.type === 'script' && event.action === 'start').length).toBe(1);
    });

    it('is still traced after its attempts', () => {
      const last = theirs().filter((event): event is FileEvent => event.type === 'file' && event.path === '/etc/hostname');
      expect(last.length).toBeGreaterThan(0);
      expect(theirs().find((event) => event.type === 'script' && event.action === 'end')).toMatchObject({ code: 0 });
    });
  });

  describe('what a script can learn about what watches it', () => {
    const facts = (key: string): unknown[] =>
      output
        .split('\n')
        .map((line) => new RegExp(`observer-probe ${key} (.*)$`).exec(line)?.[1])
        .filter((json): json is string => json !== undefined)
        .map((json) => JSON.parse(json) as unknown);
    const TOOL_WORDS = /safe.?install|sandbox|decoy|honey|canary|tracer|strace/i;

    it('reads TracerPid 0: its tracer is outside its PID namespace', () => {
      expect(facts('tracer-pid')).toEqual(['0']);
    });

    it('sees no runner, tracer, broker or package manager: only its namespace’s init, titled as npm, and itself', () => {
      const processes = facts('process') as Array<{ pid: number; comm: string; cmdline: string[] }>;
      expect(processes.find((p) => p.pid === 1)).toMatchObject({ comm: 'npm ci', cmdline: ['npm ci'] });
      for (const p of processes.filter((p) => p.pid !== 1)) expect([['sh', '-c', 'node probe.js'], ['node', 'probe.js']]).toContainEqual(p.cmdline);
      for (const p of processes) expect(`${p.comm} ${p.cmdline.join(' ')}`).not.toMatch(/tini|strace|runner|npm-lifecycle/);
    });

    it('finds no tool name in its environment, argv, mounts, host name, process titles or the folders it lists', () => {
      const texts = [...facts('env'), ...facts('argv'), ...facts('mount'), ...facts('hostname'), ...facts('process'), ...facts('files')].map((fact) => JSON.stringify(fact));
      expect(texts.length).toBeGreaterThan(50);
      expect(texts.filter((text) => TOOL_WORDS.test(text))).toEqual([]);
      // The trace and gateway folders are not even mounted where it looks.
      expect(facts('mount').filter((line) => / \/(?:var\/lib\/npm-lifecycle|run\/gateway) /.test(String(line)))).toEqual([]);
    });

    it('sees the registry URL a CI job would have: the real registry’s host and path, not the proxy’s address', async () => {
      const host = (await execa('npm', ['config', 'get', 'registry'], { cwd: project })).stdout.trim();
      const [registry] = facts('registry') as string[];
      expect(registry).toBe(advertisedRegistryUrl(host));
      expect(new URL(registry!).hostname).toBe(new URL(host).hostname);
      expect(registry).not.toMatch(/127\.0\.0\.1|localhost|\/r\/\d+\//);
      // Its scheme too: an https registry is https in the sandbox (the gateway ends that TLS).
      expect(new URL(registry!).protocol).toBe(new URL(host).protocol);
      // npm exports a setting to scripts only when it differs from npm's default: no variable for
      // the default registry (as in CI), else the same URL.
      const [env] = facts('registry-env');
      expect([null, registry]).toContainEqual(env);
    });

    it('talks TLS to that registry with node and curl, as a CI job could: both trust the run’s CA through the system bundle', () => {
      const tls = facts('tls') as Array<{ client: string; status: unknown }>;
      expect(tls.map((fact) => fact.client).sort()).toEqual(['curl', 'node']);
      // Any answer from the registry will do (the probe's own name may not be published): what
      // matters is that the handshake succeeded, not a certificate error.
      expect(tls.find((fact) => fact.client === 'node')?.status).toEqual(expect.any(Number));
      expect(String(tls.find((fact) => fact.client === 'curl')?.status)).toMatch(/^\d{3}$/);
    });

    it('counts the CPUs of the machine, not the one its tracer keeps to', () => {
      const [cpus] = facts('cpus') as Array<{ cpus: number; parallelism: number; nproc: number }>;
      expect(cpus).toEqual({ cpus: expect.any(Number), parallelism: availableParallelism(), nproc: availableParallelism() });
      expect(cpus!.cpus).toBeGreaterThanOrEqual(availableParallelism());
    });
  });
});
