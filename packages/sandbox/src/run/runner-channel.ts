/**
 * The host's end of the runner's stdout channel: decodes frames into events, the status, and the
 * node_modules tar stream. The runner is our code, but every string inside its events came from
 * install code, so lines are parsed defensively.
 */
import { PassThrough, type Readable } from 'node:stream';
import { sanitizeText, type TraceEvent } from '@safe-install/schema';
import { FRAME, FrameDecoder, type RunnerStatus } from '@safe-install/runner';
import { parseEventLines } from './event-lines.js';

export interface ChannelHandlers {
  /** `bytes`: the event's size as it came (its share of the frame). */
  onEvent(event: TraceEvent, bytes: number): void;
  onStatus(status: RunnerStatus): void;
  /** Called once, when the first export bytes arrive, with a stream of the tar. */
  onExport(tar: Readable): void;
  onExportEnd(result: { ok: boolean; error?: string }): void;
  onRunnerError(message: string): void;
  /** A line of event JSON that did not parse (counted, and the first kept as a sample; should never happen). */
  onBadLine(line: string): void;
}

export class RunnerChannel {
  readonly #decoder = new FrameDecoder();
  readonly #handlers: ChannelHandlers;
  #export: PassThrough | null = null;
  #broken = false;

  constructor(handlers: ChannelHandlers) {
    this.#handlers = handlers;
  }

  /**
   * Feed stdout bytes. Returns false when the export stream wants the producer to pause.
   * A stream that stops being frames (an unknown frame type, a status that is no JSON: bytes the
   * engine put in when the exec was cut off) is the runner's error, reported once; the bytes after
   * it are dropped and any export is failed. It never throws: this runs in a stream's 'data'
   * handler, where a throw would end the whole run without a verdict.
   */
  push(chunk: Buffer): boolean {
    if (this.#broken) return true;
    try {
      return this.#frames(chunk);
    } catch (error) {
      this.#broken = true;
      this.end();
      this.#handlers.onRunnerError(`the runner's output stopped being frames: ${sanitizeText((error as Error).message, 200)}`);
      return true;
    }
  }

  #frames(chunk: Buffer): boolean {
    let flowing = true;
    for (const frame of this.#decoder.push(chunk)) {
      switch (frame.type) {
        case FRAME.events:
        {
          const events = parseEventLines(frame.payload.toString('utf8'), (line) => this.#handlers.onBadLine(line));
          // Each event's share of the frame: exact in total, which is what the trace limit counts.
          const bytes = events.length > 0 ? frame.payload.length / events.length : 0;
          for (const event of events) this.#handlers.onEvent(event, bytes);
        }
          break;
        case FRAME.status:
          this.#handlers.onStatus(JSON.parse(frame.payload.toString('utf8')) as RunnerStatus);
          break;
        case FRAME.exportData:
          if (!this.#export) {
            this.#export = new PassThrough({ highWaterMark: 8 * 1024 * 1024 });
            this.#handlers.onExport(this.#export);
          }
          flowing = this.#export.write(frame.payload) && flowing;
          break;
        case FRAME.exportEnd: {
          const result = JSON.parse(frame.payload.toString('utf8')) as { ok: boolean; error?: string };
          this.#export?.end();
          this.#handlers.onExportEnd(result);
          break;
        }
        case FRAME.runnerError:
          this.#handlers.onRunnerError(frame.payload.toString('utf8'));
          break;
      }
    }
    return flowing;
  }

  /**
   * Resolves when the export stream can take more, or will never be written again. A stream that
   * was ended (the export's end frame came in the same chunk as the data that filled it) never
   * emits 'drain': waiting for it would pause the engine's stream for good, and with nothing left
   * to wait for Node would end the run without a verdict.
   */
  drained(): Promise<void> {
    const stream = this.#export;
    if (stream === null || stream.writableEnded || stream.destroyed || !stream.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        for (const name of ['drain', 'finish', 'close', 'error'] as const) stream.off(name, done);
        resolve();
      };
      for (const name of ['drain', 'finish', 'close', 'error'] as const) stream.once(name, done);
    });
  }

  /** The stream ended: an export cut short fails its reader instead of hanging it. */
  end(): void {
    if (this.#export && !this.#export.writableEnded) this.#export.destroy(new Error('the sandbox stopped in the middle of the export'));
  }

  get pendingBytes(): number {
    return this.#decoder.pending;
  }
}
