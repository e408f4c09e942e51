/**
 * `safe-install approve` for pnpm projects: which dependencies' builds pnpm's gate does not decide
 * yet (`allowBuilds`, `onlyBuiltDependencies`, `ignoredBuiltDependencies`: neither allowed nor
 * denied), and the decisions written into pnpm-workspace.yaml (pnpm-allow-builds.ts).
 *
 * pnpm's lockfile (v9) does not say which packages have a build, so every undecided locked package
 * is allowed in the sandbox's copy of pnpm-workspace.yaml; the packages whose install scripts then
 * ran are the ones asked about (a package with no build runs none, and needs no entry).
 */
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SafeInstallError } from '@safe-install/schema';
import { replaceFile } from '@safe-install/policy';
import type { Project } from '@safe-install/sandbox';
import { decideBuild, MAX_WORKSPACE_BYTES, nonSemverKey, parseWorkspaceYaml, pnpmBuildGate, pnpmWorkspaceOf } from '../pnpm-builds.js';
import { buildsFieldFor, workspaceWithBuildEdits, type BuildEdit } from '../pnpm-allow-builds.js';
import { notALink } from './approvals-store.js';
import { lockedCandidate, type ApprovalCandidate } from './select.js';

/** The locked packages whose build pnpm's gate neither allows nor denies, each once. */
export function selectUndecidedBuilds(project: Pick<Project, 'manifest' | 'files' | 'lockfile'>, pnpmVersion: string): ApprovalCandidate[] {
  const major = Number(/^(\d+)/.exec(pnpmVersion)?.[1] ?? 10);
  const gate = pnpmBuildGate(project.manifest, pnpmWorkspaceOf(project), major);
  const seen = new Set<string>();
  const pending: ApprovalCandidate[] = [];
  for (const identity of project.lockfile.identities.byPath.values()) {
    if (identity.source === 'project' || identity.source === 'workspace' || !identity.path.startsWith('node_modules/.pnpm/')) continue;
    const depPath = nonSemverKey(identity);
    if (decideBuild(gate, identity.name, identity.version, major, depPath) !== 'unlisted') continue;
    const entry = depPath ?? `${identity.name}@${identity.version}`;
    if (seen.has(entry)) continue;
    seen.add(entry);
    const approvedBefore = depPath !== undefined ? [] : (gate.onlyBuilt ?? []).filter((key) => key.startsWith(`${identity.name}@`) && key !== entry);
    pending.push(lockedCandidate(identity, entry, approvedBefore));
  }
  return pending;
}

export interface PnpmBuildsPlan {
  outcome: { path: string; written: boolean; changes: Array<{ key: string; change: 'added' }>; warnings: string[]; approved: string[]; field?: string };
  approvedIds: Set<string>;
  field: string;
  write(): Promise<void>;
}

/** The decisions applied to pnpm-workspace.yaml as it is now (read; `write` writes it atomically). */
export async function planPnpmBuilds(
  root: string,
  pnpmVersion: string,
  decisions: ReadonlyArray<{ review: ApprovalCandidate; decision: 'approve' | 'deny' }>,
): Promise<PnpmBuildsPlan> {
  const path = join(root, 'pnpm-workspace.yaml');
  const outcome: PnpmBuildsPlan['outcome'] = { path, written: false, changes: [], warnings: [], approved: [] };
  const approvedIds = new Set<string>();
  let text: string | null = null;
  let mode = 0o644;
  if (decisions.length > 0) {
    const info = await lstat(path).catch(() => null);
    if (info !== null) {
      await notALink(path, 'pnpm-workspace.yaml');
      if (!info.isFile() || info.size > MAX_WORKSPACE_BYTES) throw new SafeInstallError('APPROVE_NOT_WRITTEN', 'usage', `${path} is not a regular file of at most ${MAX_WORKSPACE_BYTES} bytes; nothing was written to it`);
      text = await readFile(path, 'utf8');
      mode = info.mode & 0o7777;
    }
  }
  let parsed: Record<string, unknown> | null = null;
  try {
    parsed = text === null ? null : parseWorkspaceYaml(text);
  } catch (error) {
    throw new SafeInstallError('APPROVE_NOT_WRITTEN', 'usage', `${(error as Error).message}; nothing was written to it`);
  }
  const fieldKind = buildsFieldFor(pnpmVersion, parsed);
  const field = fieldKind === 'allowBuilds' ? 'allowBuilds' : 'onlyBuiltDependencies';
  const edits = decisions.map(({ review, decision }): BuildEdit => {
    const nonSemver = review.candidate.kind !== 'registry';
    return { name: review.package.name, key: review.entry ?? review.package.name, denyKey: nonSemver ? (review.entry ?? review.package.name) : review.package.name, decision };
  });
  const result = decisions.length === 0 ? null : workspaceWithBuildEdits(text, edits, fieldKind);
  for (const refused of result?.refused ?? []) outcome.warnings.push(`${refused.edit.key} not approved: ${refused.why}`);
  decisions.forEach(({ review, decision }, index) => {
    const edit = edits[index]!;
    if (decision === 'approve' && result?.applied.includes(edit)) {
      approvedIds.add(`${review.package.name}@${review.package.version}`);
      outcome.changes.push({ key: edit.key, change: 'added' });
    }
  });
  outcome.approved = [...approvedIds];
  return {
    outcome,
    approvedIds,
    field: `${field} in pnpm-workspace.yaml`,
    write: async () => {
      if (result === null || !result.changed) return;
      await replaceFile(path, result.text, mode);
      outcome.written = true;
    },
  };
}
