/**
 * Follow a file that another process appends to (strace's `-o` output), chunk by chunk, until
 * told to stop; then read what is left. Polling keeps it simple and independent of inotify.
 */
import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Tail {
  /** Stop after the next read that reaches the end of the file. */
  finish(): void;
  done: Promise<void>;
}

export function tailFile(path: string, onChunk: (chunk: string) => void, intervalMs = 25): Tail {
  let finishing = false;
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
        await sleep(intervalMs);
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
        await sleep(intervalMs);
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
    },
    done,
  };
}
