/**
 * Package tarballs on the host, for `analyze`: the manifest of a `.tgz` (which name to depend on),
 * a folder packed as npm would pack it, and a bounded reader of plain tar streams (files copied out
 * of a sandbox). Every input here is hostile: sizes, counts and names are bounded, only regular
 * files are read, links and devices are skipped.
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip, gzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { SafeInstallError } from '@safe-install/schema';
import { packFiles, type ArchiveFile } from './pack-files.js';

export const PACKAGE_TARBALL_LIMITS = { tarballBytes: 256 * 1024 * 1024, manifestBytes: 1024 * 1024, folderFiles: 20_000, folderBytes: 256 * 1024 * 1024 } as const;

/** Folders npm never packs. */
const SKIPPED = new Set(['node_modules', '.git', '.hg', '.svn']);

function invalid(message: string): SafeInstallError {
  return new SafeInstallError('ANALYZE_PACKAGE_INVALID', 'usage', message);
}

function parseManifest(bytes: Buffer, where: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid(`${where}: package.json is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`${where}: package.json is not a JSON object`);
  return value as Record<string, unknown>;
}

/** The package.json of a package tarball (`<top folder>/package.json`, as npm reads it), bounded. */
export async function readTarballManifest(path: string): Promise<Record<string, unknown>> {
  const info = await lstat(path).catch(() => null);
  if (!info?.isFile()) throw invalid(`${path} is not a file`);
  if (info.size > PACKAGE_TARBALL_LIMITS.tarballBytes) throw invalid(`${path} is larger than ${PACKAGE_TARBALL_LIMITS.tarballBytes} bytes`);
  const tar = extract();
  const source = createReadStream(path);
  const gunzip = createGunzip();
  let found: Buffer | null = null;
  let bytesIn = 0;
  const done = new Promise<void>((resolve, reject) => {
    tar.on('entry', (header, stream, next) => {
      const parts = header.name.replace(/^\.\//, '').split('/').filter((part) => part !== '');
      if (found !== null || header.type !== 'file' || parts.length !== 2 || parts[1] !== 'package.json' || (header.size ?? 0) > PACKAGE_TARBALL_LIMITS.manifestBytes) {
        stream.on('end', next).resume();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: unknown) => chunks.push(chunk as Buffer));
      stream.on('end', () => {
        found = Buffer.concat(chunks);
        // Nothing else is needed: stop reading.
        source.destroy();
        resolve();
      });
    });
    tar.on('finish', () => resolve());
    tar.on('error', reject);
    gunzip.on('error', (error) => reject(invalid(`${path} is not a gzip'd tarball (${error.message})`)));
    source.on('error', reject);
    gunzip.on('data', (chunk: Buffer) => {
      bytesIn += chunk.length;
      // A gzip bomb: more unpacked than any package tarball holds.
      if (bytesIn > PACKAGE_TARBALL_LIMITS.tarballBytes * 4) {
        source.destroy();
        reject(invalid(`${path} unpacks to more than ${PACKAGE_TARBALL_LIMITS.tarballBytes * 4} bytes`));
      }
    });
  });
  source.pipe(gunzip).pipe(tar as unknown as NodeJS.WritableStream);
  await done;
  if (found === null) throw invalid(`${path} holds no package.json in its top folder`);
  return parseManifest(found, path);
}

/** The package.json of a package folder. */
export async function readFolderManifest(dir: string): Promise<Record<string, unknown>> {
  const path = join(dir, 'package.json');
  const info = await lstat(path).catch(() => null);
  if (!info?.isFile()) throw invalid(`${dir} has no package.json`);
  if (info.size > PACKAGE_TARBALL_LIMITS.manifestBytes) throw invalid(`${path} is larger than ${PACKAGE_TARBALL_LIMITS.manifestBytes} bytes`);
  return parseManifest(await readFile(path), dir);
}

/**
 * A folder as a package tarball (`package/…`, gzip'd): its regular files, without node_modules or
 * VCS folders; links are skipped (npm packs none either). Bounded in files and bytes.
 */
export async function packFolder(dir: string): Promise<Buffer> {
  const files: ArchiveFile[] = [];
  let total = 0;
  const walk = async (relative: string): Promise<void> => {
    for (const entry of await readdir(join(dir, relative), { withFileTypes: true })) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!SKIPPED.has(entry.name)) await walk(path);
        continue;
      }
      if (!entry.isFile()) continue;
      const info = await lstat(join(dir, path));
      total += info.size;
      if (files.length >= PACKAGE_TARBALL_LIMITS.folderFiles) throw invalid(`${dir} has more than ${PACKAGE_TARBALL_LIMITS.folderFiles} files`);
      if (total > PACKAGE_TARBALL_LIMITS.folderBytes) throw invalid(`${dir} holds more than ${PACKAGE_TARBALL_LIMITS.folderBytes} bytes`);
      // Executable bits kept (bins), nothing else.
      files.push({ path: `package/${path}`, content: await readFile(join(dir, path)), mode: info.mode & 0o111 ? 0o755 : 0o644 });
    }
  };
  await walk('');
  const chunks: Buffer[] = [];
  for await (const chunk of packFiles(files, { uid: 0, gid: 0 }) as AsyncIterable<Buffer>) chunks.push(chunk);
  return gzipSync(Buffer.concat(chunks));
}

/** A regular file read out of a tar stream. */
export interface TarFile {
  /** The entry's name, as tar wrote it (absolute paths lose their leading `/`). */
  name: string;
  content: Buffer;
  /** Its real size; `content` holds at most `maxFileBytes` of it. */
  size: number;
  truncated: boolean;
}

/**
 * Regular files of a plain tar stream, each kept up to `maxFileBytes`, at most `maxFiles` and
 * `maxTotalBytes` in all; every other entry (links, devices, folders) skipped.
 */
export async function readTarFiles(stream: Readable, limits: { maxFiles: number; maxFileBytes: number; maxTotalBytes: number }): Promise<TarFile[]> {
  const tar = extract();
  const files: TarFile[] = [];
  let kept = 0;
  const done = new Promise<void>((resolve, reject) => {
    tar.on('entry', (header, entry, next) => {
      if (header.type !== 'file' || files.length >= limits.maxFiles) {
        entry.on('end', next).resume();
        return;
      }
      const chunks: Buffer[] = [];
      let held = 0;
      const room = Math.max(0, Math.min(limits.maxFileBytes, limits.maxTotalBytes - kept));
      entry.on("data", (data: unknown) => {
        const chunk = data as Buffer;
        if (held >= room) return;
        const part = chunk.subarray(0, room - held);
        chunks.push(part);
        held += part.length;
      });
      entry.on('end', () => {
        kept += held;
        const size = header.size ?? held;
        files.push({ name: header.name, content: Buffer.concat(chunks), size, truncated: held < size });
        next();
      });
    });
    tar.on('finish', resolve);
    tar.on('error', reject);
    stream.on('error', reject);
  });
  (stream instanceof Readable ? stream : Readable.from(stream)).pipe(tar as unknown as NodeJS.WritableStream);
  await done;
  return files;
}
