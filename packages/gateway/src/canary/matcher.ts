/**
 * Finds the run's decoy values in what the sandbox sends out: DNS names, request targets, headers
 * and bodies. Every encoding an exfiltrating script commonly uses is computed once, up front, from
 * the decoy values ("needles"); scanning is then one pass of a rolling hash over the input (twice:
 * once as is, once lower-cased for the case-insensitive encodings), so it is linear in the input and
 * about as fast for 500 needles as for one.
 *
 * Encodings: plain, JSON string escaping, hex, base64 and base64url (at each of the 3 byte
 * alignments, so a value in the middle of a larger encoded blob is found), base32 (5 alignments),
 * and percent-encoding (by decoding the input). DNS names are scanned with and without their dots,
 * so an encoded value split across labels is found too. For long secrets (>= 32 characters) any
 * 16-character piece counts ("partial"), and their encoded forms are matched in 24-character
 * fragments; so a truncated or spliced copy is caught, not only the whole value.
 *
 * Reversible transforms before the encoding: the value reversed, rot13'd, or both (each then in
 * every encoding above, from its first byte), and every other Caesar shift of its letters (plain):
 * letter games that defeat a matcher of encodings alone (`rev | tr A-Za-z N-ZA-Mn-za-m`). Plain and
 * the case-insensitive encodings are compared lower-cased, so a case-swapped value is found too.
 *
 * Not found: values encoded twice (base64 of hex), compressed (the gateway inflates gzip/deflate
 * bodies before scanning), encrypted, or split into pieces shorter than the limits above.
 */
import type { DecoyIndex, DecoyKind } from '@safe-install/schema';

export type DecoyWhere = 'dns' | 'url' | 'header' | 'body';
type BaseEncoding = 'plain' | 'json' | 'hex' | 'base64' | 'base32' | 'url';
/** A transform of the value before its encoding (see the module comment). */
export type DecoyTransform = 'reversed' | 'rot13' | 'reversed rot13' | 'caesar';
export type DecoyEncoding = BaseEncoding | `${DecoyTransform} ${BaseEncoding}`;

export interface DecoyMatch {
  kind: DecoyKind;
  /** Index of the value in `DecoyIndex.values`. */
  valueIndex: number;
  where: DecoyWhere;
  encoding: DecoyEncoding;
  /** True when only a piece of a long secret was found. */
  partial: boolean;
}

export interface DecoyMatcher {
  /** Scans text (a JS string is taken as UTF-8) or bytes. */
  scan(input: string | Uint8Array, where: DecoyWhere): DecoyMatch[];
  /** Scans a DNS name given as its raw labels (latin1 strings). */
  scanDnsLabels(labels: readonly string[]): DecoyMatch[];
  /** Number of precomputed needles (for diagnostics). */
  readonly needleCount: number;
}

interface Needle {
  text: string;
  valueIndex: number;
  kind: DecoyKind;
  encoding: DecoyEncoding;
  partial: boolean;
}

/** Window of the rolling hash: every needle in the hashed tables is at least this long. */
const WINDOW = 16;
/** Values shorter than this are too likely to occur by chance and are not matched. */
const MIN_VALUE_LENGTH = 10;
/** Secrets at least this long are also matched in pieces. */
const LONG_SECRET = 32;
const PARTIAL_PLAIN = 16;
const FRAGMENT = 24;
const FRAGMENT_STRIDE = 12;
/**
 * The first characters of a PEM body are structure shared by every key of a type (DER tags and
 * lengths, algorithm OIDs, the OpenSSH header: 22 characters for an Ed25519 PKCS#8 key, about 50
 * for RSA and P-256, 82 for an OpenSSH key), and the last ones may be padding and a comment.
 * Pieces from there would match other people's keys, so they are skipped.
 */
function pemHeadSkip(bodyLength: number): number {
  return bodyLength < 150 ? 32 : bodyLength < 300 ? 64 : 96;
}
/** Only OpenSSH bodies (long) end in padding and a comment. */
const pemTailSkip = (bodyLength: number): number => (bodyLength < 300 ? 0 : 24);
/** Hash filter in front of the needle tables: most windows are rejected by one typed-array read. */
const FILTER_MASK = (1 << 20) - 1;
const BASE = 0x01000193;
const POW = (() => {
  let pow = 1;
  for (let index = 0; index < WINDOW - 1; index++) pow = Math.imul(pow, BASE);
  return pow;
})();

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 with padding. */
export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

/**
 * The part of `encode(prefix + bytes)` that depends on `bytes` alone, for a prefix of `align` bytes:
 * what the value looks like when it sits at that offset inside a larger encoded blob.
 */
function alignedEncoding(bytes: Buffer, align: number, bitsPerChar: number, encode: (input: Buffer) => string): string {
  const encoded = encode(Buffer.concat([Buffer.alloc(align), bytes]));
  return encoded.slice(Math.ceil((align * 8) / bitsPerChar), Math.floor(((align + bytes.length) * 8) / bitsPerChar));
}

