/**
 * Requests to the package registry made by install scripts. The package manager fetches what the
 * lockfile pins, through the gateway's registry proxy; a script that talks to the registry itself
 * is judged on what it asks for: a package the lockfile does not contain (a second stage fetched
 * past the lockfile), a path that carries data (a package name made of encoded bytes: the
 * registry's logs are an exfiltration channel too), or anything the proxy refused (an API, a query
 * string). A request that names a registry host but did not go through the proxy — an unusual
 * port, a query string, CONNECT to a port other than 443 — is not registry traffic at all.
 *
 * The package manager's own requests (no script attribution) are not judged here.
 */
import type { HttpEvent } from '@safe-install/schema';
import { normalizeHost } from '../match/host-pattern.js';
import type { Analysis } from './analysis.js';
import { report } from './analysis.js';
import { encodedLabel } from './dns-labels.js';
import type { ResolvedContext } from './resolved-context.js';
import type { ScriptRun } from './trace-model.js';

/**
 * Served by the registry proxy, or a plain fetch of a registry host on its HTTPS (or HTTP) port
 * with no query string: what the package manager's own traffic looks like.
 */
export function isRegistryRequest(ctx: ResolvedContext, e: HttpEvent): boolean {
  if (e.decision === 'registry') return true;
  return ctx.registryHosts.has(normalizeHost(e.host)) && registryShapeProblem(e) === null;
}

/** Why a request naming a registry host does not look like registry traffic, or null. */
function registryShapeProblem(e: HttpEvent): string | null {
  const method = e.method.toUpperCase();
  if (method === 'CONNECT') return e.port === 443 ? null : `CONNECT to port ${e.port}, not HTTPS`;
  if (e.port !== 443 && e.port !== 80) return `port ${e.port}, where no registry listens`;
  if (queryOf(e.url) !== '') return 'a query string';
  return null;
}

function queryOf(url: string): string {
  try {
    return new URL(url, 'http://x').search;
  } catch {
    return url.includes('?') ? url.slice(url.indexOf('?')) : '';
  }
}

/** The path of a request URL (absolute or origin-form), without its query. */
export function pathOf(url: string): string {
  try {
    return new URL(url, 'http://x').pathname;
  } catch {
    return url.split('?')[0] ?? url;
  }
}

/** What a registry path asks for: a packument (name) or a tarball (name and version), or null. */
export function registryTarget(url: string): { name: string; version?: string } | null {
  const segments = pathOf(url)
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  const dash = segments.lastIndexOf('-');
  if (dash > 0 && dash === segments.length - 2) {
    // <name>/-/<basename>-<version>.tgz, name scoped or not.
    const before = segments.slice(0, dash);
    const last = before[before.length - 1] ?? '';
    const scope = before[before.length - 2];
    const name = scope?.startsWith('@') === true ? `${scope}/${last}` : last.includes('/') ? last : last;
    const file = segments[dash + 1] ?? '';
    const base = name.split('/').pop() ?? name;
    const match = new RegExp(`^${escapeRegExp(base)}-(.+)\\.tgz$`).exec(file);
    return match?.[1] === undefined ? { name } : { name, version: match[1] };
  }
  if (segments.length === 0 || segments.some((s) => s.startsWith('-'))) return null;
  const last = segments[segments.length - 1] ?? '';
  if (last.startsWith('@')) return { name: last }; // @scope%2fname
  const scope = segments[segments.length - 2];
  return scope?.startsWith('@') === true ? { name: `${scope}/${last}` } : { name: last };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Judge a request of a script that names a registry host. Returns true when it was registry
 * traffic (whatever was found), so the caller skips the host allowlist.
 */
export function judgeScriptRegistryRequest(a: Analysis, e: HttpEvent, run: ScriptRun, tokenUse: boolean): boolean {
  const host = normalizeHost(e.host);
  if (e.decision !== 'registry' && !a.ctx.registryHosts.has(host)) return false;
  const request = `${e.method} ${e.url}`;
  const shape = e.decision === 'registry' ? null : registryShapeProblem(e);
  if (shape !== null) {
    report(a, e, run, {
      rule: 'registry-misuse',
      subject: `${host}:${e.port}`,
      message: `sent ${request} to the registry host ${host} with ${shape}, past the registry proxy`,
    });
    return true;
  }
  // A tunnel to the registry's HTTPS port shows no path: nothing more to judge.
  if (e.method.toUpperCase() === 'CONNECT') return true;
  const reason = (e as HttpEvent & { reason?: string }).reason;
  if (e.decision === 'denied' && !tokenUse) {
    // The proxy refused it (an API, a query string, odd encoding). Token APIs are token-use already.
    report(a, e, run, {
      rule: 'registry-misuse',
      subject: `${host} refused`,
      message: `asked the registry for ${request}, which the registry proxy refused${reason === undefined ? '' : ` (${reason})`}`,
    });
    return true;
  }
  if (e.decision === 'denied') return true;
  const target = registryTarget(e.url);
  if (target === null) return true;
  const encoded = encodedLabel(target.name.replace(/[/@]/g, '.'));
  if (encoded !== null || target.name.length > 214) {
    report(a, e, run, {
      rule: 'registry-misuse',
      subject: `${host} data in path`,
      message: `asked the registry for ${request}: the name "${target.name}" ${encoded === null ? 'is longer than any package name' : `looks like ${encoded.encoding} data`}`,
    });
    return true;
  }
  const locked = a.ctx.lockedPackages;
  if (locked !== null && !isLocked(locked, target)) {
    const what = target.version === undefined ? `the package ${target.name}` : `the tarball of ${target.name}@${target.version}`;
    report(a, e, run, {
      rule: 'registry-misuse',
      // The project's own scripts (npx in a prepare) are the project's code: suspicious, not damning.
      ...(run.projectOwn ? { severity: 'medium' as const } : {}),
      subject: `${host} unlocked ${target.name}`,
      message: `fetched ${what} from the registry, which the lockfile does not contain (${request})`,
    });
  }
  return true;
}

function isLocked(locked: ReadonlyMap<string, ReadonlySet<string>>, target: { name: string; version?: string }): boolean {
  const versions = locked.get(target.name);
  if (versions === undefined) return false;
  return target.version === undefined || versions.has(target.version);
}
