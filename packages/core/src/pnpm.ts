/**
 * pnpm behind the package-manager seam. The sandbox image has npm only, so a pnpm job has two steps:
 *
 * 1. `tools`: the image's npm fetches the project's pnpm (`packageManager: "pnpm@10.x.y"`) from the
 *    npm registry, through the gateway like every other download, into a corepack-like folder in
 *    HOME, with `--ignore-scripts` (pnpm's package has no install script; none may run untraced);
 * 2. `install`: that pnpm runs `pnpm install --frozen-lockfile`, each lifecycle script under the
 *    tracer through pnpm's `script-shell` setting. The settings that decide whether and how scripts
 *    run and where packages land are given on the command line, which wins over the project's
 *    .npmrc and pnpm-workspace.yaml (checked with pnpm 10.34): the script shell, no shell emulator
 *    (it would run scripts inside pnpm's own untraced process), no pnpmfile (code pnpm runs in
 *    its own process), no side-effects cache (a cached build would skip its script), the virtual
 *    store inside node_modules with the folder-name length the lockfile reader assumes, no global
 *    virtual store (links out of the project), the store in HOME, and no switch to another pnpm.
 *
 * Registry, scopes and auth are routed through the gateway exactly as for npm: pnpm reads the same
 * ~/.npmrc lines and proxy environment.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { RESOLVE_PHASE, SANDBOX_HELPERS, SANDBOX_PATHS, SafeInstallError, type JobStep } from '@safe-install/schema';
import { exportScope, gatewayNetwork, parseNpmrcLines, readHostNpmConfig, readProjectWith, PNPM_LOCKFILE, type Project } from '@safe-install/sandbox';
import type { InstallJob, LockfileChange, PackageManager } from './package-manager.js';
import { returnedPnpmProject, PNPM_RETURNED_FILES } from './pnpm-returned.js';
import { clearModulesStep } from './lockfile-jobs.js';
import { pnpmGrantScripts } from './script-grants.js';
import { ignoredBuildsWatch, pnpmMajor, pnpmScriptPackages, pnpmWorkspaceOf, reviewPnpmBuilds } from './pnpm-builds.js';

/** The pnpm a project without a `packageManager` field gets: the newest 10.x on the registry (npm resolves the range). */
export const DEFAULT_PNPM = '10';
/** pnpm writes lockfile v9 from 9.0; its build gate (what the review reports) is 10's. */
const MIN_PNPM_MAJOR = 9;
/** pnpm 12 is not verified here (its settings, folder names and executable's layout). */
const MAX_PNPM_MAJOR = 11;
/**
 * From pnpm 11 on, the sandbox runs pnpm's standalone executable (`@pnpm/exe`: pnpm bundled with a
 * Node.js of its own) — pnpm 11 needs Node 22, the image's Node may be 20. Its code is the package's
 * `dist/`, which the executable loads from beside itself.
 */
export const PNPM_EXE_MAJOR = 11;
/** The executable for the image (x86-64, glibc): @pnpm/exe's platform package. */
export const PNPM_PLATFORM_PACKAGE = '@pnpm/linux-x64';

/** Where the tools step puts pnpm, relative to the sandbox's HOME: a corepack-like folder, as a CI machine would have it. */
const toolFolder = (version: string): string => `.cache/node/corepack/v1/pnpm/${version}`;

/** Where the tools step puts pnpm in the sandbox's HOME. */
export function pnpmToolDir(version: string): string {
  return `${SANDBOX_PATHS.home}/${toolFolder(version)}`;
}

/**
 * The pnpm version the project asks for: `packageManager: "pnpm@10.34.8"` (a `+sha512.…` suffix,
 * corepack's hash, is dropped: npm checks the registry's integrity of what it fetches). No field,
 * or another manager's: DEFAULT_PNPM. A pnpm field that is no exact version is a usage error.
 */
