/**
 * One HTTP/1.x client connection on the proxy port or the sink's HTTP port. Requests are read with
 * the pure head parser and chunked decoder, one after another (keep-alive), and each is routed:
 * registry proxy, egress (forwarded when the policy allows it, sinkholed otherwise), or CONNECT.
 */
import type { Socket } from 'node:net';
import { ChunkedDecoder } from '../http/chunked.js';
import { headerRecord, headerValue, keepsAlive, parseRequestHead, requestBodyFraming, type BodyFraming, type RequestHead } from '../http/request-head.js';
import { isPlainRegistry, isTlsRegistry, routeRequest } from '../http/route.js';
import { decideEgress } from '../egress/allow.js';
import { parseClientHello } from '../tls/client-hello.js';
import type { StreamReader } from '../io/stream-reader.js';
import { bodyEvidence, recordHttp, scanRequest, writeResponse, type ClientConnection, type GatewayContext } from './context.js';
import type { RegistryProxy } from './registry-proxy.js';
import { DialError } from './upstream.js';
import { splice } from './splice.js';
import { serveRegistryTls } from './registry-tls.js';

type HeadRead = { status: 'ok'; head: RequestHead; raw: Buffer } | { status: 'invalid'; reason: string; raw: Buffer } | { status: 'eof' };

async function readHead(reader: StreamReader): Promise<HeadRead> {
  let searched = 0;
  for (;;) {
    const buffer = reader.buffer;
    if (buffer.length > 0) {
      const parsed = parseRequestHead(buffer, undefined, Math.max(0, searched - 3));
      if (parsed.status === 'ok') return { status: 'ok', head: parsed.head, raw: Buffer.from(reader.consume(parsed.consumed)) };
      if (parsed.status === 'invalid') return { status: 'invalid', reason: parsed.reason, raw: Buffer.from(reader.consume(parsed.consumed)) };
      if (parsed.status === 'too-large') return { status: 'invalid', reason: 'request head too large', raw: Buffer.from(reader.consume(Math.min(reader.length, 64 * 1024))) };
      searched = buffer.length;
    }
    if (!(await reader.more())) {
      // A peer that sent a partial head and left: still evidence.
      return reader.length > 0 ? { status: 'invalid', reason: 'connection closed inside the request head', raw: Buffer.from(reader.consume(reader.length)) } : { status: 'eof' };
    }
  }
}

interface BodyRead {
  /** The first `keep` bytes of the body. */
  kept: Buffer;
  /** All body bytes seen. */
  total: number;
  /** False when the body was cut short (peer left, bad chunking, too large): the connection is done. */
  complete: boolean;
}

async function readBody(reader: StreamReader, framing: BodyFraming, keep: number, max: number): Promise<BodyRead> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let total = 0;
  const add = (chunk: Buffer): void => {
    total += chunk.length;
    if (keptBytes < keep) {
      const part = chunk.subarray(0, keep - keptBytes);
      kept.push(Buffer.from(part));
      keptBytes += part.length;
    }
  };
  const result = (complete: boolean): BodyRead => ({ kept: Buffer.concat(kept), total, complete });
  if (framing.type === 'none' || framing.type === 'invalid') return result(framing.type === 'none');
  if (framing.type === 'length') {
    if (framing.length > max) return result(false);
    let remaining = framing.length;
    while (remaining > 0) {
      const chunk = await reader.take(remaining);
      if (chunk.length === 0) return result(false);
      add(chunk);
      remaining -= chunk.length;
    }
    return result(true);
  }
  const decoder = new ChunkedDecoder();
  for (;;) {
    const chunk = await reader.take(64 * 1024);
    if (chunk.length === 0) return result(false);
    const pushed = decoder.push(chunk);
    for (const data of pushed.data) add(data);
    if (pushed.error || total > max) return result(false);
    if (pushed.done) {
      // Bytes after the body belong to the next request: give them back.
      if (pushed.rest && pushed.rest.length > 0) reader.unconsume(pushed.rest);
      return result(true);
    }
  }
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'content-length', 'expect']);

export class HttpSession {
  constructor(
    private readonly context: GatewayContext,
    private readonly registry: RegistryProxy,
    private readonly connection: ClientConnection,
    /** `tls`: the requests come from inside a registry's TLS the gateway ended (registry-tls.ts). */
    /**
     * `tls`: inside the registry's TLS (https URLs, the scheme recorded); `registryOnly`: inside a
     * tunnel to a registry, whatever its scheme: only the registry is served there, no CONNECT.
     */
    private readonly options: { tls?: boolean; registryOnly?: boolean } = {},
  ) {}

