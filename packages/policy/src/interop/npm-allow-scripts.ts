/**
 * npm's own `allowScripts` gate (npm 11.16+, RFC npm/rfcs#868), as the sandbox's npm applies it,
 * so a report can say which dependency scripts npm skipped (*pending*) and which it ran without
 * anyone approving them (*unreviewed*).
 *
 * Mirrors `@npmcli/arborist/lib/script-allowed.js` (npm 11.19 and 12.2): an entry matches the
 * lockfile's identity of a package, never the tarball's package.json — a registry package by the
 * `name@version` in its `resolved` URL (no `resolved`: the name from the dependency that asked for
 * it, an alias by its real package, and no version, so a pinned allow is refused and a pinned deny
 * still blocks), a `file:` or URL package by its exact `resolved`, a git package by repository and
 * commit prefix. A deny wins; alias keys and dist-tags never match; semver ranges match nothing.
 *
 * What npm does with the answer depends on its major version: 11 runs unreviewed scripts with a
 * warning, 12 skips them; both skip denied ones silently, and with `strict-allow-scripts` both
 * refuse to install while any is unreviewed (ESTRICTALLOWSCRIPTS), before any script runs.
 * Pure: the caller reads the files.
 */
import semver from 'semver';
import type { ScriptReviewReport } from '@safe-install/schema';

/** One locked package with install scripts, as the lockfile records it (untrusted data). */
export interface ScriptCandidate {
  /** Folder relative to the project (`node_modules/a`, `node_modules/a/node_modules/b`). */
  path: string;
  /** The trusted name (see {@link scriptCandidates}) and the version from `resolved`, if any. */
  name: string;
  version: string | null;
  /** The version the lockfile records, for display only (it comes from the tarball). */
  displayVersion: string;
  kind: 'registry' | 'file' | 'git' | 'remote';
  resolved: string | null;
}

/** npm's verdict for one package: allowed, denied, or nobody said (unreviewed). */
export type ScriptVerdict = true | false | null;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const REGISTRY_TARBALL = /^https?:\/\/[^/]+\/.+\/-\/[^/]+-\d/;
const GIT = /^(?:git\+[a-z]+:|git:|github:|gitlab:|bitbucket:|gist:)/i;

/** `versionFromTgz` of arborist: name and version from a registry tarball URL. */
export function identityFromTarballUrl(resolved: string): { name: string; version: string } | null {
  let url: URL;
  try {
    url = new URL(resolved);
  } catch {
    return null;
  }
  const base = url.pathname.split('/').pop() ?? '';
  if (!base.endsWith('.tgz')) return null;
  const parts = url.pathname.slice(1).split('/-/');
  if (parts.length < 2 || parts.pop() !== base) return null;
  const pre = (parts.pop() ?? '').split(/\/|%2f/i);
  const project = pre.pop() ?? '';
  const scope = pre.pop();
  if (project === '' || !base.startsWith(`${project}-`)) return null;
  const version = semver.parse(base.slice(project.length + 1, -4));
  if (version === null) return null;
  return { name: scope !== undefined && scope.startsWith('@') ? `${scope}/${project}` : project, version: version.version };
}

/** The name a folder is installed under: what follows its last `node_modules/`. */
function folderName(path: string): string | null {
  const parts = path.split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return null;
  const rest = parts.slice(at + 1);
  if (rest.some((part) => part === '' || part === '.' || part === '..')) return null;
  if (rest[0]?.startsWith('@') === true) return rest.length === 2 && rest[0].length > 1 ? `${rest[0]}/${rest[1] ?? ''}` : null;
  return rest.length === 1 ? (rest[0] ?? null) : null;
}

/** The folder whose `node_modules` holds `path` (`''` for the root). */
function parentOf(path: string): string {
  const at = path.lastIndexOf('/node_modules/');
  return at < 0 ? '' : path.slice(0, at);
}

