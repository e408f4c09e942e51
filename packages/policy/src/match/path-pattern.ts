/**
 * Path patterns of the policy: absolute paths or paths starting with a variable, with globs.
 *
 * - `$PROJECT`, `$HOME`, `$TMPDIR`, `$NODE_MODULES`: from the evaluation context;
 *   `$PACKAGE`: the folder of the package the rule belongs to.
 * - `*` any characters within one path segment, `?` one character, `**` any number of segments
 *   (zero included); a trailing `/` means the folder and everything below it.
 * - For `exec` only: a bare program name (`python3`) matches that file name anywhere.
 */
import { basename, isWithin, normalizePath } from '@safe-install/trace';

// The shared trace model owns these; the policy engine uses the same ones.
export { basename, isWithin, normalizePath };

/** Variables a path pattern may start with. */
export const PATH_VARIABLES = ['PROJECT', 'HOME', 'TMPDIR', 'PACKAGE', 'NODE_MODULES'] as const;
export type PathVariable = (typeof PATH_VARIABLES)[number];

/** Values for the variables. `PACKAGE` is absent outside a package rule. */
export type PathVariables = Partial<Record<PathVariable, string>>;

/** Syntax check; returns an error message or null. */
export function checkPathPattern(pattern: string, options: { allowBareName: boolean }): string | null {
  if (pattern.length === 0) return 'a path pattern must not be empty';
  if (pattern.length > 4096) return 'a path pattern must be at most 4096 characters';
  if (pattern.includes('\0')) return 'a path pattern must not contain NUL';
  if (!pattern.startsWith('/') && !pattern.startsWith('$')) {
    if (options.allowBareName && !pattern.includes('/')) return null;
    return `${JSON.stringify(pattern)} must be absolute or start with one of ${PATH_VARIABLES.map((v) => `$${v}`).join(', ')}`;
  }
  if (pattern.startsWith('$')) {
    const name = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/.exec(pattern)?.[1] ?? '';
    if (!(PATH_VARIABLES as readonly string[]).includes(name)) {
      return `unknown variable $${name} (known: ${PATH_VARIABLES.map((v) => `$${v}`).join(', ')})`;
    }
  }
  const segments = pattern.split('/');
  if (segments.some((s) => s === '..' || s === '.')) return `${JSON.stringify(pattern)} must not contain "." or ".." segments`;
  if (segments.some((s) => s.includes('**') && s !== '**')) return `"**" must be a whole path segment in ${JSON.stringify(pattern)}`;
  return null;
}

/** Replace a leading variable; null when the variable has no value here. */
export function expandVariables(pattern: string, vars: PathVariables): string | null {
  const m = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/.exec(pattern);
  if (m === null) return pattern;
  const value = vars[m[1] as PathVariable];
  if (value === undefined) return null;
  return trimSlash(value) + pattern.slice(m[0].length);
}

function trimSlash(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

const cache = new Map<string, RegExp>();

function globToRegExp(glob: string): RegExp {
  let cached = cache.get(glob);
  if (cached !== undefined) return cached;
  const normalized = glob.endsWith('/') && glob.length > 1 ? `${glob}**` : glob;
  const segments = normalized.split('/');
  let source = '^';
  segments.forEach((seg, i) => {
    if (i === 0) {
      // Leading '' of an absolute path.
      if (seg !== '') source += segmentRegExp(seg);
      return;
    }
    if (seg === '**') {
      source += i === segments.length - 1 ? '(?:/.*)?' : '(?:/[^/]+)*';
      return;
    }
    source += `/${segmentRegExp(seg)}`;
  });
  cached = new RegExp(`${source}$`, 's');
  if (cache.size > 10_000) cache.clear();
  cache.set(glob, cached);
  return cached;
}

function segmentRegExp(seg: string): string {
  let out = '';
  for (const ch of seg) {
    if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else out += ch.replace(/[\\^$.+()|[\]{}]/g, '\\$&');
  }
  return out;
}

/** Does absolute `path` match `pattern` (after variable expansion)? */
export function pathMatches(pattern: string, path: string, vars: PathVariables): boolean {
  if (!pattern.startsWith('/') && !pattern.startsWith('$')) {
    // Bare program name: compare with the file name.
    return basename(path) === pattern;
  }
  const expanded = expandVariables(pattern, vars);
  if (expanded === null) return false;
  return globToRegExp(expanded).test(path);
}

