/**
 * The policy as the rules consult it: which rules apply to a package, and whether a path, program,
 * host or environment variable is allowed for it. Allowances of every matching rule add up; a
 * denial is only about running scripts (it says nothing about behaviour).
 */
import type { PackageRef } from '@safe-install/schema';
import type { HostPattern } from '../match/host-pattern.js';
import { hostMatches, parseHostPattern } from '../match/host-pattern.js';
import { specMatches } from '../match/package-spec.js';
import { pathMatches } from '../match/path-pattern.js';
import type { PackageRule, Policy, ScriptPin } from '../policy-types.js';
import type { ResolvedContext } from './resolved-context.js';
import type { ScriptRun } from './trace-model.js';
import { packageKey } from './trace-model.js';

/** Everything the policy says about one package@version. */
export interface PackageAllowances {
  /** Matching rules that allow it. */
  allowedBy: PackageRule[];
  /** The first matching denial. */
  deniedBy: PackageRule | null;
  /** Pins of the matching rules that have them; null when none pins. */
  pins: ScriptPin[] | null;
  /** null: programs are not pinned (no matching rule lists `exec`). */
  exec: string[] | null;
  write: string[];
  network: HostPattern[];
  env: string[];
}

function hostPatterns(list: readonly string[]): HostPattern[] {
  const out: HostPattern[] = [];
  for (const text of list) {
    const parsed = parseHostPattern(text);
    if ('pattern' in parsed) out.push(parsed.pattern);
  }
  return out;
}

/** The policy's rules that name `pkg` (by name and range). */
function rulesFor(policy: Policy, pkg: PackageRef): PackageRule[] {
  return policy.packages.filter((r) => specMatches({ name: r.name, range: r.range }, pkg.name, pkg.version));
}

/** The first rule of the policy that denies `pkg`'s scripts (a denial wins over any allowance); null when none does. */
export function policyDenial(policy: Policy, pkg: PackageRef): PackageRule | null {
  return rulesFor(policy, pkg).find((r) => !r.allow) ?? null;
}

/**
 * Whether safe-install's own policy (its file or package.json `safeInstall`, learned entries
 * included) allows `pkg`'s scripts: an allowing entry of that origin, and no denial anywhere (a
 * denial wins). Allowances imported from a manager's field (npm, pnpm, Bun) or LavaMoat do not count.
 */
export function policyAllowsScripts(policy: Policy, pkg: PackageRef): boolean {
  const rules = rulesFor(policy, pkg);
  return !rules.some((r) => !r.allow) && rules.some((r) => r.origin.kind === 'policy' || r.origin.kind === 'learned');
}

export class PolicyIndex {
  readonly #cache = new Map<string, PackageAllowances>();
  readonly #global: HostPattern[];

  constructor(
    readonly policy: Policy,
    readonly ctx: ResolvedContext,
    /** Learn mode: packages no rule allows get an empty `exec` list, so every program they run is proposed. */
    readonly learning = false,
  ) {
    this.#global = hostPatterns(policy.network.allow);
  }

  forPackage(pkg: PackageRef): PackageAllowances {
    const key = packageKey(pkg);
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    const matching = rulesFor(this.policy, pkg);
    const allowedBy = matching.filter((r) => r.allow);
    const deniedBy = policyDenial(this.policy, pkg);
    const pinned = allowedBy.filter((r) => r.scripts !== null);
    const execLists = allowedBy.filter((r) => r.origin.kind === 'policy' || r.origin.kind === 'learned').filter((r) => r.exec.length > 0);
    let exec: string[] | null = execLists.length > 0 ? execLists.flatMap((r) => r.exec) : null;
    if (exec === null && this.learning && allowedBy.length === 0) exec = [];
    const result: PackageAllowances = {
      allowedBy,
      deniedBy,
      pins: pinned.length > 0 ? pinned.flatMap((r) => r.scripts ?? []) : null,
      exec,
      write: allowedBy.flatMap((r) => r.write),
      network: hostPatterns(allowedBy.flatMap((r) => r.network)),
      env: allowedBy.flatMap((r) => r.env),
    };
    this.#cache.set(key, result);
    return result;
  }

  #vars(run: ScriptRun): Record<string, string> {
    return { ...(this.ctx.vars as Record<string, string>), PACKAGE: run.dir };
  }

  /** May the run's package write `path` (outside its own folder)? */
  writeAllowed(run: ScriptRun, path: string): boolean {
    const vars = this.#vars(run);
    return this.forPackage(run.package).write.some((p) => pathMatches(p, path, vars));
  }

  /** Does the package's `exec` list name `path`? (False when it has no list.) */
  execListed(run: ScriptRun, path: string): boolean {
    const list = this.forPackage(run.package).exec;
    if (list === null) return false;
    const vars = this.#vars(run);
    return list.some((p) => pathMatches(p, path, vars));
  }

  /**
   * May `pkg` (undefined: the package manager) reach `host:port`? Registry hosts always; then the
   * global list and the package's list. `port` undefined (a DNS lookup) matches any port.
   */
  hostAllowed(pkg: PackageRef | undefined, host: string, port: number | undefined): boolean {
    const h = host.toLowerCase().replace(/\.$/, '');
    if (this.ctx.registryHosts.has(h)) return true;
    const patterns = pkg === undefined ? this.#global : [...this.#global, ...this.forPackage(pkg).network];
    return patterns.some((p) => (port === undefined ? hostMatches({ ...p, port: null }, h, undefined) : hostMatches(p, h, port)));
  }

  /** May `pkg` pass on the value of environment variable `name`? */
  envAllowed(pkg: PackageRef, name: string): boolean {
    return this.forPackage(pkg).env.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : p === name));
  }
}
