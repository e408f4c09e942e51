/**
 * HTTP/1.x request heads, parsed strictly (RFC 9112). The gateway parses requests itself instead of
 * using node:http's server: it must keep what a hostile client sent, byte for byte, as evidence —
 * including requests a strict server would reject before any handler saw them — and decide how much
 * to read. Strict matters too: whatever the gateway forwards must not be read differently by the
 * server behind it (request smuggling), so ambiguous framing is refused, never guessed.
 */

export interface RequestHead {
  method: string;
  /** The request target exactly as sent. */
  target: string;
  /** `1.0` or `1.1`. */
  version: string;
  /** Header fields in order, names as sent. */
  headers: Array<[name: string, value: string]>;
}

export type HeadParseResult =
  | { status: 'need-more' }
  | { status: 'too-large' }
  | { status: 'invalid'; reason: string; consumed: number }
  | { status: 'ok'; head: RequestHead; consumed: number };

export const MAX_HEAD_BYTES = 64 * 1024;
const MAX_HEADERS = 200;

/**
 * Offset just past the empty line that ends a head, searching from `from` (pass where the last
 * search stopped, so slowly arriving bytes are scanned once). -1 when not there yet.
 */
export function findHeadEnd(buffer: Uint8Array, from = 0): number {
  let index = Math.max(0, from);
  for (;;) {
    const lf = Buffer.prototype.indexOf.call(buffer, 0x0a, index) as number;
    if (lf < 0) return -1;
    // A line ending at `lf` is empty when the previous line's LF sits right before it (or before a CR).
    if (lf >= 1 && buffer[lf - 1] === 0x0a) return lf + 1;
    if (lf >= 2 && buffer[lf - 1] === 0x0d && buffer[lf - 2] === 0x0a) return lf + 1;
    index = lf + 1;
  }
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Field values: visible ASCII, space, tab and obs-text; no CR, LF, NUL or other controls.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const TARGET = /^[\x21-\x7e\x80-\xff]+$/;

/**
 * Parses a request head at the start of `buffer`. Leading empty lines are skipped (RFC 9112 §2.2).
 * Lines may end in CRLF or LF; a bare CR elsewhere is invalid. Never throws.
 */
export function parseRequestHead(buffer: Uint8Array, limit: number = MAX_HEAD_BYTES, searchFrom = 0): HeadParseResult {
  let start = 0;
  while (start < buffer.length && (buffer[start] === 0x0d || buffer[start] === 0x0a) && start < 8) start++;
  const end = findHeadEnd(buffer, Math.max(start, searchFrom));
  if (end < 0) return buffer.length - start > limit ? { status: 'too-large' } : { status: 'need-more' };
  if (end - start > limit) return { status: 'too-large' };
  const text = Buffer.from(buffer.buffer, buffer.byteOffset + start, end - start).toString('latin1');
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  // The split leaves the final empty line and the empty string after its LF.
  lines.splice(-2, 2);
  const invalid = (reason: string): HeadParseResult => ({ status: 'invalid', reason, consumed: end });
  const requestLine = lines.shift();
  if (requestLine === undefined || requestLine === '') return invalid('empty request line');
  const parts = requestLine.split(' ');
  if (parts.length !== 3) return invalid('request line is not "method target version"');
  const [method, target, versionText] = parts as [string, string, string];
  if (!TOKEN.test(method)) return invalid('bad method');
  if (!TARGET.test(target)) return invalid('bad request target');
  const version = /^HTTP\/(1\.[01])$/.exec(versionText)?.[1];
  if (!version) return invalid('unsupported HTTP version');
  if (lines.length > MAX_HEADERS) return invalid('too many header fields');
  const headers: Array<[string, string]> = [];
  for (const line of lines) {
    if (line.includes('\r')) return invalid('bare CR in header');
    if (line.startsWith(' ') || line.startsWith('\t')) return invalid('obsolete line folding');
    const colon = line.indexOf(':');
    if (colon <= 0) return invalid('header field without a name');
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return invalid('bad header field name');
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!FIELD_VALUE.test(value)) return invalid('control character in header value');
    headers.push([name, value]);
  }
  return { status: 'ok', head: { method, target, version, headers }, consumed: end };
}

/** All values of a header field (case-insensitive name), in order. */
export function headerValues(head: RequestHead, name: string): string[] {
  const lower = name.toLowerCase();
  return head.headers.filter(([key]) => key.toLowerCase() === lower).map(([, value]) => value);
}

/** The single value of a header field; undefined when absent. Repeated fields are joined with `, `. */
export function headerValue(head: RequestHead, name: string): string | undefined {
  const values = headerValues(head, name);
  return values.length === 0 ? undefined : values.join(', ');
}

/** Headers as a record with lower-cased names, repeated fields joined (evidence form). */
export function headerRecord(head: RequestHead): Record<string, string> {
  const record: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of head.headers) {
    const key = name.toLowerCase();
    record[key] = key in record ? `${record[key]}, ${value}` : value;
  }
  return { ...record };
}

