/**
 * Parsing of single strace output lines, as produced by the fixed invocation in `strace-args.ts`
 * (`-f -ttt -y -o FILE`): `PID SECONDS.MICROS BODY`.
 *
 * Everything here is pure and total: malformed input yields `null`, never an exception, because the
 * text is written by the code under analysis (file names, argv, payloads) and may be hostile.
 */

/** The result of a syscall, as strace printed it after ` = `. */
export interface StraceResult {
  /** The return value; `'?'` when strace could not know it (`exit_group`, a call cut short). */
  ret: number | '?';
  /** errno name on failure (`ENOENT`), or a restart code (`ERESTARTSYS`). */
  errno?: string;
  /** The `-y` decoration on the return value (`3</etc/passwd>` gives `/etc/passwd`), decoded. */
  decoration?: string;
  /** strace followed the decoration with `(deleted)`: the file has no name left (a memfd, say). */
  deleted?: boolean;
}

/** A syscall that entered and returned on one line. */
export interface SyscallLine extends StraceResult {
  kind: 'syscall';
  pid: number;
  /** Milliseconds since the Unix epoch. */
  ts: number;
  name: string;
  /** The argument text between the parentheses, verbatim. */
  rawArgs: string;
  /** `rawArgs` split into top-level arguments, verbatim (strings still quoted and escaped). */
  args: string[];
}

/** `NAME(args <unfinished ...>`: the call blocked, or another pid's line came in between. */
export interface UnfinishedLine {
  kind: 'unfinished';
  pid: number;
  ts: number;
  name: string;
  /** The arguments printed so far. */
  rawArgs: string;
  /**
   * Set for `<pid changed to N ...>`: a non-leader thread called execve, and the kernel will report
   * the rest under the thread-group leader's pid N.
   */
  pidChangedTo?: number;
}

/** `<... NAME resumed>REST`: the second half of an unfinished call. */
export interface ResumedLine {
  kind: 'resumed';
  pid: number;
  ts: number;
  name: string;
  /** Everything after `resumed>`: the remaining arguments, `)` and the result. */
  rest: string;
}

/** `+++ exited with N +++`. */
export interface ExitedLine {
  kind: 'exited';
  pid: number;
  ts: number;
  code: number;
}

/** `+++ killed by SIGX [(core dumped)] +++`. */
export interface KilledLine {
  kind: 'killed';
  pid: number;
  ts: number;
  signal: string;
  coreDumped: boolean;
}

/** `--- SIGX {siginfo} ---`: a signal delivered to the pid (or `--- stopped by SIGX ---`). */
export interface SignalLine {
  kind: 'signal';
  pid: number;
  ts: number;
  signal: string;
  /** The text after the signal name (`{si_signo=...}`), verbatim; empty when none. */
  info: string;
}

/** `+++ superseded by execve in pid T +++`: thread T of this thread group exec'd and took this pid. */
export interface SupersededLine {
  kind: 'superseded';
  pid: number;
  ts: number;
  /** The thread id that called execve. */
  formerPid: number;
}

export type StraceLine =
  SyscallLine | UnfinishedLine | ResumedLine | ExitedLine | KilledLine | SignalLine | SupersededLine;

/** A C string as strace printed it, decoded. */
export interface DecodedString {
  /** The bytes decoded as UTF-8, invalid sequences replaced by U+FFFD. */
  value: string;
  /** The exact bytes, for hashing or byte-exact comparison. */
  bytes: Uint8Array;
  /** strace printed `...` after the closing quote: the string was longer than `-s`. */
  truncated: boolean;
}

