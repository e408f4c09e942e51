/**
 * extractSafely reads a tar stream written by untrusted code. These tests build hostile archives
 * with tar-stream (and, where tar-stream refuses to, by hand) and check two things every time: each
 * dropped or changed entry is reported, and nothing exists outside the target afterwards — no file,
 * no hard link to an outside file, no symlink that resolves outside the allowed root.
 */
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pack, type Header } from 'tar-stream';
import { SafeInstallError } from '@safe-install/schema';
import { checkEntryName, exportScope, extractSafely, symlinkStaysInside, type ExtractOptions, type ExtractResult } from './extract-safely.js';

/** The root package's node_modules only: a project without workspaces, no project files. */
const ROOT_ONLY = exportScope([]);

const TIMEOUT = 15_000;

// ---------------------------------------------------------------------------------------------
// Archive builders

/** What tar-stream's packer takes: a name and any other header fields. */
type TarHeader = Partial<Header> & Pick<Header, 'name'>;

interface TarEntry {
  header: TarHeader;
  body?: string | Buffer;
}

const file = (name: string, body: string | Buffer = 'x', extra: Partial<Header> = {}): TarEntry => ({
  header: { name, type: 'file', mode: 0o644, size: Buffer.byteLength(body), ...extra },
  body,
});
const dir = (name: string, mode = 0o755): TarEntry => ({ header: { name, type: 'directory', mode } });
const symlinkEntry = (name: string, linkname: string): TarEntry => ({ header: { name, type: 'symlink', linkname, mode: 0o777 } });
const hardlink = (name: string, linkname: string): TarEntry => ({ header: { name, type: 'link', linkname, mode: 0o644 } });

/** A complete tar archive (with its end-of-archive blocks), built by tar-stream. */
async function tarBuffer(entries: TarEntry[]): Promise<Buffer> {
  const packer = pack();
  const chunks: Buffer[] = [];
  const collecting = (async () => {
    for await (const chunk of packer) chunks.push(chunk as Buffer);
  })();
  for (const { header, body } of entries) {
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error | null) => (error ? reject(error) : resolve());
      if (body === undefined) packer.entry(header, done);
      else packer.entry(header, body, done);
    });
  }
  packer.finalize();
  await collecting;
  return Buffer.concat(chunks);
}

/** A byte stream delivering `buffer` in small chunks, so entries straddle chunk boundaries. */
function streamOf(buffer: Buffer, chunkSize = 700): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < buffer.length; i += chunkSize) chunks.push(buffer.subarray(i, i + chunkSize));
  return Readable.from(chunks, { objectMode: false });
}

/** tar-stream's own pack stream, passed straight in (the way the brief's callers would). */
function packStream(entries: TarEntry[]): Readable {
  const packer = pack();
  void (async () => {
    for (const { header, body } of entries) {
      await new Promise<void>((resolve, reject) => {
        const done = (error?: Error | null) => (error ? reject(error) : resolve());
        if (body === undefined) packer.entry(header, done);
        else packer.entry(header, body, done);
      });
    }
    packer.finalize();
  })().catch(() => undefined);
  return packer as unknown as Readable;
}

/** A raw ustar header, for archives tar-stream's packer would not produce. */
function ustarHeader(name: string, size: number, type = '0'): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0, 100, 'utf8');
  block.write('0000644\0', 100);
  block.write('0000000\0', 108);
  block.write('0000000\0', 116);
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  block.write('00000000000\0', 136);
  block.fill(' ', 148, 156);
  block.write(type, 156);
  block.write('ustar\0', 257);
  block.write('00', 263);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return block;
}

/** An endless byte stream: `head` once, then `repeat` forever (or zeros). Records when destroyed. */
function endless(head: Buffer, repeat: Buffer = Buffer.alloc(64 * 1024)): Readable {
  let sentHead = false;
  return new Readable({
    read() {
      if (!sentHead) {
        sentHead = true;
        this.push(head);
      } else {
        this.push(repeat);
      }
    },
  });
}

/** Wait (briefly) for a condition that is reached a few ticks after a promise settles. */
async function eventually(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}

// ---------------------------------------------------------------------------------------------
// Filesystem helpers

let base: string;
let target: string;
let outside: string;
let victim: string;
let victimFile: string;

beforeEach(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), 'si-extract-test-')));
  target = join(base, 'target');
  outside = join(base, 'outside');
  victim = join(base, 'victim');
  victimFile = join(victim, 'secret');
  await mkdir(target);
  await mkdir(outside);
  await mkdir(victim);
  await writeFile(victimFile, 'secret');
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Resolve an absolute path the way the kernel does: component by component, following symlinks. */
async function resolvePhysically(path: string, hops = 0): Promise<string> {
  if (hops > 40) throw new Error(`symlink loop at ${path}`);
  let current = '/';
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      current = dirname(current);
      continue;
    }
    const next = join(current, part);
    let isLink = false;
    try {
      isLink = (await lstat(next)).isSymbolicLink();
    } catch {
      // Does not exist: no symlink can be involved, the rest resolves lexically.
    }
    if (isLink) {
      const link = await readlink(next);
      current = await resolvePhysically(link.startsWith('/') ? link : `${current}/${link}`, hops + 1);
    } else {
      current = next;
    }
  }
  return current;
}

/** Every path under `root` (relative, `/`-separated), never following symlinks. */
async function walk(root: string, prefix = ''): Promise<string[]> {
  const found: string[] = [];
  for (const name of (await readdir(join(root, prefix))).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    found.push(rel);
    if ((await lstat(join(root, rel))).isDirectory()) found.push(...(await walk(root, rel)));
  }
  return found;
}

/** The listing of `root` with a type letter: d, f, l (symlink). */
async function listing(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const rel of await walk(root)) {
    const info = await lstat(join(root, rel));
    out.push(`${info.isDirectory() ? 'd' : info.isSymbolicLink() ? 'l' : info.isFile() ? 'f' : '?'} ${rel}`);
  }
  return out;
}

/**
 * The invariant every test ends with: the temp dir holds only what the test made, the outside
 * sentinel is empty, the victim file is untouched and not hard-linked, nothing appeared next to the
 * temp dir, and every symlink in the target resolves (physically) inside `allowed`.
 */
