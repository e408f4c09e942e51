/**
 * What a trace's scripts did that another trace's did not: for each package and lifecycle script
 * of `head`, the behaviours (see behaviours.ts) absent from the same package's same script in
 * `base`. A script `base` does not have at all is new, and everything it did is added. Behaviours
 * only `base` had are not listed: the question is "what does this change add", the one a lockfile
 * bump or a version to approve raises. An identical rerun gives no changes.
 *
 * Pure: two {@link TraceBehaviours} in, a list out; the renderers (terminal, Markdown) are in
 * `@safe-install/report`.
 */
import type { PackageRef } from '@safe-install/schema';
import { BEHAVIOUR_KINDS, type BehaviourKind, type ScriptBehaviour, type TraceBehaviours } from './behaviours.js';

export interface BehaviourChange {
  /** {@link behaviourKey} of the script. */
  key: string;
  /** The package in `head` (its version is the new one); null: outside any install script. */
  package: PackageRef | null;
  lifecycle: string | null;
  /** The package's version in `base`, when it differs from `head`'s (a version bump). */
  baseVersion?: string;
  /** `base` has no such script (of that package, or the package at all). */
  newScript: boolean;
  /** The behaviours `head` has and `base` has not, per kind, in `head`'s first-seen order. */
  added: Record<BehaviourKind, string[]>;
  /**
   * Kinds for which `base` dropped values (its set was full): something listed as added may have
   * been in `base` after all. Empty when the comparison is complete.
   */
  partial: BehaviourKind[];
}

const LIFECYCLE_ORDER = ['preinstall', 'install', 'postinstall', 'preprepare', 'prepare', 'postprepare'];

function order(a: ScriptBehaviour, b: ScriptBehaviour): number {
  // Package scripts by name, then lifecycle in the order npm runs them; what ran outside any script last.
  if (a.package === null || b.package === null) return a.package === null ? (b.package === null ? 0 : 1) : -1;
  if (a.package.name !== b.package.name) return a.package.name < b.package.name ? -1 : 1;
  const la = LIFECYCLE_ORDER.indexOf(a.lifecycle ?? '');
  const lb = LIFECYCLE_ORDER.indexOf(b.lifecycle ?? '');
  if (la !== lb) return (la < 0 ? 99 : la) - (lb < 0 ? 99 : lb);
  return (a.lifecycle ?? '') < (b.lifecycle ?? '') ? -1 : (a.lifecycle ?? '') > (b.lifecycle ?? '') ? 1 : 0;
}

/** The behaviours of `head` absent from `base`, per script; empty when `head` adds nothing. */
export function diffBehaviours(base: TraceBehaviours, head: TraceBehaviours): BehaviourChange[] {
  const changes: BehaviourChange[] = [];
  for (const script of [...head.scripts.values()].sort(order)) {
    const before = base.scripts.get(script.key);
    const added = {} as Record<BehaviourKind, string[]>;
    let any = false;
    for (const kind of BEHAVIOUR_KINDS) {
      const values = [...script.values[kind]].filter((value) => before === undefined || !before.values[kind].has(value));
      added[kind] = values;
      if (values.length > 0) any = true;
    }
    if (!any) continue;
    const change: BehaviourChange = {
      key: script.key,
      package: script.package,
      lifecycle: script.lifecycle,
      newScript: before === undefined,
      added,
      partial: before === undefined ? [] : BEHAVIOUR_KINDS.filter((kind) => before.dropped[kind] > 0 && added[kind].length > 0),
    };
    if (before?.package && script.package && before.package.version !== script.package.version) change.baseVersion = before.package.version;
    changes.push(change);
  }
  return changes;
}

/** How many behaviours a change adds, over all kinds. */
export function addedCount(change: BehaviourChange): number {
  return BEHAVIOUR_KINDS.reduce((sum, kind) => sum + change.added[kind].length, 0);
}
