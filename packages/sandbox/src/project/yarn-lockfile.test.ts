/** Yarn 1 projects read from real folders: yarn.lock checked against every manifest, workspaces kept inside the project. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readProjectWith } from './read-project.js';
import { yarnClassicLockfile } from './yarn-lockfile.js';

const LOCK = `# yarn lockfile v1


core-js@3.45.1:
  version "3.45.1"
  resolved "https://registry.example/core-js/-/core-js-3.45.1.tgz#aa"

left-pad@1.3.0:
  version "1.3.0"
  resolved "https://registry.example/left-pad/-/left-pad-1.3.0.tgz#bb"
`;

describe('yarnClassicLockfile', () => {
  let root: string;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'yarn-project-'));
    write('package.json', JSON.stringify({ name: 'app', version: '1.0.0', private: true, workspaces: ['packages/*'], dependencies: { 'core-js': '3.45.1', '@app/greet': '1.0.0' } }));
    write('packages/greet/package.json', JSON.stringify({ name: '@app/greet', version: '1.0.0', dependencies: { 'left-pad': '1.3.0' } }));
    write('yarn.lock', LOCK);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const read = () => readProjectWith(root, yarnClassicLockfile(root));

  it('reads the project: workspaces, the lockfile packages, the root and workspace identities', async () => {
    const project = await read();
    expect(project.lockfile.workspaces).toEqual(['packages/greet']);
    expect(project.lockfile.locked).toEqual([{ name: 'core-js', version: '3.45.1' }, { name: 'left-pad', version: '1.3.0' }]);
    expect(project.lockfile.identities.byPath.get('packages/greet')).toMatchObject({ name: '@app/greet', source: 'workspace' });
    expect(project.files.map((file) => file.path)).toEqual(expect.arrayContaining(['yarn.lock', 'packages/greet/package.json']));
  });

  it('refuses a dependency the lockfile does not pin (a workspace of the project is linked, never locked)', async () => {
    write('packages/greet/package.json', JSON.stringify({ name: '@app/greet', version: '1.0.0', dependencies: { 'left-pad': '^1.3.0' } }));
    await expect(read()).rejects.toMatchObject({ code: 'LOCKFILE_OUT_OF_SYNC', message: expect.stringMatching(/packages\/greet: dependencies\."left-pad" "\^1\.3\.0" is not in the lockfile/) });
  });

  it('refuses a malformed lockfile with its line', async () => {
    write('yarn.lock', `${LOCK}bad line here\n`);
    await expect(read()).rejects.toMatchObject({ code: 'LOCKFILE_INVALID', message: expect.stringMatching(/not a usable Yarn 1 lockfile: line 11: unexpected text/) });
  });

  it('refuses file: dependencies from outside the project and link: dependencies', async () => {
    write('yarn.lock', `${LOCK}\n"x@file:../outside":\n  version "1.0.0"\n`);
    await expect(read()).rejects.toMatchObject({ code: 'LOCKFILE_INVALID', message: expect.stringMatching(/outside the project/) });
    write('yarn.lock', `${LOCK}\n"x@link:./x":\n  version "0.0.0"\n`);
    await expect(read()).rejects.toMatchObject({ code: 'PACKAGE_MANAGER_UNSUPPORTED' });
  });

  it('refuses workspace patterns that leave the project or that it cannot expand', async () => {
    write('package.json', JSON.stringify({ name: 'app', private: true, workspaces: ['../*'] }));
    await expect(read()).rejects.toMatchObject({ code: 'LOCKFILE_INVALID', message: expect.stringMatching(/leaves the project/) });
    write('package.json', JSON.stringify({ name: 'app', private: true, workspaces: ['packages/**'] }));
    await expect(read()).rejects.toMatchObject({ code: 'PACKAGE_MANAGER_UNSUPPORTED' });
  });
});
