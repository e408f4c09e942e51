/**
 * DNS-over-TCP framing (RFC 1035 §4.2.2): each message preceded by its length, 2 bytes big-endian.
 * The forwarder uses the same framing for UDP datagrams, so one splitter serves both transports.
 */

/** Prefixes a message with its 2-byte length. Messages longer than 65535 bytes cannot be framed. */
export function frameDnsMessage(message: Uint8Array): Buffer {
  if (message.length > 0xffff) throw new RangeError('DNS message longer than 65535 bytes');
  const out = Buffer.allocUnsafe(message.length + 2);
  out.writeUInt16BE(message.length, 0);
  out.set(message, 2);
  return out;
}

/**
 * Splits a byte stream into length-prefixed messages. Holds at most one partial message (< 64 KiB
 * plus the bytes of one push), so a hostile peer cannot make it grow without bound.
 */
export class DnsFrameSplitter {
  #pending: Buffer = Buffer.alloc(0);

  push(chunk: Uint8Array): Buffer[] {
    this.#pending = this.#pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#pending, chunk]);
    const messages: Buffer[] = [];
    let offset = 0;
    while (this.#pending.length - offset >= 2) {
      const length = this.#pending.readUInt16BE(offset);
      if (this.#pending.length - offset - 2 < length) break;
      messages.push(Buffer.from(this.#pending.subarray(offset + 2, offset + 2 + length)));
      offset += 2 + length;
    }
    this.#pending = Buffer.from(this.#pending.subarray(offset));
    return messages;
  }

  /** Bytes of an incomplete message still waiting for the rest. */
  get pendingBytes(): number {
    return this.#pending.length;
  }
}
