/**
 * A self-signed CA certificate like the one kubeadm puts in a kubeconfig's
 * `certificate-authority-data`. node:crypto parses certificates but cannot issue them, so the
 * TBSCertificate is DER-encoded here (only the few ASN.1 types a certificate needs) and signed with
 * node:crypto. A real, verifiable certificate matters because `certificate-authority-data` that
 * does not parse is an easy tell.
 */
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import type { RandomSource } from './random.js';

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let length: Buffer;
  if (n < 0x80) length = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const octets = (content: Buffer): Buffer => tlv(0x04, content);
const bool = (value: boolean): Buffer => tlv(0x01, Buffer.from([value ? 0xff : 0]));
const utf8 = (text: string): Buffer => tlv(0x0c, Buffer.from(text, 'utf8'));
const explicit = (n: number, content: Buffer): Buffer => tlv(0xa0 + n, content);

/** A non-negative INTEGER from big-endian magnitude bytes. */
function integer(magnitude: Buffer): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const bytes = magnitude.subarray(start);
  return tlv(0x02, (bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes: number[] = [first * 40 + second];
  for (const arc of rest) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** UTCTime up to 2049, GeneralizedTime after, as RFC 5280 §4.1.2.5 requires. */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

/** A BIT STRING of whole bytes (no unused bits). */
const bits = (content: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), content]));

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

export interface CaCertificateOptions {
  commonName: string;
  /** DNS names for the subjectAltName extension (kubeadm puts `kubernetes` there). */
  dnsNames: string[];
  notBefore: Date;
  notAfter: Date;
}

/**
 * A self-signed CA certificate (PEM) on an ECDSA P-256 key, with the extensions kubeadm sets:
 * critical keyUsage (digitalSignature, keyEncipherment, keyCertSign), critical basicConstraints
 * CA:TRUE, subjectKeyIdentifier and subjectAltName. The serial comes from `random`; the key and
 * the ECDSA signature use OpenSSL's randomness.
 */
export function selfSignedCaCertificate(options: CaCertificateOptions, random: RandomSource): string {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]);

  const name = seq(set(seq(oid('2.5.4.3'), utf8(options.commonName))));
  const algorithm = seq(oid(ECDSA_WITH_SHA256));
  // Go's x509 draws a 128-bit serial; the top bit is cleared so the INTEGER stays 16 bytes.
  const serial = Buffer.from(random.bytes(16));
  serial[0] = (serial[0] ?? 0) & 0x7f;
  // keyUsage bits 0 (digitalSignature), 2 (keyEncipherment), 5 (keyCertSign): 1010 0100, 2 unused.
  const keyUsage = tlv(0x03, Buffer.from([2, 0xa4]));
  const san = seq(...options.dnsNames.map((dns) => tlv(0x82, Buffer.from(dns, 'ascii'))));
  const extensions = seq(
    seq(oid('2.5.29.15'), bool(true), octets(keyUsage)),
    seq(oid('2.5.29.19'), bool(true), octets(seq(bool(true)))),
    seq(oid('2.5.29.14'), octets(octets(createHash('sha1').update(point).digest()))),
    // RFC 5280 forbids an empty subjectAltName, so it is left out when there are no names.
    ...(options.dnsNames.length > 0 ? [seq(oid('2.5.29.17'), octets(san))] : []),
  );
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    algorithm,
    name,
    seq(time(options.notBefore), time(options.notAfter)),
    name,
    spki,
    explicit(3, extensions),
  );
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const der = seq(tbs, algorithm, bits(signature));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
