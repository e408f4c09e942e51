/**
 * The pure part of running a job's steps (main.ts runs them): what a step starts, whom its events
 * are attributed to, and what the job's outcome is.
 */
import { CLOCK_SHIFT_ENV, SANDBOX_HELPERS, type JobStep, type PackageRef, type RawEvent, type TraceEvent } from '@safe-install/schema';
import type { EventAttribution } from '@safe-install/tracer';

/**
 * The wrapper a `tree` step runs: the script shell is started as a child (the trailing `exit`
 * keeps sh from exec'ing it in its own place), so the broker finds it under the step's process
 * and the event builder sees a script shell under its root, as for a lifecycle script.
 */
const TREE_WRAPPER = '"$0" -c "$1"; exit $?';

/** One argument quoted for sh: `'…'`, a `'` inside closed, escaped and reopened. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** What the runner starts for a step (as the install user, in the project) and the environment it adds. */
export function stepProcess(step: JobStep, scriptShell: string): { argv: string[]; env: Record<string, string> } {
  // A shifted step: every program it starts (the package manager, its scripts) reads a wall clock
  // that far ahead; the runner and the tracers, outside the step, keep the real one.
  const clock: Record<string, string> = step.clockShiftSeconds ? { LD_PRELOAD: SANDBOX_HELPERS.clockShift, [CLOCK_SHIFT_ENV]: String(step.clockShiftSeconds) } : {};
  if (step.trace !== 'tree') return { argv: [...step.command], env: clock };
  // The whole tree as one script run: through the script shell, as npm runs a lifecycle script —
  // the broker starts its tracer, the marker names the run (the subject, the phase as its event).
  return {
    argv: ['/bin/sh', '-c', TREE_WRAPPER, scriptShell, step.command.map(shellQuote).join(' ')],
    env: {
      npm_package_name: step.subject?.name ?? '',
      npm_package_version: step.subject?.version ?? '',
      npm_lifecycle_event: step.phase,
      ...clock,
    },
  };
}

/**
 * Attribution to the step's subject: every event of a script run (the step's tree, and any script
 * a package manager inside it runs) is the subject's, whatever folder it runs in.
 */
export function subjectAttribution(subject: PackageRef): EventAttribution {
  return {
    packageOf: () => ({ name: subject.name, version: subject.version }),
    apply<E extends RawEvent | TraceEvent>(event: E): E {
      if (event.run === undefined) return event;
      const claim = event.package;
      if (event.type === 'script' && event.action === 'start' && claim !== undefined && (claim.name !== subject.name || claim.version !== subject.version)) {
        (event as Extract<RawEvent, { type: 'script' }>).claimed = { name: claim.name, version: claim.version };
      }
      event.package = { name: subject.name, version: subject.version };
      return event;
    },
  };
}

/** How one step ended; `ran: false` for a step skipped after an earlier failure (or a stop). */
export interface StepResult {
  phase: string;
  ran: boolean;
  exitCode: number | null;
  signal: string | null;
}

/** A step failed: a non-zero exit, a signal, or no exit at all. */
export function stepFailed(result: StepResult): boolean {
  return result.ran && (result.exitCode !== 0 || result.signal !== null);
}

/** Run the next step? Not after a stop, nor after a failure the failing step did not allow. */
export function shouldContinue(step: JobStep, result: StepResult, stopped: boolean): boolean {
  return !stopped && (!stepFailed(result) || step.continueOnFailure === true);
}

/**
 * The job's outcome: the first failed step's exit (a failure a step let the job go on past still
 * fails the job), else the last step's — 0 when every step succeeded.
 */
export function jobOutcome(results: readonly StepResult[]): { exitCode: number | null; signal: string | null } {
  const failed = results.find(stepFailed);
  const decisive = failed ?? [...results].reverse().find((result) => result.ran);
  return decisive === undefined ? { exitCode: null, signal: null } : { exitCode: decisive.exitCode, signal: decisive.signal };
}
