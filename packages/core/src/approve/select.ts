/**
 * Which packages `safe-install approve` asks about: every locked dependency with install scripts
 * that the project's `allowScripts` does not cover (npm's own gate decides, `npmScriptVerdict`:
 * an allow or a deny covers it, nothing else does), with the entry approving it writes and the
 * versions of it approved before (a version bump). Pure: the lockfile and manifest in, a list out.
 */
import type { PackageIdentity, PackageRef } from '@safe-install/schema';
import { allowScriptsEntries, approveKey, keyTargets, npmScriptVerdict, scriptCandidates, type ScriptCandidate } from '@safe-install/policy';

export interface ApprovalCandidate {
  /** The lockfile's entry (identity from `resolved`, never the tarball). */
  candidate: ScriptCandidate;
  /** Its folder in the project (`node_modules/a`). */
  path: string;
  /** Who the trace says ran the scripts of that folder (the tracer's lockfile attribution). */
  package: PackageRef;
  /** The allowScripts entry approving it writes; null when npm has no trusted key for it. */
  entry: string | null;
  /** allowScripts entries that allow the same package at another version: it was approved before. */
  approvedBefore: string[];
}

export interface ApprovalSelection {
  /** The packages to decide about, in lockfile path order. */
  pending: ApprovalCandidate[];
  /** Every locked package with install scripts (what the writer needs to tell stale pins). */
  installed: ScriptCandidate[];
}

/** The pending packages of a project, from its lockfile and package.json (both untrusted, already parsed). */
export function selectUnapproved(lock: unknown, manifest: unknown, identityOf: (path: string) => PackageRef | undefined): ApprovalSelection {
  const installed = scriptCandidates(lock);
  const entries = allowScriptsEntries(manifest) ?? {};
  const pending: ApprovalCandidate[] = [];
  for (const candidate of installed) {
    if (npmScriptVerdict(candidate, entries) !== null) continue;
    const entry = approveKey(candidate);
    const identity = identityOf(candidate.path);
    const pkg = identity === undefined ? { name: candidate.name, version: candidate.version ?? candidate.displayVersion } : { name: identity.name, version: identity.version };
    const approvedBefore = Object.keys(entries).filter((key) => entries[key] === true && key !== entry && keyTargets(candidate, key));
    pending.push({ candidate, path: candidate.path, package: pkg, entry, approvedBefore });
  }
  return { pending, installed };
}

/**
 * The allowScripts key that lets a pending package's scripts run in the sandbox's copy of
 * package.json (npm 12 would skip them): its approve key, or — for a package npm has no key for —
 * its `resolved` URL, which npm matches a URL key against. Null when it has neither.
 */
export function sandboxAllowKey(pending: ApprovalCandidate): string | null {
  return pending.entry ?? pending.candidate.resolved;
}

/** `name@version` of a package: how approvals are stored and findings matched. */
export function packageId(pkg: PackageRef): string {
  return `${pkg.name}@${pkg.version}`;
}

const KIND = { registry: 'registry', file: 'file', git: 'git' } as const;

/** A candidate from the tracer's lockfile identity (pnpm, Yarn: their lockfiles name no scripts), with the entry approving it writes. */
export function lockedCandidate(identity: PackageIdentity, entry: string, approvedBefore: string[]): ApprovalCandidate {
  return {
    candidate: { path: identity.path, name: identity.name, version: identity.version, displayVersion: identity.version, kind: KIND[identity.source as keyof typeof KIND] ?? 'remote', resolved: identity.resolved ?? null },
    path: identity.path,
    package: { name: identity.name, version: identity.version },
    entry,
    approvedBefore,
  };
}
