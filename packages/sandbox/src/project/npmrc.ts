/**
 * Project `.npmrc` handling. Every `.npmrc` that goes into the sandbox (the root's, a workspace's, a
 * `file:` folder's) is untrusted input the project controls, and may hold real registry
 * credentials. One pass over it, reading each line exactly as npm 11's `ini` parser does:
 * - credential lines are removed (the gateway adds real credentials on the way out; the upload
 *   plan puts decoys in their place);
 * - settings the sandbox decides are removed and reported: where npm connects (the gateway), and
 *   anything that changes how or whether lifecycle scripts run and are traced (script shell, where
 *   npm reads its config, programs npm itself starts, layout);
 * - everything else — install settings — is kept byte for byte, so the install behaves the same.
 */

/** One line of an npmrc file, as npm's `ini` parser reads it. */
export interface NpmrcLine {
  raw: string;
  /** `entry`: a `key[=value]` line; `section`: a `[name]` line; `other`: blank or comment. */
  kind: 'entry' | 'section' | 'other';
  /** The key (unquoted, cut at an inline comment, without `[]`), or the section's name. */
  key: string;
  /** The value as ini decodes it (a key with no `=` is `true`). */
  value: string | boolean | null;
  /** The section the line is in (null at the top level, where npm reads its settings). */
  section: string | null;
}

/**
 * ini's `unsafe`: trim; a quoted string is JSON-decoded (single quotes stripped first); otherwise
 * the text is cut at the first unescaped `;` or `#`, and `\;` `\#` `\\` are unescaped.
 */
function unsafe(text: string): string {
  const value = text.trim();
  if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) {
    const inner = value.startsWith("'") ? value.slice(1, -1) : value;
    try {
      const parsed: unknown = JSON.parse(inner);
      // ini keeps whatever JSON.parse returns; only strings can be keys or string settings.
      return typeof parsed === 'string' ? parsed : String(parsed);
    } catch {
      return inner;
    }
  }
  let out = '';
  let escaped = false;
  for (const char of value) {
    if (escaped) {
      out += '\\;#'.includes(char) ? char : `\\${char}`;
      escaped = false;
    } else if (char === ';' || char === '#') break;
    else if (char === '\\') escaped = true;
    else out += char;
  }
  if (escaped) out += '\\';
  return out.trim();
}

const SECTION = /^\[([^\]]*)\]\s*$/;
const ENTRY = /^([^=]+)(=(.*))?$/;

/**
 * Every line, classified as npm reads it. Lines end at any CR or LF (ini splits on `[\r\n]+`; the
 * empty lines that leaves are kept here as `other`, so that the output keeps the file's shape).
 */
export function parseNpmrcLines(text: string): NpmrcLine[] {
  const lines: NpmrcLine[] = [];
  let section: string | null = null;
  for (const raw of text.split(/\r\n|\r|\n/)) {
    const other = { raw, kind: 'other' as const, key: '', value: null, section };
    if (raw === '' || /^\s*[;#]/.test(raw) || /^\s*$/.test(raw)) {
      lines.push(other);
      continue;
    }
    const header = SECTION.exec(raw);
    if (header) {
      section = unsafe(header[1] ?? '');
      lines.push({ raw, kind: 'section', key: section, value: null, section: null });
      continue;
    }
    const entry = ENTRY.exec(raw);
    if (!entry) {
      lines.push(other);
      continue;
    }
    const rawKey = unsafe(entry[1] ?? '');
    const key = rawKey.length > 2 && rawKey.endsWith('[]') ? rawKey.slice(0, -2) : rawKey;
    const decoded = entry[2] !== undefined ? unsafe(entry[3] ?? '') : true;
    const value = decoded === 'true' ? true : decoded === 'false' ? false : decoded === 'null' ? null : decoded;
    lines.push({ raw, kind: 'entry', key, value, section });
  }
  return lines;
}

/** Top-level `key -> value` pairs (strings as written; later lines win), as npm's config sees them. */
export function npmrcValues(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of parseNpmrcLines(text)) {
    if (line.kind !== 'entry' || line.section !== null || line.key === '__proto__') continue;
    values.set(line.key, line.value === true ? 'true' : line.value === false ? 'false' : line.value === null ? 'null' : line.value);
  }
  return values;
}

/** Keys (after an optional `//host/path/:` or `@scope:` prefix) that carry credentials or client keys. */
const AUTH_KEYS = new Set(['_authtoken', '_auth', '_password', 'password', 'username', 'email', 'certfile', 'keyfile', 'cert', 'key', 'token', 'otp']);

