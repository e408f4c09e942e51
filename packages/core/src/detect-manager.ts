/**
 * Which package manager installs a project: from the lockfile in its root (the only thing that
 * says how the tree was resolved), or from `--pm`. Pure: the facts (the root's file names, the
 * head of `yarn.lock`) are read by `readManagerFacts`; `chooseManager` decides. Everything it
 * reads comes with the project, so names and contents are untrusted: bounded, never echoed raw.
 */
import { readdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { SafeInstallError } from '@safe-install/schema';

/** The managers safe-install tells apart, and the frozen install each runs. */
export type ManagerKind = 'npm' | 'pnpm' | 'yarn-berry' | 'yarn-classic' | 'bun';

/** What `--pm` accepts: a manager's name (Yarn's flavour still comes from its lockfile). */
export const PM_NAMES = ['npm', 'pnpm', 'yarn', 'bun'] as const;
export type PmName = (typeof PM_NAMES)[number];

export interface ManagerChoice {
  kind: ManagerKind;
  /** The lockfile it installs from (a file name in the project root). */
  lockfile: string;
  /** The frozen install the manager runs. */
  command: readonly string[];
  /** Why: `lockfile` (found alone), `--pm` (chosen over other lockfiles or none). */
  by: 'lockfile' | '--pm';
}

/** What the choice is made from: the project root's file names, and the first bytes of yarn.lock. */
export interface ManagerFacts {
  files: ReadonlySet<string>;
  /** The start of `yarn.lock` (at most YARN_LOCK_HEAD bytes), when there is one. */
  yarnLockHead?: string;
}

/** How much of yarn.lock tells Berry (`__metadata:`) from v1 (`# yarn lockfile v1`): both sit in its first lines. */
export const YARN_LOCK_HEAD = 16 * 1024;

const COMMANDS: Record<ManagerKind, readonly string[]> = {
  npm: ['npm', 'ci'],
  pnpm: ['pnpm', 'install', '--frozen-lockfile'],
  'yarn-berry': ['yarn', 'install', '--immutable'],
  'yarn-classic': ['yarn', 'install', '--frozen-lockfile'],
  bun: ['bun', 'install', '--frozen-lockfile'],
};

/** Each manager's lockfiles, in the order it reads them. */
const LOCKFILES: Record<PmName, readonly string[]> = {
  npm: ['npm-shrinkwrap.json', 'package-lock.json'],
  pnpm: ['pnpm-lock.yaml'],
  yarn: ['yarn.lock'],
  bun: ['bun.lock', 'bun.lockb'],
};

/** A manager's display name, as users know it. */
export const MANAGER_LABEL: Record<ManagerKind, string> = {
  npm: 'npm',
  pnpm: 'pnpm',
  'yarn-berry': 'Yarn (Berry)',
  'yarn-classic': 'Yarn classic (v1)',
  bun: 'Bun',
};

/** Yarn's flavour, from its lockfile and config: Berry with `.yarnrc.yml` or a `__metadata` lockfile, v1 with the v1 header. */
export function yarnFlavour(facts: ManagerFacts): 'yarn-berry' | 'yarn-classic' {
  if (facts.files.has('.yarnrc.yml')) return 'yarn-berry';
  const head = facts.yarnLockHead ?? '';
  // Berry's lockfile is YAML with a top-level `__metadata:` key; v1's is its own format with a header.
  if (/^__metadata:/m.test(head)) return 'yarn-berry';
  if (/^# yarn lockfile v1\s*$/m.test(head)) return 'yarn-classic';
  throw new SafeInstallError('LOCKFILE_INVALID', 'usage', 'yarn.lock is neither a Yarn 1 lockfile (no "# yarn lockfile v1" header) nor a Yarn Berry one (no __metadata), and there is no .yarnrc.yml', {
    hint: 'regenerate it with the Yarn the project uses (`yarn install`), or choose the manager with --pm',
  });
}

/**
 * The manager and lockfile of a project. One lockfile: its manager. Several: an error unless
 * `--pm` names one of them. None: an error (a frozen install needs one), also with `--pm`.
 */
export function chooseManager(facts: ManagerFacts, pm?: string): ManagerChoice {
  if (pm !== undefined && !(PM_NAMES as readonly string[]).includes(pm)) {
    throw new SafeInstallError('PACKAGE_MANAGER_UNKNOWN', 'usage', `--pm must be one of ${PM_NAMES.join(', ')} (got ${JSON.stringify(pm.slice(0, 40))})`);
  }
  const found = new Map<PmName, string>();
  for (const name of PM_NAMES) {
    const lockfile = LOCKFILES[name].find((file) => facts.files.has(file));
    if (lockfile !== undefined) found.set(name, lockfile);
  }
  const kindOf = (name: PmName): ManagerKind => (name === 'yarn' ? yarnFlavour(facts) : name);
  if (pm !== undefined) {
    const name = pm as PmName;
    const lockfile = found.get(name);
    if (lockfile === undefined) throw missing(`--pm ${name} needs ${LOCKFILES[name].join(' or ')} in the project root`, name);
    const kind = kindOf(name);
    return { kind, lockfile, command: COMMANDS[kind], by: '--pm' };
  }
  if (found.size === 0) throw missing(`no lockfile in the project root (looked for ${Object.values(LOCKFILES).flat().join(', ')}): safe-install ci installs exactly what a lockfile pins`);
  if (found.size > 1) {
    const names = [...found.values()];
    throw new SafeInstallError('LOCKFILE_CONFLICT', 'usage', `the project has lockfiles of several package managers (${names.join(', ')}): which one installs it is ambiguous`, {
      hint: `remove the ones not in use, or choose with --pm (${[...found.keys()].join(' or ')})`,
    });
  }
  const [name, lockfile] = [...found.entries()][0]!;
  const kind = kindOf(name);
  return { kind, lockfile, command: COMMANDS[kind], by: 'lockfile' };
}

function missing(message: string, pm?: PmName): SafeInstallError {
  const hint: Record<PmName, string> = {
    npm: 'create one with `npm install --package-lock-only` and commit it',
    pnpm: 'create one with `pnpm install --lockfile-only` and commit it',
    yarn: 'create one with `yarn install` and commit it',
    bun: 'create one with `bun install` and commit it',
  };
  return new SafeInstallError('LOCKFILE_MISSING', 'usage', message, { hint: pm ? hint[pm] : `${hint.npm} (or the lockfile of the manager the project uses)` });
}

/** The facts `chooseManager` needs, read from the project root (names only, and yarn.lock's first bytes). */
export async function readManagerFacts(dir: string): Promise<ManagerFacts> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new SafeInstallError('PROJECT_NOT_FOUND', 'usage', `${dir} is not a directory`);
    throw error;
  }
  // Lockfiles are read as files (a link is followed when the manager reads it, but a folder is none).
  const files = new Set(entries.filter((entry) => entry.isFile() || entry.isSymbolicLink()).map((entry) => entry.name));
  const facts: ManagerFacts = { files };
  if (files.has('yarn.lock')) facts.yarnLockHead = await readHead(join(dir, 'yarn.lock'), YARN_LOCK_HEAD);
  return facts;
}

async function readHead(path: string, bytes: number): Promise<string> {
  const handle = await open(path, 'r').catch(() => null);
  if (handle === null) return '';
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}
