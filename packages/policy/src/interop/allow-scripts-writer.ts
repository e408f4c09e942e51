/**
 * Writing npm's `allowScripts` the way `npm install-scripts approve` / `deny` do (npm 11.16+,
 * `lib/utils/allow-scripts-writer.js`), for `safe-install approve`. Pure: the caller reads and
 * writes package.json.
 *
 * - approve pins: `"name@version": true` for the lockfile identity (see {@link approveKey}); a
 *   name-only `"name": true` is replaced once every installed version has its pin, and a pinned
 *   allow of a version the lockfile no longer installs is removed (stale);
 * - deny is by name, every version (`"name": false`), and removes the package's other entries;
 * - a deny already there wins: approving a package some `false` entry names changes nothing and
 *   says which entry to remove.
 * Everything else in the map stays where it was (npm ignores non-boolean values; so do we, but
 * we keep them). {@link packageJsonWithAllowScripts} puts the map into package.json's text with
 * every other byte unchanged.
 */
import semver from 'semver';
import { jsonStyle, stringifyJson } from '../learn/policy-text.js';
import { parseJsonSource } from '../source/parse-json-source.js';
import { getEntry, MANIFEST_LIMITS } from '../source/source-node.js';
import { approveKey, denyKey, keyTargets, type ScriptCandidate } from './npm-allow-scripts.js';

export type AllowScriptsDecision = 'approve' | 'deny';

export interface AllowScriptsChange {
  key: string;
  change: 'added' | 'removed-stale' | 'replaced-by-pin' | 'removed-pinned-allow';
}

export interface AllowScriptsEdit {
  /** The new map (a new object; the input is never changed), in the input's key order. */
  allowScripts: Record<string, unknown>;
  changes: AllowScriptsChange[];
  /** Why nothing was written for this package (a deny in the way, no trusted identity). */
  warning?: string;
}

/** `name@1.2.3` (one exact version): an entry approve may replace. */
function isSingleVersionPin(key: string): boolean {
  const at = key.indexOf('@', 1);
  return at > 0 && semver.valid(key.slice(at + 1).trim()) !== null;
}

function copy(map: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of Object.entries(map)) out[key] = value;
  return out;
}

/**
 * One decision about `pkg`, applied to `existing` like npm's writer. `installed` is every locked
 * candidate (the lockfile's); the versions of `pkg`'s identity among them are the ones whose pins
 * are not stale.
 */
export function applyAllowScriptsDecision(
  existing: Readonly<Record<string, unknown>>,
  decision: AllowScriptsDecision,
  pkg: ScriptCandidate,
  installed: readonly ScriptCandidate[],
): AllowScriptsEdit {
  const allowScripts = copy(existing);
  const changes: AllowScriptsChange[] = [];
  const label = pkg.kind === 'registry' ? pkg.name : (pkg.resolved ?? pkg.name);
  if (decision === 'deny') {
    const key = denyKey(pkg);
    if (key === null) return { allowScripts, changes, warning: `${label}: no trusted identity for an allowScripts entry (npm cannot deny it by name); nothing written` };
    for (const other of Object.keys(allowScripts)) {
      if (other !== key && keyTargets(pkg, other)) {
        delete allowScripts[other];
        changes.push({ key: other, change: 'removed-pinned-allow' });
      }
    }
    if (allowScripts[key] !== false) {
      allowScripts[key] = false;
      changes.push({ key, change: 'added' });
    }
    return { allowScripts, changes };
  }

  const key = approveKey(pkg);
  if (key === null) return { allowScripts, changes, warning: `${label}: no trusted identity for a pinned allowScripts entry (npm refuses to approve it); nothing written` };
  for (const [other, value] of Object.entries(allowScripts)) {
    if (value === false && keyTargets(pkg, other)) {
      return { allowScripts, changes, warning: `${other} is denied in allowScripts; remove that entry to approve ${label}` };
    }
  }
  const same = installed.filter((candidate) => candidate.kind === pkg.kind && keyTargets(candidate, key));
  const keep = new Set([key, ...same.map(approveKey).filter((k): k is string => k !== null)]);
  if (isSingleVersionPin(key)) {
    for (const other of Object.keys(allowScripts)) {
      if (!keep.has(other) && allowScripts[other] === true && isSingleVersionPin(other) && keyTargets(pkg, other)) {
        delete allowScripts[other];
        changes.push({ key: other, change: 'removed-stale' });
      }
    }
  }
  if (allowScripts[key] !== true) {
    allowScripts[key] = true;
    changes.push({ key, change: 'added' });
  }
  // A name-only allow goes once every installed version of the package has its own pin.
  const name = denyKey(pkg);
  if (name !== null && name !== key && allowScripts[name] === true && isSingleVersionPin(key) && [...keep].every((k) => allowScripts[k] === true)) {
    delete allowScripts[name];
    changes.push({ key: name, change: 'replaced-by-pin' });
  }
  return { allowScripts, changes };
}

/**
 * package.json's text with its `allowScripts` set to `allowScripts`: every byte outside that value
 * unchanged, the value in the file's own indentation and line ends; a file without the key gets
 * it as its last key. Throws when the text is not a JSON object (the caller read it as one).
 */
export function packageJsonWithAllowScripts(text: string, allowScripts: Readonly<Record<string, unknown>>): string {
  return packageJsonWithField(text, 'allowScripts', allowScripts);
}

/**
 * package.json with one top-level object field (`allowScripts`, Yarn's `dependenciesMeta`) set to
 * `map`, the rest of the text as it was: the field where it was (else last), the file's
 * indentation and line ends. Throws when the result would differ in anything but that field.
 */
export function packageJsonWithField(text: string, field: string, map: Readonly<Record<string, unknown>>): string {
  const parsed = parseJsonSource(text, MANIFEST_LIMITS);
  const root = parsed.root;
  if (root === null || root.kind !== 'map') throw new Error(`package.json is not a JSON object${parsed.errors[0] ? `: ${parsed.errors[0].message}` : ''}`);
  const style = jsonStyle(text);
  const value = { ...map };
  const entry = getEntry(root, field);
  const sep = style.indent === '' ? ':' : ': ';
  let out: string;
  if (entry !== undefined) {
    const lineStart = text.lastIndexOf('\n', entry.key.start - 1) + 1;
    const lead = text.slice(lineStart, entry.key.start);
    out = `${text.slice(0, entry.value.start)}${stringifyJson(value, style, /^[ \t]*$/.test(lead) ? lead : '')}${text.slice(entry.value.end)}`;
  } else {
    const last = root.entries[root.entries.length - 1];
    const closing = root.end - 1;
    if (last === undefined) {
      const inner = style.indent === '' ? '' : `${style.eol}${style.indent}`;
      out = `${text.slice(0, root.start)}{${inner}${JSON.stringify(field)}${sep}${stringifyJson(value, style, style.indent)}${style.indent === '' ? '' : style.eol}}${text.slice(root.end)}`;
    } else {
      const lead = style.indent === '' ? '' : `${style.eol}${style.indent}`;
      out = `${text.slice(0, last.value.end)},${lead}${JSON.stringify(field)}${sep}${stringifyJson(value, style, style.indent)}${text.slice(last.value.end, closing)}${text.slice(closing)}`;
    }
  }
  // The result must be the same document with only the field changed.
  const before = JSON.parse(text) as Record<string, unknown>;
  const after = JSON.parse(out) as Record<string, unknown>;
  if (JSON.stringify({ ...before, [field]: value }) !== JSON.stringify(after)) {
    throw new Error(`editing ${field} in package.json produced a different document (a bug)`);
  }
  return out;
}
