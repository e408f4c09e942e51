import {
  decodeStraceString,
  findClosing,
  parseDecorated,
  parseResult,
  parseStraceLine,
  parseTrailingResult,
  pidArgument,
  scanArguments,
  splitTopLevel,
  unescapeStrace,
} from './parse-line.js';

describe('parseStraceLine: syscalls', () => {
  it('parses a complete execve with pid, ms timestamp, name, args and result', () => {
    const line =
      '14750 1795562820.543949 execve("/usr/bin/sh", ["sh", "-c", "cd /tmp && cat ..."], 0x7ffca6f0f998 /* 35 vars */) = 0';
    const parsed = parseStraceLine(line);
    expect(parsed).toMatchObject({
      kind: 'syscall',
      pid: 14750,
      name: 'execve',
      ret: 0,
      args: ['"/usr/bin/sh"', '["sh", "-c", "cd /tmp && cat ..."]', '0x7ffca6f0f998 /* 35 vars */'],
    });
    expect(parsed?.kind === 'syscall' && parsed.ts).toBeCloseTo(1795562820543.949, 3);
    expect(parsed?.kind === 'syscall' && parsed.errno).toBeUndefined();
  });

  it('takes the fraction as microseconds however many digits strace printed', () => {
    expect(parseStraceLine('1 10.5 setsid() = 1')?.ts).toBe(10500);
    expect(parseStraceLine('1 10.000001 setsid() = 1')?.ts).toBeCloseTo(10000.001, 6);
  });

  it('parses a failure with errno and its description', () => {
    const parsed = parseStraceLine(
      '14752 1795562820.548443 openat(AT_FDCWD</tmp>, "/usr/lib/locale/locale-archive", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)',
    );
    expect(parsed).toMatchObject({ kind: 'syscall', ret: -1, errno: 'ENOENT' });
    expect(parsed?.kind === 'syscall' && parsed.args).toEqual([
      'AT_FDCWD</tmp>',
      '"/usr/lib/locale/locale-archive"',
      'O_RDONLY|O_CLOEXEC',
    ]);
  });

  it('decodes the -y decoration on the return value', () => {
    const parsed = parseStraceLine(
      '14752 1795562820.548495 openat(AT_FDCWD</tmp>, "/usr/share/locale/locale.alias", O_RDONLY|O_CLOEXEC) = 3</etc/locale.alias>',
    );
    expect(parsed).toMatchObject({ ret: 3, decoration: '/etc/locale.alias' });
  });

  it('decodes escaped < and > (octal) and non-ASCII bytes inside decorations', () => {
    const parsed = parseStraceLine(
      '15837 1795562955.487648 openat(AT_FDCWD</tmp/play/dir\\76x>, "f", O_WRONLY|O_CREAT, 0666) = 3</tmp/play/dir\\76x/\\303\\274>',
    );
    expect(parsed).toMatchObject({ kind: 'syscall', ret: 3, decoration: '/tmp/play/dir>x/ü' });
    expect(parsed?.kind === 'syscall' && parseDecorated(parsed.args[0] ?? '')).toEqual({
      head: 'AT_FDCWD',
      decoration: '/tmp/play/dir>x',
    });
  });

  it('parses `= ?` for exit_group and restart codes', () => {
    expect(parseStraceLine('15276 1795562868.795902 exit_group(0)   = ?')).toMatchObject({ ret: '?', args: ['0'] });
    expect(
      parseStraceLine(
        '5 1.000001 connect(3<socket:[1]>, {sa_family=AF_INET}, 16) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)',
      ),
    ).toMatchObject({ ret: '?', errno: 'ERESTARTSYS' });
  });

  it('parses an unnamed errno `(errno N)` as a failure without a name', () => {
    const parsed = parseStraceLine(
      '15791 1795562942.054760 execve("/x", ["x"], 0x1 /* 3 vars */) = -1 (errno 18446744073709551359)',
    );
    expect(parsed).toMatchObject({ kind: 'syscall', ret: -1 });
    expect(parsed?.kind === 'syscall' && parsed.errno).toBeUndefined();
  });

  it('parses a call with no arguments', () => {
    expect(parseStraceLine('15599 1795562914.566661 setsid()        = 15599')).toMatchObject({
      kind: 'syscall',
      name: 'setsid',
      args: [],
      rawArgs: '',
      ret: 15599,
    });
  });

  it('splits clone3 arguments around its `=>` struct', () => {
    const parsed = parseStraceLine(
      '15624 1795562919.848721 clone3({flags=CLONE_VM|CLONE_FS|CLONE_THREAD, child_tid=0x7f, exit_signal=0} => {parent_tid=[15625]}, 88) = 15625',
    );
    expect(parsed?.kind === 'syscall' && parsed.args).toEqual([
      '{flags=CLONE_VM|CLONE_FS|CLONE_THREAD, child_tid=0x7f, exit_signal=0} => {parent_tid=[15625]}',
      '88',
    ]);
  });

  it('does not split inside strings holding commas, parens, brackets and escaped quotes', () => {
    const parsed = parseStraceLine('7 1.000000 execve("/bin/sh", ["sh", "-c", "a(b, [c\\", }{ d"], 0x1) = 0');
    expect(parsed?.kind === 'syscall' && parsed.args[1]).toBe('["sh", "-c", "a(b, [c\\", }{ d"]');
  });

  it('keeps the `...` after a truncated string with its argument', () => {
    const parsed = parseStraceLine(
      '7 1.000000 execve("/bin/true", ["/bin/true", "aaaa"..., "1", ...], 0x1 /* 4 vars */) = 0',
    );
    expect(parsed?.kind === 'syscall' && parsed.args[1]).toBe('["/bin/true", "aaaa"..., "1", ...]');
  });

  it('does not take `<unfinished ...>` inside a string for the marker', () => {
    const parsed = parseStraceLine(
      '7 1.000000 openat(AT_FDCWD</>, "<unfinished ...>", O_RDONLY) = -1 ENOENT (No such file or directory)',
    );
    expect(parsed).toMatchObject({ kind: 'syscall', errno: 'ENOENT' });
  });

  it('strips a trailing CR', () => {
    expect(parseStraceLine('7 1.000000 setsid() = 7\r')).toMatchObject({ kind: 'syscall', ret: 7 });
  });
});

