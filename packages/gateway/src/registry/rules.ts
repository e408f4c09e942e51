/**
 * Which registry requests the gateway forwards. The gateway adds the real registry credentials to
 * what it forwards, so anything it forwards is done with the user's identity: install code must not
 * be able to use that to publish, change dist-tags, read the user's profile or tokens, or search
 * (P11 in the threat model: Shai-Hulud used stolen npm tokens exactly so).
 *
 * So this is an allowlist, not a blocklist: GET and HEAD of a packument (`/<name>`), of one version
 * or tag (`/<name>/<version>`), and of a tarball (`/<name>/-/<file>.tgz`, or GitHub Packages'
 * `/download/@owner/<name>/<version>/<digest>`; the gateway also serves any other tarball path it
 * itself handed out in a packument of this run). Everything else — any
 * other method, any `/-/...` API (`whoami`, `v1/search`, `npm/v1/...`, `user/...`, `package/.../
 * dist-tags`, audit), query strings, dot segments, encoded slashes outside a scope — is refused.
 * One read-only API path is forwarded: a version's provenance attestations,
 * `/-/npm/v1/attestations/<name>@<version>` (public Sigstore bundles; pnpm 11 reads their
 * transparency-log time as the publish time for its minimumReleaseAge check of a lockfile, and
 * falls back to the whole packument without them).
 */

/** One configured upstream as the path rules see it. */
export interface RegistryPrefix {
  /** Gateway path prefix, starting and ending with `/`, e.g. `/r/0/`. */
  prefix: string;
}

export interface RegistrySelection {
  /** Index into the configured registries. */
  index: number;
  /** The path after the prefix, without a leading `/` (may be empty). */
  rest: string;
  /** False when no prefix matched and the first (default) registry was assumed. */
  prefixed: boolean;
}

/**
 * Picks the registry for an origin-form path. The longest matching prefix wins. A path under no
 * prefix goes to the default registry (the first): npm's `replace-registry-host` rewrites a locked
 * URL to `new URL(pathname, registry)`, which drops the registry's path, and that should still work.
 */
export function selectRegistry(path: string, registries: readonly RegistryPrefix[]): RegistrySelection {
  let best: RegistrySelection | null = null;
  let bestLength = -1;
  registries.forEach((registry, index) => {
    if (path.startsWith(registry.prefix) && registry.prefix.length > bestLength) {
      best = { index, rest: path.slice(registry.prefix.length), prefixed: true };
      bestLength = registry.prefix.length;
    }
  });
  return best ?? { index: 0, rest: path.replace(/^\/+/, ''), prefixed: false };
}

export type RegistryRequestClass =
  | { allowed: true; kind: 'packument' | 'version' | 'tarball' | 'attestation'; name: string }
  | { allowed: false; reason: string };

const NAME_PART = /^[A-Za-z0-9~][A-Za-z0-9._~-]*$/;
const VERSION = /^[A-Za-z0-9][A-Za-z0-9.+_~-]*$/;
const TARBALL_FILE = /^[A-Za-z0-9~][A-Za-z0-9._~+-]*\.tgz$/;

function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** Decides whether a request for `rest` (path after the registry prefix) may be forwarded. */
export function classifyRegistryRequest(method: string, rest: string): RegistryRequestClass {
  const refuse = (reason: string): RegistryRequestClass => ({ allowed: false, reason });
  if (method !== 'GET' && method !== 'HEAD') return refuse(`method ${method} is not forwarded to the registry`);
  if (rest.includes('?') || rest.includes('#')) return refuse('query strings are not forwarded to the registry');
  if (rest.length > 1024) return refuse('path too long');
  if (/[\\\s]/.test(rest) || /%(?:2e|5c|00)/i.test(rest)) return refuse('suspicious path encoding');
  const segments = rest.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) return refuse('empty or dot path segment');
  const first = segments[0] as string;
  if (segments.length >= 5 && segments.slice(0, 4).join('/') === '-/npm/v1/attestations') return classifyAttestation(segments.slice(4));
  if (first === '-' || first.startsWith('-')) return refuse('registry API paths (/-/...) are not forwarded');
  let name: string;
  let remaining: string[];
  if (first.startsWith('@')) {
    const decoded = decodeSegment(first);
    if (decoded === null) return refuse('bad percent-encoding');
    if (decoded.includes('/')) {
      // `@scope%2fname`, the form npm sends
      name = decoded;
      remaining = segments.slice(1);
    } else {
      const second = segments[1];
      if (second === undefined) return refuse('scope without a package name');
      name = `${decoded}/${second}`;
      remaining = segments.slice(2);
    }
    const [scope, bare, extra] = name.slice(1).split('/');
    if (extra !== undefined || !scope || !bare || !NAME_PART.test(scope) || !NAME_PART.test(bare)) return refuse('bad scoped package name');
  } else {
    if (first.includes('%')) return refuse('percent-encoding in an unscoped name');
    if (!NAME_PART.test(first)) return refuse('bad package name');
    name = first;
    remaining = segments.slice(1);
  }
  if (name.length > 214) return refuse('package name too long');
  if (remaining.length === 0) return { allowed: true, kind: 'packument', name };
  if (remaining.length === 1) {
    const version = remaining[0] as string;
    return VERSION.test(version) ? { allowed: true, kind: 'version', name } : refuse('bad version segment');
  }
  if (name === 'download' && remaining.length === 4 && remaining[0]?.startsWith('@') && VERSION.test(remaining[2] as string) && /^[0-9a-f]{16,128}$/.test(remaining[3] as string)) {
    // GitHub Packages: download/@owner/name/<version>/<digest>
    const [scope, bare] = remaining as [string, string];
    if (NAME_PART.test(scope.slice(1)) && NAME_PART.test(bare)) return { allowed: true, kind: 'tarball', name: `${scope}/${bare}` };
  }
  if (remaining.length === 2 && remaining[0] === '-') {
    const file = decodeSegment(remaining[1] as string);
    return file !== null && file === remaining[1] && TARBALL_FILE.test(file) ? { allowed: true, kind: 'tarball', name } : refuse('bad tarball file name');
  }
  return refuse('unrecognised registry path');
}

/**
 * `<name>@<version>` after `-/npm/v1/attestations/`, the name as pnpm and npm send it: unencoded, a
 * scope as its own segment (`@scope/name@1.0.0`). Nothing else under `-/` is let through by it.
 */
function classifyAttestation(spec: readonly string[]): RegistryRequestClass {
  const refuse = (reason: string): RegistryRequestClass => ({ allowed: false, reason });
  if (spec.some((segment) => segment.includes('%'))) return refuse('percent-encoding in an attestation path');
  const scoped = spec.length === 2;
  if (spec.length > 2 || (scoped && !spec[0]!.startsWith('@'))) return refuse('unrecognised attestation path');
  const last = spec[spec.length - 1]!;
  const at = last.lastIndexOf('@');
  if (at <= 0) return refuse('attestation path without name@version');
  const bare = last.slice(0, at);
  const version = last.slice(at + 1);
  if (!NAME_PART.test(bare) || !VERSION.test(version)) return refuse('bad attestation name or version');
  if (scoped && !NAME_PART.test(spec[0]!.slice(1))) return refuse('bad attestation scope');
  const name = scoped ? `${spec[0]}/${bare}` : bare;
  if (name.length > 214) return refuse('package name too long');
  return { allowed: true, kind: 'attestation', name };
}

/** The upstream URL for `rest` under a registry whose base URL is `upstream`. */
export function upstreamUrl(upstream: string, rest: string): string {
  return `${upstream.endsWith('/') ? upstream : `${upstream}/`}${rest}`;
}
