/**
 * pnpm projects for the end-to-end tests of pnpm 10 and 11: a project depending on the P1 fixture
 * (a `file:` tarball), its lockfile written by the host's pnpm.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { repoRoot } from './engine.js';

/** The P1 fixture (reads ~/.npmrc, sends the token away): its package folder's name. */
export const CULPRIT = 'p1-npmrc-node';
/** A file: package is allowed by its lockfile key (as `pnpm approve-builds` writes it), never by its bare name. */
export const CULPRIT_KEY = `${CULPRIT}@file:${CULPRIT}-1.0.0.tgz`;
/** The host's pnpm: it writes the lockfiles (v9 for pnpm 10 and 11 alike). */
export const HOST_PNPM = 'pnpm@10.34.8';

export interface ReportFinding {
  ruleId: string;
  severity: string;
  package?: { name: string; version: string };
  lifecycle?: string;
}

/**
 * A pnpm project depending on the package in `fixture` (its folder name is the package's name) as
 * a packed tarball, `allowBuilds` and `settings` in its pnpm-workspace.yaml. The host's pnpm 10
 * writes the lockfile; `packageManager` is then set to the pnpm the sandbox runs (pnpm 11 reads the
 * same lockfile v9; the host's pnpm would try to switch to a packageManager of another major).
 */
export async function pnpmProjectWithTarball(fixture: string, allowBuilds: Record<string, boolean>, settings = '', packageManager = HOST_PNPM): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'safe-install-pnpm-'));
  const source = await mkdtemp(join(tmpdir(), 'safe-install-fixture-'));
  await cp(fixture, source, { recursive: true });
  const packed = await execa('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: source });
  const { name } = JSON.parse(await readFile(join(source, 'package.json'), 'utf8')) as { name: string };
  await rm(source, { recursive: true, force: true });
  const tarball = packed.stdout.trim().split('\n').pop()!;
  const manifest = (pm: string) => JSON.stringify({ name: 'fixture-project', version: '1.0.0', private: true, packageManager: pm, dependencies: { [name]: `file:${tarball}` } }, null, 2);
  await writeFile(join(dir, 'package.json'), manifest(HOST_PNPM));
  await writeFile(join(dir, 'pnpm-workspace.yaml'), `allowBuilds:\n${Object.entries(allowBuilds).map(([key, allow]) => `  ${JSON.stringify(key)}: ${allow}`).join('\n')}\n${settings}`);
  await execa('pnpm', ['install', '--lockfile-only', '--ignore-scripts'], { cwd: dir, env: { COREPACK_ENABLE_STRICT: '0' } });
  if (packageManager !== HOST_PNPM) await writeFile(join(dir, 'package.json'), manifest(packageManager));
  return dir;
}

/** A pnpm project depending on the P1 fixture (see pnpmProjectWithTarball). */
export function pnpmProjectWithCulprit(allowBuilds: Record<string, boolean>, settings = '', packageManager = HOST_PNPM): Promise<string> {
  return pnpmProjectWithTarball(join(repoRoot, 'examples/malicious/P1-npm-token-exfil', CULPRIT), allowBuilds, settings, packageManager);
}

/** A copy of a project with its packageManager field set to `packageManager`. */
export async function withPackageManager(dir: string, packageManager: string): Promise<void> {
  const path = join(dir, 'package.json');
  const manifest = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  await writeFile(path, `${JSON.stringify({ ...manifest, packageManager }, null, 2)}\n`);
}

/** The high and critical findings, as `rule package@version lifecycle`, sorted. */
export const serious = (findings: ReportFinding[]): string[] =>
  findings
    .filter((finding) => finding.severity === 'high' || finding.severity === 'critical')
    .map((finding) => `${finding.ruleId} ${finding.package?.name}@${finding.package?.version} ${finding.lifecycle}`)
    .sort();
