/**
 * `safe-install trace stats FILE`: how much of what a trace holds — events per type and per
 * package script, script runs, processes, hosts, DNS names, files written, the time it spans.
 * Streaming (one pass, counters and bounded sets); every string from the trace is sanitized.
 */
import { sanitizeText, type TraceHeader } from '@safe-install/schema';
import { scanTraceFile } from '@safe-install/core';
import { TraceStats, type TraceStatsResult } from '@safe-install/trace';
import { duration } from '@safe-install/report';
import { EXIT } from '../exit-codes.js';
import type { Printer } from '../output.js';
import { explainTraceErrors, streamSink, type LineSink } from './trace-input.js';

export interface TraceStatsOptions {
  file: string;
  /** Print the counts as JSON instead. */
  json?: boolean | undefined;
  /** Entries listed per table (hosts, DNS names, scripts); default 20. */
  top?: number | undefined;
  printer: Printer;
  out?: LineSink | undefined;
}

const s = (text: string, max = 300) => sanitizeText(text, max);

export function statsLines(header: TraceHeader, stats: TraceStatsResult, badLines: number, top = 20): string[] {
  const lines: string[] = [];
  const table = (title: string, rows: Array<[string, number]>) => {
    lines.push(`${title}: ${rows.length}`);
    for (const [key, n] of rows.slice(0, top)) lines.push(`  ${String(n).padStart(9)}  ${s(key)}`);
    if (rows.length > top) lines.push(`  … and ${rows.length - top} more`);
  };
  lines.push(`trace: ${s(header.job)} (${s(header.command.join(' '))}) in ${s(header.project)}, run ${s(header.runId ?? 'not started')}, ${header.complete ? 'complete' : 'incomplete'}${header.outcome ? `, ${s(header.outcome, 40)}` : ''}`);
  const span = stats.firstTs !== null && stats.lastTs !== null ? duration(stats.lastTs - stats.firstTs) : 'no events';
  lines.push(`events: ${stats.events}${badLines > 0 ? ` (${badLines} more lines were not events)` : ''}, spanning ${span}`);
  table('event types', stats.byType);
  lines.push(`script runs: ${stats.scriptRuns}`);
  table('events per package script', stats.byScript);
  lines.push(`processes: ${stats.processes} (${stats.threads} threads), ${stats.execs} execs`);
  table('hosts', stats.hosts);
  table('DNS names', stats.dnsNames);
  lines.push(`files written: ${stats.filesWritten}`);
  if (stats.overflow > 0) lines.push(`(${stats.overflow} distinct values beyond what is counted by name)`);
  return lines;
}

export async function traceStats(options: TraceStatsOptions): Promise<number> {
  const out = options.out ?? streamSink();
  const stats = new TraceStats();
  const scan = await explainTraceErrors(options.file, scanTraceFile(options.file, () => (event) => stats.observe(event)));
  const result = stats.result();
  if (options.json) {
    const { header } = scan;
    const json = JSON.stringify({ runId: header.runId, job: header.job, complete: header.complete, badLines: scan.badLines, ...result }, null, 2);
    // JSON escapes control characters but not the invisible and bidi ones: escape them too (still valid JSON).
    await out.line(json.replace(/[\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
  } else {
    for (const line of statsLines(scan.header, result, scan.badLines, options.top ?? 20)) await out.line(line);
  }
  await out.flush();
  if (!scan.header.complete) options.printer.warn('the run did not finish writing this trace (it was killed or crashed)');
  return EXIT.pass;
}
