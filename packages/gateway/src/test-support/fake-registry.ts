/**
 * Test helpers: a small npm registry on loopback (packuments and tarballs, bearer auth), plain
 * loopback servers standing for allowed hosts, a CONNECT proxy, and clients for the forwarder's
 * listeners. Nothing here talks to anything but 127.0.0.1.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { buildDnsQuery } from '../dns/message.js';

export interface SeenRequest {
  method: string;
  url: string;
  authorization?: string;
  accept?: string;
}

export interface FakePackage {
  name: string;
  version: string;
  tarball: Buffer;
  /** Where the tarball is served, when not at npm's usual `/<name>/-/<name>-<version>.tgz`. */
  path?: string;
}

export interface FakeRegistry {
  origin: string;
  requests: SeenRequest[];
  integrity(pkg: FakePackage): string;
  close(): Promise<void>;
}

const fixtures = fileURLToPath(new URL('../../src/test-support/fixtures/', import.meta.url));
export const LOOPBACK_CERT = readFileSync(`${fixtures}loopback-cert.pem`, 'utf8');
export const LOOPBACK_KEY = readFileSync(`${fixtures}loopback-key.pem`, 'utf8');

function tarballPath(pkg: FakePackage): string {
  if (pkg.path) return pkg.path;
  const bare = pkg.name.includes('/') ? pkg.name.split('/')[1] : pkg.name;
  return `/${pkg.name}/-/${bare}-${pkg.version}.tgz`;
}

function integrityOf(pkg: FakePackage): string {
  return `sha512-${createHash('sha512').update(pkg.tarball).digest('base64')}`;
}

/** Starts a registry serving `packages`, answering 401 without `Authorization: Bearer <token>`. */
export async function startFakeRegistry(packages: FakePackage[], token: string, options: { tls?: boolean } = {}): Promise<FakeRegistry> {
  const requests: SeenRequest[] = [];
  let origin = '';
  const handler = (request: http.IncomingMessage, response: http.ServerResponse): void => {
    const seen: SeenRequest = { method: request.method ?? '', url: request.url ?? '' };
    if (request.headers.authorization) seen.authorization = request.headers.authorization;
    if (request.headers.accept) seen.accept = request.headers.accept;
    requests.push(seen);
    if (request.headers.authorization !== `Bearer ${token}`) {
      response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"auth required"}');
      return;
    }
    const path = decodeURIComponent(request.url ?? '');
    for (const pkg of packages) {
      if (path === tarballPath(pkg)) {
        response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': pkg.tarball.length }).end(pkg.tarball);
        return;
      }
    }
    const pkg = packages.find((candidate) => path === `/${candidate.name}`);
    if (!pkg) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const corgi = (request.headers.accept ?? '').includes('application/vnd.npm.install-v1+json');
    const dist = { tarball: `${origin}${tarballPath(pkg)}`, integrity: integrityOf(pkg) };
    const manifest = corgi ? { name: pkg.name, version: pkg.version, dist } : { name: pkg.name, version: pkg.version, description: 'a fixture', dist };
    const body = JSON.stringify({ name: pkg.name, 'dist-tags': { latest: pkg.version }, versions: { [pkg.version]: manifest }, ...(corgi ? { modified: '2025-01-01T00:00:00.000Z' } : { time: {} }) });
    response.writeHead(200, { 'content-type': corgi ? 'application/vnd.npm.install-v1+json' : 'application/json', etag: `"${createHash('sha1').update(body).digest('hex')}"` }).end(body);
  };
  const server = options.tls ? https.createServer({ cert: LOOPBACK_CERT, key: LOOPBACK_KEY }, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `${options.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    integrity: integrityOf,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A TCP server that records what it receives and answers every connection with `reply`. */
export async function startRecordingServer(reply: (received: Buffer) => string | null): Promise<{ port: number; received: Buffer[]; close(): Promise<void> }> {
  const received: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    let data = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const answer = reply(data);
      if (answer !== null) {
        received.push(data);
        socket.end(answer);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A minimal CONNECT proxy on loopback that counts the tunnels it opened. */
export async function startConnectProxy(): Promise<{ url: string; tunnels: string[]; close(): Promise<void> }> {
  const tunnels: string[] = [];
  const server = http.createServer((_, response) => response.writeHead(405).end());
  const sockets = new Set<Socket>();
  server.on('connect', (request: http.IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    tunnels.push(request.url ?? '');
    const [host, port] = (request.url ?? '').split(':');
    const upstream = connect({ host: host as string, port: Number(port) }, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface SimpleResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One HTTP request without keep-alive, collecting the whole response. */
export function request(options: http.RequestOptions & { body?: string | Buffer }): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const { body, ...rest } = options;
    const outgoing = http.request({ agent: false, ...rest }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** Sends one DNS query over UDP to `port` on loopback and returns the raw answer. */
export function dnsOverUdp(port: number, name: string, qtype: number, timeoutMs = 3000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('DNS timeout'));
    }, timeoutMs);
    socket.on('message', (message) => {
      clearTimeout(timer);
      socket.close();
      resolve(message);
    });
    socket.send(buildDnsQuery(randomBytes(2).readUInt16BE(0), name, qtype), port, '127.0.0.1');
  });
}

/** A plausible npm token: `npm_` + 36 base62 characters. */
export function fakeNpmToken(): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  return `npm_${Array.from(randomBytes(36), (byte) => alphabet[byte % 62]).join('')}`;
}
