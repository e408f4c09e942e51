import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafeInstallError, validateJob } from '@safe-install/schema';
import { refuseUnsupportedYarn, reviewYarnBuilds, yarnScriptsByDefault, yarnBerryEnv, yarnBerrySteps, yarnBerryVersionOf, yarnBuildAllowed, yarnEntry, yarnLinkerOf, yarnrcOf } from './yarn-berry.js';
import { managerFor } from './managers.js';

const rc = (text: string) => ({ files: [{ path: '.yarnrc.yml', content: Buffer.from(text), mode: 0o644 }] });

describe('Yarn Berry version', () => {
  it('takes packageManager yarn@4.x.y, defaults to the newest 4.x, refuses other majors and inexact versions', () => {
    expect(yarnBerryVersionOf({ packageManager: 'yarn@4.18.1+sha512.abc' })).toEqual({ version: '4.18.1', from: 'packageManager' });
    expect(yarnBerryVersionOf({})).toEqual({ version: '4', from: 'default' });
    expect(yarnBerryVersionOf({ packageManager: 'pnpm@10.0.0' }).from).toBe('default');
    expect(() => yarnBerryVersionOf({ packageManager: 'yarn@3.8.0' })).toThrow(/not supported/);
    expect(() => yarnBerryVersionOf({ packageManager: 'yarn@^4' })).toThrow(/exact Yarn version/);
    expect(() => yarnBerryVersionOf({ packageManager: 'yarn@4.1.0; rm -rf /' })).toThrow(SafeInstallError);
  });
});

describe('.yarnrc.yml', () => {
  it('is read as untrusted YAML', () => {
    expect(yarnrcOf({ files: [] })).toEqual({});
    expect(yarnrcOf(rc('nodeLinker: node-modules\n'))).toEqual({ nodeLinker: 'node-modules' });
    expect(() => yarnrcOf(rc('a: &x 1\nb: *x\n'))).toThrow(/not valid YAML/);
    expect(() => yarnrcOf(rc('a: 1\na: 2\n'))).toThrow(/not valid YAML/);
    expect(() => yarnrcOf(rc('- 1\n'))).toThrow(/not a YAML mapping/);
    expect(() => yarnrcOf(rc(`a: "${'x'.repeat(300 * 1024)}"\n`))).toThrow(/larger than/);
  });

  it('refuses project plugins and other linkers; yarnPath is allowed (ignored in the sandbox)', () => {
    expect(() => refuseUnsupportedYarn(rc('plugins:\n  - path: .yarn/plugins/x.cjs\n'))).toThrow(/plugins/);
    expect(() => refuseUnsupportedYarn(rc('nodeLinker: pnpm\n'))).toThrow(/nodeLinker/);
    expect(() => refuseUnsupportedYarn(rc('yarnPath: .yarn/releases/yarn-4.18.1.cjs\nplugins: []\n'))).not.toThrow();
    expect(yarnLinkerOf({})).toBe('pnp');
  });
});

