import { classifyRegistryRequest, selectRegistry, upstreamUrl } from './rules.js';
import { rewritePackument, tarballUrlMapper } from './rewrite.js';

describe('classifyRegistryRequest', () => {
  test.each([
    ['GET', 'express', 'packument', 'express'],
    ['HEAD', 'express', 'packument', 'express'],
    ['GET', '@types%2fnode', 'packument', '@types/node'],
    ['GET', '@types%2Fnode', 'packument', '@types/node'],
    ['GET', '@types/node', 'packument', '@types/node'],
    ['GET', 'express/4.19.2', 'version', 'express'],
    ['GET', 'express/latest', 'version', 'express'],
    ['GET', 'express/-/express-4.19.2.tgz', 'tarball', 'express'],
    ['GET', '@types/node/-/node-20.1.0.tgz', 'tarball', '@types/node'],
    ['GET', 'JSONStream', 'packument', 'JSONStream'],
    ['GET', 'download/@acme/widget/2.1.0/0123456789abcdef0123456789abcdef01234567', 'tarball', '@acme/widget'],
    ['GET', '-/npm/v1/attestations/core-js@3.45.1', 'attestation', 'core-js'],
    ['HEAD', '-/npm/v1/attestations/core-js@3.45.1', 'attestation', 'core-js'],
    ['GET', '-/npm/v1/attestations/@pnpm/exe@11.28.6', 'attestation', '@pnpm/exe'],
    ['GET', '-/npm/v1/attestations/left-pad@1.3.0-rc.1+build.2', 'attestation', 'left-pad'],
  ])('%s %s is forwarded (%s)', (method, rest, kind, name) => {
    expect(classifyRegistryRequest(method, rest)).toEqual({ allowed: true, kind, name });
  });

  test.each([
    ['PUT', 'express'],
    ['POST', '-/npm/v1/security/advisories/bulk'],
    ['DELETE', 'express/-/rev/1-abc'],
    ['GET', '-/whoami'],
    ['GET', '-/v1/search?text=x'],
    ['GET', '-/npm/v1/user'],
    ['GET', '-/npm/v1/tokens'],
    ['GET', '-/user/org.couchdb.user:someone'],
    ['GET', '-/package/express/dist-tags'],
    ['GET', '-/org/acme/package'],
    ['GET', 'express?write=true'],
    ['GET', 'express/../-/whoami'],
    ['GET', 'express/%2e%2e/-/whoami'],
    ['GET', 'express%2f..%2f-%2fwhoami'],
    ['GET', 'express/-/rev/1-abc'],
    ['GET', 'express/-/../../x.tgz'],
    ['GET', '@scope%2fname%2fextra'],
    ['GET', '@scope'],
    ['GET', ''],
    ['GET', '//express'],
    ['GET', 'express/4.0.0/extra'],
    ['GET', 'ex press'],
    ['GET', 'download/@acme/widget/2.1.0/../x'],
    ['GET', 'download/acme/widget/2.1.0/0123456789abcdef'],
    ['GET', 'api/security/apiKey'],
    ['GET', 'express\\..\\x'],
    ['GET', `${'a'.repeat(2000)}`],
    ['POST', '-/npm/v1/attestations/core-js@3.45.1'],
    ['PUT', '-/npm/v1/attestations/core-js@3.45.1'],
    ['GET', '-/npm/v1/attestations/core-js'],
    ['GET', '-/npm/v1/attestations/@core-js'],
    ['GET', '-/npm/v1/attestations/'],
    ['GET', '-/npm/v1/attestations/core-js@3.45.1?x=1'],
    ['GET', '-/npm/v1/attestations/core-js@3.45.1/../../tokens'],
    ['GET', '-/npm/v1/attestations/../tokens@1.0.0'],
    ['GET', '-/npm/v1/attestations/%2e%2e@1.0.0'],
    ['GET', '-/npm/v1/attestations/@scope%2fname@1.0.0'],
    ['GET', '-/npm/v1/attestations/scope/name@1.0.0'],
    ['GET', '-/npm/v1/attestations/@a/b/c@1.0.0'],
    ['GET', '-/npm/v1/attestations/@/name@1.0.0'],
    ['GET', '-/npm/v1/attestations/core-js@'],
    ['GET', '-/npm/v1/attestations/core-js@3.45.1@x y'],
    ['GET', '-/npm/v1/attestations/.hidden@1.0.0'],
    ['GET', '-/npm/v1/attestation/core-js@3.45.1'],
    ['GET', '-/npm/v1/attestationsX/core-js@3.45.1'],
    ['GET', '-/npm/v2/attestations/core-js@3.45.1'],
    ['GET', '-/npm/v1/attestations/core-js@3.45.1/'],
    ['GET', `-/npm/v1/attestations/${'a'.repeat(215)}@1.0.0`],
  ])('%s %j is refused', (method, rest) => {
    expect(classifyRegistryRequest(method, rest).allowed).toBe(false);
  });
});

