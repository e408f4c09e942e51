/**
 * Where an HTTP request on the proxy port or a sink port goes: the registry proxy, the egress proxy
 * (another host, plain HTTP), or a CONNECT tunnel. Pure, so every case is a unit test.
 */
import { headerValues, parseAuthority, parseRequestTarget, type RequestHead } from './request-head.js';

export type HttpRoute =
  | { type: 'registry'; path: string }
  | { type: 'egress'; host: string; port: number; path: string }
  | { type: 'connect'; host: string; port: number }
  | { type: 'invalid'; reason: string; host?: string; port?: number };

export interface RouteInput {
  /** `proxy`: the client talks to the HTTP proxy port; `sink`: it connected to a DNS answer's address. */
  kind: 'proxy' | 'sink';
  /** The service port the client hit (80 for the sink's HTTP port). */
  servicePort: number;
  head: RequestHead;
  /** `host:port` forms that name the proxy itself (absolute-form requests to them are registry requests). */
  selfAuthorities: ReadonlySet<string>;
  /** Registries the sandbox knows by their own host and path (see {@link registryAliasesFor}). */
  registryAliases?: readonly RegistryAlias[];
}

/** A registry's address in the sandbox: `host:port` and base path, and its gateway prefix. */
export interface RegistryAlias {
  authority: string;
  path: string;
  prefix: string;
  /** Known by an `https:` URL: the gateway terminates TLS for `authority` (see registry-tls.ts). */
  tls: boolean;
}

/** The aliases of registries that have an advertised URL, longest path first. */
export function registryAliasesFor(registries: ReadonlyArray<{ prefix: string; advertised?: string }>): RegistryAlias[] {
  const aliases: RegistryAlias[] = [];
  for (const { prefix, advertised } of registries) {
    if (advertised === undefined) continue;
    const url = new URL(advertised);
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const tls = url.protocol === 'https:';
    aliases.push({ authority: `${host}:${Number(url.port) || (tls ? 443 : 80)}`, path: url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`, prefix, tls });
  }
  return aliases.sort((a, b) => b.path.length - a.path.length);
}

/** Whether `host:port` is a registry the sandbox knows by an https URL (its TLS is the gateway's to end). */
export function isTlsRegistry(aliases: readonly RegistryAlias[], host: string, port: number): boolean {
  const authority = `${host.replace(/^\[|\]$/g, '').toLowerCase()}:${port}`;
  return aliases.some((alias) => alias.tls && alias.authority === authority);
}

/**
 * Whether `host:port` is a registry the sandbox knows by a plain `http:` URL: a client whose proxy
 * agent tunnels every request (Yarn Berry's) sends CONNECT for it, and the gateway is the other end.
 */
export function isPlainRegistry(aliases: readonly RegistryAlias[], host: string, port: number): boolean {
  const authority = `${host.replace(/^\[|\]$/g, '').toLowerCase()}:${port}`;
  return aliases.some((alias) => !alias.tls && alias.authority === authority);
}

/** The gateway path of a request for an aliased registry, or null. */
function aliased(aliases: readonly RegistryAlias[], host: string, port: number, path: string): string | null {
  const authority = `${host.toLowerCase()}:${port}`;
  for (const alias of aliases) {
    if (alias.authority === authority && path.startsWith(alias.path)) return `${alias.prefix}${path.slice(alias.path.length)}`;
  }
  return null;
}

export function routeRequest({ kind, servicePort, head, selfAuthorities, registryAliases = [] }: RouteInput): HttpRoute {
  const target = parseRequestTarget(head.method, head.target);
  const hosts = headerValues(head, 'host');
  // RFC 9112 §3.2: exactly one Host; two could make the gateway and the origin disagree on the target.
  if (hosts.length > 1) return { type: 'invalid', reason: 'more than one Host header' };
  switch (target.form) {
    case 'invalid':
      return { type: 'invalid', reason: target.reason };
    case 'asterisk':
      return { type: 'invalid', reason: 'OPTIONS * is not supported' };
    case 'authority':
      return { type: 'connect', host: target.host, port: target.port };
    case 'absolute': {
      if (target.scheme !== 'http') return { type: 'invalid', reason: `${target.scheme} in absolute-form (use CONNECT)`, host: target.host, port: target.port };
      if (selfAuthorities.has(`${target.host}:${target.port}`)) return { type: 'registry', path: target.path };
      const registry = aliased(registryAliases, target.host, target.port, target.path);
      if (registry !== null) return { type: 'registry', path: registry };
      return { type: 'egress', host: target.host, port: target.port, path: target.path };
    }
    case 'origin': {
      if (kind === 'proxy') return { type: 'registry', path: target.path };
      const host = hosts[0];
      if (host === undefined) return { type: 'invalid', reason: 'no Host header' };
      const authority = parseAuthority(host, servicePort);
      if (!authority) return { type: 'invalid', reason: 'bad Host header' };
      // A client that ignores the proxy settings reaches an aliased registry through DNS and the sink.
      const registry = aliased(registryAliases, authority.host, authority.port, target.path);
      if (registry !== null) return { type: 'registry', path: registry };
      return { type: 'egress', host: authority.host, port: authority.port, path: target.path };
    }
  }
}

/** The authorities under which the sandbox may address the proxy port (origin like `http://127.0.0.1:3128`). */
export function selfAuthoritiesFor(advertisedOrigin: string): Set<string> {
  const url = new URL(advertisedOrigin);
  const port = Number(url.port) || 80;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return new Set([`${host}:${port}`, `127.0.0.1:${port}`, `localhost:${port}`, `::1:${port}`]);
}
