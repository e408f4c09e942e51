import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { packFolder, readFolderManifest, readTarFiles, readTarballManifest } from './package-tarball.js';

async function tarOf(entries: Array<{ name: string; content?: string; type?: 'file' | 'symlink' | 'directory'; linkname?: string }>): Promise<Buffer> {
  const archive = pack();
  for (const entry of entries) {
    if (entry.type === 'symlink') archive.entry({ name: entry.name, type: 'symlink', linkname: entry.linkname ?? '/etc/passwd' });
    else if (entry.type === 'directory') archive.entry({ name: entry.name, type: 'directory' });
    else archive.entry({ name: entry.name }, entry.content ?? '');
  }
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('package tarballs (hostile input)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pkg-tarball-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('packs a folder as npm would and reads its manifest back', async () => {
    const folder = join(dir, 'src');
    await mkdir(join(folder, 'node_modules', 'dep'), { recursive: true });
    await mkdir(join(folder, 'lib'));
    await writeFile(join(folder, 'package.json'), '{"name":"fixture","version":"1.0.0"}');
    await writeFile(join(folder, 'lib', 'index.js'), 'module.exports = 1;');
    await writeFile(join(folder, 'node_modules', 'dep', 'x.js'), 'skipped');
    await symlink('/etc/passwd', join(folder, 'link'));
    expect(await readFolderManifest(folder)).toEqual({ name: 'fixture', version: '1.0.0' });
    const tgz = join(dir, 'out.tgz');
    await writeFile(tgz, await packFolder(folder));
    expect(await readTarballManifest(tgz)).toEqual({ name: 'fixture', version: '1.0.0' });
  });

  it('takes package.json only from the top folder, as npm does', async () => {
    const tgz = join(dir, 'a.tgz');
    await writeFile(tgz, gzipSync(await tarOf([{ name: 'package.json', content: '{"name":"root-level"}' }, { name: 'x/y/package.json', content: '{"name":"deep"}' }, { name: 'whatever/package.json', content: '{"name":"top"}' }])));
    expect(await readTarballManifest(tgz)).toEqual({ name: 'top' });
  });

  it('refuses what is no package tarball', async () => {
    const cases: Array<[string, Buffer]> = [
      ['not-gzip.tgz', Buffer.from('hello')],
      ['no-manifest.tgz', gzipSync(await tarOf([{ name: 'package/index.js', content: '1' }]))],
      ['link-manifest.tgz', gzipSync(await tarOf([{ name: 'package/package.json', type: 'symlink' }]))],
      ['bad-json.tgz', gzipSync(await tarOf([{ name: 'package/package.json', content: '{nope' }]))],
      ['array.tgz', gzipSync(await tarOf([{ name: 'package/package.json', content: '[1]' }]))],
    ];
    for (const [name, bytes] of cases) {
      await writeFile(join(dir, name), bytes);
      await expect(readTarballManifest(join(dir, name))).rejects.toMatchObject({ kind: 'usage' });
    }
    await expect(readTarballManifest(join(dir, 'missing.tgz'))).rejects.toMatchObject({ kind: 'usage' });
    await expect(readFolderManifest(join(dir, 'nothing-here'))).rejects.toMatchObject({ kind: 'usage' });
  });

  it('reads regular files out of a tar stream, bounded, skipping links and folders', async () => {
    const tar = await tarOf([
      { name: 'tmp/', type: 'directory' },
      { name: 'tmp/a', content: 'a'.repeat(100) },
      { name: 'tmp/link', type: 'symlink' },
      { name: 'tmp/b', content: 'bbbb' },
      { name: 'tmp/c', content: 'cccc' },
    ]);
    const files = await readTarFiles(Readable.from([tar]), { maxFiles: 2, maxFileBytes: 10, maxTotalBytes: 12 });
    expect(files.map((file) => [file.name, file.content.toString(), file.size, file.truncated])).toEqual([
      ['tmp/a', 'a'.repeat(10), 100, true],
      ['tmp/b', 'bb', 4, true],
    ]);
  });
});