function hashAt(text: string, start: number): number {
  let hash = 0;
  for (let index = start; index < start + WINDOW; index++) hash = (Math.imul(hash, BASE) + text.charCodeAt(index)) | 0;
  return hash;
}

/** Positions of characters that may belong to a secret piece: token runs outside PEM armour and boilerplate. */
function secretRuns(value: string): Array<[start: number, end: number]> {
  const excluded = new Uint8Array(value.length);
  const pem = /-----BEGIN [A-Z0-9 ]+-----([\s\S]*?)-----END [A-Z0-9 ]+-----/g;
  for (let match = pem.exec(value); match; match = pem.exec(value)) {
    const bodyStart = match.index + match[0].indexOf('-----', 5) + 5;
    const body = match[1] as string;
    const positions: number[] = [];
    for (let index = 0; index < body.length; index++) if (/[A-Za-z0-9+/=]/.test(body[index] as string)) positions.push(bodyStart + index);
    const head = pemHeadSkip(positions.length);
    for (let index = match.index; index < match.index + match[0].length; index++) excluded[index] = 1;
    // Re-admit the body's middle.
    for (let index = head; index < positions.length - pemTailSkip(positions.length); index++) excluded[positions[index] as number] = 0;
  }
  const runs: Array<[number, number]> = [];
  let start = -1;
  for (let index = 0; index <= value.length; index++) {
    const inRun = index < value.length && excluded[index] === 0 && /[A-Za-z0-9+/=_.~-]/.test(value[index] as string);
    if (inRun && start < 0) start = index;
    if (!inRun && start >= 0) {
      runs.push([start, index]);
      start = -1;
    }
  }
  return runs;
}

function distinctChars(text: string): number {
  return new Set(text).size;
}

/** Percent-decodes `%XX` sequences (latin1 in, latin1 out); other bytes pass through. */
function percentDecode(text: string): string {
  return text.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function toLatin1(input: string | Uint8Array): string {
  return typeof input === 'string' ? Buffer.from(input, 'utf8').toString('latin1') : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1');
}

/** The letters of `text` shifted by `n` places (13: rot13); other characters kept. */
export function caesarShift(text: string, n: number): string {
  return text.replace(/[A-Za-z]/g, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + n) % 26) + base);
  });
}

