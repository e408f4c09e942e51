/**
 * `safe-install approve` for Bun projects: which dependencies Bun's gate does not trust
 * (`trustedDependencies` in package.json, or — without that field — Bun's default list, which
 * trusts registry packages only), and the decisions written into package.json's trustedDependencies.
 *
 * Bun's list takes names, not versions: approving `x@1.2.3` trusts every version of `x` as far as
 * Bun goes. The pin by version is safe-install's: the policy allowance learned from the run and the
 * approved run in .safe-install/approvals.json, so a later version is shown against it.
 *
 * Without the field Bun uses its default list, and writing the field replaces that list: the
 * default-trusted packages the lockfile installs are carried into it, so nothing that ran before
 * stops running. Deny wins: a denied name is left out of (or taken out of) the list.
 *
 * The lockfile does not say reliably which packages have a build (a binding.gyp runs node-gyp with
 * no script), so every untrusted locked package is trusted in the sandbox's copy of package.json;
 * the packages whose install scripts then ran are the ones asked about.
 *
 * bun.lock keeps a copy of the list, which Bun rewrites at the next `bun install`: a frozen install
 * reads package.json's and does not compare the two (checked with Bun 1.4.4), so it is not edited.
 */
import { join } from 'node:path';
import { SafeInstallError } from '@safe-install/schema';
import { packageJsonWithField, replaceFile } from '@safe-install/policy';
import { readTarballManifest, type Project } from '@safe-install/sandbox';
import { bunRunsScripts, bunTrusted } from '../bun.js';
import { BUN_DEFAULT_TRUSTED } from '../bun-default-trusted.js';
import { packageJsonToEdit } from './approvals-store.js';
import { lockedCandidate, type ApprovalCandidate } from './select.js';

const FIELD = 'trustedDependencies';

type LockedProject = Pick<Project, 'manifest' | 'lockfile'>;

/** A dependency of the lockfile (not the project, a workspace or a linked folder): in a node_modules folder. */
const isDependency = (identity: { source: string; path: string }) =>
  identity.source !== 'project' && identity.source !== 'workspace' && (identity.path.startsWith('node_modules/') || identity.path.includes('/node_modules/'));

/** The locked packages Bun's gate does not trust, each once (by name and version). */
export function selectUntrusted(project: LockedProject): ApprovalCandidate[] {
  const trusted = bunTrusted(project.manifest);
  const seen = new Set<string>();
  const pending: ApprovalCandidate[] = [];
  for (const identity of project.lockfile.identities.byPath.values()) {
    if (!isDependency(identity) || bunRunsScripts(identity, trusted)) continue;
    const id = `${identity.name}@${identity.version}`;
    if (seen.has(id)) continue;
    seen.add(id);
    // Bun's list takes names: the entry approving it is the name.
    pending.push(lockedCandidate(identity, identity.name, []));
  }
  return pending;
}

/** A version as a package.json gives it, bounded (display only). */
const VERSION = /^\d{1,9}\.\d{1,9}\.\d{1,9}(?:[-+][0-9A-Za-z.+-]{1,60})?$/;

/**
 * The pending packages with the version their tarball's package.json gives, where bun.lock records
 * none (a tarball in the project: the identity's version is `file:<path>`). Display only: the
 * identity, the entry and every pin stay the lockfile's. An unreadable tarball shows none.
 */
export async function withTarballVersions(root: string, pending: readonly ApprovalCandidate[]): Promise<ApprovalCandidate[]> {
  return Promise.all(pending.map(async (p) => {
    if (p.candidate.kind !== 'file' || !p.package.version.startsWith('file:')) return p;
    // The lockfile reader checked the path to be inside the project.
    const manifest = await readTarballManifest(join(root, p.package.version.slice('file:'.length))).catch(() => null);
    const version = manifest?.['version'];
    return typeof version === 'string' && VERSION.test(version) ? { ...p, candidate: { ...p.candidate, displayVersion: version } } : p;
  }));
}

/**
 * The list Bun runs now, as names for the field: the project's trustedDependencies, or — without
 * one — the default-trusted packages the lockfile installs from the registry (Bun's default list
 * trusts no other source), in the lockfile's order.
 */
