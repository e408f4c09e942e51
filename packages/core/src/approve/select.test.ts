import { sandboxAllowKey, selectUnapproved } from './select.js';

const R = 'https://registry.example/';

const LOCK = {
  lockfileVersion: 3,
  packages: {
    '': { name: 'app', version: '1.0.0', dependencies: { alias: 'npm:real@2.0.0' } },
    'node_modules/approved': { version: '1.0.0', resolved: `${R}approved/-/approved-1.0.0.tgz`, hasInstallScript: true },
    'node_modules/bumped': { version: '1.0.1', resolved: `${R}bumped/-/bumped-1.0.1.tgz`, hasInstallScript: true },
    'node_modules/denied': { version: '3.0.0', resolved: `${R}denied/-/denied-3.0.0.tgz`, hasInstallScript: true },
    'node_modules/fresh': { version: '0.1.0', resolved: `${R}fresh/-/fresh-0.1.0.tgz`, hasInstallScript: true },
    'node_modules/no-scripts': { version: '1.0.0', resolved: `${R}no-scripts/-/no-scripts-1.0.0.tgz` },
    // The tarball calls itself "approved"; resolved says it is "liar".
    'node_modules/liar': { name: 'approved', version: '1.0.0', resolved: `${R}liar/-/liar-6.6.6.tgz`, hasInstallScript: true },
    'node_modules/alias': { version: '2.0.0', resolved: `${R}real/-/real-2.0.0.tgz`, hasInstallScript: true },
    'node_modules/local': { version: '1.0.0', resolved: 'file:local-1.0.0.tgz', hasInstallScript: true },
    'node_modules/remote': { version: '1.0.0', resolved: 'https://cdn.example/remote.tgz', hasInstallScript: true },
  },
};

const MANIFEST = { allowScripts: { 'approved@1.0.0': true, 'bumped@1.0.0': true, denied: false, 'fresh@^0.1.0': true } };

describe('selectUnapproved: the packages allowScripts does not cover, by lockfile identity', () => {
  const selection = selectUnapproved(LOCK, MANIFEST, () => undefined);

  it('lists what neither an allow nor a deny covers; a range covers nothing (npm ignores it)', () => {
    expect(selection.pending.map((p) => [p.path, p.entry])).toEqual([
      ['node_modules/alias', 'real@2.0.0'],
      ['node_modules/bumped', 'bumped@1.0.1'],
      ['node_modules/fresh', 'fresh@0.1.0'],
      ['node_modules/liar', 'liar@6.6.6'],
      ['node_modules/local', 'file:local-1.0.0.tgz'],
      ['node_modules/remote', null],
    ]);
  });
  it('names a package by resolved, never by the tarball\'s own name', () => {
    const liar = selection.pending.find((p) => p.path === 'node_modules/liar');
    expect(liar?.package).toEqual({ name: 'liar', version: '6.6.6' });
  });
  it('says which versions were approved before (a version bump)', () => {
    expect(selection.pending.find((p) => p.path === 'node_modules/bumped')?.approvedBefore).toEqual(['bumped@1.0.0']);
    expect(selection.pending.find((p) => p.path === 'node_modules/fresh')?.approvedBefore).toEqual(['fresh@^0.1.0']);
  });
  it('allows exactly the pending packages in the sandbox copy (a remote one by its URL)', () => {
    expect(Object.fromEntries(selection.pending.flatMap((p) => { const key = sandboxAllowKey(p); return key === null ? [] : [[key, true]]; }))).toEqual({
      'real@2.0.0': true,
      'bumped@1.0.1': true,
      'fresh@0.1.0': true,
      'liar@6.6.6': true,
      'file:local-1.0.0.tgz': true,
      'https://cdn.example/remote.tgz': true,
    });
  });
  it('uses the tracer\'s identity of a folder when there is one', () => {
    const named = selectUnapproved(LOCK, MANIFEST, (path) => (path === 'node_modules/local' ? { name: 'local', version: '1.0.0' } : undefined));
    expect(named.pending.find((p) => p.path === 'node_modules/local')?.package).toEqual({ name: 'local', version: '1.0.0' });
  });
  it('hostile or missing input selects nothing rather than throwing', () => {
    expect(selectUnapproved(null, null, () => undefined).pending).toEqual([]);
    expect(selectUnapproved({ packages: [] }, { allowScripts: 'all' }, () => undefined).pending).toEqual([]);
    const proto = JSON.parse('{"packages": {"__proto__": {"hasInstallScript": true}, "node_modules/x": {"version": "1.0.0", "hasInstallScript": true}}}') as unknown;
    expect(selectUnapproved(proto, JSON.parse('{"allowScripts": {"__proto__": true}}'), () => undefined).pending.map((p) => p.entry)).toEqual(['x']);
  });
});
