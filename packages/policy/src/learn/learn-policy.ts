/**
 * Learn mode: the least-privilege policy that would pass a clean trace.
 *
 * It runs the rules in learning mode and turns what the allowable findings would need into policy
 * entries: each script that ran (pinned to `name@version` and its command's sha256), the programs
 * it ran, the paths it wrote outside its folder, the hosts it reached. Findings no allowance can
 * silence (a decoy read, persistence, …) are not learned: they come back as `unresolved`.
 *
 * Merging with an existing policy never silently widens an existing rule. A new package gets its
 * entry; anything that would let an existing entry do more — a new version, a new script pin, a
 * new program, path or host — is a proposed change, applied only with `{ widen: true }`. Denials
 * are never lifted. A YAML policy is edited in place, so its comments survive; `policy-text.ts`
 * turns the result into the new text of whichever file holds the policy.
 */
import type { DecoyIndex, PackageRef, TraceEvent } from '@safe-install/schema';
import { Document, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node as YamlNode, Pair, YAMLMap } from 'yaml';
import { analyzeTrace } from '../engine/analysis.js';
import { isBaselineProgram } from '../engine/analyze-process.js';
import { resolveContext, SANDBOX_CONTEXT } from '../engine/resolved-context.js';
import { sanitizeText } from '@safe-install/schema';
import { packageKey } from '../engine/trace-model.js';
import { evaluate } from '../evaluate.js';
import { parsePackageSpec, specMatches } from '../match/package-spec.js';
import type { PathVariable } from '../match/path-pattern.js';
import { normalizePath } from '../match/path-pattern.js';
import type { EvaluationContext, PackageAllowanceDocument, PackageEntryDocument, PolicyDocument, PolicyFinding } from '../policy-types.js';
import { POLICY_VERSION } from '../policy-types.js';
import { resolvePolicy } from '../resolve-policy.js';
import { parsePolicyText } from '../validate/parse-policy-text.js';
import { foldPatterns, generalizePath } from './generalize-path.js';

export interface LearnOptions {
  /** The sandbox layout the trace was recorded in (default {@link SANDBOX_CONTEXT}). */
  context?: EvaluationContext;
  decoys?: DecoyIndex;
  /** Apply proposed widenings of existing entries instead of only reporting them. */
  widen?: boolean;
  /** The existing policy's text, when it is a YAML file: edited in place to keep its comments. */
  existingText?: string;
  /** The existing policy's file name, for messages. */
  existingFile?: string;
  /**
   * Packages to deny by name (`name: false`, which wins over any allowance), with why: a decision
   * whose manager has no deny list of its own (Bun's trustedDependencies only allows).
   */
  deny?: ReadonlyArray<{ name: string; why: string }>;
}

export type ChangeField = 'entry' | 'scripts' | 'exec' | 'write' | 'network';

/** One change learn mode made or proposes. */
export interface PolicyChange {
  /** `added`: a package the policy did not know; `widened`: more for an existing entry. */
  kind: 'added' | 'widened';
  applied: boolean;
  /** The `packages` key the change is about. */
  entry: string;
  field: ChangeField;
  value: string;
  /** What in the trace needed it. */
  why: string;
}

export interface LearnResult {
  /** The learned policy (validated: it is what `yamlText` parses to). */
  policy: PolicyDocument;
  yamlText: string;
  /**
   * The same policy as the existing document with the applied changes, in its key order and
   * without the defaults a fresh YAML file spells out: what a JSON policy becomes.
   */
  merged: PolicyDocument;
  /** Every change, applied or not. */
  changes: PolicyChange[];
  /** The changes that were not applied (widenings without `widen`, denials). */
  proposed: PolicyChange[];
  /** What the learned policy still reports on the same trace. */
  unresolved: PolicyFinding[];
  warnings: string[];
}

interface Learned {
  pkg: PackageRef;
  /** lifecycle → command, for comments. */
  scripts: Map<string, string>;
  pins: Map<string, Map<string, string>>;
  exec: Map<string, string>;
  write: Map<string, string>;
  network: Map<string, string>;
  /** Every non-baseline program it ran, for completing a new exec list. */
  observedExec: Map<string, string>;
  needsEntry: boolean;
  review: Set<string>;
}

function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

function clonePolicy(doc: PolicyDocument): PolicyDocument {
  const out: PolicyDocument = { ...doc };
  if (doc.network !== undefined) out.network = { ...doc.network, ...(doc.network.allow === undefined ? {} : { allow: [...doc.network.allow] }) };
  if (doc.ignore !== undefined) out.ignore = doc.ignore.map((i) => ({ ...i }));
  const packages = dict<PackageEntryDocument>();
  for (const [k, v] of Object.entries(doc.packages ?? {})) packages[k] = typeof v === 'object' ? cloneAllowance(v) : v;
  out.packages = packages;
  return out;
}

