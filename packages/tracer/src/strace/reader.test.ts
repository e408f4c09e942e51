import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StraceReader } from './reader.js';
import type { StraceEntry, StraceRecord } from './reader.js';

const fixturesDir = fileURLToPath(new URL('../../src/strace/fixtures/', import.meta.url));
const fixture = (name: string): string => readFileSync(`${fixturesDir}${name}`, 'utf8');

function readAll(text: string, reader = new StraceReader()): StraceEntry[] {
  return [...reader.push(text), ...reader.end()];
}

function records(entries: StraceEntry[]): StraceRecord[] {
  return entries.filter((e): e is StraceRecord => e.kind === 'syscall');
}

describe('StraceReader: joining', () => {
  it('joins unfinished and resumed calls of interleaved pids', () => {
    const text = [
      '15275 1795562868.794308 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD <unfinished ...>',
      '15276 1795562868.794457 execve("/usr/bin/cat", ["cat", "/etc/hostname"], 0x56451c0fb3e8 /* 35 vars */ <unfinished ...>',
      '15275 1795562868.794512 <... clone resumed>, child_tidptr=0x7fc9a6968a10) = 15277',
      '15276 1795562868.795438 <... execve resumed>) = 0',
      '15276 1795562868.795440 openat(AT_FDCWD</tmp>, "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache", O_RDONLY <unfinished ...>',
      '15277 1795562868.795476 execve("/usr/bin/wc", ["wc", "-c"], 0x56451c0fb418 /* 35 vars */ <unfinished ...>',
      '15276 1795562868.795494 <... openat resumed>) = 3</usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache>',
      '15277 1795562868.796047 <... execve resumed>) = 0',
      '',
    ].join('\n');
    const reader = new StraceReader();
    const got = records(readAll(text, reader));
    expect(got.map((r) => [r.pid, r.name, r.ret])).toEqual([
      [15275, 'clone', 15277],
      [15276, 'execve', 0],
      [15276, 'openat', 3],
      [15277, 'execve', 0],
    ]);
    expect(got[0]?.args).toEqual([
      'child_stack=NULL',
      'flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD',
      'child_tidptr=0x7fc9a6968a10',
    ]);
    expect(got[0]?.ts).toBeCloseTo(1795562868794.308, 3);
    expect(got[0]?.endTs).toBeCloseTo(1795562868794.512, 3);
    expect(got[2]?.decoration).toBe('/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache');
    expect(reader.stats).toEqual({ lines: 8, syscalls: 4, dropped: 0, orphanResumed: 0, overlong: 0, incomplete: 0 });
  });

  it('announces unfinished calls as entries', () => {
    const entries = readAll('1 1.000000 vfork( <unfinished ...>\n1 1.000002 <... vfork resumed>) = 2\n');
    expect(entries.map((e) => e.kind)).toEqual(['unfinished', 'syscall']);
  });

  it('reads every recorded fixture without dropping a line', () => {
    for (const name of [
      'shell-pipeline.txt',
      'python-children.txt',
      'python-misc.txt',
      'double-fork-daemon.txt',
      'node-fs-net.txt',
      'node-worker.txt',
      'c-syscalls.txt',
      'c-net.txt',
      'thread-exec.txt',
      'exec-with-threads.txt',
      'killed-segv.txt',
      'long-argv.txt',
      'weird-names.txt',
      'lifecycle.txt',
    ]) {
      const reader = new StraceReader();
      readAll(fixture(name), reader);
      expect({ name, ...reader.stats, lines: 0, syscalls: 0 }).toEqual({
        name,
        lines: 0,
        syscalls: 0,
        dropped: 0,
        orphanResumed: 0,
        overlong: 0,
        incomplete: 0,
      });
      expect(reader.stats.lines).toBe(
        fixture(name)
          .split('\n')
          .filter((l) => l !== '').length,
      );
    }
  });

  it('moves an execve from a thread to the leader (`<pid changed to ...>`)', () => {
    const got = readAll(fixture('thread-exec.txt'));
    const exec = records(got).filter((r) => r.name === 'execve')[1];
    expect(exec).toMatchObject({ pid: 15791, formerPid: 15792, complete: true });
    expect(exec?.args[0]).toBe('"/bin/echo"');
    expect(got.some((e) => e.kind === 'superseded' && e.formerPid === 15792)).toBe(true);
  });

  it('moves an execve from a thread on `superseded` when strace printed no pid change', () => {
    const got = records(
      readAll(
        [
          '20 1.000001 execve("/bin/echo", ["echo"], 0x1 /* 3 vars */ <unfinished ...>',
          '10 1.000002 +++ superseded by execve in pid 20 +++',
          '10 1.000003 <... execve resumed>) = 0',
        ].join('\n'),
      ),
    );
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ pid: 10, formerPid: 20, ret: 0, complete: true });
  });
});

