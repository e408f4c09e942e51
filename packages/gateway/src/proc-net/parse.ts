/**
 * `/proc/net/{tcp,tcp6,udp,udp6}`: the kernel's socket tables for the reading process's network
 * namespace. The forwarder knows a client only by its address and port; this table maps that to the
 * socket's inode, which the tracer also sees (`socket:[N]` in strace output), and so to a process.
 *
 * Format (one socket per line after a header):
 *   sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt   uid  timeout inode ...
 *    0: 0100007F:0C38 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 ...
 * Addresses are hex in host byte order per 32-bit word (little-endian here), ports are big-endian hex.
 */

export interface ProcNetSocket {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** Kernel state code, e.g. 1 = ESTABLISHED, 10 = LISTEN (TCP), 7 = CLOSE (UDP, unconnected). */
  state: number;
  uid: number;
  /** Socket inode as a decimal string; `0` for sockets in TIME_WAIT and the like. */
  inode: string;
}

/** Guards against an absurd table (or input that is not one): stop after this many lines. */
const MAX_LINES = 100_000;

/** 8 hex digits (one little-endian 32-bit word) to dotted quad. */
function wordToIpv4(hex: string): string {
  const value = parseInt(hex, 16);
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff].join('.');
}

function decodeAddress(hex: string): string | null {
  if (hex.length === 8) return wordToIpv4(hex);
  if (hex.length !== 32) return null;
  const bytes: number[] = [];
  for (let word = 0; word < 4; word++) {
    const value = parseInt(hex.slice(word * 8, word * 8 + 8), 16);
    bytes.push(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff);
  }
  // ::ffff:a.b.c.d is shown as IPv4: that is how the peer of an IPv4 client appears on a dual-stack socket.
  if (bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12).join('.');
  const groups: number[] = [];
  for (let index = 0; index < 16; index += 2) groups.push(((bytes[index] as number) << 8) | (bytes[index + 1] as number));
  return formatIpv6(groups);
}

/** RFC 5952 text form: lower-case hex, the longest run of two or more zero groups as `::`. */
function formatIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let index = 0; index < groups.length; ) {
    if (groups[index] !== 0) {
      index++;
      continue;
    }
    let end = index;
    while (end < groups.length && groups[end] === 0) end++;
    if (end - index > bestLength) {
      bestStart = index;
      bestLength = end - index;
    }
    index = end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function parseEndpoint(text: string): { address: string; port: number } | null {
  const match = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(text);
  if (!match) return null;
  const address = decodeAddress(match[1] as string);
  return address === null ? null : { address, port: parseInt(match[2] as string, 16) };
}

/** Parses a whole table. Lines that do not have the expected shape are skipped. Never throws. */
export function parseProcNet(text: string): ProcNetSocket[] {
  const sockets: ProcNetSocket[] = [];
  let start = 0;
  for (let count = 0; count < MAX_LINES && start < text.length; count++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, Math.min(end, start + 1024));
    start = end + 1;
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || !/^\d+:$/.test(fields[0] as string)) continue;
    const local = parseEndpoint(fields[1] as string);
    const remote = parseEndpoint(fields[2] as string);
    const state = /^[0-9A-Fa-f]{2}$/.test(fields[3] as string) ? parseInt(fields[3] as string, 16) : NaN;
    const uid = /^\d{1,10}$/.test(fields[7] as string) ? Number(fields[7]) : NaN;
    const inode = fields[9] as string;
    if (!local || !remote || Number.isNaN(state) || Number.isNaN(uid) || !/^\d{1,20}$/.test(inode)) continue;
    sockets.push({ localAddress: local.address, localPort: local.port, remoteAddress: remote.address, remotePort: remote.port, state, uid, inode });
  }
  return sockets;
}

/** What the forwarder knows about a client: its address and port, and the service address it reached. */
export interface ClientEndpoint {
  clientAddress?: string;
  clientPort: number;
  serviceAddress?: string;
  servicePort: number;
}

/**
 * The inode of the client's own socket: the one whose local end is the client's port and whose
 * remote end is the service (for connected sockets; an unconnected UDP socket has remote port 0).
 * The forwarder's accepted socket is the mirror image and is never chosen. Null when not found
 * (the client closed already, or the tables were read from another namespace).
 */
export function findClientSocket(sockets: readonly ProcNetSocket[], client: ClientEndpoint): string | null {
  let fallback: string | null = null;
  for (const socket of sockets) {
    if (socket.inode === '0' || socket.localPort !== client.clientPort) continue;
    if (client.clientAddress !== undefined && socket.localAddress !== client.clientAddress && socket.localAddress !== '0.0.0.0' && socket.localAddress !== '::') continue;
    if (socket.remotePort === client.servicePort && (client.serviceAddress === undefined || socket.remoteAddress === client.serviceAddress)) return socket.inode;
    if (socket.remotePort === 0 && fallback === null) fallback = socket.inode;
  }
  return fallback;
}
