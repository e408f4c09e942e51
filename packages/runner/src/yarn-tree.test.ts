import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { installedFolders, workspaceFolders, yarnLockfileOf } from './yarn-tree.js';

const LOCK = `# yarn lockfile v1

b@^1:
  version "1.0.0"
  resolved "https://registry.example/b/-/b-1.0.0.tgz#aa"

b@^2:
  version "2.0.0"
  resolved "https://registry.example/b/-/b-2.0.0.tgz#bb"

"@s/a@1":
  version "1.0.0"
  resolved "https://registry.example/@s/a/-/a-1.0.0.tgz#cc"
`;

describe('yarnLockfileOf: the installed tree, checked against yarn.lock', () => {
  let root: string;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'yarn-tree-'));
    write('package.json', JSON.stringify({ name: 'app', version: '1.0.0', workspaces: ['packages/*'] }));
    write('yarn.lock', LOCK);
    write('packages/w/package.json', JSON.stringify({ name: 'w', version: '0.1.0' }));
    write('node_modules/b/package.json', JSON.stringify({ name: 'b', version: '1.0.0' }));
    write('node_modules/@s/a/package.json', JSON.stringify({ name: 'evil', version: '9.9.9' }));
    write('node_modules/@s/a/node_modules/b/package.json', JSON.stringify({ version: '2.0.0' }));
    symlinkSync('../packages/w', join(root, 'node_modules/w'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('finds every real package folder (links skipped) and the workspaces', () => {
    expect(installedFolders(root).map((folder) => folder.path).sort()).toEqual(['node_modules/@s/a', 'node_modules/@s/a/node_modules/b', 'node_modules/b']);
    expect(workspaceFolders(root, { workspaces: ['packages/*', '../x', 'packages/../..'] })).toEqual(['packages/w']);
  });

  it("names each folder by the lockfile's entry, not the package's own claim", () => {
    const locked = yarnLockfileOf(root)!;
    expect(locked.byPath.get('node_modules/@s/a')).toMatchObject({ name: '@s/a', version: '1.0.0' });
    expect(locked.byPath.get('node_modules/b')).toMatchObject({ name: 'b', version: '1.0.0' });
    expect(locked.byPath.get('node_modules/@s/a/node_modules/b')).toMatchObject({ name: 'b', version: '2.0.0' });
    expect(locked.byPath.get('packages/w')).toMatchObject({ name: 'w', source: 'workspace' });
    expect(locked.byPath.get('')).toMatchObject({ name: 'app', source: 'project' });
  });

  it('a package.json that is a link is not read; an unreadable lockfile is null', () => {
    rmSync(join(root, 'node_modules/b/package.json'));
    symlinkSync(join(root, 'node_modules/@s/a/node_modules/b/package.json'), join(root, 'node_modules/b/package.json'));
    expect(yarnLockfileOf(root)!.byPath.has('node_modules/b')).toBe(false);
    write('yarn.lock', 'not a lockfile');
    expect(yarnLockfileOf(root)).toBeNull();
  });
});
