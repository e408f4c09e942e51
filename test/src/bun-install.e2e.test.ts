/**
 * `safe-install install` for Bun projects on the real engine: package.json and bun.lock change
 * exactly as the host's Bun (the version the project pins, fetched as the sandbox fetches it)
 * changes them on another copy with `bun add --lockfile-only`, node_modules comes back with them
 * (the trusted builds ran in the frozen install); `update` moves a loose range as host `bun update`
 * does; and a malicious package added from a local
 * tarball (trusted, so its postinstall runs) leaves the project byte for byte as it was, exit 1.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describeWithEngine, packCorpusFixture, repoRoot, userEnv } from './engine.js';
import { BUN, hostBun } from './host-bun.js';
import { expectInstallAsHost, expectMaliciousLeavesProject, manifestAndLockfile } from './install-jobs.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

await describeWithEngine('safe-install install with Bun', () => {
  let bun = '';
  /** The host's Bun as a user runs it: the same environment as the CLI (userEnv). */
  const hostRun = (dir: string, args: string[]) => execa(bun, args, { cwd: dir, env: userEnv, extendEnv: false });
  beforeAll(async () => {
    const tools = await mkdtemp(join(tmpdir(), 'safe-install-bun-tool-'));
    dirs.push(tools);
    bun = await hostBun(tools);
  }, 5 * 60_000);

  it(`install is-number in examples/bun-small changes package.json and bun.lock exactly as host bun ${BUN} add is-number does`, async () => {
    expect((await hostRun(repoRoot, ['--version'])).stdout.trim()).toBe(BUN);
    // The lockfile only on the host: no package's script runs here; the trusted builds run in the sandbox's frozen install.
    const { manifest } = await expectInstallAsHost({
      from: 'examples/bun-small',
      lockfile: 'bun.lock',
      args: ['install', 'is-number'],
      hostChange: (host) => hostRun(host, ['add', 'is-number', '--lockfile-only', '--ignore-scripts']),
      runs: { code: "console.log(require('is-number')(5)); console.log(require('@bun-small/greet')('x')); console.log(typeof require('cpu-features')().arch)", stdout: 'true\nhello, .......x\nstring' },
      dirs,
    });
    expect((manifest['dependencies'] as Record<string, string>)['is-number']).toMatch(/^\^\d+\.\d+\.\d+$/);
  }, 15 * 60_000);

  it('update moves a loose range to the newest version, as host bun update does (package.json and bun.lock byte for byte)', async () => {
    const host = await mkdtemp(join(tmpdir(), 'safe-install-e2e-'));
    dirs.push(host);
    await writeFile(join(host, 'package.json'), `${JSON.stringify({ name: 'bun-update', version: '1.0.0', private: true, packageManager: `bun@${BUN}`, dependencies: { 'left-pad': '1.2.0' } }, null, 2)}\n`);
    await hostRun(host, ['install', '--lockfile-only', '--ignore-scripts']);
    // Locked at 1.2.0 under a range that allows newer (both files, so they stay in sync).
    for (const file of ['package.json', 'bun.lock']) await writeFile(join(host, file), (await readFile(join(host, file), 'utf8')).replace('"left-pad": "1.2.0"', '"left-pad": "^1.2.0"'));
    const { dir: sandbox } = await expectInstallAsHost({
      from: host,
      lockfile: 'bun.lock',
      args: ['update', 'left-pad'],
      hostChange: (copy) => hostRun(copy, ['update', '--lockfile-only', '--ignore-scripts', 'left-pad']),
      dirs,
    });
    const { lockfile } = await manifestAndLockfile(sandbox, 'bun.lock');
    expect(lockfile).not.toContain('left-pad@1.2.0');
    expect(JSON.parse(await readFile(join(sandbox, 'node_modules/left-pad/package.json'), 'utf8')).version).not.toBe('1.2.0');
  }, 15 * 60_000);

  it('a malicious package from ./fixture.tgz (trusted, so its postinstall runs) leaves package.json, bun.lock and node_modules byte for byte unchanged, exit 1', async () => {
    const project = await mkdtemp(join(tmpdir(), 'safe-install-e2e-'));
    dirs.push(project);
    await writeFile(join(project, 'package.json'), `${JSON.stringify({ name: 'bun-tarball', version: '1.0.0', private: true, packageManager: `bun@${BUN}`, trustedDependencies: ['p1-npmrc-shell'], dependencies: { 'left-pad': '1.3.0' } }, null, 2)}\n`);
    await packCorpusFixture('P1-npm-token-exfil', 'p1-npmrc-shell', project, 'fixture.tgz');
    // An earlier install to keep (no scripts: nothing runs on the host).
    await hostRun(project, ['install', '--ignore-scripts']);
    await expectMaliciousLeavesProject(project, { finding: /p1-npmrc-shell@\S+\n\s+critical decoy-credential-read in postinstall/, minFiles: 3 });
  }, 15 * 60_000);
});
