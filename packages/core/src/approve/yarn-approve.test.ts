import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { yarnBerry, yarnrcOf } from '../yarn-berry.js';
import { planYarnBuilds, selectUndecidedYarnBuilds, selectYarnClassicPackages, withSandboxYarnScripts, withTracedFolders, yarnLockWithBuilds } from './yarn-approve.js';
import type { ApprovalCandidate } from './select.js';
import { BERRY_LOCK, BERRY_LOCK_HEAD } from '../yarn-lock-fixtures.test-helper.js';

const HEAD = BERRY_LOCK_HEAD;
const LOCK = BERRY_LOCK;
/** What Yarn 4.18.1 writes (`yarn install --mode=update-lockfile`) for dependenciesMeta {"left-pad@1.3.0": {built: true}, "@types/node": {built: false}}. */
const LOCK_WITH_META = `${HEAD}  dependenciesMeta:\n    "@types/node":\n      built: false\n    left-pad@1.3.0:\n      built: true\n  languageName: unknown\n  linkType: soft\n`;

describe("yarn.lock's copy of the root's dependenciesMeta, as Yarn writes it", () => {
  it('adds the block where Yarn puts it, keys sorted and quoted as Yarn quotes them', () => {
    expect(yarnLockWithBuilds(LOCK, [{ key: 'left-pad@1.3.0', built: true }, { key: '@types/node', built: false }])).toBe(LOCK_WITH_META);
  });

  it('changes an entry, keeps the others and their other fields, and drops a `built` it is told to (the entry with it when nothing is left)', () => {
    const withUnplugged = LOCK_WITH_META.replace('      built: false\n', '      built: false\n      unplugged: true\n');
    expect(yarnLockWithBuilds(withUnplugged, [{ key: '@types/node', built: true }])).toBe(withUnplugged.replace('built: false', 'built: true'));
    expect(yarnLockWithBuilds(LOCK_WITH_META, [{ key: 'left-pad', built: false }], ['left-pad@1.3.0'])).toBe(LOCK_WITH_META.replace('    left-pad@1.3.0:\n      built: true\n', '    left-pad:\n      built: false\n'));
    expect(yarnLockWithBuilds(LOCK_WITH_META, [], ['left-pad@1.3.0', '@types/node'])).toBe(LOCK);
  });

  it('refuses a lockfile without a root entry, or with lines Yarn does not write there', () => {
    expect(() => yarnLockWithBuilds(LOCK.replaceAll('@workspace:.', '@workspace:packages/a'), [{ key: 'a', built: true }])).toThrow(/no entry for the root workspace/);
    expect(() => yarnLockWithBuilds(LOCK.replace('  dependencies:', '   odd: 1\n  dependencies:'), [{ key: 'a', built: true }])).toThrow(/does not write/);
    expect(() => yarnLockWithBuilds(LOCK_WITH_META.replace('      built: true', '      built: true # x: y'), [{ key: 'a', built: true }])).not.toThrow();
    expect(() => yarnLockWithBuilds(LOCK_WITH_META.replace('      built: true', '        deeper: true'), [{ key: 'a', built: true }])).toThrow(/does not write/);
  });
});

describe('Yarn Berry approve: what is undecided, and the sandbox copy', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'yarn-approve-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const project = async (manifest: Record<string, unknown>, yarnrc = 'nodeLinker: node-modules\n') => {
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'p', version: '1.0.0', packageManager: 'yarn@4.18.1', dependencies: { 'left-pad': '^1.3.0' }, ...manifest }, null, 2));
    await writeFile(join(dir, 'yarn.lock'), LOCK);
    await writeFile(join(dir, '.yarnrc.yml'), yarnrc);
    return yarnBerry.readProject(dir);
  };

  it('asks about locked packages with no built decision, pinned to their version; none when enableScripts is on', async () => {
    expect(selectUndecidedYarnBuilds(await project({})).map((p) => [p.entry, p.package, p.candidate.kind])).toEqual([['left-pad@1.3.0', { name: 'left-pad', version: '1.3.0' }, 'registry']]);
    expect(selectUndecidedYarnBuilds(await project({ dependenciesMeta: { 'left-pad': { built: false } } }))).toEqual([]);
    expect(selectUndecidedYarnBuilds(await project({ dependenciesMeta: { 'left-pad@1.3.0': { built: true } } }))).toEqual([]);
    // Another version's pin decides nothing for this one, and says it was approved before.
    expect(selectUndecidedYarnBuilds(await project({ dependenciesMeta: { 'left-pad@1.2.0': { built: true }, 'left-pad@1.3.0': { unplugged: true } } }))[0]!.approvedBefore).toEqual(['left-pad@1.2.0']);
    expect(selectUndecidedYarnBuilds(await project({}, 'nodeLinker: node-modules\nenableScripts: true\n'))).toEqual([]);
  });

  it("turns scripts on in the sandbox's copy of .yarnrc.yml only, keeping its other settings", async () => {
    const own = await project({}, 'nodeLinker: node-modules\nenableScripts: false\n');
    const copy = withSandboxYarnScripts(own);
    expect(yarnrcOf(copy)).toEqual({ nodeLinker: 'node-modules', enableScripts: true });
    expect(yarnrcOf(own)).toEqual({ nodeLinker: 'node-modules', enableScripts: false });
    expect(await readFile(join(dir, '.yarnrc.yml'), 'utf8')).toBe('nodeLinker: node-modules\nenableScripts: false\n');
  });
});

