/**
 * Progress while a run goes on: a pure state (phase, scripts started and finished, the script
 * running now) folded from the pipeline's phases and trace events, and its one-line rendering with
 * the elapsed time. The CLI decides where it goes (a live line on a TTY, plain lines in CI).
 */
import type { TraceEvent } from '@safe-install/schema';
import { clean } from './words.js';

/** The pipeline's phases (see RunObserver.phase in @safe-install/core). */
export type RunPhase = 'preparing' | 'installing' | 'judging' | 'exporting';

export interface ProgressState {
  phase: RunPhase;
  scriptsStarted: number;
  scriptsDone: number;
  /** `esbuild@0.25.12 postinstall`, sanitized; null between scripts. */
  current: string | null;
  /** Packages that may run install scripts, from the lockfile (null until the run says). */
  packagesExpected: number | null;
  /** Packages whose first script has started (`name@version`). */
  packagesStarted: readonly string[];
}

export const initialProgress: ProgressState = { phase: 'preparing', scriptsStarted: 0, scriptsDone: 0, current: null, packagesExpected: null, packagesStarted: [] };

export type ProgressSignal = { kind: 'phase'; phase: RunPhase } | { kind: 'plan'; scriptPackages: number } | { kind: 'event'; event: TraceEvent };

/** Fold one signal into the state; the same state back when nothing a person sees changed. */
export function nextProgress(state: ProgressState, signal: ProgressSignal): ProgressState {
  if (signal.kind === 'phase') return signal.phase === state.phase ? state : { ...state, phase: signal.phase, current: null };
  if (signal.kind === 'plan') return { ...state, packagesExpected: signal.scriptPackages };
  const event = signal.event;
  if (event.type !== 'script' || state.phase !== 'installing') return state;
  if (event.action === 'start') {
    const who = event.package ? `${event.package.name}@${event.package.version}` : 'a script';
    const packagesStarted = event.package && !state.packagesStarted.includes(who) ? [...state.packagesStarted, who] : state.packagesStarted;
    return { ...state, scriptsStarted: state.scriptsStarted + 1, packagesStarted, current: clean(`${who} ${event.lifecycle ?? ''}`.trim(), 160) };
  }
  return { ...state, scriptsDone: state.scriptsDone + 1, current: state.scriptsDone + 1 >= state.scriptsStarted ? null : state.current };
}

/** The words of a phase: `installing` is the frozen install (npm ci, pnpm install) before its first script, then running scripts. */
export function phaseText(state: ProgressState): string {
  switch (state.phase) {
    case 'preparing':
      return 'preparing the sandbox';
    case 'installing':
      if (state.scriptsStarted === 0) return 'installing packages in the sandbox';
      return `running install scripts ${state.scriptsDone}/${state.scriptsStarted} done${packagesText(state)}${state.current ? `, now ${state.current}` : ''}`;
    case 'judging':
      return 'checking the trace against the policy';
    case 'exporting':
      return 'putting node_modules in place';
  }
}

/**
 * `, package 2 of 3`: how far through the packages with install scripts the run is. The lockfile's
 * count is an upper bound (npm may skip unapproved scripts), so it never reads less than what ran.
 */
function packagesText(state: ProgressState): string {
  if (state.packagesExpected === null || state.packagesStarted.length === 0) return '';
  return `, package ${state.packagesStarted.length} of ${Math.max(state.packagesExpected, state.packagesStarted.length)}`;
}

/** `[0:12] running install scripts 1/2 done, now esbuild@0.25.12 postinstall`. */
export function progressLine(state: ProgressState, elapsedMs: number): string {
  const seconds = Math.max(0, Math.floor(elapsedMs / 1000));
  return `[${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}] ${phaseText(state)}`;
}

/** Whether a change is worth a plain line without a TTY: a new phase or a new script, not each end. */
export function worthALine(before: ProgressState, after: ProgressState): boolean {
  return before.phase !== after.phase || (after.scriptsStarted !== before.scriptsStarted);
}
