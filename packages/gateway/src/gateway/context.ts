/**
 * What every connection handler shares: the config, the event log, the decoy matcher, the compiled
 * allowlist and the upstream connector; plus small helpers for answering and for evidence.
 */
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { DecoyMatch, DecoyMatcher } from '../canary/matcher.js';
import type { GatewayConfig } from '../config.js';
import type { CompiledAllowlist } from '../egress/allow.js';
import type { ClientIdentity, ForwardHeader } from '../protocol.js';
import type { StreamReader } from '../io/stream-reader.js';
import type { EventLog, GatewayHttpEvent } from './event-log.js';
import type { Upstream } from './upstream.js';
import type { RegistryAlias } from '../http/route.js';
import type { RegistryTls } from './registry-tls.js';

export interface GatewayContext {
  config: GatewayConfig;
  events: EventLog;
  matcher: DecoyMatcher;
  allowlist: CompiledAllowlist;
  upstream: Upstream;
  /** `host:port` forms under which the sandbox reaches the proxy port itself. */
  selfAuthorities: ReadonlySet<string>;
  /** Registries the sandbox knows by their own host and path. */
  registryAliases: readonly RegistryAlias[];
  /** The run's CA, when a registry is known by an https URL; null otherwise. */
  tls: RegistryTls | null;
}

/** One client connection after the forwarder's header line. */
export interface ClientConnection {
  socket: Socket;
  reader: StreamReader;
  header: ForwardHeader;
}

/** Writes a complete response; returns the body's byte count. */
export function writeResponse(socket: Socket, status: number, headers: Record<string, string | number>, body?: Buffer | string, options: { head?: boolean } = {}): number {
  const bytes = body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Status'}`];
  const all: Record<string, string | number> = { 'content-length': bytes.length, ...headers };
  for (const [name, value] of Object.entries(all)) lines.push(`${name}: ${value}`);
  if (socket.destroyed || !socket.writable) return 0;
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  if (!options.head && bytes.length > 0) socket.write(bytes);
  return options.head ? 0 : bytes.length;
}

/** JSON error body, as npm prints registry errors. */
export function jsonError(message: string): string {
  return JSON.stringify({ error: message });
}

/** Evidence form of a body: UTF-8 text when it is valid UTF-8, base64 otherwise. */
export function bodyEvidence(body: Buffer): { body: string; bodyEncoding: 'utf8' | 'base64' } {
  try {
    return { body: new TextDecoder('utf-8', { fatal: true }).decode(body), bodyEncoding: 'utf8' };
  } catch {
    return { body: body.toString('base64'), bodyEncoding: 'base64' };
  }
}

/** The body as the client meant it: gzip, deflate and br undone (bounded), for canary scanning. */
export function decodedBody(body: Buffer, contentEncoding: string | undefined): Buffer | null {
  const encoding = contentEncoding?.trim().toLowerCase();
  const maxOutputLength = 16 * 1024 * 1024;
  try {
    if (encoding === 'gzip' || encoding === 'x-gzip') return gunzipSync(body, { maxOutputLength });
    if (encoding === 'deflate') return inflateSync(body, { maxOutputLength });
    if (encoding === 'br') return brotliDecompressSync(body, { maxOutputLength });
  } catch {
    return null; // truncated evidence or not really compressed: the raw body was scanned anyway
  }
  return null;
}

/** Scans a request's parts for decoy values. */
export function scanRequest(matcher: DecoyMatcher, parts: { url?: string; headers?: ReadonlyArray<[string, string]>; body?: Buffer; contentEncoding?: string }): DecoyMatch[] {
  const matches: DecoyMatch[] = [];
  if (parts.url) matches.push(...matcher.scan(parts.url, 'url'));
  if (parts.headers && parts.headers.length > 0) matches.push(...matcher.scan(Buffer.from(parts.headers.map(([name, value]) => `${name}: ${value}`).join('\n'), 'latin1'), 'header'));
  if (parts.body && parts.body.length > 0) {
    matches.push(...matcher.scan(parts.body, 'body'));
    const decoded = decodedBody(parts.body, parts.contentEncoding);
    if (decoded) matches.push(...matcher.scan(decoded, 'body'));
  }
  const seen = new Set<string>();
  return matches.filter((match) => {
    const key = `${match.valueIndex}:${match.where}:${match.encoding}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Records one decoy-exfiltration event per match, pointing at the event they were seen in. */
export function recordDecoys(context: GatewayContext, client: ClientIdentity, matches: readonly DecoyMatch[], seenIn: string): void {
  for (const match of matches) {
    context.events.emit(client, { type: 'decoy-exfiltration', decoyKind: match.kind, where: match.where, encoding: match.encoding, seenIn, ...(match.partial ? { partial: true } : {}) });
  }
}

/** Records an http event and the decoys seen in it. */
export function recordHttp(context: GatewayContext, client: ClientIdentity, body: Omit<GatewayHttpEvent, 'id' | 'ts' | 'source' | 'pid' | 'ppid' | 'package' | 'lifecycle' | 'socket'>, matches: readonly DecoyMatch[] = []): void {
  const event = context.events.emit(client, body);
  recordDecoys(context, client, matches, event.id);
}
