/**
 * Yarn's scoped registries (`npmScopes.<scope>.npmRegistryServer` in .yarnrc.yml) and their
 * credentials (`npmAuthToken`, `npmAuthIdent`, in the scope or in `npmRegistries["//host/path"]`),
 * routed as npm's scoped registries are: the registry joins the gateway's table (the sandbox knows
 * it by its own URL, the proxy sends it to the gateway), and its credential is added by the gateway
 * on the way out. The credential never enters the sandbox: the uploaded .yarnrc.yml is rewritten
 * without any credential field, with the user's scopes (~/.yarnrc.yml, which the sandbox has not)
 * merged under the project's, as Yarn merges them.
 *
 * Both files are untrusted input: the project's comes with the repository, and a value that is not
 * what Yarn would take (a scope that is no npm scope name, a server that is not a plain http(s)
 * URL, a credential with a line break) refuses the run rather than being guessed at.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { SafeInstallError } from '@safe-install/schema';
import { nerfDart, type ProjectFile } from '@safe-install/sandbox';

/** Most scopes taken from one file (far above any real configuration). */
const MAX_SCOPES = 256;
const MAX_URL = 2048;
const MAX_CREDENTIAL = 8192;
/** An npm scope name without its `@`, as Yarn's npmScopes keys are. */
const SCOPE_NAME = /^[a-z0-9][a-z0-9._~-]{0,213}$/i;
/** Settings that carry or force a credential: never uploaded. */
const CREDENTIAL_KEYS = ['npmAuthToken', 'npmAuthIdent', 'npmAlwaysAuth'] as const;

export interface YarnScope {
  /** The registry's URL, as the file names it. */
  server: string;
  /** npm-style credential lines for the gateway (`//host/path/:_authToken`), empty when none. */
  credentials: Map<string, string>;
}

const invalid = (file: string, why: string) =>
  new SafeInstallError('PROJECT_CONFIG_INVALID', 'usage', `${file} ${why}`, { hint: `fix ${file}: npmScopes maps a scope name (without @) to { npmRegistryServer, npmAuthToken }` });

const isMapping = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Yarn's `${NAME}`, `${NAME:-fallback}` and `${NAME-fallback}` in a setting, from `env`. A name
 * with neither a value nor a fallback is an error in Yarn too.
 */
export function interpolateYarnValue(value: string, env: NodeJS.ProcessEnv, file: string, key: string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}/g, (_, name: string, operator: string | undefined, fallback: string | undefined) => {
    const set = env[name];
    if (set !== undefined && (operator !== ':-' || set !== '')) return set;
    if (operator !== undefined) return fallback ?? '';
    throw invalid(file, `${key} names the environment variable ${name}, which is not set`);
  });
}

