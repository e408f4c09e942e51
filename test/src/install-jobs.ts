/**
 * The two checks every manager's `safe-install install` end-to-end suite makes (pnpm, Yarn, Bun;
 * npm's install.e2e adds its own around the first):
 *
 * - `expectInstallAsHost`: the same change made on one copy of an example by the host's manager
 *   and on another by `safe-install install`: the CLI passes, package.json and the lockfile are
 *   byte for byte the host's, and node_modules came back with them (a program run on the host).
 * - `expectMaliciousLeavesProject`: a malicious package added from a local tarball (its build
 *   allowed, so its script runs) fails with the violation exit code, its finding printed, and the
 *   project — package.json, the lockfile, node_modules — is byte for byte as it was.
 */
import { cp, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { execa } from 'execa';
import { copyProject, runCli } from './engine.js';
import { compareTrees, describeDifferences, readTree } from './tree-compare.js';

/** package.json and `lockfile` of a project, as text. */
export async function manifestAndLockfile(dir: string, lockfile: string): Promise<{ manifest: string; lockfile: string }> {
  return { manifest: await readFile(join(dir, 'package.json'), 'utf8'), lockfile: await readFile(join(dir, lockfile), 'utf8') };
}

export interface InstallAsHost {
  /** The project: an example folder from the repository root, or an absolute path (a project the test made). */
  from: string;
  /** The manager's lockfile name. */
  lockfile: string;
  /** The CLI's arguments after `install` or `update` (`['install', 'left-pad']`). */
  args: string[];
  /** The host's manager making the same change on its copy (no script of a package runs there). */
  hostChange(dir: string): Promise<unknown>;
  /** A program run with node in the sandbox's copy afterwards, and what it must print. */
  runs?: { code: string; stdout: string };
  /** Folders to remove after the suite. */
  dirs: string[];
}

/** Returns the sandbox copy's folder and its package.json, parsed. */
export async function expectInstallAsHost(options: InstallAsHost): Promise<{ dir: string; manifest: Record<string, unknown> }> {
  const host = isAbsolute(options.from) ? await mkdtemp(join(tmpdir(), 'safe-install-e2e-')) : await copyProject(options.from);
  if (isAbsolute(options.from)) await cp(options.from, host, { recursive: true });
  const sandbox = await mkdtemp(join(tmpdir(), 'safe-install-e2e-'));
  await cp(host, sandbox, { recursive: true });
  options.dirs.push(host, sandbox);
  await options.hostChange(host);
  const started = Date.now();
  const result = await runCli([...options.args, '--dir', sandbox]);
  process.stderr.write(`${options.from}: safe-install ${options.args.join(' ')} took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  if (result.exitCode !== 0) process.stderr.write(String(result.all ?? ''));
  expect(result.all).toContain('verdict: pass');
  expect(result.exitCode).toBe(0);
  const want = await manifestAndLockfile(host, options.lockfile);
  const got = await manifestAndLockfile(sandbox, options.lockfile);
  expect(got.manifest).toBe(want.manifest);
  expect(got.lockfile).toBe(want.lockfile);
  if (options.runs) expect((await execa('node', ['-e', options.runs.code], { cwd: sandbox })).stdout).toBe(options.runs.stdout);
  return { dir: sandbox, manifest: JSON.parse(got.manifest) as Record<string, unknown> };
}

/** `safe-install install ./fixture.tgz` in `project` (installed before, the fixture packed there). */
export async function expectMaliciousLeavesProject(project: string, options: { finding: RegExp; minFiles: number }): Promise<void> {
  const before = await readTree(project);
  const result = await runCli(['install', './fixture.tgz'], { cwd: project });
  if (result.exitCode !== 1) process.stderr.write(String(result.all ?? ''));
  expect(result.all).toMatch(options.finding);
  expect(result.exitCode).toBe(1);
  const after = await readTree(project);
  expect(describeDifferences(compareTrees(before, after))).toBe('');
  expect(after.size).toBe(before.size);
  expect(before.size).toBeGreaterThan(options.minFiles);
}
