/**
 * Collects rule hits into findings: one finding per rule, package, lifecycle and subject, however
 * many events showed it (a loop that opens ~/.npmrc 500 times is one finding with 500
 * occurrences, and the first events as evidence). A rule that keeps firing with a new subject each
 * time (a path per file, a pid per process) folds, past {@link MAX_SUBJECTS_PER_RULE} subjects, into
 * one more finding of that rule that counts the rest and names a few: a script that spawns a
 * thousand daemons or writes into a thousand folders makes a handful of findings, not a thousand,
 * and the report stays small.
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
/** Distinct subjects of one rule, package and lifecycle before the rest fold into one finding. */
export const MAX_SUBJECTS_PER_RULE = 10;
/** Distinct samples (pids, paths) named in a finding's message. */
export const MAX_SAMPLES = 5;
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
  /**
   * What tells this occurrence from the others of its group (a pid, a path): the finding names the
   * first few when it has more than one.
   */
  sample?: string;
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
  /** Distinct samples seen (at most MAX_SAMPLES) and how many there were in all. */
  samples: string[];
  sampleCount: number;
  /** The group that holds the subjects past MAX_SUBJECTS_PER_RULE. */
  overflow?: boolean;
}

export class FindingCollector {
  readonly #groups = new Map<string, FindingGroup>();
  /** Distinct subjects per rule, package and lifecycle. */
  readonly #subjects = new Map<string, number>();

  constructor(
    /** Applied to every untrusted string before it is kept (decoy redaction, then sanitizing). */
    readonly clean: (text: string, max?: number) => string,
  ) {}

  add(hit: Hit): void {
    const pkg = hit.run?.package ?? hit.package;
    const lifecycle = hit.run?.lifecycle ?? hit.lifecycle;
    // A planted program's behaviour is its planter's, told apart from the planter's own script's.
    const ranIn = hit.run?.planted === undefined ? '' : `${packageKey(hit.run.planted.ranIn.package)}:${hit.run.planted.ranIn.lifecycle}`;
    const family = [hit.rule, pkg === undefined ? '' : packageKey(pkg), lifecycle ?? '', ranIn].join('\0');
    let key = `${family}\0${hit.subject}`;
    let subject = hit.subject;
    let message = hit.message;
    let sample = hit.sample;
    let overflow = false;
    if (!this.#groups.has(key)) {
      const subjects = this.#subjects.get(family) ?? 0;
      if (subjects >= MAX_SUBJECTS_PER_RULE) {
        // One more subject of a rule that already has plenty: counted in the family's overflow.
        key = `${family}\0\0overflow`;
        subject = 'more of the same';
        message = `${hit.message} (and more like it)`;
        sample = hit.subject;
        overflow = true;
      } else {
        this.#subjects.set(family, subjects + 1);
      }
    }
    const severity = hit.severity ?? ruleInfo(hit.rule).severity;
    let group = this.#groups.get(key);
    if (group === undefined) {
      group = {
        rule: hit.rule,
        severity,
        subject,
        message,
        hint: hit.hint ?? ruleInfo(hit.rule).hint,
        evidence: [],
        occurrences: 0,
        firstTs: hit.ts,
        accessTs: null,
        suggestions: [],
        notes: [],
        samples: [],
        sampleCount: 0,
      };
      if (overflow) group.overflow = true;
      if (pkg !== undefined) group.package = pkg;
      if (lifecycle !== undefined) group.lifecycle = lifecycle;
      if (hit.run !== undefined) group.run = hit.run;
      if (hit.chain !== undefined) group.chain = hit.chain;
      this.#groups.set(key, group);
    } else if (severityRank(severity) > severityRank(group.severity)) {
      // The more severe variant explains the finding better.
      group.message = message;
      if (hit.hint !== undefined) group.hint = hit.hint;
      if (hit.chain !== undefined) group.chain = hit.chain;
    }
    group.severity = maxSeverity(group.severity, severity);
    group.occurrences++;
    if (sample !== undefined && !group.samples.includes(sample)) {
      group.sampleCount++;
      if (group.samples.length < MAX_SAMPLES) group.samples.push(sample);
    }
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
    const notes = [...g.notes];
    const planted = g.run?.planted;
    if (planted !== undefined) {
      const by = planted.ranIn;
      notes.unshift(`its planted ${planted.bin} ran in ${by.package.name}@${by.package.version}'s ${by.lifecycle} script`);
    }
    if (g.sampleCount > 1 || g.overflow === true) {
      const more = g.sampleCount > g.samples.length ? ` and ${g.sampleCount - g.samples.length} more` : '';
      notes.unshift(`${g.sampleCount} ${g.overflow === true ? 'further subjects' : 'in all'}: ${g.samples.join(', ')}${more}`);
    }
    const message = notes.length > 0 ? `${g.message}; ${notes.join('; ')}` : g.message;
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
    if (planted !== undefined) {
      const by = planted.ranIn.package;
      finding.ranIn = { package: { name: this.clean(by.name, 214), version: this.clean(by.version, 64) }, lifecycle: this.clean(planted.ranIn.lifecycle, 64), bin: this.clean(planted.bin, 200) };
    }
    // What learn mode would add: the terminal and the reports print it as the policy line to allow.
    if (g.suggestions.length > 0 && ruleInfo(g.rule).allowable) {
      finding.allow = g.suggestions.map((s) => ({ field: s.field, value: this.clean(s.value, 300), lifecycle: this.clean(s.lifecycle, 64) }));
    }
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
