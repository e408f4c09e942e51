import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RawEvent } from '@safe-install/schema';
import { traceToEvents } from './index.js';
import { StraceReader } from './reader.js';
import { DEFAULT_LIFECYCLE_MARKER, EventBuilder, mtimeSet } from './to-events.js';
import type { EventBuilderOptions } from './to-events.js';

const fixturesDir = fileURLToPath(new URL('../../src/strace/fixtures/', import.meta.url));
const fixture = (name: string): string => readFileSync(`${fixturesDir}${name}`, 'utf8');

const MARKER = DEFAULT_LIFECYCLE_MARKER;
const sha256 = (text: string | Uint8Array): string => createHash('sha256').update(text).digest('hex');

/** Hand-written lines: `pid body`, given increasing timestamps. */
function trace(lines: string[]): string {
  return `${lines.map((l, i) => l.replace(/^(\d+) /, (_, pid: string) => `${pid} ${1000 + i}.000000 `)).join('\n')}\n`;
}

function convert(text: string, options: Partial<EventBuilderOptions> = {}): ReturnType<typeof traceToEvents> {
  return traceToEvents(text, { rootCwd: '/work', ...options });
}

function ofType<T extends RawEvent['type']>(events: RawEvent[], type: T): Extract<RawEvent, { type: T }>[] {
  return events.filter((e): e is Extract<RawEvent, { type: T }> => e.type === type);
}

type ProcessAction = Extract<RawEvent, { type: 'process' }>['action'];
function processEvents<A extends ProcessAction>(
  events: RawEvent[],
  action: A,
): Extract<RawEvent, { type: 'process'; action: A }>[] {
  return events.filter(
    (e): e is Extract<RawEvent, { type: 'process'; action: A }> => e.type === 'process' && e.action === action,
  );
}

/** An npm-like root that spawns a child which execs the marker for `name`. */
function scriptLines(child: number, name: string, command = 'node install.js', event = 'install'): string[] {
  return [
    `100 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x1) = ${child}`,
    `${child} chdir("/work/node_modules/${name}") = 0`,
    `${child} execve("${MARKER}", ["${MARKER}", "--run", "${name}", "1.0.0", "${event}", ${JSON.stringify(command)}], 0x1 /* 9 vars */) = 0`,
  ];
}

const ROOT = ['100 execve("/usr/bin/node", ["node", "npm-cli.js", "ci"], 0x1 /* 9 vars */) = 0'];

describe('process table', () => {
  it('takes the first pid as root with the given cwd, resolving relative paths against it', () => {
    const { events } = convert(
      trace(['100 execve("bin/node", ["node"], 0x1 /* 1 vars */) = 0', '100 mkdir("out", 0755) = 0']),
    );
    expect(events[0]).toMatchObject({
      type: 'process',
      action: 'exec',
      pid: 100,
      ppid: 0,
      path: '/work/bin/node',
      cwd: '/work',
      ok: true,
    });
    expect(events[1]).toMatchObject({ type: 'file', action: 'mkdir', path: '/work/out', mode: '0755' });
    expect(events.every((e) => e.source === 'tracer')).toBe(true);
  });

  it('gives a forked child its own copy of the cwd, a thread a shared one', () => {
    const { events } = convert(
      trace([
        ...ROOT,
        '100 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x1) = 101',
        '101 chdir("/tmp") = 0',
        '100 mkdir("a", 0700) = 0',
        '100 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, exit_signal=0} => {parent_tid=[102]}, 88) = 102',
        '102 chdir("/srv") = 0',
        '100 mkdir("b", 0700) = 0',
        '101 mkdir("c", 0700) = 0',
      ]),
    );
    expect(ofType(events, 'file').map((e) => e.path)).toEqual(['/work/a', '/srv/b', '/tmp/c']);
    expect(processEvents(events, 'spawn')).toMatchObject([
      { child: 101, syscall: 'clone', thread: false },
      { child: 102, syscall: 'clone3', thread: true },
    ]);
  });

  it('holds a vfork child whose lines come before its parent’s vfork returns', () => {
    const { events, table } = convert(fixture('shell-pipeline.txt'), { rootCwd: '/tmp/rec' });
    const mkdirSpawn = events.findIndex((e) => e.type === 'process' && e.action === 'spawn' && e.child === 15584);
    const mkdirExec = events.findIndex((e) => e.type === 'process' && e.action === 'exec' && e.pid === 15584);
    expect(mkdirSpawn).toBeGreaterThanOrEqual(0);
    expect(mkdirExec).toBeGreaterThan(mkdirSpawn);
    expect(events[mkdirExec]).toMatchObject({
      ppid: 15581,
      path: '/usr/bin/mkdir',
      argv: ['mkdir', '-p', '/tmp/play/d/e'],
      cwd: '/tmp',
    });
    expect(table.chain(15584)).toEqual([15584, 15581]);
    expect(events.filter((e) => e.ppid === 0 && e.pid !== 15581)).toEqual([]);
  });

  it('follows chdir and fchdir (via the fd decoration)', () => {
    const { events } = convert(fixture('shell-pipeline.txt'), { rootCwd: '/tmp/rec' });
    const mkdirs = ofType(events, 'file').filter((e) => e.action === 'mkdir' && e.pid === 15584);
    expect(mkdirs.map((e) => [e.path, e.ok, e.errno])).toEqual([
      ['/tmp', false, 'EEXIST'],
      ['/tmp/play', false, 'EEXIST'],
      ['/tmp/play/d', true, undefined],
      ['/tmp/play/d/e', true, undefined],
    ]);
  });

  it('reports clone3 with CLONE_VFORK (posix_spawn) as a process, not a thread', () => {
    const { events } = convert(fixture('python-misc.txt'), { rootCwd: '/tmp/rec' });
    expect(processEvents(events, 'spawn').find((e) => e.child === 15680)).toMatchObject({
      syscall: 'clone3',
      thread: false,
      pid: 15675,
    });
    expect(processEvents(events, 'exec').find((e) => e.pid === 15680)).toMatchObject({
      path: '/bin/true',
      ppid: 15675,
    });
  });

  it('reports one exit per process, none per thread', () => {
    const { events } = convert(fixture('node-fs-net.txt'), { rootCwd: '/tmp/rec' });
    expect(processEvents(events, 'spawn').filter((e) => e.thread)).toHaveLength(10);
    expect(processEvents(events, 'exit')).toMatchObject([{ pid: 15624, code: 0 }]);
  });

  it('reports deaths by signal, and exit codes', () => {
    expect(processEvents(convert(fixture('killed-segv.txt')).events, 'exit')).toMatchObject([
      { pid: 15801, signal: 'SIGSEGV' },
    ]);
    const misc = processEvents(convert(fixture('python-misc.txt')).events, 'exit');
    expect(misc.find((e) => e.pid === 15676)).toMatchObject({ signal: 'SIGKILL' });
    expect(misc.find((e) => e.pid === 15677)).toMatchObject({ code: 3 });
  });

  it('emits the exit of a process whose exit_group was seen but not its `+++` line', () => {
    const { events } = convert(trace([...ROOT, '100 exit_group(3) = ?']));
    expect(processEvents(events, 'exit')).toMatchObject([{ pid: 100, code: 3 }]);
  });

  it('reports an execve from a thread under the leader’s pid, as a success', () => {
    const { events, table } = convert(fixture('thread-exec.txt'), { rootCwd: '/tmp/rec' });
    const execs = processEvents(events, 'exec');
    expect(execs[1]).toMatchObject({ pid: 15791, path: '/bin/echo', argv: ['/bin/echo', 'from-thread'], ok: true });
    expect(execs[1]).not.toHaveProperty('errno');
    expect(processEvents(events, 'exit')).toMatchObject([{ pid: 15791, code: 0 }]);
    expect(table.processInfo(15792)).toMatchObject({ thread: true, alive: false });
    expect(table.processInfo(15791)).toMatchObject({ exe: '/bin/echo', alive: false, exitCode: 0 });
  });

  it('ignores the `+++ exited` of threads an exec took away', () => {
    const { events, builder } = convert(fixture('exec-with-threads.txt'), { rootCwd: '/tmp/rec' });
    expect(processEvents(events, 'exit')).toMatchObject([{ pid: 18227, code: 0 }]);
    expect(builder.orphans).toBe(0);
  });

  it('reports failed execs with their errno (a PATH search)', () => {
    const { events } = convert(fixture('python-children.txt'), { rootCwd: '/tmp/rec' });
    const failed = processEvents(events, 'exec').filter((e) => e.ok === false);
    expect(failed.length).toBeGreaterThan(2);
    expect(failed.every((e) => e.errno === 'ENOENT' && e.argv[0] === 'does-not-exist')).toBe(true);
  });

  it('resolves execveat against its dirfd', () => {
    const { events } = convert(fixture('c-syscalls.txt'), { rootCwd: '/tmp/rec' });
    expect(processEvents(events, 'exec').find((e) => e.pid === 15768)).toMatchObject({
      path: '/usr/bin/echo',
      argv: ['echo', 'via-execveat'],
      cwd: '/tmp',
    });
  });

  it('marks an argv strace cut short as truncated', () => {
    const { events } = convert(fixture('long-argv.txt'), { rootCwd: '/tmp/rec' });
    const exec = processEvents(events, 'exec').find((e) => e.path === '/bin/true');
    expect(exec).toMatchObject({ truncated: true, ok: true });
    const argv = exec?.argv ?? [];
    expect(argv).toHaveLength(4096);
    expect(argv[1]).toBe('a'.repeat(4096));
    expect(argv.at(-1)).toBe('4094');
  });

  it('keeps a double-forked daemon in its ancestry chain', () => {
    const { table, events } = convert(fixture('double-fork-daemon.txt'), { rootCwd: '/tmp/rec' });
    expect(table.chain(15600)).toEqual([15600, 15599, 15598]);
    expect(ofType(events, 'file').find((e) => e.path === '/tmp/play/daemon.log')).toMatchObject({
      pid: 15600,
      ppid: 15599,
    });
    expect(table.chain(4242)).toEqual([]);
    expect(table.liveProcesses()).toEqual([]);
  });

  it('gives events of a pid never seen spawned ppid 0, and says so', () => {
    const { events, builder } = convert(
      trace([...ROOT, '555 openat(AT_FDCWD</var>, "x", O_RDONLY) = 3</var/x>', '555 +++ exited with 0 +++']),
    );
    expect(ofType(events, 'file')).toMatchObject([{ pid: 555, ppid: 0, path: '/var/x' }]);
    expect(ofType(events, 'notice')[0]?.message).toMatch(/pid 555 has no known parent/);
    expect(processEvents(events, 'exit')).toMatchObject([{ pid: 555, code: 0 }]);
    expect(builder.orphans).toBe(1);
  });

  it('tracks a recycled pid as a new process', () => {
    const { events } = convert(
      trace([
        ...ROOT,
        ...scriptLines(101, 'a'),
        '101 +++ exited with 0 +++',
        '100 clone(child_stack=NULL, flags=SIGCHLD, child_tidptr=0x1) = 102',
        '102 clone(child_stack=NULL, flags=SIGCHLD, child_tidptr=0x1) = 101',
        '101 mkdir("/tmp/x", 0700) = 0',
      ]),
    );
    const mkdir = ofType(events, 'file').find((e) => e.action === 'mkdir');
    expect(mkdir).toMatchObject({ pid: 101, ppid: 102 });
    expect(mkdir).not.toHaveProperty('package');
  });

  it('lists live processes and what lingers after a script', () => {
    const reader = new StraceReader();
    const builder = new EventBuilder({ rootCwd: '/tmp/rec', lifecycleMarker: '/tmp/rec/npm-lifecycle' });
    let lingering: number[] | null = null;
    for (const entry of [...reader.push(fixture('lifecycle.txt')), ...reader.end()]) {
      for (const event of builder.consume(entry)) {
        if (event.type === 'script' && event.action === 'end' && event.pid === 16115) {
          lingering = builder.lingeringAt(16115);
          expect(builder.liveProcesses()).toEqual(expect.arrayContaining([16104, 16117, 16119]));
        }
      }
    }
    expect(lingering).toEqual([16117, 16119]);
    expect(builder.lingeringAt(16121)).toEqual([]);
    expect(builder.lingeringAt(999)).toEqual([]);
    expect(builder.attributionOf(16119)).toEqual({
      package: { name: 'evil-pkg', version: '1.2.3' },
      lifecycle: 'postinstall',
      run: 1,
    });
    expect(builder.attributionOf(16104)).toEqual({});
    expect(builder.parentOf(16119)).toBe(16117);
    expect(builder.parentOf(1)).toBe(0);
    expect(builder.lingeringEvent(16119, 'killed', 5)).toEqual({
      ts: 5,
      source: 'tracer',
      pid: 16119,
      ppid: 16117,
      package: { name: 'evil-pkg', version: '1.2.3' },
      lifecycle: 'postinstall',
      run: 1,
      type: 'process',
      action: 'lingering',
      outcome: 'killed',
    });
    expect(builder.lingeringEvent(7, 'exited', 5)).toMatchObject({ pid: 7, ppid: 0, outcome: 'exited' });
  });
});