describe('the job', () => {
  it('fetches Yarn with npm (no scripts), then traces the install as a process tree with every deciding setting forced', () => {
    const steps = yarnBerrySteps({ kind: 'ci' }, '4.18.1', 'node-modules', { export: true, trace: true });
    expect(steps[0]).toMatchObject({ phase: 'tools', trace: 'scripts', export: 'none' });
    expect(steps[0]!.command).toContain('--ignore-scripts');
    expect(steps[0]!.command.at(-1)).toBe('@yarnpkg/cli-dist@4.18.1');
    const install = steps[1]!;
    expect(install).toMatchObject({ phase: 'install', trace: 'tree', attribution: 'lockfile', export: 'install' });
    expect(install.command.slice(-4)).toEqual(['node', yarnEntry('4.18.1'), 'install', '--immutable']);
    expect(install.command[0]).toBe('env');
    for (const setting of ['YARN_IGNORE_PATH=1', 'YARN_ENABLE_TELEMETRY=0', 'YARN_ENABLE_GLOBAL_CACHE=0']) expect(install.command).toContain(setting);
    expect(validateJob({ version: 1, steps, lockfile: 'yarn.lock' }).steps).toHaveLength(2);
    expect(() => yarnBerrySteps({ kind: 'lock' }, '4.18.1', 'pnp', { export: true, trace: true })).toThrow(/analyze/);
  });

  it('names PnP\'s own files for a traced PnP install only (not .yarn/releases, which runs on the host)', () => {
    expect(yarnBerrySteps({ kind: 'ci' }, '4.18.1', 'node-modules', { export: true, trace: true })[1]!.managerFiles).toBeUndefined();
    const pnp = yarnBerrySteps({ kind: 'ci' }, '4.18.1', 'pnp', { export: true, trace: true });
    expect(pnp[1]!.managerFiles).toEqual(expect.arrayContaining(['.pnp.cjs', '.pnp.loader.mjs', '.yarn/cache/', '.yarn/unplugged/']));
    expect(pnp[1]!.managerFiles!.some((entry) => '.yarn/releases/yarn-4.cjs'.startsWith(entry) && entry.endsWith('/'))).toBe(false);
    expect(validateJob({ version: 1, steps: pnp, lockfile: 'yarn.lock' }).steps[1]!.managerFiles).toEqual(pnp[1]!.managerFiles);
    expect(yarnBerrySteps({ kind: 'ci' }, '4.18.1', 'pnp', { export: true, trace: false })[1]!.managerFiles).toBeUndefined();
  });

  it('keeps the cache in HOME for node-modules and in the project for PnP', () => {
    expect(yarnBerryEnv('node-modules').find((e) => e.startsWith('YARN_CACHE_FOLDER='))).toMatch(/^YARN_CACHE_FOLDER=\/.+\/\.yarn\/berry\/cache$/);
    expect(yarnBerryEnv('pnp')).toContain('YARN_CACHE_FOLDER=./.yarn/cache');
  });

  it('is the manager for a Berry project', () => {
    const manager = managerFor({ kind: 'yarn-berry', lockfile: 'yarn.lock', command: [], by: 'lockfile' });
    expect(manager.name).toBe('yarn-berry');
    expect(manager.scriptCapture).toBe('process-tree');
  });
});

