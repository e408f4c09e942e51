import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BunLockError, bunLockedPackages, parseBunLock, parseJsonc } from './bun-lock.js';

const example = readFileSync(fileURLToPath(new URL('../../../../examples/bun-small/bun.lock', import.meta.url)));

const lockOf = (packages: string, workspaces = '"": { "name": "app" },') => `{ "lockfileVersion": 1, "workspaces": { ${workspaces} }, "packages": { ${packages} }, }`;

describe('parseJsonc', () => {
  it('reads Bun\'s trailing commas and comments', () => {
    expect(parseJsonc('{ "a": [1, 2,], // c\n "b": { "c": true, }, /* x */ }')).toEqual({ a: [1, 2], b: { c: true } });
  });
  it('refuses duplicate keys, and keeps __proto__ an ordinary key', () => {
    expect(() => parseJsonc('{ "a": 1, "a": 2 }')).toThrow(/duplicate key "a"/);
    const value = parseJsonc('{ "__proto__": { "polluted": true } }') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBeNull();
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.keys(value)).toEqual(['__proto__']);
  });
  it('refuses deep nesting, too many entries, and anything that is not JSON', () => {
    expect(() => parseJsonc('['.repeat(100) + ']'.repeat(100))).toThrow(/deeper/);
    expect(() => parseJsonc('[1,2,3,4]', 3)).toThrow(/more than 3 entries/);
    for (const bad of ["{ 'a': 1 }", '{ a: 1 }', '[1] 2', '"\u0001"', '"abc', '{"a":1', 'NaN', '[0x10]', '/* open', '"\\q"']) {
      expect(() => parseJsonc(bad)).toThrow(BunLockError);
    }
  });
});

describe('parseBunLock', () => {
  it('reads the example written by Bun 1.4', () => {
    const lock = parseBunLock(example);
    expect([...lock.workspaces.keys()]).toEqual(['', 'packages/greet']);
    expect(lock.packages.get('core-js')).toMatchObject({ name: 'core-js', version: '3.45.1', source: 'registry', hasInstallScript: true });
    expect(lock.packages.get('@bun-small/greet')).toMatchObject({ source: 'workspace', directory: 'packages/greet' });
    const locked = bunLockedPackages(lock);
    expect(locked.byPath.get('node_modules/cpu-features')).toMatchObject({ name: 'cpu-features', version: '0.0.10', source: 'registry' });
    expect(locked.byPath.get('packages/greet')).toMatchObject({ name: '@bun-small/greet', source: 'workspace' });
    expect(locked.byPath.get('')).toMatchObject({ name: 'bun-small', source: 'project' });
  });

  it('places nested and scoped keys in their hoisted folders, under a workspace member\'s own folder', () => {
    const lock = parseBunLock(lockOf(`
      "@s/a": ["@s/a@1.0.0", "", { "bin": { "a": "cli.js" } }, "sha512-x"],
      "@s/a/b": ["b@2.0.0", "", {}, "sha512-y"],
      "w": ["w@workspace:packages/w"],
      "w/@t/c": ["@t/c@3.0.0", "", {}, "sha512-z"],
      "alias": ["alias@npm:real@4.0.0", "", {}, "sha512-q"],
      "t": ["t@vendor/t-1.0.0.tgz", { "hasInstallScript": true }, "sha512-t"],`, '"": {}, "packages/w": { "name": "w" },'));
    const { byPath, bins } = bunLockedPackages(lock);
    expect(byPath.get('node_modules/@s/a/node_modules/b')).toMatchObject({ name: 'b', version: '2.0.0' });
    expect(byPath.get('packages/w/node_modules/@t/c')).toMatchObject({ name: '@t/c', version: '3.0.0' });
    expect(byPath.get('node_modules/alias')).toMatchObject({ name: 'real', version: '4.0.0', installedAs: 'alias' });
    expect(bins.get('node_modules/.bin/a')).toMatchObject({ name: '@s/a' });
    expect(lock.packages.get('t')).toMatchObject({ source: 'file', tarball: 'vendor/t-1.0.0.tgz', hasInstallScript: true });
    expect(byPath.get('node_modules/t')).toMatchObject({ name: 't', version: 'file:vendor/t-1.0.0.tgz', source: 'file' });
  });

  it('refuses folders outside the project, odd keys and unknown resolutions', () => {
    for (const [packages, why] of [
      ['"x": ["x@workspace:../outside"]', /outside the project/],
      ['"x": ["x@file:/etc"]', /outside the project/],
      ['"x": ["x@link:node_modules/y"]', /inside node_modules/],
      ['"../x": ["x@1.0.0"]', /not a path of package names/],
      ['"x//y": ["x@1.0.0"]', /not a path of package names/],
      ['"x": "x@1.0.0"', /is not \["name@version"/],
      ['"x": ["@1.0.0"]', /names no package/],
      ['"x": ["x@root:"]', /project root/],
      ['"x": ["x@exec:rm -rf"]', /does not know/],
      ['"x": ["x@../up.tgz", {}]', /outside the project/],
      ['"x": ["x@latest", "", {}]', /version safe-install does not read/],
    ] as const) {
      expect(() => parseBunLock(lockOf(packages))).toThrow(why);
    }
    expect(() => parseBunLock(lockOf('', '"": {}, "../up": {},'))).toThrow(/outside the project/);
    expect(() => parseBunLock(lockOf('', '"packages/a": {},'))).toThrow(/no workspace for the project root/);
    expect(() => parseBunLock(lockOf('', '"": {}, "./": {},'))).toThrow(/listed twice/);
    expect(() => parseBunLock('{ "lockfileVersion": 9, "workspaces": { "": {} } }')).toThrow(/lockfileVersion/);
    expect(() => parseBunLock(lockOf('"x": ["x@1.0.0"], "x": ["x@2.0.0"]'))).toThrow(/duplicate key/);
    expect(() => parseBunLock(lockOf('', '"": { "dependencies": { "a": 1 } },'))).toThrow(/is not a string/);
  });

  it('is bounded in size', () => {
    expect(() => parseBunLock(Buffer.alloc(33 * 1024 * 1024, 0x20))).toThrow(/larger than/);
  });
});
