/** Network addresses the rules care about: loopback, the cloud metadata service. */
import { BlockList, isIP } from 'node:net';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');
loopback.addAddress('0.0.0.0', 'ipv4');
loopback.addAddress('::', 'ipv6');

const metadata = new BlockList();
metadata.addAddress('169.254.169.254', 'ipv4'); // AWS, GCP, Azure, OpenStack, DigitalOcean…
metadata.addAddress('169.254.170.2', 'ipv4'); // AWS ECS task credentials
metadata.addAddress('169.254.170.23', 'ipv4'); // AWS EKS pod identity
metadata.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud
metadata.addAddress('fd00:ec2::254', 'ipv6'); // AWS over IPv6
metadata.addAddress('fd00:ec2::23', 'ipv6');

/** Host names that resolve to a metadata service. */
export const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal', 'metadata.azure.internal']);

/**
 * One spelling per address: `::ffff:1.2.3.4` → `1.2.3.4`, IPv6 in its RFC 5952 short form,
 * brackets and zone ids removed. Anything that is not an IP comes back lowercased.
 */
export function normalizeIp(address: string): string {
  let a = address.trim().toLowerCase();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const zone = a.indexOf('%');
  if (zone !== -1) a = a.slice(0, zone);
  if (isIP(a) !== 6) return a;
  const groups = expandIpv6(a);
  if (groups === null) return a;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `${groups[6]! >> 8}.${groups[6]! & 0xff}.${groups[7]! >> 8}.${groups[7]! & 0xff}`;
  }
  // Compress the longest run (of two or more) of zero groups.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best === -1) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function expandIpv6(a: string): number[] | null {
  let text = a;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4 !== null) {
    const [b0, b1, b2, b3] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? 0 : 8 - left.length - right.length;
  const parts = [...left, ...Array<string>(fill).fill('0'), ...right];
  if (parts.length !== 8) return null;
  return parts.map((p) => parseInt(p, 16));
}

function inList(list: BlockList, address: string): boolean {
  const a = normalizeIp(address);
  const family = isIP(a);
  if (family === 0) return false;
  return list.check(a, family === 4 ? 'ipv4' : 'ipv6');
}

export function isLoopback(address: string): boolean {
  return inList(loopback, address);
}

export function isMetadataAddress(address: string): boolean {
  return inList(metadata, address);
}

/** Same address, whatever the notation (`fd00:ec2::254` and `fd00:ec2:0:0:0:0:0:254`). */
export function sameAddress(a: string, b: string): boolean {
  const na = normalizeIp(a);
  const nb = normalizeIp(b);
  if (na === nb) return true;
  const fa = isIP(na);
  if (fa === 0 || fa !== isIP(nb)) return false;
  const list = new BlockList();
  list.addAddress(nb, fa === 4 ? 'ipv4' : 'ipv6');
  return list.check(na, fa === 4 ? 'ipv4' : 'ipv6');
}
