/**
 * The version of the package manager the runner starts, read from its own package.json (no spawn:
 * `npm --version` would cost a Node start). The host needs it to know npm's script rules: npm 11
 * runs dependency scripts `allowScripts` does not list, npm 12 skips them.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, delimiter, dirname, join } from 'node:path';

/**
 * `{ name, version }` of `program` found on `path`, or null when it is not a Node package's bin.
 * An absolute `program` (a manager the job fetched, `…/node_modules/pnpm/bin/pnpm.cjs`) is read in
 * place: its name is the file's, without `.cjs`/`.js`.
 */
export function packageManagerVersion(program: string, path: string = process.env['PATH'] ?? ''): { name: string; version: string } | null {
  if (program.startsWith('/') && /^[A-Za-z0-9._/@+-]+$/.test(program) && !program.split('/').includes('..')) {
    const name = basename(program).replace(/\.(?:cjs|js)$/, '');
    return /^[a-z][a-z0-9-]*$/.test(name) && existsSync(program) ? packageOf(name, program) : null;
  }
  if (!/^[a-z][a-z0-9-]*$/.test(program)) return null;
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, program);
    if (!existsSync(candidate)) continue;
    return packageOf(program, candidate);
  }
  return null;
}

/** The package whose bin `candidate` is (following links), if it is `program`'s. */
function packageOf(program: string, candidate: string): { name: string; version: string } | null {
  let real: string;
  try {
    real = realpathSync(candidate);
  } catch {
    return null;
  }
  // The bin sits inside its package (`…/node_modules/npm/bin/npm-cli.js`): walk up to it.
  for (let at = dirname(real); at !== dirname(at); at = dirname(at)) {
    const manifest = join(at, 'package.json');
    if (!existsSync(manifest)) continue;
    try {
      const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown; version?: unknown };
      if (parsed.name === program && typeof parsed.version === 'string') return { name: program, version: parsed.version };
    } catch {
      // not JSON: keep walking
    }
  }
  return null;
}
