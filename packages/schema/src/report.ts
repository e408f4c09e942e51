/** The JSON report written by `--report FILE`. */
import type { PackageRef } from './events.js';

export const REPORT_SCHEMA_VERSION = 1;

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';
export const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

export interface Finding {
  /** Stable rule id, e.g. `decoy-credential-read`. */
  ruleId: string;
  severity: Severity;
  /** The package the behaviour is attributed to; absent when it cannot be attributed. */
  package?: PackageRef;
  lifecycle?: string;
  /** One line, safe to print (already sanitized). */
  message: string;
  /** Ids of the trace events that show the behaviour. */
  evidence: string[];
  /** How to fix or allow it. */
  hint?: string;
}

export interface ScriptRun {
  package: PackageRef;
  lifecycle: string;
  command: string;
  code?: number;
  signal?: string;
  durationMs?: number;
}

export interface Report {
  schemaVersion: number;
  tool: { name: 'safe-install'; version: string };
  command: 'ci' | 'analyze';
  project: string;
  verdict: 'pass' | 'fail';
  /** Why the run ended where it did, when not a plain pass/fail (e.g. `timeout`, `install-failed`). */
  outcome: 'completed' | 'install-failed' | 'timeout' | 'infrastructure-error';
  findings: Finding[];
  scripts: ScriptRun[];
  summary: {
    findings: number;
    bySeverity: Record<Severity, number>;
    events: number;
    scripts: number;
    packages: number;
  };
  /** Wall-clock phases in milliseconds, from the tool's own timings. */
  timings: Record<string, number>;
  /** What the upload changed on the way into the sandbox (absent when nothing was). */
  upload?: UploadSummary;
}

/** Project files the sandbox received changed: names only, never values. */
export interface UploadSummary {
  /**
   * npm settings removed from an uploaded `.npmrc` because the sandbox decides them: `file` is
   * relative to the project, `reason` one of `network` (the gateway), `scripts` (how or whether
   * scripts run and are traced, where npm reads its config), `sandbox` (image folders and
   * programs), `expansion` (a key spelled with `${…}`).
   */
  removedNpmConfig: Array<{ file: string; key: string; reason: string }>;
  /** Credential keys of uploaded `.npmrc` files replaced by decoys. */
  decoyCredentials: Array<{ file: string; key: string }>;
  /** `.env*` files replaced by decoys with the same keys. */
  decoyEnvFiles: string[];
}
