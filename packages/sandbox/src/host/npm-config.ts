/**
 * The host's npm settings that decide where and how packages are fetched. They are read from npm
 * itself (`npm config list --json` in the project folder, so user, global and project .npmrc files
 * all apply) — never guessed, never hard-coded.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { SafeInstallError } from '@safe-install/schema';
import { SANDBOX_DECIDES, canonicalKey } from '../project/npmrc.js';
import { readNpmrcLayers } from './registry-auth.js';

export interface HostNpmConfig {
  registry: string;
  /** Registries per scope, `@scope` -> URL. */
  scopedRegistries: Record<string, string>;
  /** Contents of the CA bundle npm uses, when one is configured. */
  ca: Buffer | null;
  cafile: string | null;
  proxy: string | null;
  httpsProxy: string | null;
  noproxy: string | null;
  strictSsl: boolean;
  /** The npmrc files npm reads, lowest precedence first (for the gateway's credentials). */
  npmrcFiles: string[];
  /**
   * The host's settings that change what npm installs, as npmrc lines for the sandbox's user
   * config (see carriedSettings).
   */
  installSettings: string[];
  /**
   * The same for settings the host set in its environment, as `npm_config_*` variables for the
   * sandbox: there, as on the host, they outrank the project's .npmrc (see carriedEnvironment).
   */
  installEnv: string[];
}

const run = promisify(execFile);

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * Settings of the host's that the sandbox does not carry, beyond the ones it removes from project
 * files (SANDBOX_DECIDES): how npm fetches (the gateway fetches, the cache starts empty) and how it
 * prints (the sandbox reads npm's output). Everything else the host set is carried: it changes what
 * npm installs (peer resolution, strategy, omit/include, install-links, lockfile shape, umask…).
 */
const NOT_CARRIED = new Set([
  ...Object.values(SANDBOX_DECIDES).flat(),
  'fetch-retries', 'fetch-retry-factor', 'fetch-retry-maxtimeout', 'fetch-retry-mintimeout', 'fetch-timeout', 'maxsockets',
  'offline', 'prefer-offline', 'prefer-online', 'cache-max', 'cache-min', 'cert', 'key', 'cidr',
  'audit', 'audit-level', 'fund', 'update-notifier', 'json', 'parseable', 'long', 'color', 'unicode', 'progress', 'loglevel',
  'heading', 'timing', 'usage', 'logs-max', 'yes', 'npm-version', 'user-agent', 'otp', 'auth-type',
]);

/** A key that may be a secret whatever npm calls it (unknown keys are passed on to scripts). */
const SECRET_LIKE = /token|secret|passw|auth|credential|cookie|session|private|api[-_]?key|email|username/i;

/** ini's `safe`: quote what ini would otherwise read differently, escape comment characters. */
function iniValue(value: string): string {
  if (/[=\r\n]/.test(value) || value.startsWith('[') || (value.length > 1 && /^(".*"|'.*')$/s.test(value)) || value !== value.trim()) return JSON.stringify(value);
  return value.replace(/;/g, '\\;').replace(/#/g, '\\#');
}

/**
 * Pure: npmrc lines for the settings the host set explicitly (`explicit`: keys of its global and
 * user npmrc files and of its `npm_config_*` environment), with npm's effective values (`config`,
 * from `npm config list --json`). A key the project's own .npmrc also sets has the project's value
 * there, as in the sandbox, where the project file (sanitized) outranks this user config.
 */
export function carriedSettings(config: Record<string, unknown>, explicit: Iterable<string>): string[] {
  const lines: string[] = [];
  for (const [key, value] of carriedValues(config, explicit)) {
    if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'string' && item !== '') lines.push(`${key}[]=${iniValue(item)}`);
    } else lines.push(`${key}=${typeof value === 'string' ? iniValue(value) : String(value)}`);
  }
  return lines;
}

/**
 * Pure: `npm_config_*` variables for the settings the host set in its environment (`envKeys`, from
 * npmEnvKeys), with npm's effective values. npm ranks its environment above the project's .npmrc,
 * so in the sandbox these go in the environment too, not the user npmrc the project file outranks.
 * A list of several values (`omit`) and a null have no environment form: they stay npmrc lines.
 */
export function carriedEnvironment(config: Record<string, unknown>, envKeys: Iterable<string>): string[] {
  const vars: string[] = [];
  for (const [key, value] of carriedValues(config, envKeys)) {
    if (value === null || (Array.isArray(value) && value.length !== 1)) continue;
    const text = String(Array.isArray(value) ? value[0] : value);
    // One line, no NUL: a variable a shell and Docker pass on unchanged.
    if (/[\0\r\n]/.test(text)) continue;
    vars.push(`npm_config_${key.replace(/-/g, '_')}=${text}`);
  }
  return vars;
}

