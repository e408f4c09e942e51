/**
 * X.509 certificates for the gateway's per-run CA and the registry host certificates it signs, so
 * the sandbox can know the registry by its real `https://` URL while the gateway still reads (and
 * judges) every registry request. Node can make keys and sign but not build certificates, and no
 * dependency is needed for the little DER this takes: ECDSA P-256 keys, SHA-256 signatures, a
 * handful of extensions. Pure but for the keys and serial numbers (node:crypto).
 *
 * The CA's private key is made in the process that runs the gateway and never leaves it; only the
 * CA certificate (public) goes to the sandbox's trust store.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';

// --- DER, the few types a certificate needs ---

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const sequence = (...items: Buffer[]): Buffer => tlv(0x30, ...items);
const set = (...items: Buffer[]): Buffer => tlv(0x31, ...items);
const explicit = (n: number, item: Buffer): Buffer => tlv(0xa0 + n, item);
const octets = (bytes: Buffer): Buffer => tlv(0x04, bytes);
const utf8 = (text: string): Buffer => tlv(0x0c, Buffer.from(text, 'utf8'));
const bitString = (bytes: Buffer): Buffer => tlv(0x03, Buffer.from([0]), bytes);
const boolean = (value: boolean): Buffer => tlv(0x01, Buffer.from([value ? 0xff : 0]));

/** An unsigned big-endian integer as a DER INTEGER (a leading zero when the top bit is set). */
function integer(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return tlv(0x02, (trimmed[0] as number) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes = [40 * (parts[0] as number) + (parts[1] as number)];
  for (const part of parts.slice(2)) {
    const groups: number[] = [];
    for (let rest = part; ; rest = Math.floor(rest / 128)) {
      groups.unshift(rest & 0x7f);
      if (rest < 128) break;
    }
    bytes.push(...groups.map((group, index) => (index < groups.length - 1 ? group | 0x80 : group)));
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** UTCTime through 2049, GeneralizedTime after (RFC 5280 §4.1.2.5), to the second. */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`, 'ascii')) : tlv(0x18, Buffer.from(`${iso}Z`, 'ascii'));
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

function name(parts: { commonName: string; organization?: string }): Buffer {
  const rdns = [];
  if (parts.organization) rdns.push(set(sequence(oid(OID.organization), utf8(parts.organization))));
  rdns.push(set(sequence(oid(OID.commonName), utf8(parts.commonName))));
  return sequence(...rdns);
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octets(value));
}

/** keyUsage bits, numbered as in RFC 5280 (0 digitalSignature ... 5 keyCertSign, 6 cRLSign). */
function keyUsage(bits: number[]): Buffer {
  let value = 0;
  for (const bit of bits) value |= 0x80 >> bit;
  // Unused trailing bits: the DER rule wants the count of zero bits after the last one set.
  let unused = 0;
  while (unused < 7 && !(value & (1 << unused))) unused++;
  return tlv(0x03, Buffer.from([unused, value]));
}

function subjectAltName(host: string): Buffer {
  if (isIP(host) === 4) return sequence(tlv(0x87, Buffer.from(host.split('.').map(Number))));
  if (isIP(host) === 6) return sequence(tlv(0x87, ipv6Bytes(host)));
  return sequence(tlv(0x82, Buffer.from(host, 'ascii')));
}

/** The 16 bytes of an IPv6 address (already checked by isIP), an embedded IPv4 tail included. */
function ipv6Bytes(host: string): Buffer {
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(host);
  const text = v4 ? host.slice(0, -v4[1]!.length) + (v4[1]!.split('.').map(Number).reduce((words, byte, i) => (i % 2 ? `${words}${byte.toString(16).padStart(2, '0')}` : `${words}${i ? ':' : ''}${byte.toString(16).padStart(2, '0')}`), '')) : host;
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, null];
  const front = head === '' ? [] : head.split(':');
  const back = tail === null || tail === '' ? [] : tail.split(':');
  const groups = tail === null ? front : [...front, ...Array<string>(8 - front.length - back.length).fill('0'), ...back];
  return Buffer.concat(groups.map((group) => Buffer.from(group.padStart(4, '0'), 'hex')));
}

const keyId = (spki: Buffer): Buffer => createHash('sha1').update(spki).digest();

function pem(label: string, der: Buffer): string {
  const base64 = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${base64}-----END ${label}-----\n`;
}

// --- certificates ---

export interface IssuedCertificate {
  /** PEM certificate. */
  cert: string;
  /** PEM (PKCS #8) private key. */
  key: string;
}

export interface CertificateAuthority {
  /** The CA certificate (PEM): what the sandbox trusts. */
  cert: string;
  /** A server certificate for `host` (a DNS name or an IP address), signed by this CA. */
  issue(host: string, now?: Date): IssuedCertificate;
}

interface Signer {
  key: KeyObject;
  spki: Buffer;
  name: Buffer;
}

function build(options: { subject: Buffer; subjectSpki: Buffer; issuer: Signer; notBefore: Date; notAfter: Date; extensions: Buffer[] }): Buffer {
  const algorithm = sequence(oid(OID.ecdsaWithSha256));
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(Buffer.concat([Buffer.from([0x40 | (randomBytes(1)[0] as number) & 0x3f]), randomBytes(15)])), // positive, 16 bytes
    algorithm,
    options.issuer.name,
    sequence(time(options.notBefore), time(options.notAfter)),
    options.subject,
    options.subjectSpki,
    explicit(3, sequence(...options.extensions)),
  );
  const signature = sign('sha256', tbs, { key: options.issuer.key, dsaEncoding: 'der' });
  return sequence(tbs, algorithm, bitString(signature));
}

function newKey(): { key: KeyObject; spki: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { key: privateKey, spki: publicKey.export({ type: 'spki', format: 'der' }) };
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/**
 * A fresh CA (new key, new serial) named `commonName`. Its validity starts a day back (a sandbox
 * clock a little behind must not reject it) and runs a year, like an organisation's own CA would;
 * what it issues is valid for the run's purposes (starts an hour back, runs 90 days).
 */
export function createCertificateAuthority(options: { commonName: string; organization?: string; now?: Date }): CertificateAuthority {
  const now = options.now ?? new Date();
  const { key, spki } = newKey();
  const caName = name(options);
  const caKeyId = keyId(spki);
  const der = build({
    subject: caName,
    subjectSpki: spki,
    issuer: { key, spki, name: caName },
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + 365 * DAY),
    extensions: [
      extension(OID.basicConstraints, true, sequence(boolean(true), integer(Buffer.from([0])))),
      extension(OID.keyUsage, true, keyUsage([5, 6])),
      extension(OID.subjectKeyIdentifier, false, octets(caKeyId)),
    ],
  });
  // One key for every host this CA signs for in a run: a host certificate is then one signature.
  const leaf = newKey();
  const leafKey = leaf.key.export({ type: 'pkcs8', format: 'pem' }) as string;
  return {
    cert: pem('CERTIFICATE', der),
    issue(host: string, at: Date = new Date()): IssuedCertificate {
      const cert = build({
        subject: name({ commonName: host }),
        subjectSpki: leaf.spki,
        issuer: { key, spki, name: caName },
        notBefore: new Date(at.getTime() - HOUR),
        notAfter: new Date(at.getTime() + 90 * DAY),
        extensions: [
          extension(OID.basicConstraints, true, sequence()),
          extension(OID.keyUsage, true, keyUsage([0])),
          extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth))),
          extension(OID.subjectAltName, false, subjectAltName(host)),
          extension(OID.subjectKeyIdentifier, false, octets(keyId(leaf.spki))),
          extension(OID.authorityKeyIdentifier, false, sequence(tlv(0x80, caKeyId))),
        ],
      });
      return { cert: pem('CERTIFICATE', cert), key: leafKey };
    },
  };
}
