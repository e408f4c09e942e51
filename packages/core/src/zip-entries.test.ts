import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { readZipEntry, zipEntries } from './zip-entries.js';

/** A zip written by hand (one entry, deflated or stored), so its fields can be made hostile. */
function handZip(name: string, content: Buffer, options: { method?: number; size?: number; compressedSize?: number; localOffset?: number; count?: number; flags?: number } = {}): Buffer {
  const method = options.method ?? 8;
  const data = method === 8 ? deflateRawSync(content) : content;
  const nameBytes = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(method, 8);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(options.flags ?? 0, 8);
  central.writeUInt16LE(method, 10);
  central.writeUInt32LE(options.compressedSize ?? data.length, 20);
  central.writeUInt32LE(options.size ?? content.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  central.writeUInt32LE(options.localOffset ?? 0, 42);
  const cdOffset = local.length + nameBytes.length + data.length;
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(options.count ?? 1, 8);
  eocd.writeUInt16LE(options.count ?? 1, 10);
  eocd.writeUInt32LE(central.length + nameBytes.length, 12);
  eocd.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([local, nameBytes, data, central, nameBytes, eocd]);
}

describe('zip entries (Yarn cache archives)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'zip-entries-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads a file out of an archive written by zip (deflated and stored)', async () => {
    const root = join(dir, 'src');
    await mkdir(join(root, 'node_modules/a'), { recursive: true });
    const manifest = JSON.stringify({ name: 'a', version: '1.0.0', scripts: { postinstall: 'node x' }, pad: 'x'.repeat(2000) });
    await writeFile(join(root, 'node_modules/a/package.json'), manifest);
    await writeFile(join(root, 'node_modules/a/binding.gyp'), '{}');
    for (const [file, level] of [['deflated.zip', '-6'], ['stored.zip', '-0']] as const) {
      execFileSync('zip', ['-q', '-r', level, join(dir, file), 'node_modules'], { cwd: root });
      const entries = await zipEntries(join(dir, file));
      expect(entries?.has('node_modules/a/binding.gyp')).toBe(true);
      const content = await readZipEntry(join(dir, file), entries!.get('node_modules/a/package.json')!, 1024 * 1024);
      expect(content?.toString('utf8')).toBe(manifest);
      expect(await readZipEntry(join(dir, file), entries!.get('node_modules/a/package.json')!, 100)).toBeNull();
    }
  });

  it('reads a hand-written archive, and takes none of its fields on trust', async () => {
    const body = Buffer.from('{"name":"a"}');
    const at = async (name: string, zip: Buffer) => {
      await writeFile(join(dir, name), zip);
      return join(dir, name);
    };
    const good = await at('good.zip', handZip('p.json', body));
    const entries = await zipEntries(good);
    expect((await readZipEntry(good, entries!.get('p.json')!, 1024))?.toString()).toBe('{"name":"a"}');
    // A stated size that is not the inflated size, a bomb's claim past the bound, an offset past the end, encryption, another method.
    const lies: Array<[string, Parameters<typeof handZip>[2]]> = [
      ['small-size.zip', { size: 3 }],
      ['large-size.zip', { size: 50 * 1024 * 1024 }],
      ['offset.zip', { localOffset: 1_000_000 }],
      ['encrypted.zip', { flags: 1 }],
      ['bzip2.zip', { method: 12 }],
      ['compressed-past-end.zip', { compressedSize: 1_000_000 }],
    ];
    for (const [name, options] of lies) {
      const path = await at(name, handZip('p.json', body, options));
      const listed = await zipEntries(path);
      expect(listed === null ? null : await readZipEntry(path, listed.get('p.json')!, 1024)).toBeNull();
    }
    // A count past the central directory, a truncated archive, no archive at all, a missing file.
    expect(await zipEntries(await at('count.zip', handZip('p.json', body, { count: 5 })))).toBeNull();
    expect(await zipEntries(await at('truncated.zip', handZip('p.json', body).subarray(0, 40)))).toBeNull();
    expect(await zipEntries(await at('text.zip', Buffer.from('not a zip at all, just text'.repeat(3))))).toBeNull();
    expect(await zipEntries(join(dir, 'missing.zip'))).toBeNull();
    expect(await zipEntries(dir)).toBeNull();
    // A name with a climbing path is only a name here: nothing is extracted.
    expect([...(await zipEntries(await at('climb.zip', handZip('../../etc/passwd', body))))!.keys()]).toEqual(['../../etc/passwd']);
    expect((await readFile(good)).length).toBeGreaterThan(0);
  });
});
