import { validateGatewayConfig } from '@safe-install/gateway';
import type { HostNpmConfig } from '../host/npm-config.js';
import { advertisedRegistryUrl, routeRegistries } from './network.js';

const config = (registry: string, scopedRegistries: Record<string, string> = {}): HostNpmConfig => ({
  registry,
  scopedRegistries,
  ca: null,
  cafile: null,
  proxy: null,
  httpsProxy: null,
  noproxy: null,
  installSettings: [],
  strictSsl: true,
  npmrcFiles: [],
});

describe('advertisedRegistryUrl', () => {
  it('keeps the registry’s host, port and path, over http', () => {
    expect(advertisedRegistryUrl('https://registry.example/')).toBe('http://registry.example/');
    expect(advertisedRegistryUrl('https://registry.example:443/')).toBe('http://registry.example/');
    expect(advertisedRegistryUrl('https://corp.example:8443/api/npm/npm-remote')).toBe('http://corp.example:8443/api/npm/npm-remote/');
    expect(advertisedRegistryUrl('http://10.1.2.3:4873/')).toBe('http://10.1.2.3:4873/');
  });
});

describe('routeRegistries', () => {
  it('shows npm every registry by its own URL, never the proxy’s address, and gives the gateway the same table', () => {
    const routing = routeRegistries(config('https://registry.example/', { '@corp': 'https://corp.example/npm/' }), []);
    expect(routing.npmrc).toEqual(['registry=http://registry.example/', '@corp:registry=http://corp.example/npm/']);
    expect(routing.npmrc.join('\n')).not.toMatch(/127\.0\.0\.1|\/r\/\d/);
    expect(routing.registries).toEqual([
      { prefix: '/r/0/', upstream: 'https://registry.example/', advertised: 'http://registry.example/' },
      { prefix: '/r/1/', upstream: 'https://corp.example/npm/', advertised: 'http://corp.example/npm/' },
    ]);
    // The gateway accepts the table as is.
    const checked = validateGatewayConfig({ socketDir: '/s', eventsFile: '/e', cacheDir: '/c', registries: routing.registries, strictSsl: true, allow: { global: [], packages: {} }, sinkAddress: '127.10.0.1' });
    expect(checked.errors).toEqual([]);
  });
});