describe('parseStraceLine: unfinished and resumed', () => {
  it('parses an unfinished call, keeping the arguments printed so far', () => {
    expect(
      parseStraceLine(
        '15275 1795562868.794308 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD <unfinished ...>',
      ),
    ).toMatchObject({
      kind: 'unfinished',
      pid: 15275,
      name: 'clone',
      rawArgs: 'child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD',
    });
    expect(parseStraceLine('15275 1795562868.810435 vfork( <unfinished ...>')).toMatchObject({
      kind: 'unfinished',
      name: 'vfork',
      rawArgs: '',
    });
  });

  it('parses `<pid changed to N ...>` of an execve from a thread', () => {
    expect(
      parseStraceLine(
        '15792 1795562942.053789 execve("/bin/echo", ["/bin/echo", "from-thread"], 0x7ffed649cd10 /* 3 vars */ <pid changed to 15791 ...>',
      ),
    ).toMatchObject({ kind: 'unfinished', pid: 15792, name: 'execve', pidChangedTo: 15791 });
  });

  it('parses a resumed call, keeping the rest verbatim', () => {
    expect(
      parseStraceLine('15275 1795562868.794512 <... clone resumed>, child_tidptr=0x7f99338dba10) = 15277'),
    ).toMatchObject({
      kind: 'resumed',
      pid: 15275,
      name: 'clone',
      rest: ', child_tidptr=0x7f99338dba10) = 15277',
    });
  });
});

describe('parseStraceLine: process lifecycle lines', () => {
  it('parses exits', () => {
    expect(parseStraceLine('15276 1795562868.795964 +++ exited with 0 +++')).toMatchObject({
      kind: 'exited',
      pid: 15276,
      code: 0,
    });
    expect(parseStraceLine('15545 1795562909.019781 +++ exited with 255 +++')).toMatchObject({ code: 255 });
  });

  it('parses kills, with and without a core dump', () => {
    expect(parseStraceLine('15676 1795562929.181760 +++ killed by SIGKILL +++')).toMatchObject({
      kind: 'killed',
      signal: 'SIGKILL',
      coreDumped: false,
    });
    expect(parseStraceLine('9 1.000000 +++ killed by SIGSEGV (core dumped) +++')).toMatchObject({
      kind: 'killed',
      signal: 'SIGSEGV',
      coreDumped: true,
    });
  });

  it('parses signal deliveries and stops', () => {
    expect(
      parseStraceLine(
        '15677 1795562929.483279 --- SIGTERM {si_signo=SIGTERM, si_code=SI_USER, si_pid=15675, si_uid=65534} ---',
      ),
    ).toMatchObject({
      kind: 'signal',
      signal: 'SIGTERM',
      info: '{si_signo=SIGTERM, si_code=SI_USER, si_pid=15675, si_uid=65534}',
    });
    expect(parseStraceLine('9 1.000000 --- stopped by SIGSTOP ---')).toMatchObject({
      kind: 'signal',
      signal: 'SIGSTOP',
      info: '',
    });
  });

  it('parses `+++ superseded by execve +++`', () => {
    expect(parseStraceLine('15791 1795562942.054202 +++ superseded by execve in pid 15792 +++')).toMatchObject({
      kind: 'superseded',
      pid: 15791,
      formerPid: 15792,
    });
  });
});

