/** The random source and its helpers: determinism when seeded, uniformity, bounds. */
import { BASE62, bufferedRandom, cryptoRandom, pick, randomBetween, randomInt, randomString, seededRandom } from './random.js';

describe('random sources', () => {
  it('seededRandom is reproducible and seed-dependent, whatever the read sizes', () => {
    const a = seededRandom('seed');
    const b = seededRandom('seed');
    const wholeA = Buffer.concat([a.bytes(5), a.bytes(40), a.bytes(1), a.bytes(100)]);
    const wholeB = Buffer.from(b.bytes(146));
    expect(wholeA.equals(wholeB)).toBe(true);
    expect(Buffer.from(seededRandom('other').bytes(146)).equals(wholeB)).toBe(false);
  });

  it('bufferedRandom is still a function of the wrapped source', () => {
    const x = bufferedRandom(seededRandom('s'));
    const y = bufferedRandom(seededRandom('s'));
    for (const n of [1, 3, 4096, 5000, 7]) expect(Buffer.from(x.bytes(n)).equals(Buffer.from(y.bytes(n)))).toBe(true);
  });

  it('cryptoRandom gives different bytes each call', () => {
    expect(Buffer.from(cryptoRandom.bytes(32)).equals(Buffer.from(cryptoRandom.bytes(32)))).toBe(false);
  });
});

describe('helpers', () => {
  it('randomInt stays in bounds and covers the range', () => {
    const random = seededRandom('int');
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const n = randomInt(random, 10);
      expect(n).toBeGreaterThanOrEqual(0);
      expect(n).toBeLessThan(10);
      seen.add(n);
      const m = randomBetween(random, 5, 7);
      expect([5, 6, 7]).toContain(m);
    }
    expect(seen.size).toBe(10);
    expect(() => randomInt(random, 0)).toThrow(RangeError);
  });

  it('randomString uses only the alphabet and every character of it', () => {
    const s = randomString(seededRandom('str'), BASE62, 20_000);
    expect(s).toMatch(/^[0-9A-Za-z]{20000}$/);
    expect(new Set(s).size).toBe(62);
    expect(randomString(seededRandom('str'), BASE62, 0)).toBe('');
  });

  it('pick refuses an empty list', () => {
    expect(() => pick(seededRandom('p'), [])).toThrow(RangeError);
    expect(pick(seededRandom('p'), ['only'])).toBe('only');
  });
});
