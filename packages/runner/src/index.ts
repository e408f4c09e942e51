export * from './protocol.js';
export { parseRunnerArgs, type RunnerArgs } from './args.js';
export { diffSnapshots, findArgs, parseSnapshot, type FsChange, type Snapshot } from './fs-snapshot.js';
