/**
 * `safe-install approve` for Yarn projects.
 *
 * Yarn Berry (4): its gate is package.json's `dependenciesMeta.<pkg>.built` (`name@version`, else
 * `name`) and `.yarnrc.yml`'s `enableScripts` (off by default in 4.18; yarn-berry.ts
 * yarnBuildAllowed). The lockfile does not say which packages have a build, so every undecided
 * locked package may build in the sandbox (`enableScripts: true` in the sandbox's copy of
 * .yarnrc.yml: a package denied by `built: false` still does not), and the packages whose install
 * scripts then ran are the ones asked about. A decision is written as Yarn reads it: approve
 * `dependenciesMeta["name@version"].built: true`, deny `dependenciesMeta["name"].built: false`,
 * which must win over every version: pinned `built: true` entries of that name lose their `built`
 * (Yarn gives a pinned entry precedence over the name's). Yarn also records the root's
 * dependenciesMeta in yarn.lock (its workspace entry), and `yarn install --immutable` refuses a
 * lockfile it would change: the same edit is made there, in Yarn's own layout (yarnLockWithBuilds).
 *
 * Yarn classic (1) has no build gate of its own: it runs every package's scripts. Its decisions
 * live in safe-install's policy and approvals file only (approve.ts), never in a Yarn file.
 */
import { join } from 'node:path';
import { stringify } from 'yaml';
import { SANDBOX_PATHS, SafeInstallError, type TraceEvent } from '@safe-install/schema';
import { packageJsonWithField, replaceFile } from '@safe-install/policy';
import type { Project } from '@safe-install/sandbox';
import { yarnBuildAllowed, yarnrcOf } from '../yarn-berry.js';
import { fileToEdit, packageJsonToEdit } from './approvals-store.js';
import { lockedCandidate, packageId, type ApprovalCandidate } from './select.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether the project's dependenciesMeta says `built` (true or false) for the package, by `name@version` or `name`. */
function decidedByMeta(manifest: Record<string, unknown>, name: string, version: string): boolean {
  const meta = manifest['dependenciesMeta'];
  if (!isRecord(meta)) return false;
  return [`${name}@${version}`, name].some((key) => Object.hasOwn(meta, key) && isRecord(meta[key]) && typeof meta[key]['built'] === 'boolean');
}

/**
 * The locked packages whose build Yarn's gate neither allows nor denies, each once: none when
 * `enableScripts` is on (Yarn builds every package not denied, so nothing waits on a decision).
 */
export function selectUndecidedYarnBuilds(project: Pick<Project, 'manifest' | 'files' | 'lockfile'>): ApprovalCandidate[] {
  const yarnrc = yarnrcOf(project);
  const meta = isRecord(project.manifest['dependenciesMeta']) ? project.manifest['dependenciesMeta'] : {};
  return selectLockedPackages(project)
    .filter(({ package: { name, version } }) => !yarnBuildAllowed(project.manifest, yarnrc, name, version) && !decidedByMeta(project.manifest, name, version))
    .map((pending) => ({ ...pending, approvedBefore: Object.keys(meta).filter((key) => key.startsWith(`${pending.package.name}@`) && key !== pending.entry && isRecord(meta[key]) && meta[key]['built'] === true) }));
}

/** The sandbox's copy of the project with `enableScripts: true` in .yarnrc.yml: every build not denied runs there, and only there. */
export function withSandboxYarnScripts(project: Project): Project {
  const yarnrc = { ...yarnrcOf(project), enableScripts: true };
  const content = Buffer.from(stringify(yarnrc));
  const others = project.files.filter((file) => file.path !== '.yarnrc.yml');
  return { ...project, files: [...others, { path: '.yarnrc.yml', content, mode: 0o644 }] };
}

export interface YarnBuildEdit {
  /** The dependenciesMeta key (`name@version` to approve, `name` to deny). */
  key: string;
  built: boolean;
}

