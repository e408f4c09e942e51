/**
 * An incremental decoder for the chunked transfer coding (RFC 9112 §7.1). It keeps no more than one
 * chunk-size line or trailer section in memory, whatever the peer sends, and reports where the
 * message ended so that the bytes after it (a pipelined request) are not lost.
 */

export interface ChunkedPushResult {
  /** Decoded body bytes from this push. */
  data: Buffer[];
  /** The message body is complete (last chunk and trailers read). */
  done: boolean;
  /** When done: the bytes of this push after the end of the body. */
  rest?: Buffer;
  /** Malformed coding: stop reading; the connection cannot be trusted any more. */
  error?: string;
}

type State = 'size' | 'data' | 'data-end' | 'trailer' | 'done' | 'error';

export class ChunkedDecoder {
  #state: State = 'size';
  #line = '';
  #remaining = 0;
  #trailerBytes = 0;

  constructor(private readonly limits: { maxLineBytes: number; maxTrailerBytes: number } = { maxLineBytes: 4096, maxTrailerBytes: 16 * 1024 }) {}

  push(chunk: Uint8Array): ChunkedPushResult {
    const data: Buffer[] = [];
    const input = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let offset = 0;
    const fail = (error: string): ChunkedPushResult => {
      this.#state = 'error';
      return { data, done: false, error };
    };
    if (this.#state === 'error') return { data, done: false, error: 'decoder already failed' };
    while (offset < input.length && this.#state !== 'done') {
      if (this.#state === 'data') {
        const take = Math.min(this.#remaining, input.length - offset);
        data.push(Buffer.from(input.subarray(offset, offset + take)));
        offset += take;
        this.#remaining -= take;
        if (this.#remaining === 0) this.#state = 'data-end';
        continue;
      }
      // Line-oriented states: collect up to LF.
      const lf = input.indexOf(0x0a, offset);
      const end = lf < 0 ? input.length : lf;
      this.#line += input.subarray(offset, end).toString('latin1');
      offset = lf < 0 ? input.length : lf + 1;
      const limit = this.#state === 'trailer' ? this.limits.maxTrailerBytes : this.limits.maxLineBytes;
      if (this.#line.length > limit) return fail('line too long');
      if (lf < 0) break;
      const line = this.#line.endsWith('\r') ? this.#line.slice(0, -1) : this.#line;
      this.#line = '';
      if (line.includes('\r')) return fail('bare CR');
      if (this.#state === 'data-end') {
        if (line !== '') return fail('chunk data longer than its size');
        this.#state = 'size';
      } else if (this.#state === 'size') {
        const match = /^([0-9A-Fa-f]{1,13})[ \t]*(;.*)?$/.exec(line);
        if (!match) return fail('bad chunk size');
        const size = parseInt(match[1] as string, 16);
        if (size === 0) this.#state = 'trailer';
        else {
          this.#remaining = size;
          this.#state = 'data';
        }
      } else {
        // trailer section: field lines until an empty line
        if (line === '') this.#state = 'done';
        else {
          this.#trailerBytes += line.length + 2;
          if (this.#trailerBytes > this.limits.maxTrailerBytes) return fail('trailers too large');
        }
      }
    }
    if (this.#state === 'done') return { data, done: true, rest: Buffer.from(input.subarray(offset)) };
    return { data, done: false };
  }
}
