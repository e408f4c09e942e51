/**
 * The manifest and lockfile an install job (`install`, `update`) brings back from the sandbox, and
 * the node_modules folders that may come back with them. Both files were written inside the
 * sandbox, where install code ran: they are hostile input like the rest of the export. Each must
 * be a regular file (never a symlink), at most MAX_MANIFEST_BYTES, a JSON object, and together they
 * must pass the same lockfile check as a project's own (`checkLockfile`: in sync, no folder or
 * tarball outside the project). Which node_modules folders may come back is then computed from
 * the lockfile that came back, and the staged tree is narrowed to them (`narrowStaged`).
 */
import { constants } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SafeInstallError, sanitizeText } from '@safe-install/schema';
import { checkLockfile, type LockfileSummary } from '../project/lockfile.js';
import { MAX_MANIFEST_BYTES } from '../project/read-project.js';
import type { ExportIssue, ExportScope } from './extract-safely.js';
import type { StagedExport } from './swap-in.js';

export interface ReturnedManifests {
  manifest: Record<string, unknown>;
  manifestBytes: Buffer;
  lockBytes: Buffer;
  lockfile: LockfileSummary;
}

/** The export is refused, and the project left as it was. */
export const refusedExport = (why: string) =>
  new SafeInstallError('EXPORT_REJECTED', 'infrastructure', `the sandbox's export was refused: ${why}`, {
    hint: 'the project was not changed; the report and the trace show what the install did',
  });

/**
 * A file of the staged tree: its bytes, or null when it did not come back (it did not change).
 * Opened without following a symlink, checked to be a regular file and size-capped on the handle.
 */
export async function stagedFile(tree: string, name: string, maxBytes: number): Promise<Buffer | null> {
  let handle;
  try {
    handle = await open(join(tree, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw refusedExport(`the ${name} that came back is a symlink`);
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw refusedExport(`the ${name} that came back is not a regular file`);
    if (info.size > maxBytes) throw refusedExport(`the ${name} that came back is larger than ${maxBytes} bytes`);
    const content = await handle.readFile();
    // It could not have grown (the staging folder is ours), but the bound is the point: check what was read.
    if (content.length > maxBytes) throw refusedExport(`the ${name} that came back is larger than ${maxBytes} bytes`);
    return content;
  } finally {
    await handle.close();
  }
}

/** A returned JSON file (hostile input) that must be an object. */
export function returnedJsonObject(content: Buffer, name: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(content.toString('utf8'));
  } catch (error) {
    throw refusedExport(`the ${name} that came back is not valid JSON (${sanitizeText((error as Error).message, 200)})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw refusedExport(`the ${name} that came back is not a JSON object`);
  return value as Record<string, unknown>;
}

/**
 * The manifest and lockfile as the install left them: those in the staged tree, or the project's
 * own (`current`) where none came back. Throws EXPORT_REJECTED for anything but a usable pair.
 */
export async function readReturnedManifests(
  staged: Pick<StagedExport, 'tree'>,
  current: { lockfileName: string; manifest: Buffer; lockfile: Buffer | null },
  options: { maxBytes?: number } = {},
): Promise<ReturnedManifests> {
  const maxBytes = options.maxBytes ?? MAX_MANIFEST_BYTES;
  const manifestBytes = (await stagedFile(staged.tree, 'package.json', maxBytes)) ?? current.manifest;
  const lockBytes = (await stagedFile(staged.tree, current.lockfileName, maxBytes)) ?? current.lockfile;
  // A project that had none: the install must have written one.
  if (lockBytes === null) throw refusedExport(`no ${current.lockfileName} came back`);
  const manifest = returnedJsonObject(manifestBytes, 'package.json');
  const lock = returnedJsonObject(lockBytes, current.lockfileName);
  let lockfile: LockfileSummary;
  try {
    lockfile = checkLockfile(manifest, lock, current.lockfileName);
  } catch (error) {
    throw refusedExport(`the lockfile that came back: ${(error as Error).message}`);
  }
  return { manifest, manifestBytes, lockBytes, lockfile };
}

/** The package folder a node_modules root belongs to (`packages/a/node_modules` -> `packages/a`). */
const folderOf = (root: string): string => (root === 'node_modules' ? '' : root.slice(0, -'/node_modules'.length));

/**
 * The staged export with only the node_modules folders `scope` (from the lockfile that came back)
 * expects: every other one is removed from the staging tree and reported as a refused entry.
 */
export async function narrowStaged(staged: StagedExport, scope: ExportScope): Promise<StagedExport> {
  const kept: string[] = [];
  const issues: ExportIssue[] = [];
  for (const root of staged.extract.roots) {
    if (scope.folders.has(folderOf(root)) || scope.optionalFolders?.has(folderOf(root)) === true) {
      kept.push(root);
      continue;
    }
    await rm(join(staged.tree, root), { recursive: true, force: true });
    issues.push({ path: root, action: 'rejected', reason: 'outside node_modules folders the lockfile that came back expects' });
  }
  if (issues.length === 0) return staged;
  return { ...staged, extract: { ...staged.extract, roots: kept, issues: [...staged.extract.issues, ...issues] } };
}
