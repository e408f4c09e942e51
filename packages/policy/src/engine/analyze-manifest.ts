/**
 * The project's manifests and lockfiles changed by the install (`manifest-change`), seen in the
 * filesystem diff: whatever wrote them — a traced script, or a way the tracer missed — they are
 * what a tampering dependency rewrites (a new dependency, a new `prepare`, a swapped `resolved`),
 * and `npm ci` itself never writes them. The one exception is the resolve step of `install` and
 * `update`, where the package manager writes the root's, before any install code runs. Such files never come back to the host (the export
 * refuses them); this makes the change a finding rather than a silent drop.
 */
import { RESOLVE_PHASE, type FsDiffEvent } from '@safe-install/schema';
import { normalizePath } from '../match/path-pattern.js';
import type { Analysis } from './analysis.js';
import { report } from './analysis.js';

const MANIFESTS = new Set(['package.json', 'package-lock.json', 'npm-shrinkwrap.json']);
const LOCKFILES = new Set(['package-lock.json', 'npm-shrinkwrap.json']);

/**
 * The project-relative path when `path` is a manifest or lockfile of the project (outside every
 * node_modules), or null. A new package.json (a build writing `dist/package.json`) is ordinary; a
 * new lockfile, and any change to or removal of an existing manifest, is not.
 */
export function changedManifest(path: string, change: FsDiffEvent['change'], projectDir: string): string | null {
  if (!path.startsWith(`${projectDir}/`)) return null;
  const relative = path.slice(projectDir.length + 1);
  const parts = relative.split('/');
  const name = parts[parts.length - 1]!;
  if (!MANIFESTS.has(name) || parts.includes('node_modules')) return null;
  if (change === 'created' && !LOCKFILES.has(name)) return null;
  return relative;
}

export function analyzeManifest(a: Analysis, e: FsDiffEvent): void {
  const relative = changedManifest(normalizePath(e.path), e.change, a.ctx.projectDir);
  if (relative === null) return;
  // An install job's resolve step: the package manager writing the root's manifest and lockfile,
  // with no install code running, is what the job asked for. A traced writer is still a finding.
  if (e.phase === RESOLVE_PHASE && e.package === undefined && !relative.includes('/')) return;
  const run = e.package === undefined ? undefined : a.model.runOf(e);
  report(a, e, run, {
    rule: 'manifest-change',
    subject: relative,
    message: `the install ${e.change === 'modified' ? 'changed' : e.change} the project's ${relative} (it does not come back to the host)`,
  });
}
