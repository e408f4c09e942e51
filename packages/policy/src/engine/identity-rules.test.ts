/**
 * Identity: the lockfile's word decides who a script is (the host sets `package` from it); what
 * the package claimed is evidence; a `file:` folder is a dependency; a nested `npm run` is part of
 * its script; a planted `.bin` entry is its planter's doing.
 */
import type { PackageIdentity } from '@safe-install/schema';
import { findingsOf, HOME, judge, NM, policyFrom, PROJECT, summary, Trace } from '../testing/synthetic-trace.js';

const id = (name: string, version: string, path: string, source: PackageIdentity['source'], extra: Partial<PackageIdentity> = {}): PackageIdentity => ({
  name, version, path, installedAs: path.split('/').pop() ?? name, source, ...extra,
});

const POLICY = policyFrom(`
version: 1
packages:
  trusted:
    network: [cdn.trusted.example]
  app-lib: true
`);

describe('identity-mismatch', () => {
  it('is high when the claimed name would have gained allowances the real package lacks', () => {
    const t = new Trace();
    t.script('evil@6.6.6', 'postinstall', 'node x.js', {
      identity: id('evil', '6.6.6', 'node_modules/evil', 'file', { resolved: 'file:evil-6.6.6.tgz' }),
      claimed: { name: 'trusted', version: '1.0.0' },
    }).connect('127.0.0.1', 3128);
    const result = judge(t, POLICY);
    const [finding] = findingsOf(result, 'identity-mismatch');
    expect(finding).toMatchObject({ severity: 'high', package: { name: 'evil', version: '6.6.6' } });
    expect(finding?.message).toMatch(/claimed to be trusted@1\.0\.0, but the lockfile entry of node_modules\/evil is evil@6\.6\.6 \(file:evil-6\.6\.6\.tgz\)/);
    // The claim gains nothing: the real package's script is not allowed.
    expect(summary(result)).toContain('script-not-allowed:high');
  });

  it('is low for a claim that gains nothing, and silent when the claim matches', () => {
    const t = new Trace();
    t.script('lib@2.0.0', 'install', 'node x.js', { identity: id('lib', '2.0.0', 'node_modules/lib', 'file'), claimed: { name: '@org/lib', version: '2.0.0' } });
    t.script('trusted@1.0.0', 'install', 'node x.js', { identity: id('trusted', '1.0.0', 'node_modules/trusted', 'registry') });
    expect(findingsOf(judge(t, POLICY), 'identity-mismatch').map((f) => [f.package?.name, f.severity])).toEqual([['lib', 'low']]);
  });

  it("is silent for a version claim a lockfile cannot contradict (Bun's tarball: no version, `file:` path), not for a name claim", () => {
    const t = new Trace();
    t.script('tgz@file:tgz-1.0.0.tgz', 'postinstall', 'node x.js', { identity: id('tgz', 'file:tgz-1.0.0.tgz', 'node_modules/tgz', 'file'), claimed: { name: 'tgz', version: '1.0.0' } });
    t.script('other@file:other.tgz', 'postinstall', 'node x.js', { identity: id('other', 'file:other.tgz', 'node_modules/other', 'file'), claimed: { name: 'trusted', version: '1.0.0' } });
    // A registry identity with the same shape of claim is still a mismatch.
    t.script('reg@1.0.0', 'postinstall', 'node x.js', { identity: id('reg', '1.0.0', 'node_modules/reg', 'registry'), claimed: { name: 'reg', version: '2.0.0' } });
    expect(findingsOf(judge(t, POLICY), 'identity-mismatch').map((f) => f.package?.name)).toEqual(['other', 'reg']);
  });

  it('is medium for a script in a folder the lockfile does not list', () => {
    const t = new Trace();
    t.script('(unlocked) trusted@1.0.0', 'install', 'x', { identity: id('(unlocked) trusted', '1.0.0', '/tmp/x', 'unlocked'), cwd: '/tmp/x' });
    expect(findingsOf(judge(t, POLICY), 'identity-mismatch')).toMatchObject([{ severity: 'medium' }]);
  });
});

describe('project code and file: dependencies', () => {
  it('judges a file: folder dependency inside the project as a dependency, not the project\'s own code', () => {
    const t = new Trace();
    const dir = `${PROJECT}/vendor/lib`;
    t.script('lib@1.0.0', 'postinstall', 'node x.js', { cwd: dir, identity: id('lib', '1.0.0', 'vendor/lib', 'file') }).write(`${PROJECT}/src/index.js`);
    const result = summary(judge(t, POLICY));
    expect(result).toContain('script-not-allowed:high');
    // A workspace in the same place is the project's own: may run, may change the project.
    const w = new Trace();
    w.script('web@1.0.0', 'postinstall', 'node x.js', { cwd: `${PROJECT}/packages/web`, identity: id('web', '1.0.0', 'packages/web', 'workspace') }).write(`${PROJECT}/src/index.js`);
    expect(summary(judge(w, POLICY))).toEqual([]);
  });
});

