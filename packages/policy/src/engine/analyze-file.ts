/**
 * File events: where install scripts write (persistence, other packages, the host, outside their
 * folder, their own tracks) and what they read (decoys, credential stores, the environment,
 * sandbox markers, HOME at large).
 *
 * Events without attribution are the package manager's own work (unpacking node_modules, reading
 * its config) and are not judged; they only clear the "written by a script" mark of a file.
 */
import type { FileEvent } from '@safe-install/schema';
import { basename, isWithin, normalizePath } from '../match/path-pattern.js';
import type { RuleId } from '../rule-catalog.js';
import { ruleInfo } from '../rule-catalog.js';
import type { Severity } from '@safe-install/schema';
import type { Analysis, SweepState } from './analysis.js';
import { report } from './analysis.js';
import { downloadSeverity } from './analyze-process.js';
import {
  credentialCategory,
  hostTamperKind,
  isEnvFile,
  isEnvironFile,
  isHarmlessWrite,
  persistenceKind,
  isObserverProbe,
  probeSubject,
  sandboxProbeKind,
} from './known-paths.js';
import type { ScriptRun } from './trace-model.js';
import { packageKey } from './trace-model.js';

/** Distinct files read under HOME (outside the project and caches) that make a sweep. */
export const HOME_SWEEP_THRESHOLD = 200;
/** Distinct credential categories probed (even unsuccessfully) that make a sweep. */
export const CREDENTIAL_SWEEP_THRESHOLD = 4;

export type WriteKind = 'create' | 'modify' | 'delete' | 'rename-from' | 'rename-to' | 'link' | 'chmod' | 'mkdir';

export function analyzeFile(a: Analysis, e: FileEvent): void {
  const path = normalizePath(e.path);
  const target = e.target === undefined ? undefined : normalizePath(e.target);
  if (e.package === undefined) {
    // The package manager replaced or removed it: whatever a script wrote there is gone.
    if (e.ok !== false) {
      if (writes(e)) a.taint.removed(target ?? path);
      if (e.action === 'rename') a.taint.removed(path);
      if (writes(e)) a.links.removed(target ?? path);
    }
    return;
  }
  const run = a.model.runOf(e);
  if (run === undefined) return;
  trackDecoyAliases(a, e, path, target);
  trackTaint(a, e, run, path, target);
  trackLinks(a, e, path, target);
  trackWipe(a, e, run, path, target);

  const memory = otherProcessMemory(path, e.pid);
  if (memory !== null && e.action === 'open') {
    const write = e.intent?.write === true;
    report(a, e, run, {
      rule: 'tracer-tamper',
      ...(write ? {} : { severity: 'high' as const }),
      subject: 'process memory',
      message: `opened ${path} for ${write ? 'writing' : 'reading'}: ${write ? 'code injection into' : 'reading the memory of'} another process${e.ok === false ? ` (attempt failed: ${e.errno ?? 'error'})` : ''}`,
    });
    return;
  }

  switch (e.action) {
    case 'stat': {
      // A look, not a read: only a look for a sandbox or debugger marker says something.
      const probe = sandboxProbeKind(path);
      if (probe !== null) {
        report(a, e, run, { rule: 'sandbox-probe', subject: probeSubject(path), message: `looked for ${path}: ${probe}${e.ok === false ? ` (not there: ${e.errno ?? 'error'})` : ''}` });
        if (e.ok !== false && isContainerMarker(path) && !a.probes.has(run.key)) a.probes.set(run.key, { ts: e.ts, package: run.package, after: 0, endTs: null });
      }
      break;
    }
    case 'open': {
      const intent = e.intent ?? { read: true, write: false, create: false };
      if (intent.write || intent.create || intent.truncate === true) {
        judgeWrite(a, e, run, path, intent.create ? 'create' : 'modify');
        notePlant(a, e, run, path);
      }
      if (intent.read) judgeRead(a, e, run, path);
      break;
    }
    case 'unlink':
    case 'rmdir':
      // A failed unlink of a file that does not exist changes nothing and hides nothing.
      if (!(e.ok === false && e.errno === 'ENOENT')) judgeWrite(a, e, run, path, 'delete');
      break;
    case 'rename':
      judgeWrite(a, e, run, path, 'rename-from');
      if (target !== undefined) judgeWrite(a, e, run, target, 'rename-to');
      if (target !== undefined) notePlant(a, e, run, target);
      break;
    case 'link':
    case 'symlink':
      if (target !== undefined) judgeWrite(a, e, run, target, 'link');
      if (target !== undefined) notePlant(a, e, run, target);
      break;
    case 'chmod':
      judgeWrite(a, e, run, path, 'chmod');
      judgeChmod(a, e, run, path);
      break;
    case 'mkdir':
      // `mkdir -p` walks every parent: a folder that already exists was not made (EEXIST).
      if (!(e.ok === false && e.errno === 'EEXIST')) judgeWrite(a, e, run, path, 'mkdir');
      break;
    case 'utime':
      judgeTimeSet(a, e, run, path);
      break;
  }
}

