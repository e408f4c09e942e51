/**
 * The one source of randomness for decoys. Everything the generator draws goes through a
 * {@link RandomSource}, so a test can pass a seeded source and get the same decoys every time; in a
 * real run the source is the operating system's CSPRNG, so decoys differ every run and cannot be
 * predicted by the code that reads them.
 */
import { createHash, randomBytes } from 'node:crypto';

/** Where decoy randomness comes from. */
export interface RandomSource {
  /** `length` uniformly random bytes. */
  bytes(length: number): Uint8Array;
}

/** The default source: node:crypto's CSPRNG. */
export const cryptoRandom: RandomSource = { bytes: (length) => randomBytes(length) };

/**
 * A deterministic source (SHA-256 in counter mode over the seed), for tests only: anyone who knows
 * the seed knows every decoy, which would let installed code tell decoys from real secrets.
 */
export function seededRandom(seed: string): RandomSource {
  let counter = 0n;
  let pool = Buffer.alloc(0);
  return {
    bytes(length: number): Uint8Array {
      const chunks: Buffer[] = [pool];
      let have = pool.length;
      while (have < length) {
        const block = Buffer.alloc(8);
        block.writeBigUInt64BE(counter++);
        const digest = createHash('sha256').update(seed).update(block).digest();
        chunks.push(digest);
        have += digest.length;
      }
      const all = Buffer.concat(chunks);
      pool = all.subarray(length);
      return all.subarray(0, length);
    },
  };
}

export const DIGITS = '0123456789';
export const LOWER = 'abcdefghijklmnopqrstuvwxyz';
export const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const HEX_LOWER = '0123456789abcdef';
export const HEX_UPPER = '0123456789ABCDEF';
/** GMP / "lexicographic" order: the alphabet GitHub and npm use for token checksums. */
export const BASE62 = DIGITS + UPPER + LOWER;
export const BASE64 = UPPER + LOWER + DIGITS + '+/';
export const BASE64URL = UPPER + LOWER + DIGITS + '-_';
/** RFC 4648 base32, the alphabet of AWS access key ids. */
export const BASE32 = UPPER + '234567';

/** A uniform integer in `[0, max)`, without modulo bias (rejection sampling on 32 bits). */
export function randomInt(random: RandomSource, max: number): number {
  if (!Number.isInteger(max) || max <= 0 || max > 2 ** 32) throw new RangeError(`randomInt: bad bound ${max}`);
  const limit = 2 ** 32 - (2 ** 32 % max);
  for (;;) {
    const b = random.bytes(4);
    const n = ((b[0] ?? 0) * 2 ** 24 + ((b[1] ?? 0) << 16) + ((b[2] ?? 0) << 8) + (b[3] ?? 0)) >>> 0;
    if (n < limit) return n % max;
  }
}

/** A uniform integer in `[min, max]`. */
export function randomBetween(random: RandomSource, min: number, max: number): number {
  return min + randomInt(random, max - min + 1);
}

/**
 * `length` characters drawn uniformly from `alphabet` (at most 256 characters). Bytes are drawn in
 * batches because hostile `.env` input can ask for a megabyte of them.
 */
export function randomString(random: RandomSource, alphabet: string, length: number): string {
  const n = alphabet.length;
  if (n === 0 || n > 256) throw new RangeError('randomString: alphabet must hold 1..256 characters');
  const limit = 256 - (256 % n);
  const out: string[] = [];
  while (out.length < length) {
    const need = length - out.length;
    const batch = random.bytes(Math.ceil((need * 256) / limit) + 8);
    for (const byte of batch) {
      if (byte >= limit) continue;
      out.push(alphabet[byte % n] as string);
      if (out.length === length) break;
    }
  }
  return out.join('');
}

/** One element of a non-empty list. */
export function pick<T>(random: RandomSource, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError('pick: empty list');
  return items[randomInt(random, items.length)] as T;
}

/** True with probability `p`. */
export function chance(random: RandomSource, p: number): boolean {
  return randomInt(random, 1_000_000) < p * 1_000_000;
}

/**
 * Wrap a source so small draws are served from a 4 KiB buffer: generating a megabyte of decoy text
 * one character at a time would otherwise cost millions of calls into the underlying source. The
 * output is still a deterministic function of the wrapped source.
 */
export function bufferedRandom(random: RandomSource, blockSize = 4096): RandomSource {
  let pool = Buffer.alloc(0);
  let offset = 0;
  return {
    bytes(length: number): Uint8Array {
      if (length > blockSize) return random.bytes(length);
      if (offset + length > pool.length) {
        pool = Buffer.concat([pool.subarray(offset), Buffer.from(random.bytes(blockSize))]);
        offset = 0;
      }
      const out = pool.subarray(offset, offset + length);
      offset += length;
      return out;
    },
  };
}