describe('parseStraceLine: garbage', () => {
  const garbage = [
    '',
    'hello world',
    'strace: Process 123 attached',
    '123',
    '123 456',
    'abc 1.0 setsid() = 0',
    '0 1.000000 setsid() = 0',
    '99999999999 1.000000 setsid() = 0',
    '7 1.000000 setsid(',
    '7 1.000000 setsid() =',
    '7 1.000000 setsid() = banana',
    '7 1.000000 open("/x, O_RDONLY) = 3',
    '7 1.000000 open("/x", O_RDONLY]) = 3',
    '7 1.000000 open("/x", {O_RDONLY) = 3',
    '7 1.000000 open("/x", O_RDONLY /* unterminated) = 3',
    '7 1.000000 open(3</x, O_RDONLY) = 3',
    '7 1.000000 open("/x", O_RDONLY) = 3</x',
    '7 1.000000 +++ exited with +++',
    '7 1.000000 +++ exited with 0',
    '7 1.000000 --- SIGTERM',
    '7 1.000000 <... resumed>) = 0',
    '7 1.000000 ) = 0',
    '7 1.000000 open("/x") = 3trailing-junk',
  ];
  it.each(garbage)('returns null for %j', (line) => {
    expect(parseStraceLine(line)).toBeNull();
  });
});

describe('string decoding', () => {
  it('decodes C escapes', () => {
    expect(decodeStraceString('"a\\nb\\tc\\"d\\\\e\\rf\\vg\\fh"')?.value).toBe('a\nb\tc"d\\e\rf\vg\fh');
  });

  it('decodes hex and 1-3 digit octal escapes into bytes', () => {
    expect([...unescapeStrace('\\x41\\0\\1\\22\\303\\274\\0224')]).toEqual([0x41, 0, 1, 0o22, 0xc3, 0xbc, 0o22, 0x34]);
    expect(decodeStraceString('"\\303\\274n\\303\\257"')?.value).toBe('ünï');
  });

  it('replaces invalid UTF-8 with U+FFFD but keeps the exact bytes', () => {
    const decoded = decodeStraceString('"bad-\\377\\376"');
    expect(decoded?.value).toBe('bad-\uFFFD\uFFFD');
    expect([...(decoded?.bytes ?? [])].slice(-2)).toEqual([0xff, 0xfe]);
  });

  it('recognises the `...` truncation mark', () => {
    expect(decodeStraceString('"abc"...')).toMatchObject({ value: 'abc', truncated: true });
    expect(decodeStraceString('"abc"')).toMatchObject({ value: 'abc', truncated: false });
  });

  it('rejects what is not exactly one string', () => {
    for (const arg of ['NULL', '0x7ffd', '"abc', '"abc"x', '"a" "b"', '["a"]', ''])
      expect(decodeStraceString(arg)).toBeNull();
  });

  it('keeps a trailing lone backslash and unknown escapes without throwing', () => {
    expect([...unescapeStrace('a\\')]).toEqual([0x61, 0x5c]);
    expect(unescapeStrace('\\q\\x\\xZ').length).toBe(4);
  });
});

