/**
 * The egress allowlist: which host (and port) a package may reach through the gateway. Default deny.
 * Entries are `host`, `host:port`, `*.domain` or `*.domain:port`; without a port an entry allows
 * 80 and 443 only, so allowing a download host does not also open its SSH or database ports.
 */

/** The allowlist as configured: global entries, and entries per package name. */
export interface EgressAllowConfig {
  global: string[];
  packages: Record<string, string[]>;
}

export interface AllowRule {
  /** Lower-cased host without a trailing dot; for a wildcard, the suffix after `*.`. */
  host: string;
  /** `*.example.com` matches `a.example.com` and `a.b.example.com`, not `example.com`. */
  wildcard: boolean;
  /** Absent: 80 and 443. */
  port?: number;
  /** The entry as written, for events and messages. */
  source: string;
}

export const DEFAULT_ALLOWED_PORTS: readonly number[] = [80, 443];

/** Lower-cases, strips one trailing dot and IPv6 brackets. */
export function normalizeHost(host: string): string {
  let value = host.trim().toLowerCase();
  if (value.startsWith('[') && value.endsWith(']')) value = value.slice(1, -1);
  return value.endsWith('.') ? value.slice(0, -1) : value;
}

/** Parses one entry; null when it is not a host[:port]. */
export function parseAllowEntry(entry: string): AllowRule | null {
  const text = entry.trim();
  let host = text;
  let port: number | undefined;
  const bracket = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(text);
  if (bracket) {
    host = bracket[1] as string;
    if (bracket[2] !== undefined) port = Number(bracket[2]);
  } else {
    const match = /^([^:\s]+)(?::(\d{1,5}))?$/.exec(text);
    if (!match) return null;
    host = match[1] as string;
    if (match[2] !== undefined) port = Number(match[2]);
  }
  if (port !== undefined && (port < 1 || port > 65535)) return null;
  const wildcard = host.startsWith('*.');
  const name = normalizeHost(wildcard ? host.slice(2) : host);
  if (name === '' || !(/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(name) || (!wildcard && /^[0-9a-f:.]+$/.test(name) && name.includes(':')))) return null;
  return port === undefined ? { host: name, wildcard, source: text } : { host: name, wildcard, port, source: text };
}

export interface CompiledAllowlist {
  global: AllowRule[];
  packages: Map<string, AllowRule[]>;
}

/** Compiles the configured lists; entries that do not parse are returned so config validation can name them. */
export function compileAllowlist(config: EgressAllowConfig): { allowlist: CompiledAllowlist; invalid: string[] } {
  const invalid: string[] = [];
  const compile = (entries: readonly string[]): AllowRule[] =>
    entries.flatMap((entry) => {
      const rule = parseAllowEntry(entry);
      if (!rule) invalid.push(entry);
      return rule ? [rule] : [];
    });
  const packages = new Map<string, AllowRule[]>();
  for (const [name, entries] of Object.entries(config.packages)) packages.set(name, compile(entries));
  return { allowlist: { global: compile(config.global), packages }, invalid };
}

function hostMatches(rule: AllowRule, host: string): boolean {
  return rule.wildcard ? host.endsWith(`.${rule.host}`) : host === rule.host;
}

function portMatches(rule: AllowRule, port: number): boolean {
  return rule.port === undefined ? DEFAULT_ALLOWED_PORTS.includes(port) : rule.port === port;
}

export type EgressDecision = { allowed: true; rule: string; scope: 'global' | 'package' } | { allowed: false };

/**
 * May `packageName` (undefined: unattributed) reach `host:port`? Global entries apply to everyone,
 * package entries to that package only; an unattributed client gets the global entries alone.
 */
export function decideEgress(allowlist: CompiledAllowlist, host: string, port: number, packageName?: string): EgressDecision {
  const name = normalizeHost(host);
  for (const rule of allowlist.global) if (hostMatches(rule, name) && portMatches(rule, port)) return { allowed: true, rule: rule.source, scope: 'global' };
  const own = packageName === undefined ? undefined : allowlist.packages.get(packageName);
  for (const rule of own ?? []) if (hostMatches(rule, name) && portMatches(rule, port)) return { allowed: true, rule: rule.source, scope: 'package' };
  return { allowed: false };
}

/** Is the name allowed on any port? (For labelling DNS answers; the connection itself is checked again.) */
export function isHostAllowed(allowlist: CompiledAllowlist, host: string, packageName?: string): boolean {
  const name = normalizeHost(host);
  const own = packageName === undefined ? [] : (allowlist.packages.get(packageName) ?? []);
  return [...allowlist.global, ...own].some((rule) => hostMatches(rule, name));
}
