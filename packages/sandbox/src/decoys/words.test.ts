/** Tell-tale words and the vocabulary decoys are made of. */
import { bufferedRandom, cryptoRandom, randomInt, randomString, seededRandom, BASE62 } from './random.js';
import {
  FIRST_NAMES,
  LAST_NAMES,
  NOUNS,
  ORG_SUFFIXES,
  REPO_SUFFIXES,
  TELLTALE_WORDS,
  countTelltales,
  findTelltale,
  orgName,
  person,
  pronounceable,
  repoName,
  scrubTelltales,
} from './words.js';

describe('tell-tale words', () => {
  it('are found case-insensitively anywhere in a string', () => {
    expect(findTelltale('xxDeCoYxx')).toBe('decoy');
    expect(findTelltale('AKIAIOSFODNN7EXAMPLE')).toBe('example');
    expect(findTelltale('/home/sandbox')).toBe('sandbox');
    expect(findTelltale('a perfectly normal string')).toBeNull();
    expect(countTelltales('test fake TEST')).toBe(3);
  });

  it('never appear in the word pools decoys are built from', () => {
    for (const word of [...NOUNS, ...ORG_SUFFIXES, ...REPO_SUFFIXES, ...FIRST_NAMES, ...LAST_NAMES]) {
      expect(findTelltale(word)).toBeNull();
    }
  });

  it('scrubTelltales breaks every word, keeping length and case', () => {
    const random = seededRandom('scrub');
    for (const word of TELLTALE_WORDS) {
      const input = `x${word.toUpperCase()}y${word}z${word}${word}`;
      const out = scrubTelltales(input, random);
      expect(findTelltale(out)).toBeNull();
      expect(out).toHaveLength(input.length);
      expect(out.replace(/[a-z]/g, 'a').replace(/[A-Z]/g, 'A')).toBe(input.replace(/[a-z]/g, 'a').replace(/[A-Z]/g, 'A'));
    }
  });

  it('scrubs a megabyte of random text quickly (such text always contains some by chance)', () => {
    const random = bufferedRandom(cryptoRandom);
    const text = randomString(random, BASE62, 1_000_000);
    const started = Date.now();
    expect(findTelltale(scrubTelltales(text, random))).toBeNull();
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('generated names', () => {
  it('are clean and plausible', () => {
    const random = seededRandom('names');
    for (let i = 0; i < 500; i++) {
      const length = 1 + randomInt(random, 15);
      const word = pronounceable(random, length);
      expect(word).toMatch(new RegExp(`^[a-z]{${length}}$`));
      expect(findTelltale(word)).toBeNull();
      expect(orgName(random)).toMatch(/^[a-z][a-z-]*[a-z]$/);
      expect(repoName(random)).toMatch(/^[a-z]+-[a-z]+$/);
      const p = person(random);
      expect(p.login).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(p.displayName).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+$/);
    }
  });
});
