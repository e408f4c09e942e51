/**
 * Collects rule hits into findings: one finding per rule, package, lifecycle and subject, however
 * many events showed it (a loop that opens ~/.npmrc 500 times is one finding with 500
 * occurrences, and the first events as evidence).
 */
import type { PackageRef, Severity } from '@safe-install/schema';
import type { PolicyFinding, ProcessStep } from '../policy-types.js';
import type { RuleId } from '../rule-catalog.js';
import { ruleInfo } from '../rule-catalog.js';
import { maxSeverity, severityRank } from '../severity.js';
import type { ScriptRun } from './trace-model.js';
import { packageKey } from './trace-model.js';

/** Evidence kept per finding; `occurrences` counts the rest. */
export const MAX_EVIDENCE = 20;
/** Distinct suggestions kept per finding (learn mode folds many paths into one glob anyway). */
const MAX_SUGGESTIONS = 1000;

/** What learn mode would add to the policy to allow a hit. */
export interface Suggestion {
  field: 'entry' | 'scripts' | 'exec' | 'write' | 'network';
  /** The spec, pin, path or host to add (raw; learn mode generalizes paths). */
  value: string;
  lifecycle: string;
  /** Why it was needed, for the comment beside it. */
  why: string;
  /** Needs a careful look (high-severity behaviour allowed by learning). */
  review?: boolean;
}

/** One rule hit. */
export interface Hit {
  rule: RuleId;
  /** Defaults to the rule's severity. */
  severity?: Severity;
  eventId: string;
  ts: number;
  run?: ScriptRun | undefined;
  /** For hits without a run (gateway events of the package manager). */
  package?: PackageRef | undefined;
  lifecycle?: string | undefined;
  /** Groups hits: a path, host, program. */
  subject: string;
  message: string;
  hint?: string;
  chain?: ProcessStep[];
  /** A secret was actually read (the call succeeded): correlation escalates these. */
  access?: boolean;
  /** What learn mode would add to allow it (a new package gets its entry and its pin). */
  suggestion?: Suggestion | Suggestion[];
}

/** A finding under construction. */
export interface FindingGroup {
  rule: RuleId;
  severity: Severity;
  package?: PackageRef;
  lifecycle?: string;
  run?: ScriptRun;
  subject: string;
  message: string;
  hint: string;
  evidence: string[];
  occurrences: number;
  chain?: ProcessStep[];
  firstTs: number;
  /** Earliest successful access, for correlation. */
  accessTs: number | null;
  suggestions: Suggestion[];
  notes: string[];
}

export class FindingCollector {
  readonly #groups = new Map<string, FindingGroup>();

  constructor(
    /** Applied to every untrusted string before it is kept (decoy redaction, then sanitizing). */
    readonly clean: (text: string, max?: number) => string,
  ) {}

  add(hit: Hit): void {
    const pkg = hit.run?.package ?? hit.package;
    const lifecycle = hit.run?.lifecycle ?? hit.lifecycle;
    const key = [hit.rule, pkg === undefined ? '' : packageKey(pkg), lifecycle ?? '', hit.subject].join('\0');
    const severity = hit.severity ?? ruleInfo(hit.rule).severity;
    let group = this.#groups.get(key);
    if (group === undefined) {
      group = {
        rule: hit.rule,
        severity,
        subject: hit.subject,
        message: hit.message,
        hint: hit.hint ?? ruleInfo(hit.rule).hint,
        evidence: [],
        occurrences: 0,
        firstTs: hit.ts,
        accessTs: null,
        suggestions: [],
        notes: [],
      };
      if (pkg !== undefined) group.package = pkg;
      if (lifecycle !== undefined) group.lifecycle = lifecycle;
      if (hit.run !== undefined) group.run = hit.run;
      if (hit.chain !== undefined) group.chain = hit.chain;
      this.#groups.set(key, group);
    } else if (severityRank(severity) > severityRank(group.severity)) {
      // The more severe variant explains the finding better.
      group.message = hit.message;
      if (hit.hint !== undefined) group.hint = hit.hint;
      if (hit.chain !== undefined) group.chain = hit.chain;
    }
    group.severity = maxSeverity(group.severity, severity);
    group.occurrences++;
    if (group.evidence.length < MAX_EVIDENCE && !group.evidence.includes(hit.eventId)) group.evidence.push(hit.eventId);
    if (hit.access === true && (group.accessTs === null || hit.ts < group.accessTs)) group.accessTs = hit.ts;
    const suggestions = hit.suggestion === undefined ? [] : Array.isArray(hit.suggestion) ? hit.suggestion : [hit.suggestion];
    for (const s of suggestions) {
      if (group.suggestions.length >= MAX_SUGGESTIONS) break;
      if (!group.suggestions.some((g) => g.field === s.field && g.value === s.value)) group.suggestions.push(s);
    }
  }

  groups(): FindingGroup[] {
    return [...this.#groups.values()];
  }

  /** The finished findings, most severe first, then in trace order. */
  findings(): PolicyFinding[] {
    return this.groups()
      .sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.firstTs - b.firstTs)
      .map((g) => this.toFinding(g));
  }

  toFinding(g: FindingGroup): PolicyFinding {
    const message = g.notes.length > 0 ? `${g.message}; ${g.notes.join('; ')}` : g.message;
    const finding: PolicyFinding = {
      ruleId: g.rule,
      severity: g.severity,
      message: this.clean(message, 300),
      evidence: [...g.evidence],
      hint: g.hint,
      subject: this.clean(g.subject),
      occurrences: g.occurrences,
    };
    if (g.package !== undefined) finding.package = { name: this.clean(g.package.name, 214), version: this.clean(g.package.version, 64) };
    if (g.lifecycle !== undefined) finding.lifecycle = this.clean(g.lifecycle, 64);
    if (g.chain !== undefined) {
      finding.chain = g.chain.map((s) => {
        const step = { ...s, argv0: this.clean(s.argv0, 120) };
        if (s.exe !== undefined) step.exe = this.clean(s.exe, 200);
        return step;
      });
    }
    return finding;
  }
}
