/**
 * The registry side of the proxy port: maps `/r/<n>/<path>` to upstream registry n, refuses what
 * install code must not do with the user's credentials, adds those credentials on the way out,
 * rewrites tarball URLs back to the gateway, and serves from the persistent cache when it can.
 */
import { createReadStream } from 'node:fs';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { DecoyMatch } from '../canary/matcher.js';
import type { RegistryUpstreamConfig } from '../config.js';
import { headerValue, type RequestHead } from '../http/request-head.js';
import type { ClientIdentity } from '../protocol.js';
import { classifyRegistryRequest, selectRegistry, upstreamUrl } from '../registry/rules.js';
import { rewritePackument, tarballUrlMapper } from '../registry/rewrite.js';
import { RegistryCache, type CacheEntry } from './cache.js';
import { jsonError, recordHttp, writeResponse, type GatewayContext } from './context.js';

const CORGI = 'application/vnd.npm.install-v1+json';
const MAX_PACKUMENT_BYTES = 512 * 1024 * 1024;
const MAX_TARBALL_BYTES = 2 * 1024 * 1024 * 1024;

type Served =
  | { kind: 'cached'; entry: CacheEntry; upstream: boolean }
  | { kind: 'passthrough'; status: number; contentType: string; body: Buffer; upstream: true };

