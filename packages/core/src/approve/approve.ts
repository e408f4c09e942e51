/**
 * `safe-install approve`: run the install scripts nobody has approved yet in the sandbox — one
 * `ci`-style run through the pipeline, those packages allowed only in the sandbox's copy of
 * package.json, nothing exported — and say per package what they did; then write the decisions:
 * npm's `allowScripts` entries in package.json (as `npm install-scripts approve`/`deny` writes
 * them), pnpm's allowBuilds (pnpm-approve.ts) or Bun's trustedDependencies (bun-approve.ts), the matching allowance in safe-install's policy (learn mode's writer, which keeps YAML
 * comments), and the approved run's behaviours in `.safe-install/approvals.json`, so the next
 * version is shown against them (a version bump).
 *
 * Returns typed results; the CLI prompts, prints and picks exit codes.
 */
import { join } from 'node:path';
import { SafeInstallError, type Finding, type TraceEvent } from '@safe-install/schema';
import { applyAllowScriptsDecision, learnIntoPolicy, policyDenial, packageJsonWithAllowScripts, replaceFile, type AllowScriptsChange, type AllowScriptsDecision } from '@safe-install/policy';
import { behavioursOf, diffBehaviours, type BehaviourChange, type ScriptBehaviour } from '@safe-install/trace';
import type { CiDeps, CiOptions, CiResult, RunObserver } from '../ci-pipeline.js';
import { startCi } from '../ci-pipeline.js';
import { npm } from '../npm.js';
import { detectPackageManager } from '../managers.js';
import { MANAGER_LABEL } from '../detect-manager.js';
import type { PackageManager } from '../package-manager.js';
import type { Project } from '@safe-install/sandbox';
import { APPROVALS_FILE, approvalOf, behavioursOfApproval, packageJsonToEdit, previousApproval, readApprovals, withApproval, writeApprovals } from './approvals-store.js';
import { packageId, selectUnapproved, type ApprovalCandidate, type ApprovalSelection } from './select.js';
import { pnpm, pnpmVersionOf } from '../pnpm.js';
import { planPnpmBuilds, selectUndecidedBuilds, type PnpmBuildsPlan } from './pnpm-approve.js';
import { bun } from '../bun.js';
import { planBunTrusted, selectUntrusted, withTarballVersions } from './bun-approve.js';
import { yarnBerry } from '../yarn-berry.js';
import { yarnClassic } from '../yarn-classic.js';
import { planPolicyOnly, planYarnBuilds, selectUndecidedYarnBuilds, selectYarnClassicPackages, withSandboxYarnScripts, withTracedFolders } from './yarn-approve.js';

export type ApproveOptions = Pick<CiOptions, 'dir' | 'base' | 'timeoutSeconds' | 'limits' | 'lingerGraceMs' | 'policy' | 'trace' | 'report'>;

/**
 * The finding every pending package has by definition (nothing allows its script yet): the
 * question approve asks, not an answer. A policy that *denies* the package gives the same rule:
 * that one stays a finding.
 */
const QUESTION_RULE = 'script-not-allowed';

export interface ApprovalReview extends ApprovalCandidate {
  /** What its install scripts did in this run, per lifecycle script. */
  scripts: ScriptBehaviour[];
  /** The policy's findings about it (without the question itself). */
  findings: Finding[];
  /**
   * An earlier version approved before: what this one does that the approved run did not
   * (`changes` null when that run was not recorded in the approvals file).
   */
  previous: { version: string; changes: BehaviourChange[] | null } | null;
}

export interface ApprovalSession {
  reviews: ApprovalReview[];
  /** Findings no package is blamed for (the package manager's own), when any. */
  unattributed: Finding[];
  /** The run (null when nothing was pending: no run). */
  run: CiResult | null;
  /** Problems with the approvals file (it is project input). */
  warnings: string[];
  /** The manager's field the decisions go into (`allowScripts`, `allowBuilds`) and the manager. */
  field: string;
  manager: string;
  /** The manager has no build gate of its own (Yarn 1): the decisions are safe-install's policy's only. */
  gateless: boolean;
  /** Write the decisions (approve or deny; a package not in the map is skipped: nothing written). */
  apply(decisions: ReadonlyMap<ApprovalReview, AllowScriptsDecision>, now?: Date): Promise<ApprovalOutcome>;
}

