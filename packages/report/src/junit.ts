/**
 * JUnit XML for CI systems that show test results: one test case per package that ran an install
 * script (or has a finding), failed when it has a finding at or above the run's threshold. Which
 * findings fail is decided by the caller (`failing`), not here.
 */
import type { Finding, Report } from '@safe-install/schema';
import { byPackage, clean, packageName } from './words.js';

/** Text or attribute content: the five XML specials escaped, and characters XML 1.0 forbids dropped. */
export function xmlEscape(text: string): string {
  return clean(text, 4000)
    // eslint-disable-next-line no-control-regex
    .replace(/[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export function renderJunit(report: Report, failing: (finding: Finding) => boolean): string {
  const groups = new Map(byPackage(report.findings).map((group) => [group.name, group.findings]));
  for (const run of report.scripts) if (!groups.has(packageName(run.package))) groups.set(packageName(run.package), []);
  const cases: string[] = [];
  let failures = 0;
  for (const [name, findings] of groups) {
    const failed = findings.filter(failing);
    const body = failed.map((finding) => {
      failures += 1;
      return `      <failure type="${xmlEscape(finding.ruleId)}" message="${xmlEscape(`${finding.severity} ${finding.ruleId}: ${finding.message}`)}">${xmlEscape(`${finding.lifecycle ?? ''} ${finding.message}\nevidence: ${finding.evidence.join(', ')}\n${finding.hint ?? ''}`)}</failure>`;
    });
    const other = findings.filter((finding) => !failing(finding)).map((finding) => `${finding.severity} ${finding.ruleId}: ${finding.message}`);
    if (other.length > 0) body.push(`      <system-out>${xmlEscape(other.join('\n'))}</system-out>`);
    cases.push(body.length === 0 ? `    <testcase classname="safe-install" name="${xmlEscape(name)}"/>` : `    <testcase classname="safe-install" name="${xmlEscape(name)}">\n${body.join('\n')}\n    </testcase>`);
  }
  const seconds = ((report.timings['total'] ?? 0) / 1000).toFixed(3);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="safe-install" tests="${cases.length}" failures="${failures}" time="${seconds}">`,
    `  <testsuite name="safe-install ${xmlEscape(report.command)}" tests="${cases.length}" failures="${failures}" errors="${report.outcome === 'completed' ? 0 : 1}" time="${seconds}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