describe('StraceReader: chunking', () => {
  it('gives the same entries however the stream is cut', () => {
    const text = fixture('shell-pipeline.txt');
    const whole = readAll(text);
    for (const size of [1, 7, 64, 4093]) {
      const reader = new StraceReader();
      const got: StraceEntry[] = [];
      for (let i = 0; i < text.length; i += size) got.push(...reader.push(text.slice(i, i + size)));
      got.push(...reader.end());
      expect(got).toEqual(whole);
    }
  });

  it('joins a line split across chunks, and a last line without newline', () => {
    const reader = new StraceReader();
    expect(reader.push('15 1795562868.812250 mkd')).toEqual([]);
    expect(reader.push('ir("d", 0777) = 0\n15 1795562868.812351 exit_gr')).toMatchObject([
      { name: 'mkdir', args: ['"d"', '0777'], ret: 0 },
    ]);
    expect(reader.push('oup(0)   = ?')).toEqual([]);
    expect(reader.end()).toMatchObject([{ name: 'exit_group', ret: '?' }]);
  });

  it('accepts CRLF line ends', () => {
    expect(records(readAll('1 1.0 setsid() = 1\r\n2 1.0 setsid() = 2\r\n'))).toHaveLength(2);
  });

  it('pushLine takes one line', () => {
    expect(new StraceReader().pushLine('1 1.0 setsid() = 1')).toMatchObject([{ name: 'setsid' }]);
  });
});

