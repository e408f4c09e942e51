/**
 * The approve engine on a fake engine: the real pipeline, policy, behaviours and writers. What
 * goes into the sandbox (its package.json allows the pending package; the host's does not change),
 * that nothing comes back, what each package did, and what each decision writes.
 */
import { mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TraceEvent } from '@safe-install/schema';
import { fakeEngine, quietObserver, testNpm, type Scripted } from '../fake-engine.test-helper.js';
import { startApproval } from './approve.js';
import { pnpm } from '../pnpm.js';
import { bun } from '../bun.js';
import { packFolder, type Project } from '@safe-install/sandbox';
import { selectUntrusted, withTarballVersions } from './bun-approve.js';
import { BUN_LOCK, NPM_LOCK as LOCK, PNPM_LOCK } from '../lock-fixtures.test-helper.js';

// Four spaces and a key after allowScripts: both must survive the edit.
const MANIFEST = '{\n    "name": "app",\n    "version": "1.0.0",\n    "allowScripts": {\n        "esbuild": true\n    },\n    "dependencies": {\n        "left-pad": "1.3.0",\n        "esbuild": "0.25.12"\n    }\n}\n';

const pad = { name: 'left-pad', version: '1.3.0' };
const base = { source: 'tracer' as const, ppid: 1, package: pad, lifecycle: 'install', run: 1 };
const scriptRun = (extra: TraceEvent[] = []): TraceEvent[] => [
  { ...base, id: 'e1', ts: 1000, pid: 10, type: 'script', action: 'start', command: 'node install.js', cwd: '/home/node/project/node_modules/left-pad' },
  { ...base, id: 'e2', ts: 1100, pid: 10, type: 'process', action: 'exec', path: '/usr/local/bin/node', argv: ['node', 'install.js'], cwd: '/home/node/project/node_modules/left-pad', ok: true },
  ...extra,
  { ...base, id: 'e9', ts: 2000, pid: 10, type: 'script', action: 'end', code: 0 },
];
const egress: TraceEvent = { ...base, id: 'e3', ts: 1500, pid: 11, type: 'network', action: 'connect', family: 'AF_INET', address: '198.51.100.7', port: 443, ok: false, errno: 'ENETUNREACH' };

let project: string;
beforeEach(async () => {
  project = await mkdtemp(join(tmpdir(), 'si-approve-'));
  await writeFile(join(project, 'package.json'), MANIFEST);
  await writeFile(join(project, 'package-lock.json'), JSON.stringify(LOCK));
});
afterEach(async () => {
  await rm(project, { recursive: true, force: true });
});

async function session(script: Scripted) {
  const engine = fakeEngine({ nodeModules: { 'left-pad/index.js': 'x' }, ...script });
  const s = await startApproval({ dir: project, timeoutSeconds: 60 }, quietObserver(), { engine, packageManager: testNpm }).session;
  return { session: s, engine };
}

