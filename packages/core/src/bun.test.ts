import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateJob, JOB_VERSION, RESOLVE_PHASE, SANDBOX_HELPERS, type PackageIdentity } from '@safe-install/schema';
import { checkBunLockfile, type Project } from '@safe-install/sandbox';
import { bun, bunResolveArgs, bunRunsScripts, bunSteps, bunTrusted, bunVersionOf, reviewBunBuilds, BUN_PLATFORM_PACKAGE } from './bun.js';

describe('bunVersionOf: the version comes from packageManager', () => {
  it('takes an exact Bun version; no field or another manager: the newest 1.x', () => {
    expect(bunVersionOf({ packageManager: 'bun@1.4.4' })).toEqual({ version: '1.4.4', from: 'packageManager' });
    expect(bunVersionOf({ packageManager: 'bun@1.3.0+sha512.abc' })).toEqual({ version: '1.3.0', from: 'packageManager' });
    expect(bunVersionOf({})).toEqual({ version: '1', from: 'default' });
    expect(bunVersionOf({ packageManager: 'pnpm@10.0.0' })).toEqual({ version: '1', from: 'default' });
  });
  it('refuses ranges, tags, injections and Bun before 1.3 (usage errors)', () => {
    for (const field of ['bun@^1.4.0', 'bun@latest', 'bun@1.4.4 --registry=x', 'bun@1.4.4;rm', 'bun@']) {
      expect(() => bunVersionOf({ packageManager: field })).toThrow(expect.objectContaining({ code: 'PROJECT_CONFIG_INVALID', kind: 'usage' }));
    }
    expect(() => bunVersionOf({ packageManager: 'bun@1.2.23' })).toThrow(expect.objectContaining({ code: 'PACKAGE_MANAGER_UNSUPPORTED' }));
    expect(() => bunVersionOf({ packageManager: 'bun@0.8.1' })).toThrow(expect.objectContaining({ code: 'PACKAGE_MANAGER_UNSUPPORTED' }));
  });
});

describe('the Bun job', () => {
  it('fetches the platform package with npm (no scripts), then installs with the script-shell folder first in PATH', () => {
    const steps = bunSteps({ kind: 'ci' }, '1.4.4', { export: true, trace: true });
    expect(validateJob({ version: JOB_VERSION, steps, lockfile: 'bun.lock' }).lockfile).toBe('bun.lock');
    expect(steps[0]!.command).toEqual(expect.arrayContaining(['npm', 'install', '--ignore-scripts', `${BUN_PLATFORM_PACKAGE}@1.4.4`]));
    expect(steps[0]!.command.some((arg) => /^bun@/.test(arg))).toBe(false);
    const install = steps[1]!;
    expect(install).toMatchObject({ phase: 'install', trace: 'scripts', attribution: 'lockfile', export: 'install' });
    expect(install.command[0]).toBe('/usr/bin/env');
    expect(install.command[1]).toMatch(new RegExp(`^PATH=${SANDBOX_HELPERS.bunPathDir}:`));
    expect(install.command).toEqual(expect.arrayContaining(['install', '--frozen-lockfile', '--linker=hoisted', '--config=/dev/null', 'DO_NOT_TRACK=1']));
    expect(install.command.join(' ')).not.toMatch(/registry|https?:/);
  });
  it('resolves an install job with the lockfile only and no scripts: add <pkgs>, update [pkgs], install of the manifest', () => {
    expect(bunResolveArgs({ kind: 'add', packages: ['left-pad', 'file:x.tgz'] })).toEqual(['add', '--lockfile-only', '--ignore-scripts', '--', 'left-pad', 'file:x.tgz']);
    expect(bunResolveArgs({ kind: 'add', packages: [] })).toEqual(['install', '--lockfile-only', '--ignore-scripts']);
    expect(bunResolveArgs({ kind: 'update', packages: [] })).toEqual(['update', '--lockfile-only', '--ignore-scripts']);
    expect(bun.lockfileJobs?.resolve({ kind: 'update', packages: ['a'] })).toEqual(['bun', 'update', '--lockfile-only', '--ignore-scripts', '--', 'a']);
  });
  it('is tools, resolve (the same settings, no project bunfig), then the frozen install that relocks and exports', () => {
    const steps = bunSteps({ kind: 'add', packages: ['left-pad'] }, '1.4.4', { export: true, trace: true });
    const job = validateJob({ version: JOB_VERSION, steps, cacheFolders: [...bun.cacheFolders], lockfile: 'bun.lock' });
    expect(job.steps.map((step) => [step.phase, step.export, step.relock ?? false])).toEqual([['tools', 'none', false], [RESOLVE_PHASE, 'none', false], ['install', 'install', true]]);
    const [, resolve, install] = job.steps;
    expect(resolve!.command[0]).toBe('/usr/bin/env');
    expect(resolve!.command.slice(-2)).toEqual(['--', 'left-pad']);
    expect(resolve!.command).toEqual(expect.arrayContaining(['add', '--lockfile-only', '--ignore-scripts', '--config=/dev/null', '--linker=hoisted']));
    expect(resolve!.command.indexOf('--config=/dev/null')).toBeLessThan(resolve!.command.indexOf('--'));
    expect(install!.command).toEqual(expect.arrayContaining(['install', '--frozen-lockfile']));
    expect(install!.command).not.toContain('left-pad');
    expect(() => bunSteps({ kind: 'lock' }, '1.4.4', { export: true, trace: true })).toThrow(expect.objectContaining({ kind: 'usage' }));
  });
});

