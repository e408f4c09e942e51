/** npm behind the package-manager seam: today's npm code, unchanged, in one place. */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { exportScope, gatewayNetwork, readHostNpmConfig, readProject, readReturnedManifests, type Project } from '@safe-install/sandbox';
import type { LockfileChange, PackageManager } from './package-manager.js';
import { scriptPackagesOf, scriptReviewOf } from './npm-script-review.js';
import { npmGrantScripts } from './script-grants.js';

const LOCKFILES = ['npm-shrinkwrap.json', 'package-lock.json'];

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

export const npm: PackageManager = {
  name: 'npm',
  detect: async (dir) => (await Promise.all(LOCKFILES.map((name) => exists(join(dir, name))))).some(Boolean),
  readProject,
  hostConfig: readHostNpmConfig,
  sandboxNetwork: (config, projectRoot, allow) => gatewayNetwork(config, { projectRoot, allow }),
  command: (job) => {
    switch (job.kind) {
      case 'ci':
        return ['npm', 'ci'];
      case 'lock':
        return ['npm', 'install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'];
      case 'add':
        return ['npm', 'install', '--', ...job.packages];
      case 'update':
        return ['npm', 'update', '--', ...job.packages];
    }
  },
  // docker/npmrc's script-shell runs each lifecycle script under its own tracer.
  scriptCapture: 'script-shell',
  // Every package folder the lockfile knows (workspaces, `file:` folders) may bring its node_modules back.
  exportScope: (project) => exportScope(project.lockfile.workspaces, { projectFiles: true }),
  cacheFolders: ['.npm'],
  lockedPackages: (project) => project.lockfile.locked,
  scriptReview: scriptReviewOf,
  grantScripts: (project, packages) => npmGrantScripts(project, packages),
  scriptPackages: scriptPackagesOf,
  lockfileJobs: {
    resolve: npmResolveCommand,
    returned: returnedProject,
  },
};

/**
 * `npm install`/`npm update` that only writes package.json and the lockfile: `--package-lock-only`
 * (nothing is unpacked) and `--ignore-scripts` (no install code runs). `npm ci` then installs it.
 */
export function npmResolveCommand(job: LockfileChange): string[] {
  const flags = ['--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'];
  return ['npm', job.kind === 'update' ? 'update' : 'install', ...flags, ...(job.packages.length > 0 ? ['--', ...job.packages] : [])];
}

/** The project with the manifest and lockfile that came back from the sandbox in place of its own. */
async function returnedProject(project: Project, tree: string): Promise<Project> {
  const own = (path: string) => project.files.find((file) => file.path === path)?.content ?? null;
  const returned = await readReturnedManifests({ tree }, { lockfileName: project.lockfileName, manifest: own('package.json') ?? Buffer.alloc(0), lockfile: own(project.lockfileName) });
  const others = project.files.filter((file) => file.path !== 'package.json' && file.path !== project.lockfileName);
  return {
    ...project,
    manifest: returned.manifest,
    lockfile: returned.lockfile,
    files: [{ path: 'package.json', content: returned.manifestBytes, mode: 0o644 }, { path: project.lockfileName, content: returned.lockBytes, mode: 0o644 }, ...others],
  };
}
