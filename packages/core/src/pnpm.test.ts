import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateJob, JOB_VERSION, SANDBOX_HELPERS } from '@safe-install/schema';
import type { JobStep, PackageIdentity, ScriptReviewReport } from '@safe-install/schema';
import type { Project } from '@safe-install/sandbox';
import { pnpm, pnpmInstallFlags, pnpmSteps, pnpmVersionOf, refuseUnsupported } from './pnpm.js';
import { decideBuild, ignoredBuildsWatch, matchesBuildSpec, parseWorkspaceYaml, pnpmBuildGate, pnpmScriptPackages, reviewPnpmBuilds } from './pnpm-builds.js';

const file = (path: string, text: string) => ({ path, content: Buffer.from(text), mode: 0o644 });

describe('pnpmVersionOf: the version comes from packageManager', () => {
  it('takes an exact pnpm version, dropping corepack\'s hash; no field or another manager: the default', () => {
    expect(pnpmVersionOf({ packageManager: 'pnpm@10.34.8' })).toEqual({ version: '10.34.8', from: 'packageManager' });
    expect(pnpmVersionOf({ packageManager: 'pnpm@11.2.0+sha512.abcdef' })).toEqual({ version: '11.2.0', from: 'packageManager' });
    expect(pnpmVersionOf({})).toEqual({ version: '10', from: 'default' });
    expect(pnpmVersionOf({ packageManager: 'yarn@4.1.0' }).from).toBe('default');
  });

  it('refuses ranges, tags, injections and pnpm before 9 (usage errors)', () => {
    for (const field of ['pnpm@^10.0.0', 'pnpm@latest', 'pnpm@10.0.0 && curl x', 'pnpm@10.0.0;rm', 'pnpm@../../x', `pnpm@1.0.0-${'a'.repeat(100)}`]) {
      expect(() => pnpmVersionOf({ packageManager: field })).toThrow(expect.objectContaining({ kind: 'usage', code: 'PROJECT_CONFIG_INVALID' }) as Error);
    }
    expect(() => pnpmVersionOf({ packageManager: 'pnpm@8.15.9' })).toThrow(expect.objectContaining({ code: 'PACKAGE_MANAGER_UNSUPPORTED' }) as Error);
    expect(() => pnpmVersionOf({ packageManager: 'pnpm@12.23.0' })).toThrow(/not supported yet: safe-install runs pnpm 9 to 11/);
    expect(pnpmVersionOf({ packageManager: 'pnpm@11.28.13' }).version).toBe('11.28.13');
  });
});