/** How far before its script's start a time may be set and still be "now" (clock granularity, `touch -d` rounding). */
const TIME_SLACK_MS = 2_000;
/** How far after the call a time may be set before it is a time in the future. */
const FUTURE_SLACK_MS = 60_000;

/**
 * A script setting a modification time. The filesystem diff attributes a change it cannot explain
 * by the file's mtime, so a time moved before the script's start (or far ahead) hides who changed
 * the file. Benign tools set times on files they write themselves — `tar -x` restores the archive's,
 * `cp -p` the source's, a nested npm its tarballs' — so a file this package changed by a traced call
 * earlier in the install is its own business; so is scratch space, and the image's npm. A forged
 * time on a file it never wrote is `forged-mtime`: high outside its own folder, low inside it (its
 * own files are judged as its own anyway).
 */
function judgeTimeSet(a: Analysis, e: FileEvent, run: ScriptRun, path: string): void {
  if (e.ok === false || e.mtime === undefined) return;
  const past = e.mtime < run.startTs - TIME_SLACK_MS;
  const future = e.mtime > e.ts + FUTURE_SLACK_MS;
  if (!past && !future) return;
  if (a.tracedChanges.get(path) === packageKey(run.package)) return;
  if (a.ctx.tmpDirs.some((t) => isWithin(path, t)) || a.model.isPackageManager(e.pid)) return;
  const own = isWithin(path, run.dir);
  const when = Number.isFinite(e.mtime) && Math.abs(e.mtime) < 8.64e15 ? new Date(e.mtime).toISOString() : String(e.mtime);
  report(a, e, run, {
    rule: 'forged-mtime',
    ...(own ? { severity: 'low' as const } : {}),
    subject: own ? run.dir : path,
    sample: path,
    message: `set the modification time of ${path}, a file it did not write, to ${when}${past ? ', before its script started' : ', in the future'}: the filesystem diff attributes unseen changes by that time`,
  });
}

/** A `node_modules/.bin` entry written at install time: whoever later runs it runs the writer's code. */
function notePlant(a: Analysis, e: FileEvent, run: ScriptRun, path: string): void {
  if (e.ok === false || !/\/node_modules\/\.bin\/[^/]+$/.test(path)) return;
  if (!a.plantedBins.has(path)) a.plantedBins.set(path, run);
}

/**
 * A hard link, symbolic link or rename of a planted credential file gives it another name; reading
 * that name reads the decoy (P3 with `ln ~/.aws/credentials /tmp/c; cat /tmp/c`). Whatever else is
 * written to the name afterwards is no longer the decoy.
 */
function trackDecoyAliases(a: Analysis, e: FileEvent, path: string, target: string | undefined): void {
  if (e.ok === false) return;
  if ((e.action === 'link' || e.action === 'symlink' || e.action === 'rename') && target !== undefined) {
    if (a.decoys.fileKind(path) !== undefined) a.decoys.alias(target, path);
    else a.decoys.unalias(target);
  } else if (e.action === 'unlink' || (e.action === 'open' && e.intent?.truncate === true)) {
    a.decoys.unalias(path);
  }
}

/**
 * The files whose presence says "container", and the looks for the observer (TracerPid, the process
 * list): a script that finds one and stops at once is hiding (see correlate.ts).
 */
function isContainerMarker(path: string): boolean {
  return path === '/.dockerenv' || path === '/.containerenv' || path === '/run/.containerenv' || isObserverProbe(path);
}

/** `/proc/<pid>/mem` of a process other than the caller's own; null otherwise. */
export function otherProcessMemory(path: string, pid: number): string | null {
  const match = /^\/proc\/(\d+)(?:\/task\/\d+)?\/mem$/.exec(path);
  return match !== null && Number(match[1]) !== pid ? path : null;
}

