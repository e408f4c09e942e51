import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RawEvent } from '@safe-install/schema';
import { parseStraceLine } from './parse-line.js';
import { StraceReader } from './reader.js';
import type { StraceEntry } from './reader.js';
import { EventBuilder } from './to-events.js';

const fixturesDir = fileURLToPath(new URL('../../src/strace/fixtures/', import.meta.url));
const realLines = readdirSync(fixturesDir)
  .filter((name) => name.endsWith('.txt'))
  .flatMap((name) => readFileSync(`${fixturesDir}${name}`, 'utf8').split('\n'))
  .filter((line) => line !== '');

/** A small seeded PRNG (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SPECIAL = [
  '"',
  '\\',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '<',
  '>',
  ',',
  '=',
  ' ',
  '...',
  '/*',
  '*/',
  '\\x',
  '\\3',
  '<unfinished ...>',
  '<... ',
  ' resumed>',
  '+++ ',
  ' ---',
  '\n',
  '\u0000',
  '\uFFFF',
  '\uD800',
];

function mutate(line: string, random: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const at = Math.floor(random() * (line.length + 1));
  switch (Math.floor(random() * 8)) {
    case 0:
      return line.slice(0, at); // truncated
    case 1:
      return line.slice(0, at) + line.slice(at + 1 + Math.floor(random() * 20)); // a piece deleted
    case 2:
      return line.slice(0, at) + pick(SPECIAL) + line.slice(at); // a special inserted
    case 3:
      return line.slice(0, at) + line.slice(at).replace(/"/, ''); // a quote lost
    case 4:
      return line.replace(/^\d+/, String(1 + Math.floor(random() * 6))); // pids collide
    case 5:
      return line + line.slice(at); // a tail repeated
    case 6:
      return line.replace(/\d+/g, (d) => (random() < 0.3 ? String(Number(d) * 7919) : d)); // numbers scrambled
    default:
      return line;
  }
}

/** Check the shape every event must have, whatever the input. */
function checkEvent(event: RawEvent): void {
  expect(Number.isFinite(event.ts)).toBe(true);
  expect(Number.isInteger(event.pid)).toBe(true);
  expect(Number.isInteger(event.ppid)).toBe(true);
  expect(event.source).toBe('tracer');
  if (event.type === 'file') {
    expect(event.path.startsWith('/')).toBe(true);
    if (event.target !== undefined) expect(event.target.startsWith('/')).toBe(true);
  }
  if (event.type === 'process' && event.action === 'exec') expect(event.path.startsWith('/')).toBe(true);
  if (event.type === 'network') expect(typeof event.family).toBe('string');
  // The builder turns its own exceptions into this notice; none may ever be raised.
  if (event.type === 'notice') expect(event.message).not.toMatch(/^tracer error/);
}

function run(
  text: string,
  random: () => number,
  options: { maxLineLength?: number; maxWaitingPerPid?: number } = {},
): RawEvent[] {
  const reader = new StraceReader(options);
  const builder = new EventBuilder({ rootCwd: '/work', ...options });
  const events: RawEvent[] = [];
  const take = (entries: StraceEntry[]): void => {
    for (const entry of entries) events.push(...builder.consume(entry));
  };
  for (let i = 0; i < text.length;) {
    const size = 1 + Math.floor(random() * 300);
    take(reader.push(text.slice(i, i + size)));
    i += size;
  }
  take(reader.end());
  events.push(...builder.end());
  for (const e of events) builder.chain(e.pid);
  builder.liveProcesses();
  const { lines, syscalls, dropped } = reader.stats;
  expect(lines).toBeGreaterThanOrEqual(dropped);
  expect(syscalls).toBeGreaterThanOrEqual(0);
  return events;
}

describe('fuzz: nothing throws, every event keeps its shape', () => {
  it('survives random bytes', () => {
    const random = rng(1);
    for (let round = 0; round < 200; round++) {
      const length = Math.floor(random() * 2000);
      let text = '';
      for (let i = 0; i < length; i++) text += String.fromCharCode(random() < 0.05 ? 10 : Math.floor(random() * 256));
      for (const event of run(text, random)) checkEvent(event);
    }
  });

  it('survives random mutations of real lines', () => {
    const random = rng(2);
    for (let round = 0; round < 400; round++) {
      const lines: string[] = [];
      const start = Math.floor(random() * realLines.length);
      for (let i = 0; i < 60; i++) {
        const line = realLines[(start + i) % realLines.length] ?? '';
        lines.push(random() < 0.5 ? mutate(line, random) : line);
      }
      if (random() < 0.2) lines.sort(() => random() - 0.5); // out of order
      const events = run(`${lines.join('\n')}\n`, random, {
        maxLineLength: 2048,
        maxWaitingPerPid: 1 + Math.floor(random() * 20),
      });
      for (const event of events) checkEvent(event);
    }
  });

  it('survives mutated lines one by one in the parser', () => {
    const random = rng(3);
    for (let i = 0; i < 20000; i++) {
      const line = mutate(mutate(realLines[Math.floor(random() * realLines.length)] ?? '', random), random);
      const parsed = parseStraceLine(line);
      if (parsed !== null) expect(parsed.pid).toBeGreaterThan(0);
    }
  });

  it('survives pathological structure', () => {
    const random = rng(4);
    const hostile = [
      `1 1.0 execve("/x", ${'['.repeat(100_000)}, 0x1) = 0`,
      `1 1.0 execve("/x", ${'['.repeat(50_000)}${']'.repeat(50_000)}, 0x1) = 0`,
      `1 1.0 openat(AT_FDCWD<${'<'.repeat(1000)}, "x", O_RDONLY) = 3`,
      `1 1.0 openat(AT_FDCWD</>, "${'\\'.repeat(10_001)}, O_RDONLY) = 3`,
      `1 1.0 openat(AT_FDCWD</>, "${'\\377'.repeat(10_000)}", O_RDONLY) = 3</${'\\377'.repeat(10_000)}>`,
      `1 1.0 connect(3<socket:[1]>, {sa_family=AF_INET, sin_port=htons(99999999), sin_addr=inet_addr("${'9'.repeat(5000)}")}, 16) = 0`,
      '1 1.0 clone(child_stack=NULL, flags=SIGCHLD) = 1',
      '1 1.0 clone(child_stack=NULL, flags=SIGCHLD) = 99999999999999999999',
      '1 1.0 kill(NaN, SIGKILL) = 0',
      '1 1.0 exit_group(banana) = ?',
      '1 1.0 fchdir(3<relative>) = 0',
      '1 1.0 <... execve resumed>) = 0',
      '2 1.0 execve("/x", ["x"], 0x1 /* 1 vars */ <pid changed to 2 ...>',
      '2 1.0 +++ superseded by execve in pid 2 +++',
      '2 1.0 <... execve resumed>) = 0',
      `1 1.0 sendmmsg(3<socket:[1]>, [${'{msg_hdr={msg_name=NULL, msg_iov=[{iov_base="a", iov_len=1}]}, msg_len=1}, '.repeat(2000)}], 2000, 0) = 2000`,
    ];
    for (const event of run(`${hostile.join('\n')}\n`, random)) checkEvent(event);
    for (const event of run(`${hostile.join('\n')}\n`, random, { maxLineLength: 256 })) checkEvent(event);
  });

  it('reads mutated traces the same whole or in chunks', () => {
    const random = rng(5);
    for (let round = 0; round < 50; round++) {
      const lines = Array.from({ length: 40 }, () =>
        mutate(realLines[Math.floor(random() * realLines.length)] ?? '', random),
      );
      const text = `${lines.join('\n')}\n`;
      const whole = new StraceReader({ maxLineLength: 512 });
      const expected = [...whole.push(text), ...whole.end()];
      const chunked = new StraceReader({ maxLineLength: 512 });
      const got: StraceEntry[] = [];
      for (let i = 0; i < text.length; i += 13) got.push(...chunked.push(text.slice(i, i + 13)));
      got.push(...chunked.end());
      expect(got).toEqual(expected);
      expect(chunked.stats).toEqual(whole.stats);
    }
  });
});
