/**
 * SARIF 2.1.0 for code scanning: one result per finding, located at the offending package's entry
 * in the lockfile (the file a pull request changes to bring it in), with the rule catalog as the
 * tool's rule metadata and help. Pure: the CLI reads the lockfile and writes the file.
 */
import type { Finding, Report, Severity } from '@safe-install/schema';
import { locatePackage } from './lockfile-lines.js';
import { allowAdvice, clean, packageName, policyLine, ruleMap, type RuleText } from './words.js';

export interface LockfileInput {
  /** Relative to the repository root, `/`-separated (`app/package-lock.json`). */
  uri: string;
  text: string;
}

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };
/** GitHub code scanning reads `security-severity` (0–10) to rank security results. */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0' };

export const SARIF_SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

export function sarifLevel(severity: Severity): 'error' | 'warning' | 'note' {
  return LEVEL[severity];
}

function ruleDescriptor(rule: RuleText) {
  const allow = rule.allowable
    ? 'A per-package allowance in the policy (safe-install.config.yaml, `packages`) can permit it.'
    : 'No allowance permits it; accept a finding only with an `ignore` entry and a reason.';
  return {
    id: rule.id,
    name: rule.id.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase()),
    shortDescription: { text: rule.title },
    fullDescription: { text: rule.title },
    help: { text: `${rule.hint}. ${allow}`, markdown: `${rule.hint}.\n\n${allow}` },
    defaultConfiguration: { level: LEVEL[rule.severity] },
    properties: { tags: ['security', 'supply-chain'], 'security-severity': SECURITY_SEVERITY[rule.severity], precision: 'high' },
  };
}

function resultOf(finding: Finding, index: ReadonlyMap<string, number>, rules: ReadonlyMap<string, RuleText>, lockfile: LockfileInput | null) {
  const who = packageName(finding.package);
  const where = finding.lifecycle ? ` (${clean(finding.lifecycle, 64)})` : '';
  const advice = allowAdvice(finding, rules);
  const adviceText = advice.lines.length === 0 ? '' : ` ${advice.kind === 'do-not-allow' ? 'Do not allow' : 'To allow'}: ${advice.lines.join('; ')}`;
  const location = lockfile
    ? [
        {
          physicalLocation: {
            artifactLocation: { uri: lockfile.uri, uriBaseId: '%SRCROOT%' },
            region: { startLine: finding.package ? locatePackage(lockfile.text, finding.package.name).line : 1 },
          },
          ...(finding.package ? { logicalLocations: [{ name: clean(finding.package.name, 214), fullyQualifiedName: who, kind: 'package' }] } : {}),
        },
      ]
    : [];
  const ruleIndex = index.get(finding.ruleId);
  return {
    ruleId: finding.ruleId,
    ...(ruleIndex === undefined ? {} : { ruleIndex }),
    level: LEVEL[finding.severity],
    message: { text: `${who}${where}: ${clean(finding.message)}.${adviceText}` },
    locations: location,
    // One result per package, rule and subject across runs, so code scanning tracks it.
    partialFingerprints: { 'safeInstall/v1': clean(`${finding.package?.name ?? ''}|${finding.ruleId}|${finding.lifecycle ?? ''}|${(finding as { subject?: string }).subject ?? finding.message}`, 500) },
    properties: {
      severity: finding.severity,
      ...(finding.package ? { package: who } : {}),
      ...(finding.lifecycle ? { lifecycle: clean(finding.lifecycle, 64) } : {}),
      evidence: finding.evidence.slice(0, 20),
      ...(finding.allow?.length ? { policy: clean(policyLine(finding.package, finding.allow), 800) } : {}),
    },
  };
}

/** The SARIF log of a run (one run, one tool). */
export function renderSarif(report: Report, rules: readonly RuleText[], lockfile: LockfileInput | null) {
  const catalog = ruleMap(rules);
  const index = new Map(rules.map((rule, i) => [rule.id, i]));
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0' as const,
    runs: [
      {
        tool: { driver: { name: 'safe-install', version: report.tool.version, semanticVersion: report.tool.version, rules: rules.map(ruleDescriptor) } },
        invocations: [{ executionSuccessful: report.outcome === 'completed' }],
        results: report.findings.map((finding) => resultOf(finding, index, catalog, lockfile)),
        properties: { verdict: report.verdict, outcome: report.outcome },
      },
    ],
  };
}
