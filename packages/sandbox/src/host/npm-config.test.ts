/** pickNpmConfig is pure: it picks the fetch settings out of `npm config list --json`. */
import { SafeInstallError } from '@safe-install/schema';
import { carriedEnvironment, carriedSettings, npmEnvKeys, pickNpmConfig } from './npm-config.js';
import { npmrcValues, parseNpmrcLines } from '../project/npmrc.js';

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
      installSettings: [],
      installEnv: [],
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
      installSettings: [],
      installEnv: [],
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
    expect(Object.keys(picked).sort()).toEqual(['cafile', 'httpsProxy', 'installEnv', 'installSettings', 'noproxy', 'npmrcFiles', 'proxy', 'registry', 'scopedRegistries', 'strictSsl']);
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

describe('carriedSettings: the host settings that change what npm installs go into the sandbox', () => {
  // `npm config list --json` of a host whose user npmrc sets these (real key names of npm 11).
  const config: Record<string, unknown> = {
    registry: REGISTRY,
    'legacy-peer-deps': true,
    'strict-peer-deps': false,
    'install-links': true,
    'install-strategy': 'hoisted',
    'engine-strict': true,
    'omit-lockfile-registry-resolved': true,
    omit: ['dev', 'optional'],
    include: ['peer'],
    'foreground-scripts': true,
    'strict-allow-scripts': true,
    umask: 18,
    python: '/usr/bin/python3',
    'build-from-source': 'true',
    nodedir: '/usr',
    cache: '/root/.npm',
    prefix: '/usr',
    'script-shell': '/bin/sh',
    'ignore-scripts': true,
    'node-options': '--require /x.js',
    'onload-script': '/x.js',
    cafile: '/etc/ssl/ca.pem',
    proxy: 'http://p.example:3128',
    'fetch-timeout': 1,
    fund: false,
    json: true,
    '//registry.example/:_authToken': 'SECRET',
    '@corp:registry': 'https://corp.example/',
    _auth: 'SECRET',
    'sharp-github-token': 'SECRET',
    'my-api-key': 'SECRET',
    weird: 'a=b;c#d',
    spaced: ' x ',
    'not-explicit': true,
  };
  const explicit = Object.keys(config).filter((key) => key !== 'not-explicit');

  it('carries install settings, arrays as ini arrays, unknown keys scripts read (python, build-from-source)', () => {
    expect(carriedSettings(config, explicit)).toEqual([
      'legacy-peer-deps=true',
      'strict-peer-deps=false',
      'install-links=true',
      'install-strategy=hoisted',
      'engine-strict=true',
      'omit-lockfile-registry-resolved=true',
      'omit[]=dev',
      'omit[]=optional',
      'include[]=peer',
      'foreground-scripts=true',
      'strict-allow-scripts=true',
      'umask=18',
      'python=/usr/bin/python3',
      'build-from-source=true',
      'weird="a=b;c#d"',
      'spaced=" x "',
    ]);
  });

  it('never carries what the sandbox decides, credentials, secret-looking keys, or keys the host did not set', () => {
    const lines = carriedSettings(config, explicit).join('\n');
    expect(lines).not.toContain('SECRET');
    for (const key of ['nodedir', 'cache', 'prefix', 'script-shell', 'ignore-scripts', 'node-options', 'onload-script', 'cafile', 'proxy', 'registry', 'fetch-timeout', 'fund', 'json', 'not-explicit']) {
      expect(lines).not.toMatch(new RegExp(`^${key}=`, 'm'));
    }
  });

  it('writes lines npm reads back as the same values', () => {
    const lines = carriedSettings(config, explicit).join('\n');
    const values = npmrcValues(lines);
    expect(values.get('weird')).toBe('a=b;c#d');
    expect(values.get('spaced')).toBe(' x ');
    expect(parseNpmrcLines(lines).filter((line) => line.key === 'omit').map((line) => line.value)).toEqual(['dev', 'optional']);
  });

  it('reads explicit keys from the environment as npm does', () => {
    expect(npmEnvKeys({ npm_config_legacy_peer_deps: 'true', NPM_CONFIG_INSTALL_LINKS: 'true', npm_config_empty: '', npm_config__auth: 'x', 'npm_config_//r.example/:_authToken': 'x', PATH: '/bin' })).toEqual([
      'legacy-peer-deps',
      'install-links',
      '_auth',
      '//r.example/:_authToken',
    ]);
  });

  it('carries environment-set keys as environment (they outrank the project .npmrc there, as on the host), never secrets or multi-line values', () => {
    const env = { ...config, 'multi-line': 'a\nb', 'null-valued': null };
    expect(carriedEnvironment(env, ['legacy-peer-deps', 'install-strategy', 'include', 'omit', 'multi-line', 'null-valued', 'my-api-key', 'script-shell', 'not-set'])).toEqual([
      'npm_config_legacy_peer_deps=true',
      'npm_config_install_strategy=hoisted',
      'npm_config_include=peer',
    ]);
    const picked = pickNpmConfig(config, ['engine-strict', 'legacy-peer-deps'], ['legacy-peer-deps', 'omit']);
    expect(picked.installEnv).toEqual(['npm_config_legacy_peer_deps=true']);
    // A list of several values has no environment form: it stays a line, like a file's key.
    expect(picked.installSettings).toEqual(['engine-strict=true', 'omit[]=dev', 'omit[]=optional']);
  });
});

