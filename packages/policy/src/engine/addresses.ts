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

/** `::ffff:1.2.3.4` → `1.2.3.4`; brackets and zone ids removed; lowercase. */
export function normalizeIp(address: string): string {
  let a = address.trim().toLowerCase();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const zone = a.indexOf('%');
  if (zone !== -1) a = a.slice(0, zone);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  return mapped?.[1] ?? a;
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