/**
 * Wipers overwrite a file before deleting it, so nothing can be recovered (Shai-Hulud 2.0's `shred`,
 * or a rewrite with zeros then `unlink`). A file opened to overwrite — without O_CREAT, or a second
 * time — and then deleted, outside the script's own folder, node_modules and the temporary
 * directories, is a wipe. Temporary files (written once, deleted) are not.
 */
function trackWipe(a: Analysis, e: FileEvent, run: ScriptRun, path: string, target: string | undefined): void {
  if (e.ok === false || (e.action !== 'open' && e.action !== 'unlink' && e.action !== 'rename')) return;
  const { homeDir, nodeModules, projectDir, tmpDirs } = a.ctx;
  if (isWithin(path, run.dir) || isWithin(path, nodeModules) || tmpDirs.some((t) => isWithin(path, t))) return;
  if (isWithin(path, projectDir) || path.startsWith('/dev/') || path.startsWith('/proc/')) return;
  let w = a.wipes.get(run.key);
  if (w === undefined) {
    w = { overwrites: new Map(), reported: false };
    a.wipes.set(run.key, w);
  }
  if (e.action === 'open') {
    const intent = e.intent;
    if (intent?.write !== true) return;
    const seen = w.overwrites.get(path) ?? 0;
    // Opening an existing file to write without creating it is an overwrite at once.
    w.overwrites.set(path, seen + (intent.create ? 1 : 2));
    return;
  }
  if (e.action === 'rename') {
    // shred -u renames the overwritten file down to `0` before unlinking it.
    const count = w.overwrites.get(path);
    if (count !== undefined && target !== undefined) w.overwrites.set(target, count);
    return;
  }
  if ((w.overwrites.get(path) ?? 0) < 2 || w.reported) return;
  w.reported = true;
  report(a, e, run, {
    rule: 'destructive-wipe',
    subject: isWithin(path, homeDir) ? areaOf(path, homeDir) : path.split('/').slice(0, 3).join('/'),
    message: `overwrote ${path}, then deleted it (a wipe: what was there cannot be recovered)`,
  });
}

function writes(e: FileEvent): boolean {
  if (e.action === 'open') return e.intent?.write === true || e.intent?.create === true || e.intent?.truncate === true;
  return e.action !== 'chmod' && e.action !== 'stat' && e.action !== 'utime';
}

function trackLinks(a: Analysis, e: FileEvent, path: string, target: string | undefined): void {
  if (e.ok === false) return;
  if (e.action === 'symlink' && target !== undefined) a.links.symlinked(path, target);
  else if (e.action === 'link' && target !== undefined) a.links.hardlinked(path, target);
  else if (e.action === 'unlink' || e.action === 'rmdir') a.links.removed(path);
  else if (e.action === 'rename') {
    a.links.removed(path);
    if (target !== undefined) a.links.removed(target);
  }
}

function trackTaint(a: Analysis, e: FileEvent, run: ScriptRun, path: string, target: string | undefined): void {
  if (e.ok === false) return;
  const taint = a.model.isBuildTool(e.pid)
    ? null
    : { eventId: e.id, ts: e.ts, packageKey: packageKey(run.package), writer: a.model.imageOf(e.pid)?.path ?? '?' };
  switch (e.action) {
    case 'open':
      if (e.intent?.write === true || e.intent?.create === true || e.intent?.truncate === true) a.taint.written(path, taint);
      break;
    case 'rename':
      if (target !== undefined) a.taint.renamed(path, target);
      break;
    case 'link':
    case 'symlink':
      if (target !== undefined) a.taint.linked(path, target);
      break;
    case 'unlink':
      a.taint.removed(path);
      break;
  }
}

/**
 * The installed package whose folder holds `path`, read the way npm lays packages out: after a
 * `node_modules/` comes a package name (`@scope/name`), and only a `node_modules` directly inside
 * that package's folder holds further packages. Later segments are the package's own files,
 * whatever they spell: node-gyp's `build/Release/.deps/app/node_modules/<name>/…` mirrors source
 * paths and stays the building package's. A path inside `within` (the writing script's folder) is
 * read from there, so a `file:` folder outside node_modules is no exception.
 */
