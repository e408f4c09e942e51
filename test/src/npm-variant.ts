/**
 * A base image whose npm is another version than the image's own, for tests of what that npm does
 * (npm 12 skips dependency scripts `allowScripts` does not list). The npm tarball is fetched once
 * with the host's npm and its configuration (registry, CA, proxy: never a hard-coded host) and
 * cached in the temp folder; the variant is the default base with that npm in place of its own.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { DEFAULT_BASE_IMAGE } from '@safe-install/sandbox';
import { cliPath } from './engine.js';

/** The npm tarball for `version`, from the cache or fetched with `npm pack`. */
async function npmTarball(version: string): Promise<string> {
  const cache = join(tmpdir(), 'safe-install-npm-cache');
  const file = join(cache, `npm-${version}.tgz`);
  if (existsSync(file)) return file;
  await mkdir(cache, { recursive: true });
  const work = await mkdtemp(join(cache, 'fetch-'));
  await execa('npm', ['pack', `npm@${version}`, '--pack-destination', work, '--silent'], { cwd: work });
  await rename(join(work, `npm-${version}.tgz`), file);
  await rm(work, { recursive: true, force: true });
  return file;
}

/**
 * Build (once: the tag says the npm version) `safe-install-base:npm-<version>` and the sandbox
 * image on top of it; returns the base to pass as `ci --base`.
 */
export async function baseWithNpm(version: string): Promise<string> {
  const tag = `${DEFAULT_BASE_IMAGE.replace(/:.*$/, '')}:npm-${version}`;
  const present = await execa('docker', ['image', 'inspect', tag], { reject: false });
  if (present.exitCode !== 0) {
    const context = await mkdtemp(join(tmpdir(), 'safe-install-npm-variant-'));
    await execa('cp', [await npmTarball(version), join(context, 'npm.tgz')]);
    await writeFile(
      join(context, 'Dockerfile'),
      [
        `FROM ${DEFAULT_BASE_IMAGE}`,
        'COPY npm.tgz /tmp/npm.tgz',
        // npm's own folder, replaced whole: /usr/local/bin/npm and npx link into it.
        'RUN set -e; dir=/usr/local/lib/node_modules/npm; rm -rf "$dir"; mkdir -p "$dir"; ' +
          'tar xzf /tmp/npm.tgz -C "$dir" --strip-components=1 --no-same-owner; rm /tmp/npm.tgz; ' +
          `test "$(npm --version 2>/dev/null)" = "${version}"`,
        '',
      ].join('\n'),
    );
    await execa('docker', ['build', '-q', '-t', tag, context]);
    await rm(context, { recursive: true, force: true });
  }
  await execa('node', [cliPath, 'image', 'build', '--base', tag]);
  return tag;
}
