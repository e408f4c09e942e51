/**
 * Yarn 1's folders, for attribution: Yarn 1 hoists, and its lockfile names no folders, so the
 * runner reads the installed tree — every package folder under node_modules and the `version` its
 * package.json states — at the start of the traced install step, after the layout step (scripts
 * off, nothing of the project's code run) put it in place and before any install code runs. The
 * lockfile decides who each folder is (`yarnLockedPackages`: the installed name's entry, the
 * stated version only choosing among the lockfile's versions of that name).
 *
 * The tree is the install user's: nothing is followed (links are skipped, only regular files read),
 * and the walk is bounded in folders, depth and bytes read.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PackageRef } from '@safe-install/schema';
import { MAX_YARN_LOCK_BYTES, parseYarnLock, safeRelativePath, yarnLockedPackages, type LockedPackages, type YarnInstalledFolder } from '@safe-install/tracer';

const MAX_FOLDERS = 200_000;
const MAX_DEPTH = 48;
const MAX_MANIFEST_BYTES = 1024 * 1024;

function manifestOf(dir: string): Record<string, unknown> | null {
  try {
    const path = join(dir, 'package.json');
    const info = lstatSync(path);
    if (!info.isFile() || info.size > MAX_MANIFEST_BYTES) return null;
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function isDirectory(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

function names(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Every real package folder under `<rel>/node_modules`, recursively (links skipped: workspaces are the project's). */
export function installedFolders(projectDir: string): YarnInstalledFolder[] {
  const out: YarnInstalledFolder[] = [];
  const walk = (rel: string, depth: number): void => {
    if (depth > MAX_DEPTH) return;
    const modules = rel === '' ? 'node_modules' : `${rel}/node_modules`;
    for (const name of names(join(projectDir, modules))) {
      if (name.startsWith('.')) continue;
      const children = name.startsWith('@') ? names(join(projectDir, modules, name)).map((inner) => `${name}/${inner}`) : [name];
      for (const child of children) {
        if (out.length >= MAX_FOLDERS) return;
        const path = `${modules}/${child}`;
        if (!isDirectory(join(projectDir, path))) continue;
        const version = manifestOf(join(projectDir, path))?.['version'];
        out.push(typeof version === 'string' ? { path, version } : { path });
        walk(path, depth + 1);
      }
    }
  };
  walk('', 0);
  return out;
}

/** The root's workspace patterns (`packages/*`, a plain folder), expanded one level, as Yarn 1 reads simple globs. */
export function workspaceFolders(projectDir: string, manifest: Record<string, unknown>): string[] {
  const field = manifest['workspaces'];
  const list = Array.isArray(field) ? field : typeof field === 'object' && field !== null && Array.isArray((field as Record<string, unknown>)['packages']) ? ((field as Record<string, unknown>)['packages'] as unknown[]) : [];
  const out = new Set<string>();
  for (const pattern of list.slice(0, 256)) {
    if (typeof pattern !== 'string') continue;
    const clean = pattern.replace(/^\.\//, '').replace(/\/+$/, '');
    const star = /^(.*)\/\*$/.exec(clean);
    const candidates = star === null ? [clean] : names(join(projectDir, star[1]!)).map((name) => `${star[1]}/${name}`);
    for (const candidate of candidates) {
      const folder = safeRelativePath(candidate);
      if (folder !== null && !folder.split('/').includes('node_modules') && isDirectory(join(projectDir, folder))) out.add(folder);
    }
  }
  return [...out].sort();
}

/** Yarn 1's identities for the project as it stands now; null when the lockfile is unreadable (the host refused it first). */
export function yarnLockfileOf(projectDir: string): LockedPackages | null {
  try {
    const path = join(projectDir, 'yarn.lock');
    const info = lstatSync(path);
    if (!info.isFile() || info.size > MAX_YARN_LOCK_BYTES) return null;
    const lock = parseYarnLock(readFileSync(path));
    const root = manifestOf(projectDir) ?? {};
    const projects = new Map<string, PackageRef>();
    const ref = (manifest: Record<string, unknown> | null): PackageRef | null => (typeof manifest?.['name'] === 'string' ? { name: manifest['name'], version: typeof manifest['version'] === 'string' ? manifest['version'] : '' } : null);
    const rootRef = ref(root);
    if (rootRef !== null) projects.set('', rootRef);
    for (const folder of workspaceFolders(projectDir, root)) {
      const own = ref(manifestOf(join(projectDir, folder)));
      if (own !== null) projects.set(folder, own);
    }
    return yarnLockedPackages(lock, installedFolders(projectDir), projects);
  } catch {
    return null;
  }
}