export interface ApprovalOutcome {
  /** `approved`: the packages (`name@version`) whose entry is in allowScripts now (a deny already there wins over an approval). */
  packageJson: { path: string; written: boolean; changes: Array<AllowScriptsChange | { key: string; change: 'added' }>; warnings: string[]; approved: string[]; field?: string };
  /** Null when nothing was approved (denials need no allowance), and — for Bun, whose list cannot deny — nothing denied. */
  policy: { path: string; written: boolean; applied: number; unresolved: number } | null;
  approvals: { path: string; written: boolean; warning?: string };
}

export interface ApprovalRun {
  session: Promise<ApprovalSession>;
  abort(): Promise<void>;
}

/**
 * The project's manager, when approve can write its allowances: npm's `allowScripts`. Another
 * manager's project (pnpm's `allowBuilds`) is refused clearly rather than read as npm's.
 */
async function approvingManager(dir: string): Promise<PackageManager> {
  const { manager, choice } = await detectPackageManager(dir);
  if (![npm.name, pnpm.name, yarnBerry.name, yarnClassic.name, bun.name].includes(manager.name)) {
    throw new SafeInstallError('APPROVE_UNSUPPORTED', 'usage', `safe-install approve writes npm's allowScripts, pnpm's allowBuilds, Yarn's dependenciesMeta (Yarn 1: safe-install's policy) and Bun's trustedDependencies; this project is installed by ${MANAGER_LABEL[choice.kind]} (${choice.lockfile}), whose build allowances it does not write yet`, {
      hint: "run `safe-install ci` to see which builds the manager skipped, and list them in the manager's own field",
    });
  }
  return manager;
}

/**
 * How the project's manager gates install scripts: npm's allowScripts, pnpm's build settings (at
 * the project's pnpm version), Yarn Berry's dependenciesMeta, none (Yarn 1), or Bun's
 * trustedDependencies (with the lockfile, for its default list).
 */
type Gate = { kind: 'npm' } | { kind: 'pnpm'; version: string } | { kind: 'yarn-berry' } | { kind: 'yarn-classic' } | { kind: 'bun'; lockfile: Project['lockfile'] };

const GATE_LABELS: Record<Gate['kind'], { field: string; manager: string }> = {
  npm: { field: 'allowScripts', manager: 'npm' },
  pnpm: { field: 'allowBuilds', manager: 'pnpm' },
  'yarn-berry': { field: 'dependenciesMeta', manager: 'Yarn' },
  // Yarn 1 runs every script: what decides is safe-install's policy.
  'yarn-classic': { field: "safe-install's policy", manager: 'Yarn 1' },
  bun: { field: 'trustedDependencies', manager: 'bun' },
};

/** The sandbox copy's edit that lets every pending package run its scripts: the manager's grant, the one `ci` makes for the policy. */
function grantPending(pm: PackageManager, pending: readonly ApprovalCandidate[]): (copy: Project) => Project {
  return (copy) => pm.grantScripts?.(copy, pending.map((p) => p.package)).project ?? copy;
}