describe('file events', () => {
  it('reads open intents and prefers the kernel’s resolved path', () => {
    const { events } = convert(
      trace([
        ...ROOT,
        '100 openat(AT_FDCWD</work>, "../etc/passwd", O_RDONLY|O_CLOEXEC) = 3</etc/passwd>',
        '100 openat(AT_FDCWD</work>, "/bin/sh", O_RDONLY) = 3</usr/bin/sh>',
        '100 open("out.txt", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 4</work/out.txt>',
        '100 openat(AT_FDCWD</work>, "db", O_RDWR|O_CREAT|O_APPEND, 0600) = -1 EACCES (Permission denied)',
        '100 creat("new", 0644) = 5</work/new>',
        '100 openat2(AT_FDCWD</work>, "x", {flags=O_WRONLY|O_CREAT, resolve=RESOLVE_BENEATH}, 24) = 6</work/x>',
        '100 openat(AT_FDCWD</work>, "/tmp", O_RDWR|O_TMPFILE, 0600) = 7</tmp/#1234 (deleted)>',
        '100 openat(AT_FDCWD</work>, "/proc/self/fd", O_RDONLY|O_PATH) = 8<pipe:[1]>',
      ]),
    );
    expect(ofType(events, 'file').map((e) => [e.path, e.intent, e.ok ?? null, e.errno ?? null])).toEqual([
      ['/etc/passwd', { read: true, write: false, create: false, truncate: false }, true, null],
      ['/usr/bin/sh', { read: true, write: false, create: false, truncate: false }, true, null],
      ['/work/out.txt', { read: false, write: true, create: true, truncate: true }, true, null],
      ['/work/db', { read: true, write: true, create: true, truncate: false }, false, 'EACCES'],
      ['/work/new', { read: false, write: true, create: true, truncate: true }, true, null],
      ['/work/x', { read: false, write: true, create: true, truncate: false }, true, null],
      ['/tmp', { read: true, write: true, create: true, truncate: false }, true, null],
      ['/proc/self/fd', { read: false, write: false, create: false, truncate: false }, true, null],
    ]);
  });

  it('resolves against dirfd decorations, the AT_FDCWD one included', () => {
    const { events } = convert(fixture('shell-pipeline.txt'), { rootCwd: '/tmp/rec' });
    const rm = ofType(events, 'file').filter((e) => e.pid === 15589 && e.action !== 'open');
    expect(rm.map((e) => [e.action, e.path])).toEqual([
      ['rmdir', '/tmp/play/d/e'],
      ['rmdir', '/tmp/play/d'],
      ['unlink', '/tmp/play/h2'],
      ['unlink', '/tmp/play/l'],
    ]);
  });

  it('names an undecorated dirfd through /proc rather than guess', () => {
    const { events } = convert(trace([...ROOT, '100 unlinkat(7, "x/../y", 0) = 0', '100 fchmod(9, 0755) = 0']));
    expect(ofType(events, 'file').map((e) => e.path)).toEqual(['/proc/100/fd/7/y', '/proc/100/fd/9']);
  });

  it('reads rename, link, symlink, chmod and mkdir variants', () => {
    const { events } = convert(fixture('c-syscalls.txt'), { rootCwd: '/tmp/rec' });
    const files = ofType(events, 'file').filter((e) => e.action !== 'open');
    expect(files.map((e) => [e.action, e.path, e.target ?? null, e.mode ?? null])).toEqual([
      ['link', '/tmp/play/created.txt', '/tmp/play/linked.txt', null],
      ['symlink', '/tmp/play/created.txt', '/tmp/play/sym.txt', null],
      ['rename', '/tmp/play/linked.txt', '/tmp/play/renamed.txt', null],
      ['mkdir', '/tmp/play/sub', null, '0700'],
      ['chmod', '/tmp/play/created.txt', null, '0444'],
      ['unlink', '/tmp/play/created.txt', null, null],
      ['unlink', '/tmp/play/renamed.txt', null, null],
      ['unlink', '/tmp/play/sym.txt', null, null],
      ['rmdir', '/tmp/play/sub', null, null],
    ]);
    const shell = ofType(convert(fixture('shell-pipeline.txt')).events, 'file').filter(
      (e) => e.action !== 'open' && e.action !== 'mkdir',
    );
    expect(shell.slice(0, 4).map((e) => [e.action, e.path, e.target ?? null, e.mode ?? null])).toEqual([
      ['chmod', '/tmp/play/x.txt', null, '0600'],
      ['symlink', '/tmp/play/x.txt', '/tmp/play/l', null],
      ['link', '/tmp/play/x.txt', '/tmp/play/h', null],
      ['rename', '/tmp/play/h', '/tmp/play/h2', null],
    ]);
  });

  it('reads the time-setting calls as utime events with the modification time they set (strace 6 output)', () => {
    const { events } = convert(
      trace([
        ...ROOT,
        '100 utimensat(AT_FDCWD</work>, "a", [{tv_sec=499137600, tv_nsec=0} /* 1985-10-26T01:20:00+0000 */, {tv_sec=499137600, tv_nsec=123456789} /* 1985-10-26T01:20:00.123456789+0000 */], 0) = 0',
        '100 utimensat(AT_FDCWD</work>, "b", NULL, 0) = 0',
        '100 utimensat(3</work/d>, NULL, [{tv_sec=30, tv_nsec=5000} /* 1970-01-01T00:00:30.000005000+0000 */, {tv_sec=40, tv_nsec=7000} /* 1970-01-01T00:00:40.000007000+0000 */], 0) = 0',
        '100 utimensat(0</work/t>, NULL, [UTIME_OMIT, {tv_sec=978307200, tv_nsec=0} /* 2001-01-01T00:00:00+0000 */], 0) = 0',
        '100 utimensat(0</work/now>, NULL, [UTIME_OMIT, UTIME_NOW], 0) = 0',
        '100 utimensat(0</work/atime-only>, NULL, [UTIME_NOW, UTIME_OMIT], 0) = 0',
        '100 utime("u", {actime=10 /* 1970-01-01T00:00:10+0000 */, modtime=20 /* 1970-01-01T00:00:20+0000 */}) = 0',
        '100 utime("u0", NULL) = 0',
        '100 utimes("v", [{tv_sec=30, tv_usec=5} /* 1970-01-01T00:00:30.000005+0000 */, {tv_sec=40, tv_usec=7} /* 1970-01-01T00:00:40.000007+0000 */]) = 0',
        '100 futimesat(AT_FDCWD</work>, "w", [{tv_sec=30, tv_usec=5}, {tv_sec=50, tv_usec=0}]) = 0',
        '100 utimensat(AT_FDCWD</work>, "gone", [{tv_sec=1, tv_nsec=0}, {tv_sec=2, tv_nsec=0}], 0) = -1 ENOENT (No such file or directory)',
        '100 utimensat(AT_FDCWD</work>, "x", 0x7ffd0000, 0) = -1 EFAULT (Bad address)',
      ]),
    );
    const utimes = ofType(events, 'file').filter((e) => e.action === 'utime');
    const at = (i: number): number => (1000 + ROOT.length + i) * 1000;
    expect(utimes.map((e) => [e.path, e.mtime ?? null, e.ok])).toEqual([
      ['/work/a', 499137600123.45679, true],
      ['/work/b', at(1), true],
      ['/work/d', 40000.007, true],
      ['/work/t', 978307200000, true],
      ['/work/now', at(4), true],
      ['/work/u', 20000, true],
      ['/work/u0', at(7), true],
      ['/work/v', 40000.007, true],
      ['/work/w', 50000, true],
      ['/work/gone', 2000, false],
      ['/work/x', null, false],
    ]);
  });

  it('reads no time from hostile or cut time arguments, and never throws', () => {
    for (const bad of ['', '[', '[{', '[{tv_sec=1}', '{', '[1, 2]', '[{tv_sec=x, tv_nsec=0}, {tv_sec=y, tv_nsec=0}]', '[{}, {}]', '{actime=1}', '0x1', `[${'['.repeat(5000)}`]) {
      for (const call of ['utime', 'utimes', 'utimensat', 'futimesat']) expect(mtimeSet(call, bad, 5)).toBeUndefined();
    }
    expect(mtimeSet('utimensat', '[{tv_sec=1, tv_nsec=0}, {tv_sec=999999999999999999999999, tv_nsec=0}]', 5)).toBeUndefined();
    expect(mtimeSet('utimensat', '[{tv_sec=1, tv_nsec=0}, {tv_sec=-1, tv_nsec=0}]', 5)).toBe(-1000);
    expect(mtimeSet('utimensat', '[UTIME_NOW, {tv_sec=0, tv_nsec=UTIME_OMIT}]', 5)).toBe('omit');
  });

  it('resolves a relative symlink target from the link’s directory', () => {
    const { events } = convert(trace([...ROOT, '100 symlink("../../etc/passwd", "node_modules/x/passwd") = 0']));
    expect(ofType(events, 'file')).toMatchObject([
      { action: 'symlink', path: '/work/etc/passwd', target: '/work/node_modules/x/passwd' },
    ]);
  });

  it('keeps setuid and sticky bits in modes', () => {
    const { events } = convert(fixture('c-net.txt'), { rootCwd: '/tmp/rec' });
    expect(
      ofType(events, 'file')
        .filter((e) => e.mode !== undefined)
        .map((e) => [e.action, e.mode]),
    ).toEqual([
      ['chmod', '04755'],
      ['mkdir', '01777'],
    ]);
  });

  it('decodes non-UTF-8 and escaped file names', () => {
    const misc = ofType(convert(fixture('python-misc.txt')).events, 'file');
    expect(misc.filter((e) => e.path.startsWith('/tmp/play/bad-')).map((e) => e.path)).toEqual([
      '/tmp/play/bad-\uFFFD\uFFFD-name\n"q"\\',
      '/tmp/play/bad-\uFFFD\uFFFD-name\n"q"\\',
    ]);
    const weird = ofType(convert(fixture('weird-names.txt')).events, 'file').filter((e) => e.action === 'unlink');
    expect(weird.map((e) => e.path)).toEqual([
      '/tmp/play/dir>x/f',
      '/tmp/play/a>b<c',
      '/tmp/play/sp ace',
      '/tmp/play/tab\tx',
      '/tmp/play/ünï',
    ]);
  });
});

