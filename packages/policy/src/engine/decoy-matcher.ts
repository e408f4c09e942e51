/**
 * Recognises the run's decoys: their files, and their values anywhere — plain or in the encodings
 * exfiltration code uses (hex, base64, base64url, base32, URL encoding). Base64 and base32 of a
 * secret embedded in a longer message depend on its alignment, so each alignment gets its own
 * needle: the encoding of the secret preceded by 0–2 (base64) or 0–4 (base32) bytes, minus the
 * characters those unknown neighbours affect.
 *
 * DNS names are short, so they get every reversible transform the matcher can test cheaply:
 * case-insensitive comparison (case swapped, or a resolver's 0x20 mixing), the value reversed,
 * every Caesar shift of its letters (rot13 among them), and hex, base32 and base64 of the reversed
 * and rot13 forms; with dots (and hyphens) removed, so a value split across labels is found, and
 * across queries (`findInPieces`).
 */
import type { DecoyIndex, DecoyKind, DecoyValue } from '@safe-install/schema';

/** Shorter values would match by chance. */
const MIN_VALUE_LENGTH = 8;
const MIN_NEEDLE_LENGTH = 8;

interface Needle {
  text: string;
  encoding: string;
  /** Compare against the lowercased haystack (hex and base32 are case-insensitive). */
  folded: boolean;
  value: DecoyValue;
}

/** A decoy value found in some text. */
export interface DecoySighting {
  kind: DecoyKind;
  encoding: string;
  /** Where it was planted (`/home/node/.npmrc`, `env:NPM_TOKEN`). */
  plantedAt: string[];
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(acc << (5 - bits)) & 31];
  return out;
}

/** Encodings of `value` that survive being embedded at any offset. */
function needlesFor(value: DecoyValue): Needle[] {
  const out: Needle[] = [];
  const add = (text: string, encoding: string, folded: boolean): void => {
    if (text.length >= MIN_NEEDLE_LENGTH) out.push({ text: folded ? text.toLowerCase() : text, encoding, folded, value });
  };
  // A multi-line secret (a private key) is rarely sent whole; its long lines are as good as the key.
  const parts = value.value.includes('\n')
    ? value.value.split(/\r?\n/).filter((l) => l.length >= 40 && !l.startsWith('-----')).slice(0, 3)
    : [value.value];
  for (const part of parts) {
    const bytes = Buffer.from(part, 'utf8');
    add(part, 'plain', false);
    const url = encodeURIComponent(part);
    if (url !== part) add(url, 'url', false);
    add(bytes.toString('hex'), 'hex', true);
    for (let shift = 0; shift < 3; shift++) {
      const b64 = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64').replace(/=+$/, '');
      const core = b64.slice(Math.ceil((shift * 4) / 3), b64.length - 2);
      add(core, 'base64', false);
      add(core.replace(/\+/g, '-').replace(/\//g, '_'), 'base64', false);
    }
    for (let shift = 0; shift < 5; shift++) {
      const b32 = base32(Buffer.concat([Buffer.alloc(shift), bytes]));
      add(b32.slice(Math.ceil((shift * 8) / 5), b32.length - 2), 'base32', true);
    }
  }
  // Identical needles (a value with nothing to encode) need checking once.
  const seen = new Set<string>();
  return out.filter((n) => (seen.has(`${n.folded}:${n.text}`) ? false : (seen.add(`${n.folded}:${n.text}`), true)));
}

/** The letters of `text` shifted by `n` places (rot13 is 13); other characters kept. */
export function caesar(text: string, n: number): string {
  return text.replace(/[a-z]/gi, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + n) % 26) + base);
  });
}

/** The value's reversible transforms a DNS name may carry, each with its name, all lowercased. */
function dnsNeedlesFor(value: DecoyValue): Needle[] {
  const out: Needle[] = [];
  const add = (text: string, encoding: string): void => {
    if (text.length >= MIN_NEEDLE_LENGTH) out.push({ text: text.toLowerCase(), encoding, folded: true, value });
  };
  const parts = value.value.includes('\n') ? [] : [value.value];
  for (const part of parts) {
    const reversed = [...part].reverse().join('');
    const forms: Array<[string, string]> = [['', part], ['reversed ', reversed], ['rot13 ', caesar(part, 13)], ['reversed rot13 ', caesar(reversed, 13)]];
    for (const [name, form] of forms) {
      const bytes = Buffer.from(form, 'utf8');
      add(form, name === '' ? 'plain (any case)' : name.trim());
      add(bytes.toString('hex'), `${name}hex`);
      add(bytes.toString('base64').replace(/=+$/, ''), `${name}base64`);
      add(bytes.toString('base64url'), `${name}base64url`);
      add(base32(bytes).replace(/=+$/, ''), `${name}base32`);
    }
    for (let shift = 1; shift < 26; shift++) if (shift !== 13) add(caesar(part, shift), `letters shifted by ${shift}`);
  }
  return out;
}

/** Can `needle` be laid end to end out of `labels` (the first may overhang left, the last right)? */
function coveredBy(needle: string, labels: readonly string[]): boolean {
  const n = needle.length;
  const reach = new Uint8Array(n + 1);
  const head = needle.slice(0, 4);
  let any = false;
  for (const label of labels) {
    // The first piece: the end of a label that starts the needle.
    for (let i = label.indexOf(head); i !== -1; i = label.indexOf(head, i + 1)) {
      const tail = label.slice(i);
      if (tail.length >= n) {
        if (tail.startsWith(needle)) return true;
      } else if (needle.startsWith(tail)) {
        reach[tail.length] = 1;
        any = true;
      }
    }
  }
  if (!any) return false;
  for (let p = 1; p < n; p++) {
    if (reach[p] === 0) continue;
    const rest = needle.slice(p);
    for (const label of labels) {
      if (label.length >= rest.length ? label.startsWith(rest) : rest.startsWith(label)) {
        if (label.length >= rest.length) return true;
        reach[p + label.length] = 1;
      }
    }
  }
  return reach[n] === 1;
}

