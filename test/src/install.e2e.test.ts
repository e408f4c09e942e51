/**
 * `safe-install install` / `update` on the real engine: package.json and the lockfile change
 * exactly as the host's npm changes them on another copy (resolved URLs included: the real
 * registry's), node_modules comes back with them on a pass, and a malicious package added from a
 * local tarball leaves the project byte for byte as it was, with the violation exit code.
 */
import { cp, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { copyProject, describeWithEngine, readTrace, repoRoot, runCli, userEnv } from './engine.js';
import { compareTrees, describeDifferences, readTree } from './tree-compare.js';

/** npm writes `resolved` URLs only when told to (this machine's npm config omits them): both copies are told alike. */
const WITH_RESOLVED = 'omit-lockfile-registry-resolved=false\n';
/** The host's npm as a user runs it: the same environment as the CLI (userEnv, no test runner's npm_config_*). */
const hostNpm = (dir: string, args: string[]) => execa('npm', [...args, '--no-audit', '--no-fund'], { cwd: dir, env: userEnv, extendEnv: false });
const files = async (dir: string) => ({ manifest: await readFile(join(dir, 'package.json'), 'utf8'), lockfile: await readFile(join(dir, 'package-lock.json'), 'utf8') });

/** The corpus's P1 fixture (reads ~/.npmrc and NPM_TOKEN, POSTs them to registry-stats.invalid), packed into `dir` as fixture.tgz. */
async function packFixture(dir: string): Promise<void> {
  const packed = await execa('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: join(repoRoot, 'examples/malicious/P1-npm-token-exfil/p1-npmrc-shell') });
  await rename(join(dir, packed.stdout.trim().split('\n').pop()!), join(dir, 'fixture.tgz'));
}

/** An empty project in a temp folder: package.json only, and the .npmrc given. */
async function smallProject(name: string, npmrc?: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'safe-install-e2e-'));
  await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name, version: '1.0.0', private: true }, null, 2)}\n`);
  if (npmrc !== undefined) await writeFile(join(dir, '.npmrc'), npmrc);
  return dir;
}

const dirs: string[] = [];
async function twoCopies(make: () => Promise<string>): Promise<{ host: string; sandbox: string }> {
  const host = await make();
  const sandbox = await mkdtemp(join(tmpdir(), 'safe-install-e2e-'));
  await cp(host, sandbox, { recursive: true });
  dirs.push(host, sandbox);
  return { host, sandbox };
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

await describeWithEngine('safe-install install and update', () => {
  it('install left-pad in examples/webapp changes package.json and the lockfile exactly as host npm install left-pad does', async () => {
    const { host, sandbox } = await twoCopies(async () => {
      const dir = await copyProject('examples/webapp');
      await writeFile(join(dir, '.npmrc'), WITH_RESOLVED);
      return dir;
    });
    await hostNpm(host, ['install', 'left-pad']);
    const reportPath = join(tmpdir(), `install-report-${process.pid}.json`);
    const tracePath = join(tmpdir(), `install-trace-${process.pid}.jsonl`);
    const result = await runCli(['install', 'left-pad', '--dir', sandbox, '--report', reportPath, '--trace', tracePath]);
    expect(result.all).toContain('verdict: pass');
    expect(result.exitCode).toBe(0);

    const want = await files(host);
    const got = await files(sandbox);
    expect(got.manifest).toBe(want.manifest);
    expect(got.lockfile).toBe(want.lockfile);
    // The real registry's URL, as the host writes it (the sandbox's npm knows the registry by it).
    const registry = (await execa('npm', ['config', 'get', 'registry'], { cwd: host, env: userEnv, extendEnv: false })).stdout.trim().replace(/\/?$/, '/');
    const lock = JSON.parse(got.lockfile) as { packages: Record<string, { version?: string; resolved?: string }> };
    expect(lock.packages['node_modules/left-pad']?.resolved).toBe(`${registry}left-pad/-/left-pad-${lock.packages['node_modules/left-pad']!.version}.tgz`);
    // The new package is on the host, and so is the rest of the install (esbuild's binary runs).
    expect(JSON.parse(await readFile(join(sandbox, 'node_modules/left-pad/package.json'), 'utf8'))).toMatchObject({ name: 'left-pad' });
    expect((await execa(join(sandbox, 'node_modules/.bin/esbuild'), ['--version'])).stdout).toMatch(/^0\.25\./);

    const report = JSON.parse(await readFile(reportPath, 'utf8'));
    expect(report).toMatchObject({ command: 'install', verdict: 'pass' });
    expect(report.export.projectFiles.map((file: { path: string }) => file.path).sort()).toEqual(['package-lock.json', 'package.json']);
    // The install step was attributed by the lockfile the resolve step wrote: esbuild by its lockfile entry.
    const trace = await readTrace(tracePath);
    expect(trace.filter((event) => event.type === 'script' && event.action === 'start').map((event) => [event.phase, event.package?.name])).toEqual([['install', 'esbuild']]);
    await rm(reportPath, { force: true });
    await rm(tracePath, { force: true });
  }, 15 * 60_000);

  it('a malicious package from ./fixture.tgz leaves package.json, the lockfile and node_modules byte for byte unchanged, exit 1', async () => {
    const project = await copyProject('examples/webapp');
    dirs.push(project);
    await packFixture(project);
    // An earlier install to keep: node_modules as host npm ci leaves it (no scripts: nothing runs on the host).
    await hostNpm(project, ['ci', '--ignore-scripts']);
    const before = await readTree(project);
    const result = await runCli(['install', './fixture.tgz'], { cwd: project });
    expect(result.exitCode).toBe(1);
    expect(result.all).toMatch(/p1-npmrc-shell@1\.0\.0\n\s+critical decoy-credential-read in postinstall/);
    expect(result.all).toMatch(/decoy-exfiltration/);
    const after = await readTree(project);
    expect(describeDifferences(compareTrees(before, after))).toBe('');
    expect(after.size).toBe(before.size);
    expect(before.size).toBeGreaterThan(1000);
  }, 15 * 60_000);

  it("the local tarball's package.json entry and lockfile are as host npm writes them (file:fixture.tgz; audit mode lets it through)", async () => {
    const { host, sandbox } = await twoCopies(async () => {
      const dir = await smallProject('tarball-project');
      await hostNpm(dir, ['install', '--package-lock-only']);
      await packFixture(dir);
      return dir;
    });
    // Never its script on the host: the lockfile and manifest are all this compares.
    await hostNpm(host, ['install', '--ignore-scripts', './fixture.tgz']);
    const result = await runCli(['install', './fixture.tgz', '--mode', 'audit'], { cwd: sandbox });
    expect(result.exitCode).toBe(0);
    const got = await files(sandbox);
    expect(JSON.parse(got.manifest).dependencies).toEqual({ 'p1-npmrc-shell': 'file:fixture.tgz' });
    expect(got).toEqual(await files(host));
  }, 15 * 60_000);

  it('install in a project without a lockfile writes the one host npm install writes', async () => {
    const { host, sandbox } = await twoCopies(() => smallProject('new-project', WITH_RESOLVED));
    await hostNpm(host, ['install', 'left-pad']);
    const result = await runCli(['add', 'left-pad', '--dir', sandbox]);
    expect(result.all).toContain('verdict: pass');
    expect(await files(sandbox)).toEqual(await files(host));
  }, 15 * 60_000);

  it('update moves a loose range to the newest version, as host npm update does', async () => {
    const { host, sandbox } = await twoCopies(async () => {
      const dir = await smallProject('update-project', WITH_RESOLVED);
      // `^1.2.0`, locked at 1.2.0: an older version than the range allows.
      await hostNpm(dir, ['install', '--package-lock-only', 'left-pad@1.2.0']);
      return dir;
    });
    const locked = (text: string) => (JSON.parse(text) as { packages: Record<string, { version: string }> }).packages['node_modules/left-pad']!.version;
    expect(locked((await files(sandbox)).lockfile)).toBe('1.2.0');
    await hostNpm(host, ['update']);
    const result = await runCli(['update', '--dir', sandbox]);
    expect(result.all).toContain('verdict: pass');
    expect(result.exitCode).toBe(0);
    const got = await files(sandbox);
    expect(locked(got.lockfile)).not.toBe('1.2.0');
    expect(got).toEqual(await files(host));
    expect(JSON.parse(await readFile(join(sandbox, 'node_modules/left-pad/package.json'), 'utf8')).version).toBe(locked(got.lockfile));
  }, 15 * 60_000);
});
