/**
 * A parsed JSON or YAML document as a small tree that keeps every node's offsets, so validation
 * can name the line and column of an offending key or value whatever the file format.
 */

export interface SourceSpan {
  /** Offset of the node's first character. */
  start: number;
  end: number;
}

export interface SourceScalar extends SourceSpan {
  kind: 'scalar';
  value: string | number | boolean | null;
}

export interface SourceEntry {
  key: SourceNode;
  value: SourceNode;
}

export interface SourceMap extends SourceSpan {
  kind: 'map';
  entries: SourceEntry[];
}

export interface SourceSeq extends SourceSpan {
  kind: 'seq';
  items: SourceNode[];
}

export type SourceNode = SourceScalar | SourceMap | SourceSeq;

/** A syntax problem found while parsing, at an offset. */
export interface SyntaxIssue {
  offset: number;
  message: string;
}

/** Bounds that keep a hostile file from costing more than a glance. */
export interface SourceLimits {
  /** Deepest nesting of maps and sequences. */
  maxDepth: number;
  /** Nodes in the whole tree, alias expansions included. */
  maxNodes: number;
  /** YAML aliases expanded (the `yaml` package's `maxAliasCount` idea). */
  maxAliases: number;
}

/** Policy files are small: a real one nests five levels and holds a few hundred nodes. */
export const POLICY_LIMITS: SourceLimits = { maxDepth: 64, maxNodes: 100_000, maxAliases: 100 };

/** package.json and pnpm-workspace.yaml belong to the project and can be bigger. */
export const MANIFEST_LIMITS: SourceLimits = { maxDepth: 256, maxNodes: 1_000_000, maxAliases: 100 };

/** The result of parsing: a tree (null when empty or unparsable) and what went wrong. */
export interface ParsedSource {
  root: SourceNode | null;
  errors: SyntaxIssue[];
}

/** The value of `key` in `map`, if present (the last one: parsers already reject duplicates). */
export function getEntry(map: SourceMap, key: string): SourceEntry | undefined {
  let found: SourceEntry | undefined;
  for (const entry of map.entries) {
    if (entry.key.kind === 'scalar' && entry.key.value === key) found = entry;
  }
  return found;
}

/**
 * Plain data for code that only reads it (interop imports). Objects have no prototype, so keys
 * such as `__proto__` or `constructor` are data, never inherited behaviour.
 */
export function toPlain(node: SourceNode): unknown {
  switch (node.kind) {
    case 'scalar':
      return node.value;
    case 'seq':
      return node.items.map(toPlain);
    case 'map': {
      const out = Object.create(null) as Record<string, unknown>;
      for (const { key, value } of node.entries) {
        if (key.kind !== 'scalar' || key.value === null) continue;
        out[String(key.value)] = toPlain(value);
      }
      return out;
    }
  }
}