/** Decoy lookups for one run. */
export class DecoyMatcher {
  readonly #files = new Map<string, DecoyKind>();
  /** Other names of planted files (a hard or symbolic link, a rename): the name → the planted path. */
  readonly #aliases = new Map<string, string>();
  readonly #needles: Needle[] = [];
  readonly #dnsNeedles: Needle[] = [];
  readonly #planted = new Map<string, string[]>();

  constructor(index: DecoyIndex | undefined) {
    for (const file of index?.files ?? []) this.#files.set(file.path, file.kind);
    for (const value of index?.values ?? []) {
      this.#planted.set(value.kind, [...(this.#planted.get(value.kind) ?? []), ...value.plantedAt]);
      if (value.value.length < MIN_VALUE_LENGTH) continue;
      this.#needles.push(...needlesFor(value));
      this.#dnsNeedles.push(...dnsNeedlesFor(value));
    }
    // Longest first: redaction must replace a whole secret before any of its parts.
    this.#needles.sort((a, b) => b.text.length - a.text.length);
  }

  get empty(): boolean {
    return this.#files.size === 0 && this.#needles.length === 0;
  }

  /** Where the decoys of `kind` were planted. */
  plantedAt(kind: string): string[] {
    return this.#planted.get(kind) ?? [];
  }

  /** The decoy kind of a planted file, if `path` is one or another name for one. */
  fileKind(path: string): DecoyKind | undefined {
    return this.#files.get(this.#aliases.get(path) ?? path);
  }

  /** The planted file `path` is another name for, when it is an alias (not the file itself). */
  aliasOf(path: string): string | undefined {
    return this.#aliases.get(path);
  }

  /**
   * `name` now reaches the planted file `path` (or an alias of it): `ln ~/.npmrc /tmp/x` and a read
   * of /tmp/x is a read of the decoy. Bounded: a script linking in a loop cannot grow it forever.
   */
  alias(name: string, path: string): void {
    const planted = this.#aliases.get(path) ?? path;
    if (!this.#files.has(planted) || name === planted || this.#aliases.size >= 10_000) return;
    this.#aliases.set(name, planted);
  }

  /** `name` no longer reaches a decoy (deleted, or replaced by another file). */
  unalias(name: string): void {
    this.#aliases.delete(name);
  }

  /**
   * Every decoy value found in `text` (once per value). `dotless` marks a DNS name: also tried
   * with dots (and hyphens) removed, and against the DNS transforms.
   */
  find(text: string, options: { dotless?: boolean } = {}): DecoySighting[] {
    if (this.#needles.length === 0 || text.length < MIN_NEEDLE_LENGTH) return [];
    const dns = options.dotless === true;
    const haystacks = dns ? [...new Set([text, text.replace(/\./g, ''), text.replace(/[.-]/g, '')])] : [text];
    const folded = haystacks.map((h) => h.toLowerCase());
    const found = new Map<DecoyValue, DecoySighting>();
    for (const needle of dns ? [...this.#needles, ...this.#dnsNeedles] : this.#needles) {
      if (found.has(needle.value)) continue;
      const hit = (needle.folded ? folded : haystacks).some((h) => h.includes(needle.text));
      if (hit) found.set(needle.value, { kind: needle.value.kind, encoding: needle.encoding, plantedAt: needle.value.plantedAt });
    }
    return [...found.values()];
  }

  /**
   * Decoy values (in any DNS transform) cut into `pieces` — the labels of several DNS queries, in
   * any order: the value's encoded form must be covered end to end by whole pieces, except that the
   * first may start before it and the last run past it. Pieces under four characters are ignored
   * (counters, separators).
   */
  findInPieces(pieces: readonly string[]): DecoySighting[] {
    const labels = [...new Set(pieces.map((p) => p.toLowerCase()).filter((p) => p.length >= 4))];
    if (labels.length < 2 || this.#dnsNeedles.length === 0) return [];
    const found = new Map<DecoyValue, DecoySighting>();
    for (const needle of this.#dnsNeedles) {
      if (found.has(needle.value) || needle.text.length < 16) continue;
      if (coveredBy(needle.text, labels)) found.set(needle.value, { kind: needle.value.kind, encoding: `${needle.encoding}, in pieces`, plantedAt: needle.value.plantedAt });
    }
    return [...found.values()];
  }

  /** `text` with every decoy value (in any encoding) replaced, so messages never carry one. */
  redact(text: string): string {
    if (this.#needles.length === 0) return text;
    let out = text;
    for (const needle of this.#needles) {
      if (!needle.folded) {
        if (out.includes(needle.text)) out = out.split(needle.text).join(`[decoy ${needle.value.kind}]`);
      } else {
        const lower = out.toLowerCase();
        let i = lower.indexOf(needle.text);
        while (i !== -1) {
          out = `${out.slice(0, i)}[decoy ${needle.value.kind}]${out.slice(i + needle.text.length)}`;
          i = out.toLowerCase().indexOf(needle.text);
        }
      }
    }
    return out;
  }
}