async function assertContained(allowed: string = target): Promise<void> {
  expect((await readdir(base)).sort()).toEqual(['outside', 'target', 'victim']);
  expect(await readdir(outside)).toEqual([]);
  expect(await readdir(victim)).toEqual(['secret']);
  expect(await readFile(victimFile, 'utf8')).toBe('secret');
  expect((await stat(victimFile)).nlink).toBe(1);
  for (const name of ['escape', 'escape-two', 'pwned']) expect(await exists(join(dirname(base), name))).toBe(false);
  for (const rel of await walk(target)) {
    const abs = join(target, rel);
    const info = await lstat(abs);
    expect(info.isFile() || info.isDirectory() || info.isSymbolicLink()).toBe(true);
    if (info.isSymbolicLink()) {
      const resolved = await resolvePhysically(`${await resolvePhysically(dirname(abs))}/${await readlink(abs)}`);
      const inside = resolved === allowed || resolved.startsWith(`${allowed}/`);
      if (!inside) throw new Error(`symlink ${rel} -> ${await readlink(abs)} resolves to ${resolved}, outside ${allowed}`);
    }
  }
}

async function extract(entries: TarEntry[], options: Partial<ExtractOptions> = {}): Promise<ExtractResult> {
  return extractSafely(streamOf(await tarBuffer(entries)), { target, scope: ROOT_ONLY, ...options });
}

const rejectedPaths = (result: ExtractResult) => result.issues.filter((issue) => issue.action === 'rejected').map((issue) => issue.path);

function expectRejected(result: ExtractResult, path: string, reason?: RegExp): void {
  const issue = result.issues.find((candidate) => candidate.path === path && candidate.action === 'rejected');
  if (!issue) throw new Error(`expected ${JSON.stringify(path)} to be rejected; issues: ${JSON.stringify(result.issues)}`);
  if (reason) expect(issue.reason).toMatch(reason);
}

