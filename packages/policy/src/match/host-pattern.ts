/**
 * Network allowances: `host`, `host:port`, `*.domain`, `*.domain:port`, an IPv4 literal or a
 * bracketed IPv6 literal (`[::1]:443`). No port (or `:*`) means any port.
 */
import { isIP } from 'node:net';

export interface HostPattern {
  /** Lowercase host without brackets; for a wildcard, the suffix after `*.`. */
  host: string;
  wildcard: boolean;
  port: number | null;
}

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Parse a pattern; returns an error message instead of throwing. */
export function parseHostPattern(text: string): { pattern: HostPattern } | { error: string } {
  let rest = text.trim().toLowerCase();
  let port: number | null = null;
  let host: string;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close === -1) return { error: `${JSON.stringify(text)}: unclosed "["` };
    host = rest.slice(1, close);
    rest = rest.slice(close + 1);
    if (isIP(host) !== 6) return { error: `${JSON.stringify(text)}: ${JSON.stringify(host)} is not an IPv6 address` };
    if (rest !== '') {
      if (!rest.startsWith(':')) return { error: `${JSON.stringify(text)}: expected ":port" after "]"` };
      const p = parsePort(rest.slice(1));
      if (p === undefined) return { error: `${JSON.stringify(text)}: invalid port` };
      port = p;
    }
    return { pattern: { host, wildcard: false, port } };
  }
  const colon = rest.lastIndexOf(':');
  if (colon !== -1) {
    if (rest.indexOf(':') !== colon) return { error: `${JSON.stringify(text)}: write IPv6 addresses in brackets, e.g. [::1]:443` };
    const p = parsePort(rest.slice(colon + 1));
    if (p === undefined) return { error: `${JSON.stringify(text)}: invalid port ${JSON.stringify(rest.slice(colon + 1))}` };
    port = p;
    rest = rest.slice(0, colon);
  }
  const wildcard = rest.startsWith('*.');
  host = wildcard ? rest.slice(2) : rest;
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (isIP(host) === 4) {
    if (wildcard) return { error: `${JSON.stringify(text)}: a wildcard cannot prefix an IP address` };
    return { pattern: { host, wildcard, port } };
  }
  if (host.length === 0 || host.length > 253 || !host.split('.').every((l) => LABEL.test(l))) {
    return { error: `${JSON.stringify(text)} is not a host name, "*.domain", or an IP address` };
  }
  return { pattern: { host, wildcard, port } };
}

function parsePort(text: string): number | null | undefined {
  if (text === '*') return null;
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
}

/** Normalize a host as seen in a request: lowercase, no brackets, no trailing dot. */
export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

/** Does `host:port` match the pattern? */
export function hostMatches(pattern: HostPattern, host: string, port: number | undefined): boolean {
  if (pattern.port !== null && pattern.port !== port) return false;
  const h = normalizeHost(host);
  if (!pattern.wildcard) return h === pattern.host;
  return h.endsWith(`.${pattern.host}`);
}

/** True for an IPv4 or IPv6 literal (brackets allowed). */
export function isIpLiteral(host: string): boolean {
  return isIP(normalizeHost(host)) !== 0;
}