/**
 * The locked packages npm would consider: dependencies with `hasInstallScript` (set for explicit
 * `preinstall`/`install`/`postinstall` and for an implicit `node-gyp rebuild`), not links (a
 * workspace or `file:` folder is its owner's), not bundled (npm never runs those and they cannot
 * be allowed), not optional ones that are not installed here (`os`/`cpu` say so; npm drops them
 * first). The name of a registry package comes from its `resolved` URL; without one, from the
 * dependency that asked for it (`"x": "npm:real@1"` is `real`), else its folder.
 */
export function scriptCandidates(lock: unknown, platform: { os: string; cpu: string } = { os: 'linux', cpu: 'x64' }): ScriptCandidate[] {
  const packages = isRecord(lock) && isRecord(lock['packages']) ? lock['packages'] : {};
  const out: ScriptCandidate[] = [];
  for (const [path, entry] of Object.entries(packages)) {
    if (path === '' || !isRecord(entry) || entry['hasInstallScript'] !== true) continue;
    if (entry['link'] === true || entry['inBundle'] === true) continue;
    if (!path.split('/').includes('node_modules')) continue; // a workspace or file: folder: the project's own
    if (!fitsPlatform(entry['os'], platform.os) || !fitsPlatform(entry['cpu'], platform.cpu)) continue;
    const installedAs = folderName(path);
    if (installedAs === null) continue;
    const resolved = typeof entry['resolved'] === 'string' && entry['resolved'] !== '' ? entry['resolved'] : null;
    const displayVersion = typeof entry['version'] === 'string' ? entry['version'] : '';
    if (resolved === null || REGISTRY_TARBALL.test(resolved)) {
      const fromUrl = resolved === null ? null : identityFromTarballUrl(resolved);
      const name = fromUrl?.name ?? aliasedName(packages, path, installedAs);
      out.push({ path, name, version: fromUrl?.version ?? null, displayVersion, kind: 'registry', resolved });
      continue;
    }
    const kind = GIT.test(resolved) ? 'git' : resolved.startsWith('file:') ? 'file' : 'remote';
    out.push({ path, name: installedAs, version: null, displayVersion, kind, resolved });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

function fitsPlatform(list: unknown, value: string): boolean {
  if (!Array.isArray(list) || list.length === 0) return true;
  const items = list.filter((x): x is string => typeof x === 'string');
  if (items.includes(`!${value}`)) return false;
  const positive = items.filter((x) => !x.startsWith('!'));
  return positive.length === 0 || positive.includes(value);
}

/** The real package behind `installedAs`, from the spec of the dependent that installed it. */
function aliasedName(packages: Record<string, unknown>, path: string, installedAs: string): string {
  // npm resolves a dependency from its parent folder upwards; the closest declaration wins.
  for (let dir = parentOf(path); ; dir = parentOf(dir)) {
    const owner = packages[dir];
    if (isRecord(owner)) {
      for (const field of ['dependencies', 'optionalDependencies', 'devDependencies', 'peerDependencies']) {
        const deps = owner[field];
        const spec = isRecord(deps) ? deps[installedAs] : undefined;
        if (typeof spec === 'string') {
          const alias = /^npm:((?:@[^/@]+\/)?[^/@]+)(?:@.*)?$/.exec(spec);
          return alias?.[1] ?? installedAs;
        }
      }
    }
    if (dir === '') return installedAs;
  }
}

/** npm's `isScriptAllowed` for one candidate and the project's `allowScripts` map. */
export function npmScriptVerdict(pkg: ScriptCandidate, entries: Readonly<Record<string, boolean>>): ScriptVerdict {
  let allow = false;
  let deny = false;
  for (const [key, value] of Object.entries(entries)) {
    if (!keyMatches(pkg, key, value === false)) continue;
    if (value === false) deny = true;
    else if (value === true) allow = true;
  }
  return deny ? false : allow ? true : null;
}

/**
 * Whether `key` names `pkg` at all, whatever version or value it gives (npm's `keyTargetsNode`):
 * a registry key by the trusted name, a git key by repository, a file or URL key by `resolved`.
 * What `npm install-scripts approve`/`deny` use to find the entries of a package to replace.
 */
export function keyTargets(pkg: ScriptCandidate, key: string): boolean {
  const k = key.trim();
  if (/^npm:/i.test(k)) return false;
  if (GIT.test(k) || /^git\+/i.test(k)) {
    if (pkg.kind !== 'git') return false;
    const have = gitParts(pkg.resolved ?? '');
    const want = gitParts(k);
    return have !== null && want !== null && have.repo === want.repo;
  }
  if (/^(?:file:|\.{1,2}\/|\/|~\/)/.test(k)) return (pkg.kind === 'file' || pkg.kind === 'remote') && pkg.resolved !== null && fileSpecs(k).includes(pkg.resolved);
  if (/^https?:\/\//i.test(k)) return pkg.kind !== 'registry' && pkg.resolved === k;
  if (pkg.kind !== 'registry') return false;
  const at = k.indexOf('@', 1);
  return (at === -1 ? k : k.slice(0, at)) === pkg.name;
}

/** The repository and commit of a git candidate, for its entry (`github:o/r#commit`); null when not hosted there. */
export function hostedGitKey(resolved: string, withCommit: boolean): string | null {
  const parts = gitParts(resolved);
  if (parts === null) return null;
  const hosted = /^(github|gitlab)\.com\/([^/]+\/[^/]+)$/.exec(parts.repo) ?? /^(bitbucket)\.org\/([^/]+\/[^/]+)$/.exec(parts.repo);
  if (hosted === null) return null;
  return `${hosted[1] ?? ''}:${hosted[2] ?? ''}${withCommit && parts.commit !== '' ? `#${parts.commit}` : ''}`;
}

function keyMatches(pkg: ScriptCandidate, key: string, failClosed: boolean): boolean {
  const k = key.trim();
  if (/^npm:/i.test(k)) return false; // aliases never match: name the real package
  if (GIT.test(k) || /^git\+/i.test(k)) return pkg.kind === 'git' && gitMatches(pkg.resolved ?? '', k);
  if (/^(?:file:|\.{1,2}\/|\/|~\/)/.test(k)) return (pkg.kind === 'file' || pkg.kind === 'remote') && pkg.resolved !== null && fileSpecs(k).includes(pkg.resolved);
  if (/^https?:\/\//i.test(k)) return pkg.kind !== 'registry' && pkg.resolved === k;
  if (pkg.kind !== 'registry') return false;
  const at = k.indexOf('@', 1);
  const name = at === -1 ? k : k.slice(0, at);
  const spec = at === -1 ? '' : k.slice(at + 1).trim();
  if (name !== pkg.name) return false;
  if (spec === '' || spec === '*') return true;
  const versions = spec.split('||').map((v) => v.trim());
  // Dist-tags and ranges match nothing (npm warns and drops them).
  if (!versions.every((v) => v !== '' && semver.valid(v) !== null)) return false;
  if (pkg.version === null) return failClosed;
  return versions.some((v) => semver.eq(v, pkg.version as string));
}

/** The spellings of a `file:` key that npm compares with `resolved` (relative to the project). */
function fileSpecs(key: string): string[] {
  const raw = key.replace(/^file:/, '');
  const clean = raw.replace(/^\.\//, '').replace(/\/+$/, '');
  return [key, `file:${raw}`, `file:${clean}`, raw, clean];
}

/** Repository and commit of a git spec or `resolved`, in one canonical form. */
function gitParts(spec: string): { repo: string; commit: string } | null {
  const hash = spec.indexOf('#');
  const commit = hash < 0 ? '' : spec.slice(hash + 1);
  let repo = (hash < 0 ? spec : spec.slice(0, hash)).replace(/^git\+/, '').replace(/\.git$/, '');
  const shortcut = /^(github|gitlab|bitbucket):(.+)$/.exec(repo);
  if (shortcut !== null) repo = `${shortcut[1] ?? ''}.${shortcut[1] === 'bitbucket' ? 'org' : 'com'}/${shortcut[2] ?? ''}`;
  repo = repo.replace(/^(?:ssh|https?|git):\/\//, '').replace(/^[^@/]+@/, '').replace(/^([^/:]+):(?!\d)/, '$1/');
  return repo === '' ? null : { repo: repo.toLowerCase(), commit };
}

function gitMatches(resolved: string, key: string): boolean {
  const have = gitParts(resolved);
  const want = gitParts(key);
  if (have === null || want === null || have.repo !== want.repo) return false;
  // The lockfile's full commit must start with the key's (short) one, never the reverse.
  return want.commit === '' || (have.commit !== '' && have.commit.startsWith(want.commit));
}

/**
 * The entry `npm install-scripts approve` writes for a package (it pins by default): `name@version`
 * when `resolved` says the version, the bare name when the lockfile has no `resolved` (npm cannot
 * pin it and approves every version), the exact `resolved` of a `file:` package, `host:owner/repo#commit`
 * of a hosted git package. Null when npm derives no trusted key (a git host it does not know, a
 * remote tarball URL): it refuses to approve those.
 */
export function approveKey(pkg: ScriptCandidate): string | null {
  switch (pkg.kind) {
    case 'registry':
      return pkg.version === null ? pkg.name : `${pkg.name}@${pkg.version}`;
    case 'file':
      return pkg.resolved;
    case 'git':
      return pkg.resolved === null ? null : hostedGitKey(pkg.resolved, true);
    case 'remote':
      return null;
  }
}

/**
 * The entry `npm install-scripts deny` writes: always by name, every version (the RFC's asymmetric
 * pin: an allow is pinned, a deny is not), a `file:` package by `resolved`, a git one by repository.
 */
export function denyKey(pkg: ScriptCandidate): string | null {
  switch (pkg.kind) {
    case 'registry':
      return pkg.name;
    case 'file':
      return pkg.resolved;
    case 'git':
      return pkg.resolved === null ? null : hostedGitKey(pkg.resolved, false);
    case 'remote':
      return null;
  }
}

/** The first npm version that reads `allowScripts`. */
const GATE_SINCE = '11.16.0';

/**
 * Which dependency scripts the sandbox's npm skips (npm 12: *pending*) or runs unapproved (npm 11:
 * *unreviewed*), given the project's `allowScripts` (null when it has none) and the lockfile's
 * candidates, each with npm's command that approves it. Null when this npm has no gate, or when
 * npm 11 runs everything because the project has not begun to list packages. Denied packages are
 * in neither list: npm skips them silently.
 */
export function reviewAllowScripts(entries: Readonly<Record<string, boolean>> | null, candidates: readonly ScriptCandidate[], npmVersion: string): ScriptReviewReport | null {
  const parsed = semver.coerce(npmVersion);
  if (parsed === null || semver.lt(parsed, GATE_SINCE)) return null;
  if (parsed.major < 12 && (entries === null || Object.keys(entries).length === 0)) return null;
  const review: ScriptReviewReport = { npmVersion, pending: [], unreviewed: [] };
  for (const pkg of candidates) {
    if (npmScriptVerdict(pkg, entries ?? {}) !== null) continue;
    const version = pkg.version ?? pkg.displayVersion;
    const entry = approveKey(pkg) ?? pkg.resolved ?? pkg.name;
    (parsed.major >= 12 ? review.pending : review.unreviewed).push({
      package: { name: pkg.name, version },
      path: pkg.path,
      approve: `npm install-scripts approve ${pkg.kind === 'registry' ? pkg.name : entry}`,
      entry: `"${entry}": true`,
    });
  }
  return review;
}

/** The `allowScripts` map of a package.json, booleans only (npm ignores the rest). */
export function allowScriptsEntries(packageJson: unknown): Record<string, boolean> | null {
  if (!isRecord(packageJson) || !isRecord(packageJson['allowScripts'])) return null;
  const out = Object.create(null) as Record<string, boolean>;
  for (const [key, value] of Object.entries(packageJson['allowScripts'])) if (typeof value === 'boolean') out[key] = value;
  return Object.keys(out).length === 0 ? null : out;
}
