// The tree comparison the drop-in tests rely on; needs no engine.
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareTrees, explainDifferences, normaliseRoots, readTree } from './tree-compare.js';

async function tree(files: Record<string, string>, links: Record<string, string> = {}): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'tree-compare-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), content.replaceAll('$ROOT', root));
  }
  for (const [path, target] of Object.entries(links)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await symlink(target, join(root, path));
  }
  return root;
}

describe('tree comparison', () => {
  const made: string[] = [];
  afterAll(async () => {
    for (const dir of made) await rm(dir, { recursive: true, force: true });
  });
  const pair = async (a: Record<string, string>, b: Record<string, string>, linksA = {}, linksB = {}) => {
    const [left, right] = [await tree(a, linksA), await tree(b, linksB)];
    made.push(left, right);
    return compareTrees(await readTree(left, { roots: [left, right] }), await readTree(right, { roots: [left, right] }));
  };

  it('finds no difference between equal trees, even where files name their own root', async () => {
    expect(await pair({ 'a/b.txt': 'x', 'build/Makefile': 'srcdir := $ROOT/x' }, { 'a/b.txt': 'x', 'build/Makefile': 'srcdir := $ROOT/x' })).toEqual([]);
  });

  it('reports content, mode, link target, type, and one line for a whole missing folder', async () => {
    const differences = await pair(
      { 'c.txt': 'one', 'lost/1': '1', 'lost/deep/2': '2', 'kind': 'file' },
      { 'c.txt': 'two', 'new.txt': 'n', 'kind/inside': 'dir now' },
      { 'link': '../elsewhere' },
      { 'link': '/etc/passwd' },
    );
    expect(differences.map(({ path, kind }) => `${kind} ${path}`)).toEqual([
      'content c.txt',
      'type kind',
      'target link',
      'only-left lost',
      'only-right new.txt',
    ]);
  });

  it('compares permission bits', async () => {
    const [left, right] = [await tree({ bin: '#!/bin/sh' }), await tree({ bin: '#!/bin/sh' })];
    made.push(left, right);
    await chmod(join(right, 'bin'), 0o755);
    await chmod(join(left, 'bin'), 0o644);
    expect(compareTrees(await readTree(left), await readTree(right))).toMatchObject([{ path: 'bin', kind: 'mode' }]);
  });

  it('normalises every occurrence of a root, and only whole roots', () => {
    expect(normaliseRoots(Buffer.from('/p/x /p /q/p'), ['/p']).toString()).toBe('<project-root>/x <project-root> /q<project-root>');
    expect(normaliseRoots(Buffer.from('nothing here'), ['/p', '']).toString()).toBe('nothing here');
  });

  it('explains differences by path and kind, and lists what nothing matched', () => {
    const result = explainDifferences(
      [
        { path: 'node_modules/.package-lock.json', kind: 'content' },
        { path: 'node_modules/x', kind: 'only-left' },
      ],
      [
        { path: /^node_modules\/\.package-lock\.json$/, kinds: ['content'], why: 'because' },
        { path: /^never$/, kinds: ['only-right'], why: 'stale' },
      ],
    );
    expect(result.explained).toMatchObject([{ path: 'node_modules/.package-lock.json', why: 'because' }]);
    expect(result.unexplained).toMatchObject([{ path: 'node_modules/x', kind: 'only-left' }]);
    expect(result.unused.map((entry) => entry.why)).toEqual(['stale']);
  });
});
