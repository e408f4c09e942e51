import { lstat, mkdir, mkdtemp, readFile, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SafeInstallError } from '@safe-install/schema';
import type { ExtractResult } from './extract-safely.js';
import { applySwap, planSwap, recoverStaging, swapSteps, type StagedExport } from './swap-in.js';

const exists = (path: string) => lstat(path).then(() => true, () => false);

async function put(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
}

/** A staging folder holding `files` (relative to the project), as the extraction leaves it. */
async function stage(project: string, name: string, files: Record<string, string>, roots: string[], projectFiles: string[] = []): Promise<StagedExport> {
  const dir = join(project, `.safe-install-staging-${name}`);
  const tree = join(dir, 'tree');
  await mkdir(tree, { recursive: true });
  for (const [path, content] of Object.entries(files)) await put(join(tree, path), content);
  for (const root of roots) await mkdir(join(tree, root), { recursive: true });
  const extract: ExtractResult = {
    roots,
    projectFiles: projectFiles.map((path) => ({ path, type: 'file', bytes: 1, mode: 0o644, sha256: '' })),
    files: 0, directories: 0, symlinks: 0, hardlinks: 0, bytes: 0, issues: [],
  };
  return { dir, tree, extract };
}

describe('swapSteps', () => {
  it('replaces each package folder node_modules, empties a workspace one that did not come back, removes a root one that did not', () => {
    expect(swapSteps(['packages/a', 'packages/b'], ['node_modules', 'packages/a/node_modules'], ['lib/x.js'])).toEqual([
      { live: 'node_modules', staged: 'node_modules' },
      { live: 'packages/a/node_modules', staged: 'packages/a/node_modules' },
      { live: 'packages/b/node_modules', staged: 'packages/b/node_modules', empty: true },
      { live: 'lib/x.js', staged: 'lib/x.js' },
    ]);
    expect(swapSteps([], [], [])).toEqual([{ live: 'node_modules', staged: null }]);
  });

  it('replaces an optional folder\'s node_modules (Yarn PnP\'s unplugged package) whole when it came back', () => {
    expect(swapSteps([], ['.yarn/unplugged/a-npm-1.0.0-0123456789/node_modules'], ['.pnp.cjs'])).toEqual([
      { live: 'node_modules', staged: null },
      { live: '.yarn/unplugged/a-npm-1.0.0-0123456789/node_modules', staged: '.yarn/unplugged/a-npm-1.0.0-0123456789/node_modules' },
      { live: '.pnp.cjs', staged: '.pnp.cjs' },
    ]);
  });
});