async function expectExportRejected(promise: Promise<unknown>, message?: RegExp): Promise<void> {
  const error: unknown = await promise.then(
    () => {
      throw new Error('expected the export to be refused, but it succeeded');
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SafeInstallError);
  expect((error as SafeInstallError).code).toBe('EXPORT_REJECTED');
  expect((error as SafeInstallError).kind).toBe('infrastructure');
  if (message) expect((error as SafeInstallError).message).toMatch(message);
}

// ---------------------------------------------------------------------------------------------
// Pure checks

describe('checkEntryName', () => {
  const ok: Array<[string, string]> = [
    ['node_modules', 'node_modules'],
    ['node_modules/', 'node_modules'],
    ['node_modules/a', 'node_modules/a'],
    ['./node_modules/a', 'node_modules/a'],
    ['node_modules//a/./b/', 'node_modules/a/b'],
    ['node_modules/@scope/pkg/index.js', 'node_modules/@scope/pkg/index.js'],
    ['node_modules/..a/b..', 'node_modules/..a/b..'],
    ['node_modules/a b/c', 'node_modules/a b/c'],
  ];
  it.each(ok)('accepts %j as %j', (name, path) => {
    expect(checkEntryName(name, ROOT_ONLY, 4096)).toEqual({ path, root: 'node_modules' });
  });

  const refused: Array<[string, RegExp]> = [
    ['../escape', /\.\./],
    ['node_modules/../../escape', /\.\./],
    ['node_modules/../x', /\.\./],
    ['node_modules/a/..', /\.\./],
    ['/tmp/x', /absolute/],
    ['/node_modules/a', /absolute/],
    ['//node_modules/a', /absolute/],
    ['node_modules\\..\\..\\x', /backslash/],
    ['node_modules/a\\b', /backslash/],
    ['node_modules/a\0b', /NUL/],
    ['other/x', /outside node_modules/],
    ['node_modules_evil/x', /outside node_modules/],
    ['node_modulesx', /outside node_modules/],
    ['Node_modules/x', /outside node_modules/],
    ['', /outside node_modules/],
    ['.', /outside node_modules/],
    [`node_modules/${'a'.repeat(5000)}`, /longer than 4096/],
  ];
  it.each(refused)('refuses %j', (name, reason) => {
    const checked = checkEntryName(name, ROOT_ONLY, 4096);
    expect(checked).not.toHaveProperty('path');
    expect((checked as { reason: string }).reason).toMatch(reason);
  });

  it('applies the length limit to the raw name', () => {
    expect(checkEntryName('node_modules/abc', ROOT_ONLY, 16)).toEqual({ path: 'node_modules/abc', root: 'node_modules' });
    expect(checkEntryName('node_modules/abcd', ROOT_ONLY, 16)).toEqual({ reason: 'path longer than 16' });
  });
});

describe('symlinkStaysInside', () => {
  const table: Array<[link: string, to: string, levels: number, inside: boolean]> = [
    // ordinary npm links
    ['node_modules/.bin/foo', '../foo/bin/cli.js', 0, true],
    ['node_modules/.bin/foo', '../@scope/foo/cli.js', 0, true],
    ['node_modules/a/b', 'c', 0, true],
    ['node_modules/a/b', './c/d', 0, true],
    ['node_modules/a', '.', 0, true],
    ['node_modules/a', '..', 0, true],
    ['node_modules/a', '../packages/a', 0, true],
    ['node_modules/a', '../packages/a', 1, true],
    // pnpm's isolated layout (as pnpm 10.34 wrote it): links into the virtual store, between its
    // packages, from a workspace's node_modules and to a workspace; and ones that climb out
    ['node_modules/core-js', '.pnpm/core-js@3.45.1/node_modules/core-js', 0, true],
    ['node_modules/@scope/a', '../.pnpm/@scope+a@1.0.0/node_modules/@scope/a', 0, true],
    ['node_modules/.pnpm/d@1.0.2/node_modules/es5-ext', '../../es5-ext@0.10.64/node_modules/es5-ext', 0, true],
    ['node_modules/.pnpm/node_modules/d', '../d@1.0.2/node_modules/d', 0, true],
    ['packages/greet/node_modules/left-pad', '../../../node_modules/.pnpm/left-pad@1.3.0/node_modules/left-pad', 0, true],
    ['node_modules/@pnpm-small/greet', '../../packages/greet', 0, true],
    ['node_modules/.pnpm/d@1.0.2/node_modules/evil', '../../../../../home/node/.ssh', 0, false],
    ['packages/greet/node_modules/evil', '../../../../outside', 0, false],
    ['node_modules/.pnpm/d@1.0.2/node_modules/store', '/home/node/.local/share/pnpm/store/v10/files/00/x', 0, false],
    // one level above the target: only with levels >= 1
    ['node_modules/a', '../..', 0, false],
    ['node_modules/a', '../..', 1, true],
    ['node_modules/a', '../../sibling/a', 0, false],
    ['node_modules/a', '../../sibling/a', 1, true],
    ['node_modules/a', '../../..', 1, false],
    ['node_modules/a', '../../../x', 1, false],
    ['node_modules/a', '../../../x', 2, true],
    ['node_modules', '..', 0, false],
    ['node_modules', '..', 1, true],
    // absolute, empty, NUL
    ['node_modules/etc', '/etc', 0, false],
    ['node_modules/etc', '/etc', 5, false],
    ['node_modules/a', '', 0, false],
    ['node_modules/a', 'b\0/../../..', 0, false],
    ['node_modules/evil', '../../..', 0, false],
    ['node_modules/evil', '../../../../../../../../etc/passwd', 1, false],
    // climbing out and coming back in under a name that matches the checker's own synthetic root
    ['node_modules/x', '../../root/y', 0, false],
    ['node_modules/x', '../../../up0/root/y', 1, false],
    // `..` after a name: the name may be a symlink, and the kernel resolves `name/..` through it
    ['node_modules/c', 'b/..', 0, false],
    ['node_modules/c', 'b/../../outside', 0, false],
    ['node_modules/c', 'b/b/../../../..', 1, false],
    ['node_modules/c', '../node_modules/b/..', 0, false],
  ];
  it.each(table)('%j -> %j with %d levels: %p', (link, to, levels, inside) => {
    expect(symlinkStaysInside(link, to, levels)).toBe(inside);
  });
});

// ---------------------------------------------------------------------------------------------
// Legitimate trees

describe('extractSafely: a legitimate tree', () => {
  const binary = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256));
  const legit: TarEntry[] = [
    dir('node_modules'),
    dir('node_modules/foo'),
    file('node_modules/foo/package.json', '{"name":"foo"}'),
    dir('node_modules/foo/bin'),
    file('node_modules/foo/bin/cli.js', '#!/usr/bin/env node\n', { mode: 0o755 }),
    file('node_modules/foo/data.bin', binary),
    file('node_modules/foo/empty', ''),
    hardlink('node_modules/foo/copy.json', 'node_modules/foo/package.json'),
    dir('node_modules/.bin'),
    symlinkEntry('node_modules/.bin/foo', '../foo/bin/cli.js'),
    // parents never listed as directory entries
    file('node_modules/@scope/pkg/index.js', 'module.exports = 1;\n'),
    // a workspace link (npm writes it relative to node_modules' folder)
    symlinkEntry('node_modules/a', '../packages/a'),
    // a directory entry after its content
    dir('node_modules/@scope'),
  ];

  it(
    'extracts exactly what the archive holds',
    async () => {
      const result = await extract(legit);
      expect(result.issues).toEqual([]);
      expect(result).toMatchObject({ files: 5, directories: 4, symlinks: 2, hardlinks: 1 });
      expect(result.bytes).toBe(14 + 20 + 3000 + 0 + 20);
      expect(await listing(target)).toEqual([
        'd node_modules',
        'd node_modules/.bin',
        'l node_modules/.bin/foo',
        'd node_modules/@scope',
        'd node_modules/@scope/pkg',
        'f node_modules/@scope/pkg/index.js',
        'l node_modules/a',
        'd node_modules/foo',
        'd node_modules/foo/bin',
        'f node_modules/foo/bin/cli.js',
        'f node_modules/foo/copy.json',
        'f node_modules/foo/data.bin',
        'f node_modules/foo/empty',
        'f node_modules/foo/package.json',
      ]);
      expect(await readFile(join(target, 'node_modules/foo/package.json'), 'utf8')).toBe('{"name":"foo"}');
      expect(await readFile(join(target, 'node_modules/foo/data.bin'))).toEqual(binary);
      expect(await readFile(join(target, 'node_modules/foo/empty'), 'utf8')).toBe('');
      expect(await readFile(join(target, 'node_modules/@scope/pkg/index.js'), 'utf8')).toBe('module.exports = 1;\n');
      expect(await readlink(join(target, 'node_modules/.bin/foo'))).toBe('../foo/bin/cli.js');
      expect(await readFile(join(target, 'node_modules/.bin/foo'), 'utf8')).toBe('#!/usr/bin/env node\n');
      expect(await readlink(join(target, 'node_modules/a'))).toBe('../packages/a');
      const original = await stat(join(target, 'node_modules/foo/package.json'));
      const copy = await stat(join(target, 'node_modules/foo/copy.json'));
      expect(copy.ino).toBe(original.ino);
      expect(original.nlink).toBe(2);
      expect((await stat(join(target, 'node_modules/foo/bin/cli.js'))).mode & 0o100).toBe(0o100);
      await assertContained();
    },
    TIMEOUT,
  );

  it(
    'accepts tar-stream pack streams directly and normalises ./ and // in names',
    async () => {
      const result = await extractSafely(packStream([dir('./node_modules/'), file('./node_modules//x/./y', 'hello')]), {
        target,
        scope: ROOT_ONLY,
      });
      expect(result.issues).toEqual([]);
      expect(await listing(target)).toEqual(['d node_modules', 'd node_modules/x', 'f node_modules/x/y']);
      expect(await readFile(join(target, 'node_modules/x/y'), 'utf8')).toBe('hello');
    },
    TIMEOUT,
  );

  it(
    'handles an empty archive and an archive of zero blocks',
    async () => {
      for (const bytes of [Buffer.alloc(0), Buffer.alloc(1024), await tarBuffer([])]) {
        const result = await extractSafely(streamOf(bytes), { target, scope: ROOT_ONLY });
        expect(result).toEqual({ roots: [], projectFiles: [], files: 0, directories: 0, symlinks: 0, hardlinks: 0, bytes: 0, issues: [] });
      }
      expect(await readdir(target)).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'allows a link one level above the target only with symlinkRootLevels 1',
    async () => {
      const entries = [dir('node_modules'), symlinkEntry('node_modules/w', '../../outside')];
      const strict = await extract(entries, { symlinkRootLevels: 0 });
      expectRejected(strict, 'node_modules/w', /outside the tree/);
      expect(await exists(join(target, 'node_modules/w'))).toBe(false);
      await assertContained(target);

      await rm(target, { recursive: true });
      await mkdir(target);
      const relaxed = await extract(entries, { symlinkRootLevels: 1 });
      expect(relaxed.issues).toEqual([]);
      expect(await readlink(join(target, 'node_modules/w'))).toBe('../../outside');
      await assertContained(base);
    },
    TIMEOUT,
  );

  it(
    'keeps the workspace link at both levels (it stays inside the target)',
    async () => {
      for (const symlinkRootLevels of [0, 1]) {
        await rm(target, { recursive: true, force: true });
        await mkdir(target);
        const result = await extract([symlinkEntry('node_modules/a', '../packages/a')], { symlinkRootLevels });
        expect(result.issues).toEqual([]);
        expect(await readlink(join(target, 'node_modules/a'))).toBe('../packages/a');
      }
    },
    TIMEOUT,
  );
});

// ---------------------------------------------------------------------------------------------
// Hostile entries: reported, never written outside

