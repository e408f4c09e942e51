/**
 * Project `.npmrc` handling. The file may hold real registry credentials; those must never reach
 * the sandbox. Auth lines are removed here (the gateway adds real credentials on the way out), and
 * everything else — registry per scope, install settings — is kept so the install behaves the same.
 */

/** Keys (after an optional `//host/path/:` prefix) that carry credentials or client keys. */
const AUTH_KEYS = new Set(['_authtoken', '_auth', '_password', 'password', 'username', 'email', 'certfile', 'keyfile', 'cert', 'key', 'token']);

export interface NpmrcSplit {
  /** The file without credential lines, safe to upload. */
  safe: string;
  /** Credential keys that were removed (names only, never values), for the log. */
  removed: string[];
}

/** The key as npm's `ini` parser reads it: trimmed, unquoted, cut at an inline comment, no `[]`. */
function keyOf(line: string): string | null {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return null;
  const eq = trimmed.indexOf('=');
  let key = (eq === -1 ? trimmed : trimmed.slice(0, eq)).trim();
  if (key.length > 1 && ((key.startsWith('"') && key.endsWith('"')) || (key.startsWith("'") && key.endsWith("'")))) {
    if (key.startsWith("'")) key = key.slice(1, -1);
    try {
      const parsed: unknown = JSON.parse(key);
      if (typeof parsed === 'string') key = parsed;
    } catch {
      // ini keeps it as written
    }
  } else {
    const comment = /(?<!\\)[;#]/.exec(key);
    if (comment) key = key.slice(0, comment.index).trim();
  }
  return key.length > 2 && key.endsWith('[]') ? key.slice(0, -2) : key;
}

/** `//registry.example/:_authToken` -> `_authtoken`; `@scope:_authToken` -> `_authtoken`; `always-auth` -> `always-auth`. */
function bareKey(key: string): string {
  return key.slice(key.lastIndexOf(':') + 1).toLowerCase();
}

export function stripNpmrcCredentials(content: string): NpmrcSplit {
  const kept: string[] = [];
  const removed: string[] = [];
  // npm's ini parser ends a line at any CR or LF, so a lone CR must end it here too.
  for (const line of content.split(/\r\n|\r|\n/)) {
    const key = keyOf(line);
    if (key !== null && AUTH_KEYS.has(bareKey(key))) {
      removed.push(key);
      continue;
    }
    kept.push(line);
  }
  return { safe: kept.join('\n'), removed };
}

/**
 * Settings the sandbox decides, removed from the uploaded copy of the project's `.npmrc` (a project
 * file outranks the sandbox's own npm config):
 * - where npm connects: the gateway decides that. Their values were already read on the host,
 *   through `npm config`, and routed through the gateway;
 * - `script-shell`: every lifecycle script must go through the sandbox's script shell, which has it
 *   traced. A project that named another shell would have its scripts run untraced.
 * Keys compare as npm reads them: case-insensitively, `_` as `-`.
 */
const SANDBOX_KEYS = new Set(['registry', 'proxy', 'https-proxy', 'http-proxy', 'noproxy', 'no-proxy', 'cafile', 'ca', 'strict-ssl', 'replace-registry-host', 'script-shell']);

export function stripNpmrcSandboxKeys(content: string): NpmrcSplit {
  const kept: string[] = [];
  const removed: string[] = [];
  for (const line of content.split(/\r\n|\r|\n/)) {
    const key = keyOf(line);
    const bare = key?.toLowerCase().replace(/^@[^:]+:/, '').replace(/_/g, '-');
    if (key !== null && bare !== undefined && !key.startsWith('//') && SANDBOX_KEYS.has(bare)) {
      removed.push(key);
      continue;
    }
    kept.push(line);
  }
  return { safe: kept.join('\n'), removed };
}
