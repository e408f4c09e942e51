/**
 * Reads the server name (SNI) and ALPN protocols out of a TLS ClientHello, the first flight a TLS
 * client sends. Without terminating TLS this is all the gateway can know about where an encrypted
 * connection wants to go. The hello may span several TLS records (legal, and used to dodge naive
 * SNI filters), so records are reassembled up to a limit. Never throws; work is linear in the input.
 */

export type ClientHelloResult =
  /** The bytes so far are a valid prefix; read more. */
  | { status: 'need-more' }
  /** The first bytes are not a TLS handshake record: some other protocol. */
  | { status: 'not-tls' }
  | { status: 'invalid'; reason: string }
  | {
      status: 'ok';
      /** The SNI host name, lower-cased; absent when the client sent none (e.g. a raw IP). */
      serverName?: string;
      alpn: string[];
      /** Bytes of the records that made up the hello. */
      bytes: number;
    };

/** Larger hellos exist only in attacks; real ones, post-quantum key shares included, are < 8 KiB. */
export const MAX_CLIENT_HELLO_BYTES = 64 * 1024;
const RECORD_HEADER = 5;
const MAX_RECORD = 16384 + 2048;
const HANDSHAKE = 0x16;
const CLIENT_HELLO = 1;

class Cursor {
  constructor(
    private readonly bytes: Uint8Array,
    public offset: number,
    private readonly end: number,
  ) {}
  get remaining(): number {
    return this.end - this.offset;
  }
  u8(): number | null {
    if (this.remaining < 1) return null;
    return this.bytes[this.offset++] as number;
  }
  u16(): number | null {
    if (this.remaining < 2) return null;
    const value = ((this.bytes[this.offset] as number) << 8) | (this.bytes[this.offset + 1] as number);
    this.offset += 2;
    return value;
  }
  take(length: number): Cursor | null {
    if (length > this.remaining) return null;
    const sub = new Cursor(this.bytes, this.offset, this.offset + length);
    this.offset += length;
    return sub;
  }
  skip(length: number): boolean {
    if (length > this.remaining) return false;
    this.offset += length;
    return true;
  }
  slice(): Uint8Array {
    return this.bytes.subarray(this.offset, this.end);
  }
}

/** A host name as SNI allows it: ASCII letters, digits, `-`, `_`, `.`; no empty labels. */
function validHostName(bytes: Uint8Array): string | null {
  if (bytes.length === 0 || bytes.length > 255) return null;
  let name = '';
  for (const byte of bytes) {
    const ok = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x2d || byte === 0x2e || byte === 0x5f;
    if (!ok) return null;
    name += String.fromCharCode(byte);
  }
  if (name.startsWith('.') || name.includes('..')) return null;
  return name.toLowerCase().replace(/\.$/, '');
}

function parseHello(body: Uint8Array, bytes: number): ClientHelloResult {
  const cursor = new Cursor(body, 0, body.length);
  const invalid = (reason: string): ClientHelloResult => ({ status: 'invalid', reason });
  if (!cursor.skip(2 + 32)) return invalid('hello too short for version and random');
  const sessionLength = cursor.u8();
  if (sessionLength === null || sessionLength > 32 || !cursor.skip(sessionLength)) return invalid('bad session id');
  const suitesLength = cursor.u16();
  if (suitesLength === null || suitesLength < 2 || suitesLength % 2 !== 0 || !cursor.skip(suitesLength)) return invalid('bad cipher suites');
  const compressionLength = cursor.u8();
  if (compressionLength === null || compressionLength < 1 || !cursor.skip(compressionLength)) return invalid('bad compression methods');
  const result: { status: 'ok'; serverName?: string; alpn: string[]; bytes: number } = { status: 'ok', alpn: [], bytes };
  if (cursor.remaining === 0) return result; // no extensions at all (very old clients)
  const extensionsLength = cursor.u16();
  if (extensionsLength === null) return invalid('bad extensions length');
  const extensions = cursor.take(extensionsLength);
  if (!extensions) return invalid('extensions run past the hello');
  const seen = new Set<number>();
  while (extensions.remaining > 0) {
    const type = extensions.u16();
    const length = extensions.u16();
    if (type === null || length === null) return invalid('truncated extension header');
    const data = extensions.take(length);
    if (!data) return invalid('extension runs past the hello');
    // RFC 8446 §4.2: at most one extension of each type; a duplicate SNI could hide the real target.
    if (seen.has(type)) return invalid('duplicate extension');
    seen.add(type);
    if (type === 0) {
      const listLength = data.u16();
      const list = listLength === null ? null : data.take(listLength);
      if (!list) return invalid('bad server name list');
      while (list.remaining > 0) {
        const nameType = list.u8();
        const nameLength = list.u16();
        const name = nameLength === null ? null : list.take(nameLength);
        if (nameType === null || !name) return invalid('bad server name entry');
        if (nameType !== 0) continue;
        if (result.serverName !== undefined) return invalid('more than one host name');
        const host = validHostName(name.slice());
        if (host === null) return invalid('server name is not a host name');
        result.serverName = host;
      }
    } else if (type === 16) {
      const listLength = data.u16();
      const list = listLength === null ? null : data.take(listLength);
      if (!list) return invalid('bad ALPN list');
      while (list.remaining > 0 && result.alpn.length < 16) {
        const length = list.u8();
        const protocol = length === null ? null : list.take(length);
        if (!protocol) return invalid('bad ALPN entry');
        result.alpn.push(Buffer.from(protocol.slice()).toString('latin1'));
      }
    }
  }
  return result;
}

