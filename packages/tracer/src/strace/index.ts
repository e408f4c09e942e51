/**
 * strace → trace events: the fixed invocation, the line parser, the stream reader and the event
 * builder. `traceToEvents` wires the last two together for a whole recorded trace.
 */

import type { RawEvent } from '@safe-install/schema';
import { StraceReader } from './reader.js';
import type { StraceReaderOptions, StraceReaderStats } from './reader.js';
import { EventBuilder } from './to-events.js';
import type { EventBuilderOptions, EventBuilderStats } from './to-events.js';

export * from './strace-args.js';
export * from './parse-line.js';
export * from './reader.js';
export * from './to-events.js';
export * from './values.js';
export { dirname, normalizePath, resolvePath } from '@safe-install/schema';

/** What {@link traceToEvents} returns. */
export interface TraceConversion {
  events: RawEvent[];
  reader: StraceReaderStats;
  builder: EventBuilderStats;
  /** The builder after the trace, for process-table queries (`chain`, `processInfo`, ...). */
  table: EventBuilder;
}

/**
 * Convert a whole strace output text. Appends a `notice` event counting what the reader dropped,
 * if it dropped anything, so that a lossy trace says so in the trace itself.
 */
export function traceToEvents(text: string, options: EventBuilderOptions & StraceReaderOptions): TraceConversion {
  const reader = new StraceReader(options);
  const builder = new EventBuilder(options);
  const events: RawEvent[] = [];
  for (const entry of reader.push(text)) events.push(...builder.consume(entry));
  for (const entry of reader.end()) events.push(...builder.consume(entry));
  events.push(...builder.end());
  const { dropped, overlong, incomplete } = reader.stats;
  if (dropped > 0 || overlong > 0 || incomplete > 0) {
    events.push({
      ts: events.reduce((max, e) => Math.max(max, e.ts), 0),
      source: 'tracer',
      pid: 0,
      ppid: 0,
      type: 'notice',
      message: `strace output: ${dropped} line(s) dropped, ${overlong} overlong, ${incomplete} call(s) without result`,
      count: dropped,
    });
  }
  return { events, reader: { ...reader.stats }, builder: { ...builder.stats }, table: builder };
}
