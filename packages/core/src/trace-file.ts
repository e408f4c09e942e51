/**
 * The I/O shell of the trace file (the format is `@safe-install/schema`'s trace-file.ts).
 *
 * Writing: the header goes first, then each event as it arrives, so a crash or a kill keeps
 * everything seen so far (with `complete: false`). When the run has been judged, `seal` rewrites
 * the file whole — the final header, the events in time order, exactly the stream the policy
 * engine judged — into a temporary file renamed over the first, so the file is always one or the
 * other, never half of each.
 *
 * Reading: line by line from a stream, each line bounded, so a huge or hostile file costs at most
 * one line's worth of memory beyond the events kept.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import {
  MAX_EVENT_LINE_BYTES,
  MAX_HEADER_BYTES,
  TRACE_SCHEMA_VERSION,
  TraceFileError,
  parseTraceEvent,
  parseTraceHeader,
  traceEventLine,
  traceHeaderLine,
  type ParsedTrace,
  type TraceEvent,
  type TraceHeader,
} from '@safe-install/schema';

/** What is known of the run when the trace is opened. */
export type TraceStart = Omit<TraceHeader, 'type' | 'schemaVersion' | 'runId' | 'startedAt' | 'complete' | 'outcome'>;

/** What is known once the run is over and judged. */
export interface TraceEnd {
  runId: string;
  outcome: string;
  /** The context as the policy engine got it (with the package manager's version, `now`). */
  context: TraceHeader['context'];
  packageManagerVersion?: string | undefined;
}

export interface TraceWriter {
  write(event: TraceEvent): void;
  /** Rewrite the file: the final header and `events`, in the order given. */
  seal(end: TraceEnd, events: readonly TraceEvent[]): Promise<void>;
  /** Close the streamed file (after `seal`, nothing is left to close). Idempotent. */
  close(): Promise<void>;
}

const NO_TRACE: TraceWriter = { write: () => undefined, seal: async () => undefined, close: async () => undefined };

function end(out: WriteStream): Promise<void> {
  if (out.writableFinished || out.destroyed) return Promise.resolve();
  return new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

/** Open the trace file at `path` (none: a writer that does nothing) and write its header. */
export function openTrace(path: string | undefined, start: TraceStart): TraceWriter {
  if (!path) return NO_TRACE;
  const header: TraceHeader = { type: 'trace-header', schemaVersion: TRACE_SCHEMA_VERSION, runId: null, ...start, startedAt: Date.now(), complete: false };
  const out = createWriteStream(path);
  out.write(traceHeaderLine(header));
  let sealed = false;
  return {
    write: (event) => {
      if (!sealed) out.write(traceEventLine(event));
    },
    close: () => end(out),
    seal: async (final, events) => {
      await end(out);
      sealed = true;
      const packageManager = final.packageManagerVersion ? { ...header.packageManager, version: final.packageManagerVersion } : header.packageManager;
      const done: TraceHeader = { ...header, runId: final.runId, packageManager, complete: true, outcome: final.outcome, context: final.context };
      const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
      try {
        const whole = createWriteStream(temporary, { flags: 'wx' });
        whole.write(traceHeaderLine(done));
        for (const event of events) {
          // Respect back-pressure: a trace of millions of events must not sit in the stream's buffer.
          if (!whole.write(traceEventLine(event))) await new Promise<void>((resolve) => whole.once('drain', () => resolve()));
        }
        await end(whole);
        await rename(temporary, path);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
    },
  };
}

/**
 * The lines of a file, each bounded by `limit(lineNumber)` bytes: a longer line is reported as
 * `null` (and skipped to its end) instead of being held in memory. Yielded a chunk's worth at a
 * time: one await per line costs more than parsing it on a trace of millions of lines.
 */
async function* boundedLines(path: string, limit: (line: number) => number): AsyncGenerator<Array<{ number: number; text: string | null }>> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let overlong = false;
  let number = 1;
  for await (const chunk of createReadStream(path)) {
    const text = decoder.write(chunk as Buffer);
    const batch: Array<{ number: number; text: string | null }> = [];
    let from = 0;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', from)) {
      const length = pending.length + newline - from;
      if (!overlong && length <= limit(number)) batch.push({ number, text: pending + text.slice(from, newline) });
      else batch.push({ number, text: null });
      from = newline + 1;
      pending = '';
      overlong = false;
      number += 1;
    }
    const rest = text.length - from;
    if (!overlong && pending.length + rest > limit(number)) {
      overlong = true;
      pending = '';
    } else if (!overlong && rest > 0) pending += text.slice(from);
    if (batch.length > 0) yield batch;
  }
  pending += decoder.end();
  if (overlong) yield [{ number, text: null }];
  else if (pending !== '') yield [{ number, text: pending }];
}

/** What a scan of a trace file saw. */
export interface TraceScan {
  header: TraceHeader;
  /** Event lines read. */
  events: number;
  /** Lines after the header that were not events (skipped). */
  badLines: number;
}

/**
 * Stream a trace file: `onHeader` gets the header and returns what is called with each event, in
 * file order (a promise it returns is awaited before the next line is read); nothing is kept, so a trace of millions of events costs one line's memory. Throws
 * {@link TraceFileError} when the file has no readable header; lines after the header that are not
 * events (cut short, overlong, not JSON) are counted in `badLines`.
 */
export async function scanTraceFile(path: string, onHeader: (header: TraceHeader) => (event: TraceEvent) => void | Promise<void>): Promise<TraceScan> {
  let header: TraceHeader | null = null;
  let onEvent: (event: TraceEvent) => void | Promise<void> = () => undefined;
  let events = 0;
  let badLines = 0;
  for await (const batch of boundedLines(path, () => (header === null ? MAX_HEADER_BYTES : MAX_EVENT_LINE_BYTES)))
  for (const { number, text } of batch) {
    if (header === null) {
      if (text === null) throw new TraceFileError(`the header is longer than ${MAX_HEADER_BYTES} bytes`, number);
      if (text.trim() === '') continue;
      try {
        header = parseTraceHeader(text);
      } catch (error) {
        // The header is the first line that is not blank; say which line that was.
        if (error instanceof TraceFileError && number !== 1) throw new TraceFileError(error.message.replace(/^line 1: /, ''), number);
        throw error;
      }
      onEvent = onHeader(header);
      continue;
    }
    if (text !== null && text.trim() === '') continue;
    const event = text === null ? null : parseTraceEvent(text);
    if (event === null) badLines += 1;
    else {
      events += 1;
      // A promise is back-pressure (its output is full): reading waits for it.
      const wait = onEvent(event);
      if (wait !== undefined) await wait;
    }
  }
  if (header === null) throw new TraceFileError('the file is empty', 1);
  return { header, events, badLines };
}

/**
 * Read a trace file whole (judging needs every event). Throws {@link TraceFileError} when it has no
 * readable header; lines after the header that are not events are counted in `badLines`.
 */
export async function readTraceFile(path: string): Promise<ParsedTrace> {
  const events: TraceEvent[] = [];
  const { header, badLines } = await scanTraceFile(path, () => (event) => void events.push(event));
  return { header, events, badLines };
}
