/** Small wording helpers shared by the renderers: counts with the right plural, durations, names. */
import { sanitizeText, type Finding, type PackageRef, type PolicyAllowance } from '@safe-install/schema';

/** `1 package`, `2 packages`; `many` for irregular plurals. */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Milliseconds as a person reads them: `840 ms`, `12.3 s`, `2 min 05 s`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}

/** An untrusted string made safe for one line (the one sanitizer). */
export const clean = (text: string, max = 2000): string => sanitizeText(text, max);

export function packageName(ref: PackageRef | undefined): string {
  return ref ? clean(`${ref.name}@${ref.version}`, 300) : 'the package manager';
}

/** The rule catalog as the renderers need it (the policy's RULES satisfy it). */
export interface RuleText {
  id: string;
  severity: Finding['severity'];
  title: string;
  hint: string;
  /** Whether a per-package allowance can permit the behaviour (otherwise only an `ignore` entry). */
  allowable: boolean;
}

/**
 * The policy line that would allow a finding's suggestions, as one entry in YAML flow style (valid
 * in the YAML and the JSON policy): `packages: {"sharp": {"network": ["github.com:443"]}}`. An
 * `entry` suggestion names the entry's key (`name@version`); the others are its fields.
 */
export function policyLine(pkg: PackageRef | undefined, allows: readonly PolicyAllowance[]): string {
  const key = allows.find((allow) => allow.field === 'entry')?.value ?? pkg?.name ?? '*';
  const body: Record<string, string[] | Record<string, string>> = {};
  for (const allow of allows) {
    if (allow.field === 'entry') continue;
    if (allow.field === 'scripts') body['scripts'] = { ...(body['scripts'] as Record<string, string> | undefined), [allow.lifecycle]: allow.value };
    else body[allow.field] = [...((body[allow.field] as string[] | undefined) ?? []), allow.value];
  }
  const flow = (value: string[] | Record<string, string>): string =>
    Array.isArray(value)
      ? `[${value.map((item) => JSON.stringify(item)).join(', ')}]`
      : `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ')}}`;
  const fields = Object.entries(body).map(([field, value]) => `${JSON.stringify(field)}: ${flow(value)}`);
  return `packages: {${JSON.stringify(key)}: ${fields.length === 0 ? 'true' : `{${fields.join(', ')}}`}}`;
}

/**
 * How a finding could be allowed, or that it should not be: the exact policy lines when learn mode
 * has them, the finding's own hint (a command) otherwise; never a way to allow what no allowance
 * can permit. The decision is the catalog's (`allowable`), not the renderer's.
 */
export function allowAdvice(finding: Finding, rules: ReadonlyMap<string, RuleText>): { kind: 'allow' | 'do-not-allow'; lines: string[] } {
  const rule = rules.get(finding.ruleId);
  const hint = clean(finding.hint ?? rule?.hint ?? '', 400);
  if (rule && !rule.allowable) return { kind: 'do-not-allow', lines: [hint || 'this behaviour should not be allowed'] };
  if (finding.allow?.length) {
    // A hint of the finding's own (npm's approve command, `policy learn`) is another way: keep it.
    const own = finding.hint !== undefined && finding.hint !== rule?.hint ? [`or: ${hint}`] : [];
    return { kind: 'allow', lines: [clean(policyLine(finding.package, finding.allow), 800), ...own] };
  }
  return { kind: 'allow', lines: hint ? [hint] : [] };
}

/** Findings grouped by package (first appearance order; the engine sorts most severe first). */
export function byPackage(findings: readonly Finding[]): Array<{ name: string; findings: Finding[] }> {
  const groups = new Map<string, Finding[]>();
  for (const finding of findings) {
    const name = packageName(finding.package);
    groups.set(name, [...(groups.get(name) ?? []), finding]);
  }
  return [...groups].map(([name, list]) => ({ name, findings: list }));
}

export function ruleMap(rules: readonly RuleText[]): ReadonlyMap<string, RuleText> {
  return new Map(rules.map((rule) => [rule.id, rule]));
}
