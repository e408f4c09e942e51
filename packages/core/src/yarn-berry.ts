/**
 * Yarn Berry (Yarn 4) behind the package-manager seam. The image has npm only, so a job has two steps:
 *
 * 1. `tools`: the image's npm fetches `@yarnpkg/cli-dist@<packageManager>` from the npm registry,
 *    through the gateway, into a folder in HOME, with `--ignore-scripts`;
 * 2. `install`: the image's node runs that `yarn.js install --immutable`.
 *
 * An install job (`install`, `update`) adds a `resolve` step between them: `yarn add|up|install
 * --mode=update-lockfile`, which writes package.json and yarn.lock only (no link step, no build),
 * and the install then runs from that lockfile (yarnBerrySteps).
 *
 * Yarn has no script-shell hook: it runs lifecycle scripts with its own shell, inside its own
 * process. So the install step is traced as a whole process tree (`trace: 'tree'`) and each
 * program Yarn starts is a script run attributed by its folder through the lockfile
 * (process-tree capture: tracer `processTree`). Yarn's own file and network calls are traced too
 * (the cost of this capture), and attributed to the project.
 *
 * Every setting that decides whether code runs unseen or where packages land is forced in the
 * environment, which wins over .yarnrc.yml: the project's `yarnPath` is ignored (YARN_IGNORE_PATH:
 * it is code from the repository), telemetry off, the global cache off, Yarn's global folder in
 * HOME, the cache in HOME for the node-modules linker (in the project for PnP: .pnp.cjs points at
 * it), the registry the gateway's (sandboxNetwork), and no proxy but the forwarder. Plugins from
 * the project (`plugins:` in .yarnrc.yml) would run in Yarn's own process before any script and
 * cannot be switched off from the environment: such projects are refused. `enableScripts` and
 * `dependenciesMeta.<pkg>.built` stay the project's, as Yarn applies them.
 */
import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { RESOLVE_PHASE, SANDBOX_NETWORK, SANDBOX_PATHS, SafeInstallError, type JobStep, type PackageIdentity, type PackageRef, type ScriptReviewReport } from '@safe-install/schema';
import { exportScope, gatewayNetwork, readHostNpmConfig, readProjectWith, YARN_BERRY_LOCKFILE, MAX_MANIFEST_BYTES, type Project } from '@safe-install/sandbox';
import type { InstallJob, LockfileChange, PackageManager } from './package-manager.js';
import { mergedYarnScopes, readYarnrcFile, sandboxYarnrc, withSandboxYarnrc, yarnScopesOf, type YarnScope } from './yarn-berry-scopes.js';
import { hasBuild, manifestHasBuild } from './pnpm-builds.js';
import { readZipEntry, zipEntries } from './zip-entries.js';
import { returnedProjectWith } from './lockfile-jobs.js';
import { yarnBerryGrantScripts } from './script-grants.js';

/** A project without a `packageManager` field gets the newest 4.x on the registry (npm resolves the range). */
export const DEFAULT_YARN_BERRY = '4';
const SUPPORTED_MAJOR = 4;
/** Largest .yarnrc.yml read. */
const MAX_YARNRC_BYTES = 256 * 1024;

/** Where the tools step puts Yarn in the sandbox's HOME. */
export function yarnToolDir(version: string): string {
  return `${SANDBOX_PATHS.home}/.cache/node/corepack/v1/yarn/${version}`;
}

/**
 * Where Yarn writes the wrappers (`node`, `run`, `yarn`, `node-gyp`) it runs every script through:
 * a fresh `xfs-<hex>` folder under the temporary folder. Its programs are the manager's own (a
 * `toolDirs` glob), not a program run from /tmp, as long as no traced script wrote them.
 */
export const YARN_WRAPPER_DIRS = '/tmp/xfs-*';

/** The entry script the install runs with the image's node. */
export function yarnEntry(version: string): string {
  return `${yarnToolDir(version)}/node_modules/@yarnpkg/cli-dist/bin/yarn.js`;
}

