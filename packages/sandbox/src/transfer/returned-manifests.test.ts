import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafeInstallError } from '@safe-install/schema';
import { exportScope, type ExtractResult } from './extract-safely.js';
import { narrowStaged, readReturnedManifests } from './returned-manifests.js';
import type { StagedExport } from './swap-in.js';

const manifest = (dependencies: Record<string, string>) => Buffer.from(JSON.stringify({ name: 'app', version: '1.0.0', dependencies }));
const lockfile = (dependencies: Record<string, string>, packages: Record<string, unknown> = {}) =>
  Buffer.from(JSON.stringify({ name: 'app', lockfileVersion: 3, packages: { '': { name: 'app', version: '1.0.0', dependencies }, ...packages } }));

const OLD = { lockfileName: 'package-lock.json', manifest: manifest({}), lockfile: lockfile({}) };
const NEW_DEPS = { 'left-pad': '^1.3.0' };
const NEW_PACKAGES = { 'node_modules/left-pad': { version: '1.3.0', resolved: 'https://registry.example/left-pad/-/left-pad-1.3.0.tgz' } };

let tree: string;
beforeEach(async () => {
  tree = await mkdtemp(join(tmpdir(), 'returned-'));
});
afterEach(async () => {
  await rm(tree, { recursive: true, force: true });
});

