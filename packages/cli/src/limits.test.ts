import { limitsFrom, parseSize } from './limits.js';

describe('parseSize', () => {
  it.each([
    ['512m', 512 * 1024 ** 2],
    ['4g', 4 * 1024 ** 3],
    ['1.5G', 1.5 * 1024 ** 3],
    ['65536k', 64 * 1024 ** 2],
    ['100mb', 100 * 1024 ** 2],
  ])('%s', (text, bytes) => expect(parseSize(text, 'memory')).toBe(bytes));

  it.each(['', 'lots', '-1g', '4 gb', '1e9', '10m', '0x100m'])('refuses %j as a usage error', (text) => {
    expect(() => parseSize(text, 'memory')).toThrow(expect.objectContaining({ kind: 'usage' }));
  });
});

describe('limitsFrom', () => {
  it('keeps only what was given', () => {
    expect(limitsFrom({ memory: '1g', pids: 100 })).toEqual({ memoryBytes: 1024 ** 3, pids: 100 });
  });
  it('refuses zero or negative counts', () => {
    expect(() => limitsFrom({ pids: 0 })).toThrow(/--pids must be a positive number/);
    expect(() => limitsFrom({ cpus: -2 })).toThrow(/--cpus/);
  });
});