describe('nested package-manager calls', () => {
  it('takes a package\'s own `npm run build` as part of its allowed script; another package\'s script run by the project is judged', () => {
    const t = new Trace();
    const outer = t.script('app-lib@1.0.0', 'install', 'npm run build', { identity: id('app-lib', '1.0.0', 'node_modules/app-lib', 'registry') });
    const npm = outer.run('/usr/local/bin/npm', ['npm', 'run', 'build'], { packageManager: true });
    t.script('app-lib@1.0.0', 'build', 'tsc', { identity: id('app-lib', '1.0.0', 'node_modules/app-lib', 'registry'), parentRun: 1, under: npm });
    expect(summary(judge(t, POLICY))).toEqual([]);

    const r = new Trace();
    const root = r.script('app@1.0.0', 'prepare', 'npm rebuild', { cwd: PROJECT, identity: id('app', '1.0.0', '', 'project') });
    const rebuild = root.run('/usr/local/bin/npm', ['npm', 'rebuild'], { packageManager: true });
    r.script('other@1.0.0', 'install', 'node x.js', { identity: id('other', '1.0.0', 'node_modules/other', 'registry'), parentRun: 1, under: rebuild });
    expect(findingsOf(judge(r, POLICY), 'script-not-allowed')).toMatchObject([{ package: { name: 'other' } }]);
  });
});

describe('a dependency\'s own copy of npm', () => {
  // `app-lib` depends on `npm`; its install script runs `npm run build`, which PATH finds in
  // node_modules/.bin: the lockfile's npm, not the image's. The tracer honours the nested run and
  // leaves the exec without `packageManager`.
  const trace = (npmrc: boolean) => {
    const t = new Trace();
    const outer = t.script('app-lib@1.0.0', 'install', 'npm run build', { identity: id('app-lib', '1.0.0', 'node_modules/app-lib', 'registry') });
    const npm = outer.run(`${NM}/.bin/npm`, ['npm', 'run', 'build']);
    if (npmrc) npm.read(`${HOME}/.npmrc`);
    t.script('app-lib@1.0.0', 'build', 'tsc', { identity: id('app-lib', '1.0.0', 'node_modules/app-lib', 'registry'), parentRun: 1, under: npm });
    return t.events.map((e) => (e.type === 'process' && e.action === 'exec' && e.path === `${NM}/.bin/npm` ? { ...e, binOf: id('npm', '10.9.2', 'node_modules/npm', 'registry') } : e));
  };

  it('is no finding merely for running it: not a shadowed system program, not a spoof', () => {
    expect(summary(judge(trace(false), POLICY))).toEqual([]);
  });

  it('gets no package-manager exemption: its ~/.npmrc read is the script\'s', () => {
    expect(findingsOf(judge(trace(true), POLICY), 'decoy-credential-read')).toMatchObject([{ package: { name: 'app-lib' } }]);
  });

  it('is still a shadow when a package other than the registry\'s npm declares `npm`', () => {
    const events = trace(false).map((e) => ('binOf' in e && e.binOf !== undefined ? { ...e, binOf: id('npm', '1.0.0', 'node_modules/npm', 'file') } : e));
    expect(findingsOf(judge(events, POLICY), 'planted-bin')).toMatchObject([{ package: { name: 'npm' } }]);
  });
});

