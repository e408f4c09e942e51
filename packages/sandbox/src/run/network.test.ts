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
  installEnv: [],
  strictSsl: true,
  npmrcFiles: [],
});

describe('advertisedRegistryUrl', () => {
  it('keeps the registry’s scheme, host, port and path: what a CI job’s npm config shows', () => {
    expect(advertisedRegistryUrl('https://registry.example/')).toBe('https://registry.example/');
    expect(advertisedRegistryUrl('https://registry.example:443/')).toBe('https://registry.example/');
    expect(advertisedRegistryUrl('https://REGISTRY.example')).toBe('https://registry.example/');
    expect(advertisedRegistryUrl('https://corp.example:8443/api/npm/npm-remote')).toBe('https://corp.example:8443/api/npm/npm-remote/');
    // A registry the user reaches over plain http stays plain http: so would a CI job's.
    expect(advertisedRegistryUrl('http://10.1.2.3:4873/')).toBe('http://10.1.2.3:4873/');
    expect(advertisedRegistryUrl('http://registry.example:80/')).toBe('http://registry.example/');
  });
});

describe('routeRegistries', () => {
  it('shows npm every registry by its own URL, never the proxy’s address, and gives the gateway the same table', () => {
    const routing = routeRegistries(config('https://registry.example/', { '@corp': 'https://corp.example/npm/' }), []);
    expect(routing.npmrc).toEqual(['registry=https://registry.example/', '@corp:registry=https://corp.example/npm/']);
    expect(routing.npmrc.join('\n')).not.toMatch(/127\.0\.0\.1|\/r\/\d|http:/);
    expect(routing.registries).toEqual([
      { prefix: '/r/0/', upstream: 'https://registry.example/', advertised: 'https://registry.example/' },
      { prefix: '/r/1/', upstream: 'https://corp.example/npm/', advertised: 'https://corp.example/npm/' },
    ]);
    // Node trusts the system bundle (where the run's CA is) only when told to.
    expect(routing.env).toContain('NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt');
    // The gateway accepts the table as is.
    const checked = validateGatewayConfig({ socketDir: '/s', eventsFile: '/e', cacheDir: '/c', registries: routing.registries, strictSsl: true, allow: { global: [], packages: {} }, sinkAddress: '127.10.0.1' });
    expect(checked.errors).toEqual([]);
  });

  it('an http-only registry needs no CA: Node is not pointed at the system bundle', () => {
    const routing = routeRegistries(config('http://10.1.2.3:4873/'), []);
    expect(routing.npmrc).toEqual(['registry=http://10.1.2.3:4873/']);
    expect(routing.env.some((line) => line.startsWith('NODE_EXTRA_CA_CERTS='))).toBe(false);
  });
});
