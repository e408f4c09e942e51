/**
 * Lexical path handling. Lexical on purpose: the tracer sees the trace, not the sandbox's file
 * system, so it cannot follow symlinks; where the kernel resolved a path for us (`-y` decorations)
 * the caller prefers that.
 */

/** Normalise `.`, `..` and repeated or trailing slashes of a path, made absolute from `/`. */
export function normalizePath(path: string): string {
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    // `..` at the root stays at the root, as the kernel does.
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return `/${out.join('/')}`;
}

/** `path` resolved against the directory `base` (itself taken as absolute), normalised. */
export function resolvePath(base: string, path: string): string {
  return normalizePath(path.startsWith('/') ? path : `${base}/${path}`);
}

/** The directory part of an absolute, normalised path (`/` for `/` and top-level entries). */
export function dirname(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}
