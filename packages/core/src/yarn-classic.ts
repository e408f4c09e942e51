/**
 * Yarn classic (Yarn 1, `yarn.lock` with the `# yarn lockfile v1` header) behind the seam. The
 * image has npm only, so a job has four steps:
 *
 * 1. `tools`: the image's npm fetches `yarn@<packageManager>` (default DEFAULT_YARN_CLASSIC) from the
 *    npm registry through the gateway into a corepack-like folder in HOME, with `--ignore-scripts`
 *    (the `yarn` package has a preinstall; none may run untraced).
 * 2. `tools-shell`: Yarn 1 runs install scripts through `child_process.spawn(cmd, {shell: true})`,
 *    i.e. `/bin/sh`: its `script-shell` setting reaches only `yarn run` (checked in 1.22.22's
 *    lib/cli.js: `executeLifecycleScript` takes `customShell` from its callers, and only the `run`
 *    command passes `config.getOption('script-shell')`). So the fetched copy is changed in one
 *    place — `var shell = customShell || true;` becomes the image's script shell, unconditionally —
 *    and every lifecycle script (dependencies', the root's, the workspaces') is started through the
 *    same hook npm and pnpm use, attributed by its folder. The change must apply exactly once, or
 *    the step fails and nothing is installed. Yarn's `node`/`yarn` wrappers, first on every script's
 *    PATH, move from a random /tmp folder to one in the tool folder (`yarnClassicPatches`).
 * 3. `layout`: `yarn install --frozen-lockfile --ignore-scripts`: the tree is put in place, no
 *    install code runs.
 * 4. `install`: `yarn install --frozen-lockfile --force` (without `--force` Yarn 1 builds only the
 *    packages it linked afresh, i.e. none; with it, it relinks the same layout and runs every
 *    lifecycle script), attributed by the lockfile and the tree as step 3 left it
 *    (`relock`: the runner reads the tree at the step's start; Yarn 1's lockfile names no folders).
 *
 * An install job (`install`, `update`) resolves first: Yarn 1 has no lockfile-only mode, so
 * `yarn add|upgrade|install --ignore-scripts` lays the tree out in the sandbox's copy with no
 * install code run; a `clean` step removes the node_modules it left (only package.json and
 * yarn.lock are kept), then steps 3 and 4 install from that lockfile as `ci` does.
 *
 * Settings that decide where packages land, or that would run code unseen, are forced on the
 * command line (which wins over `--install.*` lines of a .yarnrc) or in the environment (which
 * wins over .yarnrc and .npmrc): no `yarn-path` (YARN_IGNORE_PATH: it names a file of the repo that
 * Yarn would run in its own untraced process), no Plug'n'Play, node_modules in the project, the
 * cache, global and offline-mirror folders in HOME, non-interactive. A project's
 * `ignore-scripts` is kept (it runs less, not unseen). Registry, scopes, auth, CA and proxy are
 * routed through the gateway exactly as for npm: Yarn 1 reads the same ~/.npmrc lines and proxy
 * environment.
 *
 * Yarn 1 has no build gate of its own beyond `--ignore-scripts`: the script review is null.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { RESOLVE_PHASE, SANDBOX_HELPERS, SANDBOX_PATHS, SafeInstallError, type JobStep } from '@safe-install/schema';
import { exportScope, gatewayNetwork, MAX_MANIFEST_BYTES, readHostNpmConfig, readProjectWith, yarnClassicLockfile, type Project } from '@safe-install/sandbox';
import type { InstallJob, LockfileChange, PackageManager } from './package-manager.js';
import { clearModulesStep, returnedProjectWith } from './lockfile-jobs.js';

/** The Yarn 1 a project without a `packageManager: "yarn@1.x"` field gets: the registry's newest 1.x. */
export const DEFAULT_YARN_CLASSIC = '1.22.22';

/** The one place in Yarn 1's lib/cli.js that picks the shell of every lifecycle script. */
export const YARN_SHELL_SITE = 'var shell = customShell || true;';

