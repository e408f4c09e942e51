/**
 * Readers for the argument values strace prints: arrays, structs, flag sets, modes and socket
 * addresses. Like the line parser they are total: a value that is not what was expected gives
 * `null` (or an empty result), never an exception.
 */

import { decodeStraceString, findClosing, scanArguments } from './parse-line.js';
import type { DecodedString } from './parse-line.js';

/** An array argument: `["a", "b"]`, `["a", ...]` when strace stopped printing elements. */
export interface ArrayValue {
  items: string[];
  /** strace printed `...` for more elements, or the array was cut (an overlong line). */
  truncated: boolean;
}

/**
 * Read an array argument. With `partial`, a cut array (`["a", "b", "c`) gives its complete
 * elements and `truncated`.
 */
export function parseArray(arg: string, partial = false): ArrayValue | null {
  const text = arg.trim();
  if (!text.startsWith('[')) return null;
  const scan = scanArguments(text, 1, partial, ']');
  if (scan === null) return null;
  let items = scan.args;
  let truncated = false;
  if (scan.stop === 'close') {
    if (text.slice(scan.end + 1).trim() !== '') return null;
  } else if (scan.stop === 'eof' && partial) {
    truncated = true;
  } else {
    return null;
  }
  if (items.length > 0 && items[items.length - 1] === '...') {
    items = items.slice(0, -1);
    truncated = true;
  }
  return { items, truncated };
}

/** Read an array of strings (argv), decoding each. Elements that are not strings are skipped. */
export function parseStringArray(arg: string, partial = false): { items: DecodedString[]; truncated: boolean } | null {
  const array = parseArray(arg, partial);
  if (array === null) return null;
  const items: DecodedString[] = [];
  let truncated = array.truncated;
  for (const item of array.items) {
    const decoded = decodeStraceString(item);
    if (decoded === null) {
      truncated = true;
      continue;
    }
    if (decoded.truncated) truncated = true;
    items.push(decoded);
  }
  return { items, truncated };
}

/** A struct argument: `key=value` fields, and bare items (`inet_pton(AF_INET6, "::1", &sin6_addr)`). */
export interface StructValue {
  fields: Map<string, string>;
  items: string[];
}

/**
 * Read a struct argument `{a=1, b={...}}`. Text after the struct is ignored, so clone3's
 * `{flags=...} => {parent_tid=[123]}` gives the first struct.
 */
export function parseStruct(arg: string): StructValue | null {
  const text = arg.trim();
  if (!text.startsWith('{')) return null;
  const close = findClosing(text, 0);
  if (close < 0) return null;
  const scan = scanArguments(text.slice(0, close + 1), 1, false, '}');
  if (scan === null || scan.stop !== 'close') return null;
  const fields = new Map<string, string>();
  const items: string[] = [];
  for (const part of scan.args) {
    const m = /^([A-Za-z_][A-Za-z0-9_.]*)=(?!>)/.exec(part);
    if (m) fields.set(m[1] ?? '', part.slice(m[0].length).trim());
    else items.push(part);
  }
  return { fields, items };
}

/** The names in a flag set `O_WRONLY|O_CREAT|O_TRUNC` (numbers kept as text). */
export function parseFlags(arg: string): Set<string> {
  return new Set(
    arg
      .split('|')
      .map((f) => f.trim())
      .filter((f) => f !== ''),
  );
}

const MODE_BITS: Record<string, number> = {
  S_ISUID: 0o4000,
  S_ISGID: 0o2000,
  S_ISVTX: 0o1000,
  S_IRWXU: 0o700,
  S_IRUSR: 0o400,
  S_IWUSR: 0o200,
  S_IXUSR: 0o100,
  S_IRWXG: 0o70,
  S_IRGRP: 0o40,
  S_IWGRP: 0o20,
  S_IXGRP: 0o10,
  S_IRWXO: 0o7,
  S_IROTH: 0o4,
  S_IWOTH: 0o2,
  S_IXOTH: 0o1,
};

/**
 * A mode argument as an octal string with a leading zero: `0755`, `04755`. strace prints octal;
 * symbolic permission bits are folded in, file-type bits (`S_IFREG`) ignored. `undefined` if the
 * text is no mode at all.
 */
