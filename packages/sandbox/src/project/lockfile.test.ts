/**
 * The lockfile arrives with the project and is untrusted: every way it can be wrong must end in a
 * SafeInstallError of kind `usage` with a message that says what is wrong — never a TypeError,
 * never a prototype change, never a path outside the project.
 */
import { SafeInstallError } from '@safe-install/schema';
import { checkLockfile, lockfileMismatches, safeRelativePath } from './lockfile.js';

type Json = Record<string, unknown>;

const manifest = (fields: Json = {}): Json => ({ name: 'app', version: '1.0.0', ...fields });

/** A v3 lockfile whose root entry records `root` (the dependency fields) and extra packages. */
function lockfile(root: Json = {}, packages: Json = {}, version: unknown = 3): Json {
  return {
    name: 'app',
    version: '1.0.0',
    lockfileVersion: version,
    requires: true,
    packages: { '': { name: 'app', version: '1.0.0', ...root }, ...packages },
  };
}

/** The error checkLockfile throws, checked to be a usage SafeInstallError. */
function failure(manifestValue: unknown, lockValue: unknown): SafeInstallError {
  let caught: unknown;
  try {
    checkLockfile(manifestValue, lockValue, 'package-lock.json');
  } catch (error) {
    caught = error;
  }
  if (caught === undefined) throw new Error('expected checkLockfile to throw');
  expect(caught).toBeInstanceOf(SafeInstallError);
  const error = caught as SafeInstallError;
  expect(error.kind).toBe('usage');
  expect(error.message).toContain('package-lock.json');
  expect(error.hint).toEqual(expect.any(String));
  return error;
}

const invalid = (manifestValue: unknown, lockValue: unknown) => {
  const error = failure(manifestValue, lockValue);
  expect(error.code).toBe('LOCKFILE_INVALID');
  return error;
};
const outOfSync = (manifestValue: unknown, lockValue: unknown) => {
  const error = failure(manifestValue, lockValue);
  expect(error.code).toBe('LOCKFILE_OUT_OF_SYNC');
  return error;
};

const FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'] as const;

describe('checkLockfile: valid lockfiles', () => {
  it.each([2, 3])('accepts a lockfile v%d in sync with package.json', (version) => {
    const deps = { dependencies: { react: '^18.2.0' }, devDependencies: { jest: '^30.0.0' }, optionalDependencies: { fsevents: '^2.3.0' }, peerDependencies: { vue: '*' } };
    const summary = checkLockfile(
      manifest(deps),
      lockfile(deps, { 'node_modules/react': { version: '18.2.0' }, 'node_modules/jest': { version: '30.0.0', dev: true } }, version),
      'package-lock.json',
    );
    expect(summary).toMatchObject({
      lockfileVersion: version,
      workspaces: [],
      tarballs: [],
      packages: 2,
      locked: [
        { name: 'react', version: '18.2.0' },
        { name: 'jest', version: '30.0.0' },
      ],
    });
  });

  it('accepts a project without dependencies', () => {
    expect(checkLockfile(manifest(), lockfile(), 'package-lock.json')).toMatchObject({ lockfileVersion: 3, workspaces: [], tarballs: [], packages: 0, locked: [] });
  });

  it('lists locked packages by their real name (an alias\'s `name`), nested ones too, and skips hostile entries', () => {
    const deps = { dependencies: { trusted: 'npm:other@1.0.0' } };
    const summary = checkLockfile(
      manifest(deps),
      lockfile(deps, {
        'node_modules/trusted': { name: 'other', version: '1.0.0' },
        'node_modules/@s/a/node_modules/b': { version: '2.0.0' },
        'node_modules/no-version': {},
        'node_modules/bad-version': { version: 42 },
        'node_modules/not-an-object': 'x',
        [`node_modules/${'x'.repeat(300)}`]: { version: '1.0.0' },
      }),
      'package-lock.json',
    );
    expect(summary.locked).toEqual([
      { name: 'other', version: '1.0.0' },
      { name: 'b', version: '2.0.0' },
    ]);
  });

  it('lists workspaces (sorted, normalised) and ignores installed package entries', () => {
    const summary = checkLockfile(
      manifest({ workspaces: ['packages/*'] }),
      lockfile(
        {},
        {
          'packages/b': { name: 'b' },
          './packages/a': { name: 'a' },
          'node_modules/a': { resolved: 'packages/a', link: true },
          'packages/a/node_modules/x': { version: '1.0.0' },
          'node_modules/@scope/x': { version: '1.0.0' },
        },
      ),
      'package-lock.json',
    );
    expect(summary.workspaces).toEqual(['packages/a', 'packages/b']);
    expect(summary.packages).toBe(5);
  });

  it('ignores non-string specs and non-object dependency fields on both sides', () => {
    expect(() =>
      checkLockfile(
        manifest({ dependencies: { weird: 42, nested: { deep: true } }, devDependencies: 'nope', peerDependencies: ['x'] }),
        lockfile({ dependencies: { other: null } }),
        'package-lock.json',
      ),
    ).not.toThrow();
  });
});

