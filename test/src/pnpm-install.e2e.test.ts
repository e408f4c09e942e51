/**
 * `safe-install install` for pnpm projects on the real engine: package.json and pnpm-lock.yaml
 * change exactly as the host's pnpm (the version the project pins) changes them on another copy,
 * and a malicious package added from a local tarball (its build allowed, so it runs) leaves the
 * project byte for byte as it was, with the violation exit code.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describeWithEngine, packCorpusFixture, repoRoot, userEnv } from './engine.js';
import { expectInstallAsHost, expectMaliciousLeavesProject } from './install-jobs.js';

/** The pnpm examples/pnpm-small pins (packageManager); the host's pnpm must be the same version. */
const PNPM_VERSION = '10.34.8';
/** The host's pnpm as a user runs it: the same environment as the CLI (userEnv, no test runner's npm_config_*). */
const hostEnv = { ...userEnv, COREPACK_ENABLE_STRICT: '0' };
const hostPnpm = (dir: string, args: string[]) => execa('pnpm', args, { cwd: dir, env: hostEnv, extendEnv: false });

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

await describeWithEngine('safe-install install with pnpm', () => {
  it(`install left-pad in examples/pnpm-small changes package.json and pnpm-lock.yaml exactly as host pnpm ${PNPM_VERSION} add left-pad does`, async () => {
    expect((await hostPnpm(repoRoot, ['--version'])).stdout.trim()).toBe(PNPM_VERSION);
    // The lockfile only on the host: no package's build runs here; the allowed builds run in the sandbox's frozen install.
    const { manifest } = await expectInstallAsHost({
      from: 'examples/pnpm-small',
      lockfile: 'pnpm-lock.yaml',
      args: ['install', 'left-pad'],
      hostChange: (host) => hostPnpm(host, ['add', 'left-pad', '--lockfile-only', '--ignore-scripts']),
      runs: { code: "console.log(require('left-pad')('x', 3)); console.log(typeof require('cpu-features')().arch)", stdout: '  x\nstring' },
      dirs,
    });
    // Exact, as on the host: pnpm-small's other dependencies are exact versions, and pnpm add follows the manifest's style.
    expect((manifest['dependencies'] as Record<string, string>)['left-pad']).toMatch(/^1\.\d+\.\d+$/);
  }, 15 * 60_000);

  it('a malicious package from ./fixture.tgz (its build allowed) leaves package.json, pnpm-lock.yaml and node_modules byte for byte unchanged, exit 1', async () => {
    const project = await mkdtemp(join(tmpdir(), 'safe-install-e2e-'));
    dirs.push(project);
    await writeFile(join(project, 'package.json'), `${JSON.stringify({ name: 'pnpm-tarball', version: '1.0.0', private: true, packageManager: `pnpm@${PNPM_VERSION}`, dependencies: { 'left-pad': '1.3.0' } }, null, 2)}\n`);
    // pnpm builds a file: package only when its lockfile key is allowed: allowed here, so its postinstall runs.
    await writeFile(join(project, 'pnpm-workspace.yaml'), 'allowBuilds:\n  "p1-npmrc-shell@file:fixture.tgz": true\n');
    await packCorpusFixture('P1-npm-token-exfil', 'p1-npmrc-shell', project, 'fixture.tgz');
    // An earlier install to keep (no scripts: nothing runs on the host).
    await hostPnpm(project, ['install', '--ignore-scripts']);
    await expectMaliciousLeavesProject(project, { finding: /p1-npmrc-shell@1\.0\.0\n\s+critical decoy-credential-read in postinstall/, minFiles: 5 });
  }, 15 * 60_000);
});
