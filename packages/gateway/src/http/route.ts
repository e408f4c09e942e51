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
}

export function routeRequest({ kind, servicePort, head, selfAuthorities }: RouteInput): HttpRoute {
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
      return { type: 'egress', host: target.host, port: target.port, path: target.path };
    }
    case 'origin': {
      if (kind === 'proxy') return { type: 'registry', path: target.path };
      const host = hosts[0];
      if (host === undefined) return { type: 'invalid', reason: 'no Host header' };
      const authority = parseAuthority(host, servicePort);
      if (!authority) return { type: 'invalid', reason: 'bad Host header' };
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