describe('checkLockfile: out of sync', () => {
  it.each(FIELDS)('reports a %s entry missing from the lockfile', (field) => {
    const error = outOfSync(manifest({ [field]: { lodash: '^4.17.21' } }), lockfile());
    expect(error.message).toContain(`${field}.lodash@^4.17.21 is in package.json but not in the lockfile`);
    expect(error.hint).toMatch(/npm install/);
  });

  it.each(FIELDS)('reports a %s entry missing from package.json', (field) => {
    const error = outOfSync(manifest(), lockfile({ [field]: { lodash: '^4.17.21' } }));
    expect(error.message).toContain(`${field}.lodash is in the lockfile but not in package.json`);
  });

  it.each(FIELDS)('reports a %s version mismatch', (field) => {
    const error = outOfSync(manifest({ [field]: { lodash: '^4.17.21' } }), lockfile({ [field]: { lodash: '^4.17.20' } }));
    expect(error.message).toContain(`${field}.lodash is ^4.17.21 in package.json but ^4.17.20 in the lockfile`);
  });

  it('reports a dependency that moved to another field', () => {
    const error = outOfSync(manifest({ devDependencies: { jest: '^30.0.0' } }), lockfile({ dependencies: { jest: '^30.0.0' } }));
    expect(error.message).toContain('devDependencies.jest@^30.0.0 is in package.json but not in the lockfile');
    expect(error.message).toContain('dependencies.jest is in the lockfile but not in package.json');
  });

  it('shows five problems and counts the rest', () => {
    const many = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`dep${i}`, '1.0.0']));
    const error = outOfSync(manifest({ dependencies: many }), lockfile());
    expect(error.message).toContain('dep4@1.0.0');
    expect(error.message).not.toContain('dep5@');
    expect(error.message).toContain('(and 3 more)');
  });

  it('reports a lockfile without a root entry', () => {
    const error = outOfSync(manifest(), { lockfileVersion: 3, packages: { 'node_modules/a': {} } });
    expect(error.message).toMatch(/no root package entry/);
  });

  it('reports a package.json that is not an object', () => {
    for (const value of [null, [], 'x', 1]) expect(outOfSync(value, lockfile()).message).toMatch(/package.json is not a JSON object/);
  });

  it.each(['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf'])(
    'does not mistake inherited Object members for dependencies (%s)',
    (name) => {
      // JSON.parse makes these own properties, as a hostile or unlucky file would.
      const deps = JSON.parse(`{"dependencies": {"${name}": "1.0.0"}}`) as Json;
      expect(outOfSync(manifest(), lockfile(deps)).message).toContain(`dependencies.${name} is in the lockfile but not in package.json`);
      expect(outOfSync(manifest(deps), lockfile()).message).toContain(`dependencies.${name}@1.0.0 is in package.json but not in the lockfile`);
      expect(() => checkLockfile(manifest(deps), lockfile(deps), 'package-lock.json')).not.toThrow();
    },
  );
});

