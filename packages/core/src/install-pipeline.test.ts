/**
 * `install` and `update` on the ci pipeline, with a fake engine: the job it asks for, and what it
 * does with the manifest, lockfile and node_modules that come back (hostile input) — swapped in
 * together on a pass, nothing changed otherwise.
 */
import { createHash } from 'node:crypto';
import { lstat, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCi, type CiResult } from './ci-pipeline.js';
import type { LockfileChange } from './package-manager.js';
import { fakeEngine, quietObserver, testNpm, type Scripted } from './fake-engine.test-helper.js';

const MANIFEST = { name: 'app', version: '1.0.0', dependencies: {} as Record<string, string> };
const lock = (dependencies: Record<string, string>, packages: Record<string, unknown> = {}) =>
  JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'app', version: '1.0.0', dependencies }, ...packages } }, null, 2);
const NEW_MANIFEST = JSON.stringify({ ...MANIFEST, dependencies: { 'left-pad': '^1.3.0' } }, null, 2);
const NEW_LOCK = lock({ 'left-pad': '^1.3.0' }, { 'node_modules/left-pad': { version: '1.3.0', resolved: 'https://registry.example/left-pad/-/left-pad-1.3.0.tgz', integrity: 'sha512-AAAA' } });

let project: string;
beforeEach(async () => {
  project = await mkdtemp(join(tmpdir(), 'si-install-'));
  await writeFile(join(project, 'package.json'), JSON.stringify(MANIFEST, null, 2));
  await writeFile(join(project, 'package-lock.json'), lock({}));
});
afterEach(async () => {
  await rm(project, { recursive: true, force: true });
});

/** Every file of the project (path, type, content hash), symlinks by their target. */
async function snapshot(dir: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) Object.assign(out, await snapshot(dir, path));
    else out[path] = entry.isSymbolicLink() ? `link` : createHash('sha256').update(await readFile(join(dir, path))).digest('hex');
  }
  return out;
}

async function install(script: Scripted, job: LockfileChange = { kind: 'add', packages: ['left-pad'] }): Promise<{ result: CiResult; engine: ReturnType<typeof fakeEngine> }> {
  const engine = fakeEngine(script);
  const result = await startCi({ dir: project, cwd: project, timeoutSeconds: 60, job }, quietObserver(), { engine, packageManager: testNpm }).result;
  return { result, engine };
}

const cleanReturn: Scripted = { events: [], nodeModules: { 'left-pad/index.js': 'module.exports = 1' }, projectFiles: { 'package.json': NEW_MANIFEST, 'package-lock.json': NEW_LOCK } };