describe('network events', () => {
  it('reads connects of every family, and their failures', () => {
    const { events } = convert(fixture('node-fs-net.txt'), { rootCwd: '/tmp/rec' });
    expect(
      ofType(events, 'network').map((e) => [e.action, e.family, e.address ?? null, e.port ?? null, e.errno ?? null]),
    ).toEqual([
      ['connect', 'AF_INET', '127.0.0.1', 1, 'EINPROGRESS'],
      ['connect', 'AF_INET6', '::1', 1, 'EINPROGRESS'],
      ['connect', 'AF_UNIX', '/tmp/play/no-such.sock', null, 'ENOENT'],
      ['bind', 'AF_INET', '127.0.0.1', 0, null],
      ['connect', 'AF_INET', '127.0.0.1', 38427, 'EINPROGRESS'],
      ['bind', 'AF_INET', '0.0.0.0', 0, null],
      ['sendmsg', 'AF_INET', '127.0.0.1', 9, null],
    ]);
  });

  it('keeps the payload of sendto, and finds the peer of a connected socket', () => {
    const { events } = convert(fixture('python-misc.txt'), { rootCwd: '/tmp/rec' });
    const net = ofType(events, 'network');
    expect(net[0]).toMatchObject({
      action: 'sendto',
      family: 'AF_INET',
      address: '127.0.0.1',
      port: 9,
      data: 'GET / HTTP/1.1\r\nHost: x\r\n\r\n\0\uFFFD"quoted"\\',
      ok: true,
    });
    expect(net[2]).toMatchObject({ action: 'sendto', address: '127.0.0.1', port: 9, data: 'connected-udp' });
    expect(net.find((e) => e.errno === 'ECONNREFUSED')).toMatchObject({ action: 'connect', port: 1 });
  });

  it('reads sendmmsg as one event per message, ok only for those sent', () => {
    const { events } = convert(fixture('c-net.txt'), { rootCwd: '/tmp/rec' });
    const sends = ofType(events, 'network').filter((e) => e.action === 'sendmsg');
    expect(sends.map((e) => [e.family, e.address, e.port, e.data, e.ok])).toEqual([
      ['AF_INET', '127.0.0.1', 53, '\x124\x01\0\0\x01query-one', true],
      ['AF_INET', '127.0.0.1', 53, 'query-two', false],
      ['AF_INET6', '::1', 9, '\x124\x01\0\0\x01query-one', true],
    ]);
  });

  it('reads netlink, abstract and relative unix binds', () => {
    const { events } = convert(fixture('c-net.txt'), { rootCwd: '/tmp/rec' });
    const binds = ofType(events, 'network').filter((e) => e.action === 'bind');
    expect(binds.map((e) => [e.family, e.address ?? null, e.ok])).toEqual([
      ['AF_NETLINK', null, true],
      ['AF_UNIX', '@abstract-name', true],
      ['AF_UNIX', '/tmp/play/rel.sock', false],
      ['AF_INET', '127.0.0.1', false],
    ]);
  });

  it('reports a send on an unknown socket with family unknown, and uses -yy peers', () => {
    const { events } = convert(
      trace([
        ...ROOT,
        '100 sendto(3<socket:[99]>, "x", 1, 0, NULL, 0) = 1',
        '100 sendto(4<TCP:[127.0.0.1:40000->127.0.0.1:8080]>, "y", 1, MSG_NOSIGNAL, NULL, 0) = 1',
        '100 sendmsg(5<socket:[7]>, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="a", iov_len=1}, {iov_base="b", iov_len=1}], msg_iovlen=2, msg_controllen=0, msg_flags=0}, 0) = 2',
      ]),
    );
    expect(ofType(events, 'network').map((e) => [e.family, e.address ?? null, e.port ?? null, e.data])).toEqual([
      ['unknown', null, null, 'x'],
      ['AF_INET', '127.0.0.1', 8080, 'y'],
      ['unknown', null, null, 'ab'],
    ]);
  });

  it('keeps a connect cut short by a kill, without a result', () => {
    const { events } = convert(
      trace([
        ...ROOT,
        '100 connect(3<socket:[1]>, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("127.0.0.1")}, 16 <unfinished ...>',
        '100 +++ killed by SIGKILL +++',
      ]),
    );
    const connect = ofType(events, 'network')[0];
    expect(connect).toMatchObject({ action: 'connect', address: '127.0.0.1', port: 443 });
    expect(connect).not.toHaveProperty('ok');
    expect(ofType(events, 'notice').at(-1)?.message).toMatch(/1 call\(s\) without result/);
  });
});

