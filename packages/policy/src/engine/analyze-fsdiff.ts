/**
 * The filesystem diff as a backstop. The runner lists what changed on disk between before and
 * after the install; a change some traced call explains (an open to write, a rename, a link, an
 * unlink, a unix socket's bind) was judged when that call was, and is skipped here. A change no
 * traced call explains was made by means the tracer did not see — mmap of a file opened long
 * before, a syscall it does not stop on (`mknod`, `truncate`, io_uring), a process it lost — and
 * is judged like a write of the script that was running at the file's modification time: the
 * write rules decide what it is (persistence, another package's folder, …), and where they see
 * nothing wrong it is still `untraced-change`, since something wrote there unseen.
 *
 * The package manager's own work does not fire: its cache is not in the diff, and what it unpacks
 * carries the tarball's timestamps (or was written before any script started), outside every
 * script's run. A change at a time no script ran is judged only for what the package manager
 * never does (persistence, host files), without a package.
 */
import { RESOLVE_PHASE, type FsDiffEvent, type Severity, type TraceEvent } from '@safe-install/schema';
import { isWithin, normalizePath } from '../match/path-pattern.js';
import type { Analysis } from './analysis.js';
import { report } from './analysis.js';
import type { WriteKind } from './analyze-file.js';
import { classifyWrite } from './analyze-file.js';
import { isHarmlessWrite } from './known-paths.js';
import { ruleInfo } from '../rule-catalog.js';
import { maxSeverity } from '../severity.js';
import type { ScriptRun } from './trace-model.js';
import { packageKey } from './trace-model.js';

/** Paths a traced call changed; bounded (past it, only what the package manager never does is judged). */
export const MAX_TRACED_CHANGES = 500_000;

/**
 * The root files an install job's resolve step writes (the manifest, each manager's lockfile and
 * pnpm's workspace file). A manager traced as a process tree (Yarn Berry) is a run of its own
 * there, so its writes the tracer does not see would be blamed on it as untraced changes; they are
 * what the job asked for, like pnpm's (untraced, unattributed) ones. What comes back of them is
 * checked as hostile input, and a traced writer is still judged (analyze-manifest.ts).
 */
const RESOLVED_ROOT_FILES = new Set(['package.json', 'package-lock.json', 'npm-shrinkwrap.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', 'yarn.lock', 'bun.lock']);

const KIND: Record<FsDiffEvent['change'], WriteKind> = { created: 'create', modified: 'modify', deleted: 'delete' };

/** Remember the paths a traced call changed (any process, attributed or not). Called for every event. */
export function noteTracedChange(a: Analysis, e: TraceEvent): void {
  if (e.ok === false) return;
  const who = e.package === undefined ? '' : packageKey(e.package);
  const add = (path: string | undefined): void => {
    if (path === undefined) return;
    const key = normalizePath(path);
    if (a.tracedChanges.size >= MAX_TRACED_CHANGES && !a.tracedChanges.has(key)) {
      a.tracedChangesFull = true;
      return;
    }
    a.tracedChanges.set(key, who);
  };
  if (e.type === 'file') {
    if (e.action === 'stat') return;
    // Setting a time changes no content: it explains no change, it names who to ask (timeSetters).
    if (e.action === 'utime') {
      const run = e.package === undefined ? undefined : a.model.runOf(e);
      if (run !== undefined && (a.timeSetters.size < MAX_TRACED_CHANGES || a.timeSetters.has(normalizePath(e.path)))) a.timeSetters.set(normalizePath(e.path), run);
      return;
    }
    if (e.action === 'open' && e.intent?.write !== true && e.intent?.create !== true && e.intent?.truncate !== true) return;
    // A symlink event's path is what the link points to; only the link itself is a change.
    if (e.action !== 'symlink' && e.action !== 'link') add(e.path);
    add(e.target);
  } else if (e.type === 'network' && e.action === 'bind' && e.family === 'AF_UNIX' && e.address !== undefined && e.address.startsWith('/')) {
    add(e.address);
  }
}

