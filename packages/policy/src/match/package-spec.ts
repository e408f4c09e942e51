/**
 * Package specifiers in the policy: `name`, `name@range`, `name@version` — the identity npm's own
 * `allowScripts` uses, so the two read the same. Versions are matched with semver.
 */
import semver from 'semver';

/** A parsed specifier. */
export interface PackageSpec {
  name: string;
  /** A valid semver range (an exact version is a range too); null for "any version". */
  range: string | null;
}

// npm's rules (validate-npm-package-name), with legacy capitals allowed: old names such as
// `JSONStream` are still installed everywhere.
const NAME = /^(?:@[a-z0-9~-][a-z0-9._~-]*\/)?[a-z0-9~-][a-z0-9._~-]*$/i;

/** Parse `spec`; returns an error message instead of throwing. */
export function parsePackageSpec(spec: string): { spec: PackageSpec } | { error: string } {
  const at = spec.indexOf('@', 1);
  const name = at === -1 ? spec : spec.slice(0, at);
  const rawRange = at === -1 ? '' : spec.slice(at + 1).trim();
  if (name.length === 0 || name.length > 214 || !NAME.test(name)) {
    return { error: `${JSON.stringify(name)} is not a valid npm package name` };
  }
  if (rawRange === '' || rawRange === '*') {
    if (at !== -1 && rawRange === '') return { error: `${JSON.stringify(spec)} has an empty version after "@"` };
    return { spec: { name, range: null } };
  }
  if (semver.validRange(rawRange) === null) {
    return { error: `${JSON.stringify(rawRange)} is not a valid semver range` };
  }
  return { spec: { name, range: rawRange } };
}

/** Does `name@version` satisfy the spec? */
export function specMatches(spec: PackageSpec, name: string, version: string): boolean {
  if (spec.name !== name) return false;
  if (spec.range === null) return true;
  return semver.valid(version) !== null && semver.satisfies(version, spec.range);
}

/** True when `range` names exact versions only (`1.2.3` or `1.2.3 || 1.2.4`): a pin, not a range. */
export function isExactVersions(range: string): boolean {
  const parts = range.split('||').map((p) => p.trim());
  return parts.length > 0 && parts.every((p) => p !== '' && semver.valid(p) !== null && !/^[<>=~^v]/.test(p));
}