export function owningPackage(path: string, within?: string): { dir: string; name: string } | null {
  let dir: string;
  let rest: string[];
  if (within !== undefined && isWithin(path, within)) {
    dir = within;
    rest = path === within ? [] : path.slice(within.length + 1).split('/');
  } else {
    const marker = '/node_modules/';
    const i = path.indexOf(marker);
    if (i === -1) return null;
    dir = path.slice(0, i);
    rest = ['node_modules', ...path.slice(i + marker.length).split('/')];
  }
  let owner: { dir: string; name: string } | null = within !== undefined && dir === within ? { dir, name: '' } : null;
  while (rest[0] === 'node_modules') {
    const first = rest[1] ?? '';
    if (first === '') break;
    const scoped = first.startsWith('@') && rest[2] !== undefined && rest[2] !== '';
    const name = scoped ? `${first}/${rest[2] ?? ''}` : first;
    dir = `${dir}/node_modules/${name}`;
    owner = { dir, name };
    rest = rest.slice(scoped ? 3 : 2);
  }
  return owner !== null && owner.name === '' ? null : owner;
}

const VERB: Record<WriteKind, string> = {
  create: 'created',
  modify: 'wrote',
  delete: 'deleted',
  'rename-from': 'renamed away',
  'rename-to': 'renamed a file onto',
  link: 'linked a file as',
  chmod: 'changed the mode of',
  mkdir: 'created the folder',
};

function judgeWrite(a: Analysis, e: FileEvent, run: ScriptRun, named: string, kind: WriteKind): void {
  // Through a link a script made, the write lands where the link points.
  const landed = kind === 'link' ? null : a.links.resolve(named, kind === 'create' || kind === 'modify');
  const path = landed?.path ?? named;
  if (isHarmlessWrite(path)) return;
  const attempted = e.ok === false ? ` (attempt failed: ${e.errno ?? 'error'})` : '';
  const verb = VERB[kind];
  const through = landed === null ? '' : ` (through the link ${landed.via}, as ${named})`;
  const found = classifyWrite(a, run, path, kind);
  if (found === null) return;
  // Only what the catalog calls allowable can be allowed by a `write` entry.
  if (ruleInfo(found.rule).allowable && a.policy.writeAllowed(run, path)) return;
  const learnable = found.rule === 'write-outside-package' || found.rule === 'foreign-package-write';
  const hit: Parameters<typeof report>[3] = {
    rule: found.rule,
    subject: found.subject,
    message: `${verb} ${path}${through}${found.what === '' ? '' : ` — ${found.what}`}${attempted}`,
  };
  if (found.severity !== undefined) hit.severity = found.severity;
  if (learnable && e.ok !== false) {
    hit.suggestion = { field: 'write', value: path, lifecycle: run.lifecycle, why: `${verb} ${path}`, review: found.rule === 'foreign-package-write' };
  }
  report(a, e, run, hit);
}

interface WriteClass {
  rule: RuleId;
  severity?: Severity;
  subject: string;
  what: string;
}

/** Which rule a write by `run` to `path` falls under, or null when it is the script's own business. */
export function classifyWrite(a: Analysis, run: ScriptRun, path: string, kind: WriteKind): WriteClass | null {
  const { homeDir: home, projectDir: project } = a.ctx;
  const persistence = persistenceKind(path, home, project);
  if (persistence !== null) return { rule: 'persistence-write', subject: path, what: persistence };
  const tamper = hostTamperKind(path);
  if (tamper !== null) return { rule: 'privilege-escalation', subject: path, what: `tampers with the ${tamper}` };

  // The project's own scripts (husky's prepare, patch-package) may change the project; they are
  // the project's code, not a dependency's.
  if (run.projectOwn && isWithin(path, project)) return null;
  // Scratch space, node_modules folders of throw-away installs in it included (esbuild's fallback).
  if (a.ctx.tmpDirs.some((t) => isWithin(path, t))) return null;

  const owner = owningPackage(path, run.dir);
  if (owner !== null && owner.dir !== run.dir && !run.projectOwn) {
    if (path.split('/').includes('__pycache__')) return null; // Python's bytecode cache (node-gyp's gyp)
    if (owner.name.startsWith('.')) {
      if (['.bin', '.package-lock.json', '.modules.yaml', '.pnpm', '.yarn-state.yml', '.yarn-integrity'].includes(owner.name)) {
        return { rule: 'foreign-package-write', subject: owner.dir, what: `${owner.name} belongs to the package manager` };
      }
      // Generated-code folders such as node_modules/.prisma: outside the package, but nobody's.
      return { rule: 'write-outside-package', subject: owner.dir, what: 'outside its own folder' };
    }
    return { rule: 'foreign-package-write', subject: owner.dir, what: `inside package ${owner.name}` };
  }
  if (isWithin(path, run.dir)) return selfTamper(run, path, kind);
  // Yarn PnP's files are what node_modules is for the other linkers: the resolution map that runs
  // on the host (`node -r .pnp.cjs`) and every package's code (the cache's zips).
  const pnp = yarnPnpFile(path, project);
  if (pnp !== null) return { rule: 'foreign-package-write', subject: pnp, what: `${pnp.slice(project.length + 1)} belongs to the package manager (Yarn PnP)` };
  // Other project files a dependency writes (msw's public/mockServiceWorker.js) come back as
  // project files, listed in the report; the ones that never may are refused by the export.
  if (isWithin(path, project)) return null;
  const area = areaOf(path, home);
  if (['.cache', '.npm', '.node-gyp', '.local/share/pnpm', '.pnpm-store'].some((d) => isWithin(path, `${home}/${d}`))) {
    return { rule: 'write-outside-package', severity: 'low', subject: area, what: 'in a cache under HOME' };
  }
  return { rule: 'write-outside-package', subject: area, what: 'outside its own folder' };
}

