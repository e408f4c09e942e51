/**
 * What the in-sandbox runner leaves in its output directory for the orchestrator to collect.
 * Both sides import this, so the file names and the status shape cannot drift apart.
 */

export const RUNNER_FILES = {
  /** Attributed events, JSON Lines, appended while the install runs. */
  events: 'events.jsonl',
  /** strace's own output, kept as raw evidence and for re-parsing. */
  strace: 'strace.log',
  /** Written once, at the end; its absence means the runner did not finish. */
  status: 'status.json',
} as const;

export interface RunnerStatus {
  /** The package manager's exit code; null when it was killed. */
  exitCode: number | null;
  signal: string | null;
  startedAt: string;
  endedAt: string;
  events: number;
  /** Processes that outlived their script and were killed after the grace period. */
  lingering: number;
  parser: { lines: number; syscalls: number; dropped: number };
}
