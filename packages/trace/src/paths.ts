/** Path helpers for sandbox paths (always POSIX, absolute as the tracer reports them). */

function trimSlash(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
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

/** Collapse `//`, `/./` and `/../`; the tracer already does, but synthetic and gateway input may not. */
export function normalizePath(path: string): string {
  if (!path.startsWith('/')) return path;
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return `/${out.join('/')}`;
}
