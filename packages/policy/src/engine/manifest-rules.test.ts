import type { PackageRef, TraceEvent } from '@safe-install/schema';
import { changedManifest } from './analyze-manifest.js';
import { findingsOf, judge, NM, PROJECT, Trace } from '../testing/synthetic-trace.js';

let next = 0;
function fsdiff(t: Trace, change: 'created' | 'modified' | 'deleted', path: string, who?: { package: PackageRef; lifecycle: string }, phase?: string): TraceEvent {
  return t.push({ id: `d${++next}`, ts: t.tick(), source: 'fsdiff', type: 'fsdiff', pid: 0, ppid: 0, change, path, ...(who ?? {}), ...(phase ? { phase } : {}) } as TraceEvent);
}

describe('changedManifest', () => {
  const table: Array<[change: 'created' | 'modified' | 'deleted', path: string, expected: string | null]> = [
    ['modified', `${PROJECT}/package.json`, 'package.json'],
    ['modified', `${PROJECT}/package-lock.json`, 'package-lock.json'],
    ['deleted', `${PROJECT}/npm-shrinkwrap.json`, 'npm-shrinkwrap.json'],
    ['modified', `${PROJECT}/packages/a/package.json`, 'packages/a/package.json'],
    ['created', `${PROJECT}/packages/a/package-lock.json`, 'packages/a/package-lock.json'],
    // A build writing dist/package.json ({"type": "commonjs"}) is ordinary.
    ['created', `${PROJECT}/dist/package.json`, null],
    // npm writes these; the trace judges writes into packages.
    ['modified', `${NM}/a/package.json`, null],
    ['created', `${NM}/.package-lock.json`, null],
    ['modified', `${PROJECT}/packages/a/node_modules/b/package.json`, null],
    ['modified', `${PROJECT}/src/index.js`, null],
    ['modified', '/home/node/package.json', null],
    ['modified', `${PROJECT}-other/package.json`, null],
  ];
  it.each(table)('%s %s -> %j', (change, path, expected) => {
    expect(changedManifest(path, change, PROJECT)).toBe(expected);
  });
});

describe('manifest-change', () => {
  it('fires for the project package.json changed by the install, attributed to the last traced writer', () => {
    const t = new Trace();
    t.script('evil-pkg@1.0.0', 'postinstall', 'node x.js');
    const event = fsdiff(t, 'modified', `${PROJECT}/package.json`, { package: { name: 'evil-pkg', version: '1.0.0' }, lifecycle: 'postinstall' });
    const [finding] = findingsOf(judge(t), 'manifest-change');
    expect(finding).toMatchObject({ severity: 'high', package: { name: 'evil-pkg' }, evidence: [event.id] });
    expect(finding?.message).toMatch(/changed the project's package.json/);
  });

  it('fires without attribution too (a change the tracer did not see), and for a removed workspace lockfile', () => {
    const t = new Trace();
    fsdiff(t, 'deleted', `${PROJECT}/packages/a/package-lock.json`);
    expect(findingsOf(judge(t), 'manifest-change')).toHaveLength(1);
  });

  it('does not fire for what a build or npm writes', () => {
    const t = new Trace();
    fsdiff(t, 'created', `${PROJECT}/lib/package.json`);
    fsdiff(t, 'created', `${NM}/.package-lock.json`);
    fsdiff(t, 'created', `${PROJECT}/public/mockServiceWorker.js`);
    expect(findingsOf(judge(t), 'manifest-change')).toEqual([]);
  });

  it("takes the package manager's own writes of the root's manifest and lockfile in an install job's resolve step, nothing else", () => {
    const t = new Trace();
    fsdiff(t, 'modified', `${PROJECT}/package.json`, undefined, 'resolve');
    fsdiff(t, 'modified', `${PROJECT}/package-lock.json`, undefined, 'resolve');
    expect(findingsOf(judge(t), 'manifest-change')).toEqual([]);
    // The same writes by a traced script, of a workspace's manifest, or after the resolve step, are findings.
    t.script('evil-pkg@1.0.0', 'postinstall', 'node x.js');
    fsdiff(t, 'modified', `${PROJECT}/package.json`, { package: { name: 'evil-pkg', version: '1.0.0' }, lifecycle: 'postinstall' }, 'resolve');
    fsdiff(t, 'modified', `${PROJECT}/packages/a/package.json`, undefined, 'resolve');
    fsdiff(t, 'modified', `${PROJECT}/package-lock.json`, undefined, 'install');
    expect(findingsOf(judge(t), 'manifest-change')).toHaveLength(3);
  });
});
