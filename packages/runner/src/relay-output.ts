/**
 * The package manager's output (and with it every script's) on its way to the container's stderr,
 * capped: a script that prints hundreds of megabytes, or one endless line, is install code
 * filling the orchestrator's channel. Past the cap the rest is read and counted, never passed on,
 * so the writer is not blocked (a blocked npm would look like a hang) and nothing piles up.
 */
import type { Readable, Writable } from 'node:stream';

export const OUTPUT_CAP_BYTES = 16 * 1024 * 1024;

export function relayCapped(sources: readonly Readable[], target: Writable, cap = OUTPUT_CAP_BYTES): Promise<number> {
  let passed = 0;
  let withheld = 0;
  const ended = sources.map(
    (source) =>
      new Promise<void>((resolve) => {
        source.on('data', (chunk: Buffer) => {
          if (passed + chunk.length <= cap) {
            passed += chunk.length;
            target.write(chunk);
          } else {
            const room = cap - passed;
            if (room > 0) target.write(chunk.subarray(0, room));
            passed = cap;
            withheld += chunk.length - Math.max(0, room);
          }
        });
        source.on('end', resolve);
        source.on('error', () => resolve());
      }),
  );
  return Promise.all(ended).then(() => {
    if (withheld > 0) target.write(`\n[output capped: ${withheld} more bytes not shown; the install wrote more than ${cap} bytes]\n`);
    return withheld;
  });
}