describe('Yarn Berry approve: writing the decisions', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'yarn-approve-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const review = (name: string, version: string): ApprovalCandidate => ({
    candidate: { path: `node_modules/${name}`, name, version, displayVersion: version, kind: 'registry', resolved: null },
    path: `node_modules/${name}`,
    package: { name, version },
    entry: `${name}@${version}`,
    approvedBefore: [],
  });

  it('approves pinned, denies by name (a pinned allow of that name loses its built), keeps package.json key order and formatting, and updates yarn.lock', async () => {
    // Tabs, a key after dependenciesMeta: both kept.
    const text = '{\n\t"name": "p",\n\t"dependenciesMeta": {\n\t\t"evil@0.9.0": {\n\t\t\t"built": true\n\t\t}\n\t},\n\t"private": true\n}\n';
    await writeFile(join(dir, 'package.json'), text);
    await writeFile(join(dir, 'yarn.lock'), LOCK.replace('  languageName: unknown', '  dependenciesMeta:\n    evil@0.9.0:\n      built: true\n  languageName: unknown'));
    const plan = await planYarnBuilds(dir, [{ review: review('left-pad', '1.3.0'), decision: 'approve' }, { review: review('evil', '1.0.0'), decision: 'deny' }]);
    expect(plan.outcome.written).toBe(false);
    await plan.write();
    expect(plan.outcome.written).toBe(true);
    expect([...plan.approvedIds]).toEqual(['left-pad@1.3.0']);
    expect(plan.outcome.changes).toEqual([{ key: 'evil@0.9.0', change: 'removed-pinned-allow' }, { key: 'evil', change: 'added' }, { key: 'left-pad@1.3.0', change: 'added' }]);
    expect(await readFile(join(dir, 'package.json'), 'utf8')).toBe('{\n\t"name": "p",\n\t"dependenciesMeta": {\n\t\t"evil": {\n\t\t\t"built": false\n\t\t},\n\t\t"left-pad@1.3.0": {\n\t\t\t"built": true\n\t\t}\n\t},\n\t"private": true\n}\n');
    expect(await readFile(join(dir, 'yarn.lock'), 'utf8')).toBe(LOCK.replace('  languageName: unknown', '  dependenciesMeta:\n    evil:\n      built: false\n    left-pad@1.3.0:\n      built: true\n  languageName: unknown'));
  });

  it('a deny wins: a name denied already, or in the same decisions, is not approved at any version', async () => {
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'p', dependenciesMeta: { 'left-pad': { built: false } } }, null, 2));
    await writeFile(join(dir, 'yarn.lock'), LOCK);
    const plan = await planYarnBuilds(dir, [{ review: review('left-pad', '1.3.0'), decision: 'approve' }, { review: review('b', '2.0.0'), decision: 'approve' }, { review: review('b', '1.0.0'), decision: 'deny' }]);
    expect([...plan.approvedIds]).toEqual([]);
    expect(plan.outcome.warnings).toEqual([expect.stringContaining('left-pad@1.3.0 not approved'), expect.stringContaining('b@2.0.0 not approved')]);
  });

  it('writes nothing into a package.json that is a link, not an object of objects, or a lockfile it cannot place the entry in', async () => {
    await writeFile(join(dir, 'yarn.lock'), LOCK);
    await writeFile(join(dir, 'real.json'), '{}');
    await symlink(join(dir, 'real.json'), join(dir, 'package.json'));
    const decisions = [{ review: review('left-pad', '1.3.0'), decision: 'approve' as const }];
    await expect(planYarnBuilds(dir, decisions)).rejects.toThrow();
    await rm(join(dir, 'package.json'));
    await writeFile(join(dir, 'package.json'), '{"dependenciesMeta": []}');
    await expect(planYarnBuilds(dir, decisions)).rejects.toMatchObject({ code: 'APPROVE_NOT_WRITTEN' });
    await writeFile(join(dir, 'package.json'), '{"name": "p"}');
    await writeFile(join(dir, 'yarn.lock'), '__metadata:\n  version: 10\n');
    await expect(planYarnBuilds(dir, decisions)).rejects.toMatchObject({ code: 'APPROVE_NOT_WRITTEN' });
    expect(await readFile(join(dir, 'package.json'), 'utf8')).toBe('{"name": "p"}');
  });
});

describe('Yarn classic approve: the candidates', () => {
  it('are the locked packages, each once, at the folder the run shows their scripts in (else where Yarn 1 hoists them)', () => {
    const locked = [{ name: 'core-js', version: '3.45.1' }, { name: 'nan', version: '2.30.0' }, { name: 'core-js', version: '3.45.1' }];
    const pending = selectYarnClassicPackages({ lockfile: { locked } } as never);
    expect(pending.map((p) => [p.entry, p.path])).toEqual([['core-js@3.45.1', 'node_modules/core-js'], ['nan@2.30.0', 'node_modules/nan']]);
    const events = [
      { type: 'script', action: 'start', package: { name: 'nan', version: '2.30.0' }, cwd: '/home/node/project/packages/a/node_modules/nan' },
      // Outside the project: not a folder of it.
      { type: 'script', action: 'start', package: { name: 'core-js', version: '3.45.1' }, cwd: '/tmp/x' },
    ];
    expect(withTracedFolders(pending, events as never).map((p) => [p.path, p.candidate.path])).toEqual([['node_modules/core-js', 'node_modules/core-js'], ['packages/a/node_modules/nan', 'packages/a/node_modules/nan']]);
  });
});