  /** The decoy npm tokens: what npm's config (~/.npmrc) holds for the registry it knows. */
  get #npmTokens(): ReadonlySet<string> {
    return new Set(this.context.config.decoys.values.filter((value) => value.kind === 'npm-token').map((value) => value.value));
  }

  get #registryOnly(): boolean {
    return this.options.tls === true || this.options.registryOnly === true;
  }

  get #client() {
    return this.connection.header.client;
  }

  async run(): Promise<void> {
    const { socket, reader, header } = this.connection;
    const kind = header.kind === 'sink' ? 'sink' : 'proxy';
    for (;;) {
      const read = await readHead(reader);
      if (read.status === 'eof') break;
      if (read.status === 'invalid') {
        this.#recordInvalid(read.reason, read.raw);
        writeResponse(socket, 400, { connection: 'close' });
        break;
      }
      const { head } = read;
      const route = routeRequest({ kind, servicePort: header.port, head, selfAuthorities: this.context.selfAuthorities, registryAliases: this.context.registryAliases });
      if (route.type === 'connect' && !this.#registryOnly) {
        await this.#connect(head, route.host, route.port);
        return; // the connection is a tunnel now, or closed
      }
      const framing = requestBodyFraming(head);
      if (framing.type === 'invalid' || route.type === 'invalid' || route.type === 'connect') {
        const reason = framing.type === 'invalid' ? framing.reason : route.type === 'connect' ? 'CONNECT inside a registry TLS connection' : (route as { reason: string }).reason;
        this.#recordInvalid(reason, read.raw, head);
        writeResponse(socket, 400, { connection: 'close' });
        break;
      }
      // Inside the registry's TLS only the registry is served: anything else there is sinkholed.
      const egress = route.type === 'egress' && this.#registryOnly ? { allowed: false as const } : route.type === 'egress' ? decideEgress(this.context.allowlist, route.host, route.port, this.#client.package?.name) : null;
      const { limits } = this.context.config;
      if (framing.type !== 'none' && /100-continue/i.test(headerValue(head, 'expect') ?? '')) socket.write('HTTP/1.1 100 Continue\r\n\r\n');
      const keep = egress?.allowed ? limits.maxRequestBodyBytes : limits.evidenceBodyBytes;
      const body = await readBody(reader, framing, keep, limits.maxRequestBodyBytes);
      const scan = (headers: ReadonlyArray<[string, string]>) =>
        scanRequest(this.context.matcher, { url: head.target, headers: [...headers], body: body.kept, ...(headerValue(head, 'content-encoding') ? { contentEncoding: headerValue(head, 'content-encoding') as string } : {}) });
      const matches = scan(head.headers);
      if (route.type === 'registry') {
        // A package fetch may carry the token npm's config holds for the registry; a refused call
        // (the registry's API) keeps it as evidence.
        const fetchMatches = matches.length > 0 ? scan(withoutConfiguredToken(head.headers, this.#npmTokens)) : matches;
        await this.registry.handle(socket, this.#client, head, route.path, matches, fetchMatches);
      } else if (egress?.allowed && body.complete && matches.length === 0) {
        await this.#forward(head, route.host, route.port, route.path, body.kept, egress.rule);
        return; // forwarded requests use their own connection, closed after the response
      } else {
        const reason = matches.length > 0 ? 'decoy value in request' : egress?.allowed ? 'request body incomplete or too large' : this.options.tls ? 'not the registry, inside a TLS connection to it' : this.#registryOnly ? 'not the registry, inside a tunnel to it' : 'host not allowed';
        this.#sinkhole(head, route.host, route.port, body, matches, reason);
      }
      if (!body.complete || !keepsAlive(head)) break;
    }
    socket.end();
  }

  #recordInvalid(reason: string, raw: Buffer, head?: RequestHead): void {
    const matches = scanRequest(this.context.matcher, { body: raw });
    const evidence = bodyEvidence(raw.subarray(0, this.context.config.limits.evidenceBodyBytes));
    recordHttp(
      this.context,
      this.#client,
      { type: 'http', method: head?.method ?? '', url: head?.target ?? '', host: head ? (headerValue(head, 'host') ?? '') : '', port: this.connection.header.port, decision: 'denied', status: 400, bytes: 0, reason: `malformed request: ${reason}`, request: { headers: {}, ...evidence, bodyBytes: raw.length } },
      matches,
    );
  }

  #sinkhole(head: RequestHead, host: string, port: number, body: BodyRead, matches: ReturnType<typeof scanRequest>, reason: string): void {
    const bytes = writeResponse(this.connection.socket, 200, { 'content-type': 'application/json' }, '{}', { head: head.method === 'HEAD' });
    const evidence = body.kept.length > 0 ? bodyEvidence(body.kept) : null;
    recordHttp(
      this.context,
      this.#client,
      {
        type: 'http',
        method: head.method,
        url: this.#absoluteUrl(head, host, port),
        host,
        port,
        decision: 'sinked',
        status: 200,
        bytes,
        reason,
        request: { headers: headerRecord(head), ...(evidence ?? {}), bodyBytes: body.total },
      },
      matches,
    );
  }

  #absoluteUrl(head: RequestHead, host: string, port: number): string {
    if (!head.target.startsWith('/')) return head.target;
    const authority = host.includes(':') ? `[${host}]` : host;
    const scheme = this.options.tls ? 'https' : 'http';
    return `${scheme}://${authority}${port === (this.options.tls ? 443 : 80) ? '' : `:${port}`}${head.target}`;
  }

  /** Forwards an allowed plain-HTTP request and relays the response; the client connection closes after it. */
  async #forward(head: RequestHead, host: string, port: number, path: string, body: Buffer, rule: string): Promise<void> {
    const { socket, reader } = this.connection;
    const url = this.#absoluteUrl(head, host, port);
    const base = { type: 'http' as const, method: head.method, url, host, port, decision: 'allowed' as const, reason: `allowed by ${rule}` };
    let upstream;
    try {
      upstream = await this.context.upstream.dialHttp(host, port);
    } catch (error) {
      const bytes = writeResponse(socket, 502, { connection: 'close' }, `gateway: ${(error as Error).message}\n`);
      recordHttp(this.context, this.#client, { ...base, ...(error instanceof DialError && error.reason === 'forbidden' ? { decision: 'denied' as const } : {}), status: 502, bytes, reason: (error as Error).message });
      socket.end();
      return;
    }
    const upgrade = /\bupgrade\b/i.test(headerValue(head, 'connection') ?? '') && headerValue(head, 'upgrade') !== undefined;
    const lines = [`${head.method} ${upstream.viaProxy ? url : path} HTTP/1.1`];
    for (const [name, value] of head.headers) if (!HOP_BY_HOP.has(name.toLowerCase())) lines.push(`${name}: ${value}`);
    if (upstream.proxyAuthorization) lines.push(`Proxy-Authorization: ${upstream.proxyAuthorization}`);
    if (body.length > 0 || requestBodyFraming(head).type !== 'none') lines.push(`Content-Length: ${body.length}`);
    if (upgrade) lines.push(`Connection: Upgrade`, `Upgrade: ${headerValue(head, 'upgrade') as string}`);
    else lines.push('Connection: close');
    upstream.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (body.length > 0) upstream.socket.write(body);
    let status: number | undefined;
    let bytes = 0;
    let statusBuffer = Buffer.alloc(0);
    upstream.socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (status === undefined && statusBuffer.length < 64) {
        statusBuffer = Buffer.concat([statusBuffer, chunk]).subarray(0, 64);
        const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusBuffer.toString('latin1'));
        if (match) status = Number(match[1]);
      }
    });
    if (upgrade) {
      await splice(socket, reader.release(), upstream.socket);
    } else {
      // Whatever else the client sends on this connection is not forwarded: the response ends it.
      reader.release();
      socket.resume();
      socket.on('data', () => undefined);
      await new Promise<void>((resolve) => {
        upstream.socket.pipe(socket);
        upstream.socket.once('close', () => resolve());
        upstream.socket.once('error', () => resolve());
        socket.once('close', () => {
          upstream.socket.destroy();
          resolve();
        });
      });
      socket.end();
    }
    recordHttp(this.context, this.#client, { ...base, ...(status !== undefined ? { status } : {}), bytes });
  }

  async #connect(head: RequestHead, host: string, port: number): Promise<void> {
    const { socket, reader } = this.connection;
    const pkg = this.#client.package?.name;
    const decision = decideEgress(this.context.allowlist, host, port, pkg);
    const matches = scanRequest(this.context.matcher, { url: head.target, headers: head.headers });
    const base = { type: 'http' as const, method: 'CONNECT', url: head.target, host, port };
    if (isTlsRegistry(this.context.registryAliases, host, port) && matches.length === 0) {
      // The registry the sandbox knows by https: the gateway is the other end of this tunnel.
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      await serveRegistryTls(this.context, this.registry, this.connection, host, port);
      return;
    }
    if (isPlainRegistry(this.context.registryAliases, host, port) && matches.length === 0) {
      // The registry the sandbox knows by http, through a proxy agent that tunnels every request
      // (Yarn Berry's): the gateway is the other end, and serves only the registry inside.
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      await new HttpSession(this.context, this.registry, { ...this.connection, header: { ...this.connection.header, kind: 'sink', port } }, { registryOnly: true }).run();
      return;
    }
    if (!decision.allowed || matches.length > 0) {
      const bytes = writeResponse(socket, 403, { connection: 'close', 'content-type': 'text/plain' }, 'CONNECT refused by the install sandbox\n');
      recordHttp(this.context, this.#client, { ...base, decision: 'denied', status: 403, bytes, reason: matches.length > 0 ? 'decoy value in request' : 'host not allowed', request: { headers: headerRecord(head), bodyBytes: 0 } }, matches);
      socket.end();
      return;
    }
    let upstream;
    try {
      upstream = await this.context.upstream.dial(host, port);
    } catch (error) {
      const forbidden = error instanceof DialError && error.reason === 'forbidden';
      const bytes = writeResponse(socket, forbidden ? 403 : 502, { connection: 'close' }, `gateway: ${(error as Error).message}\n`);
      recordHttp(this.context, this.#client, { ...base, decision: forbidden ? 'denied' : 'allowed', status: forbidden ? 403 : 502, bytes, reason: (error as Error).message });
      socket.end();
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    // Look at the tunnel's first bytes: a TLS hello naming another host than the CONNECT target is
    // domain fronting around the policy, and is refused. Protocols where the server speaks first
    // get a short wait, then a plain splice.
    const hello = await firstHello(reader, 2000);
    if (hello.status === 'ok' && hello.serverName && hello.serverName !== host && !decideEgress(this.context.allowlist, hello.serverName, port, pkg).allowed) {
      upstream.destroy();
      recordHttp(this.context, this.#client, { ...base, url: `${head.target} (sni ${hello.serverName})`, decision: 'denied', status: 200, bytes: 0, reason: `TLS server name ${hello.serverName} differs from the CONNECT host` }, this.context.matcher.scanDnsLabels(hello.serverName.split('.')));
      socket.destroy();
      return;
    }
    recordHttp(this.context, this.#client, { ...base, decision: 'allowed', status: 200, bytes: 0, reason: `allowed by ${decision.rule}` });
    await splice(socket, reader.release(), upstream);
  }
}

/** Waits (bounded) for a TLS ClientHello at the start of a tunnel. */
export async function firstHello(reader: StreamReader, waitMs: number): Promise<ReturnType<typeof parseClientHello> | { status: 'timeout' }> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const parsed = parseClientHello(reader.buffer);
    if (parsed.status !== 'need-more') return parsed;
    const left = deadline - Date.now();
    if (left <= 0) return { status: 'timeout' };
    let timer: NodeJS.Timeout | undefined;
    const more = await Promise.race([reader.more(), new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), left)))]);
    clearTimeout(timer);
    if (more === 'timeout') return { status: 'timeout' };
    if (!more) return parseClientHello(reader.buffer);
  }
}

/**
 * A registry request's headers, less an `Authorization: Bearer <token>` whose token is the one npm's
 * config holds (~/.npmrc scopes the decoy npm token to the registry the sandbox knows by its real
 * host, so npm sends it with every request, as it would in CI). The registry proxy never forwards
 * the client's Authorization, so on a package fetch that header leaks nothing; any other place a
 * decoy appears in (a URL, another header, a body, another scheme) still counts, and so does the
 * token itself on a request the registry proxy refuses. Exported for tests.
 */
export function withoutConfiguredToken(headers: ReadonlyArray<[string, string]>, tokens: ReadonlySet<string>): Array<[string, string]> {
  return headers.filter(([name, value]) => {
    if (name.toLowerCase() !== 'authorization') return true;
    const bearer = /^Bearer (\S+)$/.exec(value.trim());
    return bearer === null || !tokens.has(bearer[1] as string);
  });
}
