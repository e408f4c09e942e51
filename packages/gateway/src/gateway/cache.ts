/**
 * The registry cache, persistent across runs (a named volume in the gateway container). Bodies are
 * stored once, by their sha512 (the integrity npm checks); a small index entry per key (a tarball
 * URL, or a packument URL and format) points at the body. Every write is a temporary file renamed
 * into place, so concurrent gateways sharing the volume, or a crash mid-download, never leave a
 * half-written body or index entry behind.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

export interface CacheEntry {
  key: string;
  /** `sha512-<base64>` of the body, as in npm's `dist.integrity`. */
  integrity: string;
  size: number;
  contentType: string;
  etag?: string;
  /** When the body was fetched or last revalidated (ms since epoch). */
  storedAt: number;
}

const LAYOUT = 'v1';

function hexOf(integrity: string): string {
  return Buffer.from(integrity.replace(/^sha512-/, ''), 'base64').toString('hex');
}

export class RegistryCache {
  constructor(private readonly dir: string) {}

  #indexPath(key: string): string {
    const hash = createHash('sha256').update(key).digest('hex');
    return join(this.dir, LAYOUT, 'index', hash.slice(0, 2), `${hash}.json`);
  }

  blobPath(integrity: string): string {
    const hex = hexOf(integrity);
    return join(this.dir, LAYOUT, 'blobs', 'sha512', hex.slice(0, 2), hex);
  }

  #tempPath(): string {
    return join(this.dir, LAYOUT, 'tmp', randomBytes(12).toString('hex'));
  }

  async #writeAtomically(path: string, content: string | Buffer): Promise<void> {
    const temp = this.#tempPath();
    await mkdir(join(this.dir, LAYOUT, 'tmp'), { recursive: true });
    await writeFile(temp, content, { mode: 0o600 });
    await mkdir(join(path, '..'), { recursive: true });
    await rename(temp, path);
  }

  /** The entry for `key` when its body is present; null otherwise (a damaged entry counts as absent). */
  async lookup(key: string): Promise<CacheEntry | null> {
    let entry: CacheEntry;
    try {
      entry = JSON.parse(await readFile(this.#indexPath(key), 'utf8')) as CacheEntry;
    } catch {
      return null;
    }
    if (entry.key !== key || typeof entry.integrity !== 'string' || !entry.integrity.startsWith('sha512-')) return null;
    try {
      const info = await stat(this.blobPath(entry.integrity));
      if (info.size !== entry.size) return null;
    } catch {
      return null;
    }
    return entry;
  }

  async readBody(entry: CacheEntry): Promise<Buffer> {
    return readFile(this.blobPath(entry.integrity));
  }

  async #putEntry(entry: CacheEntry): Promise<void> {
    await this.#writeAtomically(this.#indexPath(entry.key), `${JSON.stringify(entry)}\n`);
  }

  /** Stores a body held in memory (packuments). */
  async storeBuffer(key: string, body: Buffer, meta: { contentType: string; etag?: string }): Promise<CacheEntry> {
    const integrity = `sha512-${createHash('sha512').update(body).digest('base64')}`;
    const blob = this.blobPath(integrity);
    try {
      await stat(blob);
    } catch {
      await this.#writeAtomically(blob, body);
    }
    const entry: CacheEntry = { key, integrity, size: body.length, contentType: meta.contentType, storedAt: Date.now(), ...(meta.etag ? { etag: meta.etag } : {}) };
    await this.#putEntry(entry);
    return entry;
  }

  /** Streams a body to disk while hashing it (tarballs); at most `maxBytes`. */
  async storeStream(key: string, body: Readable, meta: { contentType: string; maxBytes: number }): Promise<CacheEntry> {
    await mkdir(join(this.dir, LAYOUT, 'tmp'), { recursive: true });
    const temp = this.#tempPath();
    const hash = createHash('sha512');
    let size = 0;
    const out = createWriteStream(temp, { mode: 0o600 });
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > meta.maxBytes) throw new Error(`body larger than ${meta.maxBytes} bytes`);
        hash.update(chunk);
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      }
      await new Promise<void>((resolve, reject) => {
        out.once('error', reject);
        out.end(() => resolve());
      });
      const integrity = `sha512-${hash.digest('base64')}`;
      const blob = this.blobPath(integrity);
      await mkdir(join(blob, '..'), { recursive: true });
      await rename(temp, blob);
      const entry: CacheEntry = { key, integrity, size, contentType: meta.contentType, storedAt: Date.now() };
      await this.#putEntry(entry);
      return entry;
    } catch (error) {
      out.destroy();
      await rm(temp, { force: true });
      throw error;
    }
  }

  /** Marks an entry fresh again (after a 304 from the upstream). */
  async touch(entry: CacheEntry): Promise<CacheEntry> {
    const fresh = { ...entry, storedAt: Date.now() };
    await this.#putEntry(fresh);
    return fresh;
  }
}