export function startApproval(options: ApproveOptions, observer: RunObserver, deps: CiDeps): ApprovalRun {
  let aborted = false;
  let abortRun: (() => Promise<void>) | null = null;
  const session = (async (): Promise<ApprovalSession> => {
    const pm = deps.packageManager ?? (await approvingManager(options.dir));
    const project = await pm.readProject(options.dir);
    const gate: Gate =
      pm.name === pnpm.name ? { kind: 'pnpm', version: pnpmVersionOf(project.manifest).version }
      : pm.name === yarnBerry.name ? { kind: 'yarn-berry' }
      : pm.name === yarnClassic.name ? { kind: 'yarn-classic' }
      : pm.name === bun.name ? { kind: 'bun', lockfile: project.lockfile }
      : { kind: 'npm' };
    let selection: { pending: ApprovalCandidate[]; installed: ApprovalSelection['installed']; sandbox: Pick<CiOptions, 'sandboxEdit'> };
    if (gate.kind === 'pnpm') {
      // Every undecided package's build runs in the sandbox; those that ran one are asked about.
      const pending = selectUndecidedBuilds(project, gate.version);
      selection = { pending, installed: [], sandbox: { sandboxEdit: grantPending(pm, pending) } };
    } else if (gate.kind === 'bun') {
      // The same for Bun: every untrusted package trusted in the sandbox's copy of package.json.
      const pending = await withTarballVersions(project.root, selectUntrusted(project));
      selection = { pending, installed: [], sandbox: { sandboxEdit: grantPending(pm, pending) } };
    } else if (gate.kind === 'yarn-berry') {
      // Every build Yarn's gate leaves undecided runs in the sandbox (`enableScripts` in its copy only).
      selection = { pending: selectUndecidedYarnBuilds(project), installed: [], sandbox: { sandboxEdit: withSandboxYarnScripts } };
    } else if (gate.kind === 'yarn-classic') {
      // Yarn 1 runs every script anyway: each locked package may be asked about (those the policy does not allow yet).
      selection = { pending: selectYarnClassicPackages(project), installed: [], sandbox: {} };
    } else {
      const lockBytes = project.files.find((file) => file.path === project.lockfileName)?.content;
      const lock: unknown = lockBytes === undefined ? null : JSON.parse(lockBytes.toString('utf8'));
      const npmSelection = selectUnapproved(lock, project.manifest, (path) => project.lockfile.identities.byPath.get(path));
      selection = { pending: npmSelection.pending, installed: npmSelection.installed, sandbox: { sandboxEdit: grantPending(pm, npmSelection.pending) } };
    }
    const labels = { ...GATE_LABELS[gate.kind], gateless: gate.kind === 'yarn-classic' };
    const stored = await readApprovals(project.root);
    const apply = (run: CiResult | null, reviews: ApprovalReview[]) => (decisions: ReadonlyMap<ApprovalReview, AllowScriptsDecision>, now = new Date()) =>
      applyDecisions({ root: project.root, run, reviews, decisions, installed: selection.installed, now, gate });
    if (selection.pending.length === 0 || aborted) return { reviews: [], unattributed: [], run: null, warnings: stored.warnings, ...labels, apply: apply(null, []) };

    const ci = startCi({ ...options, ...selection.sandbox, exportToProject: false }, observer, deps);
    abortRun = ci.abort;
    const run = await ci.result;
    if (run.failure) throw run.failure;

    const ids = new Set(selection.pending.map((p) => packageId(p.package)));
    const policy = run.loadedPolicy.policy;
    const isQuestion = (f: Finding) => f.ruleId === QUESTION_RULE && f.package !== undefined && ids.has(packageId(f.package)) && policyDenial(policy, f.package) === null;
    const findings = run.findings.filter((f) => !isQuestion(f));
    const { context, decoys, runId } = run.judged;
    const behaviours = behavioursOf(run.events, { ...context, decoys, runId }, findings);
    // pnpm, Yarn, Bun: a package none of whose scripts ran has no build (their lockfiles do not say).
    const ran = gate.kind !== 'npm' ? selection.pending.filter((p) => behaviours.scripts.size > 0 && [...behaviours.scripts.values()].some((s) => s.package !== null && packageId(s.package) === packageId(p.package))) : selection.pending;
    // Yarn 1: a package whose scripts the policy allows (or denies) already is decided (no question asked of it).
    const asked = gate.kind === 'yarn-classic' ? withTracedFolders(ran, run.events).filter((p) => policyDenial(policy, p.package) === null && run.findings.some((f) => f.ruleId === QUESTION_RULE && f.package !== undefined && packageId(f.package) === packageId(p.package))) : ran;
    const reviews = asked.map((pending): ApprovalReview => {
      const id = packageId(pending.package);
      const scripts = [...behaviours.scripts.values()].filter((s) => s.package !== null && packageId(s.package) === id);
      const versions = pending.approvedBefore.map((key) => versionOf(key, pending.package.name)).filter((v): v is string => v !== null);
      const before = previousApproval(stored.store, pending.package.name, pending.package.version, versions);
      let previous: ApprovalReview['previous'] = null;
      if (before !== null) previous = { version: before.version, changes: diffBehaviours(behavioursOfApproval(before), { scripts: new Map(scripts.map((s) => [s.key, s])) }) };
      else if (versions[0] !== undefined) previous = { version: versions[0], changes: null };
      return { ...pending, scripts, findings: findings.filter((f) => f.package !== undefined && packageId(f.package) === id), previous };
    });
    return { reviews, unattributed: findings.filter((f) => f.package === undefined), run, warnings: stored.warnings, ...labels, apply: apply(run, reviews) };
  })();
  return {
    session,
    abort: async () => {
      aborted = true;
      await abortRun?.();
    },
  };
}

