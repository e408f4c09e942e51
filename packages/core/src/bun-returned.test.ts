import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readProjectWith, BUN_LOCKFILE, type Project } from '@safe-install/sandbox';
import { returnedBunProject } from './bun-returned.js';

const INTEGRITY = 'sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQGinBN9yTQT3bFlCBy/aVx2HrNcqQGsdot8ghrjyrvMCoEA==';
/** bun.lock as Bun 1.4.4 writes it for one registry dependency (`range` its package.json spec). */
const lock = (range: string, extra = '') => `{
  "lockfileVersion": 1,
  "configVersion": 1,
  "workspaces": {
    "": {
      "name": "p",
      "dependencies": {
        "left-pad": "${range}",
      },
    },
  },
  "packages": {
    "left-pad": ["left-pad@1.3.0", "", {}, "${INTEGRITY}"],
${extra}  }
}
`;
const manifest = (range: string, more: Record<string, unknown> = {}) => JSON.stringify({ name: 'p', version: '1.0.0', packageManager: 'bun@1.4.4', dependencies: { 'left-pad': range }, ...more });

describe('returnedBunProject: what a Bun install job brings back is hostile input', () => {
  let dir: string;
  let tree: string;
  let project: Project;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bun-returned-'));
    tree = join(dir, 'tree');
    await mkdir(join(dir, 'project'));
    await mkdir(tree);
    await writeFile(join(dir, 'project/package.json'), manifest('^1.3.0'));
    await writeFile(join(dir, 'project/bun.lock'), lock('^1.3.0'));
    project = await readProjectWith(join(dir, 'project'), BUN_LOCKFILE);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("takes the manifest and lockfile that came back, the project's own where none did", async () => {
    await writeFile(join(tree, 'package.json'), manifest('1.3.0'));
    await writeFile(join(tree, 'bun.lock'), lock('1.3.0'));
    const returned = await returnedBunProject(project, tree);
    expect(returned.manifest['dependencies']).toEqual({ 'left-pad': '1.3.0' });
    expect(returned.files.find((file) => file.path === 'package.json')!.content.toString()).toBe(manifest('1.3.0'));
    expect(returned.files.find((file) => file.path === 'bun.lock')!.content.toString()).toBe(lock('1.3.0'));
    expect(returned.lockfile.locked).toEqual([{ name: 'left-pad', version: '1.3.0' }]);
    const unchanged = await returnedBunProject(project, join(dir, 'empty-tree-that-does-not-exist'));
    expect(unchanged.files.map((file) => file.path).sort()).toEqual(['bun.lock', 'package.json']);
    expect(unchanged.manifest['dependencies']).toEqual({ 'left-pad': '^1.3.0' });
  });

  it('refuses a symlink, a non-file, an oversized file, broken JSON or JSONC, a lockfile out of sync, a folder or tarball outside the project, an unsupported Bun', async () => {
    const cases: Array<[string, () => Promise<void>, RegExp]> = [
      ['symlink', () => symlink('/etc/passwd', join(tree, 'bun.lock')), /bun.lock that came back is a symlink/],
      ['manifest symlink', () => symlink('/etc/passwd', join(tree, 'package.json')), /package.json that came back is a symlink/],
      ['directory', () => mkdir(join(tree, 'bun.lock')), /bun.lock that came back is not a regular file/],
      ['huge', () => writeFile(join(tree, 'bun.lock'), `${lock('^1.3.0')}${' '.repeat(5000)}`), /larger than 4096 bytes/],
      ['json', () => writeFile(join(tree, 'package.json'), '{"name": '), /not valid JSON/],
      ['array', () => writeFile(join(tree, 'package.json'), '[]'), /not a JSON object/],
      ['jsonc', () => writeFile(join(tree, 'bun.lock'), lock('^1.3.0').replace('"packages": {', '"packages": {{')), /not a usable Bun lockfile/],
      ['duplicate key', () => writeFile(join(tree, 'bun.lock'), lock('^1.3.0', `    "left-pad": ["left-pad@1.3.0", "", {}, "${INTEGRITY}"],\n`)), /not a usable Bun lockfile/],
      ['sync', () => writeFile(join(tree, 'package.json'), manifest('^1.3.0', { devDependencies: { other: '1' } })), /out of sync/],
      ['outside tarball', () => writeFile(join(tree, 'bun.lock'), lock('^1.3.0', `    "evil": ["evil@../../evil.tgz", {}],\n`)), /not a usable Bun lockfile/],
      ['outside folder', () => writeFile(join(tree, 'bun.lock'), lock('^1.3.0', `    "evil": ["evil@file:/etc", {}],\n`)), /not a usable Bun lockfile/],
      ['old bun', () => writeFile(join(tree, 'package.json'), manifest('^1.3.0', { packageManager: 'bun@1.2.0' })), /not supported/],
      ['injected version', () => writeFile(join(tree, 'package.json'), manifest('^1.3.0', { packageManager: 'bun@1.4.4 --registry=x' })), /does not name an exact Bun version/],
    ];
    for (const [name, make, message] of cases) {
      await rm(tree, { recursive: true, force: true });
      await mkdir(tree);
      await make();
      await expect(returnedBunProject(project, tree, { maxBytes: 4096 }), ).rejects.toMatchObject({ code: 'EXPORT_REJECTED', message: expect.stringMatching(message) as unknown as string });
      void name;
    }
  });
});
