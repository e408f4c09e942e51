/**
 * Lockfile attribution of a stream of events: the lockfile's word replaces the script's claim,
 * nested scripts stay with the package that started them unless the project itself started them.
 */
import type { TraceEvent } from '@safe-install/schema';
import { lockedPackages } from './locked-packages.js';
import { lockfileAttribution } from './attribute-events.js';

const P = '/home/node/project';
const locked = lockedPackages({
  lockfileVersion: 3,
  packages: {
    '': { name: 'app', version: '1.0.0', workspaces: ['packages/*'] },
    'packages/web': { name: 'web', version: '0.1.0' },
    'node_modules/evil': { name: 'trusted', version: '6.6.6', resolved: 'file:evil-6.6.6.tgz', bin: { node: 'x.js' } },
    'node_modules/trusted': { version: '1.0.0', resolved: 'https://r.example/trusted/-/trusted-1.0.0.tgz' },
  },
});

let id = 0;
const start = (run: number, name: string, cwd: string, extra: Record<string, unknown> = {}): TraceEvent =>
  ({ id: `e${++id}`, ts: id, source: 'tracer', pid: 100 + run, ppid: 1, type: 'script', action: 'start', command: 'x', cwd, package: { name, version: '1.0.0' }, lifecycle: 'install', run, ...extra }) as TraceEvent;
const file = (run: number, name: string): TraceEvent =>
  ({ id: `e${++id}`, ts: id, source: 'tracer', pid: 100 + run, ppid: 1, type: 'file', action: 'mkdir', path: '/tmp/x', package: { name, version: '1.0.0' }, lifecycle: 'install', run }) as TraceEvent;

describe('lockfileAttribution', () => {
  it('gives a script the package of its folder and keeps the differing claim as evidence', () => {
    const a = lockfileAttribution(locked, P);
    const s = a.apply(start(1, 'trusted', `${P}/node_modules/evil`));
    expect(s).toMatchObject({ package: { name: 'evil', version: '6.6.6' }, claimed: { name: 'trusted', version: '1.0.0' }, identity: { source: 'file', resolved: 'file:evil-6.6.6.tgz' } });
    expect(a.apply(file(1, 'trusted'))).toMatchObject({ package: { name: 'evil', version: '6.6.6' } });
    const t = a.apply(start(2, 'trusted', `${P}/node_modules/trusted`));
    expect(t).toMatchObject({ package: { name: 'trusted', version: '1.0.0' } });
    expect(t).not.toHaveProperty('claimed');
  });

  it('keeps a nested script of a dependency with that dependency, wherever it runs and whatever it claims', () => {
    const a = lockfileAttribution(locked, P);
    a.apply(start(1, 'trusted', `${P}/node_modules/evil`));
    expect(a.apply(start(2, 'trusted', `${P}/node_modules/trusted`, { parentRun: 1 }))).toMatchObject({ package: { name: 'evil' }, claimed: { name: 'trusted' } });
    expect(a.apply(start(3, 'whatever', '/tmp/x', { parentRun: 1 }))).toMatchObject({ package: { name: 'evil' } });
    expect(a.apply(file(3, 'whatever'))).toMatchObject({ package: { name: 'evil' } });
  });

  it('gives a nested script the project started the package of its folder', () => {
    const a = lockfileAttribution(locked, P);
    a.apply(start(1, 'app', P));
    expect(a.apply(start(2, 'app', P, { parentRun: 1 }))).toMatchObject({ package: { name: 'app' }, identity: { source: 'project' } });
    expect(a.apply(start(3, 'web', `${P}/packages/web`, { parentRun: 1 }))).toMatchObject({ package: { name: 'web', version: '0.1.0' }, identity: { source: 'workspace' } });
    expect(a.apply(start(4, 'trusted', `${P}/node_modules/trusted`, { parentRun: 1 }))).toMatchObject({ package: { name: 'trusted' } });
    expect(a.apply(start(5, 'x', '/tmp/elsewhere', { parentRun: 1 }))).toMatchObject({ package: { name: 'app' } });
  });

  it('names a script in a folder the lockfile does not list so that no policy entry matches it', () => {
    const a = lockfileAttribution(locked, P);
    expect(a.apply(start(1, 'trusted', '/home/node/project/../elsewhere'))).toMatchObject({ package: { name: '(unlocked) trusted' }, identity: { source: 'unlocked' } });
    expect(a.apply(start(2, 'trusted', `${P}/node_modules/nope`))).toMatchObject({ package: { name: '(unlocked) trusted' } });
  });

  it('tags an exec of a .bin entry with the package whose bin it is; leaves events without a run alone', () => {
    const a = lockfileAttribution(locked, P);
    a.apply(start(1, 'trusted', `${P}/node_modules/trusted`));
    const exec = { id: 'x', ts: 1, source: 'tracer', pid: 101, ppid: 1, type: 'process', action: 'exec', path: `${P}/node_modules/.bin/node`, argv: ['node'], cwd: P, run: 1, package: { name: 'trusted', version: '1.0.0' } } as TraceEvent;
    expect(a.apply(exec)).toMatchObject({ binOf: { name: 'evil' }, package: { name: 'trusted' } });
    const gateway = { id: 'g', ts: 1, source: 'gateway', pid: 0, ppid: 0, type: 'dns', name: 'a.test', qtype: 'A', answered: 'sinked', package: { name: 'x', version: '1' } } as TraceEvent;
    expect(a.apply(gateway)).toMatchObject({ package: { name: 'x' } });
  });
});
