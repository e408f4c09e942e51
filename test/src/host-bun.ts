/**
 * A Bun on the host for the Bun end-to-end tests: its platform package fetched from the registry
 * npm is configured with, no script run (as the sandbox's tools step fetches it, bun.ts).
 */
import { join } from 'node:path';
import { execa } from 'execa';

/** The Bun examples/bun-small pins (packageManager), and the fixtures' bun.lock is written with. */
export const BUN = '1.4.4';

/** Install the host Bun into `dir`; the path of its executable. */
export async function hostBun(dir: string): Promise<string> {
  await execa('npm', ['install', '--prefix', dir, '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', `@oven/bun-linux-x64-baseline@${BUN}`]);
  return join(dir, 'node_modules/@oven/bun-linux-x64-baseline/bin/bun');
}
