import { basename, dirname, isWithin, normalizePath, resolvePath } from './sandbox-path.js';

describe('paths', () => {
  it('normalises lexically', () => {
    expect(normalizePath('/a/./b//c/')).toBe('/a/b/c');
    expect(normalizePath('/../../x')).toBe('/x');
    expect(normalizePath('')).toBe('');
    expect(normalizePath('rel/./x')).toBe('rel/./x');
    expect(resolvePath('/', '')).toBe('/');
    expect(resolvePath('/', 'rel/../../x')).toBe('/x');
  });

  it('resolves relative paths against a base', () => {
    expect(resolvePath('/tmp/play', '../play/rel2.txt')).toBe('/tmp/play/rel2.txt');
    expect(resolvePath('/tmp', '/etc/./passwd')).toBe('/etc/passwd');
    expect(resolvePath('relative-base', 'x')).toBe('/relative-base/x');
  });

  it('takes dirnames', () => {
    expect(dirname('/tmp/play/x')).toBe('/tmp/play');
    expect(dirname('/x')).toBe('/');
    expect(dirname('/')).toBe('/');
  });
});

describe('containment', () => {
  it('is by whole segments', () => {
    expect(isWithin('/home/node/.npmrc', '/home/node')).toBe(true);
    expect(isWithin('/home/node', '/home/node/')).toBe(true);
    expect(isWithin('/home/nodeX/a', '/home/node')).toBe(false);
    expect(isWithin('/anything', '/')).toBe(true);
    expect(basename('/a/b/c.txt')).toBe('c.txt');
  });
});
