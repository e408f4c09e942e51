/**
 * GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` annotation per finding on
 * the package's lockfile line. Every value is escaped the way the runner unescapes it (the
 * toolkit's escapeData/escapeProperty): a finding's text can never end the command early, add a
 * property or start a second command.
 */
import type { Report, Severity } from '@safe-install/schema';
import { locatePackage } from './lockfile-lines.js';
import type { LockfileInput } from './sarif.js';
import { allowAdvice, clean, packageName, ruleMap, type RuleText } from './words.js';

/** A command's message: `%`, CR and LF escaped (`%` first, so an escape is never re-read). */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property value: as data, and `:` and `,` too (they end the value or the property list). */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

const COMMAND: Record<Severity, 'error' | 'warning' | 'notice'> = { critical: 'error', high: 'error', medium: 'warning', low: 'notice', info: 'notice' };

export function workflowCommand(command: 'error' | 'warning' | 'notice', properties: Record<string, string | number>, message: string): string {
  const props = Object.entries(properties).map(([key, value]) => `${key}=${escapeProperty(String(value))}`).join(',');
  return `::${command}${props ? ` ${props}` : ''}::${escapeData(message)}`;
}

/** One annotation line per finding (GitHub shows the first ten of each kind per step). */
export function renderAnnotations(report: Report, rules: readonly RuleText[], lockfile: LockfileInput | null): string[] {
  const catalog = ruleMap(rules);
  return report.findings.map((finding) => {
    const who = packageName(finding.package);
    const advice = allowAdvice(finding, catalog);
    const message = [
      `${who}${finding.lifecycle ? ` (${clean(finding.lifecycle, 64)})` : ''}: ${clean(finding.message)}`,
      `evidence: ${finding.evidence.slice(0, 10).map((id) => clean(id, 40)).join(', ')}`,
      ...(advice.lines.length ? [`${advice.kind === 'do-not-allow' ? 'do not allow' : 'to allow'}: ${advice.lines.join('; ')}`] : []),
    ].join('\n');
    const properties: Record<string, string | number> = { title: `safe-install ${finding.severity} ${clean(finding.ruleId, 64)}: ${who}` };
    if (lockfile) {
      properties['file'] = lockfile.uri;
      properties['line'] = finding.package ? locatePackage(lockfile.text, finding.package.name).line : 1;
    }
    return workflowCommand(COMMAND[finding.severity], properties, message);
  });
}