describe('extractSafely: hostile names', () => {
  it(
    'rejects paths that climb out, absolute paths and paths outside node_modules',
    async () => {
      const absolute = join(outside, 'abs');
      const result = await extract([
        dir('node_modules'),
        file('../escape', 'pwned'),
        file('../../escape-two', 'pwned'),
        file('node_modules/../../escape', 'pwned'),
        file('node_modules/../escape', 'pwned'),
        file('node_modules/a/../../../outside/x', 'pwned'),
        file(absolute, 'pwned'),
        file('/tmp/x', 'pwned'),
        file('other/x', 'pwned'),
        file('node_modules_evil/x', 'pwned'),
        file('node_modules/ok', 'ok'),
      ]);
      for (const name of [
        '../escape',
        '../../escape-two',
        'node_modules/../../escape',
        'node_modules/../escape',
        'node_modules/a/../../../outside/x',
        absolute,
        '/tmp/x',
        'other/x',
        'node_modules_evil/x',
      ]) {
        expectRejected(result, name);
      }
      expect(result.files).toBe(1);
      expect(await listing(target)).toEqual(['d node_modules', 'f node_modules/ok']);
      await assertContained();
    },
    TIMEOUT,
  );

  it(
    'rejects NUL and backslashes in names',
    async () => {
      // tar-stream writes non-ASCII names as PAX headers, which carry the NUL through.
      const nul = 'node_modules/é\0../../escape';
      const result = await extract([
        dir('node_modules'),
        file(nul, 'pwned'),
        file('node_modules\\..\\..\\escape', 'pwned'),
        file('node_modules/a\\b', 'pwned'),
      ]);
      expectRejected(result, nul, /NUL/);
      expectRejected(result, 'node_modules\\..\\..\\escape', /backslash/);
      expectRejected(result, 'node_modules/a\\b', /backslash/);
      expect(await listing(target)).toEqual(['d node_modules']);
      await assertContained();
    },
    TIMEOUT,
  );

  it(
    'rejects names longer than maxPathLength without failing the export',
    async () => {
      const long = `node_modules/${'a'.repeat(200)}`;
      const result = await extract([file(long, 'x'), file('node_modules/short', 'y')], { limits: { maxPathLength: 100 } });
      expectRejected(result, long, /longer than 100/);
      expect(await listing(target)).toEqual(['d node_modules', 'f node_modules/short']);
    },
    TIMEOUT,
  );

  it(
    'shortens reported names to a bounded length',
    async () => {
      const long = `../${'a'.repeat(3000)}`;
      const result = await extract([file(long, 'x')]);
      expect(result.issues).toHaveLength(1);
      expect(result.issues[0]?.path.length).toBeLessThanOrEqual(300);
    },
    TIMEOUT,
  );
});

describe('extractSafely: hostile symlinks', () => {
  it(
    'rejects absolute links and links that climb out',
    async () => {
      const result = await extract(
        [
          dir('node_modules'),
          symlinkEntry('node_modules/etc', '/etc'),
          symlinkEntry('node_modules/abs', outside),
          symlinkEntry('node_modules/evil', '../../..'),
          symlinkEntry('node_modules/evil2', '../../outside'),
          symlinkEntry('node_modules/.bin/deep', '../../../../../../../../../../etc/passwd'),
          symlinkEntry('node_modules/empty', ''),
        ],
        { symlinkRootLevels: 0 },
      );
      for (const name of ['node_modules/etc', 'node_modules/abs', 'node_modules/evil', 'node_modules/evil2', 'node_modules/.bin/deep', 'node_modules/empty']) {
        expectRejected(result, name, /outside the tree/);
        expect(await exists(join(target, name))).toBe(false);
      }
      expect(result.symlinks).toBe(0);
      await assertContained();
    },
    TIMEOUT,
  );

  it(
    'rejects links that climb more than symlinkRootLevels above the target',
    async () => {
      const result = await extract([symlinkEntry('node_modules/evil', '../../..'), symlinkEntry('node_modules/evil2', '../../../etc')], {
        symlinkRootLevels: 1,
      });
      expectRejected(result, 'node_modules/evil');
      expectRejected(result, 'node_modules/evil2');
      await assertContained(base);
    },
    TIMEOUT,
  );

  it(
    'never writes through a symlink whose target is refused',
    async () => {
      const result = await extract([
        dir('node_modules'),
        symlinkEntry('node_modules/link', outside),
        file('node_modules/link/pwned', 'pwned'),
        symlinkEntry('node_modules/up', '../..'),
        file('node_modules/up/outside/pwned', 'pwned'),
      ]);
      expectRejected(result, 'node_modules/link');
      expectRejected(result, 'node_modules/up');
      // Whether the children are rejected too or land in a real folder inside the target, they
      // must not be reachable from outside; the sentinel check below is what matters.
      for (const rel of ['node_modules/link', 'node_modules/up']) {
        if (await exists(join(target, rel))) expect((await lstat(join(target, rel))).isSymbolicLink()).toBe(false);
      }
      await assertContained();
    },
    TIMEOUT,
  );

  it(
    'never writes through an allowed symlink (one level up), neither files, folders, links nor hard links',
    async () => {
      const result = await extract(
        [
          dir('node_modules'),
          file('node_modules/f', 'content'),
          symlinkEntry('node_modules/link', '../../outside'),
          file('node_modules/link/pwned', 'pwned'),
          dir('node_modules/link/dir'),
          symlinkEntry('node_modules/link/sym', '.'),
          hardlink('node_modules/link/hard', 'node_modules/f'),
          file('node_modules/link/deeper/pwned', 'pwned'),
        ],
        { symlinkRootLevels: 1 },
      );
      for (const name of ['node_modules/link/pwned', 'node_modules/link/dir', 'node_modules/link/sym', 'node_modules/link/hard', 'node_modules/link/deeper/pwned']) {
        expectRejected(result, name, /symlink/);
      }
      expect(await readlink(join(target, 'node_modules/link'))).toBe('../../outside');
      await assertContained(base);
    },
    TIMEOUT,
  );

  it(
    'never writes through a symlink that points inside the tree',
    async () => {
      const result = await extract([
        dir('node_modules'),
        dir('node_modules/real'),
        symlinkEntry('node_modules/link', 'real'),
        file('node_modules/link/pwned', 'pwned'),
        symlinkEntry('node_modules/self', '.'),
        file('node_modules/self/planted', 'pwned'),
      ]);
      expectRejected(result, 'node_modules/link/pwned', /symlink/);
      expectRejected(result, 'node_modules/self/planted', /symlink/);
      expect(await readdir(join(target, 'node_modules/real'))).toEqual([]);
      expect(await exists(join(target, 'node_modules/planted'))).toBe(false);
      await assertContained();
    },
    TIMEOUT,
  );

  it(
    'rejects a chain of links that escapes through `name/..` (the kernel follows the name first)',
    async () => {
      // node_modules/b -> . is harmless. node_modules/c -> b/../../outside looks like
      // <target>/outside when read as text, but b is node_modules, so b/.. is the target and
      // b/../.. is its parent: c would point at the sentinel outside folder.
      const result = await extract([dir('node_modules'), symlinkEntry('node_modules/b', '.'), symlinkEntry('node_modules/c', 'b/../../outside')]);
      expectRejected(result, 'node_modules/c', /outside the tree/);
      await assertContained();
    },
    TIMEOUT,
  );

  it(
    'rejects a chain of links that escapes beyond the allowed parent',
    async () => {
      const result = await extract(
        [dir('node_modules'), symlinkEntry('node_modules/b', '.'), symlinkEntry('node_modules/c', 'b/b/../../../..'), symlinkEntry('node_modules/d', 'c/etc')],
        { symlinkRootLevels: 1 },
      );
      expectRejected(result, 'node_modules/c', /outside the tree/);
      await assertContained(base);
    },
    TIMEOUT,
  );

  it(
    'rejects a link that leaves the target and comes back under another folder of the same name',
    async () => {
      const result = await extract([dir('node_modules'), symlinkEntry('node_modules/x', '../../root/y'), symlinkEntry('node_modules/t', '../../target/node_modules')]);
      expectRejected(result, 'node_modules/x');
      expectRejected(result, 'node_modules/t');
      await assertContained();
    },
    TIMEOUT,
  );
});