export function analyzeFsDiff(a: Analysis, e: FsDiffEvent): void {
  // The runner names the last traced writer of the path: that write was judged already.
  if (e.package !== undefined) return;
  const path = normalizePath(e.path);
  if (a.tracedChanges.has(path) || isHarmlessWrite(path) || isPackageManagerBookkeeping(path)) return;
  if (e.phase === RESOLVE_PHASE && e.change !== 'deleted' && path.startsWith(`${a.ctx.projectDir}/`) && RESOLVED_ROOT_FILES.has(path.slice(a.ctx.projectDir.length + 1))) return;
  const kind = KIND[e.change];
  const how = e.change === 'deleted' ? 'deleted' : e.change === 'created' ? 'created' : 'changed';
  // A script that set this file's time is who the time points at: the change is its, wherever the
  // time it chose falls (a forged time is judged where it was set: forged-mtime).
  const setter = e.change === 'deleted' ? undefined : a.timeSetters.get(path);
  if (setter !== undefined) {
    judgeForRun(a, e, setter, path, kind, `${path} was ${how} by no call the tracer saw (filesystem diff); its ${setter.lifecycle} script set its modification time`);
    return;
  }
  const when = e.mtime ?? e.ts;
  const runs = e.mtime === undefined ? [] : a.model.runsAt(when).filter((r) => r.seen);
  if (runs.length === 0) {
    judgeUnattributed(a, e, path, kind, how);
    return;
  }
  if (runs.length === 1) {
    const [run] = runs as [ScriptRun];
    judgeForRun(a, e, run, path, kind, `${path} was ${how} while its ${run.lifecycle} script ran, by no call the tracer saw (filesystem diff)`);
    return;
  }
  // Only the time says who, and it fits several: each is named, none is singled out.
  const names = candidates(runs);
  for (const run of runs) {
    judgeForRun(
      a, e, run, path, kind,
      `${path} was ${how} by no call the tracer saw (filesystem diff), while ${runs.length} scripts ran (${names}): it is any one of them, the file's time cannot tell which`,
    );
  }
}

/** `a@1 (install), b@2 (postinstall)`, the first few. */
function candidates(runs: readonly ScriptRun[]): string {
  const named = runs.slice(0, 5).map((r) => `${packageKey(r.package)} (${r.lifecycle})`);
  return runs.length > named.length ? `${named.join(', ')} and ${runs.length - named.length} more` : named.join(', ');
}

/**
 * What the package manager writes in every install while scripts may be running: its state files
 * (MANAGER_STATE: npm's hidden lockfile, written as reify ends, a moment after the last script — within that script's run once
 * the end event's timestamp or its leftovers stretch it) and the `.bin` links it makes for each
 * package as it builds them, next to other packages' scripts. Its own untraced work would
 * otherwise be blamed on whichever script ran then. A script's traced write to either is still
 * judged (`foreign-package-write`, `planted-bin`); only an untraced one goes unjudged here.
 */
export function isPackageManagerBookkeeping(path: string): boolean {
  return /\/node_modules\/\.bin\/[^/]+$/.test(path) || MANAGER_STATE.test(path);
}

/**
 * Each manager's state files at the top of a node_modules folder: npm's hidden lockfile, pnpm's
 * install state (`.modules.yaml`, written while its last builds may still run — seen blamed on
 * core-js's postinstall under load), its workspace state and its virtual store's lockfile, Yarn's
 * install state and integrity file. Exactly these names; anything else there stays judged.
 */
const MANAGER_STATE = /\/node_modules\/(?:\.package-lock\.json|\.modules\.yaml|\.pnpm-workspace-state(?:-v\d+)?\.json|\.pnpm\/lock\.yaml|\.yarn-state\.yml|\.yarn-integrity)$/;

function judgeForRun(a: Analysis, e: FsDiffEvent, run: ScriptRun, path: string, kind: WriteKind, message: string): void {
  const found = classifyWrite(a, run, path, kind);
  if (found !== null) {
    if (ruleInfo(found.rule).allowable && a.policy.writeAllowed(run, path)) return;
    // Unseen by the tracer, so at least high: the script hid how it did it.
    const severity: Severity = maxSeverity(found.severity ?? ruleInfo(found.rule).severity, 'high');
    report(a, e, run, { rule: found.rule, severity, subject: found.subject, message: `${message} — ${found.what || 'a write'}` });
    return;
  }
  // Scratch space is nobody's business, traced or not.
  if (a.ctx.tmpDirs.some((t) => isWithin(path, t))) return;
  if (a.tracedChangesFull) return;
  report(a, e, run, { rule: 'untraced-change', subject: areaOfChange(path, run.dir), message });
}

function judgeUnattributed(a: Analysis, e: FsDiffEvent, path: string, kind: WriteKind, how: string): void {
  const nobody: ScriptRun = {
    key: 'fsdiff',
    pid: 0,
    package: { name: '', version: '' },
    lifecycle: '',
    command: '',
    dir: '/nonexistent',
    projectOwn: false,
    startTs: 0,
    endTs: 0,
    exitTs: null,
    scriptFiles: new Set(),
    seen: false,
  };
  const found = classifyWrite(a, nobody, path, kind);
  if (found === null || (found.rule !== 'persistence-write' && found.rule !== 'privilege-escalation')) return;
  report(a, e, undefined, {
    rule: found.rule,
    subject: found.subject,
    message: `${path} was ${how} by no call the tracer saw, at a time no script ran (filesystem diff) — ${found.what}`,
  });
}

/** Group unseen changes by folder: a thousand files unpacked unseen make one finding. */
function areaOfChange(path: string, dir: string): string {
  if (isWithin(path, dir)) return dir;
  return path.split('/').slice(0, 4).join('/') || '/';
}