export function parseMode(arg: string): string | undefined {
  let mode = 0;
  let seen = false;
  for (const part of parseFlags(arg)) {
    if (/^0[0-7]*$/.test(part) || /^[1-7][0-7]*$/.test(part)) {
      mode |= parseInt(part, 8);
      seen = true;
    } else if (part in MODE_BITS) {
      mode |= MODE_BITS[part] ?? 0;
      seen = true;
    } else if (!part.startsWith('S_IF')) {
      return undefined;
    }
  }
  return seen ? `0${(mode & 0o7777).toString(8).padStart(3, '0')}` : undefined;
}

/** A socket address as strace prints `struct sockaddr`. */
export interface SocketAddress {
  /** `AF_INET`, `AF_INET6`, `AF_UNIX`, `AF_NETLINK`, ... */
  family: string;
  /** IP address, or unix socket path (`@name` for the abstract namespace). */
  address?: string;
  port?: number;
}

/**
 * Read a `struct sockaddr` argument: `{sa_family=AF_INET, sin_port=htons(80),
 * sin_addr=inet_addr("1.2.3.4")}`, the AF_INET6 form with `inet_pton(AF_INET6, "::1", &sin6_addr)`,
 * `{sa_family=AF_UNIX, sun_path="/x"}` or `sun_path=@"abstract"`. `null` for `NULL` and non-structs.
 * A relative unix path is returned as printed; the caller resolves it against the cwd.
 */
export function parseSockaddr(arg: string): SocketAddress | null {
  const struct = parseStruct(arg);
  if (struct === null) return null;
  const family = struct.fields.get('sa_family') ?? 'unknown';
  const out: SocketAddress = { family };
  const port = /^htons\((\d{1,5})\)$/.exec(struct.fields.get('sin_port') ?? struct.fields.get('sin6_port') ?? '');
  if (port) out.port = Number(port[1]);
  if (family === 'AF_INET') {
    const addr = /^inet_addr\("([^"\\]*)"\)$/.exec(struct.fields.get('sin_addr') ?? '');
    if (addr) out.address = addr[1] ?? '';
  } else if (family === 'AF_INET6') {
    for (const item of struct.items) {
      const m = /^inet_pton\(AF_INET6,\s*("(?:[^"\\]|\\.)*")/.exec(item);
      const decoded = m ? decodeStraceString(m[1] ?? '') : null;
      if (decoded) out.address = decoded.value;
    }
    const field = struct.fields.get('sin6_addr');
    if (out.address === undefined && field !== undefined) {
      const decoded = decodeStraceString(field);
      if (decoded) out.address = decoded.value;
    }
  } else if (family === 'AF_UNIX') {
    const path = struct.fields.get('sun_path');
    if (path !== undefined) {
      const abstract = path.startsWith('@');
      const decoded = decodeStraceString(abstract ? path.slice(1) : path);
      if (decoded) out.address = abstract ? `@${decoded.value}` : decoded.value;
    }
  }
  return out;
}

/**
 * The peer named by a `-yy`-style socket decoration (`TCP:[10.0.0.1:5->1.2.3.4:80]`,
 * `TCPv6:[[::1]:5->[::1]:80]`, `UNIX:[1->2,"/path"]`), for sends on connected sockets when strace
 * was run with more decoration than the fixed `-y`. `null` for `socket:[inode]` and anything else.
 */
export function parseSocketDecoration(decoration: string): SocketAddress | null {
  const inet = /^(TCP|UDP|UDPLITE|SCTP|RAW)(v6)?:\[.*->(?:\[([^\]]*)\]|([^:\]]*)):(\d{1,5})\]$/.exec(decoration);
  if (inet) {
    const address = inet[3] ?? inet[4] ?? '';
    return { family: inet[2] === undefined ? 'AF_INET' : 'AF_INET6', address, port: Number(inet[5]) };
  }
  const unix = /^UNIX(?:-STREAM|-DGRAM)?:\[[^\]]*?,"((?:[^"\\]|\\.)*)"\]$/.exec(decoration);
  if (unix) {
    const decoded = decodeStraceString(`"${unix[1] ?? ''}"`);
    return decoded ? { family: 'AF_UNIX', address: decoded.value } : { family: 'AF_UNIX' };
  }
  return null;
}

/** The inode in a `socket:[12345]` decoration, which identifies a socket across fds and processes. */
export function socketInode(decoration: string | undefined): string | undefined {
  const m = /^(?:socket|[A-Z]+(?:v6)?):\[(\d+)\]$/.exec(decoration ?? '');
  return m ? m[1] : undefined;
}