/** The explicit keys that are carried at all, with npm's effective values (strings, lists of strings, scalars). */
function* carriedValues(config: Record<string, unknown>, explicit: Iterable<string>): Generator<[string, string | boolean | number | null | unknown[]]> {
  for (const key of new Set(explicit)) {
    // Scoped and nerf-darted keys are registries and credentials; `_` keys are npm's private ones.
    if (!/^[a-z0-9][a-z0-9._-]*$/i.test(key) || key.length > 100 || NOT_CARRIED.has(canonicalKey(key)) || SECRET_LIKE.test(key)) continue;
    if (!Object.hasOwn(config, key)) continue;
    const value = config[key];
    if (Array.isArray(value) || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number' || value === null) yield [key, value];
  }
}

/** The keys an environment sets for npm, as npm reads them (its loadEnv). */
export function npmEnvKeys(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([name, value]) => /^npm_config_/i.test(name) && value !== '' && value !== undefined)
    .map(([name]) => {
      const key = name.slice('npm_config_'.length);
      return key.startsWith('//') ? key : key.replace(/(?!^)_/g, '-').toLowerCase();
    });
}

/** Pure: pick what matters out of `npm config list --json`. */
export function pickNpmConfig(config: Record<string, unknown>, explicitKeys: Iterable<string> = [], envKeys: Iterable<string> = []): Omit<HostNpmConfig, 'ca'> {
  const registry = stringOrNull(config['registry']);
  if (registry === null) throw new SafeInstallError('NPM_CONFIG_INVALID', 'usage', 'npm has no registry configured');
  const scopedRegistries: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    const match = /^(@[^:/]+):registry$/.exec(key);
    const url = stringOrNull(value);
    if (match?.[1] && url) scopedRegistries[match[1]] = url;
  }
  const noproxy = config['noproxy'];
  return {
    registry,
    scopedRegistries,
    cafile: stringOrNull(config['cafile']),
    proxy: stringOrNull(config['proxy']),
    httpsProxy: stringOrNull(config['https-proxy']),
    noproxy: Array.isArray(noproxy) ? noproxy.filter((item) => typeof item === 'string' && item).join(',') || null : stringOrNull(noproxy),
    strictSsl: config['strict-ssl'] !== false,
    npmrcFiles: ['globalconfig', 'userconfig'].map((key) => stringOrNull(config[key])).filter((path): path is string => path !== null),
    ...carriedSplit(config, explicitKeys, envKeys),
  };
}

/**
 * A key the host's environment sets goes into the sandbox's environment (its rank there is the
 * host's); a list of several values cannot, and stays an npmrc line like a file's keys.
 */
function carriedSplit(config: Record<string, unknown>, fileKeys: Iterable<string>, envKeys: Iterable<string>): Pick<HostNpmConfig, 'installSettings' | 'installEnv'> {
  const installEnv = carriedEnvironment(config, envKeys);
  const inEnv = new Set(installEnv.map((line) => line.slice('npm_config_'.length, line.indexOf('=')).replace(/_/g, '-')));
  const fileOnly = [...fileKeys, ...envKeys].filter((key) => !inEnv.has(key));
  return { installSettings: carriedSettings(config, fileOnly), installEnv };
}

export async function readHostNpmConfig(projectDir: string): Promise<HostNpmConfig> {
  let raw: string;
  try {
    ({ stdout: raw } = await run('npm', ['config', 'list', '--json'], { cwd: projectDir, maxBuffer: 16 * 1024 * 1024 }));
  } catch (error) {
    throw new SafeInstallError('NPM_CONFIG_UNREADABLE', 'usage', `could not read npm's configuration: ${(error as Error).message.split('\n')[0]}`, {
      hint: 'is npm installed and on PATH?',
      cause: error,
    });
  }
  const config = JSON.parse(raw) as Record<string, unknown>;
  // What the host set on purpose: its global and user files, and its environment (the project's
  // file goes into the sandbox itself).
  const files = ['globalconfig', 'userconfig'].map((key) => stringOrNull(config[key]));
  const layers = await readNpmrcLayers(files);
  const picked = pickNpmConfig(config, layers.flatMap((layer) => [...layer.keys()]), npmEnvKeys(process.env));
  let ca: Buffer | null = null;
  if (picked.cafile) {
    try {
      ca = await readFile(picked.cafile);
    } catch (error) {
      throw new SafeInstallError('NPM_CAFILE_UNREADABLE', 'usage', `npm's cafile ${picked.cafile} cannot be read: ${(error as Error).message}`);
    }
  }
  return { ...picked, ca };
}
