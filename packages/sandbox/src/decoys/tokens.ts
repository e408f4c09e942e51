/**
 * Credential tokens in the exact shapes their issuers use. Secret scanners and careful malware check
 * these shapes (GitHub and npm tokens carry a CRC32 checksum of their random part), so a token that
 * is merely "random after the prefix" is recognisably not real.
 *
 * Formats:
 * - GitHub (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`) and npm (`npm_`): prefix + 30 random base62
 *   characters + the CRC32 of those 30 characters in base62 (GMP alphabet), left-padded to 6.
 *   See https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/ and
 *   https://github.blog/changelog/2021-09-23-npm-has-a-new-access-token-format/.
 * - AWS access key id: `AKIA` (long-term) or `ASIA` (session) + 16 base32 characters; secret
 *   access key: 40 characters of base64's alphabet.
 */
import { BASE32, BASE62, BASE64, BASE64URL, LOWER, DIGITS, randomString, type RandomSource } from './random.js';
import { withoutTelltale } from './words.js';

const CRC32_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, as in zlib) of bytes, or of a string's UTF-8 bytes. */
export function crc32(data: Uint8Array | string): number {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC32_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** `n` in base62 (GMP alphabet), left-padded with `0` to `width`. */
export function base62Encode(n: number, width = 6): string {
  let out = '';
  let rest = n;
  while (rest > 0) {
    out = (BASE62[rest % 62] as string) + out;
    rest = Math.floor(rest / 62);
  }
  return out.padStart(width, '0');
}

/** The checksum suffix GitHub and npm append to a token's random part. */
function checksum(entropy: string): string {
  return base62Encode(crc32(entropy), 6);
}

export type GithubTokenPrefix = 'ghp' | 'gho' | 'ghu' | 'ghs' | 'ghr';

/** A checksummed prefixed token: `<prefix>_` + 30 random base62 + 6 checksum characters. */
function checksummedToken(prefix: string, random: RandomSource): string {
  return withoutTelltale(() => {
    const entropy = randomString(random, BASE62, 30);
    return `${prefix}_${entropy}${checksum(entropy)}`;
  });
}

function verifyChecksummed(token: string, pattern: RegExp): boolean {
  if (!pattern.test(token)) return false;
  return checksum(token.slice(4, -6)) === token.slice(-6);
}

/**
 * A GitHub token of the given type: `ghp` personal access token (classic), `gho` OAuth (gh CLI),
 * `ghu` user-to-server, `ghs` installation / Actions `GITHUB_TOKEN`, `ghr` refresh.
 */
export function githubToken(prefix: GithubTokenPrefix, random: RandomSource): string {
  return checksummedToken(prefix, random);
}

/** Whether `token` is a well-formed GitHub token whose checksum matches. */
export function verifyGithubToken(token: string): boolean {
  return verifyChecksummed(token, /^gh[pousr]_[0-9A-Za-z]{36}$/);
}

/** An npm access token (granular and legacy share this shape). */
export function npmToken(random: RandomSource): string {
  return checksummedToken('npm', random);
}

/** Whether `token` is a well-formed npm token whose checksum matches. */
export function verifyNpmToken(token: string): boolean {
  return verifyChecksummed(token, /^npm_[0-9A-Za-z]{36}$/);
}

/** AWS's documentation key pair: planting it would announce a non-credential. */
export const AWS_DOCUMENTED_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
export const AWS_DOCUMENTED_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

/**
 * An AWS access key id: `AKIA` (long-term user key) or `ASIA` (STS session) + 16 base32. Both
 * documented keys contain `EXAMPLE`, a tell-tale word, so the rejection also rules them out.
 */
export function awsAccessKeyId(random: RandomSource, prefix: 'AKIA' | 'ASIA' = 'AKIA'): string {
  return withoutTelltale(() => prefix + randomString(random, BASE32, 16));
}

/** An AWS secret access key: 40 characters from base64's alphabet. */
export function awsSecretAccessKey(random: RandomSource): string {
  return withoutTelltale(() => randomString(random, BASE64, 40));
}

/** A Docker Hub personal access token: `dckr_pat_` + 27 base64url characters. */
export function dockerHubToken(random: RandomSource): string {
  return withoutTelltale(() => `dckr_pat_${randomString(random, BASE64URL, 27)}`);
}

/** A Google OAuth client id: `<12-digit project number>-<32 [a-z0-9]>.apps.googleusercontent.com`. */
export function googleClientId(random: RandomSource): string {
  return withoutTelltale(
    () =>
      `${randomString(random, '123456789', 1)}${randomString(random, DIGITS, 11)}-` +
      `${randomString(random, LOWER + DIGITS, 32)}.apps.googleusercontent.com`,
  );
}

/** A Google OAuth client secret in the post-2021 format: `GOCSPX-` + 28 base64url characters. */
export function googleClientSecret(random: RandomSource): string {
  return withoutTelltale(() => `GOCSPX-${randomString(random, BASE64URL, 28)}`);
}

/** A Google OAuth refresh token: `1//0` + a region letter + 98 base64url characters. */
export function googleRefreshToken(random: RandomSource): string {
  return withoutTelltale(() => `1//0${randomString(random, 'abcdefg', 1)}${randomString(random, BASE64URL, 98)}`);
}