/** A key as Yarn's lockfile writer prints it: plain when it is a simple YAML string, else JSON-quoted (Yarn's syml). */
const SIMPLE_KEY = /^(?![-?:,\][{}#&*!|>'"%@` \t\r\n]).([ \t]*(?![,\][{}:# \t\r\n]).)*$/;
const lockKey = (key: string): string => (SIMPLE_KEY.test(key) ? key : JSON.stringify(key));
/** Yarn's order of an entry's fields: these first, in this order, then the rest by name. */
const FIELD_ORDER = ['__metadata', 'version', 'resolution', 'dependencies', 'peerDependencies', 'dependenciesMeta', 'peerDependenciesMeta', 'binaries'];
const byYarnOrder = (a: string, b: string): number => {
  const i = FIELD_ORDER.indexOf(a);
  const j = FIELD_ORDER.indexOf(b);
  if (i === -1 && j === -1) return a < b ? -1 : a > b ? 1 : 0;
  if (i === -1) return 1;
  if (j === -1) return -1;
  return i - j;
};
const unquote = (key: string): string => (key.startsWith('"') ? (JSON.parse(key) as string) : key);

/**
 * yarn.lock with the root workspace's dependenciesMeta set as the edits say (and the `built` of
 * `removeBuilt` keys dropped), the rest of the text unchanged: the block written as Yarn writes it
 * (keys sorted, two-space indents). Throws when the root's entry cannot be found.
 */
export function yarnLockWithBuilds(text: string, edits: readonly YarnBuildEdit[], removeBuilt: readonly string[] = []): string {
  const lines = text.split('\n');
  const resolution = lines.findIndex((line) => /^ {2}resolution: "(?:[^"\\]|\\.)+@workspace:\."$/.test(line));
  if (resolution === -1) throw new Error('yarn.lock has no entry for the root workspace');
  let start = resolution;
  while (start > 0 && /^ /.test(lines[start]!)) start -= 1;
  let end = resolution;
  while (end + 1 < lines.length && /^ /.test(lines[end + 1]!)) end += 1;
  // The entry's fields (two-space indent), each with its block of deeper lines.
  const fields: Array<{ key: string; lines: string[] }> = [];
  for (let i = start + 1; i <= end; i += 1) {
    const line = lines[i]!;
    const field = /^ {2}([^ ].*?):(?: .*)?$/.exec(line);
    if (field !== null) fields.push({ key: unquote(field[1]!), lines: [line] });
    else if (fields.length > 0 && /^ {4}/.test(line)) fields.at(-1)!.lines.push(line);
    else throw new Error(`yarn.lock's root workspace entry has a line Yarn does not write (${JSON.stringify(line.slice(0, 80))})`);
  }
  // dependenciesMeta's entries: `    key:` then `      field: value` lines.
  const meta = new Map<string, Map<string, string>>();
  const existing = fields.find((field) => field.key === 'dependenciesMeta');
  for (const line of existing?.lines.slice(1) ?? []) {
    const entry = /^ {4}([^ ].*):$/.exec(line);
    const value = /^ {6}([A-Za-z]+): (.+)$/.exec(line);
    if (entry !== null) meta.set(unquote(entry[1]!), new Map());
    else if (value !== null && meta.size > 0) [...meta.values()].at(-1)!.set(value[1]!, value[2]!);
    else throw new Error(`yarn.lock's dependenciesMeta has a line Yarn does not write (${JSON.stringify(line.slice(0, 80))})`);
  }
  for (const key of removeBuilt) {
    const entry = meta.get(key);
    if (entry === undefined) continue;
    entry.delete('built');
    if (entry.size === 0) meta.delete(key);
  }
  for (const edit of edits) {
    const entry = meta.get(edit.key) ?? new Map<string, string>();
    entry.set('built', String(edit.built));
    meta.set(edit.key, entry);
  }
  const block = meta.size === 0 ? [] : ['  dependenciesMeta:', ...[...meta.keys()].sort(byYarnOrder).flatMap((key) => [`    ${lockKey(key)}:`, ...[...meta.get(key)!.keys()].sort(byYarnOrder).map((field) => `      ${field}: ${meta.get(key)!.get(field)}`)])];
  const kept = fields.filter((field) => field.key !== 'dependenciesMeta');
  if (block.length > 0) kept.push({ key: 'dependenciesMeta', lines: block });
  kept.sort((a, b) => byYarnOrder(a.key, b.key));
  return [...lines.slice(0, start + 1), ...kept.flatMap((field) => field.lines), ...lines.slice(end + 1)].join('\n');
}

export interface YarnBuildsPlan {
  outcome: { path: string; written: boolean; changes: Array<{ key: string; change: 'added' | 'removed-pinned-allow' }>; warnings: string[]; approved: string[]; field?: string };
  approvedIds: Set<string>;
  field: string;
  write(): Promise<void>;
}

/**
 * The decisions applied to package.json's dependenciesMeta and yarn.lock's copy of it, as the files
 * are now (read, and both new texts made, before anything is written; `write` then replaces each
 * atomically, the lockfile first).
 * A deny wins: a package whose name is denied (before, or in the same decisions) is not approved.
 */
export async function planYarnBuilds(root: string, decisions: ReadonlyArray<{ review: ApprovalCandidate; decision: 'approve' | 'deny' }>): Promise<YarnBuildsPlan> {
  const path = join(root, 'package.json');
  const lockPath = join(root, 'yarn.lock');
  const field = 'dependenciesMeta in package.json (and yarn.lock)';
  const outcome: YarnBuildsPlan['outcome'] = { path, written: false, changes: [], warnings: [], approved: [] };
  const approvedIds = new Set<string>();
  if (decisions.length === 0) return { outcome, approvedIds, field, write: async () => undefined };
  const manifestFile = await packageJsonToEdit(path);
  const lockFile = await fileToEdit(lockPath, 'yarn.lock');
  const current = manifestFile.manifest['dependenciesMeta'];
  if (current !== undefined && !isRecord(current)) {
    throw new SafeInstallError('APPROVE_NOT_WRITTEN', 'usage', `${path}: dependenciesMeta is not an object; nothing was written to it`, { hint: 'make it an object of "name" or "name@version": { "built": true|false } entries' });
  }
  const meta: Record<string, unknown> = { ...(current ?? {}) };
  const edits: YarnBuildEdit[] = [];
  const removeBuilt: string[] = [];
  const setBuilt = (key: string, built: boolean) => {
    const entry = isRecord(meta[key]) ? meta[key] : {};
    meta[key] = { ...entry, built };
    edits.push({ key, built });
  };
  // Denials first: a name denied in the same decisions is not approved at any version.
  for (const { review, decision } of decisions) {
    if (decision !== 'deny') continue;
    const name = review.package.name;
    for (const key of Object.keys(meta)) {
      const entry = meta[key];
      if (key.startsWith(`${name}@`) && isRecord(entry) && entry['built'] === true) {
        const { built: _dropped, ...rest } = entry;
        if (Object.keys(rest).length === 0) delete meta[key];
        else meta[key] = rest;
        removeBuilt.push(key);
        outcome.changes.push({ key, change: 'removed-pinned-allow' });
      }
    }
    if (!(isRecord(meta[name]) && meta[name]['built'] === false)) {
      setBuilt(name, false);
      outcome.changes.push({ key: name, change: 'added' });
    }
  }
  for (const { review, decision } of decisions) {
    if (decision !== 'approve') continue;
    const { name, version } = review.package;
    if (isRecord(meta[name]) && meta[name]['built'] === false) {
      outcome.warnings.push(`${name}@${version} not approved: dependenciesMeta["${name}"].built is false (a deny wins); remove that entry to approve it`);
      continue;
    }
    setBuilt(`${name}@${version}`, true);
    outcome.changes.push({ key: `${name}@${version}`, change: 'added' });
    approvedIds.add(`${name}@${version}`);
  }
  outcome.approved = [...approvedIds];
  let manifestText: string;
  let lockText: string;
  try {
    manifestText = packageJsonWithField(manifestFile.text, 'dependenciesMeta', meta);
    lockText = yarnLockWithBuilds(lockFile.text, edits, removeBuilt);
  } catch (error) {
    throw new SafeInstallError('APPROVE_NOT_WRITTEN', 'usage', `${(error as Error).message}; nothing was written`, { hint: 'run `yarn install` to rewrite yarn.lock, then approve again' });
  }
  return {
    outcome,
    approvedIds,
    field,
    write: async () => {
      if (edits.length === 0 && removeBuilt.length === 0) return;
      await replaceFile(lockPath, lockText, lockFile.mode);
      await replaceFile(path, manifestText, manifestFile.mode);
      outcome.written = true;
    },
  };
}

/** Every package the lockfile places in a folder (not the project's own folders), each once, pinned to its version. */
export function selectLockedPackages(project: Pick<Project, 'lockfile'>): ApprovalCandidate[] {
  const seen = new Set<string>();
  const pending: ApprovalCandidate[] = [];
  for (const identity of project.lockfile.identities.byPath.values()) {
    if (identity.source === 'project' || identity.source === 'workspace') continue;
    const entry = `${identity.name}@${identity.version}`;
    if (seen.has(entry)) continue;
    seen.add(entry);
    pending.push(lockedCandidate(identity, entry, []));
  }
  return pending;
}

/**
 * Yarn 1: every locked package, each once, pinned to its version. Its lockfile names no folders
 * (the runner finds them in the tree), so each is placed where Yarn 1 hoists it until the run
 * shows where its scripts ran (`withTracedFolders`).
 */
export function selectYarnClassicPackages(project: Pick<Project, 'lockfile'>): ApprovalCandidate[] {
  const seen = new Set<string>();
  return project.lockfile.locked.flatMap((ref) => {
    const entry = `${ref.name}@${ref.version}`;
    if (seen.has(entry)) return [];
    seen.add(entry);
    const path = `node_modules/${ref.name}`;
    return [{ candidate: { path, name: ref.name, version: ref.version, displayVersion: ref.version, kind: 'registry' as const, resolved: null }, path, package: { name: ref.name, version: ref.version }, entry, approvedBefore: [] }];
  });
}

/** Each candidate at the folder its first script ran in (a `script` start event's `cwd` inside the project), else as it was. */
export function withTracedFolders(pending: readonly ApprovalCandidate[], events: readonly TraceEvent[]): ApprovalCandidate[] {
  const root = `${SANDBOX_PATHS.project}/`;
  const folders = new Map<string, string>();
  for (const event of events) {
    if (event.type !== 'script' || event.action !== 'start' || event.package === undefined || typeof event.cwd !== 'string' || !event.cwd.startsWith(root)) continue;
    const id = packageId(event.package);
    if (!folders.has(id)) folders.set(id, event.cwd.slice(root.length));
  }
  return pending.map((p) => {
    const path = folders.get(packageId(p.package));
    return path === undefined ? p : { ...p, path, candidate: { ...p.candidate, path } };
  });
}

/**
 * Yarn 1's decisions: no file of Yarn's is written (it has no build gate), every approval is the
 * policy's allowance and the approvals file's record (approve.ts); a denial is the policy not
 * allowing the package, which it does not yet.
 */
export function planPolicyOnly(root: string, decisions: ReadonlyArray<{ review: ApprovalCandidate; decision: 'approve' | 'deny' }>): YarnBuildsPlan {
  const approvedIds = new Set(decisions.filter((d) => d.decision === 'approve').map((d) => `${d.review.package.name}@${d.review.package.version}`));
  return {
    outcome: { path: join(root, 'package.json'), written: false, changes: [], warnings: [], approved: [...approvedIds] },
    approvedIds,
    field: "safe-install's policy",
    write: async () => undefined,
  };
}
