/**
 * Turns a stream of strace output into complete syscall records and process lifecycle entries.
 *
 * With `-f`, strace interleaves pids: a blocking call prints `NAME(args <unfinished ...>` and later
 * `<... NAME resumed>rest`. The reader joins those halves per pid, and copes with everything else the
 * stream can hold: chunks that split lines, garbage, halves that never meet, and lines so long that
 * holding them would let a traced process exhaust the tracer's memory. It never throws; whatever it
 * cannot use is counted in {@link StraceReaderStats}.
 */

import { parseResult, parseStraceLine, parseTimestamp, parseTrailingResult, scanArguments } from './parse-line.js';
import type {
  ArgumentScan,
  ExitedLine,
  KilledLine,
  SignalLine,
  StraceResult,
  SupersededLine,
  UnfinishedLine,
} from './parse-line.js';

/** One syscall, both halves joined. */
export interface StraceRecord extends StraceResult {
  kind: 'syscall';
  /** The pid the call completed under (the thread-group leader's, for an execve from a thread). */
  pid: number;
  /** When the call was entered, ms since the epoch. */
  ts: number;
  /** When it returned (same as `ts` for a one-line call). */
  endTs: number;
  name: string;
  /** Top-level arguments, verbatim. */
  args: string[];
  /**
   * False when the call never returned in the trace (the process was killed mid-call, or the trace
   * ended): `ret` is then `'?'`, and the arguments are those printed at entry.
   */
  complete: boolean;
  /** The line was longer than the reader's limit: `args` holds only the arguments that fit. */
  truncated?: boolean;
  /**
   * For an execve made by a non-leader thread: that thread's id. The record's `pid` is the leader's,
   * because that is the pid the new program runs under.
   */
  formerPid?: number;
}

/**
 * What the reader emits, in stream order. Besides the joined syscall records and the `+++`/`---`
 * lines, an `unfinished` entry announces a call that entered and has not returned yet (its record
 * follows on resume): a process blocked in vfork or clone is a parent whose children may speak
 * first.
 */
export type StraceEntry = StraceRecord | UnfinishedLine | ExitedLine | KilledLine | SignalLine | SupersededLine;

/** Counters for everything the reader saw; nothing is dropped silently. */
export interface StraceReaderStats {
  /** Non-empty lines seen. */
  lines: number;
  /** Syscall records emitted (complete or not). */
  syscalls: number;
  /** Lines that produced nothing: garbage, orphan resumes, overlong lines that could not be salvaged. */
  dropped: number;
  /** `<... NAME resumed>` lines with no matching `<unfinished ...>` for that pid (also in `dropped`). */
  orphanResumed: number;
  /** Lines longer than the limit (salvaged when their start and end could be read). */
  overlong: number;
  /** Unfinished calls emitted without their result (also in `syscalls`). */
  incomplete: number;
}

/** Options for {@link StraceReader}. */
export interface StraceReaderOptions {
  /** Longest line kept whole, in characters; longer lines keep their head and tail. Default 1 MiB. */
  maxLineLength?: number;
}

/** The default {@link StraceReaderOptions.maxLineLength}. */
export const DEFAULT_MAX_LINE_LENGTH = 1024 * 1024;

/**
 * How much of an overlong line's end is kept: enough for the result and its `-y` decoration
 * (a PATH_MAX path, every byte escaped as `\NNN`).
 */
const TAIL_LENGTH = 20 * 1024;

/** How many dropped lines are kept as samples, and how much of each. */
const SAMPLES = 3;
const SAMPLE_LENGTH = 200;

/** An unfinished call waiting for its resume. */
interface Pending {
  line: UnfinishedLine;
  /** Arguments already split, for an overlong entry whose raw text was cut. */
  salvagedArgs?: string[];
  formerPid?: number;
}

/** The pieces of an overlong line kept while the rest streams past. */
interface Overlong {
  head: string;
  tail: string;
}

/** Joins strace output into {@link StraceEntry}s. Feed it with `push`, finish with `end`. */
export class StraceReader {
  readonly stats: StraceReaderStats = {
    lines: 0,
    syscalls: 0,
    dropped: 0,
    orphanResumed: 0,
    overlong: 0,
    incomplete: 0,
  };

  /**
   * The first few lines that were dropped, each cut to SAMPLE_LENGTH characters (raw, untrusted:
   * escape before showing): a gap in a trace says what it lost, so the next one can be explained.
   */
  readonly droppedSamples: string[] = [];

  readonly #maxLine: number;
  readonly #pending = new Map<number, Pending>();
  #partial = '';
  #overlong: Overlong | null = null;

  constructor(options: StraceReaderOptions = {}) {
    this.#maxLine = Math.max(256, options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH);
  }