describe('checkLockfile: hostile or broken lockfiles', () => {
  it.each([
    ['null', null],
    ['an array', [{ lockfileVersion: 3, packages: {} }]],
    ['a string', '{"lockfileVersion":3}'],
    ['a number', 3],
    ['undefined', undefined],
  ])('refuses a lockfile that is %s', (_label, value) => {
    expect(invalid(manifest(), value).message).toMatch(/not a JSON object/);
  });

  it.each([
    ['1', 1, /lockfileVersion 1 is too old/],
    ['0', 0, /too old/],
    ['-3', -3, /too old/],
    ['a string', '3', /lockfileVersion/],
    ['a fraction', 2.5, /lockfileVersion/],
    ['missing', undefined, /lockfileVersion is missing/],
    ['null', null, /lockfileVersion/],
    ['an object', { valueOf: 3 }, /lockfileVersion/],
  ])('refuses lockfileVersion %s', (_label, version, message) => {
    const lock = lockfile({}, {}, version);
    if (version === undefined) delete lock['lockfileVersion'];
    expect(invalid(manifest(), lock).message).toMatch(message);
  });

  it.each([
    ['missing', undefined],
    ['null', null],
    ['an array', [{ '': {} }]],
    ['a string', 'node_modules/a'],
  ])('refuses a "packages" section that is %s', (_label, packages) => {
    const lock: Json = { lockfileVersion: 3 };
    if (packages !== undefined) lock['packages'] = packages;
    expect(invalid(manifest(), lock).message).toMatch(/no "packages" section/);
  });

  it.each([
    '../../etc',
    '..',
    '../sibling',
    '/abs',
    '/etc/passwd',
    'a/../../b',
    'a/..',
    'a\\b',
    '..\\..\\windows',
    'a\0b',
    'a//b',
    'a/',
  ])('refuses a package folder key %j', (key) => {
    const error = invalid(manifest(), lockfile({}, { [key]: { name: 'x' } }));
    expect(error.message).toContain('outside the project');
    expect(error.message).toContain(JSON.stringify(key));
  });

  it('refuses a 10 MB key with a short message', () => {
    const key = 'a'.repeat(10 * 1024 * 1024);
    const error = invalid(manifest(), lockfile({}, { [key]: {} }));
    expect(error.message.length).toBeLessThan(1000);
  });

  it('keeps messages short when a dependency name or spec is huge', () => {
    const huge = 'b'.repeat(10 * 1024 * 1024);
    for (const [want, have] of [
      [{ [huge]: '1.0.0' }, {}],
      [{}, { [huge]: '1.0.0' }],
      [{ a: huge }, { a: '1.0.0' }],
    ] as const) {
      const error = outOfSync(manifest({ dependencies: want }), lockfile({ dependencies: have }));
      expect(error.message.length).toBeLessThan(5000);
    }
  });

  it('does not pollute Object.prototype through __proto__ keys', () => {
    const text = `{
      "lockfileVersion": 3,
      "packages": {
        "": {
          "dependencies": { "__proto__": { "polluted": "yes" }, "constructor": { "prototype": { "polluted": "yes" } } },
          "devDependencies": { "__proto__": "1.0.0" },
          "__proto__": { "polluted": "yes" }
        },
        "__proto__": { "polluted": "yes" },
        "node_modules/__proto__": { "polluted": "yes" }
      },
      "__proto__": { "polluted": "yes", "lockfileVersion": 1 }
    }`;
    const lock = JSON.parse(text) as unknown;
    const manifestValue = JSON.parse('{"dependencies": {"__proto__": {"polluted": "yes"}}, "__proto__": {"polluted": "yes"}}') as unknown;
    let caught: unknown;
    try {
      checkLockfile(manifestValue, lock, 'package-lock.json');
    } catch (error) {
      caught = error;
    }
    if (caught !== undefined) expect(caught).toBeInstanceOf(SafeInstallError);
    try {
      lockfileMismatches(manifestValue, (lock as { packages: Json }).packages['']);
    } catch (error) {
      caught = error;
    }
    const probe = {} as Record<string, unknown>;
    expect(probe['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Object.getPrototypeOf(probe)).toBe(Object.prototype);
    expect(typeof Object.prototype.toString).toBe('function');
  });

  it('survives deeply nested junk without recursing into it', () => {
    let deep: Json = { end: true };
    for (let i = 0; i < 100_000; i++) deep = { deep };
    const lock = lockfile({ dependencies: { a: deep }, devDependencies: deep }, { 'node_modules/a': deep, 'packages/a': deep });
    lock['extra'] = deep;
    expect(() => checkLockfile(manifest({ dependencies: { a: deep } }), lock, 'package-lock.json')).not.toThrow();
  });

  it('never throws anything but SafeInstallError for odd values anywhere', () => {
    const odd: unknown[] = [null, undefined, 0, -1, 1.5, '', 'x', true, false, [], [null], {}, { '': null }, Object.create(null)];
    for (const m of odd) {
      for (const value of odd) {
        for (const lock of [value, { lockfileVersion: 3, packages: value }, { lockfileVersion: 3, packages: { '': value } }, lockfile({ dependencies: value })]) {
          try {
            checkLockfile(m, lock, 'package-lock.json');
          } catch (error) {
            expect(error).toBeInstanceOf(SafeInstallError);
            expect((error as SafeInstallError).kind).toBe('usage');
          }
        }
      }
    }
  });
});

describe('lockfileMismatches', () => {
  it('is empty when both sides agree, whatever the key order', () => {
    expect(lockfileMismatches({ dependencies: { a: '1', b: '2' } }, { dependencies: { b: '2', a: '1' } })).toEqual([]);
  });

  it('treats a missing field like an empty one', () => {
    expect(lockfileMismatches({ dependencies: {} }, {})).toEqual([]);
    expect(lockfileMismatches({}, { devDependencies: {} })).toEqual([]);
  });
});

describe('safeRelativePath', () => {
  it.each([
    ['packages/a', 'packages/a'],
    ['./packages/a', 'packages/a'],
    ['a/./b', 'a/b'],
    ['a', 'a'],
    ['a..b/c', 'a..b/c'],
    ['.hidden', '.hidden'],
  ])('accepts %j as %j', (path, expected) => {
    expect(safeRelativePath(path)).toBe(expected);
  });

  it.each(['', '.', './', '..', '../a', 'a/../b', '/a', 'a\\b', 'a\0', 'a//b', 'a/', 'x'.repeat(1025)])('refuses %j', (path) => {
    expect(safeRelativePath(path)).toBeNull();
  });
});

describe('checkLockfile: file: tarballs', () => {
  const manifest = { dependencies: { a: 'file:./a-1.0.0.tgz' } };
  const lock = (resolved: string) => ({
    lockfileVersion: 3,
    packages: { '': { dependencies: { a: 'file:./a-1.0.0.tgz' } }, 'node_modules/a': { version: '1.0.0', resolved } },
  });

  it('lists tarballs the install reads from the project', () => {
    expect(checkLockfile(manifest, lock('file:a-1.0.0.tgz'), 'package-lock.json').tarballs).toEqual(['a-1.0.0.tgz']);
  });

  it.each(['file:../outside.tgz', 'file:/etc/a.tgz', 'file:sub/../../a.tgz'])('refuses a tarball outside the project: %s', (resolved) => {
    expect(() => checkLockfile(manifest, lock(resolved), 'package-lock.json')).toThrow(/tarball outside the project/);
  });
});

describe('checkLockfile for a job that rewrites the lockfile (inSync: false)', () => {
  const edited = manifest({ dependencies: { react: '^18.2.0', 'left-pad': '^1.3.0' } });
  const old = lockfile({ dependencies: { react: '^18.2.0' } }, { 'node_modules/react': { version: '18.2.0' } });

  it('takes a lockfile out of sync with package.json (the install brings it in sync)', () => {
    outOfSync(edited, old);
    expect(checkLockfile(edited, old, 'package-lock.json', { inSync: false }).locked).toEqual([{ name: 'react', version: '18.2.0' }]);
  });

  it('still refuses an invalid one: a folder outside the project', () => {
    expect(() => checkLockfile(edited, lockfile({}, { '../x': { version: '1.0.0' } }), 'package-lock.json', { inSync: false })).toThrow(/outside the project/);
    expect(() => checkLockfile(edited, { lockfileVersion: 1 }, 'package-lock.json', { inSync: false })).toThrow(/too old/);
  });
});
