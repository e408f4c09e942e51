export { readProject, readProjectWith, MAX_MANIFEST_BYTES, NPM_LOCKFILE, type LockfileReader, type Project, type ProjectFile, type NpmrcReport } from './project/read-project.js';
export { checkPnpmLockfile, importerMismatches, PNPM_LOCKFILE } from './project/pnpm-lockfile.js';
export { checkBunLockfile, bunWorkspaceMismatches, BUN_LOCKFILE } from './project/bun-lockfile.js';
export { checkYarnBerryLockfile, YARN_BERRY_LOCKFILE } from './project/yarn-berry-lockfile.js';
export { checkYarnLockfile, yarnClassicLockfile, yarnMismatches, yarnWorkspaceFolders } from './project/yarn-lockfile.js';
export { checkLockfile, lockfileMismatches, safeRelativePath, type LockfileSummary } from './project/lockfile.js';
export { sanitizeNpmrc, parseNpmrcLines, canonicalKey, SANDBOX_DECIDES, type RemovedKey, type RemovedReason, type SanitizedNpmrc } from './project/npmrc.js';
export { readGitStandIn, gitStandInFiles, type GitStandIn } from './project/git-stand-in.js';
export { readHostNpmConfig, pickNpmConfig, type HostNpmConfig } from './host/npm-config.js';
export { connectEngine, locateEngine, parseEngineAddress, type EngineLocation } from './docker/connect.js';
export {
  buildSandboxImage,
  requireSandboxImage,
  resolveSandboxImage,
  sandboxBuildContext,
  dockerContextDir,
  imageCacheKey,
  DEFAULT_BASE_IMAGE,
  SANDBOX_REPOSITORY,
  type SandboxImage,
} from './docker/image.js';
export * from './docker/labels.js';
export { sandboxSeccompProfile, withSandboxRules, DOCKER_DEFAULT_SECCOMP_FILE, DOCKER_DEFAULT_SECCOMP_SOURCE, type SeccompProfile } from './docker/seccomp-profile.js';
export { ensureBaseImage, planBase, needsRegistryCheck, officialNodeImage, registryReachable, type BaseFacts, type BasePlan, type BaseSource } from './docker/base-image.js';
export { pruneCandidates, pruneSandboxImages, type ImageSummary, type PruneResult } from './docker/prune.js';
export { packFiles, type ArchiveFile } from './transfer/pack-files.js';
export {
  extractSafely,
  checkEntryName,
  exportScope,
  projectFileRefusal,
  symlinkStaysInside,
  type ExportIssue,
  type ExportScope,
  type ExportedProjectFile,
  type ExtractResult,
} from './transfer/extract-safely.js';
export { scanExported } from './transfer/scan-exported.js';
export { applySwap, discardStaged, planSwap, recoverStaging, swapSteps, STAGING_PREFIX, type StagedExport, type SwapPlan, type SwapStep } from './transfer/swap-in.js';
export { openSandbox, EngineHungError, SandboxAbortedError, CLEANUP_GRACE_MS, type SandboxOptions, type SandboxJobRun, type JobRunResult, type StartedSandbox, type CopyOutLimits } from './run/sandbox.js';
export { PACKAGE_TARBALL_LIMITS, packFolder, readFolderManifest, readTarballManifest, readTarFiles, type TarFile } from './transfer/package-tarball.js';
export { runInstall, SANDBOX_PATHS, DEFAULT_LIMITS, type InstallRunOptions, type InstallRunResult, type ResourceLimits } from './run/run-install.js';

export { PROBE_JOB, probeTracer } from './run/probe-tracer.js';
export { sweepStale, deadRuns, processAlive, removeOwnedBy, type SweepResult } from './docker/sweep.js';
export { planUpload, type UploadPlan, type PlanOptions } from './run/plan-upload.js';
export * from './decoys/index.js';
export { advertisedRegistryUrl, gatewayNetwork, routeRegistries, PROXY_ORIGIN, type RegistryRouting } from './run/network.js';
export { startGateway, GATEWAY_PATHS, REGISTRY_CACHE_VOLUME, type GatewaySettings, type RunningGateway } from './docker/gateway-container.js';
export { credentialFor, parseNpmrc, nerfDart, readNpmrcLayers, type RegistryCredential } from './host/registry-auth.js';
export { runnerExecSpec, sandboxContainerSpec, type RunnerExecSpec, type SandboxContainerSpec } from './docker/sandbox-container.js';
export { narrowStaged, readReturnedManifests, refusedExport, returnedJsonObject, stagedFile, type ReturnedManifests } from './transfer/returned-manifests.js';
