/**
 * safe-install's policy granted in the manager's gate of the sandbox's copy: which packages
 * (locked, allowed by the policy's own entries, not denied anywhere, left undecided by the
 * manager's field), the edit each manager gets, and that the host's files stay as they were.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TraceEvent } from '@safe-install/schema';
import { loadPolicy, type PackageRule, type Policy } from '@safe-install/policy';
import { bunGrantScripts, npmGrantScripts, pnpmGrantScripts, policyScriptPackages, yarnBerryGrantScripts } from './script-grants.js';
import { yarnBerry } from './yarn-berry.js';
import { BERRY_LOCK, BERRY_LOCK_HEAD } from './yarn-lock-fixtures.test-helper.js';
import { BUN_LOCK, NPM_LOCK, PNPM_LOCK } from './lock-fixtures.test-helper.js';
import { npm } from './npm.js';
import { pnpm } from './pnpm.js';
import { bun } from './bun.js';
import { startCi } from './ci-pipeline.js';
import { fakeEngine, quietObserver, testNpm } from './fake-engine.test-helper.js';

const pad = { name: 'left-pad', version: '1.3.0' };
const esbuild = { name: 'esbuild', version: '0.25.12' };

const rule = (name: string, allow = true, kind: PackageRule['origin']['kind'] = 'policy'): PackageRule => ({
  spec: name, name, range: null, allow, scripts: null, exec: [], write: [], network: [], env: [], origin: { kind, file: 'safe-install.config.yaml' },
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'si-grants-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function basePolicy(): Promise<Policy> {
  await writeFile(join(dir, 'package.json'), '{"name":"app","version":"1.0.0"}\n');
  return (await loadPolicy({ projectDir: dir })).policy;
}

describe('policyScriptPackages', () => {
  it("selects the locked packages the policy's own entries allow, each once", async () => {
    const policy = { ...(await basePolicy()), packages: [rule('left-pad'), rule('esbuild', true, 'pnpm')] };
    expect(policyScriptPackages(policy, [pad, esbuild, pad])).toEqual([pad]);
  });

  it('leaves out a package any entry denies, even when the policy also allows it', async () => {
    const policy = { ...(await basePolicy()), packages: [rule('left-pad'), rule('left-pad', false, 'pnpm'), rule('esbuild'), rule('esbuild', false)] };
    expect(policyScriptPackages(policy, [pad, esbuild])).toEqual([]);
  });

  it('ignores entries for packages the lockfile does not install, hostile names among them', async () => {
    const policy = { ...(await basePolicy()), packages: [rule('../x'), rule('__proto__'), rule('constructor'), rule('not-installed')] };
    expect(policyScriptPackages(policy, [pad, esbuild])).toEqual([]);
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });

  it('matches by version as the policy does: a pinned entry of another version grants nothing', async () => {
    const policy = { ...(await basePolicy()), packages: [{ ...rule('left-pad'), spec: 'left-pad@1.2.0', range: '1.2.0' }] };
    expect(policyScriptPackages(policy, [pad])).toEqual([]);
    const pinned = { ...policy, packages: [{ ...rule('left-pad'), spec: 'left-pad@1.3.0', range: '1.3.0' }] };
    expect(policyScriptPackages(pinned, [pad])).toEqual([pad]);
  });

  it('grants nothing when pnpm already builds everything (dangerouslyAllowAllBuilds)', async () => {
    const policy = { ...(await basePolicy()), packages: [rule('left-pad')], allowAllScripts: { kind: 'pnpm' as const, file: 'pnpm-workspace.yaml' } };
    expect(policyScriptPackages(policy, [pad])).toEqual([]);
  });
});

describe('npmGrantScripts', () => {
  it("adds the lockfile's key of each undecided package to the sandbox's allowScripts; a listed deny stays", async () => {
    const manifest = '{\n  "name": "app",\n  "version": "1.0.0",\n  "allowScripts": {\n    "esbuild": false\n  },\n  "dependencies": {\n    "left-pad": "1.3.0",\n    "esbuild": "0.25.12"\n  }\n}\n';
    await writeFile(join(dir, 'package.json'), manifest);
    await writeFile(join(dir, 'package-lock.json'), JSON.stringify(NPM_LOCK));
    const project = await npm.readProject(dir);
    const { project: copy, granted } = npmGrantScripts(project, [pad, esbuild, { name: '__proto__', version: '1.0.0' }]);
    expect(granted).toEqual([pad]);
    const uploaded = JSON.parse(String(copy.files.find((f) => f.path === 'package.json')?.content));
    expect(uploaded.allowScripts).toEqual({ esbuild: false, 'left-pad@1.3.0': true });
    expect(copy.manifest['allowScripts']).toEqual({ esbuild: false, 'left-pad@1.3.0': true });
    expect(await readFile(join(dir, 'package.json'), 'utf8')).toBe(manifest);
  });

  it('changes nothing with nothing to grant', async () => {
    await writeFile(join(dir, 'package.json'), '{"name":"app","version":"1.0.0","dependencies":{"left-pad":"1.3.0","esbuild":"0.25.12"}}\n');
    await writeFile(join(dir, 'package-lock.json'), JSON.stringify(NPM_LOCK));
    const project = await npm.readProject(dir);
    expect(npmGrantScripts(project, [])).toEqual({ project, granted: [] });
    expect(npmGrantScripts(project, [{ name: 'not-installed', version: '1.0.0' }]).project.files).toEqual(project.files);
  });
});


async function pnpmProject(workspace: string | null) {
  await writeFile(join(dir, 'package.json'), '{"name":"app","version":"1.0.0","packageManager":"pnpm@10.34.8","dependencies":{"left-pad":"1.3.0"}}\n');
  await writeFile(join(dir, 'pnpm-lock.yaml'), PNPM_LOCK);
  if (workspace !== null) await writeFile(join(dir, 'pnpm-workspace.yaml'), workspace);
  return pnpm.readProject(dir);
}

describe('pnpmGrantScripts', () => {
  it("allows an undecided build in the sandbox's pnpm-workspace.yaml, the rest of the file kept", async () => {
    const project = await pnpmProject('# mine\nallowBuilds:\n  esbuild: true\n');
    const { project: copy, granted } = pnpmGrantScripts(project, [pad, { name: '../x', version: '1.0.0' }], '10.34.8');
    expect(granted).toEqual([pad]);
    expect(String(copy.files.find((f) => f.path === 'pnpm-workspace.yaml')?.content)).toBe('# mine\nallowBuilds:\n  esbuild: true\n  left-pad@1.3.0: true\n');
    expect(await readFile(join(dir, 'pnpm-workspace.yaml'), 'utf8')).toBe('# mine\nallowBuilds:\n  esbuild: true\n');
  });

  it('keeps a build the workspace denies denied', async () => {
    const project = await pnpmProject('allowBuilds:\n  left-pad: false\n');
    const { project: copy, granted } = pnpmGrantScripts(project, [pad], '10.34.8');
    expect(granted).toEqual([]);
    expect(copy).toBe(project);
  });

  it('writes a workspace file into the sandbox copy when the project has none', async () => {
    const project = await pnpmProject(null);
    const { project: copy } = pnpmGrantScripts(project, [pad], '10.34.8');
    expect(String(copy.files.find((f) => f.path === 'pnpm-workspace.yaml')?.content)).toMatch(/left-pad@1\.3\.0/);
    await expect(readFile(join(dir, 'pnpm-workspace.yaml'))).rejects.toThrow();
  });
});


describe('bunGrantScripts', () => {
  it("trusts the package's name in the sandbox's package.json, Bun's default list kept", async () => {
    const manifest = '{"name":"app","version":"1.0.0","packageManager":"bun@1.4.4","dependencies":{"esbuild":"0.25.12","left-pad":"1.3.0"}}\n';
    await writeFile(join(dir, 'package.json'), manifest);
    await writeFile(join(dir, 'bun.lock'), BUN_LOCK);
    const project = await bun.readProject(dir);
    const { project: copy, granted } = bunGrantScripts(project, [pad, { name: '__proto__', version: '1.0.0' }]);
    expect(granted).toEqual([pad]);
    expect(JSON.parse(String(copy.files.find((f) => f.path === 'package.json')?.content)).trustedDependencies).toEqual(['esbuild', 'left-pad']);
    expect(await readFile(join(dir, 'package.json'), 'utf8')).toBe(manifest);
  });

  it('grants nothing for a package Bun already trusts', async () => {
    await writeFile(join(dir, 'package.json'), '{"name":"app","version":"1.0.0","packageManager":"bun@1.4.4","trustedDependencies":["left-pad"],"dependencies":{"esbuild":"0.25.12","left-pad":"1.3.0"}}\n');
    await writeFile(join(dir, 'bun.lock'), BUN_LOCK);
    const project = await bun.readProject(dir);
    expect(bunGrantScripts(project, [pad])).toEqual({ project, granted: [] });
  });
});

describe('yarnBerryGrantScripts', () => {
  const project = async (manifest: Record<string, unknown>, lock = BERRY_LOCK) => {
    const text = JSON.stringify({ name: 'p', version: '1.0.0', packageManager: 'yarn@4.18.1', dependencies: { 'left-pad': '^1.3.0' }, ...manifest }, null, 2);
    await writeFile(join(dir, 'package.json'), text);
    await writeFile(join(dir, 'yarn.lock'), lock);
    await writeFile(join(dir, '.yarnrc.yml'), 'nodeLinker: node-modules\n');
    return { text, project: await yarnBerry.readProject(dir) };
  };

  it("pins built: true in the sandbox's package.json and in yarn.lock's copy of the root's dependenciesMeta, as Yarn writes it", async () => {
    const { text, project: own } = await project({ dependenciesMeta: { 'left-pad': { unplugged: true } } });
    const { project: copy, granted } = yarnBerryGrantScripts(own, [pad, { name: '__proto__', version: '1.0.0' }]);
    expect(granted).toEqual([pad]);
    expect(JSON.parse(String(copy.files.find((f) => f.path === 'package.json')?.content)).dependenciesMeta).toEqual({ 'left-pad': { unplugged: true }, 'left-pad@1.3.0': { built: true } });
    expect(String(copy.files.find((f) => f.path === 'yarn.lock')?.content)).toBe(`${BERRY_LOCK_HEAD}  dependenciesMeta:\n    left-pad@1.3.0:\n      built: true\n  languageName: unknown\n  linkType: soft\n`);
    expect(await readFile(join(dir, 'package.json'), 'utf8')).toBe(text);
    expect(await readFile(join(dir, 'yarn.lock'), 'utf8')).toBe(BERRY_LOCK);
  });

  it('keeps a name denied with built: false denied', async () => {
    const { project: own } = await project({ dependenciesMeta: { 'left-pad': { built: false } } });
    expect(yarnBerryGrantScripts(own, [pad])).toEqual({ project: own, granted: [] });
  });

  it("grants nothing when yarn.lock's root entry is not one Yarn writes (the install stays Yarn's)", async () => {
    const { project: own } = await project({}, BERRY_LOCK.replace('  languageName: unknown', '  dependenciesMeta:\n        deeper: true\n  languageName: unknown'));
    expect(yarnBerryGrantScripts(own, [pad])).toEqual({ project: own, granted: [] });
  });
});

describe('ci with a policy that allows a build pnpm does not list', () => {
  const base = { source: 'tracer' as const, ppid: 1, package: pad, lifecycle: 'postinstall', run: 1 };
  const ran: TraceEvent[] = [
    { ...base, id: 'e1', ts: 1000, pid: 10, type: 'script', action: 'start', command: 'node install.js', cwd: '/home/node/project/node_modules/.pnpm/left-pad@1.3.0/node_modules/left-pad' },
    { ...base, id: 'e9', ts: 2000, pid: 10, type: 'script', action: 'end', code: 0 },
  ];

  it('grants it in the uploaded pnpm-workspace.yaml only, and the review says the policy allowed it', async () => {
    const workspace = '# mine\nallowBuilds:\n  esbuild: true\n';
    await pnpmProject(workspace);
    await writeFile(join(dir, 'safe-install.config.yaml'), 'version: 1\npackages:\n  left-pad@1.3.0: true\n');
    const engine = fakeEngine({ events: ran, nodeModules: { '.pnpm/left-pad@1.3.0/node_modules/left-pad/package.json': '{"name":"left-pad","version":"1.3.0","scripts":{"postinstall":"node install.js"}}' } });
    const result = await startCi({ dir, timeoutSeconds: 60, exportToProject: false }, quietObserver(), { engine, packageManager: { ...pnpm, hostConfig: testNpm.hostConfig } }).result;
    const uploaded = engine.asked[0]?.upload.find((f) => f.path === 'project/pnpm-workspace.yaml');
    expect(String(uploaded?.content)).toBe('# mine\nallowBuilds:\n  esbuild: true\n  left-pad@1.3.0: true\n');
    expect(await readFile(join(dir, 'pnpm-workspace.yaml'), 'utf8')).toBe(workspace);
    expect(result.scriptReview?.policyAllowed).toEqual([pad]);
    expect(result.report.scriptReview?.policyAllowed).toEqual([pad]);
  });

  it('grants nothing the policy denies', async () => {
    await pnpmProject('allowBuilds:\n  esbuild: true\n');
    await writeFile(join(dir, 'safe-install.config.yaml'), 'version: 1\npackages:\n  left-pad: false\n');
    const engine = fakeEngine({ events: [] });
    const result = await startCi({ dir, timeoutSeconds: 60, exportToProject: false }, quietObserver(), { engine, packageManager: { ...pnpm, hostConfig: testNpm.hostConfig } }).result;
    expect(String(engine.asked[0]?.upload.find((f) => f.path === 'project/pnpm-workspace.yaml')?.content)).toBe('allowBuilds:\n  esbuild: true\n');
    expect(result.scriptReview?.policyAllowed).toBeUndefined();
  });
});