async function refusal(work: Promise<unknown>): Promise<string> {
  const error = await work.then(() => null, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(SafeInstallError);
  expect((error as SafeInstallError).code).toBe('EXPORT_REJECTED');
  expect((error as SafeInstallError).kind).toBe('infrastructure');
  return (error as Error).message;
}

describe('readReturnedManifests', () => {
  it('reads the manifest and lockfile that came back, checked as a pair', async () => {
    await writeFile(join(tree, 'package.json'), manifest(NEW_DEPS));
    await writeFile(join(tree, 'package-lock.json'), lockfile(NEW_DEPS, NEW_PACKAGES));
    const returned = await readReturnedManifests({ tree }, OLD);
    expect(returned.manifest['dependencies']).toEqual(NEW_DEPS);
    expect(returned.lockfile.locked).toEqual([{ name: 'left-pad', version: '1.3.0' }]);
    expect(returned.lockBytes.equals(lockfile(NEW_DEPS, NEW_PACKAGES))).toBe(true);
  });

  it("keeps the project's own file where none came back (it did not change)", async () => {
    const returned = await readReturnedManifests({ tree }, OLD);
    expect(returned.manifestBytes).toBe(OLD.manifest);
    expect(returned.lockBytes).toBe(OLD.lockfile);
  });

  it('refuses a run that brought no lockfile back to a project that had none', async () => {
    await writeFile(join(tree, 'package.json'), manifest(NEW_DEPS));
    expect(await refusal(readReturnedManifests({ tree }, { ...OLD, lockfile: null }))).toMatch(/no package-lock\.json came back/);
    await writeFile(join(tree, 'package-lock.json'), lockfile(NEW_DEPS, NEW_PACKAGES));
    expect((await readReturnedManifests({ tree }, { ...OLD, lockfile: null })).lockfile.packages).toBe(1);
  });

  it('refuses a package.json that came back as a symlink', async () => {
    await writeFile(join(tree, 'real.json'), manifest({}));
    await symlink('real.json', join(tree, 'package.json'));
    expect(await refusal(readReturnedManifests({ tree }, OLD))).toMatch(/package\.json that came back is a symlink/);
  });

  it('refuses a lockfile that came back as a symlink to a file outside', async () => {
    await symlink('/etc/passwd', join(tree, 'package-lock.json'));
    expect(await refusal(readReturnedManifests({ tree }, OLD))).toMatch(/package-lock\.json that came back is a symlink/);
  });

  it('refuses a lockfile that is a folder or a FIFO', async () => {
    await mkdir(join(tree, 'package-lock.json'));
    expect(await refusal(readReturnedManifests({ tree }, OLD))).toMatch(/not a regular file/);
    await rm(join(tree, 'package-lock.json'), { recursive: true });
    execFileSync('mkfifo', [join(tree, 'package-lock.json')]);
    expect((await lstat(join(tree, 'package-lock.json'))).isFIFO()).toBe(true);
    expect(await refusal(readReturnedManifests({ tree }, OLD))).toMatch(/not a regular file/);
  });

  it('refuses a file past the size bound, before reading it', async () => {
    await writeFile(join(tree, 'package.json'), manifest(NEW_DEPS));
    await writeFile(join(tree, 'package-lock.json'), Buffer.concat([lockfile(NEW_DEPS, NEW_PACKAGES), Buffer.alloc(4096, 0x20)]));
    expect(await refusal(readReturnedManifests({ tree }, OLD, { maxBytes: 4096 }))).toMatch(/larger than 4096 bytes/);
  });

  it.each([
    ['an array', '[]'],
    ['a string', '"x"'],
    ['null', 'null'],
    ['a number', '1'],
  ])('refuses a package.json that is %s', async (_, text) => {
    await writeFile(join(tree, 'package.json'), text);
    expect(await refusal(readReturnedManifests({ tree }, OLD))).toMatch(/package\.json that came back is not a JSON object/);
  });

  it('refuses a lockfile that is not JSON', async () => {
    await writeFile(join(tree, 'package-lock.json'), '{"lockfileVersion": 3,');
    expect(await refusal(readReturnedManifests({ tree }, OLD))).toMatch(/not valid JSON/);
  });

  it('refuses a lockfile out of sync with the package.json that came back', async () => {
    await writeFile(join(tree, 'package.json'), manifest(NEW_DEPS));
    expect(await refusal(readReturnedManifests({ tree }, OLD))).toMatch(/lockfile that came back: .*out of sync/);
  });

  it.each([
    ['a package folder outside the project', { '../outside': { version: '1.0.0' } }, /package folder outside the project/],
    ['an absolute package folder', { '/home/node/.ssh': { version: '1.0.0' } }, /package folder outside the project/],
    ['a tarball outside the project', { 'node_modules/x': { version: '1.0.0', resolved: 'file:../../x.tgz' } }, /tarball outside the project/],
  ])('refuses a lockfile that names %s', async (_, packages, reason) => {
    await writeFile(join(tree, 'package-lock.json'), lockfile({}, packages));
    expect(await refusal(readReturnedManifests({ tree }, OLD))).toMatch(reason);
  });

  it('refuses a lockfile with no packages section or an old version', async () => {
    await writeFile(join(tree, 'package-lock.json'), JSON.stringify({ lockfileVersion: 1, dependencies: {} }));
    expect(await refusal(readReturnedManifests({ tree }, OLD))).toMatch(/too old/);
  });
});

describe('narrowStaged', () => {
  const staged = async (roots: string[]): Promise<StagedExport> => {
    for (const root of roots) {
      await mkdir(join(tree, root, 'x'), { recursive: true });
      await writeFile(join(tree, root, 'x', 'index.js'), '');
    }
    const extract: ExtractResult = { roots, projectFiles: [], files: roots.length, directories: 0, symlinks: 0, hardlinks: 0, bytes: 0, issues: [] };
    return { dir: tree, tree, extract };
  };

  it('removes the node_modules folders the returned lockfile does not expect, and reports each', async () => {
    const narrowed = await narrowStaged(await staged(['node_modules', 'packages/a/node_modules', 'src/node_modules']), exportScope(['packages/a']));
    expect(narrowed.extract.roots).toEqual(['node_modules', 'packages/a/node_modules']);
    expect(narrowed.extract.issues).toEqual([{ path: 'src/node_modules', action: 'rejected', reason: expect.stringMatching(/lockfile that came back/) }]);
    await expect(lstat(join(tree, 'src/node_modules'))).rejects.toThrow(/ENOENT/);
    expect((await lstat(join(tree, 'packages/a/node_modules/x/index.js'))).isFile()).toBe(true);
  });

  it('leaves a staged export whose folders are all expected as it is', async () => {
    const before = await staged(['node_modules']);
    expect(await narrowStaged(before, exportScope([]))).toBe(before);
  });
});
