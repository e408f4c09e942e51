/**
 * @safe-install/trace — how a trace is read beyond one event, shared by the policy engine and the
 * report: the process table and the lifecycle script runs; and the behaviours of a trace per
 * package script, and their diff between two traces (`trace diff`, `diff`, `approve`). Pure.
 */
export { ProcessTable, packageKey, scriptRunsOf } from './process-table.js';
export type { ProcessImage, ProcessStep, ScriptRun, TraceLayout } from './process-table.js';
export { basename, isWithin, normalizePath } from '@safe-install/schema';
export { BEHAVIOUR_KINDS, BehaviourCollector, MAX_SCRIPTS, MAX_VALUES_PER_KIND, MAX_VALUE_LENGTH, behaviourContextOf, behaviourKey, behavioursOf, dnsShape } from './behaviours.js';
export type { BehaviourContext, BehaviourFinding, BehaviourKind, ScriptBehaviour, TraceBehaviours } from './behaviours.js';
export { addedCount, diffBehaviours } from './behaviour-diff.js';
export type { BehaviourChange } from './behaviour-diff.js';
export { TraceView, eventLine } from './trace-view.js';
export type { TraceViewOptions, ViewGroup, ViewProcess } from './trace-view.js';
export { MAX_DISTINCT, OUTSIDE_SCRIPTS, TraceStats } from './trace-stats.js';
export type { TraceStatsResult } from './trace-stats.js';
