/**
 * Who sits in which folder, from the lockfile: the identity attribution rests on. The lockfile is
 * untrusted input, and the package's own package.json (which the lockfile echoes as `name`) is
 * only a claim for anything not from the registry.
 */
import { lockedPackageManagerPaths, lockedPackages, registryNameOf } from './locked-packages.js';

const lock = (packages: Record<string, unknown>) => ({ lockfileVersion: 3, packages: { '': { name: 'app', version: '1.0.0', workspaces: ['packages/*'] }, ...packages } });

describe('lockedPackages', () => {
  it('names registry packages by their resolved URL, aliases by the real package', () => {
    const { byPath } = lockedPackages(
      lock({
        'node_modules/left-pad': { version: '1.3.0', resolved: 'https://registry.example/left-pad/-/left-pad-1.3.0.tgz', integrity: 'sha512-x' },
        'node_modules/trusted': { name: 'other', version: '1.0.0', resolved: 'https://registry.example/other/-/other-1.0.0.tgz' },
        'node_modules/@s/x': { version: '2.0.0', resolved: 'https://registry.example/@s/x/-/x-2.0.0.tgz' },
        'node_modules/@s/y': { version: '2.0.0', resolved: 'https://registry.example/@s%2fy/-/y-2.0.0.tgz' },
        // npm's omit-lockfile-registry-resolved: no URL; the alias keeps its real name in `name`.
        'node_modules/tiny': { name: 'is-number', version: '7.0.0', integrity: 'sha512-y' },
        'node_modules/a/node_modules/b': { version: '1.0.0' },
      }),
    );
    expect(byPath.get('')).toMatchObject({ name: 'app', source: 'project' });
    expect(byPath.get('node_modules/left-pad')).toEqual({
      name: 'left-pad', version: '1.3.0', path: 'node_modules/left-pad', installedAs: 'left-pad', source: 'registry',
      resolved: 'https://registry.example/left-pad/-/left-pad-1.3.0.tgz', integrity: 'sha512-x',
    });
    expect(byPath.get('node_modules/trusted')).toMatchObject({ name: 'other', installedAs: 'trusted', source: 'registry' });
    expect(byPath.get('node_modules/@s/x')).toMatchObject({ name: '@s/x', installedAs: '@s/x' });
    expect(byPath.get('node_modules/@s/y')).toMatchObject({ name: '@s/y' });
    expect(byPath.get('node_modules/tiny')).toMatchObject({ name: 'is-number', installedAs: 'tiny', source: 'registry' });
    expect(byPath.get('node_modules/a/node_modules/b')).toMatchObject({ name: 'b', installedAs: 'b' });
  });

  it('names a file: or git dependency by the name it was declared under, not its package.json claim', () => {
    const { byPath } = lockedPackages(
      lock({
        'node_modules/evil': { name: 'esbuild', version: '9.9.9', resolved: 'file:esbuild-9.9.9.tgz', integrity: 'sha512-z' },
        'node_modules/g': { name: 'trusted', version: '1.0.0', resolved: 'git+ssh://git@host.example/o/g.git#abc' },
        'node_modules/u': { name: 'trusted', version: '1.0.0', resolved: 'https://host.example/u.tgz' },
        // A registry-looking URL that claims another name is still only a URL of that name.
        'node_modules/r': { name: 'trusted', version: '1.0.0', resolved: 'https://registry.example/evil/-/evil-1.0.0.tgz' },
      }),
    );
    expect(byPath.get('node_modules/evil')).toMatchObject({ name: 'evil', version: '9.9.9', source: 'file', resolved: 'file:esbuild-9.9.9.tgz' });
    expect(byPath.get('node_modules/g')).toMatchObject({ name: 'g', source: 'git' });
    expect(byPath.get('node_modules/u')).toMatchObject({ name: 'u', source: 'remote' });
    expect(byPath.get('node_modules/r')).toMatchObject({ name: 'evil', source: 'registry' });
  });

  it('tells workspaces (the project\'s own code) from file: folders (dependencies)', () => {
    const { byPath } = lockedPackages(
      lock({
        'packages/web': { name: '@app/web', version: '0.1.0' },
        'node_modules/@app/web': { resolved: 'packages/web', link: true },
        'vendor/lib': { name: 'trusted', version: '2.0.0' },
        'node_modules/lib': { resolved: 'vendor/lib', link: true },
      }),
    );
    expect(byPath.get('packages/web')).toMatchObject({ name: '@app/web', source: 'workspace' });
    expect(byPath.get('vendor/lib')).toMatchObject({ name: 'lib', installedAs: 'lib', source: 'file' });
    expect(byPath.has('node_modules/lib')).toBe(false);
  });

  it('maps .bin entries to the package that declares them, in its own node_modules folder', () => {
    const { bins } = lockedPackages(
      lock({
        'node_modules/planter': { version: '1.0.0', bin: { node: 'evil.js', planter: 'cli.js', '../../x': 'y', '': 'z' } },
        'node_modules/a/node_modules/b': { version: '1.0.0', bin: { b: 'b.js' } },
      }),
    );
    expect([...bins.keys()].sort()).toEqual(['node_modules/.bin/node', 'node_modules/.bin/planter', 'node_modules/a/node_modules/.bin/b']);
    expect(bins.get('node_modules/.bin/node')).toMatchObject({ name: 'planter' });
  });

  it('survives hostile lockfiles: wrong types, escaping keys, prototype keys, huge fields', () => {
    const huge = 'x'.repeat(100_000);
    const { byPath } = lockedPackages(
      lock({
        '../outside': { version: '1.0.0' },
        '/abs/node_modules/x': { version: '1.0.0' },
        'node_modules/./x': { version: '1.0.0' },
        'node_modules/__proto__': { version: '1.0.0' },
        'node_modules/constructor': 'not an object',
        'node_modules/n': { name: 42, version: ['1'], resolved: {}, bin: 'x' },
        'node_modules/h': { version: huge, name: huge },
        'node_modules/@scope': { version: '1.0.0' },
      }),
    );
    expect([...byPath.keys()].sort()).toEqual(['', 'node_modules/__proto__', 'node_modules/h', 'node_modules/n']);
    expect(byPath.get('node_modules/n')).toMatchObject({ name: 'n', version: '', source: 'registry' });
    expect(byPath.get('node_modules/h')?.version).toBe('');
    expect(({} as Record<string, unknown>)['version']).toBeUndefined();
    for (const bad of [null, 1, 'x', [], { packages: [] }, { packages: null }]) expect(lockedPackages(bad).byPath.size).toBe(0);
  });

  it('names the project from its root entry, or the lockfile\'s own name when the entry has none', () => {
    expect(lockedPackages({ name: 'app', packages: { '': { version: '1.0.0' } } }).byPath.get('')).toMatchObject({ name: 'app', source: 'project' });
  });

  it('reads registry names only from registry-shaped tarball URLs', () => {
    expect(registryNameOf('https://r.example/a/-/a-1.0.0.tgz')).toBe('a');
    expect(registryNameOf('https://r.example/path/@s/a/-/a-1.0.0.tgz')).toBe('@s/a');
    for (const bad of ['file:a.tgz', 'git+https://x/a.git', 'https://r.example/a.tgz', 'https://r.example/-/a-1.tgz', 'not a url', 'ftp://r.example/a/-/a-1.tgz', 'https://r.example/a b/-/a-1.tgz']) {
      expect(registryNameOf(bad)).toBeNull();
    }
  });

  it('lists where the lockfile\'s own copies of npm start: the registry package `npm`, not an alias or a folder named npm', () => {
    const locked = lockedPackages(
      lock({
        'node_modules/npm': { version: '10.9.2', resolved: 'https://r.example/npm/-/npm-10.9.2.tgz', bin: { npm: 'bin/npm-cli.js', npx: 'bin/npx-cli.js' } },
        'node_modules/a/node_modules/npm': { version: '1.0.0', resolved: 'https://r.example/evil/-/evil-1.0.0.tgz', bin: { npm: 'x.js' } },
        'node_modules/b/node_modules/npm': { version: '1.0.0', resolved: 'file:../npm', bin: { npm: 'x.js' } },
        'node_modules/c': { version: '1.0.0', resolved: 'https://r.example/c/-/c-1.0.0.tgz', bin: { npx: 'c.js' } },
      }),
    );
    expect(lockedPackageManagerPaths(locked, '/work/').sort()).toEqual([
      '/work/node_modules/.bin/npm',
      '/work/node_modules/.bin/npx',
      '/work/node_modules/npm/bin/npm',
      '/work/node_modules/npm/bin/npm-cli.js',
      '/work/node_modules/npm/bin/npx',
      '/work/node_modules/npm/bin/npx-cli.js',
    ]);
  });
});
