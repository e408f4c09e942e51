/**
 * Turns paths seen in one trace into patterns that hold in the next run: sandbox locations become
 * variables, random names in temporary folders become `*`, and many files in one folder become the
 * folder. Nothing else is widened.
 */
import { entropy } from '../engine/dns-labels.js';
import { isWithin } from '../match/path-pattern.js';
import type { PathVariable } from '../match/path-pattern.js';

/** Most specific first: a file in the package's folder is `$PACKAGE/...`, not `$NODE_MODULES/...`. */
const ORDER: PathVariable[] = ['PACKAGE', 'NODE_MODULES', 'PROJECT', 'TMPDIR', 'HOME'];

/** A segment such as `tmp-1234-AbCd9` or `npm-40-3f9a1c`: different every run. */
function looksRandom(segment: string): boolean {
  if (segment.length < 6 || !/\d/.test(segment)) return false;
  return /[0-9a-f]{6,}/i.test(segment) || /\d{3,}/.test(segment) || entropy(segment) >= 3.3;
}

/**
 * A name made by mkstemp/mkdtemp (`ar`'s `stK3a9Zb`, gcc's `ccAbC123.s`, `tmp.Xy12Ab`): a short
 * lowercase prefix, then six characters of mixed case and digits, maybe an extension. The capital
 * inside is what sets it apart from a word; it is fresh every run wherever it is made.
 */
export function looksTemporary(segment: string): boolean {
  const m = /^([a-z]{0,4}\.?)([A-Za-z0-9]{6})(?:\.[a-z]{1,3})?$/.exec(segment);
  if (m === null) return false;
  const tail = m[2] ?? '';
  const upper = tail.replace(/[^A-Z]/g, '').length;
  const digits = tail.replace(/\D/g, '').length;
  // Two capitals, or a capital and two digits: rare in words and identifiers (v8Heap, Buffer).
  return upper === 6 ? false : upper >= 2 || (upper >= 1 && digits >= 2);
}

/**
 * `path` with its location as a variable. Random segments under `$TMPDIR` become `*`; elsewhere
 * only mkstemp-style names do (a build's temporary file beside its output), so a learned policy
 * holds on the next run of the same install.
 */
export function generalizePath(path: string, vars: Partial<Record<PathVariable, string>>): string {
  for (const name of ORDER) {
    const dir = vars[name];
    if (dir === undefined || !isWithin(path, dir)) continue;
    const rest = path.slice(dir.length);
    const random = name === 'TMPDIR' ? (s: string) => looksRandom(s) || looksTemporary(s) : looksTemporary;
    return `$${name}${rest
      .split('/')
      .map((s) => (random(s) ? '*' : s))
      .join('/')}`;
  }
  return path;
}

/** Four or more files in one folder are allowed as the folder. */
const FOLD_AT = 4;

/** Fold many patterns under one folder into `folder/**`. */
export function foldPatterns(patterns: readonly string[]): string[] {
  const unique = [...new Set(patterns)];
  const byDir = new Map<string, string[]>();
  for (const p of unique) {
    const dir = p.slice(0, p.lastIndexOf('/'));
    byDir.set(dir, [...(byDir.get(dir) ?? []), p]);
  }
  const out = new Set<string>();
  for (const [dir, list] of byDir) {
    // Never fold up to a bare variable or the root: `$HOME/**` would allow everything.
    if (list.length >= FOLD_AT && dir.split('/').length >= 3) out.add(`${dir}/**`);
    else for (const p of list) out.add(p);
  }
  // A folded folder covers the single files below it.
  const folded = [...out].filter((p) => p.endsWith('/**')).map((p) => p.slice(0, -3));
  return [...out].filter((p) => p.endsWith('/**') || !folded.some((d) => p.startsWith(`${d}/`))).sort();
}
