/**
 * safe-install's policy mapped onto the manager's own build gate, in the sandbox's copy of the
 * project only: a package the policy allows to run its install scripts, which the manager's field
 * leaves undecided, is listed there too, so the manager builds it in the sandbox as if its field
 * listed it. The project's files on disk are never changed. A package the manager's field denies
 * stays denied (the manager's own decision is kept: removing it would make the install differ
 * from what the manager does), and so does every package the policy denies.
 *
 * One function per manager (the PackageManager seam's `grantScripts`), each reusing the edit
 * `approve` makes for that manager. Pure: the project in, a changed copy and what was granted out.
 */
import type { PackageRef } from '@safe-install/schema';
import { packageJsonWithAllowScripts, packageJsonWithField, policyAllowsScripts, type Policy } from '@safe-install/policy';
import type { Project } from '@safe-install/sandbox';
import { packageId, sandboxAllowKey, selectUnapproved, type ApprovalCandidate } from './approve/select.js';
import { selectUndecidedBuilds } from './approve/pnpm-approve.js';
import { selectUntrusted, withSandboxTrusted } from './approve/bun-approve.js';
import { selectUndecidedYarnBuilds, yarnLockWithBuilds } from './approve/yarn-approve.js';
import { withSandboxAllowBuilds } from './pnpm-allow-builds.js';

/** The sandbox's copy with scripts granted, and the packages granted (those the manager's field did not list), each once. */
export interface ScriptGrant {
  project: Project;
  granted: PackageRef[];
}

/**
 * The locked packages whose scripts safe-install's policy allows (none when pnpm's
 * dangerouslyAllowAllBuilds already lets every package build). Only locked packages: a policy
 * entry for a package the lockfile does not install names nothing to grant.
 */
export function policyScriptPackages(policy: Policy, locked: readonly PackageRef[]): PackageRef[] {
  if (policy.allowAllScripts !== null) return [];
  const seen = new Set<string>();
  return locked.filter((pkg) => {
    const id = packageId(pkg);
    if (seen.has(id) || !policyAllowsScripts(policy, pkg)) return false;
    seen.add(id);
    return true;
  });
}

