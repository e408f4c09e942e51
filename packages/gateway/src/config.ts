/**
 * The gateway's configuration. The orchestrator builds it on the host (registries and proxies from
 * the user's npm config, the policy's allowlist, the run's decoys) and hands it to the gateway
 * container in `SAFE_INSTALL_GATEWAY_CONFIG` — an environment the sandbox never sees.
 *
 * Validation returns `{value, warnings, errors}` rather than throwing, so the caller decides how a
 * bad config is reported (the CLI maps it to exit code 2).
 */
import type { DecoyIndex } from '@safe-install/schema';
import { compileAllowlist, type EgressAllowConfig } from './egress/allow.js';
import { ipv4Octets } from './dns/message.js';

/** Credentials the gateway adds to requests to one upstream registry. */
export interface RegistryAuth {
  /** `bearer`: `Authorization: Bearer <value>`; `basic`: `Authorization: Basic <value>` (value already base64 of `user:password`). */
  type: 'bearer' | 'basic';
  value: string;
}

export interface RegistryUpstreamConfig {
  /** Gateway path prefix, starting and ending with `/`, e.g. `/r/0/`. The first registry is the default. */
  prefix: string;
  /** The real registry's base URL (http or https), as in the user's npm config. */
  upstream: string;
  auth?: RegistryAuth;
  /**
   * The base URL the sandbox knows the registry by (its real scheme, host and path, e.g.
   * `https://registry.example/`), besides the prefix: requests for it, through the proxy (CONNECT,
   * for https) or sent to a DNS answer's sink address, are this registry's, and packument tarball
   * URLs are given under it. So the install sees the registry URL a CI job would, not the gateway's
   * address. For an https URL the gateway ends the TLS itself with a certificate from its per-run
   * CA (see `trustBundle`), and reads and judges every request inside it.
   */
  advertised?: string;
}

export interface TrustStoreConfig {
  from: string;
  into: string;
  /** A file name in `from`, e.g. `ca-certificates.crt`. */
  bundle: string;
}

export interface GatewayLimits {
  /** Request body bytes kept as evidence of a sinkholed request. */
  evidenceBodyBytes: number;
  /** Request body bytes read at most from one request; beyond, the connection is closed. */
  maxRequestBodyBytes: number;
  /** Idle time after which a client connection is closed. */
  idleTimeoutMs: number;
  /** Time allowed for an upstream response to start. */
  upstreamTimeoutMs: number;
  /** A cached packument younger than this is served without asking the upstream. */
  packumentMaxAgeSeconds: number;
}

export interface GatewayConfig {
  /** Directory shared with the sandbox's forwarder; the gateway listens on `<socketDir>/gateway.sock`. */
  socketDir: string;
  /** JSON Lines file the gateway appends its events to (in the gateway container, not the shared dir). */
  eventsFile: string;
  /** Persistent cache of tarballs (by integrity) and packuments (by URL). */
  cacheDir: string;
  registries: RegistryUpstreamConfig[];
  /** PEM bundle to trust for upstream TLS (npm's `cafile`/`ca`), in addition to Node's defaults. */
  ca?: string;
  strictSsl: boolean;
  /** Upstream HTTP proxy for http URLs (npm `proxy`). */
  proxy?: string;
  /** Upstream proxy for https URLs (npm `https-proxy`); CONNECT is used through it. */
  httpsProxy?: string;
  /** Comma-separated hosts/domains that bypass the upstream proxy (npm `noproxy`). */
  noproxy?: string;
  allow: EgressAllowConfig;
  decoys: DecoyIndex;
  /**
   * The sandbox's trust store, written before the gateway listens: the folder `from` (the image's
   * /etc/ssl/certs) copied into `into` (a volume the sandbox mounts at `from`, read-only), the
   * run's CA certificate appended to its `bundle` (ca-certificates.crt), as a machine with an
   * organisation's CA installed has it. Only when a registry is advertised over https (the CA
   * exists only then); the CA's private key never leaves the gateway.
   */
  trustStore?: TrustStoreConfig;
  /** IPv4 address every DNS answer points to: the forwarder's sink listeners (e.g. `127.10.0.1`). */
  sinkAddress: string;
  /** How the sandbox reaches the proxy port; rewritten tarball URLs start with it. Default `http://127.0.0.1:3128`. */
  advertisedOrigin: string;
  /**
   * Name -> IP address map used instead of DNS when the gateway connects to an allowed host.
   * For tests (pointing `*.test` names at loopback servers); addresses here skip the forbidden-
   * destination check, so never fill it from untrusted input.
   */
  hostsOverride?: Record<string, string>;
  limits: GatewayLimits;
}

