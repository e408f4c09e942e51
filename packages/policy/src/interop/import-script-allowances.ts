/**
 * Imports install-script allowances that a project already keeps for its package manager, so a
 * project that uses them needs no safe-install configuration:
 *
 * - npm (11+): `allowScripts` in package.json — `{ "name": true, "name@1.2.3 || 1.2.4": true,
 *   "name": false }`. Like npm, semver ranges (`^`, `~`, `>=`) are ignored with a warning: an
 *   allowance must name exact versions or the bare package. Git, file and URL keys cannot be
 *   matched from a trace (we see name@version only), so they are ignored with a warning too.
 *   What npm itself runs or skips for these entries (npm 11: unlisted scripts run unreviewed;
 *   npm 12: they are skipped, pending) is `npm-allow-scripts.ts`, on the lockfile's identity.
 * - pnpm: `onlyBuiltDependencies` (allow), `neverBuiltDependencies` and `ignoredBuiltDependencies`
 *   (deny), `allowBuilds` (map: true allows, false denies), `dangerouslyAllowAllBuilds` — under
 *   the `pnpm` key of package.json or at the top of pnpm-workspace.yaml.
 * - Bun: `trustedDependencies` in package.json (a list of names Bun runs the scripts of: allow).
 * - LavaMoat: `lavamoat.allowScripts` in package.json — keys are dependency paths (`a>b>c`); the
 *   last segment is the package. `$root$` is the project itself, whose scripts always run.
 *
 * As in npm, a denial wins over any allowance for the same package.
 */
import { isExactVersions, parsePackageSpec } from '../match/package-spec.js';
import type { PackageRule, RuleOrigin } from '../policy-types.js';

/** Allowances found in the project's package-manager configuration. */
export interface ImportedAllowances {
  rules: PackageRule[];
  /** Set when pnpm's `dangerouslyAllowAllBuilds` is on: every package may run its scripts. */
  allowAll: RuleOrigin | null;
  warnings: string[];
}

