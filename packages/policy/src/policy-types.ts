/**
 * The policy's shapes: the file as written ({@link PolicyDocument}) and the resolved form the engine
 * works with ({@link Policy}), plus what an evaluation needs and returns.
 */
import type { Finding, PackageRef, Severity } from '@safe-install/schema';

/** The policy file format version this engine understands. */
export const POLICY_VERSION = 1;

/** `block`: findings at or above `failOn` fail the run. `audit`: report only, never fail. */
export type PolicyMode = 'block' | 'audit';

/** One package entry as written in the file: `true` (may run scripts), `false` (may not), or details. */
export type PackageEntryDocument = boolean | PackageAllowanceDocument;

/** What an allowed package's install scripts may do beyond the built-in baseline. */
export interface PackageAllowanceDocument {
  /** Pins per lifecycle event: `sha256:<hex>` of the script command, one or several. */
  scripts?: Record<string, string | string[]>;
  /** Executables it may run: absolute path, path with variables, glob, or a bare program name. */
  exec?: string[];
  /** Paths it may write outside its own folder (globs; `$PROJECT`, `$HOME`, `$TMPDIR`, ...). */
  write?: string[];
  /** `host`, `host:port`, `*.domain[:port]`, an IP literal: where it may connect through the gateway. */
  network?: string[];
  /** Environment variables whose (decoy) values it may pass on: in its own argv, or to its allowed hosts. */
  env?: string[];
}

/** An accepted finding: `rule` (and `package`) are not reported while the entry applies. */
export interface IgnoreDocument {
  rule: string;
  /** `name`, `name@range` or `name@version`; absent: any package. */
  package?: string;
  /** Why it is acceptable. Required: an ignore nobody can explain is a hole. */
  reason: string;
  /** ISO date (`2026-03-01`) or date-time; after it the entry stops applying and a warning says so. */
  expires?: string;
}

/** The policy file as written, after validation. Maps keyed by user data have no prototype. */
export interface PolicyDocument {
  $schema?: string;
  version: 1;
  mode?: PolicyMode;
  failOn?: Severity;
  network?: { allow?: string[] };
  /** Keys: `name`, `name@range` or `name@version`. */
  packages?: Record<string, PackageEntryDocument>;
  ignore?: IgnoreDocument[];
}

/** Where a rule of the resolved policy came from, so findings and warnings can point at it. */
export interface RuleOrigin {
  kind: 'policy' | 'npm-allowScripts' | 'pnpm' | 'bun' | 'lavamoat' | 'learned';
  /** File the rule was read from (`safe-install.config.yaml`, `package.json`, `pnpm-workspace.yaml`). */
  file: string;
  line?: number;
  column?: number;
}

/** The sha256 pins of one lifecycle event's script. */
export interface ScriptPin {
  lifecycle: string;
  /** Lowercase hex, without the `sha256:` prefix (the form of `ScriptEvent.commandHash`). */
  hashes: string[];
}

/** One resolved package rule. */
export interface PackageRule {
  /** As written: `esbuild`, `esbuild@^0.25.0`, `esbuild@0.25.12`. */
  spec: string;
  name: string;
  /** semver range the version must satisfy; null for any version. */
  range: string | null;
  /** false: an explicit denial, which wins over any allowance for the same package. */
  allow: boolean;
  /** null when the scripts are not pinned; otherwise every script that runs must match a pin. */
  scripts: ScriptPin[] | null;
  exec: string[];
  write: string[];
  network: string[];
  env: string[];
  origin: RuleOrigin;
}

/** One resolved ignore entry. */
export interface IgnoreRule {
  rule: string;
  package: string | null;
  reason: string;
  /** Epoch milliseconds after which the entry no longer applies; null: never expires. */
  expiresAt: number | null;
  /** As written, for messages. */
  expires: string | null;
  origin: RuleOrigin;
}

/** The policy the engine evaluates against: defaults, file, interop, environment and flags merged. */
export interface Policy {
  version: 1;
  mode: PolicyMode;
  failOn: Severity;
  network: { allow: string[] };
  packages: PackageRule[];
  ignore: IgnoreRule[];
  /** Set when pnpm's `dangerouslyAllowAllBuilds` lets every package run its scripts. */
  allowAllScripts: RuleOrigin | null;
  /**
   * False when nothing says which scripts may run: no policy file and no npm/pnpm/LavaMoat
   * allowances. Then a script that runs is reported as `info` only, so a first run passes and
   * `policy learn` can write the policy.
   */
  configured: boolean;
  /**
   * True when a safe-install policy (a file, or package.json `safeInstall`) is part of it. Without
   * one, what npm/pnpm/LavaMoat allowances say is only which scripts may run; nothing has yet said
   * which hosts a package may reach (see the policy README, "no policy yet").
   */
  document: boolean;
  /**
   * `unreviewed` when the only allowances are npm's `allowScripts`: npm 11 runs a script it does
   * not list with a warning, so a listed-nothing script is reported as unreviewed and judged by
   * what it does; `fail` when a safe-install policy, pnpm or LavaMoat says which scripts may run.
   */
  unlistedScripts: 'fail' | 'unreviewed';
  /** Human-readable list of where the policy came from, in override order. */
  sources: string[];
}

/** Where the sandbox put things (defined with the trace file, whose header carries it). */
export type { EvaluationContext } from '@safe-install/schema';

/** One process on the way from a lifecycle script's root process to the one that acted (the trace model's). */
export type { ProcessStep } from '@safe-install/trace';
import type { ProcessStep } from '@safe-install/trace';

/** A finding with the engine's extra evidence. Assignable to the report's `Finding`. */
export interface PolicyFinding extends Finding {
  /** What it is about: a path, `host:port`, a program. Sanitized. */
  subject?: string;
  /** The process chain, script root first, actor last. */
  chain?: ProcessStep[];
  /** How many events showed this behaviour (`evidence` is capped). */
  occurrences: number;
  /**
   * For behaviour of a planted `.bin` program (the finding's package planted it): the script it ran
   * in, through which entry. That script ran it; the code is the planter's.
   */
  ranIn?: { package: PackageRef; lifecycle: string; bin: string };
}

/** A finding an `ignore` entry accepted: kept out of the verdict, but never hidden. */
export interface SuppressedFinding {
  finding: PolicyFinding;
  reason: string;
  ignore: IgnoreRule;
}

/** What `evaluate` returns. */
export interface Evaluation {
  /** Active findings, most severe first. */
  findings: PolicyFinding[];
  suppressed: SuppressedFinding[];
  verdict: 'pass' | 'fail';
  /** Things the user should know that are not findings (expired ignores, ...). */
  warnings: string[];
}
