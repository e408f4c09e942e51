/**
 * Put what came back from the sandbox in place: every node_modules folder npm wrote (the root's,
 * each workspace's, each `file:` folder's) and the files scripts wrote into the project.
 *
 * The staged tree lives in a folder inside the project (same filesystem), so every move is one
 * atomic rename. A swap is a list of steps, each "move the live thing aside, move the staged one
 * in"; the list is written to a journal in the staging folder before the first move. A failure
 * undoes the steps already made, in reverse; an interruption (even SIGKILL) leaves the old trees
 * under the staging folder, and `recoverStaging` (run at the next start, and on Ctrl-C) puts them
 * back from the journal. Nothing is ever deleted before the whole swap succeeded.
 *
 * Planning (`planSwap`) only reads the host and is done before the report is written, so a swap
 * that cannot be made is in the report; applying it (`applySwap`) is done only on a pass.
 */
import { lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SafeInstallError } from '@safe-install/schema';
import type { ExtractResult } from './extract-safely.js';

/** The name staging folders start with (one per run, inside the project). */
export const STAGING_PREFIX = '.safe-install-staging-';
const JOURNAL = 'swap-journal.json';

export interface StagedExport {
  /** The staging folder (`<project>/.safe-install-staging-*`). */
  dir: string;
  /** The extracted tree inside it: a mirror of the project folder. */
  tree: string;
  extract: ExtractResult;
}

/** One move, paths relative to the project (live) and to the staged tree (staged). */
export interface SwapStep {
  live: string;
  /** What goes in its place; null: the live one is only removed (npm ci leaves none). */
  staged: string | null;
  /** `staged` is an empty folder, made here: a workspace's node_modules npm ci empties (when there is one). */
  empty?: boolean;
}

export interface SwapPlan {
  projectRoot: string;
  staged: StagedExport;
  steps: SwapStep[];
  /** Project files that came back, with what they do to the host's project. */
  projectFiles: Array<{ path: string; change: 'created' | 'modified' }>;
}

const nodeModulesOf = (folder: string) => (folder === '' ? 'node_modules' : `${folder}/node_modules`);

/**
 * The moves, as pure data: each package folder's node_modules is replaced by the one that came
 * back; a workspace's that did not come back is replaced by an empty folder (npm ci empties every
 * workspace's node_modules before it installs); the root's that did not come back is removed (a
 * project without dependencies: npm ci leaves none). Then each project file.
 */
export function swapSteps(folders: readonly string[], roots: readonly string[], files: readonly string[]): SwapStep[] {
  const back = new Set(roots);
  const steps: SwapStep[] = [];
  for (const folder of new Set(['', ...folders])) {
    const root = nodeModulesOf(folder);
    if (back.has(root)) steps.push({ live: root, staged: root });
    else if (folder === '') steps.push({ live: root, staged: null });
    else steps.push({ live: root, staged: root, empty: true });
  }
  // Any other node_modules that came back is an optional folder's (the extraction let through no
  // other): Yarn PnP's unplugged packages, each replaced whole.
  const covered = new Set(steps.map((step) => step.live));
  for (const root of roots) if (!covered.has(root)) steps.push({ live: root, staged: root });
  for (const file of files) steps.push({ live: file, staged: file });
  return steps;
}

