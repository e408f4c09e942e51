/**
 * YAML through the `yaml` package, turned into {@link SourceNode}s. Aliases are expanded here
 * under a budget (count, total nodes, depth), so a "billion laughs" file fails fast with a clear
 * error instead of exhausting memory; recursive aliases are refused.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { ParsedSource, SourceLimits, SourceNode, SyntaxIssue } from './source-node.js';

class Budget extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/** Parse `text` as one YAML 1.2 document. Never throws: problems come back in `errors`. */
export function parseYamlSource(text: string, limits: SourceLimits): ParsedSource {
  const doc = parseDocument(text, {
    prettyErrors: false,
    uniqueKeys: true,
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
    if (error instanceof Budget) return { root: null, errors: [{ offset: error.offset, message: error.message }] };
    throw error;
  }
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

  convert(node: YamlNode | null, depth: number, at?: { start: number; end: number }): SourceNode {
    const span = at ?? { start: node?.range?.[0] ?? 0, end: node?.range?.[1] ?? 0 };
    if (++this.#nodes > this.limits.maxNodes) throw new Budget(span.start, `more than ${this.limits.maxNodes} values (alias expansion?)`);
    if (node === null) return { kind: 'scalar', ...span, value: null };
    if (isAlias(node)) {
      if (++this.#aliases > this.limits.maxAliases) {
        throw new Budget(span.start, `more than ${this.limits.maxAliases} aliases: refusing a possible alias bomb`);
      }
      const target = node.resolve(this.doc) as YamlNode | undefined;
      if (target === undefined) throw new Budget(span.start, `unknown alias *${node.source}`);
      if (this.#expanding.has(target)) throw new Budget(span.start, `recursive alias *${node.source}`);
      this.#expanding.add(target);
      try {
        // The expanded copy points at the alias, where the reader sees it used.
        return this.convert(target, depth, span);
      } finally {
        this.#expanding.delete(target);
      }
    }
    if (isScalar(node)) {
      const v = node.value;
      if (v === null || typeof v === 'string' || typeof v === 'boolean') return { kind: 'scalar', ...span, value: v };
      if (typeof v === 'number') return { kind: 'scalar', ...span, value: v };
      if (typeof v === 'bigint') return { kind: 'scalar', ...span, value: Number(v) };
      throw new Budget(span.start, 'unsupported YAML value (only strings, numbers, booleans and null)');
    }
    if (depth + 1 > this.limits.maxDepth) throw new Budget(span.start, `nesting deeper than ${this.limits.maxDepth} levels`);
    if (isMap(node)) {
      const entries = [];
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key as YamlNode | null;
        const key = this.convert(keyNode, depth + 1);
        const valueNode = pair.value as YamlNode | null;
        // `key:` with nothing after it: the null sits where the key ends.
        const value = this.convert(valueNode, depth + 1, valueNode === null ? { start: key.end, end: key.end } : undefined);
        entries.push({ key, value });
      }
      return { kind: 'map', ...span, entries };
    }
    if (isSeq(node)) {
      return { kind: 'seq', ...span, items: node.items.map((item) => this.convert(item as YamlNode | null, depth + 1)) };
    }
    throw new Budget(span.start, 'unsupported YAML node');
  }
}