/** A setting's text: a string, or a number YAML read as one; anything else is refused. */
function settingText(value: unknown, file: string, key: string, max: number, env: NodeJS.ProcessEnv): string {
  if (typeof value !== 'string' && typeof value !== 'number') throw invalid(file, `${key} is not a string`);
  const text = interpolateYarnValue(String(value), env, file, key);
  if (text.length > max) throw invalid(file, `${key} is longer than ${max} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) throw invalid(file, `${key} holds a control character`);
  return text;
}

/** A registry server: a plain http(s) URL with no user, password, query or fragment. */
function serverUrl(value: unknown, file: string, key: string, env: NodeJS.ProcessEnv): string {
  const text = settingText(value, file, key, MAX_URL, env);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(file, `${key} ${JSON.stringify(text.slice(0, 80))} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid(file, `${key} ${JSON.stringify(text.slice(0, 80))} is not an http(s) URL`);
  if (url.username !== '' || url.password !== '') throw invalid(file, `${key} carries a user or password in its URL (use npmAuthIdent or npmAuthToken)`);
  if (url.search !== '' || url.hash !== '') throw invalid(file, `${key} ${JSON.stringify(text.slice(0, 80))} has a query or a fragment`);
  return text;
}

/** npm-style credential lines for `server` from a mapping holding npmAuthToken / npmAuthIdent. */
function credentialLines(server: string, entry: Record<string, unknown>, file: string, where: string, env: NodeJS.ProcessEnv): Map<string, string> {
  const lines = new Map<string, string>();
  const dart = nerfDart(server);
  if (entry['npmAuthToken'] !== undefined && entry['npmAuthToken'] !== null) lines.set(`${dart}:_authToken`, settingText(entry['npmAuthToken'], file, `${where}.npmAuthToken`, MAX_CREDENTIAL, env));
  if (entry['npmAuthIdent'] !== undefined && entry['npmAuthIdent'] !== null) {
    const ident = settingText(entry['npmAuthIdent'], file, `${where}.npmAuthIdent`, MAX_CREDENTIAL, env);
    // Yarn takes `user:password` as is and anything else as already base64.
    lines.set(`${dart}:_auth`, ident.includes(':') ? Buffer.from(ident).toString('base64') : ident);
  }
  return lines;
}

/** The scopes of one .yarnrc.yml (already parsed), each with its server and credential lines. */
export function yarnScopesOf(yarnrc: Record<string, unknown>, file: string, env: NodeJS.ProcessEnv = process.env): Map<string, YarnScope> {
  const scopes = new Map<string, YarnScope>();
  const field = yarnrc['npmScopes'];
  if (field === undefined || field === null) return scopes;
  if (!isMapping(field)) throw invalid(file, 'npmScopes is not a mapping');
  const names = Object.keys(field);
  if (names.length > MAX_SCOPES) throw invalid(file, `npmScopes has more than ${MAX_SCOPES} scopes`);
  // Credentials by registry (Yarn's npmRegistries), for scopes whose own entry has none.
  const registries = yarnrc['npmRegistries'];
  if (registries !== undefined && registries !== null && !isMapping(registries)) throw invalid(file, 'npmRegistries is not a mapping');
  for (const name of names) {
    if (!SCOPE_NAME.test(name)) throw invalid(file, `npmScopes has the key ${JSON.stringify(name.slice(0, 80))}, which is no scope name (a scope without its @)`);
    const entry = field[name];
    if (!isMapping(entry)) throw invalid(file, `npmScopes.${name} is not a mapping`);
    if (entry['npmRegistryServer'] === undefined || entry['npmRegistryServer'] === null) continue;
    const server = serverUrl(entry['npmRegistryServer'], file, `npmScopes.${name}.npmRegistryServer`, env);
    let credentials = credentialLines(server, entry, file, `npmScopes.${name}`, env);
    if (credentials.size === 0 && isMapping(registries)) {
      const dart = nerfDart(server).replace(/\/$/, '');
      for (const [key, value] of Object.entries(registries)) {
        if (!isMapping(value)) continue;
        // Yarn keys npmRegistries by the server, with or without its scheme and trailing slash.
        const normal = key.replace(/^https?:/, '').replace(/\/$/, '');
        if (normal === dart) credentials = credentialLines(server, value, file, `npmRegistries[${JSON.stringify(key.slice(0, 80))}]`, env);
      }
    }
    scopes.set(`@${name}`, { server, credentials });
  }
  return scopes;
}

/** The user's (~/.yarnrc.yml) and the project's scopes, the project's winning, as Yarn merges them. */
export function mergedYarnScopes(layers: ReadonlyArray<Map<string, YarnScope>>): Map<string, YarnScope> {
  const merged = new Map<string, YarnScope>();
  for (const layer of layers) for (const [scope, value] of layer) merged.set(scope, value);
  return merged;
}

/** Yarn's home folder (os.homedir(), which reads HOME first on POSIX; read here from this process's environment). */
export const userHome = (): string => process.env['HOME'] || homedir();

/** A .yarnrc.yml (the user's by default) as a project file, for yarnrcOf (bounded, strict YAML); null when there is none. */
export async function readYarnrcFile(dir: string = userHome()): Promise<ProjectFile | null> {
  const content = await readFile(join(dir, '.yarnrc.yml')).catch(() => null);
  return content === null ? null : { path: '.yarnrc.yml', content, mode: 0o644 };
}

/**
 * The .yarnrc.yml the sandbox gets: the project's settings without a credential anywhere (the
 * top level, each scope, each npmRegistries entry), and npmScopes holding the user's scopes under
 * the project's, servers only. Other settings are the project's, as Yarn reads them.
 */
export function sandboxYarnrc(project: Record<string, unknown>, scopes: ReadonlyMap<string, YarnScope>): string {
  const out: Record<string, unknown> = { ...project };
  for (const key of CREDENTIAL_KEYS) delete out[key];
  delete out['npmRegistries'];
  delete out['npmScopes'];
  if (scopes.size > 0) {
    const npmScopes: Record<string, unknown> = {};
    for (const [scope, { server }] of scopes) {
      const entry: Record<string, unknown> = { npmRegistryServer: server };
      npmScopes[scope.slice(1)] = entry;
    }
    out['npmScopes'] = npmScopes;
  }
  return Object.keys(out).length === 0 ? '' : stringify(out);
}

/** The project's files with its .yarnrc.yml replaced by the sandbox's (when it has one, or the user has scopes). */
export function withSandboxYarnrc(files: readonly ProjectFile[], content: string): ProjectFile[] {
  const rest = files.filter((file) => file.path !== '.yarnrc.yml');
  return content === '' ? rest : [...rest, { path: '.yarnrc.yml', content: Buffer.from(content), mode: 0o644 }];
}