  /** Feed a chunk of output; lines may be split anywhere. Returns the entries it completed. */
  push(chunk: string): StraceEntry[] {
    const out: StraceEntry[] = [];
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf('\n', start);
      this.#append(newline < 0 ? chunk.slice(start) : chunk.slice(start, newline));
      if (newline < 0) break;
      this.#finishLine(out);
      start = newline + 1;
    }
    return out;
  }

  /** Feed one complete line (without its newline). */
  pushLine(line: string): StraceEntry[] {
    return this.push(`${line}\n`);
  }

  /**
   * End of stream: parse a last line without newline, then emit every call still unfinished as an
   * incomplete record, so that a call whose process vanished (a blocked `connect`) is still seen.
   */
  end(): StraceEntry[] {
    const out: StraceEntry[] = [];
    if (this.#partial !== '' || this.#overlong !== null) this.#finishLine(out);
    const pending = [...this.#pending.values()].sort((a, b) => a.line.ts - b.line.ts);
    this.#pending.clear();
    for (const p of pending) out.push(this.#incomplete(p));
    return out;
  }

  /** Pids with a call in flight, and which call: the runner may want to know what a hung process waits on. */
  inFlight(): Map<number, string> {
    return new Map([...this.#pending].map(([pid, p]) => [pid, p.line.name]));
  }

  #drop(line: string): void {
    this.stats.dropped++;
    if (this.droppedSamples.length < SAMPLES) this.droppedSamples.push(line.slice(0, SAMPLE_LENGTH));
  }

  #append(piece: string): void {
    if (this.#overlong !== null) {
      const o = this.#overlong;
      o.tail = piece.length >= TAIL_LENGTH ? piece.slice(-TAIL_LENGTH) : (o.tail + piece).slice(-TAIL_LENGTH);
      return;
    }
    if (this.#partial.length + piece.length <= this.#maxLine) {
      this.#partial += piece;
      return;
    }
    // Stop accumulating: keep the start (pid, name, first arguments) and a rolling end (the result).
    const whole = this.#partial + piece;
    this.#overlong = { head: whole.slice(0, this.#maxLine), tail: whole.slice(-TAIL_LENGTH) };
    this.#partial = '';
  }

  #finishLine(out: StraceEntry[]): void {
    const overlong = this.#overlong;
    const line = this.#partial;
    this.#partial = '';
    this.#overlong = null;
    try {
      if (overlong !== null) {
        this.stats.lines++;
        this.stats.overlong++;
        if (!this.#salvage(overlong, out)) this.#drop(overlong.head);
        return;
      }
      if (line.trim() === '') return;
      this.stats.lines++;
      this.#handleLine(line, out);
    } catch {
      // Defence in depth: the parsers are total, but a bug must cost one line, not the trace.
      this.#drop(overlong?.head ?? line);
    }
  }

  #handleLine(line: string, out: StraceEntry[]): void {
    const parsed = parseStraceLine(line);
    if (parsed === null) {
      this.#drop(line);
      return;
    }
    switch (parsed.kind) {
      case 'syscall':
        this.#emit(out, {
          kind: 'syscall',
          pid: parsed.pid,
          ts: parsed.ts,
          endTs: parsed.ts,
          name: parsed.name,
          args: parsed.args,
          complete: true,
          ...result(parsed),
        });
        return;
      case 'unfinished':
        out.push(parsed);
        this.#startPending(out, { line: parsed });
        return;
      case 'resumed': {
        const pending = this.#pending.get(parsed.pid);
        if (pending === undefined || pending.line.name !== parsed.name) {
          this.stats.orphanResumed++;
          this.#drop(line);
          return;
        }
        this.#pending.delete(parsed.pid);
        const record = this.#join(pending, parsed.pid, parsed.ts, parsed.rest, false);
        if (record === null) {
          // The halves do not make a call together; keep the entry half rather than lose the call.
          this.#drop(line);
          out.push(this.#incomplete(pending));
          return;
        }
        this.#emit(out, record);
        return;
      }
      case 'superseded': {
        // Older strace versions print no `<pid changed to ...>`: the exec'ing thread's pending
        // execve resumes under this (the leader's) pid, so move it here.
        const former = this.#pending.get(parsed.formerPid);
        if (former !== undefined && parsed.formerPid !== parsed.pid && isExec(former.line.name)) {
          this.#pending.delete(parsed.formerPid);
          this.#movePending(out, parsed.pid, { ...former, formerPid: parsed.formerPid });
        }
        out.push(parsed);
        return;
      }
      case 'exited':
      case 'killed': {
        // A process gone mid-call: the call happened, its result is unknowable.
        const pending = this.#pending.get(parsed.pid);
        if (pending !== undefined) {
          this.#pending.delete(parsed.pid);
          out.push(this.#incomplete(pending));
        }
        out.push(parsed);
        return;
      }
      case 'signal':
        out.push(parsed);
        return;
    }
  }

  #startPending(out: StraceEntry[], pending: Pending): void {
    const { line } = pending;
    if (line.pidChangedTo !== undefined && line.pidChangedTo !== line.pid) {
      this.#movePending(out, line.pidChangedTo, { ...pending, formerPid: line.pid });
      return;
    }
    this.#movePending(out, line.pid, pending);
  }

  /** Park `pending` under `pid`, first emitting whatever was parked there as incomplete. */
  #movePending(out: StraceEntry[], pid: number, pending: Pending): void {
    const previous = this.#pending.get(pid);
    if (previous !== undefined) out.push(this.#incomplete(previous));
    this.#pending.set(pid, pending);
  }

  /** Join an unfinished call with the text of its resume. */
  #join(pending: Pending, pid: number, endTs: number, rest: string, restTruncated: boolean): StraceRecord | null {
    const { line } = pending;
    const base = {
      kind: 'syscall' as const,
      pid,
      ts: line.ts,
      endTs,
      name: line.name,
      complete: true,
      ...(pending.formerPid !== undefined ? { formerPid: pending.formerPid } : {}),
    };
    if (pending.salvagedArgs !== undefined || restTruncated) {
      const res = parseTrailingResult(rest);
      if (res === null) return null;
      const args = pending.salvagedArgs ?? splitPrefix(line.rawArgs);
      return { ...base, args, truncated: true, ...res };
    }
    // The halves are one argument list cut in two: rejoin the text and scan it as a whole.
    const text = line.rawArgs + rest;
    const scan = scanArguments(text, 0);
    if (scan === null || scan.stop !== 'close') return null;
    const res = parseResult(text.slice(scan.end + 1));
    if (res === null) return null;
    return { ...base, args: scan.args, ...res };
  }

  #incomplete(pending: Pending): StraceRecord {
    const { line } = pending;
    this.stats.incomplete++;
    this.stats.syscalls++;
    const record: StraceRecord = {
      kind: 'syscall',
      pid: line.pidChangedTo ?? line.pid,
      ts: line.ts,
      endTs: line.ts,
      name: line.name,
      args: pending.salvagedArgs ?? splitPrefix(line.rawArgs),
      ret: '?',
      complete: false,
    };
    if (pending.salvagedArgs !== undefined) record.truncated = true;
    if (pending.formerPid !== undefined) record.formerPid = pending.formerPid;
    return record;
  }

  #emit(out: StraceEntry[], record: StraceRecord): void {
    this.stats.syscalls++;
    out.push(record);
  }

  /**
   * Make what can be made of an overlong line from its head and tail: the pid, time, syscall name
   * and leading arguments from the head; the result (or unfinished marker) from the tail. The
   * typical case is an execve with an enormous argv, which must not vanish from the trace.
   */
  #salvage(o: Overlong, out: StraceEntry[]): boolean {
    const head = /^(\d{1,10})\s+(\d{1,12})\.(\d{1,9})\s+/.exec(o.head);
    if (!head) return false;
    const pid = Number(head[1]);
    if (pid <= 0 || pid > 0x7fffffff) return false;
    const ts = parseTimestamp(head[2] ?? '0', head[3] ?? '0');
    const body = o.head.slice(head[0].length);
    const tail = o.tail.endsWith('\r') ? o.tail.slice(0, -1) : o.tail;

    const resumed = /^<\.\.\. ([A-Za-z_][A-Za-z0-9_]{0,63}) resumed>/.exec(body);
    if (resumed) {
      const pending = this.#pending.get(pid);
      if (pending === undefined || pending.line.name !== resumed[1]) {
        this.stats.orphanResumed++;
        return false;
      }
      this.#pending.delete(pid);
      const record = this.#join(pending, pid, ts, tail, true);
      if (record === null) return false;
      this.#emit(out, record);
      return true;
    }

    const call = /^([A-Za-z_][A-Za-z0-9_]{0,63})\(/.exec(body);
    if (!call) return false;
    const name = call[1] ?? '';
    const args = argsOfScan(body, scanArguments(body, call[0].length, true));

    const marker = /(?:<unfinished \.\.\.>|<pid changed to (\d{1,10}) \.\.\.>)$/.exec(tail);
    if (marker) {
      const line: UnfinishedLine = { kind: 'unfinished', pid, ts, name, rawArgs: '' };
      if (marker[1] !== undefined) line.pidChangedTo = Number(marker[1]);
      out.push(line);
      this.#startPending(out, { line, salvagedArgs: args });
      return true;
    }
    const res = parseTrailingResult(tail);
    if (res === null) return false;
    this.#emit(out, { kind: 'syscall', pid, ts, endTs: ts, name, args, complete: true, truncated: true, ...res });
    return true;
  }
}

function result(r: StraceResult): StraceResult {
  const out: StraceResult = { ret: r.ret };
  if (r.errno !== undefined) out.errno = r.errno;
  if (r.decoration !== undefined) out.decoration = r.decoration;
  return out;
}

/**
 * The arguments of an unfinished call's text, or of an overlong line's head. The last one may be
 * cut short (its rest is in the resume, or was beyond the limit): it is kept as far as it goes,
 * since the value parsers read what they can of a cut array.
 */
function splitPrefix(rawArgs: string): string[] {
  return argsOfScan(rawArgs, scanArguments(rawArgs, 0, true));
}

function argsOfScan(text: string, scan: ArgumentScan | null): string[] {
  if (scan === null) return [];
  if (scan.stop !== 'eof') return scan.args;
  const last = text.slice(scan.restStart).trim();
  return last === '' ? scan.args : [...scan.args, last];
}

function isExec(name: string): boolean {
  return name === 'execve' || name === 'execveat';
}
