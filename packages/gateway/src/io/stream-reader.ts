/**
 * Pull-style reading from a socket: the HTTP, TLS and DNS handlers ask for "more bytes" and parse
 * what has arrived with the pure parsers. Reading pauses the socket when the pending bytes pass a
 * high-water mark, so a fast sender cannot make the gateway buffer without bound.
 */
import type { Socket } from 'node:net';

export class StreamReader {
  #chunks: Buffer[] = [];
  #length = 0;
  #ended = false;
  #error: Error | null = null;
  #waiter: (() => void) | null = null;
  #released = false;

  constructor(
    private readonly socket: Socket,
    private readonly highWater = 1024 * 1024,
  ) {
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onEnd);
    socket.on('error', this.#onError);
  }

  #onData = (chunk: Buffer): void => {
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    if (this.#length >= this.highWater) this.socket.pause();
    this.#wake();
  };

  #onEnd = (): void => {
    this.#ended = true;
    this.#wake();
  };

  #onError = (error: Error): void => {
    this.#error = error;
    this.#ended = true;
    this.#wake();
  };

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.();
  }

  /** Everything received and not yet consumed. */
  get buffer(): Buffer {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0] ?? Buffer.alloc(0);
  }

  get length(): number {
    return this.#length;
  }

  /** True once the peer ended or the socket failed; no more bytes will come. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Waits for more bytes. Resolves false when none will come. */
  async more(): Promise<boolean> {
    if (this.#released) return false;
    if (this.#ended) return false;
    const before = this.#length;
    this.socket.resume();
    await new Promise<void>((resolve) => {
      this.#waiter = resolve;
    });
    return this.#length > before || !this.#ended;
  }

  /** Drops `count` bytes from the front. */
  consume(count: number): Buffer {
    const all = this.buffer;
    const taken = all.subarray(0, count);
    const rest = all.subarray(count);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#length = rest.length;
    if (this.#length < this.highWater && !this.#ended) this.socket.resume();
    return taken;
  }

  /** Puts bytes back at the front (read past the end of a message that turned out shorter). */
  unconsume(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#chunks = [bytes, ...this.#chunks];
    this.#length += bytes.length;
  }

  /** Takes up to `count` bytes, waiting for at least one. Empty when the stream ended. */
  async take(count: number): Promise<Buffer> {
    while (this.#length === 0) if (!(await this.more())) break;
    return this.consume(Math.min(count, this.#length));
  }

  /**
   * Stops reading and hands the socket back (paused) with the bytes read but not consumed, so the
   * caller can splice it to another socket without losing or reordering a byte.
   */
  release(): Buffer {
    this.socket.pause();
    this.socket.off('data', this.#onData);
    this.socket.off('end', this.#onEnd);
    this.socket.off('close', this.#onEnd);
    this.socket.off('error', this.#onError);
    this.#released = true;
    const rest = this.buffer;
    this.#chunks = [];
    this.#length = 0;
    return rest;
  }
}

/** Reads one `\n`-terminated line (without it). Null when the stream ended first or the line is too long. */
export async function readLine(reader: StreamReader, maxBytes: number): Promise<string | null> {
  let searched = 0;
  for (;;) {
    const newline = reader.buffer.indexOf(0x0a, searched);
    if (newline >= 0) {
      if (newline > maxBytes) return null;
      const line = reader.consume(newline + 1).subarray(0, newline).toString('utf8');
      return line;
    }
    searched = reader.length;
    if (searched > maxBytes) return null;
    if (!(await reader.more())) return null;
  }
}
