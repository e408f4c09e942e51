import { createHash } from 'node:crypto';
import { depPathToFilename, parsePnpmLock, pnpmInstalledPackages, pnpmLockedPackages, PnpmLockError, MAX_PNPM_LOCK_BYTES, splitDepPath, withoutPeers } from './pnpm-lock.js';
import { lockfileAttribution } from './attribute-events.js';

/** Written by pnpm 10.34.8 (trimmed): a registry package, a file: tarball, a workspace importer. */
const REAL = `lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      '@pnpm-small/util':
        specifier: workspace:*
        version: link:packages/util
      core-js:
        specifier: 3.45.1
        version: 3.45.1
      p1-npmrc-node:
        specifier: file:p1-npmrc-node-1.0.0.tgz
        version: file:p1-npmrc-node-1.0.0.tgz

  packages/util:
    dependencies:
      left-pad:
        specifier: 1.3.0
        version: 1.3.0

packages:

  core-js@3.45.1:
    resolution: {integrity: sha512-L4NPsJlCfZsPeXukyzHFlg/i7IIVwHSItR0wg0FLNqYClJ4MQYTYLbC7EkjKYRLZF2iof2MUgN0EGy7MdQFChg==}

  left-pad@1.3.0:
    resolution: {integrity: sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQGinBN9yTQT3bFlCBy/aVx2HrNcqQGsdot8ghrjyrvMCoEA==}

  p1-npmrc-node@file:p1-npmrc-node-1.0.0.tgz:
    resolution: {integrity: sha512-q04Z/hO4k48r/4AwcIqSOmlKWqThRuAVQTVB/IWjLtU1Rc09WyceP9NGeDPmdDe8zUZk2IIcdEz74MfCjqkLKw==, tarball: file:p1-npmrc-node-1.0.0.tgz}
    version: 1.0.0

  '@types/react@18.3.1':
    resolution: {integrity: sha512-x}

  react-dom@18.3.1:
    resolution: {integrity: sha512-y}
    peerDependencies:
      react: ^18.3.1

snapshots:

  core-js@3.45.1: {}

  left-pad@1.3.0: {}

  p1-npmrc-node@file:p1-npmrc-node-1.0.0.tgz: {}

  '@types/react@18.3.1': {}

  react-dom@18.3.1(react@18.3.1):
    dependencies:
      react: 18.3.1
`;