/** Why the sandbox removes a setting. */
export type RemovedReason =
  /** Where npm connects and how it trusts the far end: the gateway decides. */
  | 'network'
  /** How or whether lifecycle scripts run and are traced, and where npm reads its config. */
  | 'scripts'
  /** Folders and programs of the sandbox image: cache, prefix, Node headers, node-gyp. */
  | 'sandbox'
  /** A key spelled with `${…}`: what npm would read it as depends on the environment. */
  | 'expansion';

/**
 * Settings the sandbox decides, by reason. A project file outranks the sandbox's user and global
 * config, so these must not survive in any uploaded `.npmrc` (the sandbox also fixes `globalconfig`
 * and `userconfig` in npm's environment, which outranks every file: see run-install).
 */
export const SANDBOX_DECIDES: Readonly<Record<Exclude<RemovedReason, 'expansion'>, readonly string[]>> = {
  network: ['registry', 'proxy', 'https-proxy', 'http-proxy', 'noproxy', 'no-proxy', 'cafile', 'ca', 'strict-ssl', 'replace-registry-host', 'local-address'],
  // Every lifecycle script must go through the sandbox's script shell, which has it traced; npm
  // itself is not traced, so no program npm starts (onload-script, git, editor…) may be the project's.
  scripts: [
    'script-shell', 'shell', 'ignore-scripts', 'onload-script', 'node-options', 'git', 'editor', 'browser', 'viewer', 'init-module',
    'globalconfig', 'userconfig', 'global', 'location',
  ],
  sandbox: ['prefix', 'cache', 'logs-dir', 'tmp', 'nodedir', 'node-gyp'],
};

const REASON_OF = new Map<string, Exclude<RemovedReason, 'expansion'>>(
  Object.entries(SANDBOX_DECIDES).flatMap(([reason, keys]) => keys.map((key) => [key, reason as Exclude<RemovedReason, 'expansion'>] as const)),
);

/**
 * A key in every spelling npm accepts anywhere (a file keeps keys as written, but the environment
 * lowercases them and reads `_` as `-`, and nested npm runs re-read settings through it): lower
 * case, `_` as `-`, no `npm_config_` prefix, no `//host/:` or `@scope:` prefix.
 */
export function canonicalKey(key: string): string {
  let bare = key.slice(key.lastIndexOf(':') + 1).trim().toLowerCase();
  // npm exports every file key to scripts as `npm_config_<key>` (set-envs.js), and a nested npm
  // reads that back: a prefix, however often repeated, is peeled off.
  while (/^npm[-_]config[-_]/.test(bare)) bare = bare.slice('npm_config_'.length);
  return bare.replace(/(?!^)_/g, '-');
}

/** npm expands `${NAME}` and `${NAME?}` in keys (env-replace.js); an odd number of `\` escapes it. */
const EXPANSION = /(?<!\\)(\\\\)*\$\{[^${}?]+\??\}/;

export interface RemovedKey {
  key: string;
  reason: RemovedReason;
}

export interface SanitizedNpmrc {
  /** The file without the removed lines, safe to upload. */
  safe: string;
  /** Credential keys that were removed (names only, never values): decoys go in their place. */
  credentials: string[];
  /** Other removed settings (names only), for the CLI and the report. */
  removed: RemovedKey[];
}

function classify(key: string): 'credential' | RemovedReason | null {
  const canonical = canonicalKey(key);
  if (AUTH_KEYS.has(key.slice(key.lastIndexOf(':') + 1).toLowerCase()) || AUTH_KEYS.has(canonical)) return 'credential';
  if (EXPANSION.test(key)) return 'expansion';
  return REASON_OF.get(canonical) ?? null;
}

export function sanitizeNpmrc(content: string): SanitizedNpmrc {
  const kept: string[] = [];
  const credentials: string[] = [];
  const removed: RemovedKey[] = [];
  let droppingSection = false;
  for (const line of parseNpmrcLines(content)) {
    if (line.kind === 'section') {
      // npm reads `[name]` as a setting `name` (the first dotted part) holding an object. A section
      // the sandbox decides goes with all its lines: dropping only the header would lift its
      // entries to the top level.
      const verdict = classify(line.key.split('.')[0] ?? '') ?? classify(line.key);
      droppingSection = verdict !== null;
      // (A section named like a credential holds none npm would use: it is removed, not decoyed.)
      if (verdict !== null) removed.push({ key: `[${line.key}]`, reason: verdict === 'credential' ? 'network' : verdict });
      if (!droppingSection) kept.push(line.raw);
      continue;
    }
    if (droppingSection) continue;
    if (line.kind === 'entry') {
      const verdict = classify(line.key);
      if (verdict === 'credential') {
        credentials.push(line.key);
        continue;
      }
      if (verdict !== null) {
        removed.push({ key: line.key, reason: verdict });
        continue;
      }
    }
    kept.push(line.raw);
  }
  return { safe: kept.join('\n'), credentials, removed };
}
