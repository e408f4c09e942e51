/**
 * The runner talks to the orchestrator over the container's stdout, which only the runner holds
 * (the install's stdout and stderr go to the container's stderr). Messages are frames:
 *
 *   [type: u8][length: u32 big-endian][payload: length bytes]
 *
 * Events stream out as they are parsed, so the host holds every event up to the moment a run is
 * killed: the trace never depends on the container surviving. Both sides import this module, so
 * the frame types and the status shape cannot drift apart.
 */

export const FRAME = {
  /** UTF-8 JSON Lines: one or more complete trace events. */
  events: 1,
  /** UTF-8 JSON: the RunnerStatus, sent once after the job's last step ended. */
  status: 2,
  /** A piece of the node_modules tar stream (exported only after a successful install). */
  exportData: 3,
  /** The export is complete (payload: UTF-8 JSON `{ok, error?}`). */
  exportEnd: 4,
  /** UTF-8 text: a problem of the runner itself, shown to the user. */
  runnerError: 5,
} as const;

export type FrameType = (typeof FRAME)[keyof typeof FRAME];

/** Frames larger than this are refused by the decoder (the runner never sends one). */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

export function encodeFrame(type: FrameType, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const header = Buffer.alloc(5);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(body.length, 1);
  return Buffer.concat([header, body]);
}

export interface Frame {
  type: number;
  payload: Buffer;
}

/**
 * Incremental frame decoder. Bytes may arrive split anywhere. A frame that claims more than
 * MAX_FRAME_BYTES, or an unknown type, makes the stream unusable: `push` throws, and the caller
 * treats the run as an infrastructure failure.
 */
export class FrameDecoder {
  #chunks: Buffer[] = [];
  #length = 0;
  /** Type and length of the frame whose header has been read, awaiting its payload. */
  #header: { type: number; length: number } | null = null;

  push(chunk: Buffer): Frame[] {
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.#header === null) {
        if (this.#length < 5) break;
        const head = this.#take(5);
        const type = head.readUInt8(0);
        const length = head.readUInt32BE(1);
        if (!Object.values(FRAME).includes(type as FrameType)) throw new Error(`runner stream: unknown frame type ${type}`);
        if (length > MAX_FRAME_BYTES) throw new Error(`runner stream: frame of ${length} bytes is over the limit`);
        this.#header = { type, length };
      }
      if (this.#length < this.#header.length) break;
      frames.push({ type: this.#header.type, payload: this.#take(this.#header.length) });
      this.#header = null;
    }
    return frames;
  }

  /** Bytes of an incomplete frame left at the end (a stream cut short). */
  get pending(): number {
    return this.#length + (this.#header ? 5 : 0);
  }

  /** Remove and return the first `n` buffered bytes, copying only the chunks involved. */
  #take(n: number): Buffer {
    const parts: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const first = this.#chunks[0]!;
      if (first.length <= need) {
        parts.push(first);
        this.#chunks.shift();
        need -= first.length;
      } else {
        parts.push(first.subarray(0, need));
        this.#chunks[0] = first.subarray(need);
        need = 0;
      }
    }
    this.#length -= n;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, n);
  }
}

/** How one step of the job ended (`ran: false`: skipped after an earlier step failed, or a stop). */
export interface RunnerStepStatus {
  phase: string;
  ran: boolean;
  exitCode: number | null;
  signal: string | null;
}

export interface RunnerStatus {
  /**
   * The job's exit code: the first failed step's (for `ci`, the package manager's), 0 when every
   * step succeeded; null when it was killed or stopped.
   */
  exitCode: number | null;
  signal: string | null;
  /** The run was stopped from outside (timeout or interrupt) before the package manager ended. */
  stopped: boolean;
  startedAt: string;
  endedAt: string;
  events: number;
  /** Processes that outlived their script and were killed after the grace period. */
  lingering: number;
  parser: { lines: number; syscalls: number; dropped: number };
  /** Milliseconds spent in the runner's phases. */
  timings: Record<string, number>;
  /** Each step of the job, in order. */
  steps?: RunnerStepStatus[];
  /** The package manager that ran (`npm` and its version), when its package could be read. */
  packageManager?: { name: string; version: string };
}