function cloneAllowance(v: PackageAllowanceDocument): PackageAllowanceDocument {
  const out: PackageAllowanceDocument = {};
  if (v.scripts !== undefined) {
    const s = dict<string | string[]>();
    for (const [k, p] of Object.entries(v.scripts)) s[k] = Array.isArray(p) ? [...p] : p;
    out.scripts = s;
  }
  for (const f of ['exec', 'write', 'network', 'env'] as const) if (v[f] !== undefined) out[f] = [...(v[f] ?? [])];
  return out;
}

/** Learn a policy from `events`, merging into `existing` without widening it unless asked. */
export function learnPolicy(events: readonly TraceEvent[], existing?: PolicyDocument | null, options: LearnOptions = {}): LearnResult {
  const context = options.context ?? SANDBOX_CONTEXT;
  const ctx = resolveContext(context);
  const existingFile = options.existingFile ?? 'the existing policy';
  const base: PolicyDocument = existing ?? { version: POLICY_VERSION };
  const resolved = resolvePolicy({ document: base, documentFile: existingFile }).value;
  if (resolved === null) throw new Error('unreachable: a document-only policy has no environment errors');
  const analysis = analyzeTrace({ events, policy: resolved, decoys: options.decoys, context, learning: true });
  const clean = (text: string, max = 160): string => sanitizeText(analysis.decoys.redact(text), max);

  // What each package needed.
  const learned = new Map<string, Learned>();
  const learnedFor = (pkg: PackageRef): Learned => {
    const key = packageKey(pkg);
    let l = learned.get(key);
    if (l === undefined) {
      l = { pkg, scripts: new Map(), pins: new Map(), exec: new Map(), write: new Map(), network: new Map(), observedExec: new Map(), needsEntry: false, review: new Set() };
      learned.set(key, l);
    }
    return l;
  };
  const dirs = new Map<string, string>();
  for (const e of events) {
    if (e.type === 'script' && e.action === 'start' && e.package !== undefined) {
      const run = analysis.model.runOf(e);
      if (run === undefined || run.projectOwn) continue;
      dirs.set(packageKey(e.package), run.dir);
      learnedFor(e.package).scripts.set(run.lifecycle, run.command);
    }
  }
  const varsFor = (pkg: PackageRef): Partial<Record<PathVariable, string>> => {
    const dir = dirs.get(packageKey(pkg));
    return { ...ctx.vars, ...(dir === undefined ? {} : { PACKAGE: dir }) };
  };
  for (const e of events) {
    if (e.type !== 'process' || e.action !== 'exec' || e.ok === false || e.package === undefined) continue;
    const path = normalizePath(e.path);
    if (isBaselineProgram(ctx.marker, path) || !dirs.has(packageKey(e.package))) continue;
    learnedFor(e.package).observedExec.set(generalizePath(path, varsFor(e.package)), `${e.lifecycle ?? '?'} ran \`${clean(e.argv.join(' '), 100)}\``);
  }
  for (const g of analysis.findings.groups()) {
    if (g.package === undefined || g.run === undefined || g.run.projectOwn) continue;
    const l = learnedFor(g.package);
    for (const s of g.suggestions) {
      // A pin's reason names its lifecycle already.
      const why = clean(s.field === 'scripts' ? s.why : `${s.lifecycle} ${s.why}`);
      switch (s.field) {
        case 'entry':
          l.needsEntry = true;
          break;
        case 'scripts': {
          const pins = l.pins.get(s.lifecycle) ?? new Map<string, string>();
          pins.set(s.value, why);
          l.pins.set(s.lifecycle, pins);
          break;
        }
        case 'exec': {
          const pattern = generalizePath(s.value, varsFor(g.package));
          l.exec.set(pattern, why);
          if (s.review === true) l.review.add(pattern);
          break;
        }
        case 'write':
          l.write.set(s.value, why);
          if (s.review === true) l.review.add(generalizePath(s.value, varsFor(g.package)));
          break;
        case 'network':
          l.network.set(s.value, why);
          break;
      }
    }
  }

  // Merge.
  const doc = clonePolicy(base);
  const packages = doc.packages ?? dict<PackageEntryDocument>();
  doc.packages = packages;
  const changes: PolicyChange[] = [];
  const edits: Edit[] = [];
  for (const l of learned.values()) {
    const write = foldPatterns([...l.write.keys()].map((p) => generalizePath(p, varsFor(l.pkg))));
    const writeWhy = new Map(write.map((w) => [w, whyForPattern(w, l.write, varsFor(l.pkg))]));
    const network = networkList(l.network);
    const fields: Array<[ChangeField, Map<string, string>]> = [
      ['scripts', new Map([...l.pins].flatMap(([lc, pins]) => [...pins].map(([hash, why]): [string, string] => [`${lc}=${hash}`, why])))],
      ['exec', l.exec],
      ['write', writeWhy],
      ['network', network],
    ];
    const hasNews = l.needsEntry || fields.some(([, m]) => m.size > 0);
    if (!hasNews) continue;

    const key = `${l.pkg.name}@${l.pkg.version}`;
    // Judged against the policy as it was: two versions new in this trace are both additions.
    const specs = Object.keys(base.packages ?? {}).filter((s) => {
      const p = parsePackageSpec(s);
      return 'spec' in p && p.spec.name === l.pkg.name;
    });
    const matching = specs.filter((s) => {
      const p = parsePackageSpec(s);
      return 'spec' in p && specMatches(p.spec, l.pkg.name, l.pkg.version);
    });
    const denial = matching.find((s) => packages[s] === false);
    const scriptsWhy = [...l.scripts].map(([lc, cmd]) => `${key} ${lc} ran \`${clean(cmd, 100)}\``);
    if (denial !== undefined) {
      changes.push({
        kind: 'widened',
        applied: false,
        entry: denial,
        field: 'entry',
        value: key,
        why: `${scriptsWhy.join('; ')} — but ${JSON.stringify(denial)} denies it; lift the denial by hand if the script is expected`,
      });
      continue;
    }
    const allow = matching.filter((s) => packages[s] !== false);
    if (allow.length === 0) {
      const kind = specs.length === 0 ? 'added' : 'widened';
      const applied = kind === 'added' || options.widen === true;
      const entry = buildEntry(fields);
      changes.push({ kind, applied, entry: key, field: 'entry', value: key, why: scriptsWhy.join('; ') || `${key} needed allowances` });
      for (const [field, values] of fields) for (const [value, why] of values) changes.push({ kind, applied, entry: key, field, value: displayValue(field, value), why });
      if (applied) {
        packages[key] = entry;
        edits.push({ type: 'entry', key, entry, comments: scriptsWhy, fields, review: l.review });
      }
      continue;
    }
    const target = allow.find((s) => s === key) ?? allow.find((s) => typeof packages[s] === 'object') ?? (allow[0] as string);
    const applied = options.widen === true;
    const current = packages[target];
    const allowance: PackageAllowanceDocument = typeof current === 'object' ? current : {};
    for (const [field, values] of fields) {
      const additions = new Map(values);
      // A first exec list pins every program: take along what the package already ran.
      if (field === 'exec' && additions.size > 0 && allowance.exec === undefined) {
        for (const [p, why] of l.observedExec) if (!additions.has(p)) additions.set(p, why);
      }
      for (const [value, why] of additions) {
        changes.push({ kind: 'widened', applied, entry: target, field, value: displayValue(field, value), why });
        if (!applied) continue;
        addToAllowance(allowance, field, value);
        edits.push({ type: 'add', key: target, field, value, why, review: l.review.has(value) });
      }
    }
    if (applied && changes.some((c) => c.entry === target && c.applied)) packages[target] = allowance;
  }

  for (const { name, why } of options.deny ?? []) {
    if (packages[name] === false) continue;
    changes.push({ kind: packages[name] === undefined ? 'added' : 'widened', applied: true, entry: name, field: 'entry', value: 'false', why });
    packages[name] = false;
    edits.push({ type: 'entry', key: name, entry: false, comments: [why], fields: [], review: new Set() });
  }

  const yamlText = render(edits, base, options, learned.size);
  const reparsed = parsePolicyText(yamlText, { file: 'learned policy', format: 'yaml' });
  if (reparsed.value === null) {
    throw new Error(`learn mode produced an invalid policy (a bug): ${reparsed.errors.map((e) => e.message).join('; ')}`);
  }
  const policy = resolvePolicy({ document: reparsed.value, documentFile: 'learned policy' }).value;
  if (policy === null) throw new Error('unreachable');
  const check = evaluate({ events, policy, ...(options.decoys === undefined ? {} : { decoys: options.decoys }), context });
  const warnings: string[] = [];
  const proposed = changes.filter((c) => !c.applied);
  if (proposed.length > 0) {
    warnings.push(`${proposed.length} proposed ${proposed.length === 1 ? 'change widens' : 'changes widen'} existing entries and ${proposed.length === 1 ? 'was' : 'were'} not applied (learn again with widen to apply)`);
  }
  if (check.findings.length > 0) {
    warnings.push(`${check.findings.length} ${check.findings.length === 1 ? 'finding remains' : 'findings remain'} that learn mode does not allow: ${[...new Set(check.findings.map((f) => f.ruleId))].join(', ')}`);
  }
  return { policy: reparsed.value, yamlText, merged: doc, changes, proposed, unresolved: check.findings, warnings };
}

