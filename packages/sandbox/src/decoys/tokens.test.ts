/**
 * Token formats. The checksum is checked against fixed vectors (CRC-32's standard check value, an
 * independent implementation's published GitHub example) and, where Node has it, zlib's CRC-32.
 */
import * as zlib from 'node:zlib';
import { seededRandom } from './random.js';
import {
  AWS_DOCUMENTED_KEY_ID,
  AWS_DOCUMENTED_SECRET,
  awsAccessKeyId,
  awsSecretAccessKey,
  base62Encode,
  crc32,
  dockerHubToken,
  githubToken,
  googleClientId,
  googleClientSecret,
  googleRefreshToken,
  npmToken,
  verifyGithubToken,
  verifyNpmToken,
  type GithubTokenPrefix,
} from './tokens.js';
import { findTelltale } from './words.js';

describe('crc32', () => {
  it('matches the standard check value and the empty input', () => {
    expect(crc32('123456789')).toBe(0xcbf43926);
    expect(crc32('')).toBe(0);
    expect(crc32(new Uint8Array([0]))).toBe(0xd202ef8d);
  });

  it('agrees with zlib on random inputs (when this Node has zlib.crc32)', () => {
    const zlibCrc = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
    const random = seededRandom('crc');
    for (let i = 0; i < 200; i++) {
      const data = random.bytes(i * 7);
      if (zlibCrc) expect(crc32(data)).toBe(zlibCrc(data));
      else expect(crc32(data)).toBe(crc32(Buffer.from(data)));
    }
  });
});

describe('base62Encode', () => {
  it('uses the GMP alphabet and pads to six characters', () => {
    expect(base62Encode(0)).toBe('000000');
    expect(base62Encode(61)).toBe('00000z');
    expect(base62Encode(62)).toBe('000010');
    expect(base62Encode(0xffffffff)).toBe('4gfFC3');
  });
});

describe('GitHub tokens', () => {
  it('verifies a token computed by an independent implementation', () => {
    // From the base62-token.js README (therootcompany), which implements GitHub's format.
    expect(verifyGithubToken('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')).toBe(true);
  });

  it.each(['ghp', 'gho', 'ghu', 'ghs', 'ghr'] as GithubTokenPrefix[])('%s tokens have the real shape and a valid checksum', (prefix) => {
    const random = seededRandom(`gh-${prefix}`);
    for (let i = 0; i < 50; i++) {
      const token = githubToken(prefix, random);
      expect(token).toMatch(new RegExp(`^${prefix}_[0-9A-Za-z]{36}$`));
      expect(verifyGithubToken(token)).toBe(true);
      expect(findTelltale(token)).toBeNull();
    }
  });

  it('rejects a token with any single character changed, or a wrong shape', () => {
    const token = githubToken('ghp', seededRandom('flip'));
    for (let i = 4; i < token.length; i++) {
      const c = token.charAt(i);
      const flipped = token.slice(0, i) + (c === 'a' ? 'b' : 'a') + token.slice(i + 1);
      expect(verifyGithubToken(flipped)).toBe(false);
    }
    expect(verifyGithubToken(`${token}x`)).toBe(false);
    expect(verifyGithubToken(token.replace('ghp_', 'ghx_'))).toBe(false);
    expect(verifyGithubToken('')).toBe(false);
  });
});

describe('npm tokens', () => {
  it('are npm_ + 36 base62 with the same CRC32 checksum scheme', () => {
    const random = seededRandom('npm');
    for (let i = 0; i < 50; i++) {
      const token = npmToken(random);
      expect(token).toMatch(/^npm_[0-9A-Za-z]{36}$/);
      expect(verifyNpmToken(token)).toBe(true);
      expect(verifyGithubToken(token)).toBe(false);
    }
    expect(verifyNpmToken('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')).toBe(true);
    expect(verifyNpmToken('npm_zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ0mLq18')).toBe(false);
  });
});

describe('AWS keys', () => {
  it('have the real shapes and are never the documented example', () => {
    const random = seededRandom('aws');
    for (let i = 0; i < 200; i++) {
      const id = awsAccessKeyId(random);
      expect(id).toMatch(/^AKIA[A-Z2-7]{16}$/);
      expect(id).not.toBe(AWS_DOCUMENTED_KEY_ID);
      expect(awsAccessKeyId(random, 'ASIA')).toMatch(/^ASIA[A-Z2-7]{16}$/);
      const secret = awsSecretAccessKey(random);
      expect(secret).toMatch(/^[A-Za-z0-9+/]{40}$/);
      expect(secret).not.toBe(AWS_DOCUMENTED_SECRET);
      expect(findTelltale(id + secret)).toBeNull();
    }
  });
});

describe('other token shapes', () => {
  it('Docker Hub and Google OAuth values look like the real ones', () => {
    const random = seededRandom('misc');
    expect(dockerHubToken(random)).toMatch(/^dckr_pat_[A-Za-z0-9_-]{27}$/);
    expect(googleClientId(random)).toMatch(/^[1-9]\d{11}-[a-z0-9]{32}\.apps\.googleusercontent\.com$/);
    expect(googleClientSecret(random)).toMatch(/^GOCSPX-[A-Za-z0-9_-]{28}$/);
    expect(googleRefreshToken(random)).toMatch(/^1\/\/0[a-g][A-Za-z0-9_-]{98}$/);
  });

  it('are reproducible from a seed and differ between seeds', () => {
    expect(githubToken('ghp', seededRandom('same'))).toBe(githubToken('ghp', seededRandom('same')));
    expect(githubToken('ghp', seededRandom('one'))).not.toBe(githubToken('ghp', seededRandom('two')));
  });
});
