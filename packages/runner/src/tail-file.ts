/**
 * Follow a file that another process appends to (strace's `-o` output), chunk by chunk, until
 * told to stop; then read what is left. Polling keeps it simple and independent of inotify;
 * `caughtUp` skips the wait when someone needs everything written so far, now.
 */
import { open } from 'node:fs/promises';

export interface Tail {
  /** Stop after the next read that reaches the end of the file. */
  finish(): void;
  /** Resolves once everything written before the call has been handed to `onChunk`. */
  caughtUp(): Promise<void>;
  done: Promise<void>;
}

export function tailFile(path: string, onChunk: (chunk: string) => void, intervalMs = 25): Tail {
  let finishing = false;
  let wake: (() => void) | null = null;
  /** Reads started so far; a waiter is satisfied by an end-of-file seen by a read it did not predate. */
  let reads = 0;
  const waiters: Array<{ after: number; resolve: () => void }> = [];
  const pause = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = null;
        resolve();
      }, intervalMs);
      wake = () => {
        clearTimeout(timer);
        wake = null;
        resolve();
      };
    });
  const settle = (read: number) => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]!.after < read) waiters.splice(i, 1)[0]!.resolve();
    }
  };
  const done = (async () => {
    // strace creates the file after it starts; wait for it.
    let handle;
    for (;;) {
      try {
        handle = await open(path, 'r');
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || finishing) {
          if (finishing) {
            settle(Infinity);
            return;
          }
          throw error;
        }
        await pause();
      }
    }
    const buffer = Buffer.alloc(1024 * 1024);
    const decoder = new TextDecoder('utf-8', { fatal: false });
    try {
      for (;;) {
        const read = ++reads;
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
        if (bytesRead > 0) {
          onChunk(decoder.decode(buffer.subarray(0, bytesRead), { stream: true }));
          continue;
        }
        settle(read);
        if (finishing) break;
        await pause();
      }
      const rest = decoder.decode();
      if (rest) onChunk(rest);
    } finally {
      await handle.close();
      settle(Infinity);
    }
  })();
  done.catch(() => settle(Infinity));
  return {
    finish: () => {
      finishing = true;
      wake?.();
    },
    caughtUp: () =>
      new Promise<void>((resolve) => {
        waiters.push({ after: reads, resolve });
        wake?.();
      }),
    done,
  };
}
