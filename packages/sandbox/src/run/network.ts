/**
 * How the sandbox's npm reaches registries: every registry (default and per scope) is known in the
 * sandbox by its own URL — scheme, host and path as the user's npm config names it — reached
 * through the proxy (CONNECT for https; or DNS and the sink) and routed by the gateway to its
 * registry proxy (a path prefix there), which forwards to the real one with the real credentials.
 * For an https registry the gateway ends the TLS with a per-run CA that the sandbox's trust store
 * holds (see the gateway's registry-tls.ts). One function builds both sides, so npm's view and the
 * gateway's table cannot disagree.
 */
import { join } from 'node:path';
import type { EgressAllowConfig, RegistryUpstreamConfig } from '@safe-install/gateway';
import type { GatewaySettings } from '../docker/gateway-container.js';
import { GATEWAY_PATHS, SANDBOX_NETWORK } from '../layout.js';
import type { HostNpmConfig } from '../host/npm-config.js';
import { credentialFor, readNpmrcLayers } from '../host/registry-auth.js';

/** The forwarder's HTTP proxy address inside the sandbox. */
export const PROXY_ORIGIN = SANDBOX_NETWORK.proxyOrigin;

export interface RegistryRouting {
  registries: RegistryUpstreamConfig[];
  /** Lines for the install user's ~/.npmrc: every registry, pointed at the gateway. */
  npmrc: string[];
  /** `npm_config_*` and proxy variables for the sandbox. */
  env: string[];
}

/**
 * The URL the sandbox knows a registry by: the user's own, scheme, host and path (with a trailing
 * `/`). A script that reads npm's config sees the registry a CI job would have — not the proxy's
 * loopback address, not `http:` for an https registry — and the proxy routes requests for it to
 * the gateway's registry proxy, which adds the credentials and refuses the registry's API.
 */
export function advertisedRegistryUrl(upstream: string): string {
  const url = new URL(upstream);
  const path = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  // URL drops a scheme's default port itself (`https://x:443/` is `https://x/`).
  return `${url.protocol}//${url.host}${path}`;
}

/** The image's system CA bundle, where the gateway's trust store puts the run's CA (Debian's path). */
export const SYSTEM_CA_BUNDLE = `${GATEWAY_PATHS.trustStore}/${GATEWAY_PATHS.trustBundle}`;

export function routeRegistries(config: HostNpmConfig, npmrcLayers: ReadonlyArray<Map<string, string>>): RegistryRouting {
  const upstreams = [config.registry, ...Object.values(config.scopedRegistries)];
  const registries = upstreams.map((upstream, index): RegistryUpstreamConfig => {
    const auth = credentialFor(upstream, npmrcLayers);
    return { prefix: `/r/${index}/`, upstream, advertised: advertisedRegistryUrl(upstream), ...(auth ? { auth } : {}) };
  });
  // In the user's npmrc rather than the environment: npm ignores `npm_config_@scope:registry`.
  const npmrc = [
    `registry=${registries[0]!.advertised}`,
    ...Object.keys(config.scopedRegistries).map((scope, index) => `${scope}:registry=${registries[index + 1]!.advertised}`),
  ];
  const env = [
    // Lockfile URLs name the real registry; npm must still fetch through the gateway. Not `always`:
    // that also rewrites `file:` tarball paths. (Lockfile URLs of a scoped registry on another
    // host are not rewritten by npm; those installs need the lockfile without resolved URLs.)
    `npm_config_replace_registry_host=${new URL(config.registry).hostname}`,
    // Everything else that honours a proxy goes through the gateway's egress proxy too.
    ...['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy'].map((name) => `${name}=${PROXY_ORIGIN}`),
    'NO_PROXY=127.0.0.1,localhost',
    'no_proxy=127.0.0.1,localhost',
    // Node (npm, and every script's node) has its own compiled-in roots and reads no system store;
    // pointed at the system bundle, as machines behind an organisation's TLS proxy commonly do, it
    // trusts the run's CA there too. curl, git and OpenSSL read that bundle themselves.
    ...(registries.some((registry) => registry.advertised?.startsWith('https:')) ? [`NODE_EXTRA_CA_CERTS=${SYSTEM_CA_BUNDLE}`] : []),
  ];
  return { registries, npmrc, env };
}

/**
 * Everything the gateway needs for one run (but the run's decoys, which the caller adds), and the
 * sandbox's npmrc lines and environment that point the install at it.
 */
export async function gatewayNetwork(
  config: HostNpmConfig,
  options: { projectRoot: string | null; allow?: EgressAllowConfig; credentials?: ReadonlyArray<Map<string, string>> },
): Promise<{ gateway: Omit<GatewaySettings, 'decoys'>; npmrc: string[]; env: string[] }> {
  // npm's precedence, lowest first: global, user, project; then another manager's own (Yarn's
  // .yarnrc.yml credentials, as npmrc lines), which that manager uses.
  const layers = [...(await readNpmrcLayers([...config.npmrcFiles, options.projectRoot ? join(options.projectRoot, '.npmrc') : null])), ...(options.credentials ?? [])];
  const routing = routeRegistries(config, layers);
  const gateway: Omit<GatewaySettings, 'decoys'> = {
    registries: routing.registries,
    strictSsl: config.strictSsl,
    ...(config.ca ? { ca: config.ca.toString('utf8') } : {}),
    ...(config.proxy ? { proxy: config.proxy } : {}),
    ...(config.httpsProxy ? { httpsProxy: config.httpsProxy } : {}),
    ...(config.noproxy ? { noproxy: config.noproxy } : {}),
    allow: options.allow ?? { global: [], packages: {} },
  };
  return { gateway, npmrc: routing.npmrc, env: routing.env };
}
