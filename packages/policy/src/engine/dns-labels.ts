/**
 * DNS names that carry data. Exfiltration over DNS packs bytes into labels as hex, base32 or
 * base64 — or any alphabet of its own (a letter substitution, a custom base); real host names are
 * words, short hashes (CDN shards) and hyphenated parts. The checks look at each label, and at each
 * hyphen-separated run inside it, so `github-production-release-asset-2e65be` passes while
 * `6e706d5f746f6b656e3d...` does not. They judge shape, not a list of encodings: a long run of
 * letters with next to no vowels is data whatever alphabet made it. Data cut into short labels
 * shows in volume instead (see dns-volume.ts).
 */

/** Shannon entropy in bits per character. */
export function entropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** How `run` looks encoded, or null. `run` has no dots and no hyphens. */
function encodingOf(run: string): string | null {
  const digits = (run.match(/\d/g) ?? []).length;
  const letters = run.length - digits;
  if (run.length >= 16 && /^[0-9a-f]+$/i.test(run) && digits > 0 && letters > 0) return 'hex';
  if (run.length >= 20 && /^[a-z2-7]+$/i.test(run) && (run.match(/[2-7]/g) ?? []).length >= 3 && entropy(run) >= 3.5) return 'base32';
  if (run.length >= 20 && /^[A-Za-z0-9_+/=]+$/.test(run) && /[a-z]/.test(run) && /[A-Z]/.test(run) && digits > 0 && entropy(run) >= 3.8) {
    return 'base64';
  }
  if (run.length >= 40 && entropy(run) >= 4.2) return 'high-entropy';
  // Host names are made of words; even machine-made ones (`productionresultssa10`, CDN shards)
  // stay short or keep the vowels of the words they join. A long run, or a run of 20+ letters
  // that reads like no language, is data in some alphabet (nibbles as letters, a substitution).
  if (run.length >= 32) return 'long random-looking';
  if (run.length >= 20 && unpronounceable(run)) return 'random-looking';
  return null;
}

/**
 * Few vowels, or long consonant clusters: how random letters look next to words. English text is
 * about 38% vowels with clusters of at most four consonants; uniform random letters are 19%
 * vowels (23% counting y) with clusters of six and more.
 */
export function unpronounceable(run: string): boolean {
  const letters = run.toLowerCase().replace(/[^a-z]/g, '');
  if (letters.length < 16) return false;
  const vowels = (letters.match(/[aeiouy]/g) ?? []).length;
  const cluster = Math.max(0, ...(letters.match(/[^aeiouy]+/g) ?? []).map((c) => c.length));
  return vowels / letters.length < 0.22 || cluster >= 6;
}

/** Second-level labels under which a country's registrable domains sit (`example.co.uk`). */
const SECOND_LEVEL = new Set(['co', 'com', 'net', 'org', 'gov', 'edu', 'ac', 'or', 'ne', 'go']);

/**
 * The registrable domain of `name` (what an attacker registers to receive queries): the last two
 * labels, or three under a country's second-level label. Without the public suffix list, a name
 * under a suffix such as `github.io` counts as one domain; that errs towards grouping more, which
 * is the safe side for a volume check.
 */
export function registrableDomain(name: string): string {
  const labels = name.toLowerCase().replace(/\.$/, '').split('.').filter((l) => l !== '');
  const n = labels.length;
  const take = n >= 3 && (labels[n - 1] ?? '').length === 2 && SECOND_LEVEL.has(labels[n - 2] ?? '') ? 3 : 2;
  return labels.slice(-take).join('.');
}

/** Describe the first label of `name` that looks like encoded data, or null when none does. */
export function encodedLabel(name: string): { label: string; encoding: string } | null {
  for (const label of name.split('.')) {
    const runs = [label, ...label.split('-')];
    for (const run of new Set(runs)) {
      if (run.includes('-')) continue;
      const encoding = encodingOf(run);
      if (encoding !== null) return { label, encoding };
    }
  }
  return null;
}

/**
 * The question name of a DNS query payload, as the tracer records `sendto` data (one character
 * per byte, non-UTF-8 bytes replaced). The 12-byte header holds a random id that may decode to one
 * character or two, so the question is looked for at the offsets that allows, and accepted only
 * when it reads as length-prefixed labels of host-name characters ending in a zero byte.
 */
export function dnsQueryNames(data: string): string[] {
  for (const start of [12, 11, 10]) {
    const name = labelsAt(data, start);
    if (name !== null) return [name];
  }
  return [];
}

function labelsAt(data: string, start: number): string | null {
  const labels: string[] = [];
  let pos = start;
  for (let guard = 0; guard < 128; guard++) {
    const len = data.charCodeAt(pos);
    if (Number.isNaN(len)) return null;
    pos++;
    if (len === 0) break;
    if (len > 63) return null;
    const label = data.slice(pos, pos + len);
    if (label.length !== len || !/^[A-Za-z0-9_-]+$/.test(label)) return null;
    labels.push(label);
    pos += len;
  }
  return labels.length > 0 ? labels.join('.') : null;
}