/** Where the tools step puts Yarn in the sandbox's HOME (a corepack-like folder). */
export function yarnClassicToolDir(version: string): string {
  return `${SANDBOX_PATHS.home}/.cache/node/corepack/v1/yarn/${version}`;
}

/** The Yarn 1 version the project asks for (`packageManager: "yarn@1.22.19"`, corepack's `+hash` dropped), else the default. */
export function yarnClassicVersionOf(manifest: Record<string, unknown>): { version: string; from: 'packageManager' | 'default' } {
  const field = manifest['packageManager'];
  if (typeof field !== 'string' || !field.startsWith('yarn@')) return { version: DEFAULT_YARN_CLASSIC, from: 'default' };
  const version = field.slice('yarn@'.length).split('+')[0]!;
  const match = /^(\d{1,4})\.(\d{1,6})\.\d{1,6}$/.exec(version);
  if (match === null) {
    throw new SafeInstallError('PROJECT_CONFIG_INVALID', 'usage', `package.json packageManager ${JSON.stringify(field.slice(0, 80))} does not name an exact Yarn version`, { hint: `use "yarn@<major>.<minor>.<patch>", e.g. "yarn@${DEFAULT_YARN_CLASSIC}"` });
  }
  if (match[1] !== '1' || Number(match[2]) < 22) {
    throw new SafeInstallError('PACKAGE_MANAGER_UNSUPPORTED', 'usage', `Yarn ${version} is not supported for a Yarn 1 lockfile: safe-install runs Yarn 1.22.x (its script shell is changed in one checked place)`, {
      hint: `pin "yarn@${DEFAULT_YARN_CLASSIC}" in package.json packageManager`,
    });
  }
  return { version, from: 'packageManager' };
}

/** Settings safe-install does not support for Yarn 1, refused before a run: Plug'n'Play (no node_modules to attribute by). */
export function refuseUnsupportedYarnClassic(project: Pick<Project, 'manifest'>): void {
  const config = project.manifest['installConfig'];
  if (typeof config === 'object' && config !== null && (config as Record<string, unknown>)['pnp'] === true) {
    throw new SafeInstallError('PACKAGE_MANAGER_UNSUPPORTED', 'usage', "Yarn 1's Plug'n'Play (installConfig.pnp) is not supported: safe-install installs into node_modules", { hint: 'remove installConfig.pnp from package.json' });
  }
}

/** Where a project's offline-mirror setting is pointed (in HOME, made by the tools-shell step): Yarn copies every tarball there. */
export const YARN_OFFLINE_MIRROR = `${SANDBOX_PATHS.home}/.cache/yarn/offline-mirror`;

/** The environment of every Yarn step: settings the project's .yarnrc/.npmrc must not decide (see the header). */
export function yarnClassicEnv(): string[] {
  return ['YARN_IGNORE_PATH=1', `YARN_YARN_OFFLINE_MIRROR=${YARN_OFFLINE_MIRROR}`, 'YARN_ENABLE_TELEMETRY=0', 'YARN_DISABLE_SELF_UPDATE_CHECK=true'];
}

/** The options of every Yarn install that decide where packages land and how it runs (see the header). */
export function yarnClassicFlags(): string[] {
  return [
    '--non-interactive',
    '--disable-pnp',
    `--cwd=${SANDBOX_PATHS.project}`,
    `--modules-folder=${SANDBOX_PATHS.nodeModules}`,
    `--cache-folder=${SANDBOX_PATHS.home}/.cache/yarn`,
    `--global-folder=${SANDBOX_PATHS.home}/.config/yarn/global`,
    `--link-folder=${SANDBOX_PATHS.home}/.config/yarn/link`,
    '--no-progress',
  ];
}

/**
 * The changes step 2 makes to Yarn 1's lib/cli.js, each at a site that must occur exactly once:
 * every lifecycle script through the image's script shell; and Yarn's `node`/`yarn` wrappers
 * (which it puts first on each script's PATH) in a fixed folder inside its tool folder, the
 * manager's own programs, instead of a random folder in /tmp.
 */
