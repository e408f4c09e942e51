/**
 * Everything the gateway sends outward goes through here: TCP connections to allowed hosts (direct,
 * or through the user's proxy with CONNECT) and HTTP(S) requests to the registry upstreams (with
 * the user's CA, strict-ssl and proxy settings, following redirects without leaking credentials).
 */
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { isForbiddenDestination } from '../net/address.js';
import { normalizeHost } from '../egress/allow.js';
import { findHeadEnd } from '../http/request-head.js';

export interface UpstreamOptions {
  ca?: string;
  strictSsl: boolean;
  proxy?: string;
  httpsProxy?: string;
  noproxy?: string;
  hostsOverride?: Record<string, string>;
  timeoutMs: number;
}

export class DialError extends Error {
  constructor(
    message: string,
    /** `forbidden`: the destination is never dialled; `failed`: it could not be reached. */
    readonly reason: 'forbidden' | 'failed',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Does a `noproxy` list (comma-separated hosts, `.domain` suffixes, `*`) cover `host`? */
export function bypassesProxy(noproxy: string | undefined, host: string): boolean {
  if (!noproxy) return false;
  const name = normalizeHost(host);
  return noproxy
    .split(/[,\s]+/)
    .map((entry) => normalizeHost(entry.replace(/:\d+$/, '')))
    .filter((entry) => entry !== '')
    .some((entry) => {
      if (entry === '*') return true;
      const domain = entry.replace(/^\*?\.?/, '');
      return domain !== '' && (name === domain || name.endsWith(`.${domain}`));
    });
}

function proxyAuthorization(proxy: URL): string | undefined {
  if (!proxy.username && !proxy.password) return undefined;
  return `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`;
}

function connectSocket(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port });
    const timer = setTimeout(() => socket.destroy(new Error(`connect to ${host}:${port} timed out`)), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Opens a tunnel through an HTTP(S) proxy with CONNECT. */
async function connectThroughProxy(proxyUrl: string, host: string, port: number, options: UpstreamOptions): Promise<Socket> {
  const proxy = new URL(proxyUrl);
  const proxyPort = Number(proxy.port) || (proxy.protocol === 'https:' ? 443 : 80);
  let socket: Socket = await connectSocket(proxy.hostname.replace(/^\[|\]$/g, ''), proxyPort, options.timeoutMs);
  if (proxy.protocol === 'https:') {
    socket = await new Promise<Socket>((resolve, reject) => {
      const secure = tlsConnect({ socket, servername: isIP(proxy.hostname) ? undefined : proxy.hostname, rejectUnauthorized: options.strictSsl, ...(options.ca ? { ca: options.ca } : {}) });
      secure.once('secureConnect', () => resolve(secure));
      secure.once('error', reject);
    });
  }
  const authority = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
  const auth = proxyAuthorization(proxy);
  socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth ? `Proxy-Authorization: ${auth}\r\n` : ''}\r\n`);
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error('proxy did not answer CONNECT')), options.timeoutMs);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = findHeadEnd(buffered);
      if (end < 0) {
        if (buffered.length > 16 * 1024) fail(new Error('proxy answer too long'));
        return;
      }
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', fail);
      socket.pause();
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(buffered.subarray(0, end).toString('latin1'))?.[1];
      if (!status || !status.startsWith('2')) return fail(new Error(`proxy refused CONNECT ${authority}: ${status ?? 'bad answer'}`));
      const rest = buffered.subarray(end);
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    socket.on('data', onData);
    socket.once('error', fail);
  });
}

export interface RequestOptions {
  method: 'GET' | 'HEAD';
  headers: Record<string, string>;
  /** Sent only to URLs on this origin (scheme://host:port); dropped when a redirect leaves it. */
  authorization?: { origin: string; value: string };
}

export interface UpstreamResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Decoded (gzip, deflate and br undone) body. */
  body: Readable;
  /** The URL that answered, after redirects. */
  url: string;
}

const MAX_REDIRECTS = 5;

export class Upstream {
  readonly #agents: { http: http.Agent; https: https.Agent };

  constructor(readonly options: UpstreamOptions) {
    this.#agents = {
      http: new http.Agent({ keepAlive: true, maxSockets: 32 }),
      https: new https.Agent({ keepAlive: true, maxSockets: 32, rejectUnauthorized: options.strictSsl, ...(options.ca ? { ca: options.ca } : {}) }),
    };
  }

  /** The proxy to use for a URL scheme and host, or undefined for a direct connection. */
  proxyFor(scheme: 'http' | 'https', host: string): string | undefined {
    const proxy = scheme === 'https' ? (this.options.httpsProxy ?? this.options.proxy) : this.options.proxy;
    return proxy && !bypassesProxy(this.options.noproxy, host) ? proxy : undefined;
  }

  /**
   * Resolves a host for a direct connection. Names in `hostsOverride` resolve there (tests); every
   * other address must pass the forbidden-destination check when `guard` is set — the check runs
   * on the address actually dialled, so a name re-pointed after the policy check gains nothing.
   */
  async resolve(host: string, guard: boolean): Promise<string> {
    const name = normalizeHost(host);
    const override = this.options.hostsOverride?.[name];
    if (override) return override;
    const addresses = isIP(name) ? [name] : (await lookup(name, { all: true, verbatim: true })).map((entry) => entry.address);
    const usable = guard ? addresses.filter((address) => !isForbiddenDestination(address)) : addresses;
    const first = usable[0];
    if (first === undefined) throw new DialError(`${host} resolves only to addresses the gateway never connects to`, 'forbidden');
    return first;
  }

  /**
   * A TCP connection to an allowed host, for CONNECT tunnels and TLS splicing: through the https
   * proxy when one is configured (the proxy resolves the name), else direct to a checked address.
   */
  async dial(host: string, port: number): Promise<Socket> {
    const proxy = this.proxyFor('https', host);
    try {
      if (proxy) {
        if (isIP(normalizeHost(host)) && isForbiddenDestination(normalizeHost(host))) throw new DialError(`${host} is never dialled`, 'forbidden');
        return await connectThroughProxy(proxy, host, port, this.options);
      }
      return await connectSocket(await this.resolve(host, true), port, this.options.timeoutMs);
    } catch (error) {
      if (error instanceof DialError) throw error;
      throw new DialError(`cannot reach ${host}:${port}: ${(error as Error).message}`, 'failed', { cause: error });
    }
  }

  /**
   * For plain-HTTP egress: a socket to write the request on, and the request target form to use
   * (absolute-form through an HTTP proxy, origin-form direct).
   */
  async dialHttp(host: string, port: number): Promise<{ socket: Socket; viaProxy: boolean; proxyAuthorization?: string }> {
    const proxy = this.proxyFor('http', host);
    try {
      if (proxy) {
        const url = new URL(proxy);
        if (isIP(normalizeHost(host)) && isForbiddenDestination(normalizeHost(host))) throw new DialError(`${host} is never dialled`, 'forbidden');
        const socket = await connectSocket(url.hostname.replace(/^\[|\]$/g, ''), Number(url.port) || 80, this.options.timeoutMs);
        const auth = proxyAuthorization(url);
        return auth ? { socket, viaProxy: true, proxyAuthorization: auth } : { socket, viaProxy: true };
      }
      return { socket: await connectSocket(await this.resolve(host, true), port, this.options.timeoutMs), viaProxy: false };
    } catch (error) {
      if (error instanceof DialError) throw error;
      throw new DialError(`cannot reach ${host}:${port}: ${(error as Error).message}`, 'failed', { cause: error });
    }
  }

  /** One HTTP(S) request to a registry upstream, following redirects. */
  async request(url: string, options: RequestOptions): Promise<UpstreamResponse> {
    let current = new URL(url);
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { ...options.headers, 'accept-encoding': 'gzip, deflate, br' };
      if (options.authorization && current.origin === options.authorization.origin) headers['authorization'] = options.authorization.value;
      const response = await this.#once(current, options.method, headers);
      const location = response.headers.location;
      if (response.statusCode && [301, 302, 303, 307, 308].includes(response.statusCode) && location && hop < MAX_REDIRECTS) {
        response.resume();
        const next = new URL(location, current);
        if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new Error(`redirect to ${next.protocol} refused`);
        if (current.protocol === 'https:' && next.protocol === 'http:') throw new Error('redirect from https to http refused');
        current = next;
        continue;
      }
      return { status: response.statusCode ?? 502, headers: response.headers, body: decode(response), url: current.href };
    }
  }

  async #once(url: URL, method: string, headers: Record<string, string>): Promise<http.IncomingMessage> {
    const secure = url.protocol === 'https:';
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port) || (secure ? 443 : 80);
    const proxy = this.proxyFor(secure ? 'https' : 'http', host);
    let request: http.ClientRequest;
    if (!proxy) {
      request = (secure ? https : http).request({ protocol: url.protocol, hostname: host, port, path: `${url.pathname}${url.search}`, method, headers, agent: secure ? this.#agents.https : this.#agents.http, servername: isIP(host) ? undefined : host } as https.RequestOptions);
    } else if (secure) {
      // No pooling through a proxy: each request gets its own tunnel. Proxies are the rare case.
      const tunnel = await connectThroughProxy(proxy, host, port, this.options);
      const secureSocket = await new Promise<Socket>((resolve, reject) => {
        const socket = tlsConnect({ socket: tunnel, servername: isIP(host) ? undefined : host, rejectUnauthorized: this.options.strictSsl, ...(this.options.ca ? { ca: this.options.ca } : {}) });
        socket.once('secureConnect', () => resolve(socket));
        socket.once('error', reject);
      });
      // No agent: with createConnection and no agent, node:http uses exactly this socket.
      request = http.request({ createConnection: () => secureSocket, path: `${url.pathname}${url.search}`, method, headers: { ...headers, host: url.host } } as http.RequestOptions);
    } else {
      const proxyUrl = new URL(proxy);
      const auth = proxyAuthorization(proxyUrl);
      request = http.request({ hostname: proxyUrl.hostname.replace(/^\[|\]$/g, ''), port: Number(proxyUrl.port) || 80, path: url.href, method, headers: { ...headers, host: url.host, ...(auth ? { 'proxy-authorization': auth } : {}) }, agent: this.#agents.http });
    }
    return new Promise((resolve, reject) => {
      request.setTimeout(this.options.timeoutMs, () => request.destroy(new Error(`upstream ${url.host} timed out`)));
      request.once('response', resolve);
      request.once('error', reject);
      request.end();
    });
  }

  close(): void {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }
}

function decode(response: http.IncomingMessage): Readable {
  const encoding = String(response.headers['content-encoding'] ?? '').trim().toLowerCase();
  const decoder = encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : encoding === 'br' ? createBrotliDecompress() : null;
  if (!decoder) return response;
  response.on('error', (error) => decoder.destroy(error));
  return response.pipe(decoder);
}
