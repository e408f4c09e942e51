/**
 * `safe-install install` for pnpm projects on the real engine: package.json and pnpm-lock.yaml
 * change exactly as the host's pnpm (the version the project pins) changes them on another copy,
 * and a malicious package added from a local tarball (its build allowed, so it runs) leaves the
 * project byte for byte as it was, with the violation exit code.
 */
import { cp, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { copyProject, describeWithEngine, repoRoot, runCli, userEnv } from './engine.js';
import { compareTrees, describeDifferences, readTree } from './tree-compare.js';

/** The pnpm examples/pnpm-small pins (packageManager); the host's pnpm must be the same version. */
const PNPM_VERSION = '10.34.8';
/** The host's pnpm as a user runs it: the same environment as the CLI (userEnv, no test runner's npm_config_*). */
const hostEnv = { ...userEnv, COREPACK_ENABLE_STRICT: '0' };
const hostPnpm = (dir: string, args: string[]) => execa('pnpm', args, { cwd: dir, env: hostEnv, extendEnv: false });
const files = async (dir: string) => ({ manifest: await readFile(join(dir, 'package.json'), 'utf8'), lockfile: await readFile(join(dir, 'pnpm-lock.yaml'), 'utf8') });

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

await describeWithEngine('safe-install install with pnpm', () => {
  it(`install left-pad in examples/pnpm-small changes package.json and pnpm-lock.yaml exactly as host pnpm ${PNPM_VERSION} add left-pad does`, async () => {
    expect((await hostPnpm(repoRoot, ['--version'])).stdout.trim()).toBe(PNPM_VERSION);
    const host = await copyProject('examples/pnpm-small');
    const sandbox = await mkdtemp(join(tmpdir(), 'safe-install-e2e-'));
    await cp(host, sandbox, { recursive: true });
    dirs.push(host, sandbox);
    // The lockfile only on the host: no package's build runs here.
    await hostPnpm(host, ['add', 'left-pad', '--lockfile-only', '--ignore-scripts']);
    const started = Date.now();
    const result = await runCli(['install', 'left-pad', '--dir', sandbox]);
    process.stderr.write(`pnpm-small: safe-install install left-pad took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    expect(result.all).toContain('verdict: pass');
    expect(result.exitCode).toBe(0);
    const want = await files(host);
    const got = await files(sandbox);
    expect(got.manifest).toBe(want.manifest);
    expect(got.lockfile).toBe(want.lockfile);
    // Exact, as on the host: pnpm-small's other dependencies are exact versions, and pnpm add follows the manifest's style.
    expect(JSON.parse(got.manifest).dependencies['left-pad']).toMatch(/^1\.\d+\.\d+$/);
    // node_modules came back with them, and the allowed builds ran in the frozen install (not skipped as pending).
    const code = "console.log(require('left-pad')('x', 3)); console.log(typeof require('cpu-features')().arch)";
    expect((await execa('node', ['-e', code], { cwd: sandbox })).stdout).toBe('  x\nstring');
  }, 15 * 60_000);

  it('a malicious package from ./fixture.tgz (its build allowed) leaves package.json, pnpm-lock.yaml and node_modules byte for byte unchanged, exit 1', async () => {
    const project = await mkdtemp(join(tmpdir(), 'safe-install-e2e-'));
    dirs.push(project);
    await writeFile(join(project, 'package.json'), `${JSON.stringify({ name: 'pnpm-tarball', version: '1.0.0', private: true, packageManager: `pnpm@${PNPM_VERSION}`, dependencies: { 'left-pad': '1.3.0' } }, null, 2)}\n`);
    // pnpm builds a file: package only when its lockfile key is allowed: allowed here, so its postinstall runs.
    await writeFile(join(project, 'pnpm-workspace.yaml'), 'allowBuilds:\n  "p1-npmrc-shell@file:fixture.tgz": true\n');
    const packed = await execa('npm', ['pack', '--ignore-scripts', '--pack-destination', project], { cwd: join(repoRoot, 'examples/malicious/P1-npm-token-exfil/p1-npmrc-shell') });
    await rename(join(project, packed.stdout.trim().split('\n').pop()!), join(project, 'fixture.tgz'));
    // An earlier install to keep (no scripts: nothing runs on the host).
    await hostPnpm(project, ['install', '--ignore-scripts']);
    const before = await readTree(project);
    const result = await runCli(['install', './fixture.tgz'], { cwd: project });
    expect(result.all).toMatch(/p1-npmrc-shell@1\.0\.0\n\s+critical decoy-credential-read in postinstall/);
    expect(result.exitCode).toBe(1);
    const after = await readTree(project);
    expect(describeDifferences(compareTrees(before, after))).toBe('');
    expect(after.size).toBe(before.size);
    expect(before.size).toBeGreaterThan(5);
  }, 15 * 60_000);
});
