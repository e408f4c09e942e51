/**
 * Words that would tell installed code it is looking at a trap, and the vocabulary decoys are built
 * from. Any generated string (value, file content, path, host name) must be free of the tell-tale
 * words, case-insensitively, because a credential stealer can grep for them as cheaply as we can.
 */
import { LOWER, pick, randomInt, randomString, type RandomSource } from './random.js';

/**
 * Tell-tale words. Beyond the obvious ones this lists the documentation conventions (`example`,
 * `placeholder`) and our own name, since either would give the game away just as well.
 */
export const TELLTALE_WORDS: readonly string[] = [
  'decoy', 'honey', 'canary', 'fake', 'sandbox', 'test', 'dummy', 'example', 'mock', 'bait', 'trap',
  'lure', 'placeholder', 'sinkhole', 'tripwire', 'phony', 'bogus', 'safeinstall', 'safe-install',
];

const TELLTALE_PATTERN = new RegExp(TELLTALE_WORDS.join('|'), 'gi');

/** The first tell-tale word in `text` (lower case), or null. */
export function findTelltale(text: string): string | null {
  TELLTALE_PATTERN.lastIndex = 0;
  const match = TELLTALE_PATTERN.exec(text);
  return match ? match[0].toLowerCase() : null;
}

/** How many tell-tale words `text` holds; used to tell words we introduced from ones the input had. */
export function countTelltales(text: string): number {
  TELLTALE_PATTERN.lastIndex = 0;
  let count = 0;
  while (TELLTALE_PATTERN.exec(text) !== null) count++;
  return count;
}

/**
 * Break every tell-tale word in a freshly generated random string by changing one letter, keeping
 * its case. Random strings of a megabyte contain such words by chance, so rejecting and redrawing
 * the whole string would never end; changing a letter keeps length and charset.
 */
export function scrubTelltales(text: string, random: RandomSource): string {
  if (findTelltale(text) === null) return text;
  const chars = [...text];
  // A replacement letter can itself complete a word; the pass repeats until none is left.
  for (let pass = 0; pass < 100; pass++) {
    TELLTALE_PATTERN.lastIndex = 0;
    const joined = chars.join('');
    let found = false;
    for (let m = TELLTALE_PATTERN.exec(joined); m !== null; m = TELLTALE_PATTERN.exec(joined)) {
      found = true;
      const at = m.index + 1;
      const old = chars[at] ?? 'a';
      let next = old;
      while (next.toLowerCase() === old.toLowerCase()) next = LOWER[randomInt(random, LOWER.length)] as string;
      chars[at] = old === old.toUpperCase() ? next.toUpperCase() : next;
    }
    if (!found) return chars.join('');
  }
  throw new Error('scrubTelltales: could not clean a generated string');
}

/** Call `generate` until it returns a string without tell-tale words (they are rare, so this ends fast). */
export function withoutTelltale(generate: () => string): string {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const value = generate();
    if (findTelltale(value) === null) return value;
  }
  throw new Error('withoutTelltale: generator keeps producing tell-tale words');
}

const CONSONANTS = 'bcdfghjklmnprstvz';
const VOWELS = 'aeiou';

/**
 * A pronounceable lower-case word of exactly `length` letters. Used where a real value would be a
 * word (host labels, database names): uniform random letters there look machine-made.
 */
export function pronounceable(random: RandomSource, length: number): string {
  let vowel = randomInt(random, 3) === 0;
  const out: string[] = [];
  for (let i = 0; i < length; i++) {
    out.push(randomString(random, vowel ? VOWELS : CONSONANTS, 1));
    // Mostly alternate, sometimes double a consonant, as real words do.
    vowel = vowel ? false : randomInt(random, 5) !== 0;
  }
  return scrubTelltales(out.join(''), random);
}

/** Nature words: neutral, not company names, not documentation conventions (no acme, contoso, foo). */
export const NOUNS: readonly string[] = [
  'amber', 'arbor', 'aster', 'basalt', 'beacon', 'birch', 'bramble', 'cedar', 'cobalt', 'copper',
  'coral', 'crest', 'ember', 'fable', 'fjord', 'flint', 'garnet', 'granite', 'harbor', 'hazel',
  'heron', 'indigo', 'juniper', 'kestrel', 'lark', 'linden', 'lumen', 'maple', 'meadow', 'onyx',
  'orbit', 'osprey', 'pebble', 'quartz', 'raven', 'ridge', 'sable', 'slate', 'spruce', 'summit',
  'tidal', 'timber', 'topaz', 'tundra', 'willow', 'zephyr', 'alder', 'boreal', 'cinder', 'dune',
];

export const ORG_SUFFIXES: readonly string[] = ['', '', '-labs', '-hq', 'works', '-io', '-tech', '-systems', '-dev', 'data'];
export const REPO_SUFFIXES: readonly string[] = [
  'api', 'web', 'service', 'worker', 'app', 'frontend', 'backend', 'sdk', 'cli', 'platform', 'core',
  'ui', 'server', 'monorepo', 'dashboard', 'payments', 'auth', 'ingest',
];
export const FIRST_NAMES: readonly string[] = [
  'alex', 'priya', 'marco', 'sofia', 'kenji', 'lena', 'omar', 'nadia', 'tomas', 'ingrid', 'ravi',
  'chloe', 'diego', 'hana', 'yusuf', 'elena', 'mateo', 'aisha', 'felix', 'mira', 'noah', 'sara',
  'ivan', 'leila', 'oskar', 'tara', 'luca', 'nora', 'amir', 'freya',
];
export const LAST_NAMES: readonly string[] = [
  'kowalski', 'nguyen', 'okafor', 'lindqvist', 'moreau', 'tanaka', 'fischer', 'haddad', 'novak',
  'ramirez', 'patel', 'schmidt', 'rossi', 'kim', 'silva', 'berg', 'dubois', 'costa', 'ivanova', 'jensen',
];

/** A GitHub-style organisation login, e.g. `quartz-labs`. */
export function orgName(random: RandomSource): string {
  return pick(random, NOUNS) + pick(random, ORG_SUFFIXES);
}

/** A repository name, e.g. `cedar-api`. */
export function repoName(random: RandomSource): string {
  return `${pick(random, NOUNS)}-${pick(random, REPO_SUFFIXES)}`;
}

/** A person: display name and a GitHub-style login derived from it. */
export interface Person {
  displayName: string;
  login: string;
}

/** A developer with a display name and a GitHub-style login in one of the common styles. */
export function person(random: RandomSource): Person {
  const first = pick(random, FIRST_NAMES);
  const last = pick(random, LAST_NAMES);
  const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
  const style = randomInt(random, 4);
  const login =
    style === 0 ? `${first}-${last}`
    : style === 1 ? `${first.charAt(0)}${last}`
    : style === 2 ? `${first}${last}`
    : `${first}${last.charAt(0)}${randomInt(random, 90) + 10}`;
  return { displayName: `${capital(first)} ${capital(last)}`, login };
}