function displayValue(field: ChangeField, value: string): string {
  return field === 'scripts' ? value.replace('=', ': ') : value;
}

/** Hosts: `host:port` from requests; a bare host only for lookups with no request to that host. */
function networkList(seen: Map<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  const withPort = new Set([...seen.keys()].filter((v) => /:\d+$/.test(v)).map((v) => v.replace(/:\d+$/, '')));
  for (const [value, why] of seen) {
    if (!/:\d+$/.test(value) && withPort.has(value)) continue;
    out.set(value, why);
  }
  return out;
}

function whyForPattern(pattern: string, raw: Map<string, string>, vars: Partial<Record<PathVariable, string>>): string {
  const matches = [...raw].filter(([p]) => generalizePath(p, vars) === pattern || (pattern.endsWith('/**') && generalizePath(p, vars).startsWith(pattern.slice(0, -2))));
  const first = matches[0]?.[1] ?? 'wrote here';
  return matches.length > 1 ? `${first} (and ${matches.length - 1} more files)` : first;
}

function buildEntry(fields: Array<[ChangeField, Map<string, string>]>): PackageEntryDocument {
  const out: PackageAllowanceDocument = {};
  // Sorted: a re-learned policy of the same install is the same text.
  for (const [field, values] of fields) for (const value of [...values.keys()].sort()) addToAllowance(out, field, value);
  return Object.keys(out).length === 0 ? true : out;
}