describe('signal events', () => {
  it('reads kill, tkill and tgkill with targets and signal names', () => {
    const { events } = convert(
      trace([
        ...ROOT,
        '100 kill(1, SIGKILL) = -1 EPERM (Operation not permitted)',
        '100 tkill(7, SIGSTOP) = 0',
        '100 tgkill(8, 9, SIGTERM) = 0',
      ]),
    );
    expect(processEvents(events, 'signal').map((e) => [e.target, e.signal, e.ok])).toEqual([
      [1, 'SIGKILL', false],
      [7, 'SIGSTOP', true],
      [8, 'SIGTERM', true],
    ]);
    const c = processEvents(convert(fixture('c-syscalls.txt')).events, 'signal');
    expect(c.map((e) => [e.target, e.signal, e.errno ?? null])).toEqual([
      [999999, 'SIGTERM', 'ESRCH'],
      [15767, '0', null],
      [15767, '0', null],
    ]);
  });

  it('records looks at paths (stat), never an fstat of an open file', () => {
    const { events } = convert(
      trace([
        ...ROOT,
        '100 newfstatat(AT_FDCWD, "/.dockerenv", {st_mode=S_IFREG|0755, st_size=0, ...}, 0) = 0',
        '100 newfstatat(AT_FDCWD, "gh", 0x7ffd, 0) = -1 ENOENT (No such file or directory)',
        '100 newfstatat(3</etc>, "passwd", {st_mode=S_IFREG|0644, st_size=1, ...}, AT_SYMLINK_NOFOLLOW) = 0',
        '100 newfstatat(3</etc/hostname>, "", {st_mode=S_IFREG|0644, st_size=1, ...}, AT_EMPTY_PATH) = 0',
        '100 stat("/root", 0x7ffd) = -1 EACCES (Permission denied)',
        '100 lstat("link", {st_mode=S_IFLNK|0777, st_size=4, ...}) = 0',
      ]),
    );
    expect(ofType(events, 'file').map((e) => [e.action, e.path, e.ok, e.errno])).toEqual([
      ['stat', '/.dockerenv', true, undefined],
      ['stat', '/work/gh', false, 'ENOENT'],
      ['stat', '/etc/passwd', true, undefined],
      ['stat', '/root', false, 'EACCES'],
      ['stat', '/work/link', true, undefined],
    ]);
  });

  it('notes calls that reach into another process\'s memory', () => {
    const { events } = convert(
      trace([...ROOT, '100 process_vm_writev(25, [{iov_base="\\x90\\x90", iov_len=2}], 1, [{iov_base=0x7f00, iov_len=2}], 1, 0) = 2', '100 process_vm_readv(26, [], 0, [], 0, 0) = -1 EPERM (Operation not permitted)']),
    );
    expect(ofType(events, 'notice')).toMatchObject([
      { message: 'process_vm_writev(25) called', ok: true },
      { message: 'process_vm_readv(26) called', ok: false, errno: 'EPERM' },
    ]);
  });

  it('notes ptrace calls', () => {
    const { events } = convert(trace([...ROOT, '100 ptrace(PTRACE_TRACEME) = -1 EPERM (Operation not permitted)']));
    expect(ofType(events, 'notice')).toMatchObject([
      { message: 'ptrace(PTRACE_TRACEME) called', ok: false, errno: 'EPERM' },
    ]);
  });
});

describe('a script in a PID namespace of its own (--pidns-translation)', () => {
  // As strace prints it: the namespace entry (41) outside, its init (42, pid 1 inside), the script (43,
  // pid 2 inside) and its child (44, pid 3 inside). Pids the script names or gets back are its own,
  // with strace's after them in a comment; the trace keeps strace's.
  const lines = [
    ...ROOT,
    `100 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x1) = 41`,
    `41 execve("${MARKER}", ["${MARKER}", "--enter", "1000", "1000", "npm ci", "/var/lib/x", "ns-pkg", "1.0.0", "postinstall", "sh x.sh"], 0x1 /* 0 vars */) = 0`,
    '41 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x1) = 42',
    "42 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x1) = 2 /* 43 in strace's PID NS */",
    `43 execve("${MARKER}", ["${MARKER}", "--run", "ns-pkg", "1.0.0", "postinstall", "sh x.sh"], 0x1 /* 9 vars */) = 0`,
    '43 vfork( <unfinished ...>',
    '44 execve("/usr/bin/python3", ["python3"], 0x1 /* 9 vars */) = 0',
    "43 <... vfork resumed>) = 3 /* 44 in strace's PID NS */",
    "44 kill(1 /* 42 in strace's PID NS */, SIGKILL) = 0",
    "44 tgkill(3 /* 44 in strace's PID NS */, 3 /* 44 in strace's PID NS */, SIGTERM) = 0",
    '44 kill(77, SIGTERM) = -1 ESRCH (No such process)',
    "44 ptrace(PTRACE_ATTACH, 1 /* 42 in strace's PID NS */) = -1 EPERM (Operation not permitted)",
    "44 process_vm_writev(1 /* 42 in strace's PID NS */, [], 0, [], 0, 0) = -1 EPERM (Operation not permitted)",
  ];

  it('builds the tree from strace’s pids, and attributes the script and its children', () => {
    const { events } = convert(trace(lines));
    expect(processEvents(events, 'spawn').map((e) => [e.pid, e.child])).toEqual([
      [100, 41],
      [41, 42],
      [42, 43],
      [43, 44],
    ]);
    const start = ofType(events, 'script').find((e) => e.action === 'start');
    expect(start).toMatchObject({ pid: 43, ppid: 42, package: { name: 'ns-pkg', version: '1.0.0' } });
    const python = processEvents(events, 'exec').find((e) => e.path === '/usr/bin/python3');
    expect(python).toMatchObject({ pid: 44, ppid: 43, package: { name: 'ns-pkg' }, lifecycle: 'postinstall' });
  });

  it('gives signal targets and reached-into processes as strace’s pids; an untranslatable one as written', () => {
    const { events } = convert(trace(lines));
    expect(processEvents(events, 'signal').map((e) => [e.target, e.signal, e.ok])).toEqual([
      [42, 'SIGKILL', true],
      [44, 'SIGTERM', true],
      [77, 'SIGTERM', false],
    ]);
    expect(ofType(events, 'notice').map((e) => e.message)).toEqual(['ptrace(PTRACE_ATTACH, 42) called', 'process_vm_writev(42) called']);
  });
});

