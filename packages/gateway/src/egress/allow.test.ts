import { compileAllowlist, decideEgress, isHostAllowed, parseAllowEntry } from './allow.js';
import { isForbiddenDestination } from '../net/address.js';

describe('allow entries', () => {
  test.each([
    ['github.com', { host: 'github.com', wildcard: false, source: 'github.com' }],
    ['Objects.GitHubUserContent.com.:443', { host: 'objects.githubusercontent.com', wildcard: false, port: 443, source: 'Objects.GitHubUserContent.com.:443' }],
    ['*.example.test', { host: 'example.test', wildcard: true, source: '*.example.test' }],
    ['[2001:db8::1]:8443', { host: '2001:db8::1', wildcard: false, port: 8443, source: '[2001:db8::1]:8443' }],
  ])('%s', (entry, rule) => {
    expect(parseAllowEntry(entry)).toEqual(rule);
  });

  test.each(['', 'a b', 'http://x.test', 'x.test:0', 'x.test:70000', '*', '*.', 'x.test/path', 'a..b'])('%j is not an entry', (entry) => {
    expect(parseAllowEntry(entry)).toBeNull();
  });
});

describe('decideEgress', () => {
  const { allowlist, invalid } = compileAllowlist({ global: ['*.cdn.test'], packages: { 'pkg-a': ['allowed.test:8080', 'dl.test'], '@scope/b': ['*.b.test:22'] } });
  test('compiles', () => expect(invalid).toEqual([]));
  test('package entries apply to that package only', () => {
    expect(decideEgress(allowlist, 'allowed.test', 8080, 'pkg-a')).toEqual({ allowed: true, rule: 'allowed.test:8080', scope: 'package' });
    expect(decideEgress(allowlist, 'allowed.test', 8080, 'pkg-b')).toEqual({ allowed: false });
    expect(decideEgress(allowlist, 'allowed.test', 8080)).toEqual({ allowed: false });
  });
  test('without a port an entry allows 80 and 443 only', () => {
    expect(decideEgress(allowlist, 'dl.test', 443, 'pkg-a').allowed).toBe(true);
    expect(decideEgress(allowlist, 'dl.test', 80, 'pkg-a').allowed).toBe(true);
    expect(decideEgress(allowlist, 'dl.test', 22, 'pkg-a').allowed).toBe(false);
  });
  test('wildcards match subdomains, not the domain itself or look-alikes', () => {
    expect(decideEgress(allowlist, 'a.cdn.test', 443).allowed).toBe(true);
    expect(decideEgress(allowlist, 'a.b.cdn.test.', 443).allowed).toBe(true);
    expect(decideEgress(allowlist, 'cdn.test', 443).allowed).toBe(false);
    expect(decideEgress(allowlist, 'evilcdn.test', 443).allowed).toBe(false);
    expect(decideEgress(allowlist, 'x.b.test', 22, '@scope/b').allowed).toBe(true);
  });
  test('names are compared case-insensitively', () => {
    expect(decideEgress(allowlist, 'ALLOWED.test', 8080, 'pkg-a').allowed).toBe(true);
    expect(isHostAllowed(allowlist, 'Dl.Test', 'pkg-a')).toBe(true);
    expect(isHostAllowed(allowlist, 'dl.test', 'pkg-b')).toBe(false);
  });
});

describe('isForbiddenDestination (synthetic addresses only; nothing is dialled)', () => {
  test.each([
    '127.0.0.1',
    '127.10.0.1',
    '0.0.0.0',
    '169.254.169.254',
    '169.254.0.1',
    '224.0.0.251',
    '255.255.255.255',
    '::',
    '::1',
    '::ffff:127.0.0.1',
    '::ffff:169.254.169.254',
    '::ffff:a9fe:a9fe',
    'fe80::1',
    'fe80::1%eth0',
    'ff02::1',
    'fd00:ec2::254',
    'not-an-address',
    '1.2.3',
  ])('%s is never dialled', (address) => {
    expect(isForbiddenDestination(address)).toBe(true);
  });

  test.each(['198.51.100.7', '10.1.2.3', '192.168.1.1', '2001:db8::1', '::ffff:198.51.100.7'])('%s may be dialled when allowed', (address) => {
    expect(isForbiddenDestination(address)).toBe(false);
  });
});
