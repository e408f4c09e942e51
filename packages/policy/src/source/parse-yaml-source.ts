/**
 * YAML through the `yaml` package, turned into {@link SourceNode}s. Aliases are expanded here
 * under a budget (count, total nodes, depth), so a "billion laughs" file fails fast with a clear
 * error instead of exhausting memory; recursive aliases are refused.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { ParsedSource, SourceLimits, SourceNode, SyntaxIssue } from './source-node.js';

class ConvertError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/** Parse `text` as one YAML 1.2 document. Never throws: problems come back in `errors`. */
export function parseYamlSource(text: string, limits: SourceLimits): ParsedSource {
  // The parser recurses on flow collections (`[[[[…`) and overflows the stack long before any
  // limit of ours could apply: measure that nesting first, without parsing.
  const deep = flowNestingBeyond(text, limits.maxDepth);
  if (deep !== null) return { root: null, errors: [{ offset: deep, message: `nesting deeper than ${limits.maxDepth} levels` }] };
  const doc = parseDocument(text, {
    prettyErrors: false,
    // The package's own duplicate check compares every key with every other (quadratic: seconds
    // for a 20 000-key map); the converter checks with a set instead.
    uniqueKeys: false,
    // YAML 1.1 merge keys (`<<`) would let one entry silently inherit another's allowances.
    merge: false,
    version: '1.2',
    schema: 'core',
    keepSourceTokens: false,
  });
  const errors: SyntaxIssue[] = [...doc.errors, ...doc.warnings].map((e) => ({
    offset: e.pos[0],
    message: firstLine(e.message),
  }));
  if (errors.length > 0) return { root: null, errors };
  try {
    const converter = new Converter(doc, limits);
    return { root: doc.contents === null ? null : converter.convert(doc.contents as YamlNode, 0), errors: [] };
  } catch (error) {
    if (error instanceof ConvertError) return { root: null, errors: [{ offset: error.offset, message: error.message }] };
    throw error;
  }
}

/**
 * Offset where `[`/`{` nesting first exceeds `limit`, or null. Quoted scalars and comments are
 * skipped; the scan is approximate elsewhere, and only ever errs towards refusing absurd files.
 */
export function flowNestingBeyond(text: string, limit: number): number | null {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '#' && (i === 0 || /\s/.test(text[i - 1] ?? ''))) {
      const nl = text.indexOf('\n', i);
      if (nl === -1) break;
      i = nl;
    } else if (c === '"' || c === "'") {
      const prev = text[i - 1] ?? '';
      // A quote starts a quoted scalar only where a value can start.
      if (i === 0 || /[\s[{,:-]/.test(prev)) {
        for (i++; i < text.length; i++) {
          if (c === '"' && text[i] === '\\') i++;
          else if (text[i] === c) {
            if (c === "'" && text[i + 1] === "'") i++;
            else break;
          }
        }
      }
    } else if (c === '[' || c === '{') {
      if (++depth > limit) return i;
    } else if (c === ']' || c === '}') {
      if (depth > 0) depth--;
    }
  }
  return null;
}

function firstLine(message: string): string {
  // The yaml package appends " at line N, column M" and a code frame; we add our own position.
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

class Converter {
  #nodes = 0;
  #aliases = 0;
  readonly #expanding = new Set<YamlNode>();

  constructor(
    readonly doc: Document,
    readonly limits: SourceLimits,
  ) {}

  /**
   * `at` overrides the node's own position; `pinned` makes it stick for the whole subtree: what an
   * alias expands to is reported where the alias is used (the path says which use).
   */
  convert(node: YamlNode | null, depth: number, at?: { start: number; end: number }, pinned = false): SourceNode {
    const span = at ?? { start: node?.range?.[0] ?? 0, end: node?.range?.[1] ?? 0 };
    const child = pinned ? span : undefined;
    if (++this.#nodes > this.limits.maxNodes) throw new ConvertError(span.start, `more than ${this.limits.maxNodes} values (alias expansion?)`);
    if (node === null) return { kind: 'scalar', ...span, value: null };
    if (isAlias(node)) {
      if (++this.#aliases > this.limits.maxAliases) {
        throw new ConvertError(span.start, `more than ${this.limits.maxAliases} aliases: refusing a possible alias bomb`);
      }
      const target = node.resolve(this.doc) as YamlNode | undefined;
      if (target === undefined) throw new ConvertError(span.start, `unknown alias *${node.source}`);
      if (this.#expanding.has(target)) throw new ConvertError(span.start, `recursive alias *${node.source}`);
      this.#expanding.add(target);
      try {
        // The expanded copy points at the alias, where the reader sees it used.
        return this.convert(target, depth, span, true);
      } finally {
        this.#expanding.delete(target);
      }
    }
    if (isScalar(node)) {
      const v = node.value;
      if (v === null || typeof v === 'string' || typeof v === 'boolean') return { kind: 'scalar', ...span, value: v };
      if (typeof v === 'number') return { kind: 'scalar', ...span, value: v };
      if (typeof v === 'bigint') return { kind: 'scalar', ...span, value: Number(v) };
      throw new ConvertError(span.start, 'unsupported YAML value (only strings, numbers, booleans and null)');
    }
    if (depth + 1 > this.limits.maxDepth) throw new ConvertError(span.start, `nesting deeper than ${this.limits.maxDepth} levels`);
    if (isMap(node)) {
      const entries = [];
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key as YamlNode | null;
        const key = this.convert(keyNode, depth + 1, child, pinned);
        if (key.kind === 'scalar') {
          const id = `${typeof key.value}:${String(key.value)}`;
          if (seen.has(id)) throw new ConvertError(key.start, `duplicate key ${JSON.stringify(key.value)}`);
          seen.add(id);
        }
        const valueNode = pair.value as YamlNode | null;
        // `key:` with nothing after it: the null sits where the key ends.
        const value = this.convert(valueNode, depth + 1, child ?? (valueNode === null ? { start: key.end, end: key.end } : undefined), pinned);
        entries.push({ key, value });
      }
      return { kind: 'map', ...span, entries };
    }
    if (isSeq(node)) {
      return { kind: 'seq', ...span, items: node.items.map((item) => this.convert(item as YamlNode | null, depth + 1, child, pinned)) };
    }
    throw new ConvertError(span.start, 'unsupported YAML node');
  }
}
