export { decide, type Decision, type RunEnd, type RunFacts } from './verdict.js';
export { startCi, sandboxContext, egressAllow, deletedProjectFiles, failureDetail, type CiOptions, type CiDeps, type CiResult, type CiRun, type RunObserver } from './ci-pipeline.js';
export { dockerEngine, type SandboxEngine, type SandboxInstall } from './sandbox-engine.js';
export type { PackageManager, InstallJob, SandboxNetwork } from './package-manager.js';
export { npm } from './npm.js';
export { scriptReviewOf, strictRefusal, strictRefusalWatch } from './npm-script-review.js';
export { diagnosticLog, silentLog, LOG_LEVELS, type LogLevel, type Logger } from './log.js';
export { openTrace, readTraceFile, scanTraceFile, type TraceEnd, type TraceScan, type TraceStart, type TraceWriter } from './trace-file.js';
