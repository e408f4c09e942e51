/**
 * DNS exfiltration judged by volume: data cut into labels too short to look like anything on
 * their own (`a7k2.q.x.test`, `b9x0.q.x.test`, …) still needs many distinct names under one domain
 * the attacker controls, and many bytes of labels. Per package (or the unattributed rest) and
 * registrable domain, the engine counts distinct names and the bytes of their labels left of the
 * domain; past the thresholds the traffic is `dns-encoded-data`. A decoy value cut across several
 * queries is looked for at the end (see {@link judgeDnsVolumes}).
 *
 * Names under the registry's domain (its name servers are not the attacker's) and hosts the policy
 * allows the package are not counted.
 */
import type { DnsEvent, NetworkEvent } from '@safe-install/schema';
import type { Analysis } from './analysis.js';
import { report } from './analysis.js';
import { entropy, registrableDomain } from './dns-labels.js';
import type { ScriptRun } from './trace-model.js';
import { packageKey } from './trace-model.js';

/** Distinct names under one domain that make a volume, given enough bytes. */
export const DNS_VOLUME_NAMES = 12;
/** Bytes of distinct labels (left of the domain) that, with DNS_VOLUME_NAMES names, make a volume. */
export const DNS_VOLUME_BYTES = 120;
/** Distinct names that make a volume whatever their size (one byte a query is data too). */
export const DNS_VOLUME_MANY_NAMES = 64;
/** Distinct labels kept per domain for the decoy search (bounded memory on a flood). */
const MAX_LABELS = 512;
/** Domains tracked per run (a flood of domains is itself caught name by name). */
const MAX_DOMAINS = 4096;

/** One package's queries under one registrable domain. */
export interface DnsVolume {
  domain: string;
  run: ScriptRun | undefined;
  /** The first query: the evidence a late finding points at. */
  first: DnsEvent | NetworkEvent;
  names: Set<string>;
  bytes: number;
  /** Distinct labels left of the domain, in the order they arrived. */
  labels: string[];
  labelSet: Set<string>;
  reported: boolean;
}

/** Count a query of `name` (already known not to be the registry or allowed). */
export function noteDnsVolume(a: Analysis, e: DnsEvent | NetworkEvent, run: ScriptRun | undefined, name: string): void {
  const domain = registrableDomain(name);
  if ([...a.ctx.registryHosts].some((h) => registrableDomain(h) === domain)) return;
  const sub = name.slice(0, Math.max(0, name.length - domain.length)).replace(/\.$/, '');
  if (sub === '' || domain === '') return;
  const key = `${run === undefined ? '' : packageKey(run.package)}\0${domain}`;
  let v = a.dnsVolumes.get(key);
  if (v === undefined) {
    if (a.dnsVolumes.size >= MAX_DOMAINS) return;
    v = { domain, run, first: e, names: new Set(), bytes: 0, labels: [], labelSet: new Set(), reported: false };
    a.dnsVolumes.set(key, v);
  }
  if (v.names.has(sub)) return;
  if (v.names.size < MAX_LABELS * 4) v.names.add(sub);
  for (const label of sub.split('.')) {
    if (label === '' || v.labelSet.has(label)) continue;
    v.bytes += label.length;
    if (v.labels.length < MAX_LABELS) {
      v.labels.push(label);
      v.labelSet.add(label);
    }
  }
  const volume = (v.names.size >= DNS_VOLUME_NAMES && v.bytes >= DNS_VOLUME_BYTES) || v.names.size >= DNS_VOLUME_MANY_NAMES;
  if (!volume) return;
  report(a, e, run, {
    rule: 'dns-encoded-data',
    subject: domain,
    message: `looked up ${v.names.size} distinct names under ${domain} (${v.bytes} bytes of labels, ${entropy(v.labels.join('')).toFixed(1)} bits per character): data sent in DNS queries`,
  });
  v.reported = true;
}

/**
 * At the end: a decoy value cut into pieces, one piece per query (in any order), is a decoy sent
 * in DNS. Each domain with two or more distinct labels is checked once.
 */
export function judgeDnsVolumes(a: Analysis): void {
  if (a.decoys.empty) return;
  // The domains with the most labels first, a bounded number of them: a flood of domains is
  // caught name by name, and the search per domain is linear in its labels.
  const candidates = [...a.dnsVolumes.values()].filter((v) => v.labels.length >= 2).sort((x, y) => y.labels.length - x.labels.length);
  for (const v of candidates.slice(0, 256)) {
    for (const s of a.decoys.findInPieces(v.labels)) {
      report(a, v.first, v.run, {
        rule: 'decoy-exfiltration',
        subject: `${s.kind} via dns`,
        message: `the ${s.kind} decoy appeared in DNS queries to ${v.domain}, cut into pieces across several names (${s.encoding})`,
      });
    }
  }
}
