/**
 * Read the tracer's output directory out of a container archive: the events it wrote as JSON
 * Lines and its final status. The runner is trusted code, but every string in the events came from
 * install code, so lines are parsed defensively and a cut-off last line (a killed run) is expected.
 */
import type { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import type { TraceEvent } from '@safe-install/schema';
import { RUNNER_FILES, type RunnerStatus } from '@safe-install/tracer';

export interface TracerOutput {
  events: TraceEvent[];
  /** Absent when the runner never finished (timeout, kill). */
  status: RunnerStatus | null;
  /** Lines that did not parse (normally only a last line cut by a kill). */
  badLines: number;
}

const MAX_TRACE_BYTES = 2 * 1024 ** 3;

export async function readTraceArchive(archive: Readable): Promise<TracerOutput> {
  const files = new Map<string, Buffer>();
  const extractor = extract();
  archive.pipe(extractor as unknown as NodeJS.WritableStream);
  let total = 0;
  for await (const entry of extractor) {
    const name = entry.header.name.split('/').pop() ?? '';
    const chunks: Buffer[] = [];
    for await (const chunk of entry as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > MAX_TRACE_BYTES) throw new Error(`trace larger than ${MAX_TRACE_BYTES} bytes`);
      if (entry.header.type === 'file') chunks.push(chunk);
    }
    if (entry.header.type === 'file') files.set(name, Buffer.concat(chunks));
  }

  const events: TraceEvent[] = [];
  let badLines = 0;
  const text = files.get(RUNNER_FILES.events)?.toString('utf8') ?? '';
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const event = JSON.parse(line) as TraceEvent;
      if (typeof event === 'object' && event !== null && typeof event.type === 'string') events.push(event);
      else badLines += 1;
    } catch {
      badLines += 1;
    }
  }
  let status: RunnerStatus | null = null;
  const statusText = files.get(RUNNER_FILES.status);
  if (statusText) {
    try {
      status = JSON.parse(statusText.toString('utf8')) as RunnerStatus;
    } catch {
      status = null;
    }
  }
  return { events, status, badLines };
}
