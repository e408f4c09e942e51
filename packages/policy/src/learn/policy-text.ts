/**
 * A learned policy as the new text of the file that holds it. Pure: `save-policy.ts` reads and
 * writes.
 *
 * The policy stays where it lives, in its own format, so the next run finds exactly one policy:
 * - a YAML file is the text `learnPolicy` edited in place (its comments survive);
 * - a JSON file is rewritten as JSON in the file's own indentation and line endings;
 * - package.json keeps every byte but the value of its `safeInstall` key, which is replaced by
 *   the learned policy indented to match the file.
 * With nothing applied, the text is the file's text, unchanged.
 */
import type { PolicyLocation } from '../load-policy.js';
import { PACKAGE_JSON_KEY } from '../load-policy.js';
import { parseJsonSource } from '../source/parse-json-source.js';
import { getEntry, MANIFEST_LIMITS } from '../source/source-node.js';
import { parseManifestPolicy, parsePolicyText } from '../validate/parse-policy-text.js';
import type { LearnResult } from './learn-policy.js';

/** The new text of `location`'s file for `learned`. Throws only on a bug (an invalid result). */
export function learnedPolicyText(location: PolicyLocation, learned: LearnResult): string {
  const old = location.text;
  if (location.format === 'yaml' || old === null) return learned.yamlText;
  if (!learned.changes.some((c) => c.applied)) return old;
  const style = jsonStyle(old);
  if (location.format === 'json') {
    const text = `${stringifyJson(learned.merged, style, '')}${/\r?\n$/.test(old) ? style.eol : ''}`;
    const check = parsePolicyText(text, { file: 'learned policy', format: 'json' });
    if (check.value === null) throw new Error(`learn mode produced an invalid JSON policy (a bug): ${check.errors.map((e) => e.message).join('; ')}`);
    return text;
  }
  const parsed = parseJsonSource(old, MANIFEST_LIMITS);
  const entry = parsed.root?.kind === 'map' ? getEntry(parsed.root, PACKAGE_JSON_KEY) : undefined;
  // The loader found the key in this very text; anything else is a bug.
  if (entry === undefined) throw new Error(`package.json has no "${PACKAGE_JSON_KEY}" key to update (a bug)`);
  const lineStart = Math.max(old.lastIndexOf('\n', entry.key.start - 1) + 1, 0);
  const lead = old.slice(lineStart, entry.key.start);
  const text = `${old.slice(0, entry.value.start)}${stringifyJson(learned.merged, style, /^[ \t]*$/.test(lead) ? lead : '')}${old.slice(entry.value.end)}`;
  const check = parseManifestPolicy(text);
  if (check.errors.length > 0 || check.policy?.value == null) throw new Error('learn mode produced an invalid package.json (a bug)');
  return text;
}

export interface JsonStyle {
  /** One level of indentation; empty for JSON on one line. */
  indent: string;
  eol: string;
}

/** The indentation unit and line ending a JSON text uses (npm's two spaces when it shows none). */
export function jsonStyle(text: string): JsonStyle {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const body = text.trim();
  if (!/\n/.test(body)) return { indent: '', eol };
  const first = /\n([ \t]+)\S/.exec(body);
  return { indent: first?.[1] ?? '  ', eol };
}

/** `value` as JSON in `style`, every line after the first prefixed by `lead`. */
export function stringifyJson(value: unknown, style: JsonStyle, lead: string): string {
  const json = style.indent === '' ? JSON.stringify(value) : JSON.stringify(value, null, style.indent);
  return json.split('\n').join(`${style.eol}${lead}`);
}