describe('extractSafely: hostile hard links', () => {
  it(
    'rejects hard links to anything but a file already extracted',
    async () => {
      const result = await extract(
        [
          dir('node_modules'),
          file('node_modules/f', 'content'),
          symlinkEntry('node_modules/s', 'f'),
          hardlink('node_modules/h-passwd', '/etc/passwd'),
          hardlink('node_modules/h-victim', '../victim/secret'),
          hardlink('node_modules/h-victim2', 'node_modules/../../victim/secret'),
          hardlink('node_modules/h-victim-abs', victimFile),
          hardlink('node_modules/h-dir', 'node_modules'),
          hardlink('node_modules/h-symlink', 'node_modules/s'),
          hardlink('node_modules/h-forward', 'node_modules/later'),
          hardlink('node_modules/h-self', 'node_modules/h-self'),
          hardlink('node_modules/h-prefix', 'other/f'),
          hardlink('node_modules/h-empty', ''),
          file('node_modules/later', 'later'),
        ],
        { symlinkRootLevels: 1 },
      );
      for (const name of ['h-passwd', 'h-victim', 'h-victim2', 'h-victim-abs', 'h-dir', 'h-symlink', 'h-forward', 'h-self', 'h-prefix', 'h-empty']) {
        expectRejected(result, `node_modules/${name}`, /hard link/);
        expect(await exists(join(target, 'node_modules', name))).toBe(false);
      }
      expect(result.hardlinks).toBe(0);
      expect((await stat(join(target, 'node_modules/f'))).nlink).toBe(1);
      await assertContained(base);
    },
    TIMEOUT,
  );
});