export function yarnClassicPatches(toolDir: string): Array<[string, string]> {
  const wrappers = `${toolDir}/wrappers`;
  return [
    [YARN_SHELL_SITE, `var shell = ${JSON.stringify(SANDBOX_HELPERS.scriptShell)};`],
    ['wrappersFolder = yield (_fs || _load_fs()).makeTempDir();', `wrappersFolder = ${JSON.stringify(wrappers)}; require('fs').mkdirSync(wrappersFolder, { recursive: true });`],
  ];
}

/** Step 2 as a `node -e` program: argv[1] the file, argv[2] the patches (JSON pairs), argv[3] the mirror folder to make; any site not found exactly once: exit 1, nothing written. */
export const YARN_PATCH_PROGRAM = [
  "const fs = require('fs');",
  'const [file, patches, mirror] = process.argv.slice(1);',
  'fs.mkdirSync(mirror, { recursive: true });',
  "let text = fs.readFileSync(file, 'utf8');",
  'for (const [site, replacement] of JSON.parse(patches)) {',
  '  const parts = text.split(site);',
  "  if (parts.length !== 2) { console.error('yarn: unexpected lib/cli.js (' + (parts.length - 1) + ' sites of ' + JSON.stringify(site) + ')'); process.exit(1); }",
  '  text = parts.join(replacement);',
  '}',
  'fs.writeFileSync(file, text);',
].join(' ');

/** Yarn 1's env is given to the command through `env` (the runner runs argv as given; no shell). */
const withEnv = (argv: string[]): string[] => ['env', ...yarnClassicEnv(), ...argv];

/**
 * The Yarn 1 arguments that resolve an install job into package.json and yarn.lock with no install
 * code run (`--ignore-scripts`; the tree it lays out is removed after): `yarn add <pkgs>`, `yarn
 * upgrade [pkgs]` (within the ranges, as `npm update`), or `yarn install` of the current manifest.
 * `--ignore-workspace-root-check`: in a workspaces project `yarn add` refuses the root without it,
 * and the root is where npm and pnpm add too.
 */
export function yarnClassicResolveArgs(job: LockfileChange): string[] {
  const verb = job.kind === 'update' ? 'upgrade' : job.packages.length > 0 ? 'add' : 'install';
  return [verb, ...job.packages, '--ignore-scripts', ...(verb === 'add' ? ['--ignore-workspace-root-check'] : [])];
}

/** The steps of a Yarn 1 job (see the header): `ci`'s four, an install job's with its resolve and clean before the layout. */
export function yarnClassicSteps(job: InstallJob, version: string, options: { export: boolean; trace: boolean; folders?: readonly string[] }): JobStep[] {
  if (job.kind === 'lock') throw new SafeInstallError('PACKAGE_MANAGER_UNSUPPORTED', 'usage', 'safe-install analyze does not support Yarn classic projects yet');
  const dir = yarnClassicToolDir(version);
  const trace = options.trace ? 'scripts' : 'none';
  const yarn = ['node', `${dir}/node_modules/yarn/bin/yarn.js`];
  const resolve: JobStep[] = job.kind === 'ci'
    ? []
    // A package's name after a flag would be read as its value: the specs come first.
    : [{ phase: RESOLVE_PHASE, command: withEnv([...yarn, ...yarnClassicResolveArgs(job), ...yarnClassicFlags()]), trace, attribution: 'lockfile', export: 'none' }, clearModulesStep(options.folders)];
  return [
    {
      phase: 'tools',
      command: ['npm', 'install', '--prefix', dir, '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', `yarn@${version}`],
      trace,
      attribution: 'lockfile',
      export: 'none',
    },
    { phase: 'tools-shell', command: ['node', '-e', YARN_PATCH_PROGRAM, `${dir}/node_modules/yarn/lib/cli.js`, JSON.stringify(yarnClassicPatches(dir)), YARN_OFFLINE_MIRROR], trace, attribution: 'lockfile', export: 'none' },
    ...resolve,
    { phase: 'layout', command: withEnv([...yarn, 'install', '--frozen-lockfile', '--ignore-scripts', ...yarnClassicFlags()]), trace, attribution: 'lockfile', export: 'none', ...(job.kind === 'ci' ? {} : { relock: true }) },
    { phase: 'install', command: withEnv([...yarn, 'install', '--frozen-lockfile', '--force', ...yarnClassicFlags()]), trace, attribution: 'lockfile', export: options.export ? 'install' : 'none', relock: true },
  ];
}

