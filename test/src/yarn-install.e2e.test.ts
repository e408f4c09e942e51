/**
 * `safe-install install` for Yarn projects on the real engine. Yarn Berry: package.json and
 * yarn.lock change exactly as the host's Yarn 4 (`yarn add --mode=update-lockfile`, the version the
 * project pins, from the registry npm's config names) changes them on another copy; Yarn classic
 * likewise against the host's Yarn 1 (`yarn add --ignore-scripts`). And a malicious package added
 * from a local tarball (its build allowed, so it runs) leaves the project byte for byte as it was,
 * with the violation exit code.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describeWithEngine, packCorpusFixture, userEnv } from './engine.js';
import { expectInstallAsHost, expectMaliciousLeavesProject } from './install-jobs.js';

const BERRY = '4.18.1';
const CLASSIC = '1.22.22';
const FIXTURE = 'p1-npmrc-shell';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** A Yarn for the host, packed from the registry npm's config names (`@yarnpkg/cli-dist`, `yarn`), run with the host's node. */
async function hostYarn(spec: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'safe-install-yarn-'));
  dirs.push(dir);
  const packed = await execa('npm', ['pack', spec, '--pack-destination', dir], { cwd: dir, env: userEnv, extendEnv: false });
  await execa('tar', ['-xzf', join(dir, packed.stdout.trim().split('\n').pop()!), '-C', dir]);
  return join(dir, 'package/bin/yarn.js');
}

const registry = async () => (await execa('npm', ['config', 'get', 'registry'], { env: userEnv, extendEnv: false })).stdout.trim();

/** Yarn 4 on the host as a user runs it, against npm's registry and CA, its cache and state outside the project, no build. */
async function berryEnv(): Promise<Record<string, string>> {
  const home = await mkdtemp(join(tmpdir(), 'safe-install-yarn-home-'));
  dirs.push(home);
  const cafile = (await execa('npm', ['config', 'get', 'cafile'], { env: userEnv, extendEnv: false })).stdout.trim();
  return {
    ...userEnv,
    YARN_NPM_REGISTRY_SERVER: (await registry()).replace(/\/$/, ''),
    YARN_ENABLE_TELEMETRY: '0',
    YARN_ENABLE_GLOBAL_CACHE: '0',
    YARN_CACHE_FOLDER: join(home, 'cache'),
    YARN_INSTALL_STATE_PATH: join(home, 'install-state.gz'),
    YARN_ENABLE_SCRIPTS: '0',
    YARN_IGNORE_PATH: '1',
    ...(cafile !== '' && cafile !== 'null' && cafile !== 'undefined' ? { YARN_HTTPS_CA_FILE_PATH: cafile } : {}),
  };
}

/**
 * Yarn 1 on the host, its `registry` setting npm's (YARN_REGISTRY), as the sandbox's Yarn 1 has it:
 * unset, Yarn 1 writes its own default registry's host into yarn.lock for npm's, which the sandbox
 * does not reach. Its cache in a temp HOME, no update check.
 */
async function classicArgs(): Promise<{ env: Record<string, string>; flags: string[] }> {
  const home = await mkdtemp(join(tmpdir(), 'safe-install-yarn-home-'));
  dirs.push(home);
  return { env: { ...userEnv, HOME: home, YARN_REGISTRY: await registry(), YARN_DISABLE_SELF_UPDATE_CHECK: 'true', YARN_ENABLE_TELEMETRY: '0' }, flags: ['--non-interactive', '--cache-folder', join(home, 'cache')] };
}

/** The malicious fixture packed into `project` as fixture.tgz. */
const packFixture = (project: string) => packCorpusFixture('P1-npm-token-exfil', FIXTURE, project, 'fixture.tgz');

/** The malicious fixture's install leaves the project as it was. */
const expectUnchanged = (project: string) => expectMaliciousLeavesProject(project, { finding: new RegExp(`${FIXTURE}@1\\.0\\.0\\n\\s+critical decoy-credential-read`), minFiles: 5 });

/**
 * `safe-install install left-pad` on one copy of `example`, `hostAdd` (the host's Yarn) on another:
 * the same package.json and yarn.lock, and cpu-features built in the install from the new lockfile.
 */