describe('extractSafely: special files and permissions', () => {
  let umask: number;
  beforeEach(() => {
    // With the usual 022 umask the kernel would hide a missing world-writable fix.
    umask = process.umask(0);
  });
  afterEach(() => {
    process.umask(umask);
  });

  it(
    'drops character devices, block devices and FIFOs',
    async () => {
      const result = await extract([
        dir('node_modules'),
        { header: { name: 'node_modules/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 } },
        { header: { name: 'node_modules/sda', type: 'block-device', devmajor: 8, devminor: 0, mode: 0o660 } },
        { header: { name: 'node_modules/fifo', type: 'fifo', mode: 0o644 } },
        file('node_modules/ok', 'ok'),
      ]);
      expectRejected(result, 'node_modules/null', /character-device/);
      expectRejected(result, 'node_modules/sda', /block-device/);
      expectRejected(result, 'node_modules/fifo', /fifo/);
      expect(await listing(target)).toEqual(['d node_modules', 'f node_modules/ok']);
      await assertContained();
    },
    TIMEOUT,
  );

  it(
    'removes setuid, setgid, sticky and world-writable bits and reports them',
    async () => {
      const result = await extract([
        dir('node_modules'),
        file('node_modules/suid', 'suid', { mode: 0o4755 }),
        file('node_modules/sgid', 'sgid', { mode: 0o2755 }),
        file('node_modules/sticky', 'sticky', { mode: 0o1644 }),
        file('node_modules/ww', 'ww', { mode: 0o666 }),
        file('node_modules/all', 'all', { mode: 0o7777 }),
        dir('node_modules/wwdir', 0o777),
        dir('node_modules/sgdir', 0o2755),
        file('node_modules/plain', 'plain', { mode: 0o644 }),
      ]);
      const neutralised = Object.fromEntries(result.issues.filter((issue) => issue.action === 'neutralised').map((issue) => [issue.path, issue.reason]));
      expect(rejectedPaths(result)).toEqual([]);
      expect(neutralised['node_modules/suid']).toMatch(/setuid/);
      expect(neutralised['node_modules/sgid']).toMatch(/setgid/);
      expect(neutralised['node_modules/sticky']).toMatch(/sticky/);
      expect(neutralised['node_modules/ww']).toMatch(/world-writable/);
      expect(neutralised['node_modules/all']).toMatch(/setuid.*setgid.*sticky.*world-writable/);
      expect(neutralised['node_modules/wwdir']).toMatch(/world-writable/);
      expect(neutralised['node_modules/sgdir']).toMatch(/setgid/);
      expect(neutralised['node_modules/plain']).toBeUndefined();
      for (const name of ['suid', 'sgid', 'sticky', 'ww', 'all', 'wwdir', 'sgdir', 'plain']) {
        const mode = (await lstat(join(target, 'node_modules', name))).mode;
        expect({ name, special: mode & 0o7000, worldWritable: mode & 0o002 }).toEqual({ name, special: 0, worldWritable: 0 });
      }
      expect((await lstat(join(target, 'node_modules/suid'))).mode & 0o777).toBe(0o755);
      expect((await lstat(join(target, 'node_modules/ww'))).mode & 0o777).toBe(0o664);
      expect(await readFile(join(target, 'node_modules/suid'), 'utf8')).toBe('suid');
      expect(result.files).toBe(6);
      await assertContained();
    },
    TIMEOUT,
  );
});

describe('extractSafely: duplicates and conflicting entries', () => {
  it(
    'keeps the first of two entries with the same name',
    async () => {
      const result = await extract([
        dir('node_modules'),
        file('node_modules/a', 'original'),
        file('node_modules/a', 'replacement'),
        file('node_modules/./a', 'replacement'),
        symlinkEntry('node_modules/a', '../x'),
        hardlink('node_modules/a', 'node_modules/b'),
        dir('node_modules/a'),
        file('node_modules/b', 'b'),
      ]);
      expect(rejectedPaths(result)).toEqual(['node_modules/a', 'node_modules/a', 'node_modules/a', 'node_modules/a', 'node_modules/a']);
      for (const issue of result.issues) expect(issue.reason).toMatch(/duplicate/);
      expect(await readFile(join(target, 'node_modules/a'), 'utf8')).toBe('original');
      expect(result.files).toBe(2);
      await assertContained();
    },
    TIMEOUT,
  );

  it(
    'never replaces a symlink by a file or a file by a symlink',
    async () => {
      const result = await extract([
        dir('node_modules'),
        symlinkEntry('node_modules/s', 'victim-in-tree'),
        file('node_modules/s', 'through'),
        file('node_modules/victim-in-tree', 'untouched'),
        file('node_modules/f', 'file'),
        symlinkEntry('node_modules/f', 'victim-in-tree'),
      ]);
      expectRejected(result, 'node_modules/s', /duplicate/);
      expectRejected(result, 'node_modules/f', /duplicate/);
      expect(await readlink(join(target, 'node_modules/s'))).toBe('victim-in-tree');
      expect(await readFile(join(target, 'node_modules/victim-in-tree'), 'utf8')).toBe('untouched');
      expect(await readFile(join(target, 'node_modules/f'), 'utf8')).toBe('file');
      await assertContained();
    },
    TIMEOUT,
  );

  it(
    'accepts the same directory listed twice',
    async () => {
      const result = await extract([dir('node_modules'), dir('node_modules/d'), file('node_modules/d/x', 'x'), dir('node_modules/d')]);
      expect(result.issues).toEqual([]);
      expect(result.directories).toBe(2);
      expect(await readFile(join(target, 'node_modules/d/x'), 'utf8')).toBe('x');
    },
    TIMEOUT,
  );

  it(
    'reports, rather than crashing on, an entry that collides with a folder made for an earlier entry',
    async () => {
      const result = await extract([
        dir('node_modules'),
        file('node_modules/d/x', 'x'),
        file('node_modules/d', 'file over folder'),
        symlinkEntry('node_modules/d', '.'),
        hardlink('node_modules/d', 'node_modules/d/x'),
      ]);
      expect(rejectedPaths(result)).toEqual(['node_modules/d', 'node_modules/d', 'node_modules/d']);
      expect(await listing(target)).toEqual(['d node_modules', 'd node_modules/d', 'f node_modules/d/x']);
      await assertContained();
    },
    TIMEOUT,
  );

  it(
    'reports, rather than crashing on, an entry below a file, a device or a refused entry',
    async () => {
      const result = await extract([
        dir('node_modules'),
        file('node_modules/f', 'file'),
        file('node_modules/f/x', 'below a file'),
        dir('node_modules/f/d'),
        { header: { name: 'node_modules/fifo', type: 'fifo', mode: 0o644 } },
        file('node_modules/fifo/x', 'below a fifo'),
      ]);
      expectRejected(result, 'node_modules/f/x');
      expectRejected(result, 'node_modules/f/d');
      expectRejected(result, 'node_modules/fifo/x');
      expect(await readFile(join(target, 'node_modules/f'), 'utf8')).toBe('file');
      await assertContained();
    },
    TIMEOUT,
  );
});

// ---------------------------------------------------------------------------------------------
// Limits and broken streams: the whole export fails, promptly

describe('extractSafely: limits', () => {
  it(
    'accepts exactly maxEntries entries and refuses one more',
    async () => {
      const entries = [dir('node_modules'), file('node_modules/a'), file('node_modules/b')];
      await expect(extract(entries, { limits: { maxEntries: 3 } })).resolves.toMatchObject({ files: 2 });
      await rm(target, { recursive: true });
      await mkdir(target);
      await expectExportRejected(extract([...entries, file('node_modules/c')], { limits: { maxEntries: 3 } }), /more than 3 entries/);
    },
    TIMEOUT,
  );

  it(
    'counts rejected entries too, and stops an endless stream of entries',
    async () => {
      const one = (await tarBuffer([file('../escape', 'x')])).subarray(0, 1024);
      const source = endless(one, one);
      await expectExportRejected(extractSafely(source, { target, scope: ROOT_ONLY, limits: { maxEntries: 1000 } }), /more than 1000 entries/);
      await eventually(() => source.destroyed);
      await assertContained();
    },
    TIMEOUT,
  );

  it(
    'accepts a file of exactly maxFileBytes and refuses a bigger one',
    async () => {
      await expect(extract([file('node_modules/a', 'x'.repeat(10))], { limits: { maxFileBytes: 10 } })).resolves.toMatchObject({ bytes: 10 });
      await rm(target, { recursive: true });
      await mkdir(target);
      await expectExportRejected(extract([file('node_modules/a', 'x'.repeat(100))], { limits: { maxFileBytes: 10 } }), /larger than 10 bytes/);
    },
    TIMEOUT,
  );

  it(
    'refuses a huge file from its header, without reading the body',
    async () => {
      const source = endless(ustarHeader('node_modules/huge', 4 * 1024 ** 3));
      await expectExportRejected(extractSafely(source, { target, scope: ROOT_ONLY, limits: { maxFileBytes: 1024 * 1024 } }), /larger than/);
      await eventually(() => source.destroyed);
      await assertContained();
    },
    TIMEOUT,
  );

  it(
    'accepts exactly maxTotalBytes and refuses more in total',
    async () => {
      const entries = [file('node_modules/a', 'a'.repeat(40)), file('node_modules/b', 'b'.repeat(40)), file('node_modules/c', 'c'.repeat(20))];
      await expect(extract(entries, { limits: { maxTotalBytes: 100 } })).resolves.toMatchObject({ bytes: 100, files: 3 });
      await rm(target, { recursive: true });
      await mkdir(target);
      await expectExportRejected(extract([...entries, file('node_modules/d', 'd')], { limits: { maxTotalBytes: 100 } }), /more than 100 bytes/);
    },
    TIMEOUT,
  );

  it(
    'uses the defaults for limits that are not given',
    async () => {
      await expectExportRejected(extract([file('node_modules/a'), file('node_modules/b')], { limits: { maxEntries: 1 } }));
    },
    TIMEOUT,
  );
});

describe('extractSafely: broken streams', () => {
  const call = (source: Readable) => {
    let promise: Promise<ExtractResult> | undefined;
    expect(() => {
      promise = extractSafely(source, { target, scope: ROOT_ONLY });
    }).not.toThrow();
    return promise as Promise<ExtractResult>;
  };

  it(
    'rejects an archive cut in the middle of a file',
    async () => {
      const whole = await tarBuffer([dir('node_modules'), file('node_modules/a', 'a'.repeat(2000))]);
      await expect(call(streamOf(whole.subarray(0, 512 + 512 + 700)))).rejects.toThrow();
      await assertContained();
    },
    TIMEOUT,
  );

  it(
    'rejects an archive cut in the middle of a header',
    async () => {
      const whole = await tarBuffer([dir('node_modules'), file('node_modules/a', 'abc')]);
      await expect(call(streamOf(whole.subarray(0, 512 + 100)))).rejects.toThrow();
    },
    TIMEOUT,
  );

  it(
    'rejects garbage',
    async () => {
      await expect(call(streamOf(Buffer.alloc(4096, 0x41)))).rejects.toThrow();
      const random = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 2654435761) % 251));
      await expect(call(streamOf(random))).rejects.toThrow();
      expect(await readdir(target)).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'rejects when the source stream fails',
    async () => {
      const head = await tarBuffer([dir('node_modules'), file('node_modules/a', 'a'.repeat(5000))]);
      let sent = false;
      const source = new Readable({
        read() {
          if (sent) {
            this.destroy(new Error('the engine went away'));
          } else {
            sent = true;
            this.push(head.subarray(0, 2048));
          }
        },
      });
      await expect(call(source)).rejects.toThrow(/the engine went away/);
    },
    TIMEOUT,
  );

  it(
    'rejects a source that is already destroyed',
    async () => {
      const source = new Readable({ read() {} });
      source.destroy(new Error('gone'));
      await expect(call(source)).rejects.toThrow();
    },
    TIMEOUT,
  );
});