type Kind = 'missing' | 'dir' | 'file' | 'other';
async function kindOf(path: string): Promise<Kind> {
  try {
    const info = await lstat(path);
    return info.isDirectory() ? 'dir' : info.isFile() || info.isSymbolicLink() ? 'file' : 'other';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
}

const refused = (why: string) =>
  new SafeInstallError('EXPORT_REJECTED', 'infrastructure', `what came back from the sandbox cannot be put in place: ${why}`, {
    hint: 'the project was not changed; fix the project folder (or remove the file in the way) and run again',
  });

/**
 * Check the host side of every step without changing anything: the parents of a project file must
 * be real folders or missing (never a symlink: writing through one would place the file wherever
 * it points), and a file never replaces a folder. Each parent is looked at once, so the checks are
 * linear in the number of files.
 */
export async function planSwap(projectRoot: string, staged: StagedExport, folders: readonly string[]): Promise<SwapPlan> {
  const files = staged.extract.projectFiles.map((file) => file.path);
  const steps = swapSteps(folders, staged.extract.roots, files);
  const parents = new Map<string, Kind>();
  const parentKind = async (relative: string): Promise<Kind> => {
    if (relative === '.' || relative === '') return 'dir';
    const known = parents.get(relative);
    if (known !== undefined) return known;
    const above = await parentKind(dirname(relative));
    const kind = above === 'missing' ? 'missing' : above === 'dir' ? await kindOf(join(projectRoot, relative)) : above;
    parents.set(relative, kind);
    return kind;
  };
  const projectFiles: SwapPlan['projectFiles'] = [];
  const fileSet = new Set(files);
  for (const step of steps) {
    const parent = await parentKind(dirname(step.live));
    if (parent !== 'dir' && parent !== 'missing') throw refused(`${step.live}: a parent in the project is not a folder (a file or a symlink)`);
    const live = parent === 'missing' ? 'missing' : await kindOf(join(projectRoot, step.live));
    if (!fileSet.has(step.live)) continue;
    if (live === 'dir' || live === 'other') throw refused(`${step.live} would replace a folder or a special file in the project`);
    projectFiles.push({ path: step.live, change: live === 'missing' ? 'created' : 'modified' });
  }
  return { projectRoot, staged, steps, projectFiles };
}

interface Journal {
  steps: Array<SwapStep & { previous: string }>;
}

/** Apply a plan. On a failure, every move made is undone and the error rethrown. */
export async function applySwap(plan: SwapPlan): Promise<void> {
  const { projectRoot, staged } = plan;
  const previous = join(staged.dir, 'previous');
  await mkdir(previous, { recursive: true });
  const journal: Journal = { steps: plan.steps.map((step, i) => ({ ...step, previous: String(i) })) };
  for (const step of journal.steps) if (step.empty && step.staged) await mkdir(join(staged.tree, step.staged), { recursive: true });
  await writeFile(join(staged.dir, JOURNAL), JSON.stringify(journal));
  const done: Array<{ step: Journal['steps'][number]; aside: boolean; moved: boolean }> = [];
  const made = new Set<string>();
  try {
    for (const step of journal.steps) {
      const live = join(projectRoot, step.live);
      // A workspace without a node_modules keeps having none (npm ci empties one, makes none).
      if (step.empty && (await kindOf(live)) === 'missing') continue;
      const record = { step, aside: false, moved: false };
      done.push(record);
      if ((await kindOf(live)) !== 'missing') {
        await rename(live, join(previous, step.previous));
        record.aside = true;
      }
      if (step.staged !== null) {
        const parent = dirname(step.live);
        if (parent !== '.' && !made.has(parent)) {
          await mkdir(join(projectRoot, parent), { recursive: true });
          made.add(parent);
        }
        await rename(join(staged.tree, step.staged), live);
        record.moved = true;
      }
    }
  } catch (error) {
    for (const { step, aside, moved } of done.reverse()) {
      const live = join(projectRoot, step.live);
      if (moved && step.staged !== null) await rename(live, join(staged.tree, step.staged)).catch(() => undefined);
      if (aside) await rename(join(previous, step.previous), live).catch(() => undefined);
    }
    await rm(join(staged.dir, JOURNAL), { force: true });
    throw error;
  }
  // Every step made: the old trees can go. The journal first, so a recovery never undoes a swap
  // that completed.
  await rm(join(staged.dir, JOURNAL), { force: true });
  await rm(staged.dir, { recursive: true, force: true });
}

/** Throw the staged tree away; the project was never touched. */
export async function discardStaged(staged: { dir: string } | null): Promise<void> {
  if (staged) await rm(staged.dir, { recursive: true, force: true });
}

/**
 * Staging folders left by runs that died: a swap that had begun (its journal is there) is undone
 * step by step from what is on disk, so the old trees come back; then the folder is removed.
 * Returns the number of swaps undone.
 */
export async function recoverStaging(projectRoot: string): Promise<number> {
  const entries = await readdir(projectRoot).catch(() => [] as string[]);
  let undone = 0;
  for (const name of entries.filter((entry) => entry.startsWith(STAGING_PREFIX))) {
    const dir = join(projectRoot, name);
    const text = await readFile(join(dir, JOURNAL), 'utf8').catch(() => null);
    if (text !== null) {
      const journal = JSON.parse(text) as Journal;
      const tree = join(dir, 'tree');
      for (const step of [...journal.steps].reverse()) {
        const live = join(projectRoot, step.live);
        const previous = join(dir, 'previous', step.previous);
        // The staged one is gone from the tree: it is live now, and goes back.
        if (step.staged !== null && (await kindOf(join(tree, step.staged))) === 'missing' && (await kindOf(live)) !== 'missing') {
          await mkdir(dirname(join(tree, step.staged)), { recursive: true });
          await rename(live, join(tree, step.staged));
        }
        if ((await kindOf(previous)) !== 'missing') await rename(previous, live);
      }
      undone += 1;
    }
    await rm(dir, { recursive: true, force: true });
  }
  return undone;
}