describe('planSwap and applySwap', () => {
  let project: string;
  beforeEach(async () => {
    project = await mkdtemp(join(tmpdir(), 'swap-'));
    await put(join(project, 'node_modules/old/index.js'), 'old-root');
    await put(join(project, 'packages/a/node_modules/old/index.js'), 'old-a');
    await put(join(project, 'packages/b/node_modules/stale/index.js'), 'old-b');
    await put(join(project, 'public/worker.js'), 'old-worker');
    await put(join(project, 'src/index.js'), 'source');
  });
  afterEach(() => rm(project, { recursive: true, force: true }));

  const staged = () =>
    stage(
      project,
      '1',
      { 'node_modules/new/index.js': 'new-root', 'packages/a/node_modules/new/index.js': 'new-a', 'lib/built.js': 'built', 'public/worker.js': 'new-worker' },
      ['node_modules', 'packages/a/node_modules'],
      ['lib/built.js', 'public/worker.js'],
    );

  it('puts every node_modules and each project file in place, says what each file did, and removes the staging folder', async () => {
    const plan = await planSwap(project, await staged(), ['packages/a', 'packages/b']);
    expect(plan.projectFiles).toEqual([
      { path: 'lib/built.js', change: 'created' },
      { path: 'public/worker.js', change: 'modified' },
    ]);
    await applySwap(plan);
    expect(await readdir(join(project, 'node_modules'))).toEqual(['new']);
    expect(await readFile(join(project, 'packages/a/node_modules/new/index.js'), 'utf8')).toBe('new-a');
    // npm ci empties every workspace's node_modules; nothing came back for b.
    expect(await readdir(join(project, 'packages/b/node_modules'))).toEqual([]);
    expect(await readFile(join(project, 'lib/built.js'), 'utf8')).toBe('built');
    expect(await readFile(join(project, 'public/worker.js'), 'utf8')).toBe('new-worker');
    expect(await readFile(join(project, 'src/index.js'), 'utf8')).toBe('source');
    expect((await readdir(project)).sort()).toEqual(['lib', 'node_modules', 'packages', 'public', 'src']);
  });

  it('makes no node_modules for a workspace that has none and got none, as npm ci does', async () => {
    await rm(join(project, 'packages/b/node_modules'), { recursive: true });
    await applySwap(await planSwap(project, await staged(), ['packages/a', 'packages/b']));
    expect(await readdir(join(project, 'packages/b'))).toEqual([]);
  });

  it('leaves no node_modules when none came back (no dependencies), as npm ci does', async () => {
    await rm(join(project, 'packages'), { recursive: true });
    await applySwap(await planSwap(project, await stage(project, '2', {}, []), []));
    expect((await readdir(project)).sort()).toEqual(['public', 'src']);
  });

  it('refuses, before moving anything, a project file whose parent on the host is a symlink or a file', async () => {
    await symlink(join(project, 'src'), join(project, 'lib'));
    await expect(planSwap(project, await staged(), ['packages/a'])).rejects.toThrow(/lib\/built.js: a parent in the project is not a folder/);
    await rm(join(project, 'lib'));
    await writeFile(join(project, 'lib'), 'a file');
    await expect(planSwap(project, await staged(), ['packages/a'])).rejects.toBeInstanceOf(SafeInstallError);
    expect(await readFile(join(project, 'node_modules/old/index.js'), 'utf8')).toBe('old-root');
  });

  it('refuses a project file that would replace a folder', async () => {
    await mkdir(join(project, 'lib/built.js'), { recursive: true });
    await expect(planSwap(project, await staged(), ['packages/a'])).rejects.toThrow(/would replace a folder/);
  });

  it('undoes every move when one fails, so the old trees are back where they were', async () => {
    const plan = await planSwap(project, await staged(), ['packages/a', 'packages/b']);
    // The last step's staged file vanishes: its rename fails after the node_modules moves were made.
    await rm(join(plan.staged.tree, 'public/worker.js'));
    await expect(applySwap(plan)).rejects.toThrow(/ENOENT/);
    expect(await readFile(join(project, 'node_modules/old/index.js'), 'utf8')).toBe('old-root');
    expect(await readFile(join(project, 'packages/a/node_modules/old/index.js'), 'utf8')).toBe('old-a');
    expect(await readFile(join(project, 'packages/b/node_modules/stale/index.js'), 'utf8')).toBe('old-b');
    expect(await readFile(join(project, 'public/worker.js'), 'utf8')).toBe('old-worker');
    expect(await exists(join(project, 'lib/built.js'))).toBe(false);
  });

  it('recoverStaging puts the old trees back after a swap that was killed half-way', async () => {
    const plan = await staged();
    // What a SIGKILL after the second step leaves: the journal, two steps made, the rest not.
    const steps = swapSteps(['packages/a'], plan.extract.roots, ['lib/built.js', 'public/worker.js']).map((step, i) => ({ ...step, previous: String(i) }));
    await mkdir(join(plan.dir, 'previous'));
    await writeFile(join(plan.dir, 'swap-journal.json'), JSON.stringify({ steps }));
    await rename(join(project, 'node_modules'), join(plan.dir, 'previous/0'));
    await rename(join(plan.tree, 'node_modules'), join(project, 'node_modules'));
    await rename(join(project, 'packages/a/node_modules'), join(plan.dir, 'previous/1'));
    expect(await recoverStaging(project)).toBe(1);
    expect(await readFile(join(project, 'node_modules/old/index.js'), 'utf8')).toBe('old-root');
    expect(await readFile(join(project, 'packages/a/node_modules/old/index.js'), 'utf8')).toBe('old-a');
    expect(await readFile(join(project, 'public/worker.js'), 'utf8')).toBe('old-worker');
    expect((await readdir(project)).sort()).toEqual(['node_modules', 'packages', 'public', 'src']);
  });

  it('recoverStaging removes a staging folder whose swap never began', async () => {
    await staged();
    expect(await recoverStaging(project)).toBe(0);
    expect((await readdir(project)).sort()).toEqual(['node_modules', 'packages', 'public', 'src']);
  });
});