export function trustedNow(project: LockedProject): string[] {
  const field = project.manifest[FIELD];
  if (Array.isArray(field)) return field.filter((name): name is string => typeof name === 'string');
  const names: string[] = [];
  for (const identity of project.lockfile.identities.byPath.values()) {
    if (isDependency(identity) && identity.source === 'registry' && BUN_DEFAULT_TRUSTED.has(identity.name) && !names.includes(identity.name)) names.push(identity.name);
  }
  return names;
}

/** The project with `names` added to the sandbox copy's trustedDependencies (what runs now kept). */
export function withSandboxTrusted(project: Project, names: readonly string[]): Project {
  if (names.length === 0) return project;
  const list = [...new Set([...trustedNow(project), ...names])];
  const files = project.files.map((file) => (file.path === 'package.json' ? { ...file, content: Buffer.from(packageJsonWithField(file.content.toString('utf8'), FIELD, list), 'utf8') } : file));
  return { ...project, manifest: { ...project.manifest, [FIELD]: list }, files };
}

export interface BunTrustedPlan {
  outcome: { path: string; written: boolean; changes: Array<{ key: string; change: 'added' }>; warnings: string[]; approved: string[]; field?: string };
  approvedIds: Set<string>;
  field: string;
  write(): Promise<void>;
}

/** The decisions applied to package.json's trustedDependencies as the file is now (read; `write` writes it atomically). */
export async function planBunTrusted(
  root: string,
  lockfile: Project['lockfile'],
  decisions: ReadonlyArray<{ review: ApprovalCandidate; decision: 'approve' | 'deny' }>,
): Promise<BunTrustedPlan> {
  const path = join(root, 'package.json');
  const outcome: BunTrustedPlan['outcome'] = { path, written: false, changes: [], warnings: [], approved: [] };
  const approvedIds = new Set<string>();
  const plan: BunTrustedPlan = { outcome, approvedIds, field: `${FIELD} in package.json`, write: async () => undefined };
  if (decisions.length === 0) return plan;
  const { text, manifest, mode } = await packageJsonToEdit(path);
  const current = manifest[FIELD];
  if (current !== undefined && (!Array.isArray(current) || current.some((name) => typeof name !== 'string'))) {
    throw new SafeInstallError('APPROVE_NOT_WRITTEN', 'usage', `${path}: ${FIELD} is not a list of package names; nothing was written to it`, { hint: 'make it an array of names, e.g. ["esbuild"]' });
  }
  const before = trustedNow({ manifest, lockfile });
  const denied = new Set(decisions.filter((d) => d.decision === 'deny').map((d) => d.review.package.name));
  // Deny wins: a name denied in this session is taken out, and never added.
  const list = before.filter((name) => !denied.has(name));
  for (const { review, decision } of decisions) {
    if (decision !== 'approve') continue;
    const name = review.package.name;
    if (denied.has(name)) {
      outcome.warnings.push(`${name}@${review.package.version} not approved: another version of ${name} was denied, and ${FIELD} takes names only`);
      continue;
    }
    approvedIds.add(`${name}@${review.package.version}`);
    if (!list.includes(name)) {
      list.push(name);
      outcome.changes.push({ key: name, change: 'added' });
    }
  }
  outcome.approved = [...approvedIds];
  if (approvedIds.size > 0) outcome.warnings.push(`${FIELD} takes names, not versions: Bun runs the scripts of any version of ${[...new Set([...approvedIds].map((id) => id.slice(0, id.lastIndexOf('@'))))].join(', ')}; the version approved is pinned in safe-install's policy and .safe-install/approvals.json`);
  // Written when the list changes, or when the field is new and something was added (it replaces Bun's default list).
  const changed = current === undefined ? outcome.changes.length > 0 : JSON.stringify(list) !== JSON.stringify(current);
  if (changed) {
    const next = packageJsonWithField(text, FIELD, list);
    plan.write = async () => {
      await replaceFile(path, next, mode);
      outcome.written = true;
    };
  }
  return plan;
}
