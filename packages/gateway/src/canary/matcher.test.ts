import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { DecoyIndex, DecoyKind } from '@safe-install/schema';
import { base32Encode, caesarShift, createDecoyMatcher, type DecoyMatch } from './matcher.js';
import { fakeNpmToken } from '../test-support/fake-registry.js';
import { rng } from '../test-support/fuzz.js';

const npmToken = fakeNpmToken();
const awsSecret = 'wJa+Xq/8r2Kp0L7mNzYb3vT1cR9sE4gH6fD5aBcQ'; // 40 chars with + and /
const sshKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const rsaKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const githubToken = `ghp_${randomBytes(27).toString('base64').replace(/[+/=]/g, 'x').slice(0, 36)}`;

function index(...values: Array<[DecoyKind, string]>): DecoyIndex {
  return { values: values.map(([kind, value]) => ({ kind, value, plantedAt: ['env:X'] })), files: [] };
}

const matcher = createDecoyMatcher(index(['npm-token', npmToken], ['aws-secret-access-key', awsSecret], ['ssh-private-key', sshKey], ['github-token', githubToken], ['ssh-private-key', rsaKey]));

const kinds = (matches: DecoyMatch[]): string[] => matches.map((match) => `${match.kind}/${match.encoding}${match.partial ? '/partial' : ''}`);

describe('encodings', () => {
  test('plain, in a URL, a header and a body', () => {
    expect(kinds(matcher.scan(`/collect?t=${npmToken}`, 'url'))).toEqual(['npm-token/plain']);
    expect(kinds(matcher.scan(`x-data: ${npmToken}`, 'header'))).toEqual(['npm-token/plain']);
    expect(matcher.scan(Buffer.from(`{"NPM_TOKEN":"${npmToken}"}`), 'body')).toEqual([{ kind: 'npm-token', valueIndex: 0, where: 'body', encoding: 'plain', partial: false }]);
  });

  test('hex, either case', () => {
    const hex = Buffer.from(npmToken).toString('hex');
    expect(kinds(matcher.scan(`id=${hex}`, 'url'))).toEqual(['npm-token/hex']);
    expect(kinds(matcher.scan(`id=${hex.toUpperCase()}`, 'url'))).toEqual(['npm-token/hex']);
  });

  test('base64 and base64url at every offset inside a larger blob', () => {
    for (let offset = 0; offset < 6; offset++) {
      const blob = Buffer.concat([randomBytes(offset), Buffer.from(`NPM_TOKEN=${npmToken}\nAWS=${awsSecret}\n`), randomBytes(offset)]);
      expect(kinds(matcher.scan(blob.toString('base64'), 'body'))).toEqual(['npm-token/base64', 'aws-secret-access-key/base64']);
      expect(kinds(matcher.scan(blob.toString('base64url'), 'body'))).toEqual(['npm-token/base64', 'aws-secret-access-key/base64']);
    }
  });

  test('base32 at every offset, upper or lower case', () => {
    for (let offset = 0; offset < 5; offset++) {
      const encoded = base32Encode(Buffer.concat([randomBytes(offset), Buffer.from(npmToken)]));
      expect(kinds(matcher.scan(encoded, 'body'))).toEqual(['npm-token/base32']);
      expect(kinds(matcher.scan(encoded.toLowerCase(), 'url'))).toEqual(['npm-token/base32']);
    }
  });

  test('percent-encoded (form bodies, query strings)', () => {
    const encoded = encodeURIComponent(awsSecret);
    expect(encoded).toContain('%2F');
    expect(kinds(matcher.scan(`secret=${encoded}`, 'body'))).toEqual(['aws-secret-access-key/url']);
    expect(kinds(matcher.scan(`/x?secret=${encoded.toLowerCase().replace(/%2f/g, '%2f')}`, 'url'))).toContain('aws-secret-access-key/url');
  });

  test('JSON-escaped multi-line key', () => {
    const body = JSON.stringify({ files: { '.ssh/id_ed25519': sshKey } });
    expect(kinds(matcher.scan(body, 'body'))).toContain('ssh-private-key/json');
    expect(kinds(matcher.scan(Buffer.from(body).toString('base64'), 'body'))).toContain('ssh-private-key/base64');
  });

  test('a token inside base64("user:token") (docker config auth)', () => {
    const auth = Buffer.from(`octocat:${githubToken}`).toString('base64');
    expect(kinds(matcher.scan(`{"auths":{"ghcr.io":{"auth":"${auth}"}}}`, 'body'))).toEqual(['github-token/base64']);
  });
});

describe('DNS names', () => {
  test('hex split across labels', () => {
    const hex = Buffer.from(npmToken).toString('hex');
    const labels = [hex.slice(0, 63), hex.slice(63), 'exfil', 'invalid'];
    expect(matcher.scanDnsLabels(labels)).toEqual([{ kind: 'npm-token', valueIndex: 0, where: 'dns', encoding: 'hex', partial: false }]);
  });

  test('base32 lower-cased and split', () => {
    const encoded = base32Encode(Buffer.from(npmToken)).replace(/=+$/, '').toLowerCase();
    expect(kinds(matcher.scanDnsLabels([encoded.slice(0, 30), encoded.slice(30), 'x', 'test']))).toEqual(['npm-token/base32']);
  });

  test('plain token in a label', () => {
    expect(kinds(matcher.scanDnsLabels([npmToken.toLowerCase(), 'collect', 'test']))).toEqual(['npm-token/plain']);
  });

  test('ordinary names match nothing', () => {
    expect(matcher.scanDnsLabels(['registry', 'example'])).toEqual([]);
    expect(matcher.scanDnsLabels([Buffer.from('build-host-17').toString('hex'), 'exfil', 'invalid'])).toEqual([]);
  });
});