function addToAllowance(a: PackageAllowanceDocument, field: ChangeField, value: string): void {
  if (field === 'entry') return;
  if (field === 'scripts') {
    const [lc, hash] = value.split('=') as [string, string];
    const scripts = a.scripts ?? dict<string | string[]>();
    const cur = scripts[lc];
    scripts[lc] = cur === undefined ? hash : [...new Set([...(Array.isArray(cur) ? cur : [cur]), hash])];
    a.scripts = scripts;
    return;
  }
  const list = a[field] ?? [];
  if (!list.includes(value)) list.push(value);
  a[field] = list;
}

// --- YAML -------------------------------------------------------------------------------------

type Edit =
  | { type: 'entry'; key: string; entry: PackageEntryDocument; comments: string[]; fields: Array<[ChangeField, Map<string, string>]>; review: Set<string> }
  | { type: 'add'; key: string; field: ChangeField; value: string; why: string; review: boolean };

const HEADER = [
  ' safe-install policy (see the @safe-install/policy README).',
  ' Learned from a trace: it allows exactly what that install did. Review every entry.',
  ' Override order: built-in defaults < this file < SAFE_INSTALL_MODE / SAFE_INSTALL_FAIL_ON < CLI flags.',
].join('\n');

function render(edits: Edit[], base: PolicyDocument, options: LearnOptions, packages: number): string {
  let ydoc: Document | null = null;
  if (options.existingText !== undefined && /\.ya?ml$/i.test(options.existingFile ?? '')) {
    // Nothing to change: the file stays byte for byte what its authors wrote.
    if (edits.length === 0) return options.existingText;
    const parsed = parseDocument(options.existingText);
    if (parsed.errors.length === 0 && isMap(parsed.contents)) ydoc = parsed;
  }
  if (ydoc === null) {
    // No YAML to keep comments of: write the base policy fresh, with explanations.
    const fresh: Record<string, unknown> = { version: POLICY_VERSION, mode: base.mode ?? 'block', failOn: base.failOn ?? 'high' };
    if (base.network !== undefined) fresh['network'] = base.network;
    fresh['packages'] = {};
    if (base.ignore !== undefined) fresh['ignore'] = base.ignore;
    ydoc = new Document(fresh);
    ydoc.commentBefore = HEADER;
    commentKey(ydoc, 'mode', ' block: findings at or above failOn fail the install; audit: report only');
    commentKey(ydoc, 'failOn', ' the lowest severity that fails the install (info, low, medium, high, critical)');
    const existing = Object.entries(base.packages ?? {});
    const map = ydoc.get('packages', true) as YAMLMap;
    for (const [key, value] of existing) {
      const pair = ydoc.createPair(key, value) as Pair<YamlNode, YamlNode>;
      (pair.key as YamlNode).commentBefore = ` kept from ${options.existingFile ?? 'the existing policy'}`;
      map.items.push(pair);
    }
    commentKey(ydoc, 'packages', ` packages whose install scripts may run, and what they may do (${packages} seen in the trace)`);
  }
  if (!ydoc.has('packages') || !isMap(ydoc.get('packages', true))) ydoc.set('packages', ydoc.createNode({}));
  const map = ydoc.get('packages', true) as YAMLMap;
  for (const edit of edits) {
    if (edit.type === 'entry') {
      const node = ydoc.createNode(edit.entry) as YamlNode;
      const pair = ydoc.createPair(edit.key, node) as Pair<YamlNode, YamlNode>;
      (pair.key as YamlNode).commentBefore = (edit.comments.length > 0 ? edit.comments : [`${edit.key} needed these allowances`]).map((c) => ` ${c}`).join('\n');
      if (isMap(node)) annotate(node, edit.fields, edit.review);
      // A denial replaces an entry of the same key (the one place an entry is not new).
      const at = map.items.findIndex((p) => isScalar(p.key) && p.key.value === edit.key);
      if (at >= 0) map.items[at] = pair;
      else map.items.push(pair);
      continue;
    }
    let entry = map.get(edit.key, true) as YamlNode | undefined;
    if (entry === undefined || !isMap(entry)) {
      entry = ydoc.createNode({}) as YamlNode;
      map.set(edit.key, entry);
    }
    const entryMap = entry as YAMLMap;
    if (edit.field === 'scripts') {
      const [lc, hash] = edit.value.split('=') as [string, string];
      if (!isMap(entryMap.get('scripts', true))) entryMap.set('scripts', ydoc.createNode({}));
      const scripts = entryMap.get('scripts', true) as unknown as YAMLMap;
      const cur = scripts.get(lc, true) as YamlNode | undefined;
      const list = cur === undefined ? [] : isSeq(cur) ? cur.toJSON() as string[] : isScalar(cur) ? [String(cur.value)] : [];
      const node = ydoc.createNode(list.length === 0 ? hash : [...list, hash]) as YamlNode;
      scripts.set(lc, node);
      const pair = scripts.items.find((p) => isScalar(p.key) && p.key.value === lc);
      if (pair !== undefined) (pair.key as YamlNode).commentBefore = ` added by learn: ${edit.why}`;
      continue;
    }
    if (edit.field === 'entry') continue;
    if (!isSeq(entryMap.get(edit.field, true))) entryMap.set(edit.field, ydoc.createNode([]));
    const seq = entryMap.get(edit.field, true) as unknown as { items: YamlNode[]; flow?: boolean };
    // One item per line, so each can carry its reason.
    seq.flow = false;
    const item = ydoc.createNode(edit.value) as YamlNode;
    item.commentBefore = ` added by learn: ${edit.why}${edit.review ? ' — REVIEW: high-risk behaviour' : ''}`;
    seq.items.push(item);
  }
  return ydoc.toString({ lineWidth: 0 });
}

