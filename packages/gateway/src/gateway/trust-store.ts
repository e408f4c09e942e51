/**
 * The sandbox's trust store, written by the gateway (which alone holds the run CA's key) into a
 * folder the sandbox mounts read-only in place of the image's own: the image's certificates, and
 * the run's CA added to the bundle, as on a machine with an organisation's CA installed.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrustStoreConfig } from '../config.js';

/**
 * Copies a certificate folder (files and symlinks; no subfolders there) and appends `pem` to its
 * bundle on a line of its own, as update-ca-certificates leaves it.
 */
export function writeTrustStore(store: TrustStoreConfig, pem: string): void {
  mkdirSync(store.into, { recursive: true });
  for (const entry of readdirSync(store.from, { withFileTypes: true })) {
    const target = join(store.into, entry.name);
    if (entry.isSymbolicLink()) {
      rmSync(target, { force: true });
      symlinkSync(readlinkSync(join(store.from, entry.name)), target);
    } else if (entry.isFile()) copyFileSync(join(store.from, entry.name), target);
  }
  const bundle = join(store.into, store.bundle);
  let existing = '';
  try {
    existing = readFileSync(bundle, 'utf8');
  } catch {
    // no bundle in the image: it is made
  }
  // Replaced by a rename, never rewritten in place: a reader (the sandbox may already have the
  // folder mounted) sees the old bundle or the new one, not half of it. A symlink in its place
  // (into the read-only image) is replaced the same way.
  const temporary = join(store.into, `.${store.bundle}.new`);
  writeFileSync(temporary, `${existing}${existing === '' || existing.endsWith('\n') ? '' : '\n'}${pem}`, { mode: 0o644 });
  renameSync(temporary, bundle);
}
