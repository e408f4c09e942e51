/**
 * The upstream side and real clients, still on loopback only: an https registry with its own CA,
 * reached directly or through a CONNECT proxy (npm's `https-proxy`); and the real npm CLI installing
 * through the forwarder, with a lockfile whose URLs name the upstream (what `ci` meets).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { validateGatewayConfig, type GatewayConfig } from './config.js';
import { startForwarder, type StartedForwarder } from './forwarder/forwarder.js';
import type { GatewayEvent, GatewayHttpEvent } from './gateway/event-log.js';
import { startGateway, type StartedGateway } from './gateway/server.js';
import { LOOPBACK_CERT, request, startConnectProxy, startFakeRegistry, type FakePackage } from './test-support/fake-registry.js';

const run = promisify(execFile);
const TOKEN = 'upstream-secret-token';

async function setUp(name: string, registryConfig: Partial<GatewayConfig>, upstream: string): Promise<{ dir: string; forwarder: StartedForwarder; gateway: StartedGateway; port: number; events: GatewayEvent[] }> {
  const dir = mkdtempSync(join(tmpdir(), `gateway-${name}-`));
  const forwarder = await startForwarder({ socketDir: join(dir, 'sock'), proxy: [{ host: '127.0.0.1', port: 0 }], dns: [{ host: '127.0.0.1', port: 0 }], sink: [] });
  const port = forwarder.addresses.find((entry) => entry.kind === 'proxy')?.port as number;
  const checked = validateGatewayConfig({
    socketDir: join(dir, 'sock'),
    eventsFile: join(dir, 'events.jsonl'),
    cacheDir: join(dir, 'cache'),
    registries: [{ prefix: '/r/0/', upstream, auth: { type: 'bearer', value: TOKEN } }],
    strictSsl: true,
    allow: { global: [], packages: {} },
    decoys: { values: [], files: [] },
    sinkAddress: '127.10.0.1',
    advertisedOrigin: `http://127.0.0.1:${port}`,
    ...registryConfig,
  });
  if (!checked.value) throw new Error(checked.errors.join('; '));
  const events: GatewayEvent[] = [];
  const gateway = await startGateway(checked.value, { onEvent: (event) => events.push(event) });
  return { dir, forwarder, gateway, port, events };
}

const fixture: FakePackage = { name: 'tls-pkg', version: '1.0.0', tarball: Buffer.from('not really a tarball') };

describe('https upstream', () => {
  test('trusts the configured CA, and goes through the https proxy with CONNECT', async () => {
    const registry = await startFakeRegistry([fixture], TOKEN, { tls: true });
    const proxy = await startConnectProxy();
    const setup = await setUp('tls', { ca: LOOPBACK_CERT, httpsProxy: proxy.url }, `${registry.origin}/`);
    try {
      const response = await request({ host: '127.0.0.1', port: setup.port, path: '/r/0/tls-pkg' });
      expect([response.status, response.body.toString()]).toEqual([200, expect.stringContaining('tls-pkg')]);
      expect(JSON.parse(response.body.toString()).versions['1.0.0'].dist.tarball).toBe(`http://127.0.0.1:${setup.port}/r/0/tls-pkg/-/tls-pkg-1.0.0.tgz`);
      expect(proxy.tunnels).toEqual([registry.origin.replace('https://', '')]);
      expect(registry.requests[0]?.authorization).toBe(`Bearer ${TOKEN}`);
    } finally {
      await setup.forwarder.close();
      await setup.gateway.close();
      await proxy.close();
      await registry.close();
      rmSync(setup.dir, { recursive: true, force: true });
    }
  });

  test('without the CA, strict-ssl refuses the upstream: 502, recorded, nothing cached', async () => {
    const registry = await startFakeRegistry([fixture], TOKEN, { tls: true });
    const setup = await setUp('untrusted', {}, `${registry.origin}/`);
    try {
      const response = await request({ host: '127.0.0.1', port: setup.port, path: '/r/0/tls-pkg' });
      expect(response.status).toBe(502);
      expect(registry.requests).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(setup.events[0]).toMatchObject({ type: 'http', decision: 'registry', status: 502, upstream: true });
      expect((setup.events[0] as GatewayHttpEvent).reason).toMatch(/certificate/i);
    } finally {
      await setup.forwarder.close();
      await setup.gateway.close();
      await registry.close();
      rmSync(setup.dir, { recursive: true, force: true });
    }
  });
});

describe('the real npm client', () => {
  test('npm ci through the forwarder: lockfile URLs name the upstream, the token stays in the gateway', async () => {
    const work = mkdtempSync(join(tmpdir(), 'gateway-npm-'));
    // A real package tarball, made by npm itself (offline).
    const source = join(work, 'source');
    mkdirSync(source);
    writeFileSync(join(source, 'package.json'), JSON.stringify({ name: 'tiny-dep', version: '1.2.3', main: 'index.js' }));
    writeFileSync(join(source, 'index.js'), 'module.exports = 42;\n');
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/proxy|^npm_config_/i.test(key)));
    writeFileSync(join(work, 'npmrc'), '');
    const npmEnv = { ...env, npm_config_userconfig: join(work, 'npmrc'), npm_config_cache: join(work, 'npm-cache'), npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false' };
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: source, env: { ...npmEnv, npm_config_cache: join(work, 'pack-cache') } });
    const filename = (JSON.parse(stdout) as Array<{ filename: string }>)[0]?.filename as string;
    const pkg: FakePackage = { name: 'tiny-dep', version: '1.2.3', tarball: readFileSync(join(work, filename)) };
    const registry = await startFakeRegistry([pkg], TOKEN);
    const setup = await setUp('npm', {}, `${registry.origin}/`);
    try {
      const project = join(work, 'project');
      mkdirSync(project);
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { 'tiny-dep': '^1.2.0' } }));
      writeFileSync(
        join(project, 'package-lock.json'),
        JSON.stringify({
          name: 'app',
          version: '1.0.0',
          lockfileVersion: 3,
          requires: true,
          packages: {
            '': { name: 'app', version: '1.0.0', dependencies: { 'tiny-dep': '^1.2.0' } },
            'node_modules/tiny-dep': { version: '1.2.3', resolved: `${registry.origin}/tiny-dep/-/tiny-dep-1.2.3.tgz`, integrity: registry.integrity(pkg) },
          },
        }),
      );
      const registryUrl = `http://127.0.0.1:${setup.port}/r/0/`;
      await run('npm', ['ci', '--ignore-scripts', `--registry=${registryUrl}`, '--replace-registry-host=always'], { cwd: project, env: npmEnv });
      expect(readFileSync(join(project, 'node_modules', 'tiny-dep', 'index.js'), 'utf8')).toBe('module.exports = 42;\n');
      expect(registry.requests.map((seen) => [seen.url, seen.authorization])).toEqual([['/tiny-dep/-/tiny-dep-1.2.3.tgz', `Bearer ${TOKEN}`]]);
      // And a resolve from scratch: packument, then the rewritten tarball URL.
      rmSync(join(project, 'node_modules'), { recursive: true });
      rmSync(join(project, 'package-lock.json'));
      await run('npm', ['install', '--ignore-scripts', `--registry=${registryUrl}`, '--prefer-online'], { cwd: project, env: npmEnv });
      const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8'));
      expect(lock.packages['node_modules/tiny-dep'].resolved).toBe(`${registryUrl}tiny-dep/-/tiny-dep-1.2.3.tgz`);
      const httpEvents = setup.events.filter((event): event is GatewayHttpEvent => event.type === 'http');
      expect(httpEvents.every((event) => event.decision === 'registry' && event.status === 200)).toBe(true);
      expect(httpEvents.map((event) => [event.url.replace(registry.origin, ''), event.upstream])).toEqual(
        expect.arrayContaining([
          ['/tiny-dep/-/tiny-dep-1.2.3.tgz', true],
          ['/tiny-dep', true],
        ]),
      );
      expect(readFileSync(join(setup.dir, 'events.jsonl'), 'utf8')).not.toContain(TOKEN);
    } finally {
      await setup.forwarder.close();
      await setup.gateway.close();
      await registry.close();
      rmSync(work, { recursive: true, force: true });
      rmSync(setup.dir, { recursive: true, force: true });
    }
  }, 60_000);
});