describe('the pnpm job', () => {
  it('fetches pnpm with npm (no scripts), then installs with it, traced, through the script shell', () => {
    const steps = pnpmSteps({ kind: 'ci' }, '10.34.8', { export: true, trace: true });
    const job = validateJob({ version: JOB_VERSION, steps, cacheFolders: [...pnpm.cacheFolders], lockfile: 'pnpm-lock.yaml' });
    expect(job.steps.map((step) => [step.phase, step.export])).toEqual([['tools', 'none'], ['install', 'install']]);
    expect(job.steps[0]!.command).toEqual(expect.arrayContaining(['npm', 'install', '--ignore-scripts', 'pnpm@10.34.8']));
    expect(job.steps[1]!.command.slice(0, 3)).toEqual(['/home/node/.cache/node/corepack/v1/pnpm/10.34.8/node_modules/.bin/pnpm', 'install', '--frozen-lockfile']);
    expect(job.steps[1]!.command).toContain(`--config.script-shell=${SANDBOX_HELPERS.scriptShell}`);
    expect(job.steps[1]!.command).toEqual(expect.arrayContaining(['--config.shell-emulator=false', '--ignore-pnpmfile', '--config.side-effects-cache=false', '--config.enable-global-virtual-store=false']));
  });

  it('names no registry host anywhere in its commands', () => {
    expect(pnpmInstallFlags().join(' ')).not.toMatch(/registry|https?:/);
    expect(pnpmInstallFlags(11).join(' ')).not.toMatch(/registry|https?:/);
  });

  it('pnpm 11: fetches @pnpm/exe and its platform binary (scripts off), seals them, runs the executable with the same forced settings', () => {
    const steps = pnpmSteps({ kind: 'ci' }, '11.28.6', { export: true, trace: true });
    const job = validateJob({ version: JOB_VERSION, steps, cacheFolders: [...pnpm.cacheFolders], lockfile: 'pnpm-lock.yaml' });
    const [tools, install] = job.steps as [JobStep, JobStep];
    expect(tools.command).toEqual(expect.arrayContaining(['npm', '--ignore-scripts', '@pnpm/exe@11.28.6', '@pnpm/linux-x64@11.28.6']));
    expect(tools.command).not.toContain('pnpm@11.28.6');
    // The binary goes where @pnpm/exe's own (skipped) preinstall would link it: it loads dist/ from beside itself.
    expect(tools.seal).toEqual({ dir: '.cache/node/corepack/v1/pnpm/11.28.6', into: 'pnpm-11.28.6', programs: [{ from: 'node_modules/@pnpm/linux-x64/pnpm', to: 'node_modules/@pnpm/exe/pnpm' }] });
    // The install runs the sealed, root-owned copy, not the one in HOME.
    expect(install.command[0]).toBe('/tmp/pnpm-11.28.6/node_modules/@pnpm/exe/pnpm');
    expect(install.seal).toBeUndefined();
    const v10 = pnpmInstallFlags(10);
    const v11 = pnpmInstallFlags(11);
    // pnpm 11 has no managePackageManagerVersions: pmOnFail takes its place; everything else is the same.
    expect(v11.filter((flag) => !v10.includes(flag))).toEqual(['--config.pm-on-fail=ignore']);
    expect(v10.filter((flag) => !v11.includes(flag))).toEqual(['--config.manage-package-manager-versions=false']);
    expect(install.command).toEqual(expect.arrayContaining([`--config.script-shell=${SANDBOX_HELPERS.scriptShell}`, '--config.shell-emulator=false', '--ignore-pnpmfile', '--config.side-effects-cache=false']));
    // pnpm 10 keeps its package's bin and no seal.
    const old = pnpmSteps({ kind: 'ci' }, '10.34.8', { export: true, trace: true });
    expect(old[0]!.seal).toBeUndefined();
  });

  it('pnpm 11 install jobs resolve and install with the executable too', () => {
    const steps = pnpmSteps({ kind: 'add', packages: ['left-pad'] }, '11.28.6', { export: true, trace: true, folders: [] });
    validateJob({ version: JOB_VERSION, steps, lockfile: 'pnpm-lock.yaml' });
    expect(steps.map((step) => step.phase)).toEqual(['tools', 'resolve', 'clean', 'install']);
    for (const step of [steps[1]!, steps[3]!]) expect(step.command[0]).toMatch(/node_modules\/@pnpm\/exe\/pnpm$/);
    expect(steps[1]!.command).toContain('--config.pm-on-fail=ignore');
  });
});

describe('refuseUnsupported', () => {
  it('refuses another node linker (pnpm-workspace.yaml or .npmrc) and config dependencies', () => {
    expect(() => refuseUnsupported({ files: [file('pnpm-workspace.yaml', 'nodeLinker: hoisted\n')] })).toThrow(/nodeLinker "hoisted" is not supported yet/);
    expect(() => refuseUnsupported({ files: [file('.npmrc', 'node-linker=pnp\n')] })).toThrow(/nodeLinker "pnp"/);
    // pnpm 11 ignores .npmrc's node-linker (only auth and registry lines are read there); its workspace file still counts.
    expect(() => refuseUnsupported({ files: [file('.npmrc', 'node-linker=pnp\n')] }, 11)).not.toThrow();
    expect(() => refuseUnsupported({ files: [file('pnpm-workspace.yaml', 'nodeLinker: hoisted\n')] }, 11)).toThrow(/nodeLinker "hoisted"/);
    expect(() => refuseUnsupported({ files: [file('pnpm-workspace.yaml', 'configDependencies:\n  x: 1.0.0+sha512-a\n')] })).toThrow(/configDependencies/);
    expect(() => refuseUnsupported({ files: [file('pnpm-lock.yaml', "lockfileVersion: '9.0'\n\npnpmfileChecksum: sha256-x\n")] })).toThrow(/pnpmfile/);
    expect(() => refuseUnsupported({ files: [file('pnpm-lock.yaml', "lockfileVersion: '9.0'\nimporters:\n  .:\n    pnpmfileChecksum: x\n")] })).not.toThrow();
    expect(() => refuseUnsupported({ files: [file('pnpm-workspace.yaml', 'nodeLinker: isolated\npackages: [a]\n')] })).not.toThrow();
  });

  it('a hostile pnpm-workspace.yaml is a usage error, not a crash', () => {
    expect(() => parseWorkspaceYaml('a: &x [1]\nb: *x\n')).toThrow(expect.objectContaining({ kind: 'usage' }) as Error);
    expect(() => parseWorkspaceYaml(Buffer.alloc(2 * 1024 * 1024, 0x61))).toThrow(/larger than/);
    expect(() => parseWorkspaceYaml('[1, 2]')).toThrow(/not a YAML mapping/);
    expect(parseWorkspaceYaml('')).toBeNull();
  });
});

