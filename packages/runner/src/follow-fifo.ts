/**
 * A tracer's log as a named pipe (FIFO) that the runner reads as strace writes it.
 *
 * Why a pipe and not a file: a log file on tmpfs holds everything ever traced. A script that makes
 * syscalls in a loop, or ones with huge arguments, could fill it, and strace's later writes would
 * fail — the syscalls after that point would go unrecorded. A pipe holds at most its buffer: when
 * the runner falls behind, strace blocks in write(2), and the traced process waits at its next
 * syscall stop for strace. Tracing can slow a script down; it can never be made to lose its trace.
 *
 * The FIFO lives in the root-only trace folder; strace opens it close-on-exec, so no traced process
 * holds it. The runner keeps a write end of its own open until strace has exited, so the reader
 * sees end-of-file only after the last writer is gone (a FIFO with no writer yet reads as EOF).
 */
import { spawn } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { Socket } from 'node:net';

export interface FollowedFifo {
  /** strace has exited: end the stream once what it wrote is read. */
  finish(): void;
  /** Resolves after the last chunk (or rejects when the pipe could not be read). */
  done: Promise<void>;
}

/** Make a FIFO only root may open (the folder is root-only as well). */
export function makeFifo(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // Never spawnSync: the forwarder shares this event loop.
    spawn('mkfifo', ['-m', '0600', path], { stdio: 'ignore' })
      .on('error', reject)
      .on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mkfifo ${path} exited with ${code}`))));
  });
}

/**
 * Read an existing FIFO chunk by chunk (UTF-8, split anywhere) until `finish` is called and every
 * writer has closed. Reads are driven by the event loop (a pipe handle), never by the thread pool,
 * so many scripts' logs at once cannot starve the runner's file work.
 */
export function followFifo(path: string, onChunk: (chunk: string) => void): FollowedFifo {
  const readEnd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  let keepOpen: number | null = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  const socket = new Socket({ fd: readEnd, readable: true, writable: false });
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const done = new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => onChunk(decoder.decode(chunk, { stream: true })));
    socket.on('end', () => {
      const rest = decoder.decode();
      if (rest) onChunk(rest);
      resolve();
    });
    socket.on('error', reject);
  });
  return {
    finish: () => {
      if (keepOpen === null) return;
      closeSync(keepOpen);
      keepOpen = null;
    },
    done,
  };
}