/** The Yarn version the project asks for (`packageManager: "yarn@4.18.1"`), or DEFAULT_YARN_BERRY. */
export function yarnBerryVersionOf(manifest: Record<string, unknown>): { version: string; from: 'packageManager' | 'default' } {
  const field = manifest['packageManager'];
  if (typeof field !== 'string' || !field.startsWith('yarn@')) return { version: DEFAULT_YARN_BERRY, from: 'default' };
  const version = field.slice('yarn@'.length).split('+')[0]!;
  const match = /^(\d{1,4})\.\d{1,6}\.\d{1,6}(?:-[0-9A-Za-z.-]{1,64})?$/.exec(version);
  if (match === null) {
    throw new SafeInstallError('PROJECT_CONFIG_INVALID', 'usage', `package.json packageManager ${JSON.stringify(field.slice(0, 80))} does not name an exact Yarn version`, { hint: 'use "yarn@<major>.<minor>.<patch>", e.g. "yarn@4.18.1"' });
  }
  if (Number(match[1]) !== SUPPORTED_MAJOR) {
    throw new SafeInstallError('PACKAGE_MANAGER_UNSUPPORTED', 'usage', `Yarn ${version} is not supported: safe-install runs Yarn Berry ${SUPPORTED_MAJOR}.x`, { hint: `pin Yarn ${SUPPORTED_MAJOR} in package.json packageManager (\`yarn set version ${SUPPORTED_MAJOR}\`)` });
  }
  return { version, from: 'packageManager' };
}

