export { lockedPackageManagerPaths, lockedPackages, registryNameOf, safeRelativePath, type LockedPackages } from './locked-packages.js';
export { lockfileAttribution, type EventAttribution } from './attribute-events.js';
