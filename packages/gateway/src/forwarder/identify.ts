/**
 * The default client identification: the client's socket inode, from the kernel's socket tables.
 * The runner builds on it (inode -> pid through the tracer's events -> package and lifecycle).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findClientSocket, parseProcNet } from '../proc-net/parse.js';
import type { ClientIdentity } from '../protocol.js';
import type { IdentifyClient, IdentifyQuery } from './forwarder.js';

/** Tables larger than this are not read whole (a sandbox has a handful of sockets). */
const MAX_TABLE_BYTES = 8 * 1024 * 1024;

async function readTable(path: string): Promise<string> {
  try {
    const text = await readFile(path, 'latin1');
    return text.length > MAX_TABLE_BYTES ? text.slice(0, MAX_TABLE_BYTES) : text;
  } catch {
    return ''; // no IPv6 in this kernel, or no /proc: unattributed, not fatal
  }
}

/** Looks the client up in `<procDir>/net/{tcp,tcp6}` or `{udp,udp6}`. */
export async function socketInodeOf(query: IdentifyQuery, procDir = '/proc'): Promise<string | null> {
  const tables = query.protocol === 'tcp' ? ['tcp', 'tcp6'] : ['udp', 'udp6'];
  for (const table of tables) {
    const sockets = parseProcNet(await readTable(join(procDir, 'net', table)));
    const inode = findClientSocket(sockets, {
      clientPort: query.remotePort,
      servicePort: query.localPort,
      ...(query.remoteAddress ? { clientAddress: query.remoteAddress.replace(/^::ffff:/, '') } : {}),
      ...(query.localAddress ? { serviceAddress: query.localAddress.replace(/^::ffff:/, '') } : {}),
    });
    if (inode !== null) return inode;
  }
  return null;
}

/** An `identify` callback that returns just the socket inode. */
export function createProcNetIdentify(procDir = '/proc'): IdentifyClient {
  return async (query): Promise<ClientIdentity> => {
    const inode = await socketInodeOf(query, procDir);
    return inode === null ? {} : { socket: inode };
  };
}