export const DEFAULT_LIMITS: GatewayLimits = {
  evidenceBodyBytes: 1024 * 1024,
  maxRequestBodyBytes: 64 * 1024 * 1024,
  idleTimeoutMs: 120_000,
  upstreamTimeoutMs: 60_000,
  packumentMaxAgeSeconds: 3600,
};

export const DEFAULT_ADVERTISED_ORIGIN = 'http://127.0.0.1:3128';

export interface ValidationResult<T> {
  value: T | null;
  warnings: string[];
  errors: string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function stringList(value: unknown): string[] | null {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? (value as string[]) : null;
}

/**
 * Checks an untrusted (parsed JSON) config and fills in defaults. `value` is null when there are
 * errors. Never throws.
 */
export function validateGatewayConfig(input: unknown): ValidationResult<GatewayConfig> {
  const errors: string[] = [];
  const warnings: string[] = [];
  if (!isRecord(input)) return { value: null, warnings, errors: ['config must be a JSON object'] };
  const path = (key: string): string | null => {
    const value = input[key];
    if (typeof value === 'string' && value.startsWith('/')) return value;
    errors.push(`${key} must be an absolute path`);
    return null;
  };
  const socketDir = path('socketDir');
  const eventsFile = path('eventsFile');
  const cacheDir = path('cacheDir');

  const registries: RegistryUpstreamConfig[] = [];
  if (!Array.isArray(input['registries']) || input['registries'].length === 0) errors.push('registries must be a non-empty array');
  else {
    input['registries'].forEach((entry: unknown, index: number) => {
      const where = `registries[${index}]`;
      if (!isRecord(entry)) return errors.push(`${where} must be an object`);
      const prefix = entry['prefix'];
      if (typeof prefix !== 'string' || !/^\/([A-Za-z0-9._~-]+\/)+$/.test(prefix)) errors.push(`${where}.prefix must look like /r/0/`);
      else if (prefix.split('/').some((segment) => segment === '-' || segment.startsWith('@'))) errors.push(`${where}.prefix must not contain "-" or "@..." segments (they are package paths)`);
      const upstream = entry['upstream'];
      if (!isHttpUrl(upstream)) errors.push(`${where}.upstream must be an http(s) URL`);
      else if (new URL(upstream).username || new URL(upstream).password) errors.push(`${where}.upstream must not carry credentials; use auth`);
      let auth: RegistryAuth | undefined;
      const rawAuth = entry['auth'];
      if (rawAuth !== undefined) {
        if (!isRecord(rawAuth) || (rawAuth['type'] !== 'bearer' && rawAuth['type'] !== 'basic') || typeof rawAuth['value'] !== 'string' || rawAuth['value'] === '' || /[\r\n]/.test(rawAuth['value'])) {
          errors.push(`${where}.auth must be {type: 'bearer'|'basic', value: non-empty string}`);
        } else auth = { type: rawAuth['type'], value: rawAuth['value'] };
      }
      const advertised = entry['advertised'];
      if (advertised !== undefined && (!isHttpUrl(advertised) || new URL(advertised).search !== '' || new URL(advertised).username !== '' || !advertised.endsWith('/'))) {
        errors.push(`${where}.advertised must be an http(s) URL ending in /, without a query or credentials`);
      }
      if (typeof prefix === 'string' && isHttpUrl(upstream)) {
        registries.push({ prefix, upstream, ...(auth ? { auth } : {}), ...(typeof advertised === 'string' && isHttpUrl(advertised) ? { advertised } : {}) });
      }
      return undefined;
    });
    const prefixes = registries.map((registry) => registry.prefix);
    if (new Set(prefixes).size !== prefixes.length) errors.push('registry prefixes must be unique');
    for (const registry of registries) if (registry.upstream.startsWith('http:') && registry.auth) warnings.push(`registry ${registry.prefix} sends credentials over plain http`);
  }

  const ca = input['ca'];
  if (ca !== undefined && (typeof ca !== 'string' || !ca.includes('-----BEGIN CERTIFICATE-----'))) errors.push('ca must be a PEM string');
  const strictSsl = input['strictSsl'] ?? true;
  if (typeof strictSsl !== 'boolean') errors.push('strictSsl must be a boolean');
  else if (!strictSsl) warnings.push('strictSsl is false: upstream TLS certificates are not verified');
  for (const key of ['proxy', 'httpsProxy'] as const) {
    if (input[key] !== undefined && input[key] !== null && !isHttpUrl(input[key])) errors.push(`${key} must be an http(s) URL`);
  }
  const noproxy = input['noproxy'];
  if (noproxy !== undefined && noproxy !== null && typeof noproxy !== 'string') errors.push('noproxy must be a string');

  const allowInput = input['allow'] ?? { global: [], packages: {} };
  let allow: EgressAllowConfig = { global: [], packages: {} };
  if (!isRecord(allowInput)) errors.push('allow must be an object');
  else {
    const global = stringList(allowInput['global'] ?? []);
    const packagesInput = allowInput['packages'] ?? {};
    const packages: Record<string, string[]> = {};
    if (!global) errors.push('allow.global must be an array of strings');
    if (!isRecord(packagesInput)) errors.push('allow.packages must be an object');
    else {
      for (const [name, entries] of Object.entries(packagesInput)) {
        const list = stringList(entries);
        if (!list) errors.push(`allow.packages[${JSON.stringify(name)}] must be an array of strings`);
        else packages[name] = list;
      }
    }
    allow = { global: global ?? [], packages };
    const { invalid } = compileAllowlist(allow);
    for (const entry of invalid) errors.push(`allow entry ${JSON.stringify(entry)} is not host[:port] or *.domain[:port]`);
  }

  const decoys = input['decoys'] ?? { values: [], files: [] };
  if (!isRecord(decoys) || !Array.isArray(decoys['values']) || !Array.isArray(decoys['files'])) errors.push('decoys must be a DecoyIndex {values, files}');
  else if (!decoys['values'].every((value: unknown) => isRecord(value) && typeof value['kind'] === 'string' && typeof value['value'] === 'string')) errors.push('decoys.values must be {kind, value, plantedAt}');
  else if (decoys['values'].length === 0) warnings.push('no decoy values: canary detection is off');

  const trustStore = input['trustStore'];
  const absolute = (value: unknown): value is string => typeof value === 'string' && value.startsWith('/') && !value.split('/').includes('..');
  if (trustStore !== undefined && (!isRecord(trustStore) || !absolute(trustStore['from']) || !absolute(trustStore['into']) || typeof trustStore['bundle'] !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(trustStore['bundle']))) {
    errors.push('trustStore must be {from: absolute path, into: absolute path, bundle: file name}');
  }

  const sinkAddress = input['sinkAddress'];
  if (typeof sinkAddress !== 'string' || ipv4Octets(sinkAddress) === null) errors.push('sinkAddress must be an IPv4 address');

  const advertisedOrigin = input['advertisedOrigin'] ?? DEFAULT_ADVERTISED_ORIGIN;
  if (!isHttpUrl(advertisedOrigin) || new URL(advertisedOrigin).pathname !== '/') errors.push('advertisedOrigin must be an http URL without a path');

  const hostsOverride = input['hostsOverride'];
  if (hostsOverride !== undefined) {
    if (!isRecord(hostsOverride) || !Object.values(hostsOverride).every((address) => typeof address === 'string')) errors.push('hostsOverride must map names to addresses');
    else warnings.push('hostsOverride is set: meant for tests only');
  }

  const limits: GatewayLimits = { ...DEFAULT_LIMITS };
  const limitsInput = input['limits'];
  if (limitsInput !== undefined) {
    if (!isRecord(limitsInput)) errors.push('limits must be an object');
    else {
      for (const key of Object.keys(DEFAULT_LIMITS) as Array<keyof GatewayLimits>) {
        const value = limitsInput[key];
        if (value === undefined) continue;
        if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) errors.push(`limits.${key} must be a non-negative number`);
        else limits[key] = value;
      }
    }
  }

  if (errors.length > 0 || socketDir === null || eventsFile === null || cacheDir === null) return { value: null, warnings, errors };
  const value: GatewayConfig = {
    socketDir,
    eventsFile,
    cacheDir,
    registries,
    strictSsl: strictSsl as boolean,
    allow,
    decoys: decoys as unknown as DecoyIndex,
    sinkAddress: sinkAddress as string,
    advertisedOrigin: (advertisedOrigin as string).replace(/\/+$/, ''),
    limits,
  };
  if (typeof ca === 'string') value.ca = ca;
  if (typeof input['proxy'] === 'string') value.proxy = input['proxy'];
  if (typeof input['httpsProxy'] === 'string') value.httpsProxy = input['httpsProxy'];
  if (typeof noproxy === 'string' && noproxy !== '') value.noproxy = noproxy;
  if (isRecord(trustStore)) value.trustStore = { from: trustStore['from'] as string, into: trustStore['into'] as string, bundle: trustStore['bundle'] as string };
  if (isRecord(hostsOverride)) value.hostsOverride = hostsOverride as Record<string, string>;
  return { value, warnings, errors };
}