function refused(text: string | Buffer): string {
  try {
    parsePnpmLock(text);
  } catch (error) {
    expect(error).toBeInstanceOf(PnpmLockError);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('depPathToFilename: the virtual-store folder pnpm 10 makes', () => {
  it('matches the folders real pnpm created', () => {
    expect(depPathToFilename('core-js@3.45.1')).toBe('core-js@3.45.1');
    expect(depPathToFilename('p1-npmrc-node@file:p1-npmrc-node-1.0.0.tgz')).toBe('p1-npmrc-node@file+p1-npmrc-node-1.0.0.tgz');
    expect(depPathToFilename('@types/react@18.3.1')).toBe('@types+react@18.3.1');
    expect(depPathToFilename('react-dom@18.3.1(react@18.3.1)')).toBe('react-dom@18.3.1_react@18.3.1');
    expect(depPathToFilename('a@1.0.0(b@2.0.0)(c@3.0.0)')).toBe('a@1.0.0_b@2.0.0_c@3.0.0');
  });

  it('hashes long and upper-case names (sha256, 32 hex) and never yields a path segment that climbs', () => {
    const long = `a@1.0.0(${'b'.repeat(200)}@1.0.0)`;
    const folder = depPathToFilename(long);
    expect(folder.length).toBe(120 - 33 + 1 + 32);
    const full = `a@1.0.0_${'b'.repeat(200)}@1.0.0`;
    expect(folder).toBe(`${full.slice(0, 87)}_${createHash('sha256').update(full).digest('hex').slice(0, 32)}`);
    expect(depPathToFilename('Foo@1.0.0')).toMatch(/^Foo@1\.0\.0_[0-9a-f]{32}$/);
    for (const hostile of ['x@../../../etc', 'x@/abs/path', 'x@a\\b', 'x@file:../../..']) expect(depPathToFilename(hostile)).not.toMatch(/[/\\]/);
  });

  it('pnpm 11 also hashes locations that escape ambiguously and names ending in dots; both folders are known', () => {
    expect(depPathToFilename('x@file:a+b', 120, 10)).toBe('x@file+a+b');
    expect(depPathToFilename('x@file:a+b', 120, 11)).toBe(`x@file+a+b_${createHash('sha256').update('x@file:a+b').digest('hex').slice(0, 32)}`);
    expect(depPathToFilename('x@file:dir.', 120, 11)).toMatch(/^x@file\+dir\+_[0-9a-f]{32}$/);
    expect(depPathToFilename('x@jsr:1.0.0', 120, 11)).toBe('x@jsr+1.0.0');
    const locked = pnpmLockedPackages(parsePnpmLock("lockfileVersion: '9.0'\nimporters:\n  .: {}\nsnapshots:\n  'x@file:a+b': {}\n"));
    expect([...locked.byPath.keys()].filter((path) => path.startsWith('node_modules/'))).toEqual([
      `node_modules/.pnpm/${depPathToFilename('x@file:a+b', 120, 11)}/node_modules/x`,
      'node_modules/.pnpm/x@file+a+b/node_modules/x',
    ]);
    expect(pnpmInstalledPackages(locked)).toHaveLength(1);
  });

  it('splits dep paths at the version, scopes included', () => {
    expect(splitDepPath('@scope/a@1.0.0(b@1)')).toEqual({ name: '@scope/a', version: '1.0.0(b@1)' });
    expect(withoutPeers('@scope/a@1.0.0(b@1)')).toBe('@scope/a@1.0.0');
    expect(splitDepPath('noversion')).toBeNull();
    expect(splitDepPath('../../x@1')).toBeNull();
    expect(splitDepPath('@a/../../b@1')).toBeNull();
    expect(splitDepPath('.hidden@1')).toBeNull();
  });
});

describe('parsePnpmLock + pnpmLockedPackages: a real lockfile', () => {
  const lock = parsePnpmLock(REAL);
  const locked = pnpmLockedPackages(lock, new Map([['packages/util', { name: '@pnpm-small/util', version: '1.0.0' }]]));

  it('puts every snapshot in its virtual-store folder, with the lockfile\'s name, version and source', () => {
    expect(locked.byPath.get('node_modules/.pnpm/core-js@3.45.1/node_modules/core-js')).toMatchObject({ name: 'core-js', version: '3.45.1', source: 'registry', integrity: expect.stringMatching(/^sha512-/) });
    expect(locked.byPath.get('node_modules/.pnpm/p1-npmrc-node@file+p1-npmrc-node-1.0.0.tgz/node_modules/p1-npmrc-node')).toMatchObject({ name: 'p1-npmrc-node', version: '1.0.0', source: 'file', resolved: 'file:p1-npmrc-node-1.0.0.tgz' });
    expect(locked.byPath.get('node_modules/.pnpm/@types+react@18.3.1/node_modules/@types/react')).toMatchObject({ name: '@types/react', version: '18.3.1' });
    // A peer-resolved copy: the version without the peer suffix.
    expect(locked.byPath.get('node_modules/.pnpm/react-dom@18.3.1_react@18.3.1/node_modules/react-dom')).toMatchObject({ name: 'react-dom', version: '18.3.1' });
  });

  it('knows the root and the workspace importers as the project\'s own code', () => {
    expect(locked.byPath.get('')).toMatchObject({ source: 'project', path: '' });
    expect(locked.byPath.get('packages/util')).toMatchObject({ name: '@pnpm-small/util', version: '1.0.0', source: 'workspace' });
    expect(lock.importers.get('.')?.dependencies['dependencies']?.['core-js']).toEqual({ specifier: '3.45.1', version: '3.45.1' });
  });

  it('lists the installed packages once each', () => {
    expect(pnpmInstalledPackages(locked).map((ref) => `${ref.name}@${ref.version}`).sort()).toEqual(['@types/react@18.3.1', 'core-js@3.45.1', 'left-pad@1.3.0', 'p1-npmrc-node@1.0.0', 'react-dom@18.3.1']);
  });

  it('attributes a script by the real folder it runs in, not by what the script claims', () => {
    const attribution = lockfileAttribution(locked, '/home/node/project');
    const start = { type: 'script', action: 'start', run: 1, ts: 1, pid: 10, ppid: 1, cwd: '/home/node/project/node_modules/.pnpm/p1-npmrc-node@file+p1-npmrc-node-1.0.0.tgz/node_modules/p1-npmrc-node', package: { name: 'core-js', version: '9.9.9' }, lifecycle: 'postinstall' };
    const event = attribution.apply(start as never) as unknown as { package: { name: string; version: string }; claimed?: unknown };
    expect(event.package).toEqual({ name: 'p1-npmrc-node', version: '1.0.0' });
    expect(event.claimed).toEqual({ name: 'core-js', version: '9.9.9' });
  });
});

describe('parsePnpmLock: hostile input is refused with a bounded message', () => {
  it('too large, before parsing', () => {
    expect(refused(Buffer.alloc(MAX_PNPM_LOCK_BYTES + 1, 0x20))).toMatch(/larger than/);
  });

  it('YAML aliases (the billion-laughs shape), duplicate keys, merge keys', () => {
    const laughs = "lockfileVersion: '9.0'\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b]\n";
    expect(refused(laughs)).toMatch(/not valid YAML/);
    expect(refused("lockfileVersion: '9.0'\nimporters: {}\nimporters: {}\n")).toMatch(/not valid YAML/);
    expect(refused("lockfileVersion: '9.0'\nbase: &x {a: 1}\npackages:\n  <<: *x\n")).toMatch(/not valid YAML/);
  });

  it('not YAML, not a mapping, another lockfile version', () => {
    expect(refused('{ unclosed')).toMatch(/not valid YAML/);
    expect(refused('- a\n- b\n')).toMatch(/not a YAML mapping/);
    expect(refused("lockfileVersion: '6.0'\n")).toMatch(/lockfileVersion "6.0" is not supported/);
    expect(refused('packages: {}\n')).toMatch(/lockfileVersion "" is not supported/);
    expect(refused("lockfileVersion: '9.0'\npackages: [a, b]\n")).toMatch(/"packages" section is not a mapping/);
  });

  it('importer folders outside the project', () => {
    for (const folder of ['../outside', '/etc', 'a/../../b', 'a\\\\..\\\\b', "''"]) {
      expect(refused(`lockfileVersion: '9.0'\nimporters:\n  ${folder.startsWith("'") ? folder : JSON.stringify(folder)}: {}\n`)).toMatch(/importer folder outside the project|not valid YAML/);
    }
  });

  it('package and snapshot keys that name no package (path tricks, no version)', () => {
    for (const key of ['../../etc@1.0.0', '@a/../../b@1.0.0', 'noversion', '.bin@1.0.0', 'a b@1.0.0']) {
      expect(refused(`lockfileVersion: '9.0'\nsnapshots:\n  ${JSON.stringify(key)}: {}\n`)).toMatch(/names no package/);
      expect(refused(`lockfileVersion: '9.0'\npackages:\n  ${JSON.stringify(key)}: {}\n`)).toMatch(/names no package/);
    }
  });

  it('prototype keys and wrong types are data, not structure', () => {
    const lock = parsePnpmLock(`lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      __proto__:\n        specifier: 1.0.0\n        version: 1.0.0\n      constructor: 7\npackages:\n  a@1.0.0:\n    resolution: [1, 2]\n    version: {x: 1}\nsnapshots:\n  a@1.0.0: 5\n`);
    const deps = lock.importers.get('.')!.dependencies['dependencies']!;
    expect(Object.keys(deps)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['specifier']).toBeUndefined();
    const locked = pnpmLockedPackages(lock);
    expect(locked.byPath.get('node_modules/.pnpm/a@1.0.0/node_modules/a')).toMatchObject({ name: 'a', version: '1.0.0', source: 'registry' });
  });

  it('a message never carries more than a bounded slice of the input', () => {
    const message = refused(`lockfileVersion: '9.0'\nsnapshots:\n  ${JSON.stringify(`../${'x'.repeat(5000)}`)}: {}\n`);
    expect(message.length).toBeLessThan(300);
  });
});