/** Parses the ClientHello at the start of `input`. */
export function parseClientHello(input: Uint8Array, maxBytes: number = MAX_CLIENT_HELLO_BYTES): ClientHelloResult {
  if (input.length === 0) return { status: 'need-more' };
  if (input[0] !== HANDSHAKE) return { status: 'not-tls' };
  // Reassemble the handshake message from as many records as it spans.
  const fragments: Uint8Array[] = [];
  let handshakeBytes = 0;
  let offset = 0;
  let needed = -1; // total handshake bytes (4-byte header + body), once known
  while (needed < 0 || handshakeBytes < needed) {
    if (offset + RECORD_HEADER > input.length) return offset + RECORD_HEADER > maxBytes ? { status: 'invalid', reason: 'hello too large' } : { status: 'need-more' };
    if (input[offset] !== HANDSHAKE) return offset === 0 ? { status: 'not-tls' } : { status: 'invalid', reason: 'hello interrupted by another record type' };
    if (input[offset + 1] !== 0x03) return offset === 0 ? { status: 'not-tls' } : { status: 'invalid', reason: 'bad record version' };
    const length = ((input[offset + 3] as number) << 8) | (input[offset + 4] as number);
    if (length === 0 || length > MAX_RECORD) return { status: 'invalid', reason: 'bad record length' };
    if (offset + RECORD_HEADER + length > maxBytes) return { status: 'invalid', reason: 'hello too large' };
    if (offset + RECORD_HEADER + length > input.length) {
      // Judge the handshake header as soon as it is here: a hostile length is refused before waiting for it.
      if (needed < 0) {
        const head = Buffer.concat([...fragments, input.subarray(offset + RECORD_HEADER)]);
        if (head.length >= 4) {
          if (head[0] !== CLIENT_HELLO) return { status: 'invalid', reason: 'first handshake message is not a ClientHello' };
          if (4 + (((head[1] as number) << 16) | ((head[2] as number) << 8) | (head[3] as number)) > maxBytes) return { status: 'invalid', reason: 'hello too large' };
        }
      }
      return { status: 'need-more' };
    }
    fragments.push(input.subarray(offset + RECORD_HEADER, offset + RECORD_HEADER + length));
    handshakeBytes += length;
    offset += RECORD_HEADER + length;
    if (needed < 0 && handshakeBytes >= 4) {
      const head = Buffer.concat(fragments).subarray(0, 4);
      if (head[0] !== CLIENT_HELLO) return { status: 'invalid', reason: 'first handshake message is not a ClientHello' };
      needed = 4 + (((head[1] as number) << 16) | ((head[2] as number) << 8) | (head[3] as number));
      if (needed > maxBytes) return { status: 'invalid', reason: 'hello too large' };
    }
  }
  const handshake = Buffer.concat(fragments);
  return parseHello(handshake.subarray(4, needed), offset);
}
