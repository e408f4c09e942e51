/**
 * The host's npm settings that decide where and how packages are fetched. They are read from npm
 * itself (`npm config list --json` in the project folder, so user, global and project .npmrc files
 * all apply) — never guessed, never hard-coded.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { SafeInstallError } from '@safe-install/schema';

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
}

const run = promisify(execFile);

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Pure: pick what matters out of `npm config list --json`. */
export function pickNpmConfig(config: Record<string, unknown>): Omit<HostNpmConfig, 'ca'> {
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
  };
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
  const picked = pickNpmConfig(JSON.parse(raw) as Record<string, unknown>);
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
