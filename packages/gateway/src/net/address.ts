/**
 * Destinations the gateway never connects to on the sandbox's behalf, whatever the allowlist says:
 * an allowed name could resolve (or be re-pointed) to the cloud metadata service or to the gateway's
 * own host. The registry upstream is configured by the user and is exempt.
 */
import { isIP } from 'node:net';

function ipv4ToNumber(address: string): number | null {
  const parts = address.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

function inV4(value: number, base: string, bits: number): boolean {
  const start = ipv4ToNumber(base) as number;
  const size = 2 ** (32 - bits);
  return value >= start && value < start + size;
}

/** Expands an IPv6 address to 8 groups, or null. */
function ipv6Groups(address: string): number[] | null {
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const maybeV4 = text.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    const v4 = ipv4ToNumber(maybeV4);
    if (v4 === null) return null;
    tail = [Math.floor(v4 / 65536), v4 % 65536];
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string): number[] | null => {
    if (part === '') return [];
    const groups = part.split(':').map((group) => (/^[0-9a-f]{1,4}$/.test(group) ? parseInt(group, 16) : NaN));
    return groups.some(Number.isNaN) ? null : groups;
  };
  const head = parse(halves[0] as string);
  const rest = halves.length === 2 ? parse(halves[1] as string) : [];
  if (!head || !rest) return null;
  let groups: number[];
  if (halves.length === 2) {
    const fill = 8 - head.length - rest.length;
    if (fill < 1) return null;
    groups = [...head, ...new Array<number>(fill).fill(0), ...rest];
  } else groups = head;
  if (groups.length !== 8) return null;
  if (tail.length === 2) groups.splice(6, 2, tail[0] as number, tail[1] as number);
  return groups;
}

function forbiddenV4(value: number): boolean {
  return (
    inV4(value, '0.0.0.0', 8) || // "this network", 0.0.0.0
    inV4(value, '127.0.0.0', 8) || // loopback: the gateway itself
    inV4(value, '169.254.0.0', 16) || // link-local, where cloud metadata services live
    inV4(value, '224.0.0.0', 4) || // multicast
    inV4(value, '240.0.0.0', 4) // reserved and broadcast
  );
}

/** True for loopback, unspecified, link-local (metadata), multicast and reserved addresses. */
export function isForbiddenDestination(address: string): boolean {
  const family = isIP(address.replace(/%.*$/, ''));
  if (family === 4) return forbiddenV4(ipv4ToNumber(address) as number);
  if (family !== 6) return true; // not an address at all: never dial it
  const groups = ipv6Groups(address);
  if (!groups) return true;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  if (groups.every((group) => group === 0)) return true; // ::
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0 && g6 === 0 && g7 === 1) return true; // ::1
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses reach the IPv4 address.
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && (g5 === 0xffff || g5 === 0)) return forbiddenV4(g6 * 65536 + g7);
  if ((g0 & 0xffc0) === 0xfe80) return true; // link-local
  if ((g0 & 0xff00) === 0xff00) return true; // multicast
  // fd00:ec2::254, the IPv6 address of a well-known cloud metadata service.
  if (g0 === 0xfd00 && g1 === 0x0ec2 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0 && g6 === 0 && g7 === 0x254) return true;
  return false;
}