/** The project's .yarnrc.yml (untrusted: bounded, no aliases, merge keys or duplicate keys), or {}. */
export function yarnrcOf(project: Pick<Project, 'files'>): Record<string, unknown> {
  const file = project.files.find((entry) => entry.path === '.yarnrc.yml');
  if (file === undefined) return {};
  const invalid = (why: string) => new SafeInstallError('PROJECT_CONFIG_INVALID', 'usage', `.yarnrc.yml ${why}`, { hint: 'fix .yarnrc.yml (Yarn writes plain YAML mappings)' });
  if (file.content.length > MAX_YARNRC_BYTES) throw invalid(`is larger than ${MAX_YARNRC_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = parse(file.content.toString('utf8'), { maxAliasCount: 0, merge: false, uniqueKeys: true, schema: 'core', prettyErrors: false, strict: true });
  } catch (error) {
    throw invalid(`is not valid YAML (${String((error as Error).message).split('\n')[0]!.slice(0, 200)})`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw invalid('is not a YAML mapping');
  return doc as Record<string, unknown>;
}

export type YarnLinker = 'pnp' | 'node-modules';

/** The linker the project uses (Yarn's default: PnP); another (`pnpm`) is refused. */
export function yarnLinkerOf(yarnrc: Record<string, unknown>): YarnLinker {
  const linker = yarnrc['nodeLinker'] ?? 'pnp';
  if (linker === 'pnp' || linker === 'node-modules') return linker;
  throw new SafeInstallError('PACKAGE_MANAGER_UNSUPPORTED', 'usage', `Yarn's nodeLinker ${JSON.stringify(String(linker).slice(0, 40))} is not supported yet: safe-install runs Yarn with "node-modules" or "pnp"`, { hint: 'set nodeLinker to node-modules (or remove it for PnP) in .yarnrc.yml' });
}

/** Settings refused before a run: plugins from the project (code Yarn runs in its own process), another linker. */
export function refuseUnsupportedYarn(project: Pick<Project, 'files'>): void {
  const yarnrc = yarnrcOf(project);
  const plugins = yarnrc['plugins'];
  if (plugins !== undefined && plugins !== null && (!Array.isArray(plugins) || plugins.length > 0)) {
    throw new SafeInstallError('PACKAGE_MANAGER_UNSUPPORTED', 'usage', 'Yarn plugins from the project (plugins in .yarnrc.yml) are not supported: Yarn runs their code in its own process before any script, and the environment cannot switch them off', {
      hint: 'remove the plugins from .yarnrc.yml for safe-install runs (Yarn 4 bundles the common ones), or follow the issue "Every package manager"',
    });
  }
  yarnLinkerOf(yarnrc);
}

/** The environment of the traced install: what decides whether code runs unseen and where packages land (see the header). */
export function yarnBerryEnv(linker: YarnLinker): string[] {
  const home = SANDBOX_PATHS.home;
  return [
    'YARN_IGNORE_PATH=1',
    // Yarn's state out of the project: only what scripts do there is theirs.
    `YARN_INSTALL_STATE_PATH=${home}/.yarn/berry/install-state.gz`,
    'YARN_ENABLE_TELEMETRY=0',
    'YARN_ENABLE_GLOBAL_CACHE=0',
    `YARN_GLOBAL_FOLDER=${home}/.yarn/berry`,
    // PnP resolves packages from the cache at run time: it must be the project's, and come back.
    ...(linker === 'pnp' ? ['YARN_CACHE_FOLDER=./.yarn/cache'] : [`YARN_CACHE_FOLDER=${home}/.yarn/berry/cache`]),
    // Where unplugged packages land: the folders attribution and the export know (Yarn's default).
    ...(linker === 'pnp' ? ['YARN_PNP_UNPLUGGED_FOLDER=./.yarn/unplugged'] : []),
    'YARN_ENABLE_PROGRESS_BARS=0',
    'YARN_ENABLE_INLINE_BUILDS=0',
    'YARN_ENABLE_MIRROR=0',
  ];
}

/**
 * What Yarn's PnP linker writes into the project besides node_modules: the resolution map and its
 * ESM loader, the package cache (YARN_CACHE_FOLDER, below) and the unplugged packages. Yarn's own
 * writes there are not traced (process-tree capture), so only a traced script's write there is
 * judged (JobStep `managerFiles`). `.yarn` itself, as Yarn creates it; not `.yarn/releases`,
 * `.yarn/plugins`, `.yarn/patches` or `.yarn/sdks`, which Yarn never writes during an install and
 * which run on the host: a change there stays a finding.
 */
export const YARN_PNP_FILES = ['.pnp.cjs', '.pnp.loader.mjs', '.pnp.data.json', '.yarn', '.yarn/cache/', '.yarn/unplugged/', '.yarn/install-state.gz'] as const;

/**
 * The Yarn arguments that resolve an install job into package.json and yarn.lock only
 * (`--mode=update-lockfile`: Yarn skips the link step, so no package is laid out and no build
 * runs): `yarn add <pkgs>`, `yarn up <pkgs>`, or `yarn install` of the current manifest. A local
 * tarball (`file:x.tgz` from planSpecs) is named by its path (`./x.tgz`), the form Yarn reads as a
 * tarball (it looks `file:x.tgz` up on the registry). `update` with no packages has no Yarn
 * equivalent that stays within the ranges (`yarn up` moves each to its latest): refused.
 */
export function yarnBerryResolveArgs(job: LockfileChange): string[] {
  const specs = job.packages.map((spec) => (spec.startsWith('file:') ? `./${spec.slice('file:'.length)}` : spec));
  if (job.kind === 'update' && specs.length === 0) {
    throw new SafeInstallError('JOB_UNSUPPORTED', 'usage', 'safe-install update needs package names for Yarn Berry projects: `yarn up` with no package has no meaning', { hint: 'name the packages to update (`safe-install update left-pad`)' });
  }
  const verb = job.kind === 'update' ? 'up' : specs.length > 0 ? 'add' : 'install';
  // Options before `--`: after it every word is a package.
  return [verb, '--mode=update-lockfile', ...(specs.length > 0 ? ['--', ...specs] : [])];
}

/**
 * The steps of a Yarn Berry job: fetch Yarn (untraced npm, no scripts), then the install, traced as
 * a process tree. An install job (`add`, `update`) resolves first (`resolve`: the lockfile only,
 * with the same environment and traced the same way, as Yarn itself fetches there), then installs
 * from the lockfile it wrote (`relock`: every script attributed by it); `--immutable` makes that
 * install fail rather than change the lockfile again.
 */
export function yarnBerrySteps(job: InstallJob, version: string, linker: YarnLinker, options: { export: boolean; trace: boolean }): JobStep[] {
  if (job.kind === 'lock') {
    throw new SafeInstallError('PACKAGE_MANAGER_UNSUPPORTED', 'usage', 'safe-install analyze does not support Yarn Berry projects yet', { hint: 'run safe-install ci with the lockfile Yarn wrote' });
  }
  const yarn = ['env', ...yarnBerryEnv(linker), 'node', yarnEntry(version)];
  const trace = options.trace ? 'tree' : 'none';
  // Under PnP Yarn writes its files into the project in every traced step (the resolve fills .yarn/cache).
  const managerFiles = options.trace && linker === 'pnp' ? { managerFiles: [...YARN_PNP_FILES] } : {};
  const tools: JobStep = {
    phase: 'tools',
    command: ['npm', 'install', '--prefix', yarnToolDir(version), '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', `@yarnpkg/cli-dist@${version}`],
    trace: options.trace ? 'scripts' : 'none',
    attribution: 'lockfile',
    export: 'none',
  };
  const install: JobStep = {
    phase: 'install',
    command: [...yarn, 'install', '--immutable'],
    trace,
    attribution: 'lockfile',
    export: options.export ? 'install' : 'none',
    ...managerFiles,
  };
  if (job.kind === 'ci') return [tools, install];
  return [tools, { phase: RESOLVE_PHASE, command: [...yarn, ...yarnBerryResolveArgs(job)], trace, attribution: 'lockfile', export: 'none', ...managerFiles }, { ...install, relock: true }];
}

/** The project as a Yarn Berry install job left it: package.json and yarn.lock checked as a project's own (lockfile-jobs.ts). */
export function returnedYarnBerryProject(project: Project, tree: string, options: { maxBytes?: number } = {}): Promise<Project> {
  return returnedProjectWith(project, tree, {
    lockfileName: 'yarn.lock',
    reader: YARN_BERRY_LOCKFILE,
    refuse: (returned) => {
      refuseUnsupportedYarn(returned);
      yarnBerryVersionOf(returned.manifest);
    },
  }, { maxBytes: options.maxBytes ?? MAX_MANIFEST_BYTES });
}

/**
 * Whether Yarn `yarnVersion` (`4.10.3`, or the major alone: the newest) runs dependency builds when
 * .yarnrc.yml says nothing: `enableScripts` defaults to true up to 4.13 and to false from 4.14.0
 * (read from each release's @yarnpkg/cli-dist: 4.10.3, 4.12.0, 4.13.0 true; 4.14.0, 4.17.1, 4.18.1 false).
 */
export function yarnScriptsByDefault(yarnVersion: string): boolean {
  const [major, minor] = yarnVersion.split('.').map(Number);
  if (minor === undefined || Number.isNaN(minor)) return false;
  return major! < 4 || (major === 4 && minor < 14);
}

/**
 * Yarn's build gate, as Yarn 4 applies it (checked in its linker): a package whose
 * `dependenciesMeta` entry (`name@version`, else `name`) says `built: false` never builds; one that
 * says `built: true` builds; any other builds when `enableScripts` is on — its default is the
 * version's (`yarnScriptsByDefault`: off from 4.14), `enableScripts` in .yarnrc.yml decides otherwise.
 */
export function yarnBuildAllowed(manifest: Record<string, unknown>, yarnrc: Record<string, unknown>, name: string, version: string, yarnVersion: string = DEFAULT_YARN_BERRY): boolean {
  const meta = manifest['dependenciesMeta'];
  let built: unknown;
  if (typeof meta === 'object' && meta !== null && !Array.isArray(meta)) {
    for (const key of [`${name}@${version}`, name]) {
      const entry = Object.hasOwn(meta, key) ? (meta as Record<string, unknown>)[key] : undefined;
      if (typeof entry === 'object' && entry !== null) {
        built = (entry as Record<string, unknown>)['built'];
        break;
      }
    }
  }
  if (built === false) return false;
  if (built === true) return true;
  const setting = yarnrc['enableScripts'];
  if (setting === true || setting === 'true') return true;
  if (setting === false || setting === 'false') return false;
  return yarnScriptsByDefault(yarnVersion);
}

/**
 * Does the package in a Yarn cache archive (`node_modules/<name>/` inside it) have a build? Its
 * manifest's install scripts, or a binding.gyp — read from the zip (bounded: zip-entries.ts).
 */
async function zippedHasBuild(zip: string, name: string): Promise<boolean> {
  const entries = await zipEntries(zip);
  if (entries === null) return false;
  if (entries.has(`node_modules/${name}/binding.gyp`)) return true;
  const entry = entries.get(`node_modules/${name}/package.json`);
  const content = entry === undefined ? null : await readZipEntry(zip, entry, MAX_ZIPPED_MANIFEST_BYTES);
  if (content === null) return false;
  try {
    return manifestHasBuild(JSON.parse(content.toString('utf8')));
  } catch {
    return false;
  }
}
const MAX_ZIPPED_MANIFEST_BYTES = 1024 * 1024;

/**
 * The review of a Yarn run: packages with a build that Yarn's gate skipped (`pending`). Read from
 * the exported node_modules; under PnP, a skipped package stays in its cache archive
 * (`.yarn/cache/<unplugged slug>-<cacheKey>.zip`: the one that came back, else the project's own).
 */
export async function reviewYarnBuilds(project: Pick<Project, 'manifest' | 'files' | 'lockfile'> & Partial<Pick<Project, 'root'>>, version: string, installed: string | null): Promise<ScriptReviewReport | null> {
  if (installed === null) return null;
  const yarnrc = yarnrcOf(project);
  const review: ScriptReviewReport = { npmVersion: version, packageManager: 'yarn-berry', pending: [], unreviewed: [] };
  const skipped = (identity: PackageRef) => !yarnBuildAllowed(project.manifest, yarnrc, identity.name, identity.version, version);
  const pending = (identity: PackageRef, path: string) =>
    review.pending.push({ package: { name: identity.name, version: identity.version }, path, approve: `set dependenciesMeta["${identity.name}"].built: true in package.json (or enableScripts: true in .yarnrc.yml)`, entry: `"${identity.name}": { "built": true }` });
  if (yarnLinkerOf(yarnrc) === 'pnp') {
    const caches = [installed, ...(project.root === undefined ? [] : [project.root])].map((dir) => join(dir, '.yarn/cache'));
    const listed = await Promise.all(caches.map((dir) => readdir(dir).catch(() => [] as string[])));
    for (const { folder, package: ref } of project.lockfile.unplugged ?? []) {
      if (!skipped(ref)) continue;
      const slug = folder.slice(folder.lastIndexOf('/') + 1);
      const at = listed.findIndex((names) => names.some((name) => name.startsWith(`${slug}-`) && name.endsWith('.zip')));
      if (at < 0) continue;
      const zip = listed[at]!.find((name) => name.startsWith(`${slug}-`) && name.endsWith('.zip'))!;
      if (await zippedHasBuild(join(caches[at]!, zip), ref.name)) pending(ref, `.yarn/cache/${zip}`);
    }
    return review;
  }
  for (const identity of project.lockfile.identities.byPath.values()) {
    if (identity.source === 'project' || identity.source === 'workspace' || !skipped(identity)) continue;
    if (!(await hasBuild(join(installed, identity.path)))) continue;
    pending(identity, identity.path);
  }
  return review;
}

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

/** The user's scopes (~/.yarnrc.yml) and the project's, the project's winning. */
export async function hostYarnScopes(project: Pick<Project, 'files'>, home?: string): Promise<Map<string, YarnScope>> {
  const user = await readYarnrcFile(home);
  return mergedYarnScopes([user === null ? new Map() : yarnScopesOf(yarnrcOf({ files: [user] }), '~/.yarnrc.yml'), yarnScopesOf(yarnrcOf(project), '.yarnrc.yml')]);
}

async function readYarnBerryProject(dir: string): Promise<Project> {
  const project = await readProjectWith(dir, YARN_BERRY_LOCKFILE);
  refuseUnsupportedYarn(project);
  yarnBerryVersionOf(project.manifest);
  // No credential of .yarnrc.yml goes into the sandbox (the gateway adds them: sandboxNetwork).
  return { ...project, files: withSandboxYarnrc(project.files, sandboxYarnrc(yarnrcOf(project), await hostYarnScopes(project))) };
}

const versionOf = (project: Project): string => yarnBerryVersionOf(project.manifest).version;

export const yarnBerry: PackageManager = {
  name: 'yarn-berry',
  detect: (dir) => exists(join(dir, 'yarn.lock')),
  readProject: readYarnBerryProject,
  hostConfig: readHostNpmConfig,
  // The tools step's npm reads ~/.npmrc; Yarn takes the same registry (the gateway) from the environment.
  // Yarn's scoped registries join npm's (a scope both name is Yarn's here), their credentials the gateway's.
  sandboxNetwork: async (config, projectRoot, allow) => {
    const rc = await readYarnrcFile(projectRoot);
    const scopes = await hostYarnScopes({ files: rc === null ? [] : [rc] });
    const scopedRegistries = { ...config.scopedRegistries, ...Object.fromEntries([...scopes].map(([scope, { server }]) => [scope, server])) };
    const credentials = [...scopes.values()].map((scope) => scope.credentials);
    const network = await gatewayNetwork({ ...config, scopedRegistries }, { projectRoot, allow, credentials });
    const registry = network.gateway.registries[0]?.advertised ?? config.registry;
    return { ...network, env: [...network.env, `YARN_NPM_REGISTRY_SERVER=${registry.replace(/\/$/, '')}`, `YARN_HTTP_PROXY=${SANDBOX_NETWORK.proxyOrigin}`, `YARN_HTTPS_PROXY=${SANDBOX_NETWORK.proxyOrigin}`] };
  },
  command: () => ['yarn', 'install', '--immutable'],
  jobSteps: (job, project, options) => ({ steps: yarnBerrySteps(job, versionOf(project), yarnLinkerOf(yarnrcOf(project)), options), lockfile: 'yarn.lock' }),
  lockfileJobs: {
    resolve: (job) => ['yarn', ...yarnBerryResolveArgs(job)],
    returned: returnedYarnBerryProject,
  },
  scriptCapture: 'process-tree',
  // node_modules of the root and each workspace; PnP's files (.pnp.cjs, .pnp.loader.mjs,
  // .yarn/cache) as project files, and the node_modules of the unplugged folders the lockfile's
  // packages would have (each replaced whole when it comes back; no other folder's comes back).
  exportScope: (project) => exportScope(project.lockfile.workspaces, { projectFiles: true, ...(yarnLinkerOf(yarnrcOf(project)) === 'pnp' ? { optionalFolders: (project.lockfile.unplugged ?? []).map((entry) => entry.folder) } : {}) }),
  cacheFolders: ['.npm', '.cache/node', '.yarn'],
  lockedPackages: (project) => project.lockfile.locked,
  scriptReview: (project, _version, installed) => reviewYarnBuilds(project, versionOf(project), installed?.tree ?? null),
  grantScripts: (project, packages) => yarnBerryGrantScripts(project, packages),
  scriptPackages: (project) => {
    const yarnrc = yarnrcOf(project);
    return project.lockfile.locked.filter((ref) => yarnBuildAllowed(project.manifest, yarnrc, ref.name, ref.version, versionOf(project))).length;
  },
  evaluationContext: (_version, project) => ({ toolDirs: [yarnToolDir(versionOf(project)), YARN_WRAPPER_DIRS] }),
};