describe('StraceReader: what cannot be used is counted, never thrown', () => {
  it('drops and counts garbage lines', () => {
    const reader = new StraceReader();
    const got = readAll('garbage\n\u0000\u0001\n1 1.0 open("/x, O_RDONLY) = 3\n1 1.0 setsid() = 1\n', reader);
    expect(records(got)).toHaveLength(1);
    expect(reader.stats).toMatchObject({ lines: 4, dropped: 3, syscalls: 1 });
    // What was lost is kept as raw samples (the notice escapes them), so a gap can be explained.
    expect(reader.droppedSamples).toEqual(['garbage', '\u0000\u0001', '1 1.0 open("/x, O_RDONLY) = 3']);
  });

  it('keeps at most three samples of dropped lines, each cut to 200 characters', () => {
    const reader = new StraceReader();
    readAll(`${'y'.repeat(10_000)}\nb\nc\nd\ne\n`, reader);
    expect(reader.stats.dropped).toBe(5);
    expect(reader.droppedSamples).toEqual(['y'.repeat(200), 'b', 'c']);
  });

  it('drops and counts an orphan resumed, and one resuming another call', () => {
    const reader = new StraceReader();
    const got = readAll(
      ['7 1.0 <... execve resumed>) = 0', '8 1.0 wait4(-1,  <unfinished ...>', '8 1.1 <... execve resumed>) = 0'].join(
        '\n',
      ),
      reader,
    );
    expect(reader.stats).toMatchObject({ orphanResumed: 2, dropped: 2 });
    // The wait4 still pending at the end comes out as incomplete.
    expect(records(got)).toMatchObject([{ name: 'wait4', complete: false, ret: '?' }]);
  });

  it('emits a call cut short by the death of its process as incomplete, before the exit', () => {
    const reader = new StraceReader();
    const got = readAll(
      [
        '5 1.000001 connect(3<socket:[1]>, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")}, 16 <unfinished ...>',
        '5 1.000002 +++ killed by SIGKILL +++',
      ].join('\n'),
      reader,
    );
    expect(got.map((e) => e.kind)).toEqual(['unfinished', 'syscall', 'killed']);
    expect(got[1]).toMatchObject({ name: 'connect', complete: false, ret: '?' });
    expect((got[1] as StraceRecord).args[1]).toContain('127.0.0.1');
    expect(reader.stats.incomplete).toBe(1);
  });

  it('emits a pending call as incomplete when the same pid starts another', () => {
    const got = records(
      readAll(
        '5 1.0 openat(AT_FDCWD</>, "/a", O_RDONLY <unfinished ...>\n5 1.1 openat(AT_FDCWD</>, "/b", O_RDONLY) = 3\n',
      ),
    );
    expect(got.map((r) => [r.args[1], r.complete])).toEqual([
      ['"/b"', true],
      ['"/a"', false],
    ]);
  });

  it('keeps the entry half when the halves do not make a call', () => {
    const reader = new StraceReader();
    const got = records(
      readAll('5 1.0 openat(AT_FDCWD</>, "/a" <unfinished ...>\n5 1.1 <... openat resumed> ]]]) = 3\n', reader),
    );
    expect(got).toMatchObject([{ name: 'openat', complete: false }]);
    expect(reader.stats.dropped).toBe(1);
  });

  it('salvages an overlong execve: head arguments, truncated argv, result from the tail', () => {
    const reader = new StraceReader({ maxLineLength: 1024 * 1024 });
    const arg = `"${'\\377'.repeat(4096)}"`;
    const argv = `["/bin/true", ${Array.from({ length: 100 }, () => arg).join(', ')}]`;
    const line = `42 1.500000 execve("/bin/true", ${argv}, 0x7ffd /* 3 vars */) = 0`;
    expect(line.length).toBeGreaterThan(1024 * 1024);
    const got = records([...reader.push(`${line}\n42 1.600000 exit_group(0) = ?\n`), ...reader.end()]);
    expect(got[0]).toMatchObject({ pid: 42, name: 'execve', ret: 0, truncated: true, complete: true });
    expect(got[0]?.args[0]).toBe('"/bin/true"');
    expect(got[0]?.args[1]?.startsWith('["/bin/true", "\\377')).toBe(true);
    expect(got[1]).toMatchObject({ name: 'exit_group' });
    expect(reader.stats).toMatchObject({ overlong: 1, syscalls: 2, dropped: 0 });
  });

  it('salvages an overlong unfinished execve and joins it with its resume', () => {
    const reader = new StraceReader({ maxLineLength: 1000 });
    const line = `42 1.5 execve("/bin/x", ["x", ${'"aaaa", '.repeat(500)}"z"], 0x1 /* 3 vars */ <unfinished ...>`;
    const got = records(readAll(`${line}\n42 1.6 <... execve resumed>) = 0\n`, reader));
    expect(got).toMatchObject([{ pid: 42, name: 'execve', ret: 0, truncated: true, complete: true }]);
    expect(got[0]?.args[0]).toBe('"/bin/x"');
    expect(reader.stats).toMatchObject({ overlong: 1, dropped: 0 });
  });

  it('drops and counts an overlong line that is not a call, fed in small chunks', () => {
    const reader = new StraceReader({ maxLineLength: 1000 });
    const got: StraceEntry[] = [];
    const junk = 'x'.repeat(5000);
    for (let i = 0; i < junk.length; i += 300) got.push(...reader.push(junk.slice(i, i + 300)));
    got.push(...reader.push('\n1 1.0 setsid() = 1\n'), ...reader.end());
    expect(records(got)).toHaveLength(1);
    expect(reader.stats).toMatchObject({ lines: 2, overlong: 1, dropped: 1, syscalls: 1 });
    expect(reader.droppedSamples).toEqual(['x'.repeat(200)]);
  });

  it('handles a > 1 MiB line arriving in one chunk with the default limit', () => {
    const reader = new StraceReader();
    const huge = `7 1.0 openat(AT_FDCWD</>, "${'a'.repeat(2 * 1024 * 1024)}", O_RDONLY) = -1 ENAMETOOLONG (File name too long)`;
    const got = records(readAll(`${huge}\n`, reader));
    expect(got).toMatchObject([{ name: 'openat', errno: 'ENAMETOOLONG', truncated: true }]);
    expect(reader.stats.overlong).toBe(1);
  });

  it('reports what is in flight', () => {
    const reader = new StraceReader();
    reader.push('5 1.0 vfork( <unfinished ...>\n6 1.0 connect(3, {sa_family=AF_UNIX}, 110 <unfinished ...>\n');
    expect([...reader.inFlight()]).toEqual([
      [5, 'vfork'],
      [6, 'connect'],
    ]);
  });
});
