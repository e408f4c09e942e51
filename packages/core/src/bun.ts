/**
 * Bun behind the package-manager seam. The image has npm only, so a Bun job has two steps:
 *
 * 1. `tools`: the image's npm fetches Bun's platform package (`@oven/bun-linux-x64-baseline`, the
 *    executable for any x86-64 CPU on glibc, as the image is) from the npm registry, through the
 *    gateway, with `--ignore-scripts`. The `bun` package itself is not used: its postinstall picks
 *    the platform binary, and no install code may run untraced.
 * 2. `install`: that Bun runs `bun install --frozen-lockfile`. Bun has no script-shell setting: it
 *    runs each lifecycle script as `bash -c COMMAND`, `bash` found in its PATH (checked with Bun
 *    1.4.4; bunfig's `[run] shell` does not apply to install scripts, a planted
 *    `node_modules/.bin/bash` is not used). The step's PATH starts with the image's root-owned
 *    folder where `bash` is the script shell (SANDBOX_HELPERS.bunPathDir), so every script is
 *    traced through the script broker exactly as npm's and pnpm's are (`scriptCapture:
 *    'script-shell'`). The settings that decide where packages land and how are forced on the
 *    command line: the hoisted linker (the folders the lockfile reader assumes), the cache in HOME,
 *    no project bunfig.toml (`--config` names an empty one of the image's: the project's could set
 *    registries, the cache, the linker), no telemetry.
 *
 * Registry, scopes and auth reach Bun as they reach npm: Bun reads ~/.npmrc and the proxy
 * environment, so the gateway's lines apply, and the decoy token is all the sandbox holds.
 *
 * Bun is a native executable in HOME, readable by the install user, so it is not execute-only as the
 * image's node is. What keeps scripts from reaching into it: every script runs in a PID namespace of
 * its own (it cannot name Bun's process, so it can neither ptrace it nor open its /proc files), and
 * every process of a script is traced (a tracee cannot attach to anything). What a script can do is
 * replace the file in HOME; the running Bun is not affected, and nothing runs it after the install.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { RESOLVE_PHASE, SANDBOX_HELPERS, SANDBOX_PATHS, SafeInstallError, type JobStep, type PackageIdentity, type ScriptApproval, type ScriptReviewReport } from '@safe-install/schema';
import { BUN_LOCKFILE, exportScope, gatewayNetwork, readHostNpmConfig, readProjectWith, type Project } from '@safe-install/sandbox';
import type { InstallJob, LockfileChange, PackageManager } from './package-manager.js';
import { returnedBunProject } from './bun-returned.js';
import { BUN_DEFAULT_TRUSTED } from './bun-default-trusted.js';
import { hasBuild } from './pnpm-builds.js';
import { bunGrantScripts } from './script-grants.js';

/** The Bun a project without a `packageManager` field gets: the newest 1.x on the registry (npm resolves the range). */
export const DEFAULT_BUN = '1';
/** Bun's executable for the image (x86-64, glibc; the baseline build needs no AVX2). */
export const BUN_PLATFORM_PACKAGE = '@oven/bun-linux-x64-baseline';
/** The image's PATH (Debian's), after Bun's folder and the script-shell folder. */
const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Where the tools step puts Bun in the sandbox's HOME: a corepack-like folder, as for pnpm. */
export function bunToolDir(version: string): string {
  return `${SANDBOX_PATHS.home}/.cache/node/corepack/v1/bun/${version}`;
}

/** The folder of the bun executable the tools step installs. */
export function bunBinDir(version: string): string {
  return `${bunToolDir(version)}/node_modules/${BUN_PLATFORM_PACKAGE}/bin`;
}

/** The Bun version the project asks for: `packageManager: "bun@1.4.4"`; none, or another manager's: DEFAULT_BUN. */
export function bunVersionOf(manifest: Record<string, unknown>): { version: string; from: 'packageManager' | 'default' } {
  const field = manifest['packageManager'];
  if (typeof field !== 'string' || !field.startsWith('bun@')) return { version: DEFAULT_BUN, from: 'default' };
  const version = field.slice('bun@'.length).split('+')[0]!;
  const match = /^(\d{1,4})\.(\d{1,6})\.\d{1,6}(?:-[0-9A-Za-z.-]{1,64})?$/.exec(version);
  if (match === null) {
    throw new SafeInstallError('PROJECT_CONFIG_INVALID', 'usage', `package.json packageManager ${JSON.stringify(field.slice(0, 80))} does not name an exact Bun version`, { hint: 'use "bun@<major>.<minor>.<patch>", e.g. "bun@1.4.4"' });
  }
  // bun.lock (text) is Bun's default from 1.2; `--linker` from 1.2.19 (1.3 made isolated the workspace default).
  if (Number(match[1]) < 1 || (Number(match[1]) === 1 && Number(match[2]) < 3)) {
    throw new SafeInstallError('PACKAGE_MANAGER_UNSUPPORTED', 'usage', `Bun ${version} is not supported: safe-install runs Bun 1.3 and later`, { hint: 'upgrade the project to Bun 1.3 or later (`bun upgrade`, then `bun install`)' });
  }
  return { version, from: 'packageManager' };
}