const PREFIX_RE = /^(\d{1,10})\s+(\d{1,12})\.(\d{1,9})\s+(.*)$/s;
const EXITED_RE = /^\+\+\+ exited with (\d{1,3}) \+\+\+$/;
const KILLED_RE = /^\+\+\+ killed by ([A-Z0-9_+-]{1,32})( \(core dumped\))? \+\+\+$/;
const SUPERSEDED_RE = /^\+\+\+ superseded by execve in pid (\d{1,10}) \+\+\+$/;
const SIGNAL_RE = /^--- (?:stopped by )?([A-Z0-9_+-]{1,32})(?: (.*))? ---$/s;
const RESUMED_RE = /^<\.\.\. ([A-Za-z_][A-Za-z0-9_]{0,63}) resumed>(.*)$/s;
const CALL_RE = /^([A-Za-z_][A-Za-z0-9_]{0,63})\(/;
/**
 * The result after the closing parenthesis. The decoration may contain anything but an unescaped
 * `>` (strace escapes `<` and `>` in paths as octal) save the `->` of a `-yy` socket peer.
 * strace 6 prints `(deleted)` right after the decoration of a file that has no name left
 * (`3</memfd:x>(deleted)`). Trailing text after the errno (its description, `(errno N)` for
 * unnamed ones, `<unavailable>`, `(INJECTED)`) is accepted and ignored.
 */
const RESULT_RE =
  /^\s*=\s+(\?|-?\d{1,20}|0x[0-9a-fA-F]{1,16})(?:<((?:[^>\\]|\\.|->)*)>(\(deleted\))?)?(?: \/\* (-?\d{1,10}) in strace's PID NS \*\/)?(?:\s+([A-Z][A-Z0-9_]{0,31})\b)?(?:\s.*)?$/s;
/** What strace appends to the decoration of a file without a name. */
const DELETED = '(deleted)';

/** `N /* M in strace's PID NS *\/` (`--pidns-translation`): a pid named inside a PID namespace. */
const TRANSLATED_PID_RE = /^(-?\d{1,10}) \/\* (-?\d{1,10}) in strace's PID NS \*\/$/;

/**
 * A pid argument as strace sees it: the translation `--pidns-translation` adds when the process
 * lives in a PID namespace of its own, else the number as written. NaN when it is neither.
 */
export function pidArgument(text: string | undefined): number {
  if (text === undefined) return Number.NaN;
  const translated = TRANSLATED_PID_RE.exec(text);
  return Number(translated ? translated[2] : text);
}

const MAX_PID = 0x7fffffff;

/** `1795562820.543949` → milliseconds since the epoch, keeping microseconds as the fraction. */
export function parseTimestamp(seconds: string, fraction: string): number {
  // Scale the fraction as an integer of microseconds so `.5` and `.500000` mean the same.
  const micros = Number(fraction.padEnd(6, '0').slice(0, 6));
  return Number(seconds) * 1000 + micros / 1000;
}

/** Classify and parse one line of strace output (without its newline). `null` for anything else. */
export function parseStraceLine(line: string): StraceLine | null {
  const head = PREFIX_RE.exec(line.endsWith('\r') ? line.slice(0, -1) : line);
  if (!head) return null;
  const pid = Number(head[1]);
  if (pid <= 0 || pid > MAX_PID) return null;
  const ts = parseTimestamp(head[2] ?? '0', head[3] ?? '0');
  const body = head[4] ?? '';

  if (body.startsWith('+++')) {
    let m = EXITED_RE.exec(body);
    if (m) return { kind: 'exited', pid, ts, code: Number(m[1]) };
    m = KILLED_RE.exec(body);
    if (m) return { kind: 'killed', pid, ts, signal: m[1] ?? '', coreDumped: m[2] !== undefined };
    m = SUPERSEDED_RE.exec(body);
    if (m) {
      const formerPid = Number(m[1]);
      return formerPid > 0 && formerPid <= MAX_PID ? { kind: 'superseded', pid, ts, formerPid } : null;
    }
    return null;
  }
  if (body.startsWith('---')) {
    const m = SIGNAL_RE.exec(body);
    return m ? { kind: 'signal', pid, ts, signal: m[1] ?? '', info: m[2] ?? '' } : null;
  }
  const resumed = RESUMED_RE.exec(body);
  if (resumed) return { kind: 'resumed', pid, ts, name: resumed[1] ?? '', rest: resumed[2] ?? '' };

  const call = CALL_RE.exec(body);
  if (!call) return null;
  const name = call[1] ?? '';
  const scan = scanArguments(body, call[0].length);
  if (scan === null) return null;
  if (scan.stop === 'close') {
    const result = parseResult(body.slice(scan.end + 1));
    if (!result) return null;
    return {
      kind: 'syscall',
      pid,
      ts,
      name,
      rawArgs: body.slice(call[0].length, scan.end),
      args: scan.args,
      ...result,
    };
  }
  if (scan.stop === 'unfinished' || scan.stop === 'pidChanged') {
    const unfinished: UnfinishedLine = {
      kind: 'unfinished',
      pid,
      ts,
      name,
      rawArgs: body.slice(call[0].length, scan.end).trimEnd(),
    };
    if (scan.stop === 'pidChanged') unfinished.pidChangedTo = scan.newPid;
    return unfinished;
  }
  return null;
}

/**
 * Parse the text after an argument list's closing `)`:
 * ` = RET[<decoration>] [/* PID in strace's PID NS *\/] [ERRNO (text)]`.
 */
export function parseResult(text: string): StraceResult | null {
  const m = RESULT_RE.exec(text);
  if (!m) return null;
  // A fork-family call inside a PID namespace returns the child's pid there; strace's own (the
  // pid the child's lines carry) follows in a comment, and is the one the trace keeps.
  const raw = m[4] ?? m[1] ?? '?';
  const ret = raw === '?' ? '?' : Number(raw);
  if (ret !== '?' && !Number.isFinite(ret)) return null;
  const result: StraceResult = { ret };
  if (m[2] !== undefined) result.decoration = decodeUtf8(unescapeStrace(m[2]));
  if (m[3] !== undefined) result.deleted = true;
  if (m[5] !== undefined) result.errno = m[5];
  return result;
}

/**
 * Find the result at the end of a call whose beginning is lost (an overlong line's tail): the
 * rightmost `)` after which the rest of the text parses as a result.
 */
export function parseTrailingResult(tail: string): StraceResult | null {
  for (let i = tail.lastIndexOf(')'); i >= 0; i = tail.lastIndexOf(')', i - 1)) {
    const result = parseResult(tail.slice(i + 1));
    if (result) return result;
    if (i === 0) break;
  }
  return null;
}

/** How an argument scan stopped. */
export type ArgumentScan =
  | { stop: 'close'; args: string[]; end: number }
  | { stop: 'unfinished'; args: string[]; end: number }
  | { stop: 'pidChanged'; args: string[]; end: number; newPid: number }
  | { stop: 'eof'; args: string[]; end: number; restStart: number };

const UNFINISHED = '<unfinished ...>';
const PID_CHANGED_RE = /^<pid changed to (\d{1,10}) \.\.\.>/;
const OPENERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/**
 * Scan an argument list starting just after its `(` (or after another opener, whose `closer` is
 * given), splitting top-level arguments on commas while skipping over strings (with escapes),
 * `/* comments *\/`, `<...>` fd decorations and nested brackets. Stops at the closer, at an
 * `<unfinished ...>` / `<pid changed to N ...>` marker, or at the end of the text (`eof`). Returns
 * `null` for unbalanced text, and for text cut inside a string, comment or decoration unless
 * `partial` is set (then that is `eof` too).
 *
 * `end` is the index of the closer, of the marker's `<`, or the text's length; for `eof`,
 * `restStart` is where the last, unterminated argument begins.
 */
export function scanArguments(text: string, start: number, partial = false, closer = ')'): ArgumentScan | null {
  const args: string[] = [];
  const stack: string[] = [];
  let argStart = start;
  let i = start;
  const pushArg = (endIndex: number): void => {
    const arg = text.slice(argStart, endIndex).trim();
    if (arg !== '' || args.length > 0) args.push(arg);
  };
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') {
      const close = skipString(text, i);
      if (close < 0) return partial ? { stop: 'eof', args, end: text.length, restStart: argStart } : null;
      i = close;
      if (text.startsWith('...', i)) i += 3;
      continue;
    }
    if (ch === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      if (close < 0) return partial ? { stop: 'eof', args, end: text.length, restStart: argStart } : null;
      i = close + 2;
      continue;
    }
    if (ch === '<') {
      if (stack.length === 0 && text.startsWith(UNFINISHED, i)) {
        pushArg(i);
        return { stop: 'unfinished', args, end: i };
      }
      const changed = stack.length === 0 ? PID_CHANGED_RE.exec(text.slice(i, i + 40)) : null;
      if (changed) {
        pushArg(i);
        const newPid = Number(changed[1]);
        if (newPid <= 0 || newPid > MAX_PID) return null;
        return { stop: 'pidChanged', args, end: i, newPid };
      }
      // An fd decoration follows the fd number or AT_FDCWD directly: `3</x>`, `AT_FDCWD</tmp>`.
      if (i > 0 && isWordChar(text.charCodeAt(i - 1)) && text[i + 1] !== '<') {
        const close = skipDecoration(text, i);
        if (close < 0) return partial ? { stop: 'eof', args, end: text.length, restStart: argStart } : null;
        i = text.startsWith(DELETED, close) ? close + DELETED.length : close;
        continue;
      }
      i++;
      continue;
    }
    if (ch !== undefined && ch in OPENERS) {
      stack.push(OPENERS[ch] ?? '');
      i++;
      continue;
    }
    if (ch === ')' || ch === ']' || ch === '}') {
      if (stack.length === 0) {
        if (ch !== closer) return null;
        pushArg(i);
        return { stop: 'close', args, end: i };
      }
      if (stack.pop() !== ch) return null;
      i++;
      continue;
    }
    if (ch === ',' && stack.length === 0) {
      args.push(text.slice(argStart, i).trim());
      argStart = i + 1;
    }
    i++;
  }
  return { stop: 'eof', args, end: text.length, restStart: argStart };
}