export function pnpmVersionOf(manifest: Record<string, unknown>): { version: string; from: 'packageManager' | 'default' } {
  const field = manifest['packageManager'];
  if (typeof field !== 'string' || !field.startsWith('pnpm@')) return { version: DEFAULT_PNPM, from: 'default' };
  const version = field.slice('pnpm@'.length).split('+')[0]!;
  const match = /^(\d{1,4})\.\d{1,6}\.\d{1,6}(?:-[0-9A-Za-z.-]{1,64})?$/.exec(version);
  if (match === null) {
    throw new SafeInstallError('PROJECT_CONFIG_INVALID', 'usage', `package.json packageManager ${JSON.stringify(field.slice(0, 80))} does not name an exact pnpm version`, { hint: 'use "pnpm@<major>.<minor>.<patch>", e.g. "pnpm@10.34.8"' });
  }
  if (Number(match[1]) < MIN_PNPM_MAJOR) {
    throw new SafeInstallError('PACKAGE_MANAGER_UNSUPPORTED', 'usage', `pnpm ${version} is not supported: safe-install runs pnpm ${MIN_PNPM_MAJOR} and later (lockfile v9)`, { hint: 'upgrade the project to pnpm 10 (`pnpm self-update`, then `pnpm install`)' });
  }
  if (Number(match[1]) > MAX_PNPM_MAJOR) {
    throw new SafeInstallError('PACKAGE_MANAGER_UNSUPPORTED', 'usage', `pnpm ${version} is not supported yet: safe-install runs pnpm ${MIN_PNPM_MAJOR} to ${MAX_PNPM_MAJOR} (pnpm 12 is not verified with the sandbox)`, {
      hint: `pin pnpm ${MAX_PNPM_MAJOR} in package.json packageManager for safe-install runs`,
    });
  }
  return { version, from: 'packageManager' };
}

/**
 * Settings safe-install does not support yet, refused before a run: another node linker (the
 * hoisted layout and PnP put packages where the lockfile reader does not look), a pnpmfile and
 * config dependencies (pnpm runs their code inside its own untraced process).
 */
export function refuseUnsupported(project: Pick<Project, 'files'>, major = 10): void {
  const workspace = pnpmWorkspaceOf(project);
  // pnpm 11 reads only auth and registry settings from .npmrc: its node-linker line is ignored there.
  const npmrc = major >= PNPM_EXE_MAJOR ? undefined : project.files.find((file) => file.path === '.npmrc');
  const npmrcLinker = npmrc === undefined ? undefined : parseNpmrcLines(npmrc.content.toString('utf8')).findLast((line) => line.kind === 'entry' && line.section === null && line.key === 'node-linker')?.value;
  const linker = workspace?.['nodeLinker'] ?? npmrcLinker;
  if (linker !== undefined && linker !== 'isolated') {
    throw new SafeInstallError('PACKAGE_MANAGER_UNSUPPORTED', 'usage', `pnpm's nodeLinker ${JSON.stringify(String(linker).slice(0, 40))} is not supported yet: safe-install runs pnpm with its default isolated layout (node_modules/.pnpm)`, {
      hint: 'remove the nodeLinker setting (pnpm-workspace.yaml or .npmrc node-linker) to install with the isolated layout',
    });
  }
  // A lockfile made with a pnpmfile pins its checksum; the sandbox runs no pnpmfile (it would run in
  // pnpm's own untraced process), and a frozen install refuses the difference (ERR_PNPM_LOCKFILE_CONFIG_MISMATCH).
  const lock = project.files.find((file) => file.path === 'pnpm-lock.yaml');
  if (lock !== undefined && /^pnpmfileChecksum:/m.test(lock.content.subarray(0, 64 * 1024).toString('utf8'))) {
    throw new SafeInstallError('PACKAGE_MANAGER_UNSUPPORTED', 'usage', 'projects with a pnpmfile (.pnpmfile.cjs, pnpmfileChecksum in pnpm-lock.yaml) are not supported yet: pnpm runs its hooks in its own process, which the tracer does not watch', {
      hint: 'install without the pnpmfile in the sandbox (remove it and run `pnpm install` to update the lockfile), or follow the issue "Every package manager"',
    });
  }
  const config = workspace?.['configDependencies'];
  if (config !== undefined && config !== null && (typeof config !== 'object' || Object.keys(config).length > 0)) {
    throw new SafeInstallError('PACKAGE_MANAGER_UNSUPPORTED', 'usage', 'pnpm configDependencies are not supported yet: pnpm installs them and runs their code in its own process, which the tracer does not watch', {
      hint: 'install without configDependencies in the sandbox, or follow the issue "Every package manager"',
    });
  }
}