describe('reversible transforms', () => {
  const rev = (text: string) => [...text].reverse().join('');
  const swap = (text: string) => text.replace(/[A-Za-z]/g, (c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()));

  test('reversed, rot13, both, and every other letter shift, in DNS labels and bodies', () => {
    const labels = (text: string) => text.match(/.{1,30}/g) ?? [];
    expect(kinds(matcher.scanDnsLabels([...labels(rev(npmToken)), 'x', 'test']))).toEqual(['npm-token/reversed plain']);
    expect(kinds(matcher.scanDnsLabels([...labels(caesarShift(npmToken, 13)), 'test']))).toEqual(['npm-token/rot13 plain']);
    expect(kinds(matcher.scan(`d=${caesarShift(rev(awsSecret), 13)}`, 'body'))).toEqual(['aws-secret-access-key/reversed rot13 plain']);
    expect(kinds(matcher.scan(`d=${caesarShift(npmToken, 5)}`, 'body'))).toEqual(['npm-token/caesar plain']);
  });

  test('encodings of the transformed value, and a case-swapped value', () => {
    const hex = Buffer.from(rev(npmToken)).toString('hex');
    expect(kinds(matcher.scanDnsLabels([hex.slice(0, 60), hex.slice(60), 'q', 'test']))).toEqual(['npm-token/reversed hex']);
    expect(kinds(matcher.scan(Buffer.from(`x=${caesarShift(githubToken, 13)}`).toString('base64'), 'body'))).toEqual(['github-token/rot13 base64']);
    expect(kinds(matcher.scan(swap(npmToken), 'header'))).toEqual(['npm-token/plain']);
  });

  test('keys (multi-line values) get no transforms: a reversed PEM block is no needle', () => {
    expect(kinds(matcher.scan(rev(sshKey), 'body')).filter((k) => !k.endsWith('/partial'))).toEqual([]);
  });
});

describe('partial matches of long secrets', () => {
  test('16 characters of a token count, as partial', () => {
    expect(kinds(matcher.scan(`t=${npmToken.slice(10, 26)}`, 'url'))).toEqual(['npm-token/plain/partial']);
    expect(matcher.scan(`t=${npmToken.slice(10, 24)}`, 'url')).toEqual([]);
  });

  test('a piece of the key body, plain or base64', () => {
    const body = sshKey.split('\n')[1] as string;
    const piece = body.slice(30, 60);
    expect(kinds(matcher.scan(`k=${piece}`, 'body'))).toEqual(['ssh-private-key/plain/partial']);
    const rsaLine = rsaKey.split('\n')[10] as string;
    expect(kinds(matcher.scan(Buffer.from(`x${rsaLine}`).toString('base64'), 'body'))).toEqual(['ssh-private-key/base64/partial']);
  });

  test('a full match hides partial ones of the same value', () => {
    expect(kinds(matcher.scan(npmToken, 'body'))).toEqual(['npm-token/plain']);
  });

  test('another key of the same type shares its structure but is not a match', () => {
    const otherEd = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(matcher.scan(`${otherEd}\n${otherRsa}`, 'body')).toEqual([]);
    expect(matcher.scan(JSON.stringify({ a: otherEd, b: otherRsa }), 'body')).toEqual([]);
    expect(matcher.scan(Buffer.from(`${otherEd}${otherRsa}`).toString('base64'), 'body')).toEqual([]);
  });
});

describe('limits', () => {
  test('values shorter than 10 characters are not matched at all', () => {
    const short = createDecoyMatcher(index(['env-file-value', 'hunter2']));
    expect(short.needleCount).toBe(0);
    expect(short.scan('password=hunter2', 'body')).toEqual([]);
  });

  test('values between 10 and 16 characters are still found', () => {
    const medium = createDecoyMatcher(index(['env-file-value', 'Zq8!vR2#pL']));
    expect(kinds(medium.scan('DB_PASSWORD=Zq8!vR2#pL', 'body'))).toEqual(['env-file-value/plain']);
  });

  test('an empty index matches nothing, quickly', () => {
    expect(createDecoyMatcher({ values: [], files: [] }).scan(npmToken, 'body')).toEqual([]);
  });

  // Linear time is checked as a ratio, not a wall-clock bound (which a loaded machine breaks): 8x
  // the data must take well under 64x the time (what a quadratic scan would), against the best of
  // three runs on the small input.
  test('512 KiB of random data (and its base64) against 40 decoys: linear time, no false positives', () => {
    const many = createDecoyMatcher(index(...Array.from({ length: 40 }, () => ['npm-token', fakeNpmToken()] as [DecoyKind, string]), ['ssh-private-key', rsaKey]));
    const timeScan = (body: Buffer) => {
      const started = performance.now();
      const found = [...many.scan(body, 'body'), ...many.scan(body.toString('base64'), 'body')];
      expect(found).toEqual([]);
      return performance.now() - started;
    };
    const small = Math.min(...[0, 1, 2].map(() => timeScan(randomBytes(64 * 1024))));
    const large = timeScan(randomBytes(512 * 1024));
    expect(large / Math.max(small, 1)).toBeLessThan(32);
  });

  test('random text never throws', () => {
    const random = rng(17);
    for (let round = 0; round < 2000; round++) {
      const length = Math.floor(random() * 300);
      const text = Array.from({ length }, () => String.fromCharCode(Math.floor(random() * (round % 2 ? 0x10000 : 128)))).join('');
      matcher.scan(text, 'body');
      matcher.scanDnsLabels(text.split('.'));
    }
  });
});
