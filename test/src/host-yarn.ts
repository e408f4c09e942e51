/**
 * Yarn 4 on the host, for the tests that compare with it or need a yarn.lock: @yarnpkg/cli-dist,
 * packed from the registry npm's config names (the same package the sandbox's tools step fetches),
 * run with the host's node. Its settings point it at npm's registry and CA, and keep its global
 * folder and cache out of the user's HOME.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

/** The Yarn the examples pin (package.json packageManager). */
export const YARN = '4.18.1';

/** Yarn's entry script, unpacked into a temp prefix (`yarn.js`; the prefix is three levels up). */
export async function hostYarn(version = YARN): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'safe-install-yarn-'));
  const packed = await execa('npm', ['pack', `@yarnpkg/cli-dist@${version}`, '--pack-destination', dir], { cwd: dir });
  await execa('tar', ['-xzf', join(dir, packed.stdout.trim().split('\n').pop()!), '-C', dir]);
  return join(dir, 'package/bin/yarn.js');
}

/**
 * The environment host Yarn runs with: npm's registry and CA, telemetry off, the project's yarnPath
 * ignored, its global folder under `state` (not the user's HOME).
 */
export async function hostYarnEnv(state: string): Promise<Record<string, string>> {
  const registry = (await execa('npm', ['config', 'get', 'registry'])).stdout.trim().replace(/\/$/, '');
  const cafile = (await execa('npm', ['config', 'get', 'cafile'])).stdout.trim();
  const env: Record<string, string> = { YARN_NPM_REGISTRY_SERVER: registry, YARN_ENABLE_TELEMETRY: '0', YARN_ENABLE_GLOBAL_CACHE: '0', YARN_GLOBAL_FOLDER: join(state, 'global'), YARN_IGNORE_PATH: '1', YARN_ENABLE_PROGRESS_BARS: '0' };
  if (cafile !== '' && cafile !== 'null' && cafile !== 'undefined') env['YARN_HTTPS_CA_FILE_PATH'] = cafile;
  return env;
}

/** Writes yarn.lock only (no link step, no scripts), against the registry and CA of npm's config. */
export async function yarnLock(yarn: string, dir: string): Promise<void> {
  const state = await mkdtemp(join(tmpdir(), 'safe-install-yarn-state-'));
  const env = { ...(await hostYarnEnv(state)), YARN_CACHE_FOLDER: join(state, 'cache'), YARN_ENABLE_SCRIPTS: '0' };
  await writeFile(join(dir, 'yarn.lock'), '');
  try {
    await execa('node', [yarn, 'install', '--mode=update-lockfile'], { cwd: dir, env });
  } finally {
    await rm(state, { recursive: true, force: true });
  }
  await rm(join(dir, '.yarn'), { recursive: true, force: true });
}
