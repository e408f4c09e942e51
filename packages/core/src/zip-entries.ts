/**
 * Just enough of the zip format to read one small file out of a Yarn cache archive (PnP keeps a
 * package it did not unplug in `.yarn/cache/<slug>-<cacheKey>.zip`, as `node_modules/<name>/…`):
 * the end-of-central-directory record, the central directory, and one entry, stored or deflated.
 *
 * The archive came back from the sandbox (or is the project's own cache): untrusted. Only the tail
 * and the central directory are read (both bounded), an entry's data only when its sizes are
 * within the caller's bound, its offsets are checked against the file, and inflating stops at the
 * stated size. No zip64, no encryption, no multi-disk archives: Yarn writes none of them for a
 * package, and anything else is "not readable" (null), never an error.
 */
import { open } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** The EOCD record's size and the longest comment a zip may have after it. */
const EOCD_BYTES = 22;
const MAX_COMMENT = 0xffff;
/** Largest central directory read (a package of 100,000 files has about 10 MiB). */
export const MAX_CENTRAL_DIRECTORY_BYTES = 32 * 1024 * 1024;

export interface ZipEntry {
  name: string;
  /** 0: stored, 8: deflated; anything else is not read. */
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
  flags: number;
}

/** The entries of the archive at `path`, by name, or null when it is no zip this reader takes. */
export async function zipEntries(path: string): Promise<Map<string, ZipEntry> | null> {
  const file = await open(path, 'r').catch(() => null);
  if (file === null) return null;
  try {
    const { size, isFile } = await file.stat().then((info) => ({ size: info.size, isFile: info.isFile() }));
    if (!isFile || size < EOCD_BYTES) return null;
    const tailLength = Math.min(size, EOCD_BYTES + MAX_COMMENT);
    const tail = Buffer.alloc(tailLength);
    await file.read(tail, 0, tailLength, size - tailLength);
    let at = -1;
    for (let i = tailLength - EOCD_BYTES; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD && i + EOCD_BYTES + tail.readUInt16LE(i + 20) === tailLength) {
        at = i;
        break;
      }
    }
    if (at < 0) return null;
    const count = tail.readUInt16LE(at + 10);
    const cdSize = tail.readUInt32LE(at + 12);
    const cdOffset = tail.readUInt32LE(at + 16);
    // A disk number, or zip64's 0xffffffff markers: not an archive Yarn writes for a package.
    if (tail.readUInt16LE(at + 4) !== 0 || cdOffset === 0xffffffff || cdSize > MAX_CENTRAL_DIRECTORY_BYTES || cdOffset + cdSize > size - tailLength + at) return null;
    const cd = Buffer.alloc(cdSize);
    await file.read(cd, 0, cdSize, cdOffset);
    const entries = new Map<string, ZipEntry>();
    let offset = 0;
    for (let n = 0; n < count; n++) {
      if (offset + 46 > cdSize || cd.readUInt32LE(offset) !== CENTRAL) return null;
      const nameLength = cd.readUInt16LE(offset + 28);
      const extraLength = cd.readUInt16LE(offset + 30);
      const commentLength = cd.readUInt16LE(offset + 32);
      if (offset + 46 + nameLength + extraLength + commentLength > cdSize) return null;
      const name = cd.toString('utf8', offset + 46, offset + 46 + nameLength);
      entries.set(name, {
        name,
        flags: cd.readUInt16LE(offset + 8),
        method: cd.readUInt16LE(offset + 10),
        compressedSize: cd.readUInt32LE(offset + 20),
        size: cd.readUInt32LE(offset + 24),
        localOffset: cd.readUInt32LE(offset + 42),
      });
      offset += 46 + nameLength + extraLength + commentLength;
    }
    return entries;
  } finally {
    await file.close();
  }
}

/** The content of `entry` (from zipEntries of the same file), or null when it is larger than `maxBytes` or not readable. */
export async function readZipEntry(path: string, entry: ZipEntry, maxBytes: number): Promise<Buffer | null> {
  // Encrypted (bit 0), or a method other than stored and deflate.
  if ((entry.flags & 1) !== 0 || (entry.method !== 0 && entry.method !== 8)) return null;
  if (entry.size > maxBytes || entry.compressedSize > maxBytes) return null;
  const file = await open(path, 'r').catch(() => null);
  if (file === null) return null;
  try {
    const size = (await file.stat()).size;
    const header = Buffer.alloc(30);
    if (entry.localOffset + 30 > size) return null;
    await file.read(header, 0, 30, entry.localOffset);
    if (header.readUInt32LE(0) !== LOCAL) return null;
    const start = entry.localOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
    if (start + entry.compressedSize > size) return null;
    const data = Buffer.alloc(entry.compressedSize);
    await file.read(data, 0, entry.compressedSize, start);
    if (entry.method === 0) return entry.compressedSize === entry.size ? data : null;
    try {
      const out = inflateRawSync(data, { maxOutputLength: Math.max(1, entry.size) });
      return out.length === entry.size ? out : null;
    } catch {
      return null;
    }
  } finally {
    await file.close();
  }
}
