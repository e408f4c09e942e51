/**
 * Seals a tool a step fetched into HOME (pnpm 11's standalone executable and its `dist/`): the
 * runner, as root, makes every file and folder of it root-owned and read-only, and hard-links each
 * program into place execute-only. The install user's scripts then can neither rewrite what the
 * package manager loads later (pnpm's worker.js, its node-gyp) nor read or ptrace the running
 * manager: a process running a program its user cannot read is not dumpable.
 *
 * It runs between steps, when none of the install user's processes is left (the runner made sure),
 * on what npm alone wrote with scripts off — still, nothing is trusted: no symbolic link is ever
 * followed (a folder on the way that is one fails the seal), and a file with another name elsewhere
 * (a hard link the walk would re-own behind its other name) fails it too.
 */
import { chmodSync, chownSync, lchownSync, linkSync, lstatSync, readdirSync, unlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { ToolSeal } from '@safe-install/schema';

/** More entries than any package manager ships (pnpm 11's @pnpm/exe has about 600): a runaway tree fails. */
export const MAX_SEALED_ENTRIES = 50_000;

export class ToolSealError extends Error {
  constructor(dir: string, why: string) {
    super(`sealing the tool folder ${dir}: ${why}`);
    this.name = 'ToolSealError';
  }
}

/** lstat each segment below `base`: every one a real folder (the last one too unless `file`). */
function walkDown(base: string, relative: string, dir: string, last: 'folder' | 'file' | 'any'): { path: string; info: Stats | undefined } {
  const segments = relative.split('/');
  let path = base;
  let info: Stats | undefined;
  for (const [index, segment] of segments.entries()) {
    path = join(path, segment);
    info = lstatSync(path, { throwIfNoEntry: false });
    const final = index === segments.length - 1;
    if (final && last === 'any') break;
    if (info === undefined) throw new ToolSealError(dir, `${relative} is missing`);
    if (!final || last === 'folder') {
      if (!info.isDirectory()) throw new ToolSealError(dir, `${path} is not a folder (a link is never followed)`);
    } else if (!info.isFile()) {
      throw new ToolSealError(dir, `${relative} is not a regular file`);
    }
  }
  return { path, info };
}

/**
 * Seal `seal.dir` (relative to `home`). `owner` is root in the sandbox; tests pass their own uid.
 * Returns how many entries it re-owned.
 */
export function sealTool(home: string, seal: ToolSeal, owner: { uid: number; gid: number } = { uid: 0, gid: 0 }): { entries: number } {
  const root = walkDown(home, seal.dir, seal.dir, 'folder').path;
  const programs = new Set<number>();
  for (const { from, to } of seal.programs) {
    const source = walkDown(root, from, seal.dir, 'file');
    if (source.info!.nlink !== 1 && !programs.has(source.info!.ino)) throw new ToolSealError(seal.dir, `${from} has another name elsewhere`);
    const target = walkDown(root, to, seal.dir, 'any');
    if (target.info !== undefined) {
      // The package's placeholder (a small script) is replaced, as its own postinstall would do.
      if (!target.info.isFile() || target.info.nlink !== 1) throw new ToolSealError(seal.dir, `${to} is not a plain file to replace`);
      unlinkSync(target.path);
    }
    linkSync(source.path, target.path);
    programs.add(source.info!.ino);
  }
  let entries = 0;
  const folders = [root];
  while (folders.length > 0) {
    const folder = folders.pop()!;
    chownSync(folder, owner.uid, owner.gid);
    chmodSync(folder, 0o555);
    for (const name of readdirSync(folder)) {
      if (++entries > MAX_SEALED_ENTRIES) throw new ToolSealError(seal.dir, `more than ${MAX_SEALED_ENTRIES} entries`);
      const path = join(folder, name);
      const info = lstatSync(path);
      if (info.isSymbolicLink()) {
        // npm's .bin links: re-owned themselves, never what they point at.
        lchownSync(path, owner.uid, owner.gid);
      } else if (info.isDirectory()) {
        folders.push(path);
      } else if (info.isFile()) {
        const program = programs.has(info.ino);
        if (info.nlink !== 1 && !program) throw new ToolSealError(seal.dir, `${path} has another name elsewhere`);
        chownSync(path, owner.uid, owner.gid);
        chmodSync(path, program ? 0o111 : info.mode & 0o111 ? 0o555 : 0o444);
      } else {
        throw new ToolSealError(seal.dir, `${path} is neither a file, a folder nor a link`);
      }
    }
  }
  return { entries };
}
