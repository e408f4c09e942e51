/**
 * Follow a file that another process appends to (strace's `-o` output), chunk by chunk, until
 * told to stop; then read what is left. Polling keeps it simple and independent of inotify;
 * `finish` cuts the current wait short, so the end of a trace is read at once.
 */
import { open } from 'node:fs/promises';

export interface Tail {
  /** Stop after the next read that reaches the end of the file. */
  finish(): void;
  done: Promise<void>;
}

export function tailFile(path: string, onChunk: (chunk: string) => void, intervalMs = 25): Tail {
  let finishing = false;
  let wake: (() => void) | null = null;
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
  const done = (async () => {
    // strace creates the file after it starts; wait for it.
    let handle;
    for (;;) {
      try {
        handle = await open(path, 'r');
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || finishing) {
          if (finishing) return;
          throw error;
        }
        await pause();
      }
    }
    const buffer = Buffer.alloc(1024 * 1024);
    const decoder = new TextDecoder('utf-8', { fatal: false });
    try {
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
        if (bytesRead > 0) {
          onChunk(decoder.decode(buffer.subarray(0, bytesRead), { stream: true }));
          continue;
        }
        if (finishing) break;
        await pause();
      }
      const rest = decoder.decode();
      if (rest) onChunk(rest);
    } finally {
      await handle.close();
    }
  })();
  return {
    finish: () => {
      finishing = true;
      wake?.();
    },
    done,
  };
}
