/**
 * The real registry credentials, read on the host from the npmrc files npm itself uses (project,
 * user, global), so the gateway can add them on the way out. They never enter the sandbox.
 *
 * npm keys credentials by "nerf dart" — `//host[:port]/path/:_authToken` — and picks the longest
 * one that prefixes the registry URL; so do we. `${VAR}` references are expanded from the
 * environment, as npm does.
 */
import { readFile } from 'node:fs/promises';
import { npmrcValues } from '../project/npmrc.js';

export type RegistryCredential = { type: 'bearer'; value: string } | { type: 'basic'; value: string };

/**
 * Pure: the top-level `key=value` pairs of an npmrc text, read as npm's ini parser reads them (the
 * same reader that sanitizes uploaded files), with `${VAR}` in values expanded from `env`.
 */
export function parseNpmrc(text: string, env: NodeJS.ProcessEnv = process.env): Map<string, string> {
  const values = new Map<string, string>();
  for (const [key, value] of npmrcValues(text)) {
    values.set(key, value.replace(/\$\{([A-Za-z0-9_]+)\??\}/g, (_, name: string) => env[name] ?? ''));
  }
  return values;
}

/** `https://r.example/npm/` -> `//r.example/npm/` */
export function nerfDart(url: string): string {
  const parsed = new URL(url);
  const path = parsed.pathname.endsWith('/') ? parsed.pathname : `${parsed.pathname}/`;
  return `//${parsed.host}${path}`;
}

/** Pure: the credential for `registry` from merged npmrc values (later maps win). */
export function credentialFor(registry: string, layers: ReadonlyArray<Map<string, string>>): RegistryCredential | null {
  const merged = new Map<string, string>();
  for (const layer of layers) for (const [key, value] of layer) merged.set(key, value);
  const target = nerfDart(registry);
  let best: { prefix: string; credential: RegistryCredential } | null = null;
  const consider = (prefix: string, credential: RegistryCredential) => {
    if (target.startsWith(prefix) && (!best || prefix.length > best.prefix.length)) best = { prefix, credential };
  };
  for (const [key, value] of merged) {
    if (!key.startsWith('//') || value === '') continue;
    const colon = key.lastIndexOf(':');
    const prefix = key.slice(0, colon);
    const field = key.slice(colon + 1);
    const withSlash = prefix.endsWith('/') ? prefix : `${prefix}/`;
    if (field === '_authToken') consider(withSlash, { type: 'bearer', value });
    else if (field === '_auth') consider(withSlash, { type: 'basic', value });
    else if (field === '_password') {
      const username = merged.get(`${prefix}:username`);
      if (username) consider(withSlash, { type: 'basic', value: Buffer.from(`${username}:${Buffer.from(value, 'base64').toString('utf8')}`).toString('base64') });
    }
  }
  return (best as { credential: RegistryCredential } | null)?.credential ?? null;
}

/** Read the npmrc files (missing ones are skipped) in npm's order of precedence, lowest first. */
export async function readNpmrcLayers(paths: ReadonlyArray<string | null>): Promise<Array<Map<string, string>>> {
  const layers: Array<Map<string, string>> = [];
  for (const path of paths) {
    if (!path) continue;
    const text = await readFile(path, 'utf8').catch(() => null);
    if (text !== null) layers.push(parseNpmrc(text));
  }
  return layers;
}
