export * from './runner/protocol.js';
export { parseRunnerArgs, type RunnerArgs } from './runner/args.js';
export * from './strace/index.js';
