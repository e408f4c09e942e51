import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { validateJob, JOB_VERSION, SANDBOX_HELPERS } from '@safe-install/schema';
import { refuseUnsupportedYarnClassic, yarnClassic, yarnClassicEnv, yarnClassicFlags, yarnClassicPatches, yarnClassicSteps, yarnClassicToolDir, yarnClassicVersionOf, YARN_OFFLINE_MIRROR, YARN_PATCH_PROGRAM, YARN_SHELL_SITE } from './yarn-classic.js';

const run = promisify(execFile);

describe('yarnClassicVersionOf', () => {
  it('takes an exact 1.22.x from packageManager (corepack hash dropped); no field or another manager: 1.22.22', () => {
    expect(yarnClassicVersionOf({ packageManager: 'yarn@1.22.19+sha1.abc' })).toEqual({ version: '1.22.19', from: 'packageManager' });
    expect(yarnClassicVersionOf({})).toEqual({ version: '1.22.22', from: 'default' });
    expect(yarnClassicVersionOf({ packageManager: 'pnpm@10.34.8' }).from).toBe('default');
  });

  it.each(['yarn@^1.22.0', 'yarn@latest', 'yarn@1.22.22; rm -rf /', 'yarn@1.21.1', 'yarn@4.1.0'])('refuses %s (usage error)', (field) => {
    expect(() => yarnClassicVersionOf({ packageManager: field })).toThrow(expect.objectContaining({ kind: 'usage' }));
  });
});

describe('yarnClassicSteps', () => {
  const steps = yarnClassicSteps({ kind: 'ci' }, '1.22.22', { export: true, trace: true });

  it('fetches Yarn with scripts off, patches it, lays out with scripts off, then installs traced, attributed by the tree as laid out', () => {
    expect(steps.map((step) => step.phase)).toEqual(['tools', 'tools-shell', 'layout', 'install']);
    expect(steps[0]!.command).toEqual(expect.arrayContaining(['npm', 'install', '--ignore-scripts', 'yarn@1.22.22', '--prefix', yarnClassicToolDir('1.22.22')]));
    expect(steps[2]!.command).toEqual(expect.arrayContaining(['install', '--frozen-lockfile', '--ignore-scripts']));
    expect(steps[3]!.command).toEqual(expect.arrayContaining(['install', '--frozen-lockfile', '--force']));
    expect(steps[3]!.command).not.toContain('--ignore-scripts');
    expect(steps.map((step) => step.export)).toEqual(['none', 'none', 'none', 'install']);
    expect(steps[3]!.relock).toBe(true);
    expect(steps.every((step) => step.trace === 'scripts' && step.attribution === 'lockfile')).toBe(true);
    // The runner takes it as a job.
    expect(() => validateJob({ version: JOB_VERSION, steps, lockfile: 'yarn.lock', cacheFolders: [...yarnClassic.cacheFolders] })).not.toThrow();
  });

  it('forces on every Yarn step what the project must not decide', () => {
    for (const step of steps.slice(2)) {
      expect(step.command.slice(0, 1 + yarnClassicEnv().length)).toEqual(['env', ...yarnClassicEnv()]);
      expect(step.command).toEqual(expect.arrayContaining(yarnClassicFlags()));
    }
    expect(yarnClassicEnv()).toContain('YARN_IGNORE_PATH=1');
    expect(yarnClassicFlags()).toEqual(expect.arrayContaining(['--non-interactive', '--disable-pnp', '--modules-folder=/home/node/project/node_modules', '--cwd=/home/node/project']));
  });

  it('does not run analyze (a lockfile-only job) yet', () => {
    expect(() => yarnClassicSteps({ kind: 'lock' }, '1.22.22', { export: true, trace: true })).toThrow(expect.objectContaining({ code: 'PACKAGE_MANAGER_UNSUPPORTED' }));
  });

  it("refuses Plug'n'Play", () => {
    expect(() => refuseUnsupportedYarnClassic({ manifest: { installConfig: { pnp: true } } })).toThrow(/Plug'n'Play/);
    expect(() => refuseUnsupportedYarnClassic({ manifest: {} })).not.toThrow();
  });

  it('has no build gate of its own: no script review', () => {
    expect(yarnClassic.scriptReview({} as never, '1.22.22')).toBeNull();
  });
});

describe('the tools-shell patch (run with node on a copy)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'yarn-patch-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));
  const patches = JSON.stringify(yarnClassicPatches('/tools'));
  const SOURCE = `a();\n    ${YARN_SHELL_SITE}\n    wrappersFolder = yield (_fs || _load_fs()).makeTempDir();\nb();\n`;

  it('replaces each site once: the image script shell, the wrappers in the tool folder', async () => {
    const file = join(dir, 'cli.js');
    await writeFile(file, SOURCE);
    await run('node', ['-e', YARN_PATCH_PROGRAM, file, patches, join(dir, 'mirror')]);
    const text = await readFile(file, 'utf8');
    expect(text).toContain(`var shell = ${JSON.stringify(SANDBOX_HELPERS.scriptShell)};`);
    expect(text).not.toContain('customShell || true');
    expect(text).toContain('wrappersFolder = "/tools/wrappers";');
    expect(YARN_OFFLINE_MIRROR.startsWith('/home/node/')).toBe(true);
  });

  it.each([
    ['missing', 'nothing here\n'],
    ['twice', `${SOURCE}${YARN_SHELL_SITE}\n`],
  ])('fails and writes nothing when a site is %s', async (_what, source) => {
    const file = join(dir, 'cli.js');
    await writeFile(file, source);
    await expect(run('node', ['-e', YARN_PATCH_PROGRAM, file, patches, join(dir, 'mirror')])).rejects.toMatchObject({ code: 1 });
    expect(await readFile(file, 'utf8')).toBe(source);
  });
});
