/**
 * Untrusted strings from the trace (paths, argv, host names) end up in messages printed on
 * terminals and in CI logs. Escape what could move the cursor, reorder text or hide characters,
 * and bound the length.
 */

// C0 and C1 controls, DEL, zero-width characters, bidi embeddings/overrides/isolates, BOM.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/gu;

/** Make `text` safe to print on one line, at most `max` characters. */
export function sanitizeText(text: string, max = 200): string {
  const escaped = text.replace(UNSAFE, (c) => {
    const code = c.codePointAt(0) ?? 0;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  if (escaped.length <= max) return escaped;
  return `${escaped.slice(0, max - 1)}…`;
}

/** A command line for a message: argv joined, each part sanitized, bounded. */
export function formatArgv(argv: readonly string[], max = 160): string {
  const parts = argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a)));
  return sanitizeText(parts.join(' '), max);
}
