/** pickNpmConfig is pure: it picks the fetch settings out of `npm config list --json`. */
import { SafeInstallError } from '@safe-install/schema';
import { pickNpmConfig } from './npm-config.js';

const REGISTRY = 'https://registry.example/';

describe('pickNpmConfig', () => {
  it('picks the defaults of a plain npm', () => {
    expect(pickNpmConfig({ registry: REGISTRY, 'strict-ssl': true, proxy: null, 'https-proxy': null, noproxy: '', cafile: null })).toEqual({
      registry: REGISTRY,
      scopedRegistries: {},
      cafile: null,
      proxy: null,
      httpsProxy: null,
      noproxy: null,
      strictSsl: true,
      npmrcFiles: [],
    });
  });

  it('picks everything a corporate setup configures', () => {
    expect(
      pickNpmConfig({
        registry: 'https://npm.corp.example/',
        '@myco:registry': 'https://npm.pkg.github.com/',
        '@other-scope:registry': 'https://other.example/npm/',
        cafile: '/etc/ssl/corp.pem',
        proxy: 'http://proxy.corp.example:3128',
        'https-proxy': 'http://proxy.corp.example:3129',
        noproxy: 'localhost,.corp.example',
        'strict-ssl': false,
      }),
    ).toEqual({
      registry: 'https://npm.corp.example/',
      scopedRegistries: { '@myco': 'https://npm.pkg.github.com/', '@other-scope': 'https://other.example/npm/' },
      cafile: '/etc/ssl/corp.pem',
      proxy: 'http://proxy.corp.example:3128',
      httpsProxy: 'http://proxy.corp.example:3129',
      noproxy: 'localhost,.corp.example',
      strictSsl: false,
      npmrcFiles: [],
    });
  });

  it('ignores keys that only look like scoped registries, and empty or non-string URLs', () => {
    const picked = pickNpmConfig({
      registry: REGISTRY,
      'myco:registry': 'https://no-at.example/',
      '@myco:registry-x': 'https://suffix.example/',
      '@a/b:registry': 'https://slash.example/',
      '@a:b:registry': 'https://colon.example/',
      '//r.example/:registry': 'https://nerf.example/',
      '@empty:registry': '',
      '@null:registry': null,
      '@number:registry': 42,
      '@ok:registry': 'https://ok.example/',
    });
    expect(picked.scopedRegistries).toEqual({ '@ok': 'https://ok.example/' });
  });

  it('never carries credentials or unrelated settings', () => {
    const picked = pickNpmConfig({ registry: REGISTRY, '//registry.example/:_authToken': 'secret', _auth: 'secret', 'save-exact': true });
    expect(JSON.stringify(picked)).not.toContain('secret');
    expect(Object.keys(picked).sort()).toEqual(['cafile', 'httpsProxy', 'noproxy', 'npmrcFiles', 'proxy', 'registry', 'scopedRegistries', 'strictSsl']);
  });

  it.each([
    [['localhost', '.corp.example', '10.0.0.0/8'], 'localhost,.corp.example,10.0.0.0/8'],
    [['localhost'], 'localhost'],
    [['localhost', '', 7, null, '.corp'], 'localhost,.corp'],
    [[], null],
    [['', null], null],
    ['localhost,.corp.example', 'localhost,.corp.example'],
    ['', null],
    [null, null],
    [undefined, null],
    [42, null],
  ])('reads noproxy %j as %j', (noproxy, expected) => {
    expect(pickNpmConfig({ registry: REGISTRY, noproxy }).noproxy).toBe(expected);
  });

  it.each([
    [false, false],
    [true, true],
    [undefined, true],
    [null, true],
    ['false', true],
  ])('reads strict-ssl %j as %j (only an explicit false turns it off)', (value, expected) => {
    expect(pickNpmConfig({ registry: REGISTRY, 'strict-ssl': value }).strictSsl).toBe(expected);
  });

  it.each([
    ['missing', {}],
    ['empty', { registry: '' }],
    ['null', { registry: null }],
    ['not a string', { registry: ['https://r.example/'] }],
  ])('refuses a config whose registry is %s', (_label, config) => {
    let caught: unknown;
    try {
      pickNpmConfig(config);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SafeInstallError);
    expect((caught as SafeInstallError).code).toBe('NPM_CONFIG_INVALID');
    expect((caught as SafeInstallError).kind).toBe('usage');
    expect((caught as SafeInstallError).message).toMatch(/no registry/);
  });

  it('does not let a __proto__ key change the result', () => {
    const config = JSON.parse(`{"registry": "${REGISTRY}", "__proto__": {"polluted": "yes", "registry": "https://evil.example/"}, "@__proto__:registry": "https://p.example/"}`) as Record<string, unknown>;
    const picked = pickNpmConfig(config);
    expect(picked.registry).toBe(REGISTRY);
    expect(picked.scopedRegistries).toEqual({ '@__proto__': 'https://p.example/' });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