/**
 * Split a whole text (the inside of `[...]` or `{...}`) on top-level commas. `null` if unbalanced
 * or if it contains a stray closing bracket.
 */
export function splitTopLevel(text: string): string[] | null {
  const scan = scanArguments(`${text})`, 0);
  return scan !== null && scan.stop === 'close' && scan.end === text.length ? scan.args : null;
}

/**
 * Index of the bracket closing the one at `open` (`[`, `{` or `(`), skipping strings, comments and
 * decorations; -1 if there is none.
 */
export function findClosing(text: string, open: number): number {
  const closer = OPENERS[text[open] ?? ''];
  if (closer === undefined) return -1;
  const scan = scanArguments(text, open + 1, false, closer);
  return scan !== null && scan.stop === 'close' ? scan.end : -1;
}

/** `[A-Za-z0-9_]`: what an fd decoration's `<` follows (`3<`, `AT_FDCWD<`). */
function isWordChar(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x5f
  );
}

/** Index just past the closing quote of the string opening at `open`, or -1 if unterminated. */
function skipString(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') i++;
    else if (ch === '"') return i + 1;
  }
  return -1;
}

/**
 * Index just past the `>` closing the decoration opening at `open`, or -1 if unterminated. strace
 * escapes `<` and `>` in paths; the one literal `>` a decoration can hold is the `->` of a
 * connected socket's peer under `-yy` (`TCP:[1.2.3.4:5->6.7.8.9:80]`).
 */