/** Inputs: already-parsed files (plain data). Absent files are null. */
export interface InteropSources {
  packageJson: Record<string, unknown> | null;
  packageJsonFile?: string;
  pnpmWorkspace: Record<string, unknown> | null;
  pnpmWorkspaceFile?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rule(spec: string, name: string, range: string | null, allow: boolean, origin: RuleOrigin): PackageRule {
  return { spec, name, range, allow, scripts: null, exec: [], write: [], network: [], env: [], origin };
}

/** Collect the allowances of npm, pnpm and LavaMoat. Pure: never reads files. */
export function importScriptAllowances(sources: InteropSources): ImportedAllowances {
  const out: ImportedAllowances = { rules: [], allowAll: null, warnings: [] };
  const pkgFile = sources.packageJsonFile ?? 'package.json';
  const wsFile = sources.pnpmWorkspaceFile ?? 'pnpm-workspace.yaml';
  const pkg = sources.packageJson;
  if (pkg !== null) {
    if (pkg['allowScripts'] !== undefined) importNpm(pkg['allowScripts'], { kind: 'npm-allowScripts', file: pkgFile }, out);
    const pnpm = pkg['pnpm'];
    if (isRecord(pnpm)) importPnpm(pnpm, { kind: 'pnpm', file: pkgFile }, 'pnpm.', out);
    if (pkg['trustedDependencies'] !== undefined) importPnpm({ trustedDependencies: pkg['trustedDependencies'] }, { kind: 'bun', file: pkgFile }, '', out);
    const lavamoat = pkg['lavamoat'];
    if (isRecord(lavamoat) && lavamoat['allowScripts'] !== undefined) {
      importLavaMoat(lavamoat['allowScripts'], { kind: 'lavamoat', file: pkgFile }, out);
    }
  }
  if (sources.pnpmWorkspace !== null) importPnpm(sources.pnpmWorkspace, { kind: 'pnpm', file: wsFile }, '', out);
  return out;
}

function importNpm(value: unknown, origin: RuleOrigin, out: ImportedAllowances): void {
  const where = `${origin.file} allowScripts`;
  if (!isRecord(value)) {
    out.warnings.push(`${where}: expected an object of "package": true|false; ignored`);
    return;
  }
  for (const [key, allow] of Object.entries(value)) {
    if (typeof allow !== 'boolean') {
      out.warnings.push(`${where}: ${JSON.stringify(key)} must be true or false; ignored`);
      continue;
    }
    const spec = registrySpec(key);
    if ('error' in spec) {
      out.warnings.push(`${where}: ${JSON.stringify(key)} ${spec.error}; ignored`);
      continue;
    }
    out.rules.push(rule(key, spec.name, spec.range, allow, origin));
  }
}

/** npm's rule for allowance keys: a bare name, `name@*`, or exact versions joined by `||`. */
function registrySpec(key: string): { name: string; range: string | null } | { error: string } {
  if (/^(?:git\+|git:|github:|gitlab:|bitbucket:|file:|https?:|link:|npm:)/.test(key) || key.startsWith('.') || key.startsWith('/')) {
    return { error: 'is a git, file, URL or alias spec, which a trace cannot match (it records name@version)' };
  }
  const parsed = parsePackageSpec(key);
  if ('error' in parsed) return { error: parsed.error };
  const { name, range } = parsed.spec;
  if (range !== null && !isExactVersions(range)) {
    return { error: 'uses a semver range; like npm, only exact versions joined by "||" (or the bare name) are accepted' };
  }
  return { name, range };
}

function importPnpm(config: Record<string, unknown>, origin: RuleOrigin, prefix: string, out: ImportedAllowances): void {
  const where = (key: string): string => `${origin.file} ${prefix}${key}`;
  const list = (key: string, allow: boolean): void => {
    const value = config[key];
    if (value === undefined) return;
    if (!Array.isArray(value)) {
      out.warnings.push(`${where(key)}: expected a list of package names; ignored`);
      return;
    }
    for (const item of value) {
      if (typeof item !== 'string') {
        out.warnings.push(`${where(key)}: ${JSON.stringify(item)} is not a package name; ignored`);
        continue;
      }
      const spec = registrySpec(item);
      if ('error' in spec) out.warnings.push(`${where(key)}: ${JSON.stringify(item)} ${spec.error}; ignored`);
      else out.rules.push(rule(item, spec.name, spec.range, allow, origin));
    }
  };
  // Bun's list (package.json), read with the same rules as pnpm's lists; nothing else is Bun's.
  if (origin.kind === 'bun') return list('trustedDependencies', true);
  list('onlyBuiltDependencies', true);
  list('neverBuiltDependencies', false);
  list('ignoredBuiltDependencies', false);
  const allowBuilds = config['allowBuilds'];
  if (allowBuilds !== undefined) {
    if (!isRecord(allowBuilds)) {
      out.warnings.push(`${where('allowBuilds')}: expected a map of "package": true|false; ignored`);
    } else {
      for (const [key, allow] of Object.entries(allowBuilds)) {
        // pnpm also writes non-boolean placeholders for packages nobody has reviewed yet: those
        // neither allow nor deny.
        if (typeof allow !== 'boolean') continue;
        const spec = registrySpec(key);
        if ('error' in spec) out.warnings.push(`${where('allowBuilds')}: ${JSON.stringify(key)} ${spec.error}; ignored`);
        else out.rules.push(rule(key, spec.name, spec.range, allow, origin));
      }
    }
  }
  if (config['onlyBuiltDependenciesFile'] !== undefined) {
    out.warnings.push(`${where('onlyBuiltDependenciesFile')}: not read by safe-install; list the packages in onlyBuiltDependencies or allowBuilds`);
  }
  if (config['dangerouslyAllowAllBuilds'] === true) {
    out.allowAll = origin;
    out.warnings.push(`${where('dangerouslyAllowAllBuilds')}: every package may run install scripts; the behaviour rules still apply`);
  }
}

function importLavaMoat(value: unknown, origin: RuleOrigin, out: ImportedAllowances): void {
  const where = `${origin.file} lavamoat.allowScripts`;
  if (!isRecord(value)) {
    out.warnings.push(`${where}: expected an object of "dependency>path": true|false; ignored`);
    return;
  }
  for (const [key, allow] of Object.entries(value)) {
    if (key === '$root$') continue;
    if (typeof allow !== 'boolean') {
      out.warnings.push(`${where}: ${JSON.stringify(key)} must be true or false; ignored`);
      continue;
    }
    // LavaMoat names a package by the path it is reached through; a trace knows the package only.
    const name = key.split('>').pop() ?? '';
    const parsed = parsePackageSpec(name);
    if ('error' in parsed || parsed.spec.range !== null) {
      out.warnings.push(`${where}: ${JSON.stringify(key)} does not end in a package name; ignored`);
      continue;
    }
    out.rules.push(rule(key, parsed.spec.name, null, allow, origin));
  }
}
