/**
 * Lexical handling of sandbox paths (always POSIX). Lexical on purpose: the tracer sees the trace,
 * not the sandbox's file system, so it cannot follow symlinks; where the kernel resolved a path
 * (strace's `-y` decorations) the caller prefers that. One module for the tracer inside the sandbox
 * and for the trace, policy and report on the host, so both sides read a path the same way.
 */

function trimSlash(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

/**
 * Collapse `//`, `/./` and `/../` (`..` at the root stays at the root, as the kernel does) and
 * drop a trailing slash. A relative path is returned unchanged: only `resolvePath` knows its base.
 */
export function normalizePath(path: string): string {
  if (!path.startsWith('/')) return path;
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return `/${out.join('/')}`;
}

/** `path` resolved against the directory `base` (itself taken as absolute), normalised. */
export function resolvePath(base: string, path: string): string {
  if (path.startsWith('/')) return normalizePath(path);
  return normalizePath(`/${base}/${path}`);
}

/** Is `path` the folder `dir` or inside it? */
export function isWithin(path: string, dir: string): boolean {
  const d = trimSlash(dir);
  if (d === '/') return path.startsWith('/');
  return path === d || path.startsWith(`${d}/`);
}

/** The last path segment. */
export function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? path : path.slice(i + 1);
}

/** The directory part of an absolute, normalised path (`/` for `/` and top-level entries). */
export function dirname(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}
