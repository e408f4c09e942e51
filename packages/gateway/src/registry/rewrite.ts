/**
 * Packument rewriting: every `versions[v].dist.tarball` that points at a configured upstream is
 * pointed back at the gateway, so the package manager fetches tarballs through it too (and never
 * needs the upstream's credentials or a route to it). Works for full packuments and for the
 * abbreviated ("corgi", `application/vnd.npm.install-v1+json`) form: both keep tarballs there.
 */

export interface TarballRewriteTarget {
  /** Gateway path prefix of the registry, e.g. `/r/0/`. */
  prefix: string;
  /** The upstream base URL, e.g. `https://registry.example/` (scheme, host, optional path). */
  upstream: string;
}

/** Splits a URL into a comparable origin and path; null when it is not http(s). */
function splitUrl(url: string): { origin: string; path: string } | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  return { origin: `${parsed.protocol}//${parsed.host}`.toLowerCase(), path: `${parsed.pathname}${parsed.search}` };
}

/**
 * A function mapping an upstream tarball URL to its gateway URL (`<gatewayOrigin><prefix><rest>`),
 * or null for URLs under no configured upstream (left as they are: the egress policy decides).
 * The longest matching upstream wins. An `http:` tarball URL of an `https:` upstream (old
 * packuments have them) maps too: the gateway fetches it over https.
 */
export function tarballUrlMapper(targets: readonly TarballRewriteTarget[], gatewayOrigin: string): (url: string, preferPrefix?: string) => string | null {
  const bases = targets
    .map((target) => {
      const split = splitUrl(target.upstream);
      if (!split) return null;
      const path = split.path.endsWith('/') ? split.path : `${split.path}/`;
      return { ...split, path, prefix: target.prefix, alternate: split.origin.startsWith('https:') ? `http:${split.origin.slice(6)}` : null };
    })
    .filter((base): base is NonNullable<typeof base> => base !== null)
    .sort((a, b) => b.path.length - a.path.length);
  const origin = gatewayOrigin.replace(/\/+$/, '');
  return (url, preferPrefix) => {
    const split = splitUrl(url);
    if (!split) return null;
    // The registry that served the packument first: two prefixes may share an upstream.
    const ordered = preferPrefix === undefined ? bases : [...bases.filter((base) => base.prefix === preferPrefix), ...bases];
    for (const base of ordered) {
      if ((split.origin === base.origin || split.origin === base.alternate) && split.path.startsWith(base.path)) {
        return `${origin}${base.prefix}${split.path.slice(base.path.length)}`;
      }
    }
    return null;
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Rewrites the tarball URLs of a packument body. Returns null when the body is not a JSON object
 * (it is then passed on unchanged: an error page, say).
 */
export function rewritePackument(body: string, map: (url: string) => string | null): { body: string; rewritten: number; foreign: number } | null {
  let packument: unknown;
  try {
    packument = JSON.parse(body);
  } catch {
    return null;
  }
  if (!isRecord(packument)) return null;
  let rewritten = 0;
  let foreign = 0;
  const versions = packument['versions'];
  if (isRecord(versions)) {
    for (const manifest of Object.values(versions)) {
      if (!isRecord(manifest)) continue;
      const dist = manifest['dist'];
      if (!isRecord(dist) || typeof dist['tarball'] !== 'string') continue;
      const mapped = map(dist['tarball']);
      if (mapped === null) foreign++;
      else {
        dist['tarball'] = mapped;
        rewritten++;
      }
    }
  }
  // A single-version document (`/<name>/<version>`) has `dist` at the top.
  const dist = packument['dist'];
  if (isRecord(dist) && typeof dist['tarball'] === 'string') {
    const mapped = map(dist['tarball']);
    if (mapped === null) foreign++;
    else {
      dist['tarball'] = mapped;
      rewritten++;
    }
  }
  return { body: JSON.stringify(packument), rewritten, foreign };
}
