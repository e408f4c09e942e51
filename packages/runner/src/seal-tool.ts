/**
 * Seals a tool a step fetched into HOME (pnpm 11's standalone executable and its `dist/`): the
 * runner, as root, copies it into a folder of its own in the sticky /tmp — root-owned because root
 * creates it (root in the sandbox has no CAP_CHOWN nor CAP_DAC_OVERRIDE: it can neither re-own the
 * install user's files nor write into the install user's folders), read-only, each program
 * execute-only. The install user's scripts then can neither rewrite what the package manager loads
 * later (pnpm's worker.js, its node-gyp) nor rename the folder away (sticky /tmp), nor read or
 * ptrace the running manager: a process running a program its user cannot read is not dumpable.
 *
 * It runs between steps, when none of the install user's processes is left (the runner made sure),
 * on what npm alone wrote with scripts off — still, nothing is trusted: no symbolic link is copied
 * or followed (a folder on the way that is one fails the seal), only regular files and folders are
 * copied, sizes and counts are bounded, and the copy's folder must not exist yet.
 */
import { chmodSync, closeSync, constants, lstatSync, mkdirSync, openSync, readdirSync, readSync, writeSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { ToolSeal } from '@safe-install/schema';

/** More entries than any package manager ships (pnpm 11's folder has about 700): a runaway tree fails. */
export const MAX_SEALED_ENTRIES = 50_000;
/** More bytes than any package manager ships (pnpm 11's binary is 147 MB). */
export const MAX_SEALED_BYTES = 1024 ** 3;

export class ToolSealError extends Error {
  constructor(dir: string, why: string) {
    super(`sealing the tool folder ${dir}: ${why}`);
    this.name = 'ToolSealError';
  }
}

/** lstat each segment below `base`: every one a real folder, the last one a folder or a regular file. */
function walkDown(base: string, relative: string, dir: string, last: 'folder' | 'file'): { path: string; info: Stats } {
  const segments = relative.split('/');
  let path = base;
  let info: Stats | undefined;
  for (const [index, segment] of segments.entries()) {
    path = join(path, segment);
    info = lstatSync(path, { throwIfNoEntry: false });
    if (info === undefined) throw new ToolSealError(dir, `${relative} is missing`);
    if (index < segments.length - 1 || last === 'folder') {
      if (!info.isDirectory()) throw new ToolSealError(dir, `${path} is not a folder (a link is never followed)`);
    } else if (!info.isFile()) {
      throw new ToolSealError(dir, `${relative} is not a regular file`);
    }
  }
  return { path, info: info! };
}

/** Copy one regular file's bytes (O_NOFOLLOW on the source; the target is new: O_EXCL). */
function copyFile(source: string, target: string, mode: number, budget: { bytes: number }, dir: string): void {
  const input = openSync(source, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const output = openSync(target, 'wx', 0o600);
    try {
      const chunk = Buffer.allocUnsafe(1024 * 1024);
      for (;;) {
        const read = readSync(input, chunk, 0, chunk.length, null);
        if (read === 0) break;
        budget.bytes -= read;
        if (budget.bytes < 0) throw new ToolSealError(dir, `more than ${MAX_SEALED_BYTES} bytes`);
        for (let done = 0; done < read; ) done += writeSync(output, chunk, done, read - done);
      }
    } finally {
      closeSync(output);
    }
  } finally {
    closeSync(input);
  }
  chmodSync(target, mode);
}

/**
 * Seal `seal.dir` (relative to `home`) into `<tmp>/<seal.into>`. Returns the sealed folder and how
 * many entries it copied.
 */
export function sealTool(home: string, tmp: string, seal: ToolSeal): { sealed: string; entries: number } {
  const root = walkDown(home, seal.dir, seal.dir, 'folder').path;
  // Programs are copied from their own (checked) file, in place of what the package has at `to`.
  const programs = new Map<string, string>();
  for (const { from, to } of seal.programs) programs.set(to, walkDown(root, from, seal.dir, 'file').path);
  const sealed = join(tmp, seal.into);
  // Not there yet: a folder the install user made would be the install user's.
  mkdirSync(sealed, { mode: 0o700 });
  const budget = { bytes: MAX_SEALED_BYTES };
  let entries = 0;
  const folders: string[] = [];
  const pending: string[] = [''];
  while (pending.length > 0) {
    const relative = pending.pop()!;
    const from = join(root, relative);
    const to = join(sealed, relative);
    folders.push(to);
    for (const name of readdirSync(from)) {
      if (++entries > MAX_SEALED_ENTRIES) throw new ToolSealError(seal.dir, `more than ${MAX_SEALED_ENTRIES} entries`);
      const path = relative === '' ? name : `${relative}/${name}`;
      const info = lstatSync(join(from, name));
      if (info.isSymbolicLink()) continue; // npm's .bin links: nothing the sealed tool needs.
      if (info.isDirectory()) {
        mkdirSync(join(to, name), { mode: 0o700 });
        pending.push(path);
      } else if (info.isFile()) {
        const program = programs.get(path);
        if (program !== undefined) continue; // written below, from its own source
        copyFile(join(from, name), join(to, name), info.mode & 0o111 ? 0o555 : 0o444, budget, seal.dir);
      } else {
        throw new ToolSealError(seal.dir, `${path} is neither a file, a folder nor a link`);
      }
    }
  }
  for (const [to, source] of programs) {
    const parent = to.includes('/') ? to.slice(0, to.lastIndexOf('/')) : '';
    if (parent !== '' && !lstatSync(join(sealed, parent), { throwIfNoEntry: false })?.isDirectory()) throw new ToolSealError(seal.dir, `${parent} is not a folder of the tool`);
    copyFile(source, join(sealed, to), 0o111, budget, seal.dir);
  }
  // Last, so that the copy could be written: deepest first does not matter to an owner.
  for (const folder of folders) chmodSync(folder, 0o555);
  return { sealed, entries };
}
