/**
 * Validates a parsed policy document. Every problem names its place (line, column, path, key);
 * unknown keys are errors, because a misspelt allowance that is silently ignored is a policy that
 * does not say what its author thinks it says.
 *
 * The accepted shape is the one `POLICY_JSON_SCHEMA` describes; a test checks the two agree.
 */
import type { Severity } from '@safe-install/schema';
import { SEVERITIES } from '@safe-install/schema';
import { parseHostPattern } from '../match/host-pattern.js';
import { parsePackageSpec } from '../match/package-spec.js';
import { checkPathPattern } from '../match/path-pattern.js';
import type { IgnoreDocument, PackageAllowanceDocument, PackageEntryDocument, PolicyDocument, PolicyMode } from '../policy-types.js';
import { POLICY_VERSION } from '../policy-types.js';
import { isRuleId } from '../rule-catalog.js';
import type { LineIndex } from '../source/line-index.js';
import type { SourceEntry, SourceMap, SourceNode, SourceSpan } from '../source/source-node.js';
import type { PolicyIssue, ValidationResult } from './policy-issue.js';
import { renderPath } from './policy-issue.js';

type Path = Array<string | number>;

/** Keys of the top level, in the order the README documents them. */
export const TOP_LEVEL_KEYS = ['$schema', 'version', 'mode', 'failOn', 'network', 'packages', 'ignore'] as const;
export const NETWORK_KEYS = ['allow'] as const;
export const PACKAGE_KEYS = ['scripts', 'exec', 'write', 'network', 'env'] as const;
export const IGNORE_KEYS = ['rule', 'package', 'reason', 'expires'] as const;
export const MODES: readonly PolicyMode[] = ['block', 'audit'];
/**
 * Lifecycle events npm (and pnpm, Yarn 1) run during an install, for dependencies or git/file
 * sources; and `build`: Yarn Berry's name for a dependency's scripts run (its environment, which
 * names the event, is not in the trace), so that learn mode and approve can pin what Yarn ran.
 */
export const LIFECYCLE_EVENTS = [
  'preinstall',
  'install',
  'postinstall',
  'preprepare',
  'prepare',
  'postprepare',
  'prepack',
  'postpack',
  'prepublish',
  'dependencies',
  'build',
] as const;

export const HASH_PATTERN = /^sha256:[0-9a-fA-F]{64}$/;
export const ENV_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*\*?$/;
export const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;

/** Where the document sits, for positions and paths. */
export interface ValidateOptions {
  file: string;
  lines: LineIndex;
  /** Path of the policy inside its file: `['safeInstall']` in package.json. */
  prefix?: string[];
  /** Where to point when the document is absent or empty. */
  emptyOffset?: number;
}

/** Validate a parsed policy. Returns `{value, warnings, errors}`; never throws for bad input. */
export function validatePolicyNode(root: SourceNode | null, options: ValidateOptions): ValidationResult<PolicyDocument> {
  const v = new Validator(options);
  const value = v.document(root);
  const byPlace = (a: PolicyIssue, b: PolicyIssue): number => a.line - b.line || a.column - b.column;
  return { value: v.errors.length === 0 ? value : null, warnings: v.warnings.sort(byPlace), errors: v.errors.sort(byPlace) };
}

function describe(node: SourceNode): string {
  if (node.kind === 'map') return 'a mapping';
  if (node.kind === 'seq') return 'a list';
  const value = node.value;
  if (value === null) return 'nothing (null)';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return 'a number';
  return 'a boolean';
}

function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

class Validator {
  readonly errors: PolicyIssue[] = [];
  readonly warnings: PolicyIssue[] = [];

  constructor(readonly options: ValidateOptions) {}

