/** pnpm projects read from real folders: the lockfile checked, folders kept inside the project, what is uploaded. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readProjectWith } from './read-project.js';
import { PNPM_LOCKFILE } from './pnpm-lockfile.js';

const LOCK = (extra = '') => `lockfileVersion: '9.0'

importers:

  .:
    dependencies:
      '@x/greet':
        specifier: workspace:*
        version: link:packages/greet
      core-js:
        specifier: 3.45.1
        version: 3.45.1
      local:
        specifier: file:local-1.0.0.tgz
        version: file:local-1.0.0.tgz

  packages/greet:
    dependencies:
      left-pad:
        specifier: 1.3.0
        version: 1.3.0
${extra}
packages:

  core-js@3.45.1:
    resolution: {integrity: sha512-a}

  left-pad@1.3.0:
    resolution: {integrity: sha512-b}

  local@file:local-1.0.0.tgz:
    resolution: {integrity: sha512-c, tarball: file:local-1.0.0.tgz}
    version: 1.0.0

snapshots:

  core-js@3.45.1: {}

  left-pad@1.3.0: {}

  local@file:local-1.0.0.tgz: {}
`;

const ROOT = JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { '@x/greet': 'workspace:*', 'core-js': '3.45.1', local: 'file:local-1.0.0.tgz' } });
const GREET = JSON.stringify({ name: '@x/greet', version: '2.0.0', dependencies: { 'left-pad': '1.3.0' } });

describe('readProjectWith(PNPM_LOCKFILE)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const make = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'pnpm-project-'));
    dirs.push(dir);
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    return dir;
  };
  const good = () => ({ 'package.json': ROOT, 'pnpm-lock.yaml': LOCK(), 'pnpm-workspace.yaml': 'packages:\n  - packages/*\n', 'packages/greet/package.json': GREET, 'packages/greet/index.js': '', 'local-1.0.0.tgz': 'tgz', '.pnpmfile.cjs': 'module.exports = {}' });

  it('reads a real layout: packages, importers as workspaces, tarballs, identities by virtual-store folder', async () => {
    const project = await readProjectWith(make(good()), PNPM_LOCKFILE);
    expect(project.lockfileName).toBe('pnpm-lock.yaml');
    expect(project.lockfile).toMatchObject({ lockfileVersion: 9, workspaces: ['packages/greet'], tarballs: ['local-1.0.0.tgz'], packages: 3 });
    expect(project.lockfile.locked).toEqual(expect.arrayContaining([{ name: 'core-js', version: '3.45.1' }, { name: 'local', version: '1.0.0' }]));
    expect(project.lockfile.identities.byPath.get('packages/greet')).toMatchObject({ name: '@x/greet', version: '2.0.0', source: 'workspace' });
    expect(project.lockfile.identities.byPath.get('node_modules/.pnpm/local@file+local-1.0.0.tgz/node_modules/local')).toMatchObject({ name: 'local', source: 'file' });
    const uploaded = project.files.map((file) => file.path).sort();
    expect(uploaded).toEqual(expect.arrayContaining(['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', 'packages/greet/package.json', 'local-1.0.0.tgz']));
    // Code pnpm would run in its own process is not uploaded when nothing needs the whole project.
    expect(uploaded).not.toContain('.pnpmfile.cjs');
  });

  it('a missing lockfile names pnpm\'s command', async () => {
    const files: Record<string, string> = good();
    delete files['pnpm-lock.yaml'];
    await expect(readProjectWith(make(files), PNPM_LOCKFILE)).rejects.toMatchObject({ code: 'LOCKFILE_MISSING', kind: 'usage', hint: expect.stringContaining('pnpm install --lockfile-only') });
  });

  it('out of sync: a changed specifier, a dependency missing from the lockfile, a workspace without package.json', async () => {
    const changed = { ...good(), 'package.json': ROOT.replace('"3.45.1"', '"^3.45.1"') };
    await expect(readProjectWith(make(changed), PNPM_LOCKFILE)).rejects.toMatchObject({ code: 'LOCKFILE_OUT_OF_SYNC', message: expect.stringContaining('core-js" is "^3.45.1" in package.json but "3.45.1"') });
    const added = { ...good(), 'packages/greet/package.json': JSON.stringify({ name: '@x/greet', dependencies: { 'left-pad': '1.3.0', evil: '1.0.0' } }) };
    await expect(readProjectWith(make(added), PNPM_LOCKFILE)).rejects.toMatchObject({ code: 'LOCKFILE_OUT_OF_SYNC', message: expect.stringContaining('packages/greet: dependencies."evil" is in package.json but not in the lockfile') });
    const files: Record<string, string> = good();
    delete files['packages/greet/package.json'];
    await expect(readProjectWith(make(files), PNPM_LOCKFILE)).rejects.toMatchObject({ code: 'LOCKFILE_OUT_OF_SYNC', message: expect.stringContaining('has no package.json') });
  });

  it('an install job (lockfileInSync: false) takes a valid lockfile out of sync, never a hostile one', async () => {
    const changed = { ...good(), 'package.json': ROOT.replace('"3.45.1"', '"^3.45.1"') };
    const project = await readProjectWith(make(changed), PNPM_LOCKFILE, { lockfileInSync: false });
    expect(project.lockfileName).toBe('pnpm-lock.yaml');
    const hostile = { ...changed, 'pnpm-lock.yaml': LOCK().replace('version: link:packages/greet', 'version: link:../../etc') };
    await expect(readProjectWith(make(hostile), PNPM_LOCKFILE, { lockfileInSync: false })).rejects.toMatchObject({ code: 'LOCKFILE_INVALID', message: expect.stringMatching(/links a folder outside the project/) });
  });

  it('hostile lockfiles: links and tarballs outside the project, importers outside it, aliases, another version', async () => {
    const cases: Array<[string, RegExp]> = [
      [LOCK().replace('version: link:packages/greet', 'version: link:../../etc'), /links a folder outside the project/],
      [LOCK().replace(/tarball: file:local-1\.0\.0\.tgz/, 'tarball: file:../../secret.tgz'), /installed from outside the project/],
      [LOCK().replace(/tarball: file:local-1\.0\.0\.tgz/, 'tarball: file:/etc/passwd'), /installed from outside the project/],
      [LOCK().replace('  packages/greet:', '  ../outside:'), /importer folder outside the project/],
      [`${LOCK()}\nx: &a [1]\ny: *a\n`, /not valid YAML/],
      [LOCK().replace("'9.0'", "'5.4'"), /lockfileVersion "5.4" is not supported/],
      [LOCK().replace('importers:', 'importerz:'), /no importer for the project root/],
    ];
    for (const [lock, message] of cases) {
      await expect(readProjectWith(make({ ...good(), 'pnpm-lock.yaml': lock }), PNPM_LOCKFILE)).rejects.toMatchObject({ kind: 'usage', message: expect.stringMatching(message) });
    }
  });
});
