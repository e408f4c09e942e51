import { DEFAULT_LIMITS, validateGatewayConfig } from './config.js';
import { encodeForwardHeader, parseForwardHeader, sanitizeIdentity } from './protocol.js';

const minimal = {
  socketDir: '/run/gw',
  eventsFile: '/var/lib/gw/events.jsonl',
  cacheDir: '/var/cache/gw',
  registries: [{ prefix: '/r/0/', upstream: 'https://registry.example/', auth: { type: 'bearer', value: 't' } }],
  strictSsl: true,
  allow: { global: [], packages: { a: ['x.test:8080'] } },
  decoys: { values: [{ kind: 'npm-token', value: 'npm_xxxxxxxxxxxxxxxxxxxx', plantedAt: ['env:NPM_TOKEN'] }], files: [] },
  sinkAddress: '127.10.0.1',
};

describe('validateGatewayConfig', () => {
  test('fills in defaults', () => {
    const { value, errors, warnings } = validateGatewayConfig(minimal);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(value).toMatchObject({ advertisedOrigin: 'http://127.0.0.1:3128', limits: DEFAULT_LIMITS, strictSsl: true });
  });

  test('names every problem at once', () => {
    const { value, errors } = validateGatewayConfig({
      ...minimal,
      socketDir: 'relative',
      registries: [{ prefix: 'r0', upstream: 'ftp://x' }, { prefix: '/r/1/', upstream: 'https://user:pw@x.example/' }, { prefix: '/r/2/', upstream: 'https://x.example/', auth: { type: 'token', value: '' } }],
      allow: { global: ['http://x'], packages: { a: 'x.test' } },
      sinkAddress: '::1',
      limits: { idleTimeoutMs: -1 },
      ca: 'not pem',
    });
    expect(value).toBeNull();
    expect(errors).toEqual(
      expect.arrayContaining([
        'socketDir must be an absolute path',
        'registries[0].prefix must look like /r/0/',
        'registries[0].upstream must be an http(s) URL',
        'registries[1].upstream must not carry credentials; use auth',
        "registries[2].auth must be {type: 'bearer'|'basic', value: non-empty string}",
        'allow.packages["a"] must be an array of strings',
        'allow entry "http://x" is not host[:port] or *.domain[:port]',
        'sinkAddress must be an IPv4 address',
        'limits.idleTimeoutMs must be a non-negative number',
        'ca must be a PEM string',
      ]),
    );
  });

  test('takes an advertised registry URL as http or https, ending in /, without a query or credentials', () => {
    const registries = (advertised: unknown) => [{ prefix: '/r/0/', upstream: 'https://registry.example/', advertised }];
    for (const good of ['http://registry.example/', 'https://registry.example/', 'https://corp.example:8443/api/npm/']) {
      expect(validateGatewayConfig({ ...minimal, registries: registries(good) }).value?.registries[0]).toMatchObject({ advertised: good });
    }
    for (const bad of ['ftp://registry.example/', 'https://registry.example', 'http://registry.example/?x=1', 'https://u:p@registry.example/', 'registry.example/', 7]) {
      expect(validateGatewayConfig({ ...minimal, registries: registries(bad) }).errors).toEqual(['registries[0].advertised must be an http(s) URL ending in /, without a query or credentials']);
    }
  });

  test('takes a trust store as two absolute folders and a bundle file name', () => {
    const good = { from: '/etc/ssl/certs', into: '/run/trust', bundle: 'ca-certificates.crt' };
    expect(validateGatewayConfig({ ...minimal, trustStore: good }).value?.trustStore).toEqual(good);
    expect(validateGatewayConfig({ ...minimal }).value?.trustStore).toBeUndefined();
    for (const bad of ['/etc/ssl/certs', { ...good, from: 'certs' }, { ...good, into: '/run/../etc' }, { ...good, bundle: '../x' }, { ...good, bundle: 'a/b' }, { ...good, bundle: '' }]) {
      expect(validateGatewayConfig({ ...minimal, trustStore: bad }).errors).toEqual(['trustStore must be {from: absolute path, into: absolute path, bundle: file name}']);
    }
  });

  test('warns about what is legal but risky', () => {
    const { warnings } = validateGatewayConfig({ ...minimal, strictSsl: false, registries: [{ prefix: '/r/0/', upstream: 'http://registry.example/', auth: { type: 'basic', value: 'dTpw' } }], hostsOverride: { 'a.test': '127.0.0.1' }, decoys: { values: [], files: [] } });
    expect(warnings).toEqual(expect.arrayContaining(['registry /r/0/ sends credentials over plain http', 'strictSsl is false: upstream TLS certificates are not verified', 'hostsOverride is set: meant for tests only', 'no decoy values: canary detection is off']));
  });

  test('not an object', () => {
    expect(validateGatewayConfig(null).errors).toEqual(['config must be a JSON object']);
    expect(validateGatewayConfig([]).value).toBeNull();
  });
});

describe('forwarder header', () => {
  test('round trip', () => {
    const header = { kind: 'sink' as const, port: 443, client: { socket: '12345', pid: 42, package: { name: '@a/b', version: '1.0.0' }, lifecycle: 'postinstall' } };
    const line = encodeForwardHeader(header);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(parseForwardHeader(line.slice(0, -1))).toEqual({ ok: true, header });
  });

  test('a package name with a newline cannot break the line', () => {
    const line = encodeForwardHeader({ kind: 'proxy', port: 3128, client: { package: { name: 'a\nb', version: '1' } } });
    expect(line.indexOf('\n')).toBe(line.length - 1);
  });

  test.each(['', 'null', '[]', '{"kind":"x","port":1}', '{"kind":"proxy","port":70000}', '{"kind":"proxy","port":"80"}', '{'])('%j is refused', (line) => {
    expect(parseForwardHeader(line).ok).toBe(false);
  });

  test('identity fields of the wrong shape are dropped, not trusted', () => {
    expect(sanitizeIdentity({ socket: '12a', pid: -1, package: { name: 5 }, lifecycle: 'x'.repeat(500) })).toEqual({});
    expect(sanitizeIdentity({ socket: '99', pid: 7, package: { name: 'a' } })).toEqual({ socket: '99', pid: 7, package: { name: 'a', version: '' } });
  });
});
