export { lockedPackageManagerPaths, lockedPackages, registryNameOf, safeRelativePath, type LockedPackages } from './locked-packages.js';
export { lockfileAttribution, type EventAttribution } from './attribute-events.js';
export {
  parsePnpmLock,
  pnpmLockedPackages,
  pnpmInstalledPackages,
  depPathToFilename,
  splitDepPath,
  withoutPeers,
  virtualStoreFolder,
  virtualStoreFolders,
  isPackageName,
  PnpmLockError,
  MAX_PNPM_LOCK_BYTES,
  VIRTUAL_STORE_DIR_MAX_LENGTH,
  type PnpmLock,
  type PnpmImporter,
  type PnpmDependency,
  type PnpmPackage,
} from './pnpm-lock.js';
export { parseBunLock, parseJsonc, bunLockedPackages, bunPackageFolder, splitBunKey, BunLockError, MAX_BUN_LOCK_BYTES, type BunLock, type BunPackage, type BunWorkspace } from './bun-lock.js';
export {
  parseYarnBerryLock,
  parseLocator,
  yarnBerryLockedPackages,
  yarnUnpluggedFolder,
  YarnBerryLockError,
  MAX_YARN_BERRY_LOCK_BYTES,
  type YarnBerryLock,
  type YarnBerryPackage,
} from './yarn-berry-lock.js';
export {
  parseYarnLock,
  parseYarnLockText,
  patternName,
  yarnEntryName,
  yarnLockedPackages,
  yarnLockedRefs,
  YarnLockError,
  MAX_YARN_LOCK_BYTES,
  type YarnLock,
  type YarnLockEntry,
  type YarnInstalledFolder,
} from './yarn-lock.js';
