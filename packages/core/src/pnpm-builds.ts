/**
 * pnpm's build gate, as the sandbox's pnpm applies it: pnpm 10 and later run a dependency's build
 * (preinstall/install/postinstall, or the implicit `node-gyp rebuild` of a `binding.gyp`) only when
 * `onlyBuiltDependencies` / `allowBuilds: { name: true }` allows it, or `dangerouslyAllowAllBuilds`
 * is on. Unlisted builds are skipped ("Ignored build scripts"; with `strictDepBuilds` the install
 * fails with ERR_PNPM_IGNORED_BUILDS), denied ones (`allowBuilds: { name: false }`,
 * `ignoredBuiltDependencies`) are skipped silently. The settings are read as pnpm reads them: from
 * pnpm-workspace.yaml and package.json's `pnpm` key (pnpm merges `allowBuilds` into the two lists).
 *
 * The report lists every dependency whose build was skipped, from the lockfile's identities and
 * the packages' manifests as they came back from the sandbox — never from pnpm's output.
 */
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SafeInstallError, type PackageIdentity, type ScriptApproval, type ScriptReviewReport } from '@safe-install/schema';
import type { Project } from '@safe-install/sandbox';

/** Largest pnpm-workspace.yaml read. */
export const MAX_WORKSPACE_BYTES = 1024 * 1024;
/** Largest package.json of an installed package read to learn whether it builds. */
const MAX_PACKAGE_JSON_BYTES = 1024 * 1024;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** pnpm-workspace.yaml as uploaded (untrusted: bounded, no aliases), or null when the project has none. */
export function pnpmWorkspaceOf(project: Pick<Project, 'files'>): Record<string, unknown> | null {
  const file = project.files.find((candidate) => candidate.path === 'pnpm-workspace.yaml');
  if (file === undefined) return null;
  return parseWorkspaceYaml(file.content);
}