export type BodyFraming =
  | { type: 'none' }
  | { type: 'length'; length: number }
  | { type: 'chunked' }
  | { type: 'invalid'; reason: string };

/**
 * How the request body is delimited (RFC 9112 §6.3). Transfer-Encoding together with
 * Content-Length, differing Content-Lengths, or a transfer coding other than a final `chunked` are
 * refused: those are the ambiguities request smuggling is made of.
 */
export function requestBodyFraming(head: RequestHead): BodyFraming {
  const transfer = headerValues(head, 'transfer-encoding');
  const lengths = headerValues(head, 'content-length');
  if (transfer.length > 0) {
    if (lengths.length > 0) return { type: 'invalid', reason: 'both Transfer-Encoding and Content-Length' };
    if (head.version === '1.0') return { type: 'invalid', reason: 'Transfer-Encoding in HTTP/1.0' };
    const codings = transfer.join(',').split(',').map((coding) => coding.trim().toLowerCase()).filter((coding) => coding !== '');
    if (codings.length !== 1 || codings[0] !== 'chunked') return { type: 'invalid', reason: 'transfer coding other than chunked' };
    return { type: 'chunked' };
  }
  if (lengths.length === 0) return { type: 'none' };
  const values = new Set(lengths.join(',').split(',').map((value) => value.trim()));
  if (values.size !== 1) return { type: 'invalid', reason: 'conflicting Content-Length' };
  const [value] = [...values] as [string];
  if (!/^\d{1,15}$/.test(value)) return { type: 'invalid', reason: 'bad Content-Length' };
  const length = Number(value);
  return length === 0 ? { type: 'none' } : { type: 'length', length };
}

/** Whether the connection stays open after this request (HTTP/1.1 default yes, 1.0 default no). */
export function keepsAlive(head: RequestHead): boolean {
  const tokens = headerValues(head, 'connection').join(',').toLowerCase().split(',').map((token) => token.trim());
  if (tokens.includes('close')) return false;
  return head.version === '1.1' || tokens.includes('keep-alive');
}

/** Host and port out of an authority (`host`, `host:port`, `[v6]:port`), or null when malformed. */
export function parseAuthority(authority: string, defaultPort: number): { host: string; port: number } | null {
  if (authority === '' || authority.length > 300 || /[\s/?#@\\]/.test(authority)) return null;
  let host: string;
  let portText: string | undefined;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0) return null;
    host = authority.slice(1, close);
    const rest = authority.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return null;
    portText = rest === '' ? undefined : rest.slice(1);
    if (!/^[0-9a-fA-F:.]+$/.test(host) || !host.includes(':')) return null;
  } else {
    const colon = authority.lastIndexOf(':');
    if (colon >= 0 && authority.indexOf(':') !== colon) return null; // bare IPv6 without brackets
    host = colon >= 0 ? authority.slice(0, colon) : authority;
    portText = colon >= 0 ? authority.slice(colon + 1) : undefined;
    if (!/^[A-Za-z0-9._-]+$/.test(host)) return null;
  }
  if (host === '') return null;
  let port = defaultPort;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText)) return null;
    port = Number(portText);
    if (port < 1 || port > 65535) return null;
  }
  return { host: host.toLowerCase().replace(/\.$/, ''), port };
}

export type RequestTarget =
  | { form: 'origin'; path: string }
  | { form: 'absolute'; scheme: string; host: string; port: number; path: string }
  | { form: 'authority'; host: string; port: number }
  | { form: 'asterisk' }
  | { form: 'invalid'; reason: string };

/** Classifies a request target (RFC 9112 §3.2). */
export function parseRequestTarget(method: string, target: string): RequestTarget {
  if (method === 'CONNECT') {
    const authority = parseAuthority(target, -1);
    if (!authority || authority.port < 0) return { form: 'invalid', reason: 'CONNECT needs host:port' };
    return { form: 'authority', ...authority };
  }
  if (target === '*') return method === 'OPTIONS' ? { form: 'asterisk' } : { form: 'invalid', reason: '* outside OPTIONS' };
  if (target.startsWith('/')) return { form: 'origin', path: target };
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/.exec(target);
  if (!match) return { form: 'invalid', reason: 'unrecognised request target' };
  const scheme = (match[1] as string).toLowerCase();
  const defaultPort = scheme === 'http' ? 80 : scheme === 'https' ? 443 : -1;
  if (defaultPort < 0) return { form: 'invalid', reason: `unsupported scheme ${scheme}` };
  const authority = parseAuthority(match[2] as string, defaultPort);
  if (!authority) return { form: 'invalid', reason: 'bad authority' };
  const rest = match[3] as string;
  const path = rest === '' ? '/' : rest.startsWith('/') ? rest : `/${rest}`;
  return { form: 'absolute', scheme, host: authority.host, port: authority.port, path };
}
