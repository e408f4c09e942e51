/**
 * The run as Markdown: for $GITHUB_STEP_SUMMARY, `--markdown FILE` and pull-request comments.
 * Verdict, findings table, scripts that ran, hosts contacted. Untrusted text is sanitized and its
 * Markdown and HTML neutralised: a package cannot add links, images, mentions or table cells.
 */
import type { Report } from '@safe-install/schema';
import { allowAdvice, clean, count, duration, packageName, ruleMap, type RuleText } from './words.js';

/**
 * Text inside a table cell or a paragraph: no HTML, no Markdown emphasis, links, images or code, no
 * cell breaks, no @mentions or #references, no autolinks (`://` is broken up).
 */
export function mdText(text: string, max = 2000): string {
  return clean(text, max)
    .replace(/[\\`*_[\]<>#!|~&@]/g, (c) => `&#${c.charCodeAt(0)};`)
    .replace(/:\/\//g, '&#58;//')
    .replace(/\bwww\./gi, (w) => `${w.slice(0, 3)}&#46;`)
    .replace(/^[-+=]/, (c) => `&#${c.charCodeAt(0)};`);
}

/** Inline code with an untrusted body: a backtick fence longer than any run inside, per CommonMark. */
export function mdCode(text: string, max = 600): string {
  const body = clean(text, max).replace(/\|/g, '\\|');
  const longest = Math.max(0, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence} ${body} ${fence}`;
}

const MARK = { critical: '🔴', high: '🔴', medium: '🟠', low: '🟡', info: '⚪' } as const;

export function renderMarkdown(report: Report, rules: readonly RuleText[]): string {
  const catalog = ruleMap(rules);
  const out: string[] = [];
  const pass = report.verdict === 'pass';
  const outcome = report.outcome === 'completed' ? '' : ` (${report.outcome})`;
  out.push(`### safe-install: ${pass ? '✅ pass' : '❌ fail'}${outcome}`, '');
  const net = report.network;
  out.push(
    [
      count(report.summary.scripts, 'install script') + ` run from ${count(report.summary.packages, 'package')}`,
      ...(report.scriptReview?.pending.length ? [`scripts of ${count(report.scriptReview.pending.length, 'package')} skipped`] : []),
      ...(net ? [`${count(net.requests, 'network request')} (${net.allowed} allowed, ${net.refused} refused)`] : []),
      report.summary.findings === 0 ? 'no findings' : count(report.summary.findings, 'finding'),
      ...(report.timings['total'] !== undefined ? [`took ${duration(report.timings['total'])}`] : []),
    ].join(' · '),
    '',
  );
  out.push(pass ? 'node_modules was installed.' : 'node_modules was **not** changed.', '');
  if (report.findings.length > 0) {
    out.push('#### Findings', '', '| severity | package | rule | what happened | to allow |', '| --- | --- | --- | --- | --- |');
    for (const finding of report.findings) {
      const advice = allowAdvice(finding, catalog);
      const fix = advice.lines.length === 0 ? '' : advice.kind === 'do-not-allow' ? `do not allow: ${mdText(advice.lines.join('; '), 400)}` : advice.lines.map((line) => (line.startsWith('or: ') ? mdText(line, 400) : mdCode(line))).join('<br>');
      const where = finding.lifecycle ? ` (${mdText(finding.lifecycle, 64)})` : '';
      out.push(`| ${MARK[finding.severity]} ${finding.severity} | ${mdText(packageName(finding.package), 300)}${where} | ${mdCode(finding.ruleId, 64)} | ${mdText(finding.message, 600)} | ${fix} |`);
    }
    out.push('');
  }
  if (report.scripts.length > 0) {
    out.push('#### Install scripts run', '', '| package | script | command | result |', '| --- | --- | --- | --- |');
    for (const run of report.scripts) {
      const result = run.signal ? `killed (${mdText(run.signal, 20)})` : run.code === undefined ? 'did not finish' : run.code === 0 ? 'ok' : `exit ${run.code}`;
      out.push(`| ${mdText(packageName(run.package), 300)} | ${mdText(run.lifecycle, 64)} | ${mdCode(run.command, 200)} | ${result}${run.durationMs === undefined ? '' : `, ${duration(run.durationMs)}`} |`);
    }
    out.push('');
  }
  if (net && net.hosts.length > 0) {
    out.push('#### Hosts contacted', '', '| host | allowed | refused |', '| --- | --- | --- |');
    for (const host of net.hosts) out.push(`| ${mdCode(host.host, 253)} | ${host.allowed} | ${host.refused} |`);
    out.push('');
  }
  return `${out.join('\n')}\n`;
}