export function parseWorkspaceYaml(content: Buffer | string): Record<string, unknown> | null {
  const invalid = (why: string) => new SafeInstallError('PROJECT_CONFIG_INVALID', 'usage', `pnpm-workspace.yaml is not usable: ${why}`, { hint: 'fix it so that `pnpm install` reads it' });
  const bytes = typeof content === 'string' ? Buffer.byteLength(content) : content.length;
  if (bytes > MAX_WORKSPACE_BYTES) throw invalid(`it is larger than ${MAX_WORKSPACE_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = parse(content.toString(), { maxAliasCount: 0, merge: false, uniqueKeys: true, schema: 'core', strict: true });
  } catch (error) {
    throw invalid(`not valid YAML (${String((error as Error).message).split('\n')[0]!.slice(0, 200)})`);
  }
  if (doc === null || doc === undefined) return null;
  if (!isRecord(doc)) throw invalid('it is not a YAML mapping');
  return doc;
}

/** The gate as pnpm builds it from its settings (after merging `allowBuilds` into the two lists). */
export interface PnpmBuildGate {
  /** `onlyBuiltDependencies` (+ `allowBuilds` true), or null when neither is set. */
  onlyBuilt: string[] | null;
  /** `ignoredBuiltDependencies` (+ `allowBuilds` false): skipped without a warning. */
  ignored: string[];
  /** `neverBuiltDependencies` (pnpm 10; without `onlyBuilt` every other package builds). */
  never: string[];
  allowAll: boolean;
  strict: boolean;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string' && item.length <= 1024).slice(0, 10_000) : [];
}

/**
 * pnpm's settings. pnpm 10: from pnpm-workspace.yaml (top level) and package.json `pnpm`, the
 * workspace file winning. pnpm 11 reads pnpm-workspace.yaml only (package.json `pnpm` is ignored),
 * takes `allowBuilds` and `dangerouslyAllowAllBuilds` alone (the old lists are gone: its
 * createAllowBuildFunction), and has `strictDepBuilds` on unless the file turns it off.
 */
export function pnpmBuildGate(manifest: Record<string, unknown>, workspace: Record<string, unknown> | null, major = 10): PnpmBuildGate {
  const fromManifest = major < 11 && isRecord(manifest['pnpm']) ? manifest['pnpm'] : {};
  const setting = (key: string): unknown => (workspace !== null && workspace[key] !== undefined ? workspace[key] : fromManifest[key]);
  const listed = (key: string): string[] | null => (major >= 11 || setting(key) === undefined ? null : strings(setting(key)));
  let onlyBuilt = listed('onlyBuiltDependencies');
  const ignored = listed('ignoredBuiltDependencies') ?? [];
  const allowBuilds = setting('allowBuilds');
  if (isRecord(allowBuilds)) {
    onlyBuilt ??= [];
    for (const [pattern, build] of Object.entries(allowBuilds)) {
      if (build === true && !onlyBuilt.includes(pattern)) onlyBuilt.push(pattern);
      if (build === false && !ignored.includes(pattern)) ignored.push(pattern);
    }
  }
  const strict = major >= 11 ? setting('strictDepBuilds') !== false : setting('strictDepBuilds') === true;
  return { onlyBuilt, ignored, never: listed('neverBuiltDependencies') ?? [], allowAll: setting('dangerouslyAllowAllBuilds') === true, strict };
}

/** `name`, `name@1.0.0` or `name@1.0.0 || 1.0.1` (pnpm's expandPackageVersionSpecs) matches name@version. */
export function matchesBuildSpec(spec: string, name: string, version: string): boolean {
  const at = spec.indexOf('@', 1);
  if (at === -1) return spec === name;
  if (spec.slice(0, at) !== name) return false;
  return spec.slice(at + 1).split('||').map((part) => part.trim()).includes(version);
}

/** The major version of a pnpm version or range (`10`, `11.28.6`). */
export function pnpmMajor(version: string): number {
  return Number(/^(\d+)/.exec(version)?.[1] ?? 0);
}

export type BuildDecision = 'allowed' | 'denied' | 'unlisted';

/**
 * Would pnpm `major` build name@version? `denied`: listed as not to build; `unlisted`: skipped with
 * a warning. A package that is not a registry version (`file:`, git, a tarball URL: `depPath` is its
 * lockfile key, `name@file:x.tgz`) is allowed only by that exact key, never by its bare name — as
 * pnpm's createAllowBuildFunction decides.
 */
export function decideBuild(gate: PnpmBuildGate, name: string, version: string, major: number, depPath?: string): BuildDecision {
  if (gate.allowAll) return 'allowed';
  const any = (specs: readonly string[]) => specs.some((spec) => (depPath === undefined ? matchesBuildSpec(spec, name, version) : spec === depPath));
  // pnpm reports a skipped build as ignored unless its name is in ignoredBuiltDependencies.
  const denied = () => any(gate.ignored) || gate.ignored.includes(name);
  // pnpm 11 asks its deny rules first (decideAllowBuild): `name: false` wins over a pin of the same version.
  if (major >= 11 && denied()) return 'denied';
  if (gate.onlyBuilt !== null) {
    if (any(gate.onlyBuilt)) return 'allowed';
    return denied() ? 'denied' : 'unlisted';
  }
  if (gate.never.length > 0) return gate.never.includes(name) ? 'denied' : 'allowed';
  if (denied()) return 'denied';
  // pnpm 10 builds no dependency that nothing allows; earlier pnpm builds them all.
  return major >= 10 ? 'unlisted' : 'allowed';
}

/** The lockfile key pnpm's gate matches a non-registry package by (`name@file:x.tgz`); undefined for registry versions. */
export function nonSemverKey(identity: PackageIdentity): string | undefined {
  return identity.source === 'registry' ? undefined : `${identity.name}@${identity.resolved ?? ''}`;
}

/** Does a package manifest (parsed, untrusted) name an install script (preinstall, install, postinstall)? */
export function manifestHasBuild(manifest: unknown): boolean {
  const scripts = isRecord(manifest) && isRecord(manifest['scripts']) ? manifest['scripts'] : {};
  return ['preinstall', 'install', 'postinstall'].some((event) => typeof scripts[event] === 'string' && scripts[event] !== '');
}

/** Does the package in `folder` (of the exported tree) have a build pnpm runs? Its scripts, or a binding.gyp (node-gyp). */
export async function hasBuild(folder: string): Promise<boolean> {
  const manifestPath = join(folder, 'package.json');
  const info = await lstat(manifestPath).catch(() => null);
  if (info === null || !info.isFile() || info.size > MAX_PACKAGE_JSON_BYTES) return false;
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch {
    return false;
  }
  if (manifestHasBuild(manifest)) return true;
  const gyp = await lstat(join(folder, 'binding.gyp')).catch(() => null);
  return gyp?.isFile() === true;
}

function approval(identity: PackageIdentity, decision: BuildDecision): ScriptApproval {
  const name = identity.name;
  return {
    package: { name, version: identity.version },
    path: identity.path,
    approve: decision === 'denied' ? 'edit allowBuilds in pnpm-workspace.yaml (it denies the build)' : 'pnpm approve-builds',
    entry: `"${name}": true`,
  };
}

/**
 * The review of a pnpm run: dependencies with a build that the gate skipped (`pending`: they did
 * not run), and — with `dangerouslyAllowAllBuilds` — those that built with no allowance
 * (`unreviewed`: judged by what they did). `installed` is the exported tree (null: nothing came
 * back, so nothing can be said about which packages build).
 */
export async function reviewPnpmBuilds(
  project: Pick<Project, 'manifest' | 'files' | 'lockfile'>,
  pnpmVersion: string,
  installed: string | null,
): Promise<ScriptReviewReport | null> {
  if (installed === null) return null;
  const major = pnpmMajor(pnpmVersion);
  const gate = pnpmBuildGate(project.manifest, pnpmWorkspaceOf(project), major);
  const review: ScriptReviewReport = { npmVersion: pnpmVersion, packageManager: 'pnpm', pending: [], unreviewed: [] };
  for (const identity of project.lockfile.identities.byPath.values()) {
    if (identity.source === 'project' || identity.source === 'workspace' || !identity.path.startsWith('node_modules/.pnpm/')) continue;
    const decision = decideBuild(gate, identity.name, identity.version, major, nonSemverKey(identity));
    if (decision === 'allowed' && !gate.allowAll) continue;
    if (!(await hasBuild(join(installed, identity.path)))) continue;
    if (decision === 'allowed') review.unreviewed.push(approval(identity, decision));
    else review.pending.push(approval(identity, decision));
  }
  return review;
}

/** Packages that may build, before anything ran: those the gate allows (an upper bound: not every one has a build). */
export function pnpmScriptPackages(project: Pick<Project, 'manifest' | 'files' | 'lockfile' | 'rootScripts'>, pnpmVersion: string): number {
  const major = pnpmMajor(pnpmVersion);
  const gate = pnpmBuildGate(project.manifest, pnpmWorkspaceOf(project), major);
  // One package may be known under two folder names (pnpm 10's and 11's): counted once.
  const allowed = new Set<string>();
  for (const identity of project.lockfile.identities.byPath.values()) {
    if (identity.source === 'project' || identity.source === 'workspace') continue;
    if (decideBuild(gate, identity.name, identity.version, major, nonSemverKey(identity)) === 'allowed') allowed.add(`${identity.name}@${identity.version} ${identity.resolved ?? ''}`);
  }
  const count = allowed.size;
  const ownFolders = new Set(project.rootScripts.map((script) => script.slice(0, script.lastIndexOf(':'))));
  return count + ownFolders.size;
}

/** pnpm's own code for a strictDepBuilds refusal, as it prints it (pnpm 11 in brackets: `[ERR_PNPM_IGNORED_BUILDS] Ignored…`). */
const IGNORED_BUILDS = /^\s*(?:ERR_PNPM_IGNORED_BUILDS|\[ERR_PNPM_IGNORED_BUILDS\])\s+Ignored build scripts: (.*)$/;

/**
 * Watches pnpm's output for its strictDepBuilds refusal (ERR_PNPM_IGNORED_BUILDS: pnpm ran the
 * allowed builds, then failed because others are not allowed). It counts only when the project
 * sets strictDepBuilds (pnpm 11: unless it turns it off), and only on a line of pnpm's own: a script's output reaches the log with
 * pnpm's `…/pkg postinstall:` prefix. The packages named are kept only when the lockfile installs
 * them (the message is the manager's, but nothing untrusted is echoed that the lockfile does not say).
 */
export function ignoredBuildsWatch(project: Pick<Project, 'manifest' | 'files' | 'lockfile'>, pnpmVersion: string): {
  line: (text: string) => void;
  seen: (events: readonly unknown[]) => boolean;
  error: (review: ScriptReviewReport | null, exitCode: number | null) => SafeInstallError;
} {
  const workspace = pnpmWorkspaceOf(project);
  const strict = pnpmBuildGate(project.manifest, workspace, pnpmMajor(pnpmVersion)).strict;
  const how = workspace?.['strictDepBuilds'] === true || pnpmBuildGate(project.manifest, workspace, 10).strict ? 'set' : "on (pnpm 11's default)";
  const known = new Set<string>();
  for (const identity of project.lockfile.identities.byPath.values()) {
    known.add(`${identity.name}@${identity.version}`);
    const key = nonSemverKey(identity);
    if (key !== undefined) known.add(key);
  }
  let named: string[] | null = null;
  return {
    line: (text) => {
      const match = IGNORED_BUILDS.exec(text);
      if (match && named === null) named = match[1]!.split(',').map((item) => item.trim().replace(/\.$/, '')).filter((item) => known.has(item));
    },
    seen: () => strict && named !== null,
    error: (_review, exitCode) =>
      new SafeInstallError(
        'PACKAGE_MANAGER_FAILED',
        'package-manager',
        `pnpm refused to finish the install (ERR_PNPM_IGNORED_BUILDS, exit ${exitCode ?? '?'}): strictDepBuilds is ${how} and ${named?.length || 'some'} package(s) have builds allowBuilds does not allow${named?.length ? `: ${named.join(', ').slice(0, 2000)}` : ''}; node_modules was not changed`,
        { hint: 'allow or deny each with allowBuilds in pnpm-workspace.yaml (`pnpm approve-builds` writes it), then run again' },
      ),
  };
}
