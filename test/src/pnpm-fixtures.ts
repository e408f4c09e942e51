/**
 * pnpm projects for the end-to-end tests of pnpm 10 and 11: a project depending on the P1 fixture
 * (a `file:` tarball), its lockfile written by the host's pnpm.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { projectWithPackages, repoRoot, runCli } from './engine.js';

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

/**
 * `safe-install ci` of the P1 fixture installed by pnpm (`packageManager`) and by npm: each run's
 * exit code and its serious findings. The projects' folders are added to `dirs` for cleanup.
 */
export async function p1UnderPnpmAndNpm(dirs: string[], packageManager = HOST_PNPM): Promise<Record<'pnpm' | 'npm', { exitCode: number | undefined; findings: string[] }>> {
  const viaPnpm = await pnpmProjectWithCulprit({ [CULPRIT_KEY]: true }, '', packageManager);
  const viaNpm = await projectWithPackages([CULPRIT], {}, { packagesFrom: 'examples/malicious/P1-npm-token-exfil' });
  dirs.push(viaPnpm, viaNpm);
  const results: Partial<Record<'pnpm' | 'npm', { exitCode: number | undefined; findings: string[] }>> = {};
  for (const [name, dir] of [['pnpm', viaPnpm], ['npm', viaNpm]] as const) {
    const result = await runCli(['ci', dir, '--report', join(dir, 'report.json')]);
    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as { findings: ReportFinding[] };
    results[name] = { exitCode: result.exitCode, findings: serious(report.findings) };
  }
  return results as Record<'pnpm' | 'npm', { exitCode: number | undefined; findings: string[] }>;
}

/**
 * Runs `safe-install ci` on a copy of examples/pnpm-small (already set to the pnpm wanted) and checks
 * what every pnpm version must give: a pass with no finding, both builds run and attributed, no
 * skipped build, and the workspace, core-js and the native addon working on the host. Returns the
 * report and the CLI's output for the version's own checks.
 */
export async function expectPnpmSmallInstalled(project: string, version: string, tracePath: string): Promise<{ report: Record<string, any>; all: string }> {
  const reportPath = join(project, 'report.json');
  const started = Date.now();
  const result = await runCli(['ci', project, '--report', reportPath, '--trace', tracePath]);
  process.stderr.write(`pnpm-small (pnpm ${version}): safe-install ci took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  expect(result.all).toContain('verdict: pass');
  expect(result.exitCode).toBe(0);
  const code = "console.log(require('@pnpm-small/greet')('x')); require('core-js/actual/array/at'); console.log([1, 2].at(-1)); console.log(typeof require('cpu-features')().arch)";
  const run = await execa('node', ['-e', code], { cwd: project });
  expect(run.stdout).toBe('hello, .......x\n2\nstring');
  const report = JSON.parse(await readFile(reportPath, 'utf8')) as Record<string, any>;
  expect(report['findings']).toEqual([]);
  expect(report['scripts']).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ package: { name: 'core-js', version: '3.45.1' }, lifecycle: 'postinstall', code: 0 }),
      expect.objectContaining({ package: { name: 'cpu-features', version: '0.0.10' }, lifecycle: 'install', code: 0 }),
    ]),
  );
  expect(report['scriptReview']).toEqual({ npmVersion: version, packageManager: 'pnpm', pending: [], unreviewed: [] });
  return { report, all: String(result.all ?? '') };
}
