/**
 * The sandbox jobs of one analysis, in the order they run in one sandbox (see docs/architecture.md,
 * "analyze"). Pure.
 *
 * - `resolve`: the package manager makes the scratch project's lockfile, scripts off, nothing
 *   traced but the manager's network; the lockfile is copied back to the host, checked like any
 *   project's, uploaded again, and is what every later job attributes by.
 * - `install`: the manager installs from that lockfile with every script allowed; each lifecycle
 *   script traced and attributed by the lockfile.
 * - `import`: a Node process, traced as one tree and attributed to the subject, that `require()`s
 *   and `import()`s the package's entry points (its name and each plain subpath of `exports`).
 * - `bins`: each bin the lockfile gives the package, run with `--help` under a short timeout.
 */
import { JOB_VERSION, type PackageIdentity, type PackageRef, type SandboxJob } from '@safe-install/schema';
import type { LockfileSummary } from '@safe-install/sandbox';
import type { PackageManager } from '../package-manager.js';

/** At most this many entry points are loaded, and this many bins run. */
export const ENTRY_LIMIT = 32;
export const BIN_LIMIT = 16;
/** A bin's name as it may appear in an argument: plain, no path. */
const BIN_NAME = /^[A-Za-z0-9_@+-][A-Za-z0-9._@+-]{0,99}$/;

/**
 * The import phase's program (`node -e`, the package's name and the wait as arguments). Written
 * as a developer would try a package by hand: nothing in it names the tool. After loading, it
 * waits up to `wait` ms for what the package left running (a timer, a socket), then ends; an
 * unref'd timer, so a package that leaves nothing running ends at once.
 */
export const IMPORT_PROGRAM = [
  "const [n, w] = process.argv.slice(1); const fs = require('fs'), path = require('path');",
  "let pj = {}; try { pj = JSON.parse(fs.readFileSync(path.join('node_modules', n, 'package.json'), 'utf8')); } catch {}",
  'const subs = [n]; const ex = pj && pj.exports;',
  "if (ex && typeof ex === 'object' && !Array.isArray(ex)) for (const k of Object.keys(ex)) if (k.startsWith('./') && !k.includes('*') && !k.endsWith('/') && k !== './package.json' && subs.length < " + ENTRY_LIMIT + ') subs.push(n + k.slice(1));',
  "const said = (how, s, e) => console.log(how + ' ' + s + ': ' + (e === undefined ? 'ok' : String((e && e.code) || e).slice(0, 200)));",
  '(async () => { for (const s of subs) { try { require(s); said("require", s); } catch (e) { said("require", s, e); } try { await import(s); said("import", s); } catch (e) { said("import", s, e); } }',
  '  setTimeout(() => process.exit(0), Number(w) || 0).unref(); })();',
].join(' ');

/** The lockfile's resolve job: no scripts, nothing to trace but the manager's own network. */
export function resolveJob(pm: PackageManager): SandboxJob {
  return {
    version: JOB_VERSION,
    steps: [{ phase: 'resolve', command: pm.command({ kind: 'lock' }), trace: 'scripts', attribution: 'lockfile', export: 'none' }],
    cacheFolders: [...pm.cacheFolders],
  };
}

/**
 * The install from the lockfile: every lifecycle script traced, attributed by the lockfile. With a
 * clock shift, the same install again, its programs reading a wall clock that far ahead.
 */
export function installPhaseJob(pm: PackageManager, clockShiftSeconds?: number): SandboxJob {
  const shifted = clockShiftSeconds !== undefined && clockShiftSeconds > 0;
  return {
    version: JOB_VERSION,
    steps: [{ phase: shifted ? 'install-shifted' : 'install', command: pm.command({ kind: 'ci' }), trace: 'scripts', attribution: 'lockfile', export: 'none', ...(shifted ? { clockShiftSeconds } : {}) }],
    cacheFolders: [...pm.cacheFolders],
  };
}

/** The import of the package's entry points, its whole process tree traced as the subject's. */
export function importJob(subject: PackageIdentity, waitMs: number, cacheFolders: readonly string[]): SandboxJob {
  return {
    version: JOB_VERSION,
    steps: [{ phase: 'import', command: ['node', '-e', IMPORT_PROGRAM, subject.installedAs, String(Math.max(0, Math.round(waitMs)))], trace: 'tree', attribution: 'subject', subject: ref(subject), export: 'none' }],
    cacheFolders: [...cacheFolders],
  };
}

/** The bins of `subject` the lockfile records (`node_modules/.bin/<name>`), plain names only. */
export function subjectBins(locked: LockfileSummary['identities'], subject: PackageIdentity): string[] {
  const bins: string[] = [];
  for (const [path, owner] of locked.bins) {
    if (owner.path !== subject.path) continue;
    const match = /^node_modules\/\.bin\/([^/]+)$/.exec(path);
    if (match && BIN_NAME.test(match[1]!)) bins.push(match[1]!);
  }
  return bins.sort().slice(0, BIN_LIMIT);
}

/** Each bin with `--help`, under `timeout`, one after another; null when the package has none. */
export function binsJob(subject: PackageIdentity, bins: readonly string[], perBinSeconds: number, cacheFolders: readonly string[]): SandboxJob | null {
  if (bins.length === 0) return null;
  const loop = 't=$1; shift; for b; do timeout -k 2 "$t" "./node_modules/.bin/$b" --help </dev/null; done; exit 0';
  return {
    version: JOB_VERSION,
    steps: [{ phase: 'bins', command: ['sh', '-c', loop, 'sh', String(Math.max(1, Math.round(perBinSeconds))), ...bins], trace: 'tree', attribution: 'subject', subject: ref(subject), export: 'none' }],
    cacheFolders: [...cacheFolders],
  };
}

function ref(identity: PackageRef): PackageRef {
  return { name: identity.name, version: identity.version };
}
