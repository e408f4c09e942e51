/**
 * Where a package's entry is in package-lock.json: the line of its `"node_modules/<name>": {` key,
 * so SARIF results and GitHub annotations point at it. Pure, over untrusted text: a plain string
 * search (no pattern built from the name), bounded input, line 1 when nothing matches.
 */

/** Lockfiles larger than this are searched only up to it (the line is a pointer, not a verdict). */
export const MAX_LOCKFILE_CHARS = 64 * 1024 * 1024;

export interface LockfileLine {
  line: number;
  /** The lockfile key found (`node_modules/a/node_modules/b`), or null when the package was not found. */
  key: string | null;
}

/**
 * The line of `name`'s entry: the top-level `"node_modules/<name>"` first, else the first nested
 * one (`…/node_modules/<name>`). A name with a quote, a backslash or a line break cannot be a
 * lockfile key as written and is not searched for.
 */
export function locatePackage(lockfileText: string, name: string): LockfileLine {
  const notFound = { line: 1, key: null };
  if (name === '' || name.length > 214 || /["\\\r\n\u0000]/.test(name)) return notFound;
  const text = lockfileText.length > MAX_LOCKFILE_CHARS ? lockfileText.slice(0, MAX_LOCKFILE_CHARS) : lockfileText;
  const top = `"node_modules/${name}"`;
  const nested = `/node_modules/${name}"`;
  let fallback: LockfileLine | null = null;
  let line = 1;
  let start = 0;
  while (start <= text.length) {
    const end = text.indexOf('\n', start);
    const row = text.slice(start, end < 0 ? text.length : end);
    const trimmed = row.trimStart();
    if (isKeyOfObject(trimmed, top)) return { line, key: top.slice(1, -1) };
    if (fallback === null && trimmed.startsWith('"node_modules/')) {
      const close = trimmed.indexOf('"', 1);
      if (close > 0 && trimmed.slice(0, close + 1).endsWith(nested) && isKeyOfObject(trimmed, trimmed.slice(0, close + 1))) {
        fallback = { line, key: trimmed.slice(1, close) };
      }
    }
    if (end < 0) break;
    start = end + 1;
    line += 1;
  }
  return fallback ?? notFound;
}

/** `"key": {` (any spacing), so a string value that happens to equal the key is not taken. */
function isKeyOfObject(trimmed: string, quotedKey: string): boolean {
  if (!trimmed.startsWith(quotedKey)) return false;
  const rest = trimmed.slice(quotedKey.length).trimStart();
  return rest.startsWith(':') && rest.slice(1).trimStart().startsWith('{');
}
