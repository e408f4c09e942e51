/**
 * @safe-install/trace — how a trace is read beyond one event, shared by the policy engine and the
 * report: the process table and the lifecycle script runs. Pure.
 */
export { ProcessTable, packageKey, scriptRunsOf } from './process-table.js';
export type { ProcessImage, ProcessStep, ScriptRun, TraceLayout } from './process-table.js';
export { basename, isWithin, normalizePath } from '@safe-install/schema';
