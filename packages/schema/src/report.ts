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
  /**
   * The policy entries that would allow the behaviour, when a per-package allowance can (learn
   * mode's suggestions). Absent when the rule cannot be allowed, only accepted with `ignore`.
   */
  allow?: PolicyAllowance[];
}

/** One policy entry that would allow a finding's behaviour: `packages.<package>.<field>`. */
export interface PolicyAllowance {
  /** `entry`: the package's own entry (value: its spec); `scripts`: a pin of a lifecycle script. */
  field: 'entry' | 'scripts' | 'exec' | 'write' | 'network';
  /** The spec, pin, path or host to add (sanitized). */
  value: string;
  lifecycle: string;
}

/** The gateway's account of the run's HTTP(S) requests: what was let through, what was refused. */
export interface NetworkSummary {
  requests: number;
  /** Forwarded: allowed by the policy, or the registry. */
  allowed: number;
  /** Refused or answered by the sink (nothing left the sandbox). */
  refused: number;
  /** Per host, sorted by name; names are untrusted (sanitize before printing). */
  hosts: Array<{ host: string; allowed: number; refused: number }>;
}

/**
 * One lifecycle script run as the report states it: the `ScriptRun` of the shared trace model
 * (`@safe-install/trace`, which the policy engine judges with), reduced to what the report says.
 */
export interface ReportedScript {
  package: PackageRef;
  lifecycle: string;
  command: string;
  code?: number;
  signal?: string;
  durationMs?: number;
}

/** A dependency's install script that npm's `allowScripts` does not cover, and how to approve it. */
export interface ScriptApproval {
  package: PackageRef;
  /** Its folder in the project (`node_modules/a`). */
  path: string;
  /** npm's own command that approves it (`npm install-scripts approve a`). */
  approve: string;
  /** The `allowScripts` entry that command writes. */
  entry: string;
}

/** What the sandbox's npm did with the project's `allowScripts` (npm 11.16 and later). */
export interface ScriptReviewReport {
  /** The version of the package manager in the sandbox (`npm --version`, or pnpm's). */
  npmVersion: string;
  /** The manager whose gate this is, when not npm (`pnpm`: `allowBuilds` / `onlyBuiltDependencies`). */
  packageManager?: 'pnpm' | 'bun' | 'yarn-berry';
  /** Skipped because nothing allows them (npm 12): they did not run. */
  pending: ScriptApproval[];
  /** Run without approval (npm 11 warns): judged by what they did. */
  unreviewed: ScriptApproval[];
  /**
   * Run because safe-install's policy allows them while the manager's field does not list them:
   * granted in the sandbox copy's gate only (absent when none ran so).
   */
  policyAllowed?: Array<{ name: string; version: string }>;
}

export interface Report {
  schemaVersion: number;
  tool: { name: 'safe-install'; version: string };
  /** The job: `ci`, `install` (also `add`), `update`, or `analyze`. */
  command: 'ci' | 'analyze' | 'install' | 'update';
  project: string;
  verdict: 'pass' | 'fail';
  /** Why the run ended where it did, when not a plain pass/fail (e.g. `timeout`, `install-failed`). */
  outcome: 'completed' | 'install-failed' | 'timeout' | 'infrastructure-error' | 'export-failed';
  findings: Finding[];
  scripts: ReportedScript[];
  /** Set when npm gates dependency scripts with `allowScripts`: which it skipped, which ran unreviewed. */
  scriptReview?: ScriptReviewReport;
  summary: {
    findings: number;
    bySeverity: Record<Severity, number>;
    events: number;
    scripts: number;
    packages: number;
  };
  /** The run's HTTP(S) requests through the gateway (absent in reports of older versions). */
  network?: NetworkSummary;
  /** Wall-clock phases in milliseconds, from the tool's own timings. */
  timings: Record<string, number>;
  /** What came back from the sandbox, and what was done with it (absent when nothing was exported). */
  export?: ExportSummary;
  /** What the upload changed on the way into the sandbox (absent when nothing was). */
  upload?: UploadSummary;
}

/** A file a script created or changed in the project (outside node_modules) that came back. */
export interface ExportedFile {
  path: string;
  /** Against the host's project: there was no such file, or there was one (replaced). */
  change: 'created' | 'modified';
  type: 'file' | 'symlink';
  sha256?: string;
  bytes: number;
  mode: number;
  target?: string;
}

export interface ExportSummary {
  /** Whether it was put in place (only on a passing verdict). */
  applied: boolean;
  /** The node_modules folders that came back, relative to the project. */
  nodeModules: string[];
  projectFiles: ExportedFile[];
  /** Files the install deleted from the project: reported, never applied to the host. */
  deleted: string[];
  /** Entries that were refused or changed (modes reduced) on the way in. */
  issues: Array<{ path: string; action: 'rejected' | 'neutralised'; reason: string }>;
  /** Why the export failed, when it did (the verdict is then fail and the exit code 4). */
  error?: string;
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