function skipDecoration(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') i++;
    else if (ch === '>' && text[i - 1] !== '-') return i + 1;
    else if (ch === '<') return -1; // decorations never nest; `<` inside a path is escaped
  }
  return -1;
}

const SIMPLE_ESCAPES: Record<string, number> = {
  n: 0x0a,
  t: 0x09,
  r: 0x0d,
  v: 0x0b,
  f: 0x0c,
  a: 0x07,
  b: 0x08,
  e: 0x1b,
  '\\': 0x5c,
  '"': 0x22,
  "'": 0x27,
  '?': 0x3f,
};

/**
 * Undo strace's C-style escaping (`\n`, `\t`, `\"`, `\\`, `\xNN`, octal `\N` to `\NNN`) into bytes.
 * Characters outside escapes are taken as UTF-8 (strace prints only ASCII, but be liberal).
 * An unknown escape keeps the escaped character; a trailing lone backslash is kept.
 */
export function unescapeStrace(text: string): Uint8Array {
  const out: number[] = [];
  const encoder = new TextEncoder();
  let i = 0;
  while (i < text.length) {
    const ch = text.charCodeAt(i);
    if (ch !== 0x5c /* \ */) {
      if (ch < 0x80) out.push(ch);
      else {
        // Non-ASCII: encode the whole code point (it may be a surrogate pair).
        const cp = text.codePointAt(i) ?? ch;
        const s = String.fromCodePoint(cp);
        for (const b of encoder.encode(s)) out.push(b);
        i += s.length;
        continue;
      }
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === undefined) {
      out.push(0x5c);
      i++;
      continue;
    }
    if (next === 'x') {
      const hex = /^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 2, i + 4));
      if (hex) {
        out.push(parseInt(hex[0], 16));
        i += 2 + hex[0].length;
        continue;
      }
      out.push(0x78);
      i += 2;
      continue;
    }
    if (next >= '0' && next <= '7') {
      const oct = /^[0-7]{1,3}/.exec(text.slice(i + 1, i + 4));
      const digits = oct?.[0] ?? next;
      out.push(parseInt(digits, 8) & 0xff);
      i += 1 + digits.length;
      continue;
    }
    const simple = SIMPLE_ESCAPES[next];
    out.push(simple ?? next.charCodeAt(0) & 0xff);
    i += 2;
  }
  return Uint8Array.from(out);
}