/**
 * The options of the traced install that decide whether and how scripts run and where packages go
 * (see the header). pnpm 11 replaced managePackageManagerVersions with pmOnFail (checked against
 * pnpm 11.28's settings: every other name here is still one of its settings).
 */
export function pnpmInstallFlags(major = 10): string[] {
  return [
    `--config.script-shell=${SANDBOX_HELPERS.scriptShell}`,
    '--config.shell-emulator=false',
    '--ignore-pnpmfile',
    '--config.side-effects-cache=false',
    '--config.node-linker=isolated',
    '--config.virtual-store-dir=node_modules/.pnpm',
    '--config.virtual-store-dir-max-length=120',
    '--config.enable-global-virtual-store=false',
    `--config.store-dir=${SANDBOX_PATHS.home}/.local/share/pnpm/store`,
    major >= PNPM_EXE_MAJOR ? '--config.pm-on-fail=ignore' : '--config.manage-package-manager-versions=false',
    '--config.confirm-modules-purge=false',
    '--config.update-notifier=false',
  ];
}

/** The folder in /tmp the runner seals pnpm 11's tool folder into (root-owned; see ToolSeal). */
export function pnpmSealedDir(version: string): string {
  return `${SANDBOX_PATHS.tmp}/pnpm-${version}`;
}

/**
 * The pnpm the install runs: pnpm 10's package bin in HOME; pnpm 11's executable in the sealed copy,
 * where @pnpm/exe's own setup would link it (it loads its code from `dist/` beside itself).
 */
export const pnpmBin = (version: string): string => (pnpmMajor(version) >= PNPM_EXE_MAJOR ? `${pnpmSealedDir(version)}/node_modules/@pnpm/exe/pnpm` : `${pnpmToolDir(version)}/node_modules/.bin/pnpm`);

/**
 * The tools step: the image's npm fetches pnpm, scripts off. pnpm 11: @pnpm/exe and its platform
 * package by name (their preinstall, which links the binary into place, does not run), and the
 * runner seals the folder into /tmp (a root-owned, read-only copy, the executable in place
 * execute-only), from where the install runs it.
 */
export function pnpmToolsStep(version: string, trace: 'scripts' | 'none'): JobStep {
  const exe = pnpmMajor(version) >= PNPM_EXE_MAJOR;
  const packages = exe ? [`@pnpm/exe@${version}`, `${PNPM_PLATFORM_PACKAGE}@${version}`] : [`pnpm@${version}`];
  return {
    phase: 'tools',
    command: ['npm', 'install', '--prefix', pnpmToolDir(version), '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', ...packages],
    trace,
    attribution: 'lockfile',
    export: 'none',
    ...(exe ? { seal: { dir: toolFolder(version), into: pnpmSealedDir(version).slice(SANDBOX_PATHS.tmp.length + 1), programs: [{ from: `node_modules/${PNPM_PLATFORM_PACKAGE}/pnpm`, to: 'node_modules/@pnpm/exe/pnpm' }] } } : {}),
  };
}

/**
 * The pnpm arguments that resolve an install job into package.json and pnpm-lock.yaml only
 * (`--lockfile-only`, `--ignore-scripts`: no install code runs): `pnpm add <pkgs>`, `pnpm update
 * [pkgs]`, or `pnpm install` of the current manifest.
 */
export function pnpmResolveArgs(job: LockfileChange, flags: readonly string[] = []): string[] {
  const verb = job.kind === 'update' ? 'update' : job.packages.length > 0 ? 'add' : 'install';
  // Options before `--`: after it every word is a package.
  return [verb, '--lockfile-only', '--ignore-scripts', ...flags, ...(job.packages.length > 0 ? ['--', ...job.packages] : [])];
}

/**
 * The steps of a pnpm job: fetch pnpm (untraced npm, no scripts), then the traced install. An
 * install job (`add`, `update`) resolves first (`resolve`: the lockfile only, no script), then
 * clears the node_modules folders pnpm 10's `add --lockfile-only` fills in a workspace anyway
 * (their builds would stay pending: the frozen install takes them as done and runs none), then
 * installs from the lockfile the resolve wrote (`relock`: every script attributed by it).
 */