describe('planted-bin', () => {
  it('blames a .bin entry written at install time on its writer when another package\'s script runs it', () => {
    const t = new Trace();
    t.script('planter@1.0.0', 'postinstall', 'node x.js').write(`${NM}/.bin/node`);
    t.script('app-lib@1.0.0', 'install', 'node build.js').run(`${NM}/.bin/node`, ['node', 'build.js']);
    const result = judge(t, POLICY);
    expect(findingsOf(result, 'planted-bin')).toMatchObject([{ severity: 'high', package: { name: 'planter' }, lifecycle: 'postinstall' }]);
    expect(findingsOf(result, 'planted-bin')[0]?.message).toMatch(/ran in app-lib@1\.0\.0's install script as `node build\.js`/);
  });

  it('blames a declared bin that shadows a system program on the package that declares it', () => {
    const t = new Trace();
    const exec = t.script('app-lib@1.0.0', 'install', 'node build.js').run(`${NM}/.bin/node`, ['node', 'build.js']);
    const events = t.events.map((e) => (e.type === 'process' && e.action === 'exec' && e.path === `${NM}/.bin/node` ? { ...e, binOf: id('planter', '1.0.0', 'node_modules/planter', 'registry') } : e));
    expect(exec.pid).toBeGreaterThan(0);
    expect(findingsOf(judge(events, POLICY), 'planted-bin')).toMatchObject([{ package: { name: 'planter', version: '1.0.0' } }]);
  });

  describe('what the planted program then does is the planter\'s', () => {
    it('re-attributes the planted program\'s subtree to the script that wrote the entry, the running script kept as context', () => {
      const t = new Trace();
      t.script('planter@1.0.0', 'postinstall', 'node x.js').write(`${NM}/.bin/node`);
      const user = t.script('app-lib@1.0.0', 'install', 'node build.js');
      user.read(`${PROJECT}/.env`); // before the planted program: app-lib's own
      const planted = user.run(`${NM}/.bin/node`, ['node', 'build.js']);
      planted.read(`${HOME}/.npmrc`);
      planted.run('/bin/sh', ['sh', '-c', 'cat ~/.aws/credentials']).read(`${HOME}/.aws/credentials`);
      const result = judge(t, POLICY);
      const reads = findingsOf(result, 'decoy-credential-read').map((f) => [f.package?.name, f.lifecycle, f.subject, f.ranIn?.package.name ?? null]);
      expect(reads).toEqual(
        expect.arrayContaining([
          ['app-lib', 'install', `${PROJECT}/.env`, null],
          ['planter', 'postinstall', `${HOME}/.npmrc`, 'app-lib'],
          ['planter', 'postinstall', `${HOME}/.aws/credentials`, 'app-lib'],
        ]),
      );
      expect(reads).toHaveLength(3);
      const npmrc = findingsOf(result, 'decoy-credential-read').find((f) => f.subject === `${HOME}/.npmrc`);
      expect(npmrc?.ranIn).toEqual({ package: { name: 'app-lib', version: '1.0.0' }, lifecycle: 'install', bin: `${NM}/.bin/node` });
      expect(npmrc?.message).toMatch(/its planted .*\/\.bin\/node ran in app-lib@1\.0\.0's install script/);
    });

    it('re-attributes a declared shadowing bin\'s subtree to the declaring package, in the lifecycle it ran in', () => {
      const t = new Trace();
      const user = t.script('app-lib@1.0.0', 'install', 'node build.js');
      const planted = user.run(`${NM}/.bin/node`, ['node', 'build.js']);
      planted.read(`${HOME}/.npmrc`);
      const sibling = user.run('/usr/bin/cat', ['cat', `${HOME}/.aws/credentials`]);
      sibling.read(`${HOME}/.aws/credentials`);
      const owner = id('planter', '1.0.0', 'node_modules/planter', 'registry');
      const events = t.events.map((e) => (e.type === 'process' && e.action === 'exec' && e.path === `${NM}/.bin/node` ? { ...e, binOf: owner } : e));
      const reads = findingsOf(judge(events, POLICY), 'decoy-credential-read').map((f) => [f.package?.name, f.lifecycle, f.subject, f.ranIn?.package.name ?? null]);
      // The sibling process is app-lib's own doing; only the planted program's subtree moves.
      expect(reads.sort()).toEqual([
        ['app-lib', 'install', `${HOME}/.aws/credentials`, null],
        ['planter', 'install', `${HOME}/.npmrc`, 'app-lib'],
      ]);
    });

    it('keeps the planter\'s own script\'s findings apart from its planted program\'s', () => {
      const t = new Trace();
      const planter = t.script('planter@1.0.0', 'postinstall', 'node x.js');
      planter.write(`${NM}/.bin/node`);
      planter.read(`${HOME}/.npmrc`);
      t.script('app-lib@1.0.0', 'install', 'node build.js').run(`${NM}/.bin/node`, ['node', 'build.js']).read(`${HOME}/.npmrc`);
      const reads = findingsOf(judge(t, POLICY), 'decoy-credential-read');
      expect(reads.map((f) => [f.package?.name, f.ranIn?.package.name ?? null])).toEqual([
        ['planter', null],
        ['planter', 'app-lib'],
      ]);
    });
  });

  it('does not fire for a dependency\'s own bin (node-gyp-build run from .bin) or a package running its own', () => {
    const t = new Trace();
    t.script('app-lib@1.0.0', 'install', 'node-gyp-build').run(`${NM}/.bin/node-gyp-build`, ['node-gyp-build']);
    t.script('planter@1.0.0', 'postinstall', 'x').run(`${NM}/.bin/node`, ['node']);
    const events = t.events.map((e) =>
      e.type === 'process' && e.action === 'exec' && e.path.startsWith(`${NM}/.bin/`)
        ? { ...e, binOf: e.path.endsWith('/node') ? id('planter', '1.0.0', 'node_modules/planter', 'registry') : id('node-gyp-build', '4.8.0', 'node_modules/node-gyp-build', 'registry') }
        : e,
    );
    expect(findingsOf(judge(events, POLICY), 'planted-bin')).toEqual([]);
  });
});
