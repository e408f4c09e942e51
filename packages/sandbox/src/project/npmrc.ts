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

function keyOf(line: string): string | null {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return null;
  const eq = trimmed.indexOf('=');
  return (eq === -1 ? trimmed : trimmed.slice(0, eq)).trim();
}

/** `//registry.example/:_authToken` -> `_authtoken`; `always-auth` -> `always-auth`. */
function bareKey(key: string): string {
  const scoped = key.lastIndexOf(':');
  return (key.startsWith('//') && scoped !== -1 ? key.slice(scoped + 1) : key).toLowerCase();
}

export function stripNpmrcCredentials(content: string): NpmrcSplit {
  const kept: string[] = [];
  const removed: string[] = [];
  for (const line of content.split(/\r?\n/)) {
    const key = keyOf(line);
    if (key !== null && AUTH_KEYS.has(bareKey(key))) {
      removed.push(key);
      continue;
    }
    kept.push(line);
  }
  return { safe: kept.join('\n'), removed };
}