describe("Bun's trust gate", () => {
  const registry = (name: string) => ({ name, source: 'registry' as const });
  it('trustedDependencies replaces the default list; the default list trusts registry packages only', () => {
    const none = bunTrusted({ trustedDependencies: [] });
    expect(bunRunsScripts(registry('esbuild'), none)).toBe(false);
    const defaults = bunTrusted({});
    expect(defaults.from).toBe('default');
    expect(bunRunsScripts(registry('esbuild'), defaults)).toBe(true);
    expect(bunRunsScripts({ name: 'esbuild', source: 'file' }, defaults)).toBe(false);
    expect(bunRunsScripts(registry('left-pad'), defaults)).toBe(false);
    const listed = bunTrusted({ trustedDependencies: ['local', 3] });
    expect(bunRunsScripts({ name: 'local', source: 'file' }, listed)).toBe(true);
  });

  it('reviews skipped builds from the exported tree: an install script or a binding.gyp, untrusted', async () => {
    const tree = await mkdtemp(join(tmpdir(), 'bun-review-'));
    try {
      const write = async (folder: string, files: Record<string, string>) => {
        await mkdir(join(tree, folder), { recursive: true });
        for (const [file, text] of Object.entries(files)) await writeFile(join(tree, folder, file), text);
      };
      await write('node_modules/a', { 'package.json': JSON.stringify({ name: 'a', scripts: { postinstall: 'x' } }) });
      await write('node_modules/b', { 'package.json': JSON.stringify({ name: 'b' }), 'binding.gyp': '{}' });
      await write('node_modules/c', { 'package.json': JSON.stringify({ name: 'c', scripts: { install: 'x' } }) });
      await write('node_modules/d', { 'package.json': JSON.stringify({ name: 'd', scripts: { test: 'x' } }) });
      const identity = (name: string): PackageIdentity => ({ name, version: '1.0.0', path: `node_modules/${name}`, installedAs: name, source: 'registry' });
      const byPath = new Map(['a', 'b', 'c', 'd'].map((name) => [`node_modules/${name}`, identity(name)]));
      byPath.set('', { name: 'app', version: '1.0.0', path: '', installedAs: 'app', source: 'project' });
      const project = { manifest: { trustedDependencies: ['c'] }, lockfile: { identities: { byPath, bins: new Map() } } } as unknown as Project;
      const review = await reviewBunBuilds(project, '1.4.4', tree);
      expect(review).toMatchObject({ npmVersion: '1.4.4', packageManager: 'bun', unreviewed: [] });
      expect(review!.pending.map((item) => [item.package.name, item.approve])).toEqual([['a', 'bun pm trust a'], ['b', 'bun pm trust b']]);
      expect(await reviewBunBuilds(project, '1.4.4', null)).toBeNull();
    } finally {
      await rm(tree, { recursive: true, force: true });
    }
  });
});

describe('checkBunLockfile (the host reader)', () => {
  const lock = (deps: string) => Buffer.from(`{ "lockfileVersion": 1, "workspaces": { "": { "name": "app", "dependencies": { ${deps} }, }, }, "packages": { "x": ["x@1.0.0", "", {}, "sha512-a"], }, }`);
  it('takes a lockfile in sync, and says which pins differ from package.json', async () => {
    const summary = await checkBunLockfile({ name: 'app', dependencies: { x: '1.0.0' } }, lock('"x": "1.0.0"'), 'bun.lock', async () => null);
    expect(summary.locked).toEqual([{ name: 'x', version: '1.0.0' }]);
    await expect(checkBunLockfile({ name: 'app', dependencies: { x: '^1.0.0' } }, lock('"x": "1.0.0"'), 'bun.lock', async () => null)).rejects.toMatchObject({ code: 'LOCKFILE_OUT_OF_SYNC', kind: 'usage' });
    await expect(checkBunLockfile({ name: 'app' }, lock('"x": "1.0.0"'), 'bun.lock', async () => null)).rejects.toThrow(/in the lockfile but not in package.json/);
  });
  it('refuses a hostile or binary lockfile as a usage error with a hint', async () => {
    await expect(checkBunLockfile({}, Buffer.from('{"lockfileVersion": 1, "workspaces": {"": {}, "": {}}}'), 'bun.lock', async () => null)).rejects.toMatchObject({ code: 'LOCKFILE_INVALID', kind: 'usage' });
    await expect(checkBunLockfile({}, Buffer.from([0, 1, 2]), 'bun.lockb', async () => null)).rejects.toMatchObject({ code: 'LOCKFILE_INVALID', hint: expect.stringContaining('--save-text-lockfile') });
  });
});