/** The Yarn PnP file or folder `path` is (or lies in): `.pnp.cjs`, `.pnp.loader.mjs`, `.pnp.data.json`, `.yarn/cache`, `.yarn/unplugged`; or null. */
function yarnPnpFile(path: string, project: string): string | null {
  for (const name of ['.pnp.cjs', '.pnp.loader.mjs', '.pnp.data.json']) if (path === `${project}/${name}`) return path;
  for (const folder of ['.yarn/cache', '.yarn/unplugged']) if (isWithin(path, `${project}/${folder}`)) return `${project}/${folder}`;
  return null;
}

/** Group writes by area (`~/.cache/puppeteer`, `/var/lib`) so a thousand files make one finding. */
function areaOf(path: string, home: string): string {
  if (isWithin(path, home)) {
    const rel = path.slice(home.length + 1).split('/');
    const depth = rel[0] === '.cache' || rel[0] === '.config' || rel[0] === '.local' ? 2 : 1;
    return ['~', ...rel.slice(0, Math.min(depth, rel.length))].join('/');
  }
  return path.split('/').slice(0, 3).join('/') || '/';
}

function selfTamper(run: ScriptRun, path: string, kind: WriteKind): WriteClass | null {
  if (path === `${run.dir}/package.json` && kind !== 'chmod' && kind !== 'link') {
    return { rule: 'self-tamper', subject: path, what: 'its own package.json' };
  }
  const removes = kind === 'delete' || kind === 'rename-from' || kind === 'modify';
  if (removes && run.scriptFiles.has(path)) return { rule: 'self-tamper', subject: path, what: 'the install script it is running' };
  if (kind === 'delete' && path === run.dir) return { rule: 'self-tamper', subject: path, what: 'its own folder' };
  return null;
}

function judgeChmod(a: Analysis, e: FileEvent, run: ScriptRun, path: string): void {
  const mode = e.mode === undefined ? NaN : parseInt(e.mode, 8);
  if (Number.isNaN(mode) || (mode & 0o111) === 0) return;
  const taint = a.taint.get(path);
  if (taint === undefined || a.policy.execListed(run, path)) return;
  const severity = downloadSeverity(a, run, taint.packageKey, e.ts);
  if (severity === null) return;
  report(a, e, run, {
    rule: 'download-then-execute',
    severity: severity === 'critical' ? 'high' : severity,
    subject: path,
    message: `made ${path} executable after writing it (with ${taint.writer}) while it had network access`,
    suggestion: { field: 'exec', value: path, lifecycle: run.lifecycle, why: `made ${path} executable after downloading it`, review: true },
  });
}

function sweepOf(a: Analysis, run: ScriptRun): SweepState {
  let s = a.sweeps.get(run.key);
  if (s === undefined) {
    s = { homeReads: new Set(), categories: new Set(), reported: false };
    a.sweeps.set(run.key, s);
  }
  return s;
}

