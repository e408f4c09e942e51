import { diffSnapshots, exportList, findArgs, parseSnapshot, splitProject, type Snapshot } from './fs-snapshot.js';

const P = '/home/node/project';
const record = (type: string, path: string, size = 10, blocks = 8, mtime = '1.0') => `${type} 644 ${size} ${blocks} ${mtime} ${path}\0`;

describe('parseSnapshot', () => {
  it('reads find records, paths with spaces and newlines included, and skips malformed ones', () => {
    const snapshot = parseSnapshot(`${record('f', `${P}/a b\nc`)}garbage\0${record('d', `${P}/lib`)}f x y z /nope\0`);
    expect([...snapshot.keys()]).toEqual([`${P}/a b\nc`, `${P}/lib`]);
    expect(snapshot.get(`${P}/lib`)).toEqual({ type: 'd', mode: '644', size: 10, blocks: 8, mtime: '1.0' });
  });

  it('asks find for the allocated blocks too', () => {
    expect(findArgs([P], [`${P}/.git`])).toEqual([P, '-xdev', '(', '-path', `${P}/.git`, ')', '-prune', '-o', '-printf', '%y %m %s %b %T@ %p\\0']);
  });
});

describe('splitProject', () => {
  it('separates every node_modules (root, workspace, nested) from the sources', () => {
    const snapshot = parseSnapshot(
      [P, `${P}/src/x.js`, `${P}/node_modules`, `${P}/node_modules/a/index.js`, `${P}/packages/a/node_modules/b/i.js`, `${P}/packages/a/node_modules`, `${P}/node_modules_x/y`, `${P}/packages/a/lib.js`]
        .map((path) => record('f', path))
        .join(''),
    );
    const { sources, modules } = splitProject(snapshot, P);
    expect([...sources.keys()]).toEqual([P, `${P}/src/x.js`, `${P}/node_modules_x/y`, `${P}/packages/a/lib.js`]);
    expect([...modules.keys()]).toEqual([`${P}/node_modules`, `${P}/node_modules/a/index.js`, `${P}/packages/a/node_modules/b/i.js`, `${P}/packages/a/node_modules`]);
  });
});

describe('exportList', () => {
  const before = parseSnapshot([record('d', P), record('f', `${P}/package.json`), record('f', `${P}/public/w.js`), record('f', `${P}/gone.txt`)].join(''));
  const after = parseSnapshot(
    [
      record('d', P),
      record('f', `${P}/package.json`),
      record('f', `${P}/public/w.js`, 20, 8, '2.0'),
      record('d', `${P}/lib`),
      record('f', `${P}/lib/index.js`),
      record('l', `${P}/lib/link`),
      record('d', `${P}/node_modules`),
      record('d', `${P}/node_modules/a/node_modules`),
      record('d', `${P}/packages/b/node_modules`),
      record('d', `${P}/src/node_modules`),
    ].join(''),
  );
  const changes = diffSnapshots(splitProject(before, P).sources, splitProject(after, P).sources);

  it('lists the changes outside node_modules, deletions included', () => {
    expect(changes).toEqual([
      { path: `${P}/gone.txt`, change: 'deleted' },
      { path: `${P}/lib`, change: 'created', mtime: 1000 },
      { path: `${P}/lib/index.js`, change: 'created', mtime: 1000 },
      { path: `${P}/lib/link`, change: 'created', mtime: 1000 },
      { path: `${P}/public/w.js`, change: 'modified', mtime: 2000 },
    ]);
  });

  it('exports each outermost node_modules (the host checks them against the lockfile) and each changed file, never a deletion or a folder', () => {
    expect(exportList(P, after, changes)).toEqual({
      paths: ['./node_modules', './packages/b/node_modules', './src/node_modules', './lib/index.js', './lib/link', './public/w.js'],
      refusal: null,
    });
  });

  it('refuses the export when a file is sparse (its size is not what it holds)', () => {
    const sparse: Snapshot = new Map(after);
    sparse.set(`${P}/node_modules/a/big`, { type: 'f', mode: '644', size: 10 * 1024 ** 3, blocks: 8, mtime: '1' });
    expect(exportList(P, sparse, changes).refusal).toMatch(/node_modules\/a\/big is a sparse file \(10737418240 bytes, 4096 on disk\)/);
  });
});

describe('diffSnapshots', () => {
  it('gives the modification time of what changed in ms, and skips records hostile names could forge', () => {
    const before = parseSnapshot('f 644 10 8 1800000000.5 /home/node/a\0d 755 0 8 1800000000 /home/node/d\0f 644 1 8 1800000000 /tmp/gone\0garbage\0f 644 x 1 1 /x\0');
    const after = parseSnapshot('f 644 12 8 1800000100.25 /home/node/a\0d 755 0 8 1800000200 /home/node/d\0f 600 0 0 1800000300.125 /home/node/new file\nwith newline\0');
    expect(diffSnapshots(before, after)).toEqual([
      { path: '/home/node/a', change: 'modified', mtime: 1800000100250 },
      { path: '/home/node/new file\nwith newline', change: 'created', mtime: 1800000300125 },
      { path: '/tmp/gone', change: 'deleted' },
    ]);
  });
});