describe('attribution', () => {
  it('attributes a recorded script and its whole subtree, and refuses a spoof from inside it', () => {
    const { events, builder } = convert(fixture('lifecycle.txt'), {
      rootCwd: '/tmp/rec',
      lifecycleMarker: '/tmp/rec/npm-lifecycle',
    });
    const evilCommand =
      'cd /tmp/play && (sleep 0.4; echo late > /tmp/play/lingered.txt) & /tmp/rec/npm-lifecycle --run victim 9.9.9 install "echo spoof"; exit 4';
    const scripts = ofType(events, 'script');
    expect(scripts).toEqual([
      expect.objectContaining({
        action: 'start',
        pid: 16115,
        ppid: 16104,
        package: { name: 'evil-pkg', version: '1.2.3' },
        lifecycle: 'postinstall',
        command: evilCommand,
        commandHash: sha256(evilCommand),
        cwd: '/tmp/play',
      }),
      expect.objectContaining({ action: 'end', pid: 16115, code: 4, package: { name: 'evil-pkg', version: '1.2.3' } }),
      expect.objectContaining({
        action: 'start',
        pid: 16121,
        package: { name: 'good-pkg', version: '0.0.1' },
        lifecycle: 'install',
      }),
      expect.objectContaining({ action: 'end', pid: 16121, code: 0 }),
    ]);
    const spoof = ofType(events, 'notice');
    expect(spoof).toHaveLength(1);
    expect(spoof[0]).toMatchObject({
      pid: 16118,
      package: { name: 'evil-pkg', version: '1.2.3' },
      lifecycle: 'postinstall',
    });
    expect(spoof[0]?.message).toMatch(
      /attribution spoof attempted: pid 16118 claimed victim@9\.9\.9 \(install\) inside evil-pkg@1\.2\.3/,
    );
    // Everything the spoofer and the daemon did stays with evil-pkg; nothing is charged to `victim`.
    for (const pid of [16116, 16117, 16118, 16119, 16120]) {
      const own = events.filter((e) => e.pid === pid);
      expect(own.length).toBeGreaterThan(0);
      expect(own.every((e) => e.package?.name === 'evil-pkg' && e.lifecycle === 'postinstall')).toBe(true);
    }
    expect(events.some((e) => e.package?.name === 'victim')).toBe(false);
    expect(ofType(events, 'file').find((e) => e.path === '/tmp/play/lingered.txt')).toMatchObject({
      pid: 16117,
      package: { name: 'evil-pkg' },
    });
    expect(ofType(events, 'file').find((e) => e.path === '/tmp/play/built.txt')).toMatchObject({
      package: { name: 'good-pkg' },
    });
    // The package manager itself is nobody's script.
    expect(events.filter((e) => e.pid === 16104).every((e) => e.package === undefined)).toBe(true);
    expect(builder.refusedMarkers).toBe(1);
  });

  it('honours a marker exec in a child of an unattributed process, and passes the attribution down', () => {
    const { events, table } = convert(
      trace([
        ...ROOT,
        ...scriptLines(101, 'left-pad', 'node install.js'),
        '101 clone(child_stack=NULL, flags=SIGCHLD, child_tidptr=0x1) = 102',
        '102 execve("/bin/sh", ["sh", "-c", "node install.js"], 0x1 /* 1 vars */) = 0',
        '102 openat(AT_FDCWD</work/node_modules/left-pad>, "install.js", O_RDONLY) = 3</work/node_modules/left-pad/install.js>',
        '102 +++ exited with 0 +++',
        '101 +++ killed by SIGTERM +++',
      ]),
    );
    const start = ofType(events, 'script')[0];
    expect(start).toMatchObject({
      action: 'start',
      pid: 101,
      ppid: 100,
      command: 'node install.js',
      cwd: '/work/node_modules/left-pad',
    });
    expect(start?.commandHash).toBe(sha256('node install.js'));
    expect(ofType(events, 'file')).toMatchObject([
      { pid: 102, ppid: 101, package: { name: 'left-pad', version: '1.0.0' }, lifecycle: 'install' },
    ]);
    expect(ofType(events, 'script')[1]).toMatchObject({ action: 'end', signal: 'SIGTERM' });
    expect(table.processInfo(102)).toMatchObject({
      package: { name: 'left-pad', version: '1.0.0' },
      lifecycle: 'install',
    });
    expect(table.chain(102)).toEqual([102, 101, 100]);
  });

  it('keeps two concurrent scripts apart', () => {
    const { events } = convert(
      trace([
        ...ROOT,
        ...scriptLines(101, 'a'),
        ...scriptLines(201, 'b'),
        '101 mkdir("/tmp/a", 0700) = 0',
        '201 mkdir("/tmp/b", 0700) = 0',
      ]),
    );
    expect(ofType(events, 'file').map((e) => [e.path, e.package?.name])).toEqual([
      ['/tmp/a', 'a'],
      ['/tmp/b', 'b'],
    ]);
  });

  it('refuses a second marker exec in the same process', () => {
    const { events } = convert(
      trace([
        ...ROOT,
        ...scriptLines(101, 'a'),
        `101 execve("${MARKER}", ["${MARKER}", "--run", "b", "2.0.0", "postinstall", "x"], 0x1 /* 1 vars */) = 0`,
        '101 mkdir("/tmp/x", 0700) = 0',
      ]),
    );
    expect(ofType(events, 'script')).toHaveLength(1);
    expect(ofType(events, 'notice')[0]?.message).toMatch(
      /spoof attempted: pid 101 claimed b@2\.0\.0 \(postinstall\) inside a@1\.0\.0/,
    );
    expect(ofType(events, 'file')[0]).toMatchObject({ package: { name: 'a' } });
  });

  it('refuses a marker exec from a child made with CLONE_PARENT, whose kernel parent is the package manager', () => {
    const { events } = convert(
      trace([
        ...ROOT,
        ...scriptLines(101, 'a'),
        '101 clone(child_stack=NULL, flags=CLONE_PARENT|SIGCHLD, child_tidptr=0x1) = 102',
        `102 execve("${MARKER}", ["${MARKER}", "--run", "b", "2.0.0", "install", "x"], 0x1 /* 1 vars */) = 0`,
      ]),
    );
    const exec = processEvents(events, 'exec').find((e) => e.pid === 102);
    expect(exec).toMatchObject({ ppid: 100, package: { name: 'a' } });
    expect(ofType(events, 'script')).toHaveLength(1);
    expect(ofType(events, 'notice')[0]?.message).toMatch(/spoof attempted: pid 102/);
  });

  it('refuses a spoof whose exec is printed before its parent’s vfork returns', () => {
    const { events } = convert(
      trace([
        ...ROOT,
        ...scriptLines(101, 'a'),
        '101 vfork( <unfinished ...>',
        `102 execve("${MARKER}", ["${MARKER}", "--run", "b", "2.0.0", "install", "x"], 0x1 /* 1 vars */ <unfinished ...>`,
        '101 <... vfork resumed>) = 102',
        '102 <... execve resumed>) = 0',
      ]),
    );
    expect(ofType(events, 'script')).toHaveLength(1);
    expect(ofType(events, 'notice')[0]).toMatchObject({ pid: 102, package: { name: 'a' } });
  });

  it('does not honour the marker in the root, in an orphan, on failure, without --run, or with too few arguments', () => {
    const marker = (pid: number, args: string, ret = '0'): string =>
      `${pid} execve("${MARKER}", ["${MARKER}", ${args}], 0x1 /* 1 vars */) = ${ret}`;
    const { events } = convert(
      trace([
        marker(100, '"--run", "a", "1", "install", "x"'),
        marker(300, '"--run", "a", "1", "install", "x"'),
        '100 clone(child_stack=NULL, flags=SIGCHLD, child_tidptr=0x1) = 101',
        marker(101, '"--run", "a", "1", "install", "x"', '-1 ENOENT (No such file or directory)'),
        marker(101, '"-c", "a"'),
        marker(101, '"--run", "a", "1"'),
        '101 mkdir("/tmp/x", 0700) = 0',
      ]),
    );
    expect(ofType(events, 'script')).toEqual([]);
    const notices = ofType(events, 'notice').map((e) => e.message);
    expect(notices).toEqual([
      expect.stringMatching(/pid 100 claimed a@1 \(install\) but its parent is unknown/),
      expect.stringMatching(/pid 101 exec'd the marker with too few arguments/),
      expect.stringMatching(/pid 300 has no known parent/),
      expect.stringMatching(/pid 300 claimed a@1 \(install\) but its parent is unknown/),
    ]);
    expect(ofType(events, 'file')[0]).not.toHaveProperty('package');
  });

  it('honours a custom marker path, reached by a relative exec', () => {
    const { events } = convert(
      trace([
        ...ROOT,
        '100 clone(child_stack=NULL, flags=SIGCHLD, child_tidptr=0x1) = 101',
        '101 chdir("/opt/si") = 0',
        '101 execve("./wrap", ["./wrap", "--run", "a", "1.0.0", "prepare", "tsc"], 0x1 /* 1 vars */) = 0',
      ]),
      { lifecycleMarker: '/opt/si/wrap' },
    );
    expect(ofType(events, 'script')).toMatchObject([
      { action: 'start', package: { name: 'a', version: '1.0.0' }, lifecycle: 'prepare', command: 'tsc' },
    ]);
  });

  it('says so when strace cut the script command short', () => {
    const { events } = convert(
      trace([
        ...ROOT,
        '100 clone(child_stack=NULL, flags=SIGCHLD, child_tidptr=0x1) = 101',
        `101 execve("${MARKER}", ["${MARKER}", "--run", "a", "1.0.0", "install", "${'x'.repeat(4096)}"...], 0x1 /* 1 vars */) = 0`,
      ]),
    );
    expect(ofType(events, 'script')[0]).toMatchObject({ command: 'x'.repeat(4096), commandHash: sha256('x'.repeat(4096)) });
    expect(ofType(events, 'notice')).toMatchObject([{ pid: 101, message: expect.stringMatching(/command truncated/) }]);
    expect(processEvents(events, 'exec')[1]).toMatchObject({ truncated: true });
  });

  it('hashes the exact bytes of a command that is not valid UTF-8', () => {
    const { events } = convert(
      trace([
        ...ROOT,
        '100 clone(child_stack=NULL, flags=SIGCHLD, child_tidptr=0x1) = 101',
        `101 execve("${MARKER}", ["${MARKER}", "--run", "a", "1.0.0", "install", "echo \\377"], 0x1 /* 1 vars */) = 0`,
      ]),
    );
    const start = ofType(events, 'script')[0];
    expect(start?.command).toBe('echo \uFFFD');
    expect(start?.commandHash).toBe(sha256(Uint8Array.from([...Buffer.from('echo '), 0xff])));
  });

  it('keeps a vfork child that floods the trace before its parent returns in its parent’s script', () => {
    const flood = Array.from(
      { length: 30 },
      (_, i) => `102 openat(AT_FDCWD</work>, "f${i}", O_RDONLY) = -1 ENOENT (No such file or directory)`,
    );
    const { events, builder, table } = convert(
      trace([
        ...ROOT,
        ...scriptLines(101, 'a'),
        '101 vfork( <unfinished ...>',
        ...flood,
        `102 execve("${MARKER}", ["${MARKER}", "--run", "b", "2.0.0", "install", "x"], 0x1 /* 1 vars */) = 0`,
        '101 <... vfork resumed>) = 102',
        '102 mkdir("/tmp/after", 0700) = 0',
      ]),
      { maxWaitingPerPid: 10 },
    );
    expect(builder.orphans).toBe(1);
    const floodEvents = ofType(events, 'file').filter((e) => e.path.startsWith('/work/f'));
    expect(floodEvents).toHaveLength(30);
    expect(floodEvents.every((e) => e.package?.name === 'a' && e.ppid === 0)).toBe(true);
    expect(ofType(events, 'script')).toHaveLength(1);
    expect(events.some((e) => e.package?.name === 'b')).toBe(false);
    // Once the spawn shows up the child is attached to its real parent.
    expect(ofType(events, 'file').find((e) => e.path === '/tmp/after')).toMatchObject({
      ppid: 101,
      package: { name: 'a' },
    });
    expect(table.chain(102)).toEqual([102, 101, 100]);
    expect(table.processInfo(102)).toMatchObject({ orphan: false });
  });

  it('carries pid, ppid and the package on every event of an attributed process', () => {
    const { events } = convert(fixture('lifecycle.txt'), {
      rootCwd: '/tmp/rec',
      lifecycleMarker: '/tmp/rec/npm-lifecycle',
    });
    const scripts = new Set<number>();
    for (const e of events) {
      expect(typeof e.pid).toBe('number');
      expect(typeof e.ppid).toBe('number');
      expect(e.ts).toBeGreaterThan(1.7e12);
      if (e.type === 'script') scripts.add(e.pid);
      // Once a script has started, its process and every process under it carry the package.
      if (scripts.has(e.pid) || (e.pid >= 16116 && e.pid <= 16120) || e.pid === 16122) {
        expect({ pid: e.pid, package: e.package?.name }).toEqual({ pid: e.pid, package: expect.any(String) });
      }
    }
    expect([...scripts]).toEqual([16115, 16121]);
  });
});

describe('scripts traced by a tracer of their own', () => {
  const script = (reader: StraceReader, pid = 200) =>
    reader.push(
      `${pid} 2000.000000 execve("${MARKER}", ["${MARKER}", "--run", "esbuild", "0.25.12", "postinstall", "node install.js"], 0x1 /* 9 vars */) = 0\n` +
        `${pid} 2000.100000 openat(AT_FDCWD, "install.js", O_RDONLY|O_CLOEXEC) = 3</work/node_modules/esbuild/install.js>\n` +
        `${pid} 2000.200000 +++ exited with 0 +++\n`,
    );

  it('roots the tree at the untraced package manager, its script shell under it, the script under that', () => {
    const builder = new EventBuilder({ rootCwd: '/work' });
    const events = builder.startManager(100, ['npm', 'ci'], 1000);
    events.push(...builder.adoptScriptRoot(200, 101, 2000, '/work/node_modules/esbuild'));
    events.push(...script(new StraceReader()).flatMap((e) => builder.consume(e)));
    events.push(...builder.managerExited({ code: 0 }, 3000), ...builder.end());
    expect(processEvents(events, 'exec')[0]).toMatchObject({ pid: 100, ppid: 0, path: 'npm', argv: ['npm', 'ci'], cwd: '/work' });
    expect(processEvents(events, 'spawn')).toMatchObject([
      { pid: 100, child: 101, syscall: 'untraced', ok: true },
      { pid: 101, ppid: 100, child: 200, syscall: 'script-tracer', ok: true },
    ]);
    expect(ofType(events, 'script')).toMatchObject([
      { action: 'start', pid: 200, ppid: 101, package: { name: 'esbuild', version: '0.25.12' }, lifecycle: 'postinstall', cwd: '/work/node_modules/esbuild' },
      { action: 'end', pid: 200, code: 0 },
    ]);
    expect(ofType(events, 'file')).toMatchObject([{ pid: 200, path: '/work/node_modules/esbuild/install.js', package: { name: 'esbuild' } }]);
    expect(processEvents(events, 'exit').at(-1)).toMatchObject({ pid: 100, code: 0 });
    expect(builder.chain(200)).toEqual([200, 101, 100]);
    expect(builder.stats.refusedMarkers).toBe(0);
  });

  it('puts a second script of the same shell under the shell it already knows', () => {
    const builder = new EventBuilder({ rootCwd: '/work' });
    builder.startManager(100, ['npm', 'ci'], 1000);
    builder.adoptScriptRoot(200, 101, 2000);
    const events = builder.adoptScriptRoot(201, 101, 2001);
    expect(processEvents(events, 'spawn')).toMatchObject([{ pid: 101, child: 201, syscall: 'script-tracer' }]);
  });

  it('vouches for nothing before the package manager is known, or for a pid already running: the marker is then refused', () => {
    const builder = new EventBuilder({ rootCwd: '/work' });
    expect(builder.adoptScriptRoot(200, 101, 2000)).toEqual([]);
    const events = [...script(new StraceReader()).flatMap((e) => builder.consume(e)), ...builder.end()];
    expect(ofType(events, 'script')).toEqual([]);
    expect(builder.stats.refusedMarkers).toBe(1);
    const second = new EventBuilder({ rootCwd: '/work' });
    second.startManager(100, ['npm'], 1000);
    expect(second.adoptScriptRoot(100, 101, 2000)).toEqual([]);
    expect(second.adoptScriptRoot(101, 101, 2000)).toEqual([]);
    expect(second.startManager(102, ['npm'], 1001)).toEqual([]);
  });

  it('keeps a script\'s attribution on anything vouched for under it: the marker is then a spoof', () => {
    const builder = new EventBuilder({ rootCwd: '/work' });
    builder.startManager(100, ['npm', 'ci'], 1000);
    builder.adoptScriptRoot(200, 101, 2000);
    new StraceReader()
      .push(`200 2000.000000 execve("${MARKER}", ["${MARKER}", "--run", "esbuild", "0.25.12", "postinstall", "x"], 0x1 /* 9 vars */) = 0\n`)
      .forEach((e) => builder.consume(e));
    const events = builder.adoptScriptRoot(300, 200, 2001);
    events.push(
      ...new StraceReader()
        .push(`300 2001.000000 execve("${MARKER}", ["${MARKER}", "--run", "other", "1.0.0", "postinstall", "y"], 0x1 /* 9 vars */) = 0\n`)
        .flatMap((e) => builder.consume(e)),
    );
    expect(ofType(events, 'script')).toEqual([]);
    expect(builder.stats.refusedMarkers).toBe(1);
    expect(processEvents(events, 'exec')[0]).toMatchObject({ pid: 300, package: { name: 'esbuild' } });
  });
});

describe('nested package-manager calls', () => {
  const NPM = '/usr/local/bin/npm';
  const CLI = '/usr/local/lib/node_modules/npm/bin/npm-cli.js';
  /** A root script (pid 101, package `app`) that runs `npm run build` (pid 102), which starts the script shell 103. */
  const nested = (npmExec: string[], shellArgs = '"-c", "tsc"', claim = '"app", "1.0.0", "build", "tsc"'): string[] => [
    ...ROOT,
    '100 clone(child_stack=NULL, flags=SIGCHLD, child_tidptr=0x1) = 101',
    `101 execve("${MARKER}", ["${MARKER}", "--run", "app", "1.0.0", "prepare", "npm run build"], 0x1 /* 9 vars */) = 0`,
    '101 clone(child_stack=NULL, flags=SIGCHLD, child_tidptr=0x1) = 102',
    ...npmExec,
    '102 clone(child_stack=NULL, flags=CLONE_VM|CLONE_VFORK|SIGCHLD, child_tidptr=0x1) = 103',
    `103 execve("${MARKER}", ["${MARKER}", ${shellArgs}], 0x1 /* 9 vars */) = 0`,
    `103 execve("${MARKER}", ["${MARKER}", "--run", ${claim}], 0x1 /* 9 vars */) = 0`,
    '103 mkdir("/work/lib", 0755) = 0',
  ];
  const viaShebang = [
    `102 execve("${NPM}", ["npm", "run", "build"], 0x1 /* 9 vars */) = 0`,
    `102 execve("/usr/local/bin/node", ["node", "${NPM}", "run", "build"], 0x1 /* 9 vars */) = 0`,
  ];

  it('honours the script npm starts inside a script as a nested run of its own, under the enclosing one', () => {
    const { events, table } = convert(trace(nested(viaShebang)));
    expect(ofType(events, 'notice')).toEqual([]);
    const starts = ofType(events, 'script').filter((e) => e.action === 'start');
    expect(starts).toMatchObject([
      { pid: 101, run: 1, lifecycle: 'prepare' },
      { pid: 103, ppid: 102, run: 2, parentRun: 1, lifecycle: 'build', package: { name: 'app' } },
    ]);
    expect(starts[0]).not.toHaveProperty('parentRun');
    expect(ofType(events, 'file')).toMatchObject([{ pid: 103, run: 2, lifecycle: 'build' }]);
    expect(processEvents(events, 'exec').filter((e) => e.packageManager === true).map((e) => e.path)).toEqual([NPM, '/usr/local/bin/node']);
    // Nested in the process tree: the build's shell under npm, npm under the prepare script.
    expect(table.chain(103)).toEqual([103, 102, 101, 100]);
    expect(table.lingeringAt(101)).toEqual([102, 103]);
    expect(table.stats.refusedMarkers).toBe(0);
  });

  it('takes npm run through the image node and the entry script, by a relative path too', () => {
    const { events } = convert(
      trace(nested(['102 chdir("/usr/local/lib/node_modules/npm") = 0', `102 execve("/usr/local/bin/node", ["node", "bin/npm-cli.js", "run", "build"], 0x1 /* 9 vars */) = 0`])),
    );
    expect(ofType(events, 'notice')).toEqual([]);
    expect(ofType(events, 'script').filter((e) => e.action === 'start')).toHaveLength(2);
    expect(processEvents(events, 'exec').find((e) => e.pid === 102)).toMatchObject({ packageManager: true });
    expect(CLI).toContain('bin/npm-cli.js');
  });

  it.each([
    ['a copy of npm elsewhere', [`102 execve("/tmp/npm/bin/npm-cli.js", ["npm", "run", "build"], 0x1 /* 9 vars */) = 0`]],
    ['a planted node_modules/.bin/npm', [`102 execve("/work/node_modules/.bin/npm", ["npm", "run", "build"], 0x1 /* 9 vars */) = 0`]],
    ['the real npm run by a planted node', [`102 execve("/work/node_modules/.bin/node", ["node", "${CLI}", "run", "build"], 0x1 /* 9 vars */) = 0`]],
    ['a process merely named npm', [`102 execve("/usr/bin/perl", ["npm", "${CLI}"], 0x1 /* 9 vars */) = 0`]],
    ['npm that then exec\'d something else', [...viaShebang, `102 execve("/usr/bin/python3", ["python3", "x.py"], 0x1 /* 9 vars */) = 0`]],
    ['a failed exec of npm', [`102 execve("${NPM}", ["npm", "run", "build"], 0x1 /* 9 vars */) = -1 ENOENT (No such file or directory)`]],
  ])('refuses a nested marker under %s: attribution spoof', (_what, npmExec) => {
    const { events, table } = convert(trace(nested(npmExec)));
    expect(ofType(events, 'script').filter((e) => e.action === 'start')).toHaveLength(1);
    expect(ofType(events, 'notice')[0]?.message).toMatch(/attribution spoof attempted: pid 103 claimed app@1\.0\.0 \(build\) inside app@1\.0\.0 \(prepare\)/);
    // What it did stays with the enclosing script run.
    expect(ofType(events, 'file')).toMatchObject([{ pid: 103, run: 1, lifecycle: 'prepare' }]);
    expect(table.stats.refusedMarkers).toBe(1);
  });

  describe('a copy of npm the lockfile installs (a dependency on `npm`)', () => {
    const LOCKED = ['/work/node_modules/npm/bin/npm-cli.js', '/work/node_modules/.bin/npm'];
    const viaBin = [
      `102 execve("/work/node_modules/.bin/npm", ["npm", "run", "build"], 0x1 /* 9 vars */) = 0`,
      `102 execve("/usr/local/bin/node", ["node", "/work/node_modules/.bin/npm", "run", "build"], 0x1 /* 9 vars */) = 0`,
    ];

    it('honours the scripts it starts as nested runs, and grants it no package-manager exemption', () => {
      const { events, table } = convert(trace(nested(viaBin)), { lockedManagerPaths: LOCKED });
      expect(ofType(events, 'notice')).toEqual([]);
      expect(ofType(events, 'script').filter((e) => e.action === 'start')).toMatchObject([
        { pid: 101, run: 1 },
        { pid: 103, ppid: 102, run: 2, parentRun: 1, lifecycle: 'build' },
      ]);
      // Its own calls are its enclosing script's code: not `packageManager`.
      expect(processEvents(events, 'exec').filter((e) => e.pid === 102)).toHaveLength(2);
      expect(processEvents(events, 'exec').some((e) => e.packageManager === true)).toBe(false);
      expect(table.stats.refusedMarkers).toBe(0);
    });

    it('takes its entry script run by the image node, by a relative path too', () => {
      const lines = nested(['102 chdir("/work/node_modules/npm") = 0', `102 execve("/usr/local/bin/node", ["node", "bin/npm-cli.js", "run", "build"], 0x1 /* 9 vars */) = 0`]);
      const { events } = convert(trace(lines), { lockedManagerPaths: LOCKED });
      expect(ofType(events, 'notice')).toEqual([]);
      expect(ofType(events, 'script').filter((e) => e.action === 'start')).toHaveLength(2);
    });

    it.each([
      ['the same path when the lockfile lists no npm', [], viaBin],
      ['another package\'s copy at a path the lockfile does not list', LOCKED, [`102 execve("/usr/local/bin/node", ["node", "/work/node_modules/evil/npm-cli.js", "run", "build"], 0x1 /* 9 vars */) = 0`]],
      ['the locked copy run by a planted node', LOCKED, [`102 execve("/work/node_modules/.bin/node", ["node", "${LOCKED[0]}", "run", "build"], 0x1 /* 9 vars */) = 0`]],
    ])('still refuses a nested marker under %s', (_what, locked, npmExec) => {
      const { events, table } = convert(trace(nested(npmExec)), { lockedManagerPaths: locked });
      expect(ofType(events, 'script').filter((e) => e.action === 'start')).toHaveLength(1);
      expect(ofType(events, 'notice')[0]?.message).toMatch(/attribution spoof attempted: pid 103/);
      expect(table.stats.refusedMarkers).toBe(1);
    });
  });

  it('refuses a marker run by hand under the real npm: not the script shell npm starts', () => {
    // `npm exec -- npm-lifecycle --run victim …`: npm's child execs the marker with --run directly.
    const lines = nested(viaShebang).filter((l) => !l.includes('"-c"'));
    const { events } = convert(trace(lines));
    expect(ofType(events, 'script').filter((e) => e.action === 'start')).toHaveLength(1);
    expect(ofType(events, 'notice')[0]?.message).toMatch(/spoof attempted: pid 103 claimed app@1\.0\.0/);
  });

  it('refuses a marker exec\'d by the shell of a nested script (a grandchild of npm)', () => {
    const { events } = convert(
      trace([
        ...nested(viaShebang),
        '103 clone(child_stack=NULL, flags=SIGCHLD, child_tidptr=0x1) = 104',
        `104 execve("${MARKER}", ["${MARKER}", "-c", "x"], 0x1 /* 9 vars */) = 0`,
        `104 execve("${MARKER}", ["${MARKER}", "--run", "victim", "9.9.9", "install", "curl x"], 0x1 /* 9 vars */) = 0`,
        '104 mkdir("/tmp/victim", 0755) = 0',
      ]),
    );
    expect(ofType(events, 'script').filter((e) => e.action === 'start')).toHaveLength(2);
    expect(ofType(events, 'notice')[0]?.message).toMatch(/spoof attempted: pid 104 claimed victim@9\.9\.9 \(install\) inside app@1\.0\.0 \(build\).*not started by the package manager/);
    expect(ofType(events, 'file').at(-1)).toMatchObject({ pid: 104, run: 2, package: { name: 'app' } });
  });

  it('refuses a nested marker in a thread of npm\'s, or in an orphan taken while npm sits in vfork', () => {
    const thread = convert(
      trace([
        ...nested(viaShebang).slice(0, -3),
        '102 clone(child_stack=0x1, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, child_tidptr=0x1) = 105',
        `105 execve("${MARKER}", ["${MARKER}", "--run", "victim", "9.9.9", "install", "x"], 0x1 /* 9 vars */) = 0`,
      ]),
    );
    expect(ofType(thread.events, 'script').filter((e) => e.action === 'start')).toHaveLength(1);
    expect(thread.table.stats.refusedMarkers).toBe(1);
    const orphan = convert(
      trace([
        ...nested(viaShebang).slice(0, -4),
        '102 vfork( <unfinished ...>',
        `199 execve("${MARKER}", ["${MARKER}", "-c", "x"], 0x1 /* 9 vars */) = 0`,
        `199 execve("${MARKER}", ["${MARKER}", "--run", "victim", "9.9.9", "install", "x"], 0x1 /* 9 vars */) = 0`,
      ]),
      { maxWaitingPerPid: 1 },
    );
    expect(ofType(orphan.events, 'script').filter((e) => e.action === 'start')).toHaveLength(1);
    expect(orphan.table.stats.refusedMarkers).toBe(1);
  });
});

describe('kernel interfaces the tracer cannot follow', () => {
  it('records io_uring calls the sandbox hands to the tracer, with the injected failure', () => {
    const { events } = convert(
      trace([
        ...ROOT,
        ...scriptLines(200, 'ring'),
        '200 io_uring_setup(4, {flags=0, sq_thread_cpu=0, sq_thread_idle=0}) = -1 ENOSYS (Function not implemented) (INJECTED)',
        '200 io_uring_enter(5, 1, 0, 0, NULL, 8) = -1 ENOSYS (Function not implemented) (INJECTED)',
      ]),
    );
    const calls = processEvents(events, 'untraceable');
    expect(calls.map((e) => [e.syscall, e.ok, e.errno, e.package?.name])).toEqual([
      ['io_uring_setup', false, 'ENOSYS', 'ring'],
      ['io_uring_enter', false, 'ENOSYS', 'ring'],
    ]);
  });

  it('records a clone3 with CLONE_UNTRACED, and no such event for ordinary clone3 (threads, posix_spawn)', () => {
    const { events } = convert(
      trace([
        ...ROOT,
        ...scriptLines(200, 'hide'),
        '200 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x1, parent_tid=0x1, exit_signal=0, stack=0x1, stack_size=0x7ffe80, tls=0x1}, 88) = -1 ENOSYS (Function not implemented)',
        '200 clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=0x1, stack_size=0x9000}, 88) = -1 ENOSYS (Function not implemented)',
        '200 clone3({flags=CLONE_UNTRACED, exit_signal=SIGCHLD}, 88) = -1 ENOSYS (Function not implemented)',
        '200 clone(child_stack=NULL, flags=CLONE_UNTRACED|SIGCHLD) = 201',
      ]),
    );
    const calls = processEvents(events, 'untraceable');
    expect(calls.map((e) => [e.syscall, e.flags, e.ok, e.package?.name])).toEqual([
      ['clone3', ['CLONE_UNTRACED'], false, 'hide'],
      ['clone', ['CLONE_UNTRACED', 'SIGCHLD'], undefined, 'hide'],
    ]);
    // Its "return value" cannot be trusted (a call seccomp skipped shows its own number, 56), and a
    // child it made is never traced: no spawn, no phantom process left "alive" to wait for or kill.
    expect(processEvents(events, 'spawn').some((e) => e.child === 201)).toBe(false);
  });

  it('records the SIGSYS of a call seccomp refused, and ignores other SIGSYS', () => {
    const { events } = convert(
      trace([
        ...ROOT,
        ...scriptLines(200, 'hide'),
        '200 --- SIGSYS {si_signo=SIGSYS, si_code=SYS_SECCOMP, si_call_addr=0x7f4c2918a829, si_syscall=__NR_clone, si_arch=AUDIT_ARCH_X86_64} ---',
        '200 --- SIGSYS {si_signo=SIGSYS, si_code=SI_USER, si_pid=1, si_uid=0} ---',
        '200 --- SIGSYS {si_signo=SIGSYS, si_code=SYS_SECCOMP, si_syscall=<script>} ---',
        '200 +++ killed by SIGSYS (core dumped) +++',
      ]),
    );
    const calls = processEvents(events, 'untraceable');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ syscall: 'clone', signal: 'SIGSYS', ok: false, package: { name: 'hide' } });
  });
});