describe('selectRegistry', () => {
  const registries = [{ prefix: '/r/0/' }, { prefix: '/r/1/' }, { prefix: '/r/1/sub/' }];
  test('the longest prefix wins; no prefix means the default registry', () => {
    expect(selectRegistry('/r/1/express', registries)).toEqual({ index: 1, rest: 'express', prefixed: true });
    expect(selectRegistry('/r/1/sub/x', registries)).toEqual({ index: 2, rest: 'x', prefixed: true });
    expect(selectRegistry('/express/-/express-1.0.0.tgz', registries)).toEqual({ index: 0, rest: 'express/-/express-1.0.0.tgz', prefixed: false });
  });
  test('upstream URLs keep the upstream path', () => {
    expect(upstreamUrl('https://mirror.example/api/npm/remote', 'express')).toBe('https://mirror.example/api/npm/remote/express');
    expect(upstreamUrl('https://mirror.example/', '@a%2fb')).toBe('https://mirror.example/@a%2fb');
  });
});

describe('packument rewriting', () => {
  const map = tarballUrlMapper(
    [
      { prefix: '/r/0/', upstream: 'https://registry.example/' },
      { prefix: '/r/1/', upstream: 'https://mirror.example/api/npm/remote/' },
    ],
    'http://127.0.0.1:3128',
  );
  test('URLs under an upstream point back at the gateway; others stay', () => {
    expect(map('https://registry.example/a/-/a-1.0.0.tgz')).toBe('http://127.0.0.1:3128/r/0/a/-/a-1.0.0.tgz');
    expect(map('http://registry.example/a/-/a-1.0.0.tgz')).toBe('http://127.0.0.1:3128/r/0/a/-/a-1.0.0.tgz');
    expect(map('https://mirror.example/api/npm/remote/@s/b/-/b-2.0.0.tgz')).toBe('http://127.0.0.1:3128/r/1/@s/b/-/b-2.0.0.tgz');
    expect(map('https://mirror.example/elsewhere/b.tgz')).toBeNull();
    expect(map('https://cdn.example/a.tgz')).toBeNull();
    expect(map('git+ssh://x')).toBeNull();
  });

  test('full and abbreviated packuments, and single-version documents', () => {
    const packument = JSON.stringify({
      name: 'a',
      versions: {
        '1.0.0': { dist: { tarball: 'https://registry.example/a/-/a-1.0.0.tgz', integrity: 'sha512-x' } },
        '2.0.0': { dist: { tarball: 'https://cdn.example/a-2.0.0.tgz' } },
        '3.0.0': { dist: {} },
        '4.0.0': 'garbage',
      },
    });
    const result = rewritePackument(packument, map);
    expect(result).toMatchObject({ rewritten: 1, foreign: 1 });
    const parsed = JSON.parse(result?.body ?? '{}');
    expect(parsed.versions['1.0.0'].dist).toEqual({ tarball: 'http://127.0.0.1:3128/r/0/a/-/a-1.0.0.tgz', integrity: 'sha512-x' });
    expect(parsed.versions['2.0.0'].dist.tarball).toBe('https://cdn.example/a-2.0.0.tgz');
    expect(rewritePackument(JSON.stringify({ name: 'a', version: '1.0.0', dist: { tarball: 'https://registry.example/a/-/a-1.0.0.tgz' } }), map)?.rewritten).toBe(1);
  });

  test('bodies that are not JSON objects are left alone', () => {
    expect(rewritePackument('not json', map)).toBeNull();
    expect(rewritePackument('[1,2]', map)).toBeNull();
    expect(rewritePackument('"x"', map)).toBeNull();
  });
});
