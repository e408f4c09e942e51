/**
 * Text to validated policy document: size limit, JSON or YAML parse with positions, validation.
 * Pure — the loader does the file reading.
 */
import type { PolicyDocument } from '../policy-types.js';
import { LineIndex } from '../source/line-index.js';
import { parseJsonSource } from '../source/parse-json-source.js';
import { parseYamlSource } from '../source/parse-yaml-source.js';
import type { ParsedSource, SourceLimits, SourceNode } from '../source/source-node.js';
import { getEntry, MANIFEST_LIMITS, POLICY_LIMITS, toPlain } from '../source/source-node.js';
import type { PolicyIssue, ValidationResult } from './policy-issue.js';
import { validatePolicyNode } from './validate-policy.js';

export type SourceFormat = 'json' | 'yaml';

/** A policy file larger than this is refused before parsing: real ones are a few kilobytes. */
export const MAX_POLICY_BYTES = 1024 * 1024;
/** package.json / pnpm-workspace.yaml: bigger, but still bounded. */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/** The format a policy file name implies, or null. */
export function formatOf(fileName: string): SourceFormat | null {
  if (/\.json$/i.test(fileName)) return 'json';
  if (/\.ya?ml$/i.test(fileName)) return 'yaml';
  return null;
}

/** A parsed source with its line index, or the issues that stopped the parse. */
export interface ParsedFile extends ParsedSource {
  lines: LineIndex;
  issues: PolicyIssue[];
}

/** Parse a file's text with positions; syntax and size problems come back as issues. */
export function parseSourceText(
  text: string,
  options: { file: string; format: SourceFormat; maxBytes: number; limits: SourceLimits },
): ParsedFile {
  const lines = new LineIndex(text);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > options.maxBytes) {
    return {
      root: null,
      errors: [],
      lines,
      issues: [{ file: options.file, line: 1, column: 1, path: '', message: `the file is ${bytes} bytes; the limit is ${options.maxBytes}` }],
    };
  }
  const parsed = options.format === 'json' ? parseJsonSource(text, options.limits) : parseYamlSource(text, options.limits);
  const label = options.format === 'json' ? 'JSON' : 'YAML';
  const issues = parsed.errors.map((e): PolicyIssue => {
    const { line, column } = lines.position(e.offset);
    return { file: options.file, line, column, path: '', message: `${label} syntax error: ${e.message}` };
  });
  return { ...parsed, lines, issues };
}

/** Parse and validate a policy file (`safe-install.config.json` / `.yaml` / `.yml`). */
export function parsePolicyText(text: string, options: { file: string; format: SourceFormat }): ValidationResult<PolicyDocument> {
  const parsed = parseSourceText(text, { ...options, maxBytes: MAX_POLICY_BYTES, limits: POLICY_LIMITS });
  if (parsed.issues.length > 0) return { value: null, warnings: [], errors: parsed.issues };
  return validatePolicyNode(parsed.root, { file: options.file, lines: parsed.lines });
}

/** What package.json holds for us: its plain content, and the `safeInstall` policy if any. */
export interface ManifestPolicy {
  /** The manifest as plain data (prototype-free objects); null when it could not be parsed. */
  manifest: Record<string, unknown> | null;
  /** Validation of the `safeInstall` key; null when the key is absent. */
  policy: ValidationResult<PolicyDocument> | null;
  /** Syntax problems of the manifest itself. */
  errors: PolicyIssue[];
}

/** Parse package.json and validate its `safeInstall` key, with positions in package.json. */
export function parseManifestPolicy(text: string, file = 'package.json'): ManifestPolicy {
  const parsed = parseSourceText(text, { file, format: 'json', maxBytes: MAX_MANIFEST_BYTES, limits: MANIFEST_LIMITS });
  if (parsed.issues.length > 0 || parsed.root === null) {
    const errors = parsed.issues.length > 0 ? parsed.issues : [{ file, line: 1, column: 1, path: '', message: 'the file is empty' }];
    return { manifest: null, policy: null, errors };
  }
  if (parsed.root.kind !== 'map') {
    return { manifest: null, policy: null, errors: [{ file, line: 1, column: 1, path: '', message: 'expected a JSON object' }] };
  }
  const manifest = plainObject(parsed.root);
  const entry = getEntry(parsed.root, 'safeInstall');
  const policy =
    entry === undefined
      ? null
      : validatePolicyNode(entry.value, { file, lines: parsed.lines, prefix: ['safeInstall'], emptyOffset: entry.key.start });
  return { manifest, policy, errors: [] };
}

function plainObject(node: SourceNode): Record<string, unknown> {
  return toPlain(node) as Record<string, unknown>;
}