function judgeRead(a: Analysis, e: FileEvent, run: ScriptRun, path: string): void {
  const ok = e.ok !== false;
  const attempted = ok ? '' : ` (attempt failed: ${e.errno ?? 'error'})`;
  const { homeDir: home } = a.ctx;

  if (isEnvironFile(path)) {
    // `ps` reads the environment of every process it lists (the kernel refuses it those of others;
    // in the script's PID namespace the rest are the script's own): part of its look at the process
    // list (a sandbox probe), not a dump — unless it was asked to print them (`ps e`).
    if (a.model.isProcessListerOnly(e.pid)) return;
    report(a, e, run, { rule: 'env-dump', subject: path.replace(/\/\d+\//, '/<pid>/'), message: `read ${path}: the whole environment${attempted}`, access: ok });
    return;
  }

  const decoy = a.decoys.fileKind(path);
  if (decoy !== undefined) {
    const planted = a.decoys.aliasOf(path);
    // npm, pnpm and yarn read ~/.npmrc to authenticate; a decoy token sent anywhere is caught on the
    // wire. Not through another name: npm reads its config where it is, never through a link.
    if (planted === undefined && basename(path) === '.npmrc' && a.model.isPackageManager(e.pid)) return;
    report(a, e, run, {
      rule: 'decoy-credential-read',
      // .env files are read by build tooling (prisma generate loads them): suspicious, not damning.
      // A link made to read one is not build tooling.
      severity: decoy === 'env-file-value' && planted === undefined ? 'medium' : 'high',
      subject: planted ?? path,
      message: planted === undefined ? `read the credential file ${path} (${decoy})${attempted}` : `read the credential file ${planted} (${decoy}) through another name for it, ${path}${attempted}`,
      access: ok,
    });
    noteCredentialProbe(a, e, run, credentialCategory(planted ?? path, home) ?? decoy);
    return;
  }

  const category = credentialCategory(path, home);
  if (category !== null && !(category === 'npm' && a.model.isPackageManager(e.pid))) {
    if (ok) {
      report(a, e, run, { rule: 'credential-store-read', subject: path, message: `read ${path} (${category} credentials)`, access: true });
    }
    noteCredentialProbe(a, e, run, category);
    return;
  }
  if (ok && isEnvFile(path) && !isWithin(path, run.dir) && !isWithin(path, a.ctx.nodeModules) && !a.ctx.tmpDirs.some((t) => isWithin(path, t))) {
    report(a, e, run, { rule: 'credential-store-read', subject: path, message: `read the environment file ${path}`, access: true });
    return;
  }

  const probe = sandboxProbeKind(path);
  if (probe !== null) {
    report(a, e, run, { rule: 'sandbox-probe', subject: probeSubject(path), message: `read ${path}: ${probe}${attempted}` });
    if (ok && isContainerMarker(path) && !a.probes.has(run.key)) a.probes.set(run.key, { ts: e.ts, package: run.package, after: 0, endTs: null });
    return;
  }

  if (isWithin(path, home) && !isWithin(path, a.ctx.projectDir) && !isWithin(path, run.dir)) {
    const rel = path.slice(home.length + 1);
    if (!/^(?:\.npm|\.cache|\.node-gyp|\.nvm|\.local\/share\/pnpm|\.pnpm-store|\.config\/yarn)(?:\/|$)/.test(rel)) {
      const s = sweepOf(a, run);
      if (s.homeReads.size < HOME_SWEEP_THRESHOLD) s.homeReads.add(path);
      if (s.homeReads.size >= HOME_SWEEP_THRESHOLD && !s.reported) {
        s.reported = true;
        report(a, e, run, {
          rule: 'secret-sweep',
          subject: 'HOME',
          message: `read ${HOME_SWEEP_THRESHOLD}+ files across HOME (recursive sweep)`,
          access: true,
        });
      }
    }
  }
}

function noteCredentialProbe(a: Analysis, e: FileEvent, run: ScriptRun, category: string): void {
  const s = sweepOf(a, run);
  s.categories.add(category);
  if (s.categories.size >= CREDENTIAL_SWEEP_THRESHOLD && !s.reported) {
    s.reported = true;
    report(a, e, run, {
      rule: 'secret-sweep',
      subject: 'credential stores',
      message: `probed ${s.categories.size} kinds of credential store (${[...s.categories].sort().join(', ')})`,
      access: e.ok !== false,
    });
  }
}