/** The version a pinned key gives (`foo@1.0.0` → `1.0.0`), null for a key that pins none. */
function versionOf(key: string, name: string): string | null {
  return key.startsWith(`${name}@`) ? key.slice(name.length + 1).trim() || null : null;
}

async function applyDecisions(input: {
  root: string;
  run: CiResult | null;
  reviews: readonly ApprovalReview[];
  decisions: ReadonlyMap<ApprovalReview, AllowScriptsDecision>;
  installed: Parameters<typeof applyAllowScriptsDecision>[3];
  now: Date;
  gate: Gate;
}): Promise<ApprovalOutcome> {
  const { root, run, decisions, now, gate } = input;
  const listed = input.reviews.flatMap((review) => {
    const decision = decisions.get(review);
    return decision === undefined ? [] : [{ review, decision }];
  });
  // What the manager's writer will accept (a deny already there wins): only those are approved anywhere.
  const planFile = (): Promise<ManagerFilePlan | null> =>
    gate.kind === 'pnpm' ? planPnpmBuilds(root, gate.version, listed)
    : gate.kind === 'yarn-berry' ? planYarnBuilds(root, listed)
    : gate.kind === 'yarn-classic' ? Promise.resolve(planPolicyOnly(root, listed))
    : gate.kind === 'bun' ? planBunTrusted(root, gate.lockfile, listed)
    : Promise.resolve(null);
  const planned = (await planFile()) ?? (await planAllowScripts(root, input.reviews, decisions, input.installed));
  const approved = input.reviews.filter((r) => planned.approvedIds.has(packageId(r.package)));

  // 1. The policy first: learn mode refuses a file that changed since the run loaded it, and
  // package.json may be that file (its safeInstall key).
  let policy: ApprovalOutcome['policy'] = null;
  // Bun's list only allows: a denial lives in the policy (npm's and pnpm's fields hold their own).
  const deny = gate.kind !== 'bun' ? [] : [...new Set(listed.filter((d) => d.decision === 'deny').map((d) => d.review.package.name))].map((name) => ({ name, why: `${name} denied by safe-install approve (Bun's trustedDependencies has no deny list)` }));
  if (run !== null && (approved.length > 0 || deny.length > 0)) {
    const keep = new Set(approved.map((r) => packageId(r.package)));
    const events = approved.length === 0 ? [] : run.events.filter((e: TraceEvent) => e.package === undefined || keep.has(packageId(e.package)));
    const saved = await learnIntoPolicy(run.loadedPolicy, events, { context: run.judged.context, decoys: run.judged.decoys, widen: true, deny });
    policy = { path: saved.path, written: saved.written, applied: saved.learned.changes.filter((c) => c.applied).length, unresolved: saved.learned.unresolved.length };
  }

  // 2. The manager's field, from the file as it is now (the policy may live in it too).
  let packageJson: AllowScriptsPlan | ManagerFilePlan;
  if (gate.kind !== 'npm') {
    packageJson = policy?.written === true ? (await planFile())! : planned;
    await (packageJson as ManagerFilePlan).write();
    packageJson.outcome.field = (packageJson as ManagerFilePlan).field;
  } else packageJson = policy?.written === true ? await planAllowScripts(root, input.reviews, decisions, input.installed) : planned;
  if (gate.kind === 'npm' && 'text' in packageJson && packageJson.outcome.changes.length > 0) {
    await replaceFile(packageJson.outcome.path, packageJsonWithAllowScripts(packageJson.text, packageJson.map), packageJson.mode);
    packageJson.outcome.written = true;
  }

  // 3. What the approved packages did, for the next version's diff.
  const approvalsPath = join(root, APPROVALS_FILE);
  const recorded = approved.filter((r) => r.scripts.length > 0);
  let approvals: ApprovalOutcome['approvals'] = { path: approvalsPath, written: false };
  if (recorded.length > 0) {
    const current = await readApprovals(root);
    if (!current.valid) approvals = { path: approvalsPath, written: false, warning: current.warnings.join('; ') };
    else {
      let store = current.store;
      for (const r of recorded) store = withApproval(store, approvalOf(r.package, r.entry ?? '', r.scripts, now));
      approvals = { path: await writeApprovals(root, store), written: true };
    }
  }
  return { packageJson: packageJson.outcome, policy, approvals };
}