/** Precomputes every needle for the run's decoys. */
export function createDecoyMatcher(index: DecoyIndex): DecoyMatcher {
  const exact = new Map<number, Needle[]>(); // case-sensitive: base64
  const folded = new Map<number, Needle[]>(); // compared lower-cased: plain, json, hex, base32
  const filters = new Map<Map<number, Needle[]>, Uint8Array>([
    [exact, new Uint8Array(FILTER_MASK + 1)],
    [folded, new Uint8Array(FILTER_MASK + 1)],
  ]);
  const shortExact: Needle[] = [];
  const shortFolded: Needle[] = [];
  const seen = new Set<string>();
  let needleCount = 0;

  const add = (needle: Needle, caseSensitive: boolean): void => {
    const text = caseSensitive ? needle.text : needle.text.toLowerCase();
    if (text.length < MIN_VALUE_LENGTH) return;
    const key = `${needle.valueIndex}\u0000${caseSensitive ? 'e' : 'f'}\u0000${text}`;
    if (seen.has(key)) return;
    seen.add(key);
    const stored = { ...needle, text };
    needleCount++;
    if (text.length < WINDOW) {
      (caseSensitive ? shortExact : shortFolded).push(stored);
      return;
    }
    const table = caseSensitive ? exact : folded;
    const hash = hashAt(text, 0);
    (filters.get(table) as Uint8Array)[hash & FILTER_MASK] = 1;
    const bucket = table.get(hash);
    if (bucket) bucket.push(stored);
    else table.set(hash, [stored]);
  };

  const addEncodings = (bytes: Buffer, base: Omit<Needle, 'text' | 'encoding'>, transform?: DecoyTransform): void => {
    const named = (encoding: BaseEncoding): DecoyEncoding => (transform === undefined ? encoding : `${transform} ${encoding}`);
    add({ ...base, text: bytes.toString('hex'), encoding: named('hex') }, false);
    for (let align = 0; align < 3; align++) {
      const standard = alignedEncoding(bytes, align, 6, (input) => input.toString('base64'));
      add({ ...base, text: standard, encoding: named('base64') }, true);
      add({ ...base, text: standard.replace(/\+/g, '-').replace(/\//g, '_'), encoding: named('base64') }, true);
    }
    for (let align = 0; align < 5; align++) add({ ...base, text: alignedEncoding(bytes, align, 5, base32Encode), encoding: named('base32') }, false);
  };

  index.values.forEach((decoy, valueIndex) => {
    const value = decoy.value;
    if (typeof value !== 'string' || value.length < MIN_VALUE_LENGTH) return;
    const base = { valueIndex, kind: decoy.kind, partial: false };
    const plain = Buffer.from(value, 'utf8');
    add({ ...base, text: plain.toString('latin1'), encoding: 'plain' }, false);
    addEncodings(plain, base);
    // Single-line secrets only: a reversed or shifted PEM block is not a thing scripts send.
    if (!value.includes('\n')) {
      const reversed = [...value].reverse().join('');
      for (const [transform, form] of [['reversed', reversed], ['rot13', caesarShift(value, 13)], ['reversed rot13', caesarShift(reversed, 13)]] as const) {
        const bytes = Buffer.from(form, 'utf8');
        add({ ...base, text: bytes.toString('latin1'), encoding: `${transform} plain` }, false);
        addEncodings(bytes, base, transform);
      }
      for (let shift = 1; shift < 26; shift++) {
        if (shift !== 13) add({ ...base, text: Buffer.from(caesarShift(value, shift), 'utf8').toString('latin1'), encoding: 'caesar plain' }, false);
      }
    }
    const json = JSON.stringify(value).slice(1, -1);
    for (const escaped of new Set([json, json.replace(/\//g, '\\/')])) {
      if (escaped === value) continue;
      const bytes = Buffer.from(escaped, 'utf8');
      add({ ...base, text: bytes.toString('latin1'), encoding: 'json' }, false);
      addEncodings(bytes, base);
    }
    if (value.length < LONG_SECRET) return;
    const piece = { ...base, partial: true };
    for (const [start, end] of secretRuns(value)) {
      for (let at = start; at + PARTIAL_PLAIN <= end; at++) {
        const gram = value.slice(at, at + PARTIAL_PLAIN);
        if (distinctChars(gram) >= 8) add({ ...piece, text: Buffer.from(gram, 'utf8').toString('latin1'), encoding: 'plain' }, false);
      }
      for (let at = start; at + FRAGMENT <= end; at += FRAGMENT_STRIDE) {
        const fragment = value.slice(at, at + FRAGMENT);
        if (distinctChars(fragment) >= 10) addEncodings(Buffer.from(fragment, 'utf8'), piece);
      }
    }
  });

  const scanTable = (text: string, table: Map<number, Needle[]>, short: readonly Needle[], found: Needle[]): void => {
    for (const needle of short) if (text.includes(needle.text)) found.push(needle);
    if (text.length < WINDOW || table.size === 0) return;
    const filter = filters.get(table) as Uint8Array;
    let hash = hashAt(text, 0);
    for (let at = 0; ; at++) {
      if (filter[hash & FILTER_MASK] === 1) {
        const bucket = table.get(hash);
        if (bucket) for (const needle of bucket) if (text.startsWith(needle.text, at)) found.push(needle);
      }
      if (at + WINDOW >= text.length) break;
      hash = (Math.imul((hash - Math.imul(text.charCodeAt(at), POW)) | 0, BASE) + text.charCodeAt(at + WINDOW)) | 0;
    }
  };

  const scanLatin1 = (text: string): Needle[] => {
    const found: Needle[] = [];
    scanTable(text, exact, shortExact, found);
    scanTable(text.toLowerCase(), folded, shortFolded, found);
    return found;
  };

  /** One match per value, where and encoding; a full match hides partial ones of the same value. */
  const summarize = (found: ReadonlyArray<{ needle: Needle; encoding: DecoyEncoding }>, where: DecoyWhere): DecoyMatch[] => {
    const best = new Map<string, DecoyMatch>();
    const fullValues = new Set(found.filter(({ needle }) => !needle.partial).map(({ needle }) => needle.valueIndex));
    for (const { needle, encoding } of found) {
      if (needle.partial && fullValues.has(needle.valueIndex)) continue;
      const key = `${needle.valueIndex}:${encoding}`;
      if (!best.has(key)) best.set(key, { kind: needle.kind, valueIndex: needle.valueIndex, where, encoding, partial: needle.partial });
    }
    return [...best.values()].sort((a, b) => a.valueIndex - b.valueIndex || a.encoding.localeCompare(b.encoding));
  };

  const scanForms = (forms: readonly string[], where: DecoyWhere, decodePercent: boolean): DecoyMatch[] => {
    if (needleCount === 0) return [];
    const found: Array<{ needle: Needle; encoding: DecoyEncoding }> = [];
    for (const form of forms) {
      for (const needle of scanLatin1(form)) found.push({ needle, encoding: needle.encoding });
      if (decodePercent && /%[0-9A-Fa-f]{2}/.test(form)) {
        const raw = new Set(found.filter(({ needle }) => !needle.partial).map(({ needle }) => needle.valueIndex));
        for (const needle of scanLatin1(percentDecode(form))) {
          // Found only after decoding: it was percent-encoded.
          if (!raw.has(needle.valueIndex)) found.push({ needle, encoding: needle.encoding === 'plain' ? 'url' : needle.encoding });
        }
      }
    }
    return summarize(found, where);
  };

  return {
    needleCount,
    scan: (input, where) => scanForms([toLatin1(input)], where, where !== 'dns'),
    scanDnsLabels: (labels) => scanForms([labels.join('.'), labels.join('')], 'dns', false),
  };
}
