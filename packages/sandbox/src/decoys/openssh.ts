/**
 * Real SSH key pairs in OpenSSH's own file formats. node:crypto makes the keys but cannot write
 * OpenSSH's private key container (`openssh-key-v1`, PROTOCOL.key in OpenSSH), which is what
 * `ssh-keygen` has written by default since 7.8; a PEM/PKCS#8 key in `~/.ssh/id_ed25519` would look
 * out of place. So the container is encoded here, unencrypted (cipher and KDF `none`), exactly as
 * `ssh-keygen -N ''` writes it.
 *
 * Also here: hashed `known_hosts` entries (`HashKnownHosts yes`, the Debian/Ubuntu default).
 */
import { createHmac, createPrivateKey, createPublicKey, generateKeyPair, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { RandomSource } from './random.js';

/** The raw parts of a key pair, as OpenSSH serialises them. */
export type SshKeyMaterial =
  | { type: 'ssh-ed25519'; seed: Buffer; publicKey: Buffer }
  | { type: 'ssh-rsa'; n: Buffer; e: Buffer; d: Buffer; p: Buffer; q: Buffer; iqmp: Buffer };

/** DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows (RFC 8410). */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * An Ed25519 key pair whose seed comes from `random`, so a seeded source gives the same key.
 * node:crypto derives the public key from the seed.
 */
export function ed25519Material(random: RandomSource): SshKeyMaterial {
  const seed = Buffer.from(random.bytes(32));
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  return { type: 'ssh-ed25519', seed, publicKey: Buffer.from(jwk.x ?? '', 'base64url') };
}

/**
 * An RSA key pair from OpenSSL (3072 bits, ssh-keygen's default). Primes come from OpenSSL rather
 * than the injected source: a home-made prime search would be a weaker key generator for no gain,
 * so RSA keys are the one decoy a seeded source does not reproduce.
 */
export function rsaMaterial(bits = 3072): SshKeyMaterial {
  return rsaFromKey(generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 65537 }).privateKey);
}

/**
 * {@link rsaMaterial} off the event loop: a 3072-bit key takes OpenSSL about half a second, which a
 * caller can start first and overlap with other work.
 */
export function rsaMaterialAsync(bits = 3072): Promise<SshKeyMaterial> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: bits, publicExponent: 65537 }, (error, _publicKey, privateKey) => {
      if (error) reject(error);
      else resolve(rsaFromKey(privateKey));
    });
  });
}

function rsaFromKey(privateKey: KeyObject): SshKeyMaterial {
  const jwk = privateKey.export({ format: 'jwk' });
  const part = (value: string | undefined): Buffer => Buffer.from(value ?? '', 'base64url');
  // OpenSSH's iqmp is q^-1 mod p, which is JWK's `qi` (the first CRT coefficient).
  return { type: 'ssh-rsa', n: part(jwk.n), e: part(jwk.e), d: part(jwk.d), p: part(jwk.p), q: part(jwk.q), iqmp: part(jwk.qi) };
}

/** Writer for the SSH wire encoding (RFC 4251 §5). */
class SshBuffer {
  private readonly parts: Buffer[] = [];

  uint32(n: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    this.parts.push(b);
    return this;
  }

  string(value: Buffer | string): this {
    const b = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    this.uint32(b.length);
    this.parts.push(b);
    return this;
  }

  /** An unsigned big-endian integer as an mpint: minimal, with a 0x00 byte if the top bit is set. */
  mpint(magnitude: Buffer): this {
    let start = 0;
    while (start < magnitude.length && magnitude[start] === 0) start++;
    const bytes = magnitude.subarray(start);
    return this.string((bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
  }

  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }

  get length(): number {
    return this.parts.reduce((sum, b) => sum + b.length, 0);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** The public key blob: what `.pub` files and `known_hosts` carry in base64. */
export function publicKeyBlob(key: SshKeyMaterial): Buffer {
  const w = new SshBuffer().string(key.type);
  if (key.type === 'ssh-ed25519') w.string(key.publicKey);
  else w.mpint(key.e).mpint(key.n);
  return w.toBuffer();
}

/** One line of an `id_*.pub` file: `ssh-ed25519 AAAA… user@host`. */
export function formatPublicKey(key: SshKeyMaterial, comment: string): string {
  return `${key.type} ${publicKeyBlob(key).toString('base64')} ${comment}\n`;
}

const AUTH_MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');

/**
 * The private key file, as `ssh-keygen -N ''` writes it. The two "check ints" are `check`, a random
 * 32-bit value (OpenSSH uses them to detect a wrong passphrase); the padding is 1, 2, 3… up to the 8-byte block size.
 */
export function formatPrivateKey(key: SshKeyMaterial, comment: string, check: number): string {
  const secret = new SshBuffer().uint32(check).uint32(check).string(key.type);
  if (key.type === 'ssh-ed25519') {
    secret.string(key.publicKey).string(Buffer.concat([key.seed, key.publicKey]));
  } else {
    secret.mpint(key.n).mpint(key.e).mpint(key.d).mpint(key.iqmp).mpint(key.p).mpint(key.q);
  }
  secret.string(comment);
  const padding: number[] = [];
  for (let i = 1; (secret.length + padding.length) % 8 !== 0; i++) padding.push(i);
  secret.raw(Buffer.from(padding));

  const body = new SshBuffer()
    .raw(AUTH_MAGIC)
    .string('none')
    .string('none')
    .string('')
    .uint32(1)
    .string(publicKeyBlob(key))
    .string(secret.toBuffer())
    .toBuffer()
    .toString('base64');
  // ssh-keygen wraps the base64 at 70 columns.
  const lines = body.match(/.{1,70}/g) ?? [];
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

/**
 * A hashed `known_hosts` host field: `|1|base64(salt)|base64(HMAC-SHA1(salt, host))`, as
 * `HashKnownHosts yes` writes it. Hosts on a non-default port are written `[host]:port`.
 */
export function hashKnownHost(host: string, random: RandomSource, port?: number): string {
  const name = port === undefined || port === 22 ? host : `[${host}]:${port}`;
  const salt = Buffer.from(random.bytes(20));
  const hash = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${hash.toString('base64')}`;
}