  #issue(list: PolicyIssue[], at: SourceSpan | number, path: Path, message: string, key?: string): void {
    const offset = typeof at === 'number' ? at : at.start;
    const { line, column } = this.options.lines.position(offset);
    const full = [...(this.options.prefix ?? []), ...path];
    const where = renderPath(full);
    const issue: PolicyIssue = {
      file: this.options.file,
      line,
      column,
      path: where,
      message: where === '' ? message : `${where}: ${message}`,
    };
    if (key !== undefined) issue.key = key;
    list.push(issue);
  }

  error(at: SourceSpan | number, path: Path, message: string, key?: string): void {
    this.#issue(this.errors, at, path, message, key);
  }

  warn(at: SourceSpan | number, path: Path, message: string, key?: string): void {
    this.#issue(this.warnings, at, path, message, key);
  }

  /** The string-keyed entries of a mapping; reports non-string and unknown keys. */
  entries(map: SourceMap, path: Path, allowed: readonly string[] | null): Array<[string, SourceEntry]> {
    const out: Array<[string, SourceEntry]> = [];
    for (const entry of map.entries) {
      const key = entry.key;
      if (key.kind !== 'scalar' || typeof key.value !== 'string') {
        this.error(key, path, `keys must be strings, got ${describe(key)}${key.kind === 'scalar' ? ' (quote the key)' : ''}`);
        continue;
      }
      if (allowed !== null && !allowed.includes(key.value)) {
        const near = closest(key.value, allowed);
        const hint = near === null ? `expected one of: ${allowed.join(', ')}` : `did you mean ${JSON.stringify(near)}?`;
        this.error(key, path, `unknown key ${JSON.stringify(key.value)} (${hint})`, key.value);
        continue;
      }
      out.push([key.value, entry]);
    }
    return out;
  }

  map(node: SourceNode, path: Path): SourceMap | null {
    if (node.kind === 'map') return node;
    this.error(node, path, `expected a mapping, got ${describe(node)}`);
    return null;
  }

  string(node: SourceNode, path: Path): string | null {
    if (node.kind === 'scalar' && typeof node.value === 'string') return node.value;
    this.error(node, path, `expected a string, got ${describe(node)}`);
    return null;
  }

  /** A list of strings, each checked by `check` (which returns an error message or null). */
  stringList(node: SourceNode, path: Path, check: (s: string) => string | null): string[] | null {
    if (node.kind !== 'seq') {
      this.error(node, path, `expected a list of strings, got ${describe(node)}`);
      return null;
    }
    const out: string[] = [];
    let ok = true;
    node.items.forEach((item, i) => {
      const s = this.checkedString(item, [...path, i], check);
      if (s === null) ok = false;
      else out.push(s);
    });
    return ok ? out : null;
  }

  /** A string checked by `check` (which returns an error message or null); null after an error. */
  checkedString(node: SourceNode, path: Path, check: (s: string) => string | null): string | null {
    const s = this.string(node, path);
    if (s === null) return null;
    const problem = check(s);
    if (problem === null) return s;
    this.error(node, path, problem);
    return null;
  }

  #required(map: SourceMap, path: Path, present: ReadonlySet<string>, keys: readonly string[]): void {
    for (const key of keys) {
      if (!present.has(key)) this.error(map, path, `missing required key ${JSON.stringify(key)}`, key);
    }
  }

  document(root: SourceNode | null): PolicyDocument {
    const doc: PolicyDocument = { version: POLICY_VERSION };
    if (root === null || (root.kind === 'scalar' && root.value === null)) {
      this.error(root ?? this.options.emptyOffset ?? 0, [], `the policy is empty: expected a mapping with "version: ${POLICY_VERSION}"`);
      return doc;
    }
    if (root.kind !== 'map') {
      this.error(root, [], `expected a mapping at the top of the policy, got ${describe(root)}`);
      return doc;
    }
    const seen = new Set<string>();
    for (const [key, { value }] of this.entries(root, [], TOP_LEVEL_KEYS)) {
      seen.add(key);
      switch (key) {
        case '$schema': {
          const s = this.string(value, [key]);
          if (s !== null) doc.$schema = s;
          break;
        }
        case 'version':
          if (value.kind === 'scalar' && value.value === POLICY_VERSION) break;
          this.error(
            value,
            [key],
            `expected ${POLICY_VERSION} (this safe-install reads policy version ${POLICY_VERSION}), got ${value.kind === 'scalar' ? JSON.stringify(value.value) : describe(value)}`,
          );
          break;
        case 'mode': {
          const s = this.#enumValue(value, [key], MODES);
          if (s !== null) doc.mode = s;
          break;
        }
        case 'failOn': {
          const s = this.#enumValue(value, [key], SEVERITIES);
          if (s !== null) doc.failOn = s;
          break;
        }
        case 'network': {
          const n = this.#network(value, [key]);
          if (n !== null) doc.network = n;
          break;
        }
        case 'packages': {
          const p = this.#packages(value, [key]);
          if (p !== null) doc.packages = p;
          break;
        }
        case 'ignore': {
          const list = this.#ignoreList(value, [key]);
          if (list !== null) doc.ignore = list;
          break;
        }
      }
    }
    this.#required(root, [], seen, ['version']);
    return doc;
  }

  #enumValue<T extends string>(node: SourceNode, path: Path, values: readonly T[]): T | null {
    if (node.kind === 'scalar' && typeof node.value === 'string' && (values as readonly string[]).includes(node.value)) {
      return node.value as T;
    }
    const got = node.kind === 'scalar' && typeof node.value === 'string' ? JSON.stringify(node.value) : describe(node);
    this.error(node, path, `expected one of ${values.join(', ')}, got ${got}`);
    return null;
  }

  #network(node: SourceNode, path: Path): { allow?: string[] } | null {
    const map = this.map(node, path);
    if (map === null) return null;
    const out: { allow?: string[] } = {};
    for (const [key, { value }] of this.entries(map, path, NETWORK_KEYS)) {
      const list = this.stringList(value, [...path, key], hostProblem);
      if (list !== null) out.allow = list;
    }
    return out;
  }

  #packages(node: SourceNode, path: Path): Record<string, PackageEntryDocument> | null {
    const map = this.map(node, path);
    if (map === null) return null;
    const out = dict<PackageEntryDocument>();
    const denied = new Map<string, string>();
    const specs: Array<{ spec: string; name: string; keyNode: SourceNode }> = [];
    for (const [spec, { key: keyNode, value }] of this.entries(map, path, null)) {
      const parsed = parsePackageSpec(spec);
      if ('error' in parsed) {
        this.error(keyNode, [...path, spec], parsed.error, spec);
        continue;
      }
      const entryPath = [...path, spec];
      if (value.kind === 'scalar' && typeof value.value === 'boolean') {
        out[spec] = value.value;
        if (!value.value && parsed.spec.range === null) denied.set(parsed.spec.name, spec);
      } else if (value.kind === 'scalar' && value.value === null) {
        // `esbuild:` with nothing after it reads as "allowed, nothing more" to most people; YAML says
        // null. Accept it as `true` but say so, so nobody is surprised.
        out[spec] = true;
        this.warn(value, entryPath, 'no value: read as `true` (may run its scripts, nothing more)');
      } else {
        const allowance = this.#allowance(value, entryPath);
        if (allowance !== null) out[spec] = allowance;
      }
      specs.push({ spec, name: parsed.spec.name, keyNode });
    }
    for (const { spec, name, keyNode } of specs) {
      const denial = denied.get(name);
      if (denial !== undefined && denial !== spec) {
        this.warn(keyNode, [...path, spec], `never applies: packages[${JSON.stringify(denial)}] denies every version of ${name}`, spec);
      }
    }
    return out;
  }

  #allowance(node: SourceNode, path: Path): PackageAllowanceDocument | null {
    if (node.kind !== 'map') {
      this.error(node, path, `expected true, false or a mapping of allowances, got ${describe(node)}`);
      return null;
    }
    const out: PackageAllowanceDocument = {};
    let ok = true;
    for (const [key, { value }] of this.entries(node, path, PACKAGE_KEYS)) {
      const p = [...path, key];
      switch (key) {
        case 'scripts': {
          const s = this.#scriptPins(value, p);
          if (s === null) ok = false;
          else out.scripts = s;
          break;
        }
        case 'exec': {
          const list = this.stringList(value, p, (s) => checkPathPattern(s, { allowBareName: true }));
          if (list === null) ok = false;
          else out.exec = list;
          break;
        }
        case 'write': {
          const list = this.stringList(value, p, (s) => checkPathPattern(s, { allowBareName: false }));
          if (list === null) ok = false;
          else out.write = list;
          break;
        }
        case 'network': {
          const list = this.stringList(value, p, hostProblem);
          if (list === null) ok = false;
          else out.network = list;
          break;
        }
        case 'env': {
          const list = this.stringList(value, p, (s) =>
            ENV_PATTERN.test(s) ? null : `${JSON.stringify(s)} is not an environment variable name (a trailing * is allowed)`,
          );
          if (list === null) ok = false;
          else out.env = list;
          break;
        }
      }
    }
    return ok ? out : null;
  }

  #scriptPins(node: SourceNode, path: Path): Record<string, string | string[]> | null {
    const map = this.map(node, path);
    if (map === null) return null;
    const out = dict<string | string[]>();
    let ok = true;
    const hashProblem = (s: string): string | null =>
      HASH_PATTERN.test(s) ? null : `${JSON.stringify(s)} is not a script pin: expected "sha256:" and 64 hex digits`;
    for (const [event, { key, value }] of this.entries(map, path, null)) {
      if (!(LIFECYCLE_EVENTS as readonly string[]).includes(event)) {
        const near = closest(event, LIFECYCLE_EVENTS);
        const hint = near === null ? `expected one of: ${LIFECYCLE_EVENTS.join(', ')}` : `did you mean ${JSON.stringify(near)}?`;
        this.error(key, path, `unknown lifecycle event ${JSON.stringify(event)} (${hint})`, event);
        ok = false;
        continue;
      }
      if (value.kind === 'seq') {
        const list = this.stringList(value, [...path, event], hashProblem);
        if (list === null) ok = false;
        else out[event] = list;
        continue;
      }
      const s = this.checkedString(value, [...path, event], hashProblem);
      if (s === null) ok = false;
      else out[event] = s;
    }
    return ok ? out : null;
  }

  #ignoreList(node: SourceNode, path: Path): IgnoreDocument[] | null {
    if (node.kind !== 'seq') {
      this.error(node, path, `expected a list of ignore entries, got ${describe(node)}`);
      return null;
    }
    const out: IgnoreDocument[] = [];
    let ok = true;
    node.items.forEach((item, i) => {
      const entry = this.#ignore(item, [...path, i]);
      if (entry === null) ok = false;
      else out.push(entry);
    });
    return ok ? out : null;
  }

  #ignore(node: SourceNode, path: Path): IgnoreDocument | null {
    const map = this.map(node, path);
    if (map === null) return null;
    const seen = new Set<string>();
    const out: Partial<IgnoreDocument> = {};
    let ok = true;
    for (const [key, { value }] of this.entries(map, path, IGNORE_KEYS)) {
      seen.add(key);
      const p = [...path, key];
      const s = this.string(value, p);
      if (s === null) {
        ok = false;
        continue;
      }
      switch (key) {
        case 'rule':
          if (!isRuleId(s)) {
            this.error(value, p, `unknown rule ${JSON.stringify(s)} (see the rule table in the README)`);
            ok = false;
          } else out.rule = s;
          break;
        case 'package': {
          const parsed = parsePackageSpec(s);
          if ('error' in parsed) {
            this.error(value, p, parsed.error);
            ok = false;
          } else out.package = s;
          break;
        }
        case 'reason':
          if (s.trim() === '') {
            this.error(value, p, 'must say why the finding is acceptable');
            ok = false;
          } else out.reason = s;
          break;
        case 'expires':
          if (!DATE_PATTERN.test(s) || Number.isNaN(Date.parse(s))) {
            this.error(value, p, `${JSON.stringify(s)} is not an ISO date (YYYY-MM-DD) or date-time`);
            ok = false;
          } else out.expires = s;
          break;
      }
    }
    const before = this.errors.length;
    this.#required(map, path, seen, ['rule', 'reason']);
    if (this.errors.length !== before || !ok) return null;
    return out as IgnoreDocument;
  }
}

/** The allowed key nearest to a misspelt one (edit distance 2 at most), if one is nearest. */
function closest(word: string, candidates: readonly string[]): string | null {
  if (word.length > 64) return null;
  const scored = candidates.map((c) => ({ c, d: distance(word.toLowerCase(), c.toLowerCase()) })).filter((x) => x.d <= 2);
  const best = Math.min(...scored.map((x) => x.d));
  const nearest = scored.filter((x) => x.d === best);
  return nearest.length === 1 ? (nearest[0]?.c ?? null) : null;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

function hostProblem(s: string): string | null {
  const parsed = parseHostPattern(s);
  return 'error' in parsed ? parsed.error : null;
}

/** The severities in order, for schema and docs. */
export const SEVERITY_VALUES: readonly Severity[] = SEVERITIES;
