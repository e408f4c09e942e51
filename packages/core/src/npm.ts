/** npm behind the package-manager seam: today's npm code, unchanged, in one place. */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { exportScope, gatewayNetwork, readHostNpmConfig, readProject } from '@safe-install/sandbox';
import type { PackageManager } from './package-manager.js';
import { scriptPackagesOf, scriptReviewOf } from './npm-script-review.js';

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
    }
  },
  // docker/npmrc's script-shell runs each lifecycle script under its own tracer.
  scriptCapture: 'script-shell',
  // Every package folder the lockfile knows (workspaces, `file:` folders) may bring its node_modules back.
  exportScope: (project) => exportScope(project.lockfile.workspaces, { projectFiles: true }),
  cacheFolders: ['.npm'],
  lockedPackages: (project) => project.lockfile.locked,
  scriptReview: scriptReviewOf,
  scriptPackages: scriptPackagesOf,
};