const UTF8 = new TextDecoder('utf-8', { fatal: false });

/** Decode bytes as UTF-8, replacing invalid sequences with U+FFFD. */
export function decodeUtf8(bytes: Uint8Array): string {
  return UTF8.decode(bytes);
}

/**
 * Decode one argument that is a quoted C string, `"..."` optionally followed by `...` (truncated
 * at `-s`). `null` if the argument is not exactly that (`NULL`, an address, a struct).
 */
export function decodeStraceString(arg: string): DecodedString | null {
  const text = arg.trim();
  if (!text.startsWith('"')) return null;
  const close = skipString(text, 0);
  if (close < 0) return null;
  const rest = text.slice(close);
  if (rest !== '' && rest !== '...') return null;
  const bytes = unescapeStrace(text.slice(1, close - 1));
  return { value: decodeUtf8(bytes), bytes, truncated: rest === '...' };
}

/** An argument with a `-y` decoration: `3</tmp/x>` or `AT_FDCWD</tmp>`. */
export interface DecoratedArg {
  /** The text before the decoration (`3`, `AT_FDCWD`), or the whole argument when undecorated. */
  head: string;
  /** The decoded decoration (`/tmp/x`, `socket:[123]`); absent when the argument had none. */
  decoration?: string;
  /** The decoration was followed by `(deleted)`: the file has no name left (a memfd, say). */
  deleted?: boolean;
}

/** Split an fd argument into its value and `-y` decoration (`3</memfd:x>(deleted)` included). */
export function parseDecorated(arg: string): DecoratedArg {
  let text = arg.trim();
  const deleted = text.endsWith(`>${DELETED}`);
  if (deleted) text = text.slice(0, -DELETED.length);
  const open = text.indexOf('<');
  if (open <= 0 || !text.endsWith('>') || skipDecoration(text, open) !== text.length) return { head: arg.trim() };
  const decorated: DecoratedArg = { head: text.slice(0, open), decoration: decodeUtf8(unescapeStrace(text.slice(open + 1, -1))) };
  if (deleted) decorated.deleted = true;
  return decorated;
}