async function readAll(body: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new Error(`upstream body larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Writes a file to the socket without ending it (the connection may be kept alive). */
async function sendFile(socket: Socket, path: string): Promise<void> {
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    if (socket.destroyed) return;
    if (!socket.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          socket.off('drain', done);
          socket.off('close', done);
          resolve();
        };
        socket.on('drain', done);
        socket.on('close', done);
      });
    }
  }
}

export class RegistryProxy {
  readonly #cache: RegistryCache;
  readonly #mapTarball: (url: string, preferPrefix?: string) => string | null;
  /**
   * Gateway paths handed out as tarball URLs in packuments served this run: a registry may keep
   * tarballs at paths the generic rules do not know, and those are still fine to fetch.
   */
  readonly #handedOut = new Set<string>();
  /** One upstream fetch per key at a time; concurrent requests for it wait for the same result. */
  readonly #inflight = new Map<string, Promise<Served>>();

  constructor(private readonly context: GatewayContext) {
    this.#cache = new RegistryCache(context.config.cacheDir);
    // To the gateway path (`/r/<n>/…`, what it knows it handed out), then to the URL the sandbox
    // knows that registry by: its advertised one (the real host and path), or the proxy's origin.
    this.#mapTarball = tarballUrlMapper(context.config.registries, '');
  }

  /**
   * Answers one registry request. `matches` are decoys already found in the request: such a request
   * is never forwarded, whatever it asks for — but for a package fetch, only `fetchMatches` count:
   * the decoys found once the Authorization npm sends from its config is left out.
   */
  async handle(socket: Socket, client: ClientIdentity, head: RequestHead, path: string, matches: readonly DecoyMatch[], fetchMatches: readonly DecoyMatch[] = matches): Promise<void> {
    const { registries } = this.context.config;
    const selection = selectRegistry(path, registries);
    const registry = registries[selection.index] as RegistryUpstreamConfig;
    const url = upstreamUrl(registry.upstream, selection.rest);
    const target = new URL(url);
    const port = Number(target.port) || (target.protocol === 'https:' ? 443 : 80);
    const base = { type: 'http' as const, method: head.method, url, host: target.hostname, port };
    const isHead = head.method === 'HEAD';
    const handedOut = selection.prefixed && (head.method === 'GET' || head.method === 'HEAD') && this.#handedOut.has(`${registry.prefix}${selection.rest}`);
    const verdict = handedOut ? ({ allowed: true, kind: 'tarball', name: '' } as const) : classifyRegistryRequest(head.method, selection.rest);
    // A fetch it serves is judged without the token npm's own config adds (`fetchMatches`); a refused
    // request keeps every decoy it carries as evidence.
    const relevant = verdict.allowed ? fetchMatches : matches;
    if (!verdict.allowed || relevant.length > 0) {
      const reason = !verdict.allowed ? verdict.reason : 'decoy value in a registry request';
      const bytes = writeResponse(socket, 403, { 'content-type': 'application/json' }, jsonError(`refused by the install sandbox: ${reason}`), { head: isHead });
      recordHttp(this.context, client, { ...base, decision: 'denied', status: 403, bytes, reason }, relevant);
      return;
    }
    const corgi = verdict.kind !== 'tarball' && (headerValue(head, 'accept') ?? '').includes(CORGI);
    const key = verdict.kind === 'tarball' ? `tarball ${url}` : `packument ${corgi ? 'corgi' : 'full'} ${url}`;
    let served: Served;
    try {
      const joined = this.#inflight.get(key);
      if (joined) {
        // Another request is fetching the same thing: this one adds no upstream contact.
        const result = await joined;
        served = result.kind === 'cached' ? { ...result, upstream: false } : result;
      } else {
        const pending = this.#fetch(key, url, registry, verdict.kind === 'tarball' ? 'tarball' : 'packument', corgi).finally(() => this.#inflight.delete(key));
        this.#inflight.set(key, pending);
        served = await pending;
      }
    } catch (error) {
      const bytes = writeResponse(socket, 502, { 'content-type': 'application/json' }, jsonError(`registry upstream failed: ${(error as Error).message}`), { head: isHead });
      recordHttp(this.context, client, { ...base, decision: 'registry', status: 502, bytes, upstream: true, reason: (error as Error).message });
      return;
    }
    if (served.kind === 'passthrough') {
      const bytes = writeResponse(socket, served.status, { 'content-type': served.contentType }, served.body, { head: isHead });
      recordHttp(this.context, client, { ...base, decision: 'registry', status: served.status, bytes, upstream: true });
      return;
    }
    const { entry } = served;
    let bytes: number;
    if (verdict.kind === 'tarball') {
      writeResponse(socket, 200, { 'content-type': entry.contentType, 'content-length': entry.size }, undefined);
      if (!isHead) await sendFile(socket, this.#cache.blobPath(entry.integrity));
      bytes = isHead ? 0 : entry.size;
    } else {
      const raw = (await this.#cache.readBody(entry)).toString('utf8');
      const rewritten = rewritePackument(raw, (tarball) => {
        const path = this.#mapTarball(tarball, registry.prefix);
        if (path === null) return null;
        if (this.#handedOut.size < 1_000_000) this.#handedOut.add(path.split('?')[0] as string);
        return this.#advertise(path);
      });
      bytes = writeResponse(socket, 200, { 'content-type': entry.contentType }, rewritten ? rewritten.body : raw, { head: isHead });
    }
    recordHttp(this.context, client, { ...base, decision: 'registry', status: 200, bytes, upstream: served.upstream });
  }

  /** A gateway path (`/r/<n>/…`) as a URL the sandbox uses: under the registry's advertised URL if it has one. */
  #advertise(path: string): string {
    let registry: RegistryUpstreamConfig | undefined;
    for (const r of this.context.config.registries) if (path.startsWith(r.prefix) && (registry === undefined || r.prefix.length > registry.prefix.length)) registry = r;
    return registry?.advertised !== undefined ? `${registry.advertised}${path.slice(registry.prefix.length)}` : `${this.context.config.advertisedOrigin}${path}`;
  }

  async #fetch(key: string, url: string, registry: RegistryUpstreamConfig, kind: 'tarball' | 'packument', corgi: boolean): Promise<Served> {
    const cached = await this.#cache.lookup(key);
    const maxAgeMs = this.context.config.limits.packumentMaxAgeSeconds * 1000;
    // Tarballs never change under a URL (npm forbids republishing a version); packuments do, slowly.
    if (cached && (kind === 'tarball' || Date.now() - cached.storedAt < maxAgeMs)) return { kind: 'cached', entry: cached, upstream: false };
    const headers: Record<string, string> = {
      // A fixed user agent and accept: nothing the sandbox chose reaches the upstream but the path.
      'user-agent': 'npm (safe-install gateway)',
      accept: kind === 'tarball' ? '*/*' : corgi ? `${CORGI}; q=1.0, application/json; q=0.8, */*` : 'application/json',
    };
    if (cached?.etag) headers['if-none-match'] = cached.etag;
    const authorization = registry.auth ? { origin: new URL(registry.upstream).origin, value: `${registry.auth.type === 'bearer' ? 'Bearer' : 'Basic'} ${registry.auth.value}` } : undefined;
    let response;
    try {
      response = await this.context.upstream.request(url, { method: 'GET', headers, ...(authorization ? { authorization } : {}) });
    } catch (error) {
      // Offline or upstream down: a stale packument is better than none.
      if (cached) return { kind: 'cached', entry: cached, upstream: true };
      throw error;
    }
    if (response.status === 304 && cached) {
      response.body.resume();
      return { kind: 'cached', entry: await this.#cache.touch(cached), upstream: true };
    }
    const contentType = String(response.headers['content-type'] ?? (kind === 'tarball' ? 'application/octet-stream' : 'application/json'));
    if (response.status !== 200) {
      const body = await readAll(response.body, 1024 * 1024).catch(() => Buffer.alloc(0));
      return { kind: 'passthrough', status: response.status, contentType, body, upstream: true };
    }
    if (kind === 'tarball') {
      const entry = await this.#cache.storeStream(key, response.body, { contentType, maxBytes: MAX_TARBALL_BYTES });
      return { kind: 'cached', entry, upstream: true };
    }
    const body = await readAll(response.body, MAX_PACKUMENT_BYTES);
    const etag = response.headers.etag;
    const entry = await this.#cache.storeBuffer(key, body, { contentType, ...(typeof etag === 'string' ? { etag } : {}) });
    return { kind: 'cached', entry, upstream: true };
  }
}