describe('extractSafely: a stream destroyed mid-way never hangs and never passes', () => {
  it(
    'rejects a source destroyed without an error in the middle of a file',
    async () => {
      const head = await tarBuffer([dir('node_modules'), file('node_modules/a', 'a'.repeat(5000))]);
      let sent = false;
      const source = new Readable({
        read() {
          if (sent) this.destroy();
          else {
            sent = true;
            this.push(head.subarray(0, 2048));
          }
        },
      });
      await expect(extractSafely(source, { target, scope: ROOT_ONLY })).rejects.toThrow(/damaged|premature/i);
    },
    TIMEOUT,
  );
});

// ---------------------------------------------------------------------------------------------
// Several roots: the root's, each workspace's, each `file:` folder's node_modules, and project files

/** A workspaces project: two workspaces, a `file:` folder, files outside node_modules allowed. */
const WORKSPACES = exportScope(['packages/a', 'packages/b', 'vendor/local'], { projectFiles: true });

describe('checkEntryName with optional folders (Yarn PnP\'s unplugged packages)', () => {
  const PNP = exportScope([], { projectFiles: true, optionalFolders: ['.yarn/unplugged/a-npm-1.0.0-0123456789'] });
  it('lets through the node_modules of a folder the lockfile names, and no other', () => {
    expect(checkEntryName('.yarn/unplugged/a-npm-1.0.0-0123456789/node_modules/a/build/a.node', PNP, 4096)).toEqual({ path: '.yarn/unplugged/a-npm-1.0.0-0123456789/node_modules/a/build/a.node', root: '.yarn/unplugged/a-npm-1.0.0-0123456789/node_modules' });
    expect(checkEntryName('.yarn/unplugged/evil-npm-1.0.0-0000000000/node_modules/evil/x.js', PNP, 4096)).toEqual({ reason: expect.stringMatching(/lockfile expects/) });
    expect(checkEntryName('.yarn/unplugged/a-npm-1.0.0-0123456789/x/node_modules/y', PNP, 4096)).toEqual({ reason: expect.stringMatching(/lockfile expects/) });
    expect(checkEntryName('src/node_modules/y', PNP, 4096)).toEqual({ reason: expect.stringMatching(/lockfile expects/) });
    // Files beside node_modules are project files (Yarn's `.ready` marker), judged as such.
    expect(checkEntryName('.yarn/unplugged/a-npm-1.0.0-0123456789/.ready', PNP, 4096)).toEqual({ path: '.yarn/unplugged/a-npm-1.0.0-0123456789/.ready', root: '' });
  });
});

describe('checkEntryName with workspaces and project files', () => {
  const ok: Array<[string, string, string]> = [
    ['node_modules/x', 'node_modules/x', 'node_modules'],
    ['./packages/a/node_modules/ms/index.js', 'packages/a/node_modules/ms/index.js', 'packages/a/node_modules'],
    ['vendor/local/node_modules/y', 'vendor/local/node_modules/y', 'vendor/local/node_modules'],
    ['packages/a/node_modules', 'packages/a/node_modules', 'packages/a/node_modules'],
    ['lib/index.js', 'lib/index.js', ''],
    ['public/mockServiceWorker.js', 'public/mockServiceWorker.js', ''],
    ['.husky/_/h', '.husky/_/h', ''],
    ['packages/a/dist/package.json', 'packages/a/dist/package.json', ''],
  ];
  it.each(ok)('accepts %j as %j under %j', (name, path, root) => {
    expect(checkEntryName(name, WORKSPACES, 4096)).toEqual({ path, root });
  });

  const refused: Array<[string, RegExp]> = [
    ['packages/c/node_modules/x', /lockfile expects \(packages\/c\/node_modules is not one\)/],
    ['src/node_modules/evil/index.js', /lockfile expects/],
    ['packages/node_modules/x', /lockfile expects/],
    ['packages/a/../../node_modules/x', /\.\./],
    ['/home/node/project/lib/x', /absolute/],
    ['package.json', /never comes back/],
    ['package-lock.json', /never comes back/],
    ['npm-shrinkwrap.json', /never comes back/],
    ['packages/a/package.json', /never comes back/],
    ['vendor/local/package-lock.json', /never comes back/],
    ['.git/config', /\.git/],
    ['.git/hooks/post-checkout', /\.git/],
    ['packages/a/.git/config', /\.git/],
    ['.npmrc', /decoy/],
    ['packages/b/.npmrc', /decoy/],
    ['.yarnrc.yml', /without its credentials/],
    ['.env', /decoy/],
    ['.env.production', /decoy/],
    ['safe-install.config.yaml', /policy/],
    ['safe-install.config.json', /policy/],
    ['packages/a/safe-install.config.yml', /policy/],
  ];
  it.each(refused)('refuses %j', (name, reason) => {
    const checked = checkEntryName(name, WORKSPACES, 4096);
    expect(checked).not.toHaveProperty('path');
    expect((checked as { reason: string }).reason).toMatch(reason);
  });

  it('refuses project files when the scope does not take them', () => {
    expect(checkEntryName('lib/index.js', ROOT_ONLY, 4096)).toEqual({ reason: 'outside node_modules' });
  });
});