describe('install on the ci pipeline (fake engine)', () => {
  it('asks for the resolve step (lockfile only, no scripts) then npm ci attributed by the new lockfile, with a scope narrowed later', async () => {
    const { engine } = await install({ events: [] });
    const asked = engine.asked[0]!;
    expect(asked.job?.steps.map((step) => [step.phase, step.command, step.relock ?? false, step.export])).toEqual([
      ['resolve', ['npm', 'install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', '--', 'left-pad'], false, 'none'],
      ['install', ['npm', 'ci'], true, 'install'],
    ]);
    expect(asked.scope).toMatchObject({ anyFolder: true, manifests: ['package.json', 'package-lock.json'], projectFiles: true });
  });

  it('update asks for npm update; no packages means the whole manifest', async () => {
    const { engine } = await install({ events: [] }, { kind: 'update', packages: [] });
    expect(engine.asked[0]!.job?.steps[0]!.command).toEqual(['npm', 'update', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund']);
  });

  it('uploads a local tarball at its place in the project and names it to npm as file:', async () => {
    await writeFile(join(project, 'fixture.tgz'), 'tarball bytes');
    const { engine } = await install({ events: [] }, { kind: 'add', packages: ['./fixture.tgz'] });
    const asked = engine.asked[0]!;
    expect(asked.job?.steps[0]!.command.at(-1)).toBe('file:fixture.tgz');
    expect(asked.upload.find((file) => file.path === 'project/fixture.tgz')?.content.toString()).toBe('tarball bytes');
  });

  it('takes a lockfile out of sync with package.json (npm install brings it in sync); ci does not', async () => {
    await writeFile(join(project, 'package.json'), NEW_MANIFEST);
    await expect(startCi({ dir: project, timeoutSeconds: 60 }, quietObserver(), { engine: fakeEngine({ events: [] }), packageManager: testNpm }).result).rejects.toThrow(/out of sync/);
    const { result } = await install(cleanReturn, { kind: 'add', packages: [] });
    expect(result.decision.end).toBe('pass');
  });

  it('starts without a lockfile (npm install writes one) unless workspaces need one; ci never does', async () => {
    await rm(join(project, 'package-lock.json'));
    await expect(startCi({ dir: project, timeoutSeconds: 60 }, quietObserver(), { engine: fakeEngine({ events: [] }), packageManager: testNpm }).result).rejects.toThrow(/no package-lock\.json/);
    const { result, engine } = await install(cleanReturn);
    expect(engine.asked[0]!.upload.map((file) => file.path)).not.toContain('project/package-lock.json');
    expect(result.decision.end).toBe('pass');
    expect(await readFile(join(project, 'package-lock.json'), 'utf8')).toBe(NEW_LOCK);
    expect(result.report.export?.projectFiles.find((file) => file.path === 'package-lock.json')?.change).toBe('created');
    await rm(join(project, 'package-lock.json'));
    await writeFile(join(project, 'package.json'), JSON.stringify({ ...MANIFEST, workspaces: ['packages/*'] }));
    await expect(install(cleanReturn).then(({ result }) => result)).rejects.toThrow(/no package-lock\.json/);
  });

  it('on a pass, package.json, the lockfile and node_modules come back together', async () => {
    const { result } = await install(cleanReturn);
    expect(result.decision).toMatchObject({ end: 'pass', verdict: 'pass' });
    expect(result.report.command).toBe('install');
    expect(await readFile(join(project, 'package.json'), 'utf8')).toBe(NEW_MANIFEST);
    expect(await readFile(join(project, 'package-lock.json'), 'utf8')).toBe(NEW_LOCK);
    expect(await readFile(join(project, 'node_modules/left-pad/index.js'), 'utf8')).toBe('module.exports = 1');
    expect(result.report.export?.projectFiles.map((file) => [file.path, file.change])).toEqual([['package.json', 'modified'], ['package-lock.json', 'modified']]);
    expect(result.lockfile.packages).toBe(1);
  });

  it('on a violation nothing in the project changes', async () => {
    const before = await snapshot(project);
    const pad = { name: 'left-pad', version: '1.3.0' };
    const base = { source: 'tracer' as const, ppid: 1, package: pad, lifecycle: 'postinstall', run: 1 };
    const { result } = await install({
      ...cleanReturn,
      events: [
        { ...base, id: 'e1', ts: 1000, pid: 10, type: 'script', action: 'start', command: 'node x.js', cwd: '/home/node/project/node_modules/left-pad' },
        { ...base, id: 'e2', ts: 1500, pid: 11, type: 'network', action: 'connect', family: 'AF_INET', address: '198.51.100.7', port: 443, ok: false, errno: 'ENETUNREACH' },
        { ...base, id: 'e9', ts: 2000, pid: 10, type: 'script', action: 'end', code: 0 },
      ],
    });
    expect(result.decision.end).toBe('violation');
    expect(await snapshot(project)).toEqual(before);
  });

  const hostile: Array<[string, Partial<Scripted>, RegExp]> = [
    ['a lockfile out of sync with the package.json that came back', { projectFiles: { 'package.json': NEW_MANIFEST, 'package-lock.json': lock({}) } }, /out of sync/],
    ['a lockfile that names a folder outside the project', { projectFiles: { 'package.json': NEW_MANIFEST, 'package-lock.json': lock({ 'left-pad': '^1.3.0' }, { '../../outside': { version: '1.0.0' } }) } }, /outside the project/],
    ['a package.json that is an array', { projectFiles: { 'package.json': '[]', 'package-lock.json': NEW_LOCK } }, /not a JSON object/],
    ['a lockfile that is not JSON', { projectFiles: { 'package.json': NEW_MANIFEST, 'package-lock.json': '{' } }, /not valid JSON/],
  ];
  it.each(hostile)('refuses %s: the run fails with an export error and the project is unchanged', async (_, change, reason) => {
    const before = await snapshot(project);
    const { result } = await install({ ...cleanReturn, ...change });
    expect(result.decision.end).toBe('export-failed');
    expect(result.failure?.message).toMatch(reason);
    expect(await snapshot(project)).toEqual(before);
    expect((await readdir(project)).filter((name) => name.startsWith('.safe-install-staging-'))).toEqual([]);
  });

  it('refuses a lockfile that came back as a symlink', async () => {
    const before = await snapshot(project);
    const engine = fakeEngine({ ...cleanReturn, projectFiles: { 'package.json': NEW_MANIFEST, 'lock-target.json': NEW_LOCK } });
    const install = engine.install;
    engine.install = async (options) => {
      const ran = await install(options);
      await symlink('lock-target.json', join(ran.staged!.tree, 'package-lock.json'));
      return ran;
    };
    const result = await startCi({ dir: project, cwd: project, timeoutSeconds: 60, job: { kind: 'add', packages: ['left-pad'] } }, quietObserver(), { engine, packageManager: testNpm }).result;
    expect(result.failure?.message).toMatch(/package-lock\.json that came back is a symlink/);
    expect(await snapshot(project)).toEqual(before);
  });

  it('refuses a package.json changed after the resolve step (install code wrote it), even in audit mode', async () => {
    const before = await snapshot(project);
    const engine = fakeEngine({
      ...cleanReturn,
      events: [{ id: 'd1', ts: 1, source: 'fsdiff', type: 'fsdiff', pid: 0, ppid: 0, change: 'modified', path: '/home/node/project/package.json', phase: 'install' }],
    });
    const result = await startCi({ dir: project, cwd: project, timeoutSeconds: 60, mode: 'audit', job: { kind: 'add', packages: ['left-pad'] } }, quietObserver(), { engine, packageManager: testNpm }).result;
    expect(result.failure?.message).toMatch(/changed package\.json after it was resolved/);
    expect(await snapshot(project)).toEqual(before);
  });

  it('takes the manifest changes of the resolve step (the package manager, no install code) without a finding', async () => {
    const { result } = await install({
      ...cleanReturn,
      events: ['package.json', 'package-lock.json'].map((name, i) => ({ id: `d${i}`, ts: 1, source: 'fsdiff' as const, type: 'fsdiff' as const, pid: 0, ppid: 0, change: 'modified' as const, path: `/home/node/project/${name}`, phase: 'resolve' })),
    });
    expect(result.findings).toEqual([]);
    expect(result.decision.end).toBe('pass');
  });

  it('brings back only the node_modules folders the returned lockfile expects', async () => {
    const { result } = await install({ ...cleanReturn, extraRoots: ['src/node_modules'] });
    expect(result.decision.end).toBe('pass');
    expect(await lstat(join(project, 'src')).catch(() => null)).toBeNull();
    expect(result.report.export?.issues).toEqual([expect.objectContaining({ path: 'src/node_modules', action: 'rejected' })]);
  });
});
