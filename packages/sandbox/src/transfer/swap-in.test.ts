import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { swapInNodeModules } from './swap-in.js';

describe('swapInNodeModules', () => {
  let project: string;
  beforeEach(async () => {
    project = await mkdtemp(join(tmpdir(), 'swap-'));
    await mkdir(join(project, 'node_modules', 'old'), { recursive: true });
  });
  afterEach(() => rm(project, { recursive: true, force: true }));

  it('replaces node_modules with the staged one and removes the staging folder', async () => {
    const dir = join(project, '.safe-install-staging-1');
    await mkdir(join(dir, 'node_modules', 'new'), { recursive: true });
    await writeFile(join(dir, 'node_modules', 'new', 'index.js'), 'x');
    await swapInNodeModules(project, { dir, nodeModules: join(dir, 'node_modules') });
    expect(await readdir(join(project, 'node_modules'))).toEqual(['new']);
    expect(await readFile(join(project, 'node_modules', 'new', 'index.js'), 'utf8')).toBe('x');
    expect(await readdir(project)).toEqual(['node_modules']);
  });

  it('leaves no node_modules when none came back (no dependencies), as npm ci does', async () => {
    const dir = join(project, '.safe-install-staging-2');
    await mkdir(dir);
    await swapInNodeModules(project, { dir, nodeModules: join(dir, 'node_modules') });
    expect(await readdir(project)).toEqual([]);
  });
});
