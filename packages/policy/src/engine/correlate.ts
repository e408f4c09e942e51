/**
 * Severity reflects correlation. A credential read alone may be a curious build script; a
 * credential read followed by traffic out of the same package is theft in progress (P1, P2, P4):
 * both the read and the traffic become critical, and each finding cites the other's events.
 */
import type { RuleId } from '../rule-catalog.js';
import type { Analysis } from './analysis.js';
import type { FindingGroup } from './finding-collector.js';
import { packageKey } from './trace-model.js';

const ACCESS_RULES = new Set<RuleId>(['decoy-credential-read', 'credential-store-read', 'env-dump', 'secret-sweep']);
const EGRESS_RULES = new Set<RuleId>(['network-not-allowed', 'network-direct-connect', 'network-raw-ip', 'dns-encoded-data', 'dns-foreign-resolver']);

/** A script that found a sandbox marker and ended within this long, having done nothing, evaded. */
const EVASION_WINDOW_MS = 2000;

export function correlate(a: Analysis): void {
  correlateEvasion(a);
  const byPackage = new Map<string, FindingGroup[]>();
  for (const g of a.findings.groups()) {
    if (g.package === undefined) continue;
    const key = packageKey(g.package);
    byPackage.set(key, [...(byPackage.get(key) ?? []), g]);
  }
  for (const groups of byPackage.values()) {
    const access = groups.filter((g) => ACCESS_RULES.has(g.rule) && g.accessTs !== null);
    if (access.length === 0) continue;
    const first = Math.min(...access.map((g) => g.accessTs as number));
    const pkg = access[0]?.package;
    if (pkg === undefined) continue;
    const egress = a.model.egressOf(pkg).filter((x) => !x.registry && x.ts >= first);
    if (egress.length === 0) continue;
    const subjects = [...new Set(egress.map((x) => x.subject))];
    const to = subjects.slice(0, 3).join(', ') + (subjects.length > 3 ? ` and ${subjects.length - 3} more` : '');
    for (const g of access) {
      g.severity = 'critical';
      g.notes.push(`then it contacted ${to}`);
      for (const x of egress.slice(0, 5)) if (!g.evidence.includes(x.eventId)) g.evidence.push(x.eventId);
    }
    const readIds = access.flatMap((g) => g.evidence.slice(0, 2));
    for (const g of groups) {
      if (!EGRESS_RULES.has(g.rule) || g.firstTs < first) continue;
      g.severity = 'critical';
      g.notes.push('after it read credentials');
      for (const id of readIds) if (!g.evidence.includes(id)) g.evidence.push(id);
    }
  }
}

/**
 * A sandbox probe alone is common (is-docker, CI detection) and low. A script that finds a
 * container marker, or looks for its observer (TracerPid, the process list: P28), and then stops
 * at once — no program run, nothing written, no network — behaves like malware that hides from
 * analysis (P15, P28), and what it would do elsewhere is unknown: high. (The sandbox shows a
 * script TracerPid 0 and no tracer in its process list, so a sample that acts when it sees none
 * acts here, and is judged on what it does.)
 */
function correlateEvasion(a: Analysis): void {
  for (const probe of a.probes.values()) {
    if (probe.after > 0 || probe.endTs === null || probe.endTs - probe.ts > EVASION_WINDOW_MS) continue;
    const key = packageKey(probe.package);
    for (const g of a.findings.groups()) {
      if (g.rule !== 'sandbox-probe' || g.package === undefined || packageKey(g.package) !== key) continue;
      if (g.severity === 'low' || g.severity === 'info' || g.severity === 'medium') g.severity = 'high';
      g.notes.push('it looked and stopped at once, having done nothing: evasion');
    }
  }
}