/** The options of the traced install that decide how scripts run and where packages go (see the header). */
export function bunInstallFlags(): string[] {
  return [
    '--linker=hoisted',
    `--cache-dir=${SANDBOX_PATHS.home}/.bun/install/cache`,
    // An empty config of the image's own in place of the project's bunfig.toml.
    '--config=/dev/null',
    '--no-progress',
    '--no-summary',
  ];
}

/** The environment of the install step: the script-shell folder first in PATH, then Bun's own (node-gyp and `bun` for scripts). */
export function bunEnvironment(version: string): string[] {
  return [`PATH=${SANDBOX_HELPERS.bunPathDir}:${bunBinDir(version)}:${IMAGE_PATH}`, 'DO_NOT_TRACK=1', 'BUN_INSTALL_CACHE_DIR=' + `${SANDBOX_PATHS.home}/.bun/install/cache`];
}

/**
 * The Bun arguments that resolve an install job into package.json and bun.lock only
 * (`--lockfile-only`: nothing is installed; `--ignore-scripts`: no install code runs; checked with
 * Bun 1.4.4): `bun add <pkgs>`, `bun update [pkgs]`, or `bun install` of the current manifest.
 */
export function bunResolveArgs(job: LockfileChange, flags: readonly string[] = []): string[] {
  const verb = job.kind === 'update' ? 'update' : job.packages.length > 0 ? 'add' : 'install';
  // Options before `--`: after it every word is a package (Bun takes `--` as npm does).
  return [verb, '--lockfile-only', '--ignore-scripts', ...flags, ...(job.packages.length > 0 ? ['--', ...job.packages] : [])];
}

/**
 * The steps of a Bun job: fetch Bun (untraced npm, no scripts), then the traced install. An install
 * job (`add`, `update`) resolves first (the lockfile only, no script; Bun's `--lockfile-only` fills
 * no node_modules, unlike pnpm's in a workspace, so nothing needs clearing), then installs from the
 * lockfile the resolve wrote (`relock`: every script attributed by it).
 */
export function bunSteps(job: InstallJob, version: string, options: { export: boolean; trace: boolean }): JobStep[] {
  if (job.kind === 'lock') throw new SafeInstallError('PACKAGE_MANAGER_UNSUPPORTED', 'usage', 'safe-install does not write a Bun lockfile on its own yet', { hint: 'run `bun install --lockfile-only` with Bun itself' });
  const dir = bunToolDir(version);
  const trace = options.trace ? 'scripts' : 'none';
  // env sets the PATH and execs Bun in its own process: the broker's manager is Bun.
  const bun = ['/usr/bin/env', ...bunEnvironment(version), `${bunBinDir(version)}/bun`];
  const tools: JobStep = {
    phase: 'tools',
    command: ['npm', 'install', '--prefix', dir, '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', `${BUN_PLATFORM_PACKAGE}@${version}`],
    trace,
    attribution: 'lockfile',
    export: 'none',
  };
  const install: JobStep = { phase: 'install', command: [...bun, 'install', '--frozen-lockfile', ...bunInstallFlags()], trace, attribution: 'lockfile', export: options.export ? 'install' : 'none' };
  if (job.kind === 'ci') return [tools, install];
  return [
    tools,
    // The same settings as the install (no project bunfig, the cache in HOME): the lockfile it writes is the one installed.
    { phase: RESOLVE_PHASE, command: [...bun, ...bunResolveArgs(job, bunInstallFlags())], trace, attribution: 'lockfile', export: 'none' },
    { ...install, relock: true },
  ];
}