describe('argument scanning helpers', () => {
  it('splits top level only', () => {
    expect(splitTopLevel('a, {b, c}, [d, "e, f"], g(h, i)')).toEqual(['a', '{b, c}', '[d, "e, f"]', 'g(h, i)']);
    expect(splitTopLevel('a, b]')).toBeNull();
  });

  it('finds matching brackets past strings and comments', () => {
    const text = '{a="}", b=[1, 2] /* } */} => {c}';
    expect(findClosing(text, 0)).toBe(text.indexOf(' =>') - 1);
    expect(findClosing('{unclosed', 0)).toBe(-1);
    expect(findClosing('x', 0)).toBe(-1);
  });

  it('in partial mode returns the complete arguments of cut text', () => {
    const scan = scanArguments('"/bin/true", ["a", "b", "cc', 0, true);
    expect(scan).toMatchObject({ stop: 'eof', args: ['"/bin/true"'] });
    expect(scanArguments('"/bin/true", ["a", "b", "cc', 0, false)).toBeNull();
  });

  it('parses results on their own and at the end of a tail', () => {
    expect(parseResult(' = 3</x>')).toEqual({ ret: 3, decoration: '/x' });
    expect(parseResult(' = 0x10')).toEqual({ ret: 16 });
    expect(parseResult(' 3')).toBeNull();
    // Text after the errno (its description, `<unavailable>`) is strace's own and is ignored.
    expect(parseResult(' = 0 (Timeout)')).toEqual({ ret: 0 });
    expect(parseTrailingResult('aaaa", "b"], 0x1 /* 3 vars */) = -1 E2BIG (Argument list too long)')).toEqual({
      ret: -1,
      errno: 'E2BIG',
    });
    expect(parseTrailingResult('no result here')).toBeNull();
  });
});

describe('deleted files', () => {
  it('reads `(deleted)` after a result decoration and after an argument’s', () => {
    const line = parseStraceLine('12 1.000000 memfd_create("kworker", 0) = 3</memfd:kworker>(deleted)');
    expect(line).toMatchObject({ kind: 'syscall', ret: 3, decoration: '/memfd:kworker', deleted: true });
    expect(parseDecorated('3</memfd:kworker>(deleted)')).toEqual({ head: '3', decoration: '/memfd:kworker', deleted: true });
    expect(parseDecorated('3</tmp/x>')).toEqual({ head: '3', decoration: '/tmp/x' });
    const exec = parseStraceLine('12 1.000000 execveat(3</memfd:a>(deleted), "", ["x"], 0x1 /* 0 vars */, AT_EMPTY_PATH) = 0');
    expect(exec).toMatchObject({ kind: 'syscall', args: ['3</memfd:a>(deleted)', '""', '["x"]', '0x1 /* 0 vars */', 'AT_EMPTY_PATH'] });
  });

  it('does not take `(deleted)` text elsewhere for the marker', () => {
    expect(parseDecorated('3(deleted)')).toEqual({ head: '3(deleted)' });
    expect(parseDecorated('3</a>(deleted)x')).toEqual({ head: '3</a>(deleted)x' });
    expect(parseStraceLine('12 1.000000 openat(AT_FDCWD</>, "x", O_RDONLY) = 3</x>(deleted) junk')).toMatchObject({ ret: 3, deleted: true });
    expect(parseStraceLine('12 1.000000 io_uring_setup(4, {flags=0}) = -1 ENOSYS (Function not implemented) (INJECTED)')).toMatchObject({ ret: -1, errno: 'ENOSYS' });
  });
});

describe('pids across a PID namespace (--pidns-translation)', () => {
  it('takes strace’s pid from a fork-family result, keeping errno and decorations apart', () => {
    expect(parseResult(" = 2 /* 12 in strace's PID NS */")).toEqual({ ret: 12 });
    expect(parseResult(' = 12')).toEqual({ ret: 12 });
    expect(parseResult(" = -1 /* 5 in strace's PID NS */ EAGAIN (Resource temporarily unavailable)")).toMatchObject({ ret: 5, errno: 'EAGAIN' });
    expect(parseStraceLine("11 1.000000 <... vfork resumed>) = 2 /* 12 in strace's PID NS */")).toMatchObject({ kind: 'resumed' });
  });

  it('reads a pid argument as strace’s when translated, as written otherwise', () => {
    expect(pidArgument("1 /* 11 in strace's PID NS */")).toBe(11);
    expect(pidArgument("-3 /* -13 in strace's PID NS */")).toBe(-13);
    expect(pidArgument('77')).toBe(77);
    expect(pidArgument(undefined)).toBeNaN();
  });

  it('is not fooled by a comment that only looks like a translation', () => {
    expect(pidArgument("1 /* 11 in strace's PID NS */ extra")).toBeNaN();
    expect(pidArgument("1 /* x in strace's PID NS */")).toBeNaN();
    expect(pidArgument("1 /* 99999999999 in strace's PID NS */")).toBeNaN();
    // A result whose comment is malformed still parses, and keeps its own value.
    expect(parseResult(" = 2 /* twelve in strace's PID NS */")).toMatchObject({ ret: 2 });
  });
});
