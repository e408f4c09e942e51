/**
 * The package managers behind the seam, by kind: the one that installs a project, from its lockfile
 * or `--pm` (detect-manager.ts). Managers safe-install cannot run yet are a clear usage error.
 */
import { SafeInstallError } from '@safe-install/schema';
import type { PackageManager } from './package-manager.js';
import { MANAGER_LABEL, chooseManager, readManagerFacts, type ManagerChoice, type ManagerKind } from './detect-manager.js';
import { npm } from './npm.js';
import { pnpm } from './pnpm.js';
import { bun } from './bun.js';
import { yarnBerry } from './yarn-berry.js';
import { yarnClassic } from './yarn-classic.js';

const IMPLEMENTED: Partial<Record<ManagerKind, PackageManager>> = { npm, pnpm, bun, 'yarn-berry': yarnBerry, 'yarn-classic': yarnClassic };

/** The implementation of a chosen manager, or a usage error naming what is not supported yet. */
export function managerFor(choice: ManagerChoice): PackageManager {
  const manager = IMPLEMENTED[choice.kind];
  if (manager !== undefined) return manager;
  const supported = Object.keys(IMPLEMENTED).map((kind) => MANAGER_LABEL[kind as ManagerKind]).join(', ');
  throw new SafeInstallError('PACKAGE_MANAGER_UNSUPPORTED', 'usage', `the project is installed by ${MANAGER_LABEL[choice.kind]} (${choice.lockfile}), which safe-install does not support yet (supported: ${supported})`, {
    hint: 'install it with the manager itself for now, or follow the issue "Every package manager" for progress',
  });
}

/** The manager that installs the project in `dir`: detected from its lockfile, or the one `--pm` names. */
export async function detectPackageManager(dir: string, pm?: string): Promise<{ manager: PackageManager; choice: ManagerChoice }> {
  const choice = chooseManager(await readManagerFacts(dir), pm);
  return { manager: managerFor(choice), choice };
}