describe('approve on the pipeline', () => {
  it('allows the pending package in the sandbox copy only, and brings nothing back', async () => {
    const { session: s, engine } = await session({ events: scriptRun() });
    const uploaded = engine.asked[0]?.upload.find((f) => f.path === 'project/package.json');
    expect(JSON.parse(String(uploaded?.content)).allowScripts).toEqual({ esbuild: true, 'left-pad@1.3.0': true });
    expect(engine.asked[0]?.stageIn?.startsWith(project)).toBe(false);
    expect(await readFile(join(project, 'package.json'), 'utf8')).toBe(MANIFEST);
    expect((await readdir(project)).sort()).toEqual(['package-lock.json', 'package.json']);
    expect(s.reviews.map((r) => [r.path, r.entry, r.package])).toEqual([['node_modules/left-pad', 'left-pad@1.3.0', pad]]);
  });

  it('shows what the package did; the question itself (script-not-allowed) is no finding', async () => {
    const clean = (await session({ events: scriptRun() })).session.reviews[0];
    expect(clean?.findings).toEqual([]);
    expect([...(clean?.scripts[0]?.values.exec ?? [])]).toEqual(['/usr/local/bin/node install.js']);
    const dirty = (await session({ events: scriptRun([egress]) })).session.reviews[0];
    expect(dirty?.findings.map((f) => f.ruleId)).toContain('network-direct-connect');
    expect([...(dirty?.scripts[0]?.values.host ?? [])]).toEqual(['198.51.100.7:443']);
  });

  it('a policy that denies the package is a finding (the same rule id as the question, but an answer)', async () => {
    await writeFile(join(project, 'safe-install.config.yaml'), 'version: 1\npackages:\n  left-pad: false\n');
    const review = (await session({ events: scriptRun() })).session.reviews[0];
    expect(review?.findings.map((f) => [f.ruleId, f.message])).toEqual([['script-not-allowed', expect.stringMatching(/denies/)]]);
  });

  it('approve writes the pinned entry (formatting kept), the policy allowance and the recorded run', async () => {
    const { session: s } = await session({ events: scriptRun() });
    const outcome = await s.apply(new Map([[s.reviews[0]!, 'approve']]), new Date('2026-12-03T08:00:00Z'));
    expect(outcome.packageJson).toMatchObject({ written: true, approved: ['left-pad@1.3.0'], warnings: [] });
    expect(await readFile(join(project, 'package.json'), 'utf8')).toBe(MANIFEST.replace('"esbuild": true\n', '"esbuild": true,\n        "left-pad@1.3.0": true\n'));
    expect(outcome.policy?.written).toBe(true);
    expect(await readFile(join(project, 'safe-install.config.yaml'), 'utf8')).toMatch(/\n {2}# left-pad@1\.3\.0 install ran `node install\.js`\n {2}left-pad@1\.3\.0: true\n/);
    const recorded = JSON.parse(await readFile(join(project, '.safe-install/approvals.json'), 'utf8')) as { approvals: Record<string, { approvedAt: string; scripts: Record<string, unknown> }> };
    expect(Object.keys(recorded.approvals)).toEqual(['left-pad@1.3.0']);
    expect(recorded.approvals['left-pad@1.3.0']?.approvedAt).toBe('2026-12-03T08:00:00.000Z');
    expect(Object.keys(recorded.approvals['left-pad@1.3.0']?.scripts ?? {})).toEqual(['install']);
  });

  it('deny writes a name-only false entry and nothing else; skip writes nothing', async () => {
    const { session: s } = await session({ events: scriptRun([egress]) });
    const skipped = await s.apply(new Map());
    expect(skipped.packageJson.written).toBe(false);
    expect(await readFile(join(project, 'package.json'), 'utf8')).toBe(MANIFEST);
    const denied = await s.apply(new Map([[s.reviews[0]!, 'deny']]));
    expect(denied.policy).toBeNull();
    expect(denied.approvals.written).toBe(false);
    expect(JSON.parse(await readFile(join(project, 'package.json'), 'utf8')).allowScripts).toEqual({ esbuild: true, 'left-pad': false });
    expect((await readdir(project)).sort()).toEqual(['package-lock.json', 'package.json']);
  });

  it('a deny added meanwhile wins: nothing is approved anywhere', async () => {
    const { session: s } = await session({ events: scriptRun() });
    await writeFile(join(project, 'package.json'), MANIFEST.replace('"esbuild": true', '"esbuild": true, "left-pad@1.0.0": false'));
    const outcome = await s.apply(new Map([[s.reviews[0]!, 'approve']]));
    expect(outcome.packageJson).toMatchObject({ written: false, approved: [] });
    expect(outcome.packageJson.warnings[0]).toMatch(/left-pad@1\.0\.0 is denied/);
    expect(outcome.policy).toBeNull();
  });

  it('never writes through a symbolic link at package.json', async () => {
    const { session: s } = await session({ events: scriptRun() });
    const real = join(project, 'real-package.json');
    await writeFile(real, MANIFEST);
    await rm(join(project, 'package.json'));
    await symlink(real, join(project, 'package.json'));
    await expect(s.apply(new Map([[s.reviews[0]!, 'deny']]))).rejects.toThrow(/symbolic link/);
    expect(await readFile(real, 'utf8')).toBe(MANIFEST);
  });

  it('with nothing pending there is no run', async () => {
    await writeFile(join(project, 'package.json'), MANIFEST.replace('"esbuild": true', '"esbuild": true, "left-pad@1.3.0": true'));
    const { session: s, engine } = await session({ events: [] });
    expect(s.reviews).toEqual([]);
    expect(s.run).toBeNull();
    expect(engine.asked).toEqual([]);
  });
});

describe('approve on a pnpm project', () => {
  it("allows every undecided build in the sandbox's pnpm-workspace.yaml only; a package none of whose scripts ran is not asked about", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'si-approve-pnpm-'));
    try {
      await writeFile(join(dir, 'package.json'), '{"name":"app","version":"1.0.0","packageManager":"pnpm@10.34.8","dependencies":{"left-pad":"1.3.0"}}\n');
      await writeFile(join(dir, 'pnpm-lock.yaml'), PNPM_LOCK);
      await writeFile(join(dir, 'pnpm-workspace.yaml'), '# mine\nallowBuilds:\n  esbuild: true\n');
      const engine = fakeEngine({ events: [] });
      const s = await startApproval({ dir, timeoutSeconds: 60 }, quietObserver(), { engine, packageManager: { ...pnpm, hostConfig: testNpm.hostConfig } }).session;
      const uploaded = engine.asked[0]?.upload.find((f) => f.path === 'project/pnpm-workspace.yaml');
      expect(String(uploaded?.content)).toBe('# mine\nallowBuilds:\n  esbuild: true\n  left-pad@1.3.0: true\n');
      expect(await readFile(join(dir, 'pnpm-workspace.yaml'), 'utf8')).toBe('# mine\nallowBuilds:\n  esbuild: true\n');
      expect(s.field).toBe('allowBuilds');
      expect(s.reviews).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('approve on a pnpm project: the decisions', () => {
  let dir: string;
  const pnpmSession = async (workspace: string) => {
    await writeFile(join(dir, 'pnpm-workspace.yaml'), workspace);
    const engine = fakeEngine({ events: scriptRun() });
    return (await startApproval({ dir, timeoutSeconds: 60 }, quietObserver(), { engine, packageManager: { ...pnpm, hostConfig: testNpm.hostConfig } }).session);
  };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'si-approve-pnpm-'));
    await writeFile(join(dir, 'package.json'), '{"name":"app","version":"1.0.0","packageManager":"pnpm@10.34.8","dependencies":{"left-pad":"1.3.0"}}\n');
    await writeFile(join(dir, 'pnpm-lock.yaml'), PNPM_LOCK);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('approve pins name@version in allowBuilds (the file kept), learns the policy and records the run', async () => {
    const s = await pnpmSession('# mine\npackages: []\n');
    expect(s.reviews.map((r) => [r.package.name, r.entry])).toEqual([['left-pad', 'left-pad@1.3.0']]);
    const outcome = await s.apply(new Map([[s.reviews[0]!, 'approve']]), new Date('2026-12-03T08:00:00Z'));
    expect(outcome.packageJson).toMatchObject({ written: true, approved: ['left-pad@1.3.0'], field: 'allowBuilds in pnpm-workspace.yaml' });
    expect(await readFile(join(dir, 'pnpm-workspace.yaml'), 'utf8')).toBe('# mine\npackages: []\nallowBuilds:\n  left-pad@1.3.0: true\n');
    expect(outcome.policy?.written).toBe(true);
    expect(Object.keys((JSON.parse(await readFile(join(dir, '.safe-install/approvals.json'), 'utf8')) as { approvals: object }).approvals)).toEqual(['left-pad@1.3.0']);
  });

  it('deny writes name: false and nothing else; a deny added since the run wins over an approval', async () => {
    const s = await pnpmSession('allowBuilds:\n  esbuild: true\n');
    const denied = await s.apply(new Map([[s.reviews[0]!, 'deny']]));
    expect(denied.policy).toBeNull();
    expect(await readFile(join(dir, 'pnpm-workspace.yaml'), 'utf8')).toBe('allowBuilds:\n  esbuild: true\n  left-pad: false\n');
    const approved = await s.apply(new Map([[s.reviews[0]!, 'approve']]));
    expect(approved.packageJson.approved).toEqual([]);
    expect(approved.packageJson.warnings).toEqual([expect.stringMatching(/left-pad is denied in pnpm-workspace.yaml \(a deny wins\)/)]);
    expect(approved.policy).toBeNull();
  });

  it('a version bump: a pin of another version is the version approved before', async () => {
    const s = await pnpmSession('allowBuilds:\n  left-pad@1.2.0: true\n');
    expect(s.reviews[0]?.approvedBefore).toEqual(['left-pad@1.2.0']);
    expect(s.reviews[0]?.previous).toEqual({ version: '1.2.0', changes: null });
  });

  it('refuses to write through a symlinked pnpm-workspace.yaml', async () => {
    const s = await pnpmSession('packages: []\n');
    await rm(join(dir, 'pnpm-workspace.yaml'));
    await writeFile(join(dir, 'elsewhere.yaml'), 'packages: []\n');
    await symlink(join(dir, 'elsewhere.yaml'), join(dir, 'pnpm-workspace.yaml'));
    await expect(s.apply(new Map([[s.reviews[0]!, 'approve']]))).rejects.toThrow(/symbolic link/);
    expect(await readFile(join(dir, 'elsewhere.yaml'), 'utf8')).toBe('packages: []\n');
  });
});

describe('approve on a Bun project', () => {
  let dir: string;
  // Four spaces and a key after the field's place: both must survive the edit.
  const manifest = (trusted?: string) => `{\n    "name": "app",\n    "version": "1.0.0",\n    "packageManager": "bun@1.4.4",${trusted === undefined ? '' : `\n    "trustedDependencies": ${trusted},`}\n    "dependencies": {\n        "esbuild": "0.25.12",\n        "left-pad": "1.3.0"\n    }\n}\n`;
  const bunSession = async (trusted?: string, events = scriptRun()) => {
    await writeFile(join(dir, 'package.json'), manifest(trusted));
    const engine = fakeEngine({ events });
    const s = await startApproval({ dir, timeoutSeconds: 60 }, quietObserver(), { engine, packageManager: { ...bun, hostConfig: testNpm.hostConfig } }).session;
    return { s, engine };
  };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'si-approve-bun-'));
    await writeFile(join(dir, 'bun.lock'), BUN_LOCK);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("trusts every untrusted package in the sandbox's package.json only, keeping the default-trusted ones that ran before", async () => {
    const { s, engine } = await bunSession();
    const uploaded = engine.asked[0]?.upload.find((f) => f.path === 'project/package.json');
    expect(JSON.parse(String(uploaded?.content)).trustedDependencies).toEqual(['esbuild', 'left-pad']);
    expect(await readFile(join(dir, 'package.json'), 'utf8')).toBe(manifest());
    expect(s.field).toBe('trustedDependencies');
    expect(s.reviews.map((r) => [r.package.name, r.entry])).toEqual([['left-pad', 'left-pad']]);
  });

  it('a package none of whose scripts ran is not asked about; with a field, only its names are kept', async () => {
    const { s, engine } = await bunSession('["other"]', []);
    const uploaded = engine.asked[0]?.upload.find((f) => f.path === 'project/package.json');
    // esbuild is not trusted once the field exists: it runs in the sandbox, and would be asked about had it run.
    expect(JSON.parse(String(uploaded?.content)).trustedDependencies).toEqual(['other', 'esbuild', 'left-pad']);
    expect(s.reviews).toEqual([]);
  });

  it('approve writes the field by name, carrying the default-trusted packages the lockfile installs (formatting kept); the version pinned in the policy and approvals', async () => {
    const { s } = await bunSession();
    const outcome = await s.apply(new Map([[s.reviews[0]!, 'approve']]), new Date('2026-12-03T08:00:00Z'));
    expect(outcome.packageJson).toMatchObject({ written: true, approved: ['left-pad@1.3.0'], field: 'trustedDependencies in package.json' });
    expect(outcome.packageJson.warnings).toEqual([expect.stringMatching(/takes names, not versions: Bun runs the scripts of any version of left-pad/)]);
    expect(await readFile(join(dir, 'package.json'), 'utf8')).toBe(manifest().replace('"dependencies"', '"dependencies"').replace('\n}\n', ',\n    "trustedDependencies": [\n        "esbuild",\n        "left-pad"\n    ]\n}\n'));
    expect(outcome.policy?.written).toBe(true);
    expect(Object.keys((JSON.parse(await readFile(join(dir, '.safe-install/approvals.json'), 'utf8')) as { approvals: object }).approvals)).toEqual(['left-pad@1.3.0']);
  });

  it('an existing field is edited in place', async () => {
    const { s } = await bunSession('["esbuild"]');
    const approved = await s.apply(new Map([[s.reviews[0]!, 'approve']]));
    expect(approved.packageJson.written).toBe(true);
    expect(await readFile(join(dir, 'package.json'), 'utf8')).toBe(manifest('[\n        "esbuild",\n        "left-pad"\n    ]'));
  });

  it("deny leaves the name out of trustedDependencies and denies it in the policy by name (Bun's list cannot deny)", async () => {
    const { s } = await bunSession('["esbuild"]');
    const denied = await s.apply(new Map([[s.reviews[0]!, 'deny']]));
    expect(denied.packageJson).toMatchObject({ written: false, approved: [] });
    expect(await readFile(join(dir, 'package.json'), 'utf8')).toBe(manifest('["esbuild"]'));
    const policyPath = join(dir, 'safe-install.config.yaml');
    expect(denied.policy).toMatchObject({ path: policyPath, written: true, applied: 1 });
    expect(await readFile(policyPath, 'utf8')).toMatch(/# left-pad denied by safe-install approve.*\n {2}left-pad: false\n/);
    // The next session reads the denial: denying again writes nothing anywhere.
    const { s: next } = await bunSession('["esbuild"]');
    const again = await next.apply(new Map([[next.reviews[0]!, 'deny']]));
    expect(again.packageJson.written).toBe(false);
    expect(again.policy?.written).toBe(false);
  });

  it("reads a local tarball's version from its package.json for display only (bun.lock records none); an unreadable one shows none", async () => {
    // A package tarball as npm packs it: package/package.json, gzip'd.
    const tarball = 'tgz-2.5.0.tgz';
    const source = await mkdtemp(join(tmpdir(), 'si-approve-tgz-'));
    await writeFile(join(source, 'package.json'), JSON.stringify({ name: 'tgz', version: '2.5.0' }));
    await writeFile(join(dir, tarball), await packFolder(source));
    await rm(source, { recursive: true, force: true });
    await writeFile(join(dir, 'broken.tgz'), 'not a tarball');
    const pending = selectUntrusted({ manifest: {}, lockfile: { identities: { byPath: new Map([
      ['node_modules/tgz', { name: 'tgz', version: `file:${tarball}`, path: 'node_modules/tgz', installedAs: 'tgz', source: 'file' as const }],
      ['node_modules/broken', { name: 'broken', version: 'file:broken.tgz', path: 'node_modules/broken', installedAs: 'broken', source: 'file' as const }],
      ['node_modules/left-pad', { name: 'left-pad', version: '1.3.0', path: 'node_modules/left-pad', installedAs: 'left-pad', source: 'registry' as const }],
    ]) } } as unknown as Project['lockfile'] });
    const shown = await withTarballVersions(dir, pending);
    expect(shown.map((p) => [p.package.version, p.entry, p.candidate.displayVersion])).toEqual([[`file:${tarball}`, 'tgz', '2.5.0'], ['file:broken.tgz', 'broken', 'file:broken.tgz'], ['1.3.0', 'left-pad', '1.3.0']]);
  });

  it('refuses a field that is not a list of names, and a symlinked package.json, writing nothing', async () => {
    const { s } = await bunSession();
    await writeFile(join(dir, 'package.json'), manifest('{"left-pad": true}'));
    await expect(s.apply(new Map([[s.reviews[0]!, 'approve']]))).rejects.toMatchObject({ code: 'APPROVE_NOT_WRITTEN' });
    expect(await readFile(join(dir, 'package.json'), 'utf8')).toBe(manifest('{"left-pad": true}'));
    await writeFile(join(dir, 'package.json'), manifest('["a", 1]'));
    await expect(s.apply(new Map([[s.reviews[0]!, 'approve']]))).rejects.toMatchObject({ code: 'APPROVE_NOT_WRITTEN' });
    await rm(join(dir, 'package.json'));
    await writeFile(join(dir, 'elsewhere.json'), manifest());
    await symlink(join(dir, 'elsewhere.json'), join(dir, 'package.json'));
    await expect(s.apply(new Map([[s.reviews[0]!, 'approve']]))).rejects.toThrow(/symbolic link/);
    expect(await readFile(join(dir, 'elsewhere.json'), 'utf8')).toBe(manifest());
  });
});