/** The undecided candidates among `packages` (by name@version), each entry once (a name@version may come from two sources: two entries). */
function wanted(pending: readonly ApprovalCandidate[], packages: readonly PackageRef[]): ApprovalCandidate[] {
  const want = new Set(packages.map(packageId));
  const seen = new Set<string>();
  return pending.filter((p) => {
    const key = p.entry ?? packageId(p.package);
    if (!want.has(packageId(p.package)) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Each package once, in order. */
const unique = (packages: readonly PackageRef[]): PackageRef[] => packages.filter((pkg, i) => packages.findIndex((other) => packageId(other) === packageId(pkg)) === i);

/**
 * The project with `entries` added to the allowScripts of the package.json that goes into the
 * sandbox (the file and the manifest the run reads); the host's file is not touched.
 */
export function withSandboxAllowScripts(project: Project, entries: Readonly<Record<string, boolean>> | undefined): Project {
  if (entries === undefined || Object.keys(entries).length === 0) return project;
  const index = project.files.findIndex((file) => file.path === 'package.json');
  const file = project.files[index];
  if (file === undefined) return project;
  const current = project.manifest['allowScripts'];
  const merged = { ...(typeof current === 'object' && current !== null && !Array.isArray(current) ? (current as Record<string, unknown>) : {}), ...entries };
  const content = Buffer.from(packageJsonWithAllowScripts(file.content.toString('utf8'), merged), 'utf8');
  const files = [...project.files];
  files[index] = { ...file, content };
  return { ...project, files, manifest: { ...project.manifest, allowScripts: merged } };
}

/** npm: the packages' allowScripts keys (as approve writes them: npm matches the lockfile's identity) in the sandbox's package.json. */
export function npmGrantScripts(project: Project, packages: readonly PackageRef[]): ScriptGrant {
  if (packages.length === 0) return { project, granted: [] };
  const lockBytes = project.files.find((file) => file.path === project.lockfileName)?.content;
  const lock: unknown = lockBytes === undefined ? null : JSON.parse(lockBytes.toString('utf8'));
  const { pending } = selectUnapproved(lock, project.manifest, (path) => project.lockfile.identities.byPath.get(path));
  // Keys from the lockfile, never from the policy's text: an entry's name only selects.
  const entries = Object.create(null) as Record<string, boolean>;
  const granted: PackageRef[] = [];
  for (const p of pending.filter((c) => packages.some((pkg) => packageId(pkg) === packageId(c.package)))) {
    const key = sandboxAllowKey(p);
    if (key === null) continue;
    entries[key] = true;
    if (!granted.some((pkg) => packageId(pkg) === packageId(p.package))) granted.push(p.package);
  }
  return { project: withSandboxAllowScripts(project, entries), granted };
}

/** pnpm: the packages' builds allowed in the sandbox's pnpm-workspace.yaml, in the field the project's pnpm reads. */
export function pnpmGrantScripts(project: Project, packages: readonly PackageRef[], pnpmVersion: string): ScriptGrant {
  const grant = wanted(selectUndecidedBuilds(project, pnpmVersion), packages);
  return { project: withSandboxAllowBuilds(project, grant.map((p) => p.entry!), pnpmVersion), granted: unique(grant.map((p) => p.package)) };
}

/** Bun: the packages' names added to the sandbox's trustedDependencies (what Bun trusts now kept). */
export function bunGrantScripts(project: Project, packages: readonly PackageRef[]): ScriptGrant {
  const grant = wanted(selectUntrusted(project), packages);
  return { project: withSandboxTrusted(project, [...new Set(grant.map((p) => p.package.name))]), granted: unique(grant.map((p) => p.package)) };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Yarn Berry: `dependenciesMeta["name@version"].built: true` in the sandbox's package.json and in
 * yarn.lock's copy of the root's dependenciesMeta (Yarn's `--immutable` refuses a lockfile whose
 * copy differs), as approve writes them. A yarn.lock whose root entry Yarn would not have written
 * grants nothing: the install stays what Yarn does with the project's own files.
 */
export function yarnBerryGrantScripts(project: Project, packages: readonly PackageRef[]): ScriptGrant {
  const grant = wanted(selectUndecidedYarnBuilds(project), packages);
  const manifestFile = project.files.find((file) => file.path === 'package.json');
  const lockFile = project.files.find((file) => file.path === project.lockfileName);
  if (grant.length === 0 || manifestFile === undefined || lockFile === undefined) return { project, granted: [] };
  const current = project.manifest['dependenciesMeta'];
  const meta: Record<string, unknown> = { ...(isRecord(current) ? current : {}) };
  const edits = grant.map((p) => ({ key: packageId(p.package), built: true }));
  for (const { key } of edits) {
    const entry = Object.hasOwn(meta, key) && isRecord(meta[key]) ? meta[key] : {};
    Object.defineProperty(meta, key, { value: { ...entry, built: true }, enumerable: true, writable: true, configurable: true });
  }
  let manifestText: string;
  let lockText: string;
  try {
    manifestText = packageJsonWithField(manifestFile.content.toString('utf8'), 'dependenciesMeta', meta);
    lockText = yarnLockWithBuilds(lockFile.content.toString('utf8'), edits);
  } catch {
    return { project, granted: [] };
  }
  const files = project.files.map((file) =>
    file === manifestFile ? { ...file, content: Buffer.from(manifestText, 'utf8') } : file === lockFile ? { ...file, content: Buffer.from(lockText, 'utf8') } : file,
  );
  return { project: { ...project, files, manifest: { ...project.manifest, dependenciesMeta: meta } }, granted: unique(grant.map((p) => p.package)) };
}
