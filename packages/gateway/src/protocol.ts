/**
 * The wire between the forwarder (inside the sandbox) and the gateway (outside it). Both ends live in
 * this package, so the shape below cannot drift between them.
 *
 * One unix stream per client connection (or per UDP client address): the forwarder writes exactly one
 * header line — JSON, then `\n` — and after it the client's bytes, unchanged; the gateway answers with
 * raw bytes. UDP DNS datagrams are framed with a 2-byte big-endian length, as in DNS over TCP, so the
 * gateway handles both DNS transports with one code path.
 */
import type { PackageRef } from '@safe-install/schema';

/** The file name of the gateway's listening socket inside the shared socket directory. */
export const GATEWAY_SOCKET_NAME = 'gateway.sock';

/** A header line longer than this is refused: the forwarder never writes one this long. */
export const MAX_HEADER_LINE_BYTES = 16 * 1024;

/** Which forwarder listener accepted the client. */
export type ForwardKind = 'proxy' | 'sink' | 'dns-udp' | 'dns-tcp';

/**
 * Who the client is, as far as the sandbox side can tell. Every field is optional: attribution is
 * best effort, and an unattributed connection is still relayed and recorded.
 */
export interface ClientIdentity {
  /** Inode of the client's socket (`socket:[N]` without the decoration). */
  socket?: string;
  /** The client process, when the runner could map the socket to it. */
  pid?: number;
  /** The package whose lifecycle script owns that process. */
  package?: PackageRef;
  /** The lifecycle event (`postinstall`, ...). */
  lifecycle?: string;
}

/** The one line the forwarder writes before the client's bytes. */
export interface ForwardHeader {
  kind: ForwardKind;
  /** The local port the client connected or sent to (the service port, e.g. 3128, 53, 80, 443). */
  port: number;
  client: ClientIdentity;
}

export function encodeForwardHeader(header: ForwardHeader): string {
  // JSON.stringify escapes every control character, so the line cannot contain a raw newline.
  return `${JSON.stringify(header)}\n`;
}

const KINDS: ReadonlySet<string> = new Set<ForwardKind>(['proxy', 'sink', 'dns-udp', 'dns-tcp']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function boundedString(value: unknown, max: number): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined;
}

/**
 * Keeps only well-formed identity fields. Used on both ends: on the forwarder for what the runner's
 * callback returned, on the gateway for what arrived on the wire.
 */
export function sanitizeIdentity(value: unknown): ClientIdentity {
  if (!isRecord(value)) return {};
  const identity: ClientIdentity = {};
  const socket = value['socket'];
  if (typeof socket === 'string' && /^\d{1,20}$/.test(socket)) identity.socket = socket;
  const pid = value['pid'];
  if (typeof pid === 'number' && Number.isInteger(pid) && pid > 0 && pid < 2 ** 31) identity.pid = pid;
  const pkg = value['package'];
  if (isRecord(pkg)) {
    const name = boundedString(pkg['name'], 214);
    const version = boundedString(pkg['version'], 256);
    if (name && version !== undefined) identity.package = { name, version };
    else if (name) identity.package = { name, version: '' };
  }
  const lifecycle = boundedString(value['lifecycle'], 128);
  if (lifecycle) identity.lifecycle = lifecycle;
  return identity;
}

export type ParsedForwardHeader = { ok: true; header: ForwardHeader } | { ok: false; reason: string };

/** Parses one header line (without its `\n`). Never throws. */
export function parseForwardHeader(line: string): ParsedForwardHeader {
  if (line.length > MAX_HEADER_LINE_BYTES) return { ok: false, reason: 'header line too long' };
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, reason: 'header is not JSON' };
  }
  if (!isRecord(value)) return { ok: false, reason: 'header is not an object' };
  const kind = value['kind'];
  if (typeof kind !== 'string' || !KINDS.has(kind)) return { ok: false, reason: 'unknown kind' };
  const port = value['port'];
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) return { ok: false, reason: 'bad port' };
  return { ok: true, header: { kind: kind as ForwardKind, port, client: sanitizeIdentity(value['client']) } };
}