export function pnpmSteps(job: InstallJob, version: string, options: { export: boolean; trace: boolean; folders?: readonly string[] }): JobStep[] {
  const bin = pnpmBin(version);
  const trace = options.trace ? 'scripts' : 'none';
  const tools = pnpmToolsStep(version, trace);
  const flags = pnpmInstallFlags(pnpmMajor(version));
  const exported = options.export ? 'install' : 'none';
  if (job.kind === 'add' || job.kind === 'update') {
    return [
      tools,
      { phase: RESOLVE_PHASE, command: [bin, ...pnpmResolveArgs(job, flags)], trace, attribution: 'lockfile', export: 'none' },
      clearModulesStep(options.folders),
      { phase: 'install', command: [bin, 'install', '--frozen-lockfile', ...flags], trace, attribution: 'lockfile', export: exported, relock: true },
    ];
  }
  const install = ['install', job.kind === 'ci' ? '--frozen-lockfile' : '--lockfile-only'];
  return [tools, { phase: 'install', command: [bin, ...install, ...flags], trace, attribution: 'lockfile', export: exported }];
}

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

async function readPnpmProject(dir: string, options?: { lockfileInSync?: boolean }): Promise<Project> {
  const project = await readProjectWith(dir, PNPM_LOCKFILE, options?.lockfileInSync === false ? { lockfileInSync: false } : {});
  refuseUnsupported(project, pnpmMajor(pnpmVersionOf(project.manifest).version));
  return project;
}

export const pnpm: PackageManager = {
  name: 'pnpm',
  detect: (dir) => exists(join(dir, 'pnpm-lock.yaml')),
  readProject: readPnpmProject,
  // pnpm reads the same .npmrc layers as npm for registries, scopes, auth, CA and proxy.
  hostConfig: readHostNpmConfig,
  sandboxNetwork: (config, projectRoot, allow) => gatewayNetwork(config, { projectRoot, allow }),
  command: (job) => {
    switch (job.kind) {
      case 'ci':
        return ['pnpm', 'install', '--frozen-lockfile'];
      case 'lock':
        return ['pnpm', 'install', '--lockfile-only', '--ignore-scripts'];
      case 'add':
      case 'update':
        return ['pnpm', ...pnpmResolveArgs(job)];
    }
  },
  jobSteps: (job, project, options) => ({ steps: pnpmSteps(job, pnpmVersionOf(project.manifest).version, { ...options, folders: project.lockfile.workspaces }), lockfile: 'pnpm-lock.yaml' }),
  lockfileJobs: {
    resolve: (job) => ['pnpm', ...pnpmResolveArgs(job)],
    returned: returnedPnpmProject,
    files: PNPM_RETURNED_FILES,
  },
  scriptCapture: 'script-shell',
  // node_modules of the root and of every importer (workspace) and linked folder; the virtual store is inside the root's.
  exportScope: (project) => exportScope(project.lockfile.workspaces, { projectFiles: true }),
  // npm's cache (the tools step), corepack-like tool folder, pnpm's metadata cache, store and state.
  cacheFolders: ['.npm', '.cache/node', '.cache/pnpm', '.local/share/pnpm', '.local/state/pnpm'],
  lockedPackages: (project) => project.lockfile.locked,
  // The version the host asked for, not what the sandbox's copy says of itself (a file in HOME a script could rewrite).
  scriptReview: (project, _version, installed) => reviewPnpmBuilds(project, pnpmVersionOf(project.manifest).version, installed?.tree ?? null),
  grantScripts: (project, packages) => pnpmGrantScripts(project, packages, pnpmVersionOf(project.manifest).version),
  scriptPackages: (project) => pnpmScriptPackages(project, pnpmVersionOf(project.manifest).version),
  // Not npm's version (the policy's npm-12 rules are npm's); pnpm's folder holds its own programs.
  evaluationContext: (_version, project) => {
    const version = pnpmVersionOf(project.manifest).version;
    return { toolDirs: pnpmMajor(version) >= PNPM_EXE_MAJOR ? [pnpmToolDir(version), pnpmSealedDir(version)] : [pnpmToolDir(version)] };
  },
  refusalWatch: (project) => ignoredBuildsWatch(project, pnpmVersionOf(project.manifest).version),
};