describe('pnpm\'s build gate', () => {
  it('merges allowBuilds into the lists as pnpm does; the workspace file wins per setting over package.json', () => {
    const gate = pnpmBuildGate({ pnpm: { onlyBuiltDependencies: ['from-manifest'] } }, { allowBuilds: { 'core-js': true, evil: false, odd: 'maybe' }, strictDepBuilds: true });
    // Per setting: the workspace file's allowBuilds is merged into package.json's onlyBuiltDependencies.
    expect(gate).toEqual({ onlyBuilt: ['from-manifest', 'core-js'], ignored: ['evil'], never: [], allowAll: false, strict: true });
    expect(pnpmBuildGate({ pnpm: { onlyBuiltDependencies: ['esbuild'] } }, null).onlyBuilt).toEqual(['esbuild']);
    expect(pnpmBuildGate({ pnpm: { onlyBuiltDependencies: ['esbuild'] } }, { onlyBuiltDependencies: ['sharp'] }).onlyBuilt).toEqual(['sharp']);
  });

  it('pnpm 11: pnpm-workspace.yaml only, allowBuilds only, strictDepBuilds on unless turned off, a deny wins', () => {
    // package.json `pnpm` and the old lists are not read by pnpm 11.
    expect(pnpmBuildGate({ pnpm: { onlyBuiltDependencies: ['esbuild'], dangerouslyAllowAllBuilds: true } }, null, 11)).toEqual({ onlyBuilt: null, ignored: [], never: [], allowAll: false, strict: true });
    expect(pnpmBuildGate({}, { onlyBuiltDependencies: ['sharp'], ignoredBuiltDependencies: ['x'], neverBuiltDependencies: ['y'] }, 11)).toEqual({ onlyBuilt: null, ignored: [], never: [], allowAll: false, strict: true });
    expect(pnpmBuildGate({}, { strictDepBuilds: false }, 11).strict).toBe(false);
    expect(pnpmBuildGate({}, null, 10).strict).toBe(false);
    const gate = pnpmBuildGate({}, { allowBuilds: { 'core-js@3.45.1': true, 'core-js': false, esbuild: true } }, 11);
    expect(decideBuild(gate, 'core-js', '3.45.1', 11)).toBe('denied');
    expect(decideBuild(gate, 'esbuild', '0.25.0', 11)).toBe('allowed');
    expect(decideBuild(gate, 'sharp', '0.33.0', 11)).toBe('unlisted');
    expect(decideBuild(pnpmBuildGate({}, { dangerouslyAllowAllBuilds: true }, 11), 'x', '1.0.0', 11)).toBe('allowed');
  });

  it('decides as pnpm 10: listed builds, denied silently, unlisted skipped; pnpm 9 builds all', () => {
    const gate = pnpmBuildGate({}, { allowBuilds: { 'core-js': true, 'sharp@0.33.0 || 0.33.1': true, evil: false } });
    expect(decideBuild(gate, 'core-js', '3.45.1', 10)).toBe('allowed');
    expect(decideBuild(gate, 'sharp', '0.33.1', 10)).toBe('allowed');
    expect(decideBuild(gate, 'sharp', '0.34.0', 10)).toBe('unlisted');
    expect(decideBuild(gate, 'evil', '1.0.0', 10)).toBe('denied');
    expect(decideBuild(gate, 'other', '1.0.0', 11)).toBe('unlisted');
    expect(decideBuild(pnpmBuildGate({}, null), 'other', '1.0.0', 9)).toBe('allowed');
    expect(decideBuild(pnpmBuildGate({}, { dangerouslyAllowAllBuilds: true }), 'x', '1.0.0', 10)).toBe('allowed');
    expect(decideBuild(pnpmBuildGate({}, { neverBuiltDependencies: ['x'] }), 'y', '1.0.0', 10)).toBe('allowed');
    // A file:, git or tarball package is allowed only by its lockfile key, never by its bare name.
    const local = pnpmBuildGate({}, { allowBuilds: { 'p1@file:p1-1.0.0.tgz': true, p2: true, p3: false } });
    expect(decideBuild(local, 'p1', '1.0.0', 10, 'p1@file:p1-1.0.0.tgz')).toBe('allowed');
    expect(decideBuild(local, 'p2', '1.0.0', 10, 'p2@file:p2-1.0.0.tgz')).toBe('unlisted');
    expect(decideBuild(local, 'p3', '1.0.0', 10, 'p3@file:p3-1.0.0.tgz')).toBe('denied');
    expect(matchesBuildSpec('@scope/a@1.0.0', '@scope/a', '1.0.0')).toBe(true);
    expect(matchesBuildSpec('@scope/a', '@scope/a', '9.9.9')).toBe(true);
    expect(matchesBuildSpec('@scope/a', '@scope/ab', '1.0.0')).toBe(false);
  });

  describe('reviewPnpmBuilds: skipped builds from the tree that came back', () => {
    let tree: string;
    const identity = (name: string, version: string): PackageIdentity => ({ name, version, path: `node_modules/.pnpm/${name}@${version}/node_modules/${name}`, installedAs: name, source: 'registry' });
    const identities = [identity('core-js', '3.45.1'), identity('evil', '1.0.0'), identity('unlisted', '2.0.0'), identity('gyp', '1.0.0'), identity('plain', '1.0.0')];
    const project = (workspace: string): Pick<Project, 'manifest' | 'files' | 'lockfile' | 'rootScripts'> => ({
      manifest: {},
      files: [file('pnpm-workspace.yaml', workspace)],
      rootScripts: ['.:prepare'],
      lockfile: { lockfileVersion: 9, workspaces: [], tarballs: [], packages: identities.length, locked: [], identities: { byPath: new Map([['', { name: 'app', version: '', path: '', installedAs: 'app', source: 'project' }], ...identities.map((id) => [id.path, id] as const)]), bins: new Map() } },
    });
    beforeAll(async () => {
      tree = await mkdtemp(join(tmpdir(), 'pnpm-review-'));
      const put = async (id: PackageIdentity, files: Record<string, string>) => {
        await mkdir(join(tree, id.path), { recursive: true });
        for (const [name, text] of Object.entries(files)) await writeFile(join(tree, id.path, name), text);
      };
      await put(identities[0]!, { 'package.json': JSON.stringify({ scripts: { postinstall: 'node x' } }) });
      await put(identities[1]!, { 'package.json': JSON.stringify({ scripts: { install: 'node steal' } }) });
      await put(identities[2]!, { 'package.json': JSON.stringify({ scripts: { preinstall: 'x' } }) });
      await put(identities[3]!, { 'package.json': '{}', 'binding.gyp': '{}' });
      await put(identities[4]!, { 'package.json': JSON.stringify({ scripts: { test: 'jest', prepare: 'x' } }) });
    });
    afterAll(() => rm(tree, { recursive: true, force: true }));

    it('lists denied and unlisted builds as skipped (not run), allowed ones not at all', async () => {
      const review = (await reviewPnpmBuilds(project('allowBuilds:\n  core-js: true\n  evil: false\n'), '10.34.8', tree)) as ScriptReviewReport;
      expect(review.packageManager).toBe('pnpm');
      expect(review.npmVersion).toBe('10.34.8');
      expect(review.pending.map((item) => [item.package.name, item.approve])).toEqual([
        ['evil', 'edit allowBuilds in pnpm-workspace.yaml (it denies the build)'],
        ['unlisted', 'pnpm approve-builds'],
        ['gyp', 'pnpm approve-builds'],
      ]);
      expect(review.unreviewed).toEqual([]);
    });

    it('dangerouslyAllowAllBuilds: every build ran unreviewed; nothing came back: no review', async () => {
      const review = (await reviewPnpmBuilds(project('dangerouslyAllowAllBuilds: true\n'), '10.34.8', tree)) as ScriptReviewReport;
      expect(review.pending).toEqual([]);
      expect(review.unreviewed.map((item) => item.package.name)).toEqual(['core-js', 'evil', 'unlisted', 'gyp']);
      expect(await reviewPnpmBuilds(project(''), '10.34.8', null)).toBeNull();
    });

    it('a hostile tree: a package.json that is a folder, not JSON, or huge says nothing', async () => {
      const id = identity('weird', '1.0.0');
      await mkdir(join(tree, id.path, 'package.json'), { recursive: true });
      const odd = project('allowBuilds: {}\n');
      (odd.lockfile.identities.byPath as Map<string, PackageIdentity>).set(id.path, id);
      const review = (await reviewPnpmBuilds(odd, '10.34.8', tree)) as ScriptReviewReport;
      expect(review.pending.map((item) => item.package.name)).not.toContain('weird');
    });

    it('scriptPackages: what the gate allows, plus the project\'s own folders with scripts', () => {
      expect(pnpmScriptPackages(project('allowBuilds:\n  core-js: true\n'), '10.34.8')).toBe(2);
      expect(pnpmScriptPackages(project('dangerouslyAllowAllBuilds: true\n'), '10.34.8')).toBe(identities.length + 1);
    });
  });
});

