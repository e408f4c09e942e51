/**
 * How the sandbox's npm reaches registries: every registry (default and per scope) becomes a path
 * prefix on the gateway's proxy address, which forwards to the real one with the real credentials.
 * One function builds both sides, so npm's view and the gateway's table cannot disagree.
 */
import { join } from 'node:path';
import type { EgressAllowConfig, RegistryUpstreamConfig } from '@safe-install/gateway';
import type { GatewaySettings } from '../docker/gateway-container.js';
import type { HostNpmConfig } from '../host/npm-config.js';
import { credentialFor, readNpmrcLayers } from '../host/registry-auth.js';

/** The forwarder's HTTP proxy address inside the sandbox. */
export const PROXY_ORIGIN = 'http://127.0.0.1:3128';

export interface RegistryRouting {
  registries: RegistryUpstreamConfig[];
  /** Lines for the install user's ~/.npmrc: every registry, pointed at the gateway. */
  npmrc: string[];
  /** `npm_config_*` and proxy variables for the sandbox. */
  env: string[];
}

export function routeRegistries(config: HostNpmConfig, npmrcLayers: ReadonlyArray<Map<string, string>>): RegistryRouting {
  const upstreams = [config.registry, ...Object.values(config.scopedRegistries)];
  const registries = upstreams.map((upstream, index): RegistryUpstreamConfig => {
    const auth = credentialFor(upstream, npmrcLayers);
    return { prefix: `/r/${index}/`, upstream, ...(auth ? { auth } : {}) };
  });
  // In the user's npmrc rather than the environment: npm ignores `npm_config_@scope:registry`.
  const npmrc = [
    `registry=${PROXY_ORIGIN}/r/0/`,
    ...Object.keys(config.scopedRegistries).map((scope, index) => `${scope}:registry=${PROXY_ORIGIN}/r/${index + 1}/`),
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
  ];
  return { registries, npmrc, env };
}

/**
 * Everything the gateway needs for one run (but the run's decoys, which the caller adds), and the
 * sandbox's npmrc lines and environment that point the install at it.
 */
export async function gatewayNetwork(
  config: HostNpmConfig,
  options: { projectRoot: string | null; allow?: EgressAllowConfig },
): Promise<{ gateway: Omit<GatewaySettings, 'decoys'>; npmrc: string[]; env: string[] }> {
  // npm's precedence, lowest first: global, user, project.
  const layers = await readNpmrcLayers([...config.npmrcFiles, options.projectRoot ? join(options.projectRoot, '.npmrc') : null]);
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