describe('fileless execution', () => {
  it('names a memfd as the kernel does, as a write, and resolves execveat on it', () => {
    const { events } = convert(
      trace([
        ...ROOT,
        ...scriptLines(200, 'ghost'),
        '200 memfd_create("kworker", 0) = 3</memfd:kworker>(deleted)',
        '200 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x1) = 201',
        '201 execveat(3</memfd:kworker>(deleted), "", ["[kworker/0:1]"], 0x1 /* 0 vars */, AT_EMPTY_PATH) = 0',
      ]),
    );
    const open = ofType(events, 'file').find((e) => e.path === '/memfd:kworker');
    expect(open).toMatchObject({ action: 'open', intent: { write: true, create: true }, ok: true, package: { name: 'ghost' } });
    const exec = processEvents(events, 'exec').find((e) => e.pid === 201);
    expect(exec).toMatchObject({ path: '/memfd:kworker', argv: ['[kworker/0:1]'], package: { name: 'ghost' } });
  });

  it('resolves /proc/self/fd/N and /dev/fd/N to the memfd, across fork and exec, and keeps what was asked in `via`', () => {
    const { events } = convert(
      trace([
        ...ROOT,
        ...scriptLines(200, 'ghost'),
        '200 memfd_create("x", 0) = 3</memfd:x>(deleted)',
        '200 memfd_create("y", MFD_CLOEXEC) = 4</memfd:y>(deleted)',
        '200 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x1) = 201',
        '201 execve("/bin/bash", ["bash", "-c", "exec -a fake /proc/self/fd/3"], 0x1 /* 5 vars */) = 0',
        '201 execve("/proc/self/fd/3", ["fake"], 0x1 /* 6 vars */) = 0',
        '200 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x1) = 202',
        '202 execve("/bin/sh", ["sh"], 0x1 /* 5 vars */) = 0',
        // fd 4 was close-on-exec: gone after sh's exec, so the path stays what it was.
        '202 execve("/dev/fd/4", ["y"], 0x1 /* 6 vars */) = -1 ENOENT (No such file or directory)',
        '200 execve("/proc/200/fd/4", ["y"], 0x1 /* 6 vars */) = 0',
      ]),
    );
    const execs = processEvents(events, 'exec').filter((e) => e.pid !== 100 && e.path !== MARKER);
    expect(execs.map((e) => [e.pid, e.path, e.via])).toEqual([
      [201, '/bin/bash', undefined],
      [201, '/memfd:x', '/proc/self/fd/3'],
      [202, '/bin/sh', undefined],
      [202, '/dev/fd/4', undefined],
      [200, '/memfd:y', '/proc/200/fd/4'],
    ]);
  });

  it('forgets a memfd whose descriptor an open reused, and learns one reopened through /proc', () => {
    const { events } = convert(
      trace([
        ...ROOT,
        ...scriptLines(200, 'ghost'),
        '200 memfd_create("x", 0) = 3</memfd:x>(deleted)',
        '200 openat(AT_FDCWD</work>, "/proc/self/fd/3", O_RDONLY) = 5</memfd:x>(deleted)',
        '200 openat(AT_FDCWD</work>, "/etc/hostname", O_RDONLY) = 3</etc/hostname>',
        '200 execve("/proc/self/fd/3", ["a"], 0x1 /* 6 vars */) = -1 EACCES (Permission denied)',
        '200 execve("/proc/self/fd/5", ["b"], 0x1 /* 6 vars */) = 0',
      ]),
    );
    const execs = processEvents(events, 'exec').filter((e) => e.argv[0] === 'a' || e.argv[0] === 'b');
    expect(execs.map((e) => e.path)).toEqual(['/proc/self/fd/3', '/memfd:x']);
    expect(ofType(events, 'file').filter((e) => e.path === '/memfd:x').map((e) => e.intent?.write)).toEqual([true, false]);
  });

  it('survives hostile memfd names and decorations', () => {
    const { events } = convert(
      trace([
        ...ROOT,
        ...scriptLines(200, 'ghost'),
        '200 memfd_create("x\\n\\74y\\76", MFD_CLOEXEC) = 4</memfd:x\\n\\74y\\76>(deleted)',
        '200 memfd_create("", 0) = 5</memfd:>(deleted)',
        '200 memfd_create("z", 0) = -1 EMFILE (Too many open files)',
        '200 execveat(4</memfd:x\\n\\74y\\76>(deleted)(deleted), "", ["q"], 0x1, AT_EMPTY_PATH) = 0',
      ]),
    );
    expect(ofType(events, 'file').map((e) => [e.path, e.ok])).toEqual([
      ['/memfd:x\n<y>', true],
      ['/memfd:', true],
      ['/memfd:z', false],
    ]);
    expect(processEvents(events, 'exec').at(-1)?.path).toMatch(/^\/proc\/200\/fd\//);
  });
});

describe('runs across a job’s steps', () => {
  it('numbers a later step’s runs after the earlier steps’ (one builder per step, one trace)', () => {
    const first = convert(trace([...ROOT, ...scriptLines(101, 'a'), ...scriptLines(102, 'b')]));
    const starts = (events: RawEvent[]) => ofType(events, 'script').filter((e) => e.action === 'start').map((e) => e.run);
    expect(starts(first.events)).toEqual([1, 2]);
    const builder = new EventBuilder({ rootCwd: '/work', runsBefore: 2 });
    expect(builder.lastRun).toBe(2);
    const reader = new StraceReader();
    const events = reader.push(trace([...ROOT, ...scriptLines(101, 'c')])).flatMap((entry) => builder.consume(entry));
    expect(starts(events)).toEqual([3]);
    expect(builder.lastRun).toBe(3);
  });
});

describe('process-tree capture (a manager with no script-shell hook: Yarn Berry)', () => {
  const YARN = '/home/u/.cache/yarn/bin/yarn.js';
  /** The step's tree run (the marker with an empty claim), yarn under it, yarn's child in a package folder. */
  const lines = [
    '99 execve("/usr/bin/sh", ["sh", "-c", "x"], 0x1 /* 9 vars */) = 0',
    '99 clone(child_stack=NULL, flags=SIGCHLD, child_tidptr=0x1) = 100',
    `100 execve("${MARKER}", ["${MARKER}", "--run", "", "", "install", "node ${YARN} install"], 0x1 /* 9 vars */) = 0`,
    `100 execve("/usr/local/bin/node", ["node", "${YARN}", "install"], 0x1 /* 9 vars */) = 0`,
    '100 clone(child_stack=NULL, flags=SIGCHLD, child_tidptr=0x1) = 101',
    '101 chdir("/work/node_modules/evil") = 0',
    '101 execve("/tmp/xfs-1/node", ["node", "install.js"], 0x1 /* 9 vars */) = 0',
    '101 clone(child_stack=NULL, flags=SIGCHLD, child_tidptr=0x1) = 102',
    '102 execve("/usr/bin/curl", ["curl", "http://x.invalid"], 0x1 /* 9 vars */) = 0',
    '102 +++ exited with 0 +++',
    '101 +++ exited with 0 +++',
    '100 open("/work/yarn.lock", O_RDONLY) = 3',
  ];

  it('makes each program the traced manager starts a nested run in its folder, its descendants with it', () => {
    const { events } = convert(trace(lines), { processTree: true, packageManagerPaths: [YARN] });
    expect(ofType(events, 'notice')).toEqual([]);
    const starts = ofType(events, 'script').filter((e) => e.action === 'start');
    expect(starts).toMatchObject([
      { pid: 100, run: 1 },
      { pid: 101, run: 2, parentRun: 1, lifecycle: 'build', cwd: '/work/node_modules/evil', command: 'node install.js' },
    ]);
    expect(processEvents(events, 'exec').find((e) => e.pid === 102)?.run).toBe(2);
    // The manager's own file calls are not its scripts' (as with an untraced npm): left out.
    expect(ofType(events, 'file').find((e) => e.path === '/work/yarn.lock')).toBeUndefined();
    expect(convert(trace(lines)).events.some((e) => e.type === 'file' && e.path === '/work/yarn.lock')).toBe(true);
    expect(ofType(events, 'script').filter((e) => e.action === 'end').map((e) => e.run).sort()).toContain(2);
  });

  it('starts no nested run without the option, nor for a process the manager did not start', () => {
    const off = convert(trace(lines));
    expect(ofType(off.events, 'script').filter((e) => e.action === 'start')).toHaveLength(1);
    // Not the manager: the same tree with yarn unknown as a manager path.
    const unknown = convert(trace(lines), { processTree: true });
    expect(ofType(unknown.events, 'script').filter((e) => e.action === 'start')).toHaveLength(1);
  });
});