function commentKey(ydoc: Document, key: string, comment: string): void {
  const contents = ydoc.contents;
  if (!isMap(contents)) return;
  const pair = contents.items.find((p) => isScalar(p.key) && p.key.value === key);
  if (pair !== undefined && isScalar(pair.key)) pair.key.commentBefore = comment;
}

function annotate(node: YAMLMap, fields: Array<[ChangeField, Map<string, string>]>, review: Set<string>): void {
  const why = new Map(fields);
  for (const pair of node.items) {
    if (!isScalar(pair.key)) continue;
    const field = String(pair.key.value) as ChangeField;
    const reasons = why.get(field);
    if (reasons === undefined) continue;
    if (field === 'scripts' && isMap(pair.value)) {
      for (const pin of pair.value.items) {
        if (!isScalar(pin.key)) continue;
        const lc = String(pin.key.value);
        const first = [...reasons].find(([k]) => k.startsWith(`${lc}=`));
        if (first !== undefined) pin.key.commentBefore = ` ${first[1]}`;
      }
      continue;
    }
    if (!isSeq(pair.value)) continue;
    for (const item of pair.value.items) {
      if (!isScalar(item)) continue;
      const value = String(item.value);
      const reason = reasons.get(value);
      if (reason !== undefined) item.commentBefore = ` ${reason}${review.has(value) ? ' — REVIEW: high-risk behaviour' : ''}`;
    }
  }
}