describe("Yarn's build gate", () => {
  it('takes the default of enableScripts from the Yarn version: on up to 4.13, off from 4.14', () => {
    expect(['4.10.3', '4.12.0', '4.13.0'].map(yarnScriptsByDefault)).toEqual([true, true, true]);
    expect(['4.14.0', '4.17.1', '4.18.1', '4', '5.0.0'].map(yarnScriptsByDefault)).toEqual([false, false, false, false, false]);
    expect(yarnBuildAllowed({}, {}, 'a', '1.0.0', '4.10.3')).toBe(true);
    expect(yarnBuildAllowed({}, { enableScripts: false }, 'a', '1.0.0', '4.10.3')).toBe(false);
    expect(yarnBuildAllowed({ dependenciesMeta: { a: { built: false } } }, {}, 'a', '1.0.0', '4.10.3')).toBe(false);
    expect(yarnBuildAllowed({}, {}, 'a', '1.0.0', '4.18.1')).toBe(false);
  });

  it('decides as Yarn 4.18: dependenciesMeta built (by name@version, else name), else enableScripts (off by default)', () => {
    expect(yarnBuildAllowed({}, {}, 'a', '1.0.0')).toBe(false);
    expect(yarnBuildAllowed({}, { enableScripts: true }, 'a', '1.0.0')).toBe(true);
    expect(yarnBuildAllowed({}, { enableScripts: false }, 'a', '1.0.0')).toBe(false);
    expect(yarnBuildAllowed({ dependenciesMeta: { a: { built: false } } }, { enableScripts: true }, 'a', '1.0.0')).toBe(false);
    expect(yarnBuildAllowed({ dependenciesMeta: { 'a@1.0.0': { built: false } } }, { enableScripts: true }, 'a', '1.0.0')).toBe(false);
    expect(yarnBuildAllowed({ dependenciesMeta: { 'a@2.0.0': { built: false } } }, { enableScripts: true }, 'a', '1.0.0')).toBe(true);
    expect(yarnBuildAllowed({ dependenciesMeta: { a: { built: true } } }, {}, 'a', '1.0.0')).toBe(true);
    expect(yarnBuildAllowed({ dependenciesMeta: { a: { built: true } } }, { enableScripts: false }, 'a', '1.0.0')).toBe(true);
  });

  it('reports skipped builds as pending, read from the installed node_modules', async () => {
    const tree = await mkdtemp(join(tmpdir(), 'yarn-review-'));
    try {
      for (const [name, scripts] of [['built-off', { postinstall: 'node x' }], ['no-build', {}], ['allowed', { install: 'node y' }]] as const) {
        await mkdir(join(tree, 'node_modules', name), { recursive: true });
        await writeFile(join(tree, 'node_modules', name, 'package.json'), JSON.stringify({ name, version: '1.0.0', scripts }));
      }
      const identities = new Map(['built-off', 'no-build', 'allowed'].map((name) => [`node_modules/${name}`, { name, version: '1.0.0', path: `node_modules/${name}`, installedAs: name, source: 'registry' as const }]));
      const project = { manifest: { dependenciesMeta: { 'built-off': { built: false }, 'no-build': { built: false }, allowed: { built: true } } }, files: rc('nodeLinker: node-modules\n').files, lockfile: { identities: { byPath: identities, bins: new Map() } } } as never;
      const review = await reviewYarnBuilds(project, '4.18.1', tree);
      expect(review).toMatchObject({ packageManager: 'yarn-berry', unreviewed: [] });
      expect(review?.pending.map((p) => p.package.name)).toEqual(['built-off']);
      expect(await reviewYarnBuilds(project, '4.18.1', null)).toBeNull();
    } finally {
      await rm(tree, { recursive: true, force: true });
    }
  });
  it('under PnP, reads a skipped package\'s build from its cache archive (the one that came back, else the project\'s)', async () => {
    const tree = await mkdtemp(join(tmpdir(), 'yarn-review-pnp-'));
    const root = await mkdtemp(join(tmpdir(), 'yarn-review-pnp-root-'));
    try {
      const slugs: Record<string, string> = { 'built-off': 'built-off-npm-1.0.0-0123456789', gyp: 'gyp-npm-1.0.0-0123456789', 'no-build': 'no-build-npm-1.0.0-0123456789', allowed: 'allowed-npm-1.0.0-0123456789', hostile: 'hostile-npm-1.0.0-0123456789' };
      const files: Record<string, Record<string, string>> = {
        'built-off': { 'package.json': JSON.stringify({ name: 'built-off', scripts: { postinstall: 'node x' } }) },
        gyp: { 'package.json': '{"name":"gyp"}', 'binding.gyp': '{}' },
        'no-build': { 'package.json': JSON.stringify({ name: 'no-build', scripts: { test: 'x' } }) },
        allowed: { 'package.json': JSON.stringify({ name: 'allowed', scripts: { install: 'node y' } }) },
      };
      for (const [name, content] of Object.entries(files)) {
        const src = await mkdtemp(join(tmpdir(), 'yarn-review-zip-'));
        await mkdir(join(src, 'node_modules', name), { recursive: true });
        for (const [file, text] of Object.entries(content)) await writeFile(join(src, 'node_modules', name, file), text);
        // The gyp package's archive is the project's own (unchanged, so it did not come back).
        const cache = join(name === 'gyp' ? root : tree, '.yarn/cache');
        await mkdir(cache, { recursive: true });
        execFileSync('zip', ['-q', '-r', join(cache, `${slugs[name]}-10c0.zip`), 'node_modules'], { cwd: src });
        await rm(src, { recursive: true, force: true });
      }
      await writeFile(join(tree, '.yarn/cache', `${slugs['hostile']}-10c0.zip`), 'not a zip');
      const unplugged = Object.entries(slugs).map(([name, slug]) => ({ folder: `.yarn/unplugged/${slug}`, package: { name, version: '1.0.0' } }));
      const project = { root, manifest: { dependenciesMeta: { allowed: { built: true } } }, files: rc('nodeLinker: pnp\n').files, lockfile: { identities: { byPath: new Map(), bins: new Map() }, unplugged } } as never;
      const review = await reviewYarnBuilds(project, '4.18.1', tree);
      expect(review?.pending.map((p) => [p.package.name, p.path])).toEqual([
        ['built-off', `.yarn/cache/${slugs['built-off']}-10c0.zip`],
        ['gyp', `.yarn/cache/${slugs['gyp']}-10c0.zip`],
      ]);
    } finally {
      await rm(tree, { recursive: true, force: true });
      await rm(root, { recursive: true, force: true });
    }
  });
});