/** A manager's own file of build decisions, planned (read) and then written: pnpm-workspace.yaml, Yarn's package.json and yarn.lock. */
type ManagerFilePlan = Pick<PnpmBuildsPlan, 'approvedIds' | 'field' | 'write'> & { outcome: ApprovalOutcome['packageJson'] };

interface AllowScriptsPlan {
  outcome: ApprovalOutcome['packageJson'];
  approvedIds: Set<string>;
  /** The file as read, its mode, and the new map. */
  text: string;
  mode: number;
  map: Record<string, unknown>;
}

/** The decisions applied to package.json's allowScripts as the file is now (read, not written). */
async function planAllowScripts(
  root: string,
  reviews: readonly ApprovalReview[],
  decisions: ReadonlyMap<ApprovalReview, AllowScriptsDecision>,
  installed: Parameters<typeof applyAllowScriptsDecision>[3],
): Promise<AllowScriptsPlan> {
  const path = join(root, 'package.json');
  const approvedIds = new Set<string>();
  const outcome: ApprovalOutcome['packageJson'] = { path, written: false, changes: [], warnings: [], approved: [] };
  if (decisions.size === 0) return { outcome, approvedIds, text: '', mode: 0, map: {} };
  const { text, manifest, mode } = await packageJsonToEdit(path);
  const current = manifest['allowScripts'];
  if (current !== undefined && (typeof current !== 'object' || current === null || Array.isArray(current))) {
    throw new SafeInstallError('APPROVE_NOT_WRITTEN', 'usage', `${path}: allowScripts is not an object; nothing was written to it`, { hint: 'make it an object of "name@version": true|false entries' });
  }
  let map: Record<string, unknown> = { ...((current as Record<string, unknown> | undefined) ?? {}) };
  for (const review of reviews) {
    const decision = decisions.get(review);
    if (decision === undefined) continue;
    const edit = applyAllowScriptsDecision(map, decision, review.candidate, installed);
    map = edit.allowScripts;
    outcome.changes.push(...edit.changes);
    if (edit.warning !== undefined) outcome.warnings.push(edit.warning);
    else if (decision === 'approve') approvedIds.add(packageId(review.package));
  }
  outcome.approved = [...approvedIds];
  return { outcome, approvedIds, text, mode, map };
}