/** An install job's scope: any node_modules (narrowed later, from the lockfile that comes back), and the root's manifests. */
const INSTALL_JOB = exportScope([], { projectFiles: true, anyFolder: true, manifests: ['package.json', 'package-lock.json'] });

describe('checkEntryName for an install job (the lockfile comes back)', () => {
  it.each([
    ['package.json', ''],
    ['package-lock.json', ''],
    ['node_modules/left-pad/index.js', 'node_modules'],
    ['packages/new/node_modules/x', 'packages/new/node_modules'],
  ])('accepts %j under %j', (name, root) => {
    expect(checkEntryName(name, INSTALL_JOB, 4096)).toEqual({ path: name, root });
  });

  it.each([
    ['npm-shrinkwrap.json', /never comes back/],
    ['packages/a/package.json', /never comes back/],
    ['lib/package-lock.json', /never comes back/],
    ['.npmrc', /decoy/],
    ['safe-install.config.yaml', /policy/],
    ['../package.json', /\.\./],
    ['node_modules/../package.json', /\.\./],
  ])('refuses %j', (name, reason) => {
    expect((checkEntryName(name, INSTALL_JOB, 4096) as { reason: string }).reason).toMatch(reason);
  });

  it('takes the manifests only when the scope names them (ci never does)', () => {
    expect((checkEntryName('package.json', exportScope([], { projectFiles: true, anyFolder: true }), 4096) as { reason: string }).reason).toMatch(/never comes back/);
  });
});

describe('extractSafely: several roots and project files', () => {
  it(
    'brings back every expected node_modules and the project files, with their hashes',
    async () => {
      const result = await extract(
        [
          dir('./node_modules/'),
          file('./node_modules/ms/index.js', 'root ms'),
          symlinkEntry('./node_modules/a', '../packages/a'),
          dir('./packages/a/node_modules/'),
          file('./packages/a/node_modules/ms/index.js', 'nested ms'),
          symlinkEntry('./packages/a/node_modules/b', '../../b'),
          file('./lib/built.js', 'built', { mode: 0o755 }),
          symlinkEntry('./lib/current', 'built.js'),
        ],
        { scope: WORKSPACES },
      );
      expect(result.issues).toEqual([]);
      expect(result.roots).toEqual(['node_modules', 'packages/a/node_modules']);
      expect(result.projectFiles).toEqual([
        { path: 'lib/built.js', type: 'file', sha256: createHash('sha256').update('built').digest('hex'), bytes: 5, mode: 0o755 },
        { path: 'lib/current', type: 'symlink', bytes: 0, mode: 0o777, target: 'built.js' },
      ]);
      expect(await readFile(join(target, 'packages/a/node_modules/ms/index.js'), 'utf8')).toBe('nested ms');
      await assertContained();
    },
    TIMEOUT,
  );

  it(
    'refuses hostile entries for the new roots and keeps everything inside',
    async () => {
      const result = await extract(
        [
          dir('./node_modules/'),
          file('./node_modules/x', 'x'),
          file('./packages/a/node_modules/../../../escape', 'e'),
          file('/etc/cron.d/evil', 'e'),
          file('./src/node_modules/evil/index.js', 'e'),
          file('./packages/zzz/node_modules/q', 'e'),
          symlinkEntry('./packages/a/node_modules/out', '../../../../outside'),
          symlinkEntry('./packages/a/node_modules/up', '../../../..'),
          symlinkEntry('./lib/out', '../../victim/secret'),
          file('./packages/a/node_modules/y', 'y'),
          hardlink('./packages/a/node_modules/cross', 'node_modules/x'),
          hardlink('./lib/cross', 'node_modules/x'),
          file('./lib/f', 'f'),
          hardlink('./lib/g', 'lib/f'),
          file('./package.json', '{"scripts":{"postinstall":"evil"}}'),
          file('./packages/b/package-lock.json', '{}'),
          file('./.git/hooks/pre-commit', 'evil'),
          file('./.npmrc', '//registry/:_authToken=decoy'),
          dir('./lib/emptydir/'),
        ],
        { scope: WORKSPACES },
      );
      for (const [path, reason] of [
        ['./packages/a/node_modules/../../../escape', /\.\./],
        ['/etc/cron.d/evil', /absolute/],
        ['./src/node_modules/evil/index.js', /lockfile expects/],
        ['./packages/zzz/node_modules/q', /lockfile expects/],
        ['packages/a/node_modules/out', /symlink points outside/],
        ['packages/a/node_modules/up', /symlink points outside/],
        ['lib/out', /symlink points outside/],
        ['packages/a/node_modules/cross', /hard link across export roots/],
        ['lib/cross', /link entries outside node_modules are not exported/],
        ['lib/g', /link entries outside node_modules are not exported/],
        ['./package.json', /never comes back/],
        ['./packages/b/package-lock.json', /never comes back/],
        ['./.git/hooks/pre-commit', /\.git/],
        ['./.npmrc', /decoy/],
        ['lib/emptydir', /directory entries outside node_modules/],
      ] as Array<[string, RegExp]>) {
        expectRejected(result, path, reason);
      }
      expect(result.roots).toEqual(['node_modules', 'packages/a/node_modules']);
      expect(result.projectFiles.map((f) => f.path)).toEqual(['lib/f']);
      expect(await exists(join(target, 'package.json'))).toBe(false);
      expect(await exists(join(target, '.git'))).toBe(false);
      expect(await exists(join(target, 'src'))).toBe(false);
      await assertContained();
    },
    TIMEOUT,
  );

  it(
    'refuses a root that is not a folder',
    async () => {
      const result = await extract([file('./packages/a/node_modules', 'x'), file('./packages/a/node_modules/y', 'y')], { scope: WORKSPACES });
      expectRejected(result, 'packages/a/node_modules', /must be a directory/);
      // The refused entry left no file behind: the folder is made as the next entry's parent.
      expect((await lstat(join(target, 'packages/a/node_modules'))).isDirectory()).toBe(true);
      await assertContained();
    },
    TIMEOUT,
  );
});

describe('extractSafely: many refused entries', () => {
  it(
    'lists the first issues and counts the rest in one',
    async () => {
      const entries = [dir('node_modules'), ...Array.from({ length: 1200 }, (_, i) => file(`src/node_modules/x/f${i}`, 'x'))];
      const result = await extract(entries, { scope: WORKSPACES });
      expect(result.issues).toHaveLength(1001);
      expect(result.issues[1000]).toEqual({ path: '…', action: 'rejected', reason: '200 more entries refused or changed (not listed)' });
      await assertContained();
    },
    TIMEOUT,
  );
});
