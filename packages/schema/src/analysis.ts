/**
 * The result of `safe-install analyze` for one package: its phases (each with its own status,
 * output and events), its findings, a risk level and the artefacts kept as evidence. The contract
 * between the analyze pipeline (core), which fills it, and the renderers (report: terminal, JSON,
 * OpenSSF package-analysis' format), which only read it.
 */
import type { PackageRef, TraceEvent } from './events.js';
import type { Finding, Severity } from './report.js';

export const ANALYSIS_VERSION = 1;

/**
 * The phases, in the order they run: install (all scripts), import (entry points loaded), bins
 * (each bin `--help`), and with `--time-shift` the install again with the wall clock moved forward.
 */
export type AnalysisPhaseName = 'install' | 'import' | 'bins' | 'install-shifted';

/** How a phase ended: ran to its end (whatever its exit code), failed to run, ran out of time, or was not run. */
export type PhaseStatus = 'completed' | 'error' | 'timeout' | 'skipped';

export interface AnalysisPhase {
  phase: AnalysisPhaseName;
  status: PhaseStatus;
  /** The phase's command as run in the sandbox. */
  command: string[];
  /** Its exit code, when it ended on its own. */
  exitCode: number | null;
  startedAt: string;
  endedAt: string;
  /** Bounded, sanitized output of the phase (install code wrote it: hostile text). */
  stdout: string;
  stderr: string;
  /** The phase's events, in order (the observation window after the command included). */
  events: TraceEvent[];
}

/** Evidence kept beside the report: each file with its hash. */
export interface AnalysisArtefact {
  kind: 'trace' | 'sink-request' | 'written-file';
  /** Relative to the package's output folder. */
  path: string;
  sha256: string;
  bytes: number;
  phase?: AnalysisPhaseName;
  /** What it is: the sinked request's method and URL, the written file's path in the sandbox. */
  description?: string;
}

/** `none`: nothing was found; otherwise the highest severity among the findings. */
export type RiskLevel = 'none' | Severity;

export interface PackageAnalysis {
  version: typeof ANALYSIS_VERSION;
  /** What was asked (`name`, `name@version`, a tarball, a folder) and what it resolved to. */
  spec: string;
  package: PackageRef & { ecosystem: 'npm' };
  createdAt: string;
  risk: RiskLevel;
  phases: AnalysisPhase[];
  findings: Finding[];
  artefacts: AnalysisArtefact[];
}