async function expectSameAsHost(example: string, hostAdd: (dir: string) => Promise<unknown>): Promise<Record<string, unknown>> {
  const runs = { code: "console.log(require('left-pad')('x', 3)); console.log(typeof require('cpu-features')().arch)", stdout: '  x\nstring' };
  return (await expectInstallAsHost({ from: example, lockfile: 'yarn.lock', args: ['install', 'left-pad'], hostChange: hostAdd, runs, dirs })).manifest;
}

await describeWithEngine('safe-install install with Yarn Berry', () => {
  it(`install left-pad in examples/yarn-berry-small changes package.json and yarn.lock exactly as host Yarn ${BERRY} add left-pad does`, async () => {
    const yarn = await hostYarn(`@yarnpkg/cli-dist@${BERRY}`);
    // The lockfile only on the host: no link step, no build runs here.
    const manifest = await expectSameAsHost('examples/yarn-berry-small', async (host) => execa('node', [yarn, 'add', 'left-pad', '--mode=update-lockfile'], { cwd: host, env: await berryEnv(), extendEnv: false }));
    expect((manifest['dependencies'] as Record<string, string>)['left-pad']).toMatch(/^\^1\.\d+\.\d+$/);
  }, 15 * 60_000);

  it('a malicious package from ./fixture.tgz (its build allowed) leaves package.json, yarn.lock and node_modules byte for byte unchanged, exit 1', async () => {
    const yarn = await hostYarn(`@yarnpkg/cli-dist@${BERRY}`);
    const project = await mkdtemp(join(tmpdir(), 'safe-install-e2e-'));
    dirs.push(project);
    // Yarn 4 builds a dependency only when dependenciesMeta allows it: allowed here, so its postinstall runs.
    await writeFile(join(project, 'package.json'), `${JSON.stringify({ name: 'berry-tarball', version: '1.0.0', private: true, packageManager: `yarn@${BERRY}`, dependencies: { 'left-pad': '1.3.0' }, dependenciesMeta: { [FIXTURE]: { built: true } } }, null, 2)}\n`);
    await writeFile(join(project, '.yarnrc.yml'), 'nodeLinker: node-modules\n');
    await packFixture(project);
    // An earlier install to keep (no build: nothing runs on the host). It writes the lockfile, so
    // --no-immutable: under CI (CI=true, as in the project's CI) Yarn 4 defaults to --immutable.
    await writeFile(join(project, 'yarn.lock'), '');
    await execa('node', [yarn, 'install', '--no-immutable'], { cwd: project, env: await berryEnv(), extendEnv: false });
    await expectUnchanged(project);
  }, 15 * 60_000);
});

await describeWithEngine('safe-install install with Yarn classic', () => {
  it(`install left-pad in examples/yarn-classic-small changes package.json and yarn.lock exactly as host Yarn ${CLASSIC} add left-pad --ignore-scripts does`, async () => {
    const yarn = await hostYarn(`yarn@${CLASSIC}`);
    const { env, flags } = await classicArgs();
    // -W: Yarn 1 adds to a workspaces root only when told to (the sandbox's resolve says so too);
    // the tree it lays out is removed (the sandbox's is too). Yarn 1 has no gate: cpu-features builds.
    await expectSameAsHost('examples/yarn-classic-small', async (host) => {
      await execa('node', [yarn, 'add', 'left-pad', '--ignore-scripts', '-W', ...flags], { cwd: host, env, extendEnv: false });
      await rm(join(host, 'node_modules'), { recursive: true, force: true });
    });
  }, 15 * 60_000);

  it('a malicious package from ./fixture.tgz leaves package.json, yarn.lock and node_modules byte for byte unchanged, exit 1', async () => {
    const yarn = await hostYarn(`yarn@${CLASSIC}`);
    const project = await mkdtemp(join(tmpdir(), 'safe-install-e2e-'));
    dirs.push(project);
    await writeFile(join(project, 'package.json'), `${JSON.stringify({ name: 'classic-tarball', version: '1.0.0', private: true, packageManager: `yarn@${CLASSIC}`, dependencies: { 'left-pad': '1.3.0' } }, null, 2)}\n`);
    await packFixture(project);
    // An earlier install to keep (no scripts: nothing runs on the host).
    const { env, flags } = await classicArgs();
    await execa('node', [yarn, 'install', '--ignore-scripts', ...flags], { cwd: project, env, extendEnv: false });
    await expectUnchanged(project);
  }, 15 * 60_000);
});