describe('ignoredBuildsWatch: pnpm\'s strictDepBuilds refusal', () => {
  const identity = (name: string, version: string, source: PackageIdentity['source'] = 'registry', resolved?: string): PackageIdentity => ({ name, version, path: `node_modules/.pnpm/${name}@${version}/node_modules/${name}`, installedAs: name, source, ...(resolved ? { resolved } : {}) });
  const project = (workspace: string): Pick<Project, 'manifest' | 'files' | 'lockfile'> => ({
    manifest: {},
    files: [file('pnpm-workspace.yaml', workspace)],
    lockfile: { lockfileVersion: 9, workspaces: [], tarballs: [], packages: 2, locked: [], identities: { byPath: new Map([identity('es5-ext', '0.10.64'), identity('p1', '1.0.0', 'file', 'file:p1-1.0.0.tgz')].map((id) => [id.path, id] as const)), bins: new Map() } },
  });
  const LINE = ' ERR_PNPM_IGNORED_BUILDS  Ignored build scripts: es5-ext@0.10.64, p1@file:p1-1.0.0.tgz, \u001b[31mforged@6.6.6';

  it('names the packages pnpm refused that the lockfile installs, as a package-manager error', () => {
    const watch = ignoredBuildsWatch(project('strictDepBuilds: true\n'), '10.34.8');
    watch.line('.../core-js postinstall: Done');
    watch.line(LINE);
    expect(watch.seen([])).toBe(true);
    const error = watch.error(null, 1);
    expect(error).toMatchObject({ code: 'PACKAGE_MANAGER_FAILED', kind: 'package-manager' });
    expect(error.message).toContain('2 package(s) have builds allowBuilds does not allow: es5-ext@0.10.64, p1@file:p1-1.0.0.tgz;');
    expect(error.message).not.toContain('forged');
  });

  it('does not count without strictDepBuilds, or when a script printed the code (pnpm prefixes script output)', () => {
    const loose = ignoredBuildsWatch(project(''), '10.34.8');
    loose.line(LINE);
    expect(loose.seen([])).toBe(false);
    const strict = ignoredBuildsWatch(project('strictDepBuilds: true\n'), '10.34.8');
    strict.line(`.../evil postinstall: ${LINE}`);
    expect(strict.seen([])).toBe(false);
  });

  it('counts under pnpm 11 without the setting (its default), not when the file turns it off', () => {
    const byDefault = ignoredBuildsWatch(project(''), '11.28.6');
    byDefault.line(LINE);
    expect(byDefault.seen([])).toBe(true);
    expect(byDefault.error(null, 1).message).toContain("strictDepBuilds is on (pnpm 11's default) and 2 package(s)");
    const set = ignoredBuildsWatch(project('strictDepBuilds: true\n'), '11.28.6');
    set.line(LINE);
    expect(set.error(null, 1).message).toContain('strictDepBuilds is set and 2 package(s)');
    // pnpm 11 prints its code in brackets.
    const bracketed = ignoredBuildsWatch(project(''), '11.28.6');
    bracketed.line('[ERR_PNPM_IGNORED_BUILDS] Ignored build scripts: es5-ext@0.10.64');
    expect(bracketed.seen([])).toBe(true);
    expect(bracketed.error(null, 1).message).toContain('1 package(s) have builds allowBuilds does not allow: es5-ext@0.10.64;');
    const forged = ignoredBuildsWatch(project(''), '11.28.6');
    forged.line('.../evil postinstall: [ERR_PNPM_IGNORED_BUILDS] Ignored build scripts: es5-ext@0.10.64');
    expect(forged.seen([])).toBe(false);
    const off = ignoredBuildsWatch(project('strictDepBuilds: false\n'), '11.28.6');
    off.line(LINE);
    expect(off.seen([])).toBe(false);
  });
});