/** Bun's trust gate: the root's `trustedDependencies` when it has one, else Bun's default list. */
export function bunTrusted(manifest: Record<string, unknown>): { names: ReadonlySet<string>; from: 'trustedDependencies' | 'default' } {
  const field = manifest['trustedDependencies'];
  if (!Array.isArray(field)) return { names: BUN_DEFAULT_TRUSTED, from: 'default' };
  return { names: new Set(field.filter((name): name is string => typeof name === 'string')), from: 'trustedDependencies' };
}

/** Whether Bun runs the dependency's scripts: trusted by name, and (for the default list) from the registry. */
export function bunRunsScripts(identity: Pick<PackageIdentity, 'name' | 'source'>, trusted: ReturnType<typeof bunTrusted>): boolean {
  if (!trusted.names.has(identity.name)) return false;
  return trusted.from === 'trustedDependencies' || identity.source === 'registry';
}

function approval(identity: PackageIdentity): ScriptApproval {
  return { package: { name: identity.name, version: identity.version }, path: identity.path, approve: `bun pm trust ${identity.name}`, entry: JSON.stringify(identity.name) };
}

/**
 * The review: dependencies with a build (their installed package.json's install scripts, or a
 * binding.gyp) that Bun's gate did not trust are `pending` (skipped, not run). Read from the
 * exported tree (null: nothing came back, nothing can be said).
 */
export async function reviewBunBuilds(project: Pick<Project, 'manifest' | 'lockfile'>, version: string, installed: string | null): Promise<ScriptReviewReport | null> {
  if (installed === null) return null;
  const trusted = bunTrusted(project.manifest);
  const review: ScriptReviewReport = { npmVersion: version, packageManager: 'bun', pending: [], unreviewed: [] };
  for (const identity of project.lockfile.identities.byPath.values()) {
    if (identity.source === 'project' || identity.source === 'workspace' || !identity.path.startsWith('node_modules/') && !identity.path.includes('/node_modules/')) continue;
    if (bunRunsScripts(identity, trusted)) continue;
    if (await hasBuild(join(installed, identity.path))) review.pending.push(approval(identity));
  }
  return review;
}

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

async function readBunProject(dir: string, options?: { lockfileInSync?: boolean }): Promise<Project> {
  const project = await readProjectWith(dir, BUN_LOCKFILE, options?.lockfileInSync === false ? { lockfileInSync: false } : {});
  bunVersionOf(project.manifest);
  return project;
}

export const bun: PackageManager = {
  name: 'bun',
  detect: async (dir) => (await exists(join(dir, 'bun.lock'))) || exists(join(dir, 'bun.lockb')),
  readProject: readBunProject,
  // Bun reads the same .npmrc layers as npm for registries, scopes and auth.
  hostConfig: readHostNpmConfig,
  sandboxNetwork: (config, projectRoot, allow) => gatewayNetwork(config, { projectRoot, allow }),
  command: (job) => (job.kind === 'ci' ? ['bun', 'install', '--frozen-lockfile'] : job.kind === 'lock' ? ['bun', 'install', '--lockfile-only', '--ignore-scripts'] : ['bun', ...bunResolveArgs(job)]),
  jobSteps: (job, project, options) => ({ steps: bunSteps(job, bunVersionOf(project.manifest).version, options), lockfile: 'bun.lock' }),
  lockfileJobs: {
    resolve: (job) => ['bun', ...bunResolveArgs(job)],
    returned: returnedBunProject,
  },
  scriptCapture: 'script-shell',
  exportScope: (project) => exportScope(project.lockfile.workspaces, { projectFiles: true }),
  // npm's cache (the tools step), the tool folder, Bun's install cache.
  cacheFolders: ['.npm', '.cache/node', '.bun'],
  lockedPackages: (project) => project.lockfile.locked,
  // The version the host asked for, not what the sandbox's copy says of itself.
  scriptReview: (project, _version, installed) => reviewBunBuilds(project, bunVersionOf(project.manifest).version, installed?.tree ?? null),
  grantScripts: (project, packages) => bunGrantScripts(project, packages),
  scriptPackages: (project) => {
    const trusted = bunTrusted(project.manifest);
    let count = project.rootScripts.length;
    for (const identity of project.lockfile.identities.byPath.values()) if (identity.source !== 'project' && identity.source !== 'workspace' && bunRunsScripts(identity, trusted)) count++;
    return count;
  },
  // Bun's folder holds its own programs (none run from it but bun itself; node-gyp is the image's).
  evaluationContext: (_version, project) => ({ toolDirs: [bunToolDir(bunVersionOf(project.manifest).version)] }),
};
