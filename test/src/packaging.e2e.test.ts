/**
 * Installable like any CLI: the workspace packages packed (scripts/pack.sh, `pnpm pack`), installed
 * together into an empty npm prefix (their other dependencies from the registry), and run from
 * there — outside the repository, with no file of it on PATH — against the shared engine. The
 * packed CLI computes the same sandbox tag as the checkout (identical code, identical image), so
 * `setup` finds the base and the image present and builds nothing.
 */
import { lstat, mkdtemp, readdir, readFile, readlink, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { DEFAULT_BASE_IMAGE, connectEngine, resolveSandboxImage } from '@safe-install/sandbox';
import { copyProject, describeWithEngine, repoRoot } from './engine.js';

/** Every symlink under `dir` whose target leaves it (npm links bins inside the prefix only). */
async function linksOut(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (!(await lstat(path)).isSymbolicLink()) continue;
    const target = await realpath(path).catch(() => readlink(path));
    if (!target.startsWith(dir)) out.push(`${path} -> ${target}`);
  }
  return out;
}

await describeWithEngine('the packed CLI, installed with npm into an empty prefix', () => {
  let work = '';
  let prefix = '';
  let bin = '';
  /** The environment of a user who installed the CLI: no pnpm/npm script variables, no repository on PATH. */
  let env: Record<string, string> = {};
  const cleanup: string[] = [];

  const run = (args: string[], cwd: string) => execa(bin, args, { cwd, env, extendEnv: false, reject: false, all: true, timeout: 15 * 60_000 });

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'safe-install-pack-'));
    cleanup.push(work);
    prefix = join(work, 'prefix');
    const packed = await execa('bash', [join(repoRoot, 'scripts/pack.sh'), join(work, 'tarballs')]);
    const tarballs = packed.stdout.trim().split('\n');
    // One tarball per workspace package, each at its own version.
    const packages = await readdir(join(repoRoot, 'packages'));
    const expected = await Promise.all(
      packages.map(async (dir) => {
        const manifest = JSON.parse(await readFile(join(repoRoot, 'packages', dir, 'package.json'), 'utf8')) as { name: string; version: string };
        return `${manifest.name.replace('@', '').replace('/', '-')}-${manifest.version}.tgz`;
      }),
    );
    expect(expected).toContain('safe-install-cli-0.1.0.tgz');
    expect(tarballs.map((path) => path.split('/').pop()).sort()).toEqual(expected.sort());
    env = Object.fromEntries(
      Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined && !/^(npm_|PNPM_|INIT_CWD$|JEST_)/i.test(entry[0])),
    );
    env['PATH'] = [join(prefix, 'bin'), dirname(process.execPath), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']
      .filter((dir) => !dir.startsWith(repoRoot))
      .join(':');
    await execa('npm', ['install', '-g', '--prefix', prefix, '--no-fund', '--no-audit', '--loglevel=error', ...tarballs], { cwd: work, env, extendEnv: false });
    bin = join(prefix, 'bin', 'safe-install');
  }, 10 * 60_000);

  afterAll(async () => {
    for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
  });

  it('is a self-contained install: packed versions instead of workspace: ranges, the Dockerfile context inside, no link into the repository', async () => {
    const installed = join(prefix, 'lib/node_modules/@safe-install');
    const cli = JSON.parse(await readFile(join(installed, 'cli/package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(cli.dependencies['@safe-install/core']).toBe('0.1.0');
    expect(JSON.stringify(cli)).not.toMatch(/workspace:/);
    expect((await readdir(join(installed, 'sandbox/docker'))).sort()).toEqual((await readdir(join(repoRoot, 'docker'))).sort());
    expect(await readdir(join(installed, 'sandbox/base'))).toEqual(expect.arrayContaining(['build-base-image.sh', 'lib.sh']));
    await expect(lstat(join(installed, 'sandbox/src'))).rejects.toThrow(/ENOENT/);
    expect(await linksOut(prefix)).toEqual([]);
    expect(await realpath(bin)).toBe(join(installed, 'cli/dist/main.js'));
    // The checkout's own copy is not left behind by the pack (postpack).
    await expect(lstat(join(repoRoot, 'packages/sandbox/docker'))).rejects.toThrow(/ENOENT/);
  });

  it('needs the same sandbox image as the checkout, and `setup` finds it and the base present', async () => {
    const { docker } = await connectEngine();
    const expected = await resolveSandboxImage(docker, DEFAULT_BASE_IMAGE);
    const show = await run(['image', 'show'], work);
    expect(show.stdout).toBe(`${expected.tag} present (base ${DEFAULT_BASE_IMAGE})`);
    const setup = await run(['setup'], work);
    expect(setup.exitCode).toBe(0);
    expect(setup.stderr).toMatch(/base image safe-install-base:latest is present/);
    expect(setup.stderr).toMatch(new RegExp(`${expected.tag} is up to date`));
    const prune = await run(['image', 'prune', '--dry-run'], work);
    expect(prune.exitCode).toBe(0);
    expect(prune.stdout).not.toContain(expected.tag);
    expect(prune.stderr).toContain(`kept ${expected.tag}`);
  }, 5 * 60_000);

  it('`doctor` passes every check', async () => {
    const doctor = await run(['doctor', '--json'], work);
    expect(doctor.exitCode).toBe(0);
    const checks = JSON.parse(doctor.stdout) as Array<{ name: string; status: string }>;
    expect(checks.map((check) => check.status)).toEqual(checks.map(() => 'ok'));
    expect(checks.map((check) => check.name)).toContain('strace in a container');
  }, 5 * 60_000);

  it('`ci` installs a copy of examples/webapp, and its binaries run on the host', async () => {
    const project = await copyProject('examples/webapp');
    cleanup.push(project);
    const ci = await run(['ci', '.', '--report', 'report.json'], project);
    expect(ci.exitCode).toBe(0);
    const report = JSON.parse(await readFile(join(project, 'report.json'), 'utf8')) as { verdict: string };
    expect(report.verdict).toBe('pass');
    const esbuild = await execa(join(project, 'node_modules/.bin/esbuild'), ['--version'], { env, extendEnv: false });
    expect(esbuild.stdout).toMatch(/^\d+\.\d+\.\d+$/);
  }, 15 * 60_000);
});

await describeWithEngine('action.yml, its run-steps run locally with the Actions environment (scripts/run-action-locally.mjs)', () => {
  it('installs the CLI from the action’s source, finds the images, runs ci on examples/webapp, writes outputs and the step summary', async () => {
    const workspace = await mkdtemp(join(tmpdir(), 'safe-install-action-ws-'));
    try {
      await execa('cp', ['-r', join(repoRoot, 'examples/webapp'), join(workspace, 'webapp')]);
      await rm(join(workspace, 'webapp/node_modules'), { recursive: true, force: true });
      const run = await execa('node', [join(repoRoot, 'scripts/run-action-locally.mjs'), '--workspace', workspace, '--input', 'working-directory=webapp'], {
        reject: false,
        timeout: 20 * 60_000,
      });
      const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as { outputs: Record<string, string>; steps: Record<string, string> };
      const { docker } = await connectEngine();
      expect(result.outputs['image']).toBe((await resolveSandboxImage(docker, DEFAULT_BASE_IMAGE)).tag);
      expect(result.steps).toMatchObject({ install: 'success', cache: 'skipped', setup: 'success', ci: 'success' });
      expect(run.stderr).toMatch(/--- step summary ---[\s\S]*\*\*safe-install\*\* 0\.1\.0 — verdict \*\*pass\*\*, exit code 0/);
      expect(result.outputs).toMatchObject({ verdict: 'pass', 'exit-code': '0' });
      expect(run.exitCode).toBe(0);
      // The SARIF the upload step would send (its upload is GitHub's own action, skipped here).
      const sarif = JSON.parse(await readFile(join(workspace, 'safe-install.sarif'), 'utf8')) as { version: string };
      expect(sarif.version).toBe('2.1.0');
    } finally {
      await rm(workspace, { recursive: true, force: true });
    }
  }, 20 * 60_000);
});