/** The project as a Yarn 1 install job left it: package.json and yarn.lock checked as a project's own, in sync (lockfile-jobs.ts). */
export function returnedYarnClassicProject(project: Project, tree: string, options: { maxBytes?: number } = {}): Promise<Project> {
  return returnedProjectWith(project, tree, {
    lockfileName: 'yarn.lock',
    reader: yarnClassicLockfile(project.root),
    refuse: (returned) => {
      refuseUnsupportedYarnClassic(returned);
      yarnClassicVersionOf(returned.manifest);
    },
  }, { maxBytes: options.maxBytes ?? MAX_MANIFEST_BYTES });
}

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

async function readYarnClassicProject(dir: string, options?: { lockfileInSync?: boolean }): Promise<Project> {
  // An install job takes a lockfile out of sync with package.json: the resolve brings them together.
  const project = await readProjectWith(dir, yarnClassicLockfile(dir), options?.lockfileInSync === false ? { lockfileInSync: false } : {});
  refuseUnsupportedYarnClassic(project);
  yarnClassicVersionOf(project.manifest);
  return project;
}

export const yarnClassic: PackageManager = {
  name: 'yarn-classic',
  detect: (dir) => exists(join(dir, 'yarn.lock')),
  readProject: readYarnClassicProject,
  hostConfig: readHostNpmConfig,
  // Yarn 1 writes its own default registry's host into yarn.lock for npm's (its `registry` setting
  // unset, checked with 1.22.22), one the gateway does not serve: it is told npm's, as the gateway
  // advertises it, so what an install job resolves installs again (`safe-install ci`).
  sandboxNetwork: async (config, projectRoot, allow) => {
    const network = await gatewayNetwork(config, { projectRoot, allow });
    const registry = network.gateway.registries[0]?.advertised ?? config.registry;
    return { ...network, env: [...network.env, `YARN_REGISTRY=${registry}`] };
  },
  command: () => ['yarn', 'install', '--frozen-lockfile'],
  jobSteps: (job, project, options) => ({ steps: yarnClassicSteps(job, yarnClassicVersionOf(project.manifest).version, { ...options, folders: project.lockfile.workspaces }), lockfile: 'yarn.lock' }),
  lockfileJobs: {
    resolve: (job) => ['yarn', ...yarnClassicResolveArgs(job)],
    returned: returnedYarnClassicProject,
  },
  scriptCapture: 'script-shell',
  exportScope: (project) => exportScope(project.lockfile.workspaces, { projectFiles: true }),
  // npm's cache (the tools step), the corepack-like tool folder, Yarn's cache and global folders.
  cacheFolders: ['.npm', '.cache/node', '.cache/yarn', '.config/yarn'],
  lockedPackages: (project) => project.lockfile.locked,
  // Yarn 1 has no gate on dependency scripts beyond --ignore-scripts: nothing is skipped, nothing to review.
  scriptReview: () => null,
  // The lockfile does not say which packages have install scripts: every entry may, and each project folder with its own.
  scriptPackages: (project) => project.lockfile.packages + new Set(project.rootScripts.map((script) => script.slice(0, script.lastIndexOf(':')))).size,
  evaluationContext: (_version, project) => ({ toolDirs: [yarnClassicToolDir(yarnClassicVersionOf(project.manifest).version)] }),
};
