/**
 * The thin writer of learn mode: with `load-policy.ts`, the only module of this package that
 * touches the file system. It learns from a trace into the policy a run loaded and writes the
 * result back to where that policy lives (`LoadedPolicy.location`, an absolute path: never the
 * current folder), in that file's own format.
 */
import { randomBytes } from 'node:crypto';
import { chmod, lstat, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { TraceEvent } from '@safe-install/schema';
import { SafeInstallError } from '@safe-install/schema';
import type { LearnOptions, LearnResult } from './learn/learn-policy.js';
import { learnPolicy } from './learn/learn-policy.js';
import { learnedPolicyText } from './learn/policy-text.js';
import type { LoadedPolicy } from './load-policy.js';
import { PACKAGE_JSON_KEY } from './load-policy.js';

export interface SavedPolicy {
  /** The file the policy lives in (package.json for its `safeInstall` key). */
  path: string;
  /** False when the learned policy is the file as it was (nothing applied): it was not written. */
  written: boolean;
  learned: LearnResult;
}

/**
 * Learn from `events` into `loaded`'s policy and write it where it lives. Refuses (exit 2) to
 * write through a symbolic link, or over a file that changed since it was loaded — an edit made
 * during the install, or a script's export into the project — rather than lose either.
 */
export async function learnIntoPolicy(
  loaded: Pick<LoadedPolicy, 'document' | 'source' | 'location'>,
  events: readonly TraceEvent[],
  options: Omit<LearnOptions, 'existingText' | 'existingFile'> = {},
): Promise<SavedPolicy> {
  const { location, source } = loaded;
  const existingFile = source.kind === 'none' ? undefined : source.kind === 'file' ? source.file : `${source.file} "${PACKAGE_JSON_KEY}"`;
  const learned = learnPolicy(events, loaded.document, {
    ...options,
    ...(existingFile === undefined ? {} : { existingFile }),
    ...(location.format === 'yaml' && location.text !== null ? { existingText: location.text } : {}),
  });
  const text = learnedPolicyText(location, learned);
  if (text === location.text) return { path: location.path, written: false, learned };

  const current = await currentFile(location.path);
  if (current !== null && current.link) {
    throw new SafeInstallError('POLICY_NOT_WRITTEN', 'usage', `${location.path} is a symbolic link; learn mode writes only the file itself`, {
      hint: 'pass the file it points to with --policy',
    });
  }
  if ((current?.text ?? null) !== location.text) {
    throw new SafeInstallError('POLICY_NOT_WRITTEN', 'usage', `${location.path} changed while the install ran; the learned policy was not written`, {
      hint: 'run policy learn again on the file as it is now',
    });
  }
  await replaceFile(location.path, text, current?.mode);
  return { path: location.path, written: true, learned };
}

async function currentFile(path: string): Promise<{ text: string; mode: number; link: boolean } | null> {
  try {
    const info = await lstat(path);
    if (info.isSymbolicLink()) return { text: '', mode: 0, link: true };
    return { text: await readFile(path, 'utf8'), mode: info.mode & 0o7777, link: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Write beside the file, then rename over it: a crash leaves the old file or the new, never half
 * of one; a link at `path` is replaced, never written through. (Also approve's writer.)
 */
export async function replaceFile(path: string, text: string, mode: number | undefined): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  await writeFile(temp, text, { flag: 'wx' });
  try {
    if (mode !== undefined) await chmod(temp, mode);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
