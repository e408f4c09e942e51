import { diffSnapshots, findArgs, parseSnapshot } from './fs-snapshot.js';

describe('fs snapshot', () => {
  it('parses find records and diffs them, with the modification time of what changed in ms', () => {
    const before = parseSnapshot('f 644 10 1800000000.5 /home/node/a\0d 755 0 1800000000 /home/node/d\0f 644 1 1800000000 /tmp/gone\0');
    const after = parseSnapshot('f 644 12 1800000100.25 /home/node/a\0d 755 0 1800000200 /home/node/d\0f 600 0 1800000300.125 /home/node/new file\nwith newline\0');
    expect(diffSnapshots(before, after)).toEqual([
      { path: '/home/node/a', change: 'modified', mtime: 1800000100250 },
      { path: '/home/node/new file\nwith newline', change: 'created', mtime: 1800000300125 },
      { path: '/tmp/gone', change: 'deleted' },
    ]);
  });

  it('skips malformed records (hostile names cannot forge fields)', () => {
    const s = parseSnapshot('garbage\0f 644 x 1 /a\0f 644 1 1 relative\0\0f 644 1 1e9 /b\0f 644 1 5 /ok\0');
    expect([...s.keys()]).toEqual(['/ok']);
  });

  it('prunes the given folders', () => {
    expect(findArgs(['/home/node'], ['/home/node/.npm'])).toEqual(['/home/node', '-xdev', '(', '-path', '/home/node/.npm', ')', '-prune', '-o', '-printf', '%y %m %s %T@ %p\\0']);
  });
});
