/**
 * The HTML report: one self-contained file (inline style and script, no external asset) that an
 * incident responder can open anywhere. Readable with JavaScript off — every expandable part is a
 * <details>, and the parts that hold a finding's evidence start open — and better with it on: a
 * filter box, expand/collapse all, and a finding's evidence links that open the way to the event
 * and flash it.
 *
 * What it shows: the verdict and summary; the findings, each linked to its evidence; the process
 * tree of every package's lifecycle script (packages/trace's TraceView, the tree `trace show`
 * prints), each process expandable to its file, network and DNS events; and a timeline of the
 * run's notable events. Decoy reads and sinkholed or refused requests are highlighted.
 *
 * Every string from the trace is hostile: it is sanitised (control, bidi and zero-width
 * characters escaped) and then HTML-escaped, for text and attributes alike. The page's Content
 * Security Policy allows no source but the one inline script, by its hash.
 *
 * Pure: strings in, one string out. It renders, never decides.
 */
import { createHash } from 'node:crypto';
import { sanitizeText, type Finding, type Report, type TraceEvent } from '@safe-install/schema';
import { TraceView, eventLine, type ViewGroup, type ViewProcess } from '@safe-install/trace';
import { allowAdvice, count, duration, packageName, ruleMap, type RuleText } from './words.js';

export interface HtmlInput {
  report: Report;
  /** The run's events, in trace order (a trace file's, or the run's). */
  events: readonly TraceEvent[];
  rules: readonly RuleText[];
}

/** Rows of the timeline at most; a longer run says how many were left out. */
export const MAX_TIMELINE_ROWS = 2000;
/** Event lines per process in the tree (a finding's evidence is always kept). */
const EVENTS_PER_PROCESS = 200;
/** Characters of one untrusted string at most. */
const MAX_TEXT = 2000;

/** Escape for HTML text and double- or single-quoted attribute values. */
export function htmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Untrusted text for the page: sanitised, then escaped. */
function t(text: string | undefined, max = MAX_TEXT): string {
  return htmlEscape(sanitizeText(text ?? '', max));
}

/** An element id from an event id: only characters that need no escaping anywhere. */
function anchor(eventId: string): string {
  return `ev-${eventId.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.codePointAt(0)!.toString(16)}`)}`;
}

/** Which events the page marks, and why. */
interface Marks {
  evidence: Map<string, number[]>;
  decoy: Set<string>;
  sinked: Set<string>;
}

const DECOY_RULE = /decoy|credential/;

function marksOf(events: readonly TraceEvent[], findings: readonly Finding[]): Marks {
  const evidence = new Map<string, number[]>();
  const decoy = new Set<string>();
  findings.forEach((finding, index) => {
    for (const id of finding.evidence) {
      evidence.set(id, [...(evidence.get(id) ?? []), index]);
      if (DECOY_RULE.test(finding.ruleId)) decoy.add(id);
    }
  });
  const sinked = new Set<string>();
  for (const e of events) {
    if (e.type === 'decoy-exfiltration') decoy.add(e.id);
    if ((e.type === 'dns' && e.answered === 'sinked') || (e.type === 'http' && (e.decision === 'sinked' || e.decision === 'denied'))) sinked.add(e.id);
  }
  return { evidence, decoy, sinked };
}

function markClass(id: string, marks: Marks): string {
  return [marks.evidence.has(id) ? 'evidence' : '', marks.decoy.has(id) ? 'decoy' : '', marks.sinked.has(id) ? 'sinked' : ''].filter(Boolean).join(' ');
}

function markLabel(id: string, marks: Marks): string {
  const labels = [
    ...(marks.decoy.has(id) ? ['<span class="tag tag-decoy">decoy</span>'] : []),
    ...(marks.sinked.has(id) ? ['<span class="tag tag-sinked">sinkholed</span>'] : []),
    ...(marks.evidence.get(id) ?? []).map((index) => `<a class="tag tag-finding" href="#finding-${index}">finding ${index + 1}</a>`),
  ];
  return labels.join(' ');
}

const SEVERITY_ORDER = ['critical', 'high', 'medium', 'low', 'info'];

function renderFindingsSection(report: Report, rules: readonly RuleText[], target: (id: string) => string): string {
  if (report.findings.length === 0) return '<section id="findings"><h2>Findings</h2><p>No findings.</p></section>';
  const catalog = ruleMap(rules);
  const items = report.findings.map((finding, index) => {
    const advice = allowAdvice(finding, catalog);
    const where = `${t(packageName(finding.package), 300)}${finding.lifecycle ? ` <span class="muted">${t(finding.lifecycle, 64)}</span>` : ''}`;
    const evidence = finding.evidence.map((id) => `<a class="evidence-link" href="#${target(id)}">${t(id, 64)}</a>`).join(' ');
    // A policy line is code; the advice not to allow, and an "or: run …" alternative, are prose.
    const fixLine = (line: string) => (advice.kind === 'do-not-allow' || line.startsWith('or: ') ? t(line, 600) : `<code>${t(line, 600)}</code>`);
    const fix = advice.lines.length === 0 ? '' : `<p class="advice">${advice.kind === 'do-not-allow' ? 'do not allow: ' : 'to allow: '}${advice.lines.map(fixLine).join('<br>')}</p>`;
    return (
      `<li id="finding-${index}" class="finding sev-${t(finding.severity, 16)}"><span class="sev">${t(finding.severity, 16)}</span> ` +
      `<code>${t(finding.ruleId, 64)}</code> in ${where}<p class="message">${t(finding.message)}</p>` +
      `<p class="evidence">evidence: ${evidence || '<span class="muted">none recorded</span>'}</p>${fix}</li>`
    );
  });
  const bySeverity = SEVERITY_ORDER.map((severity) => [severity, report.findings.filter((f) => f.severity === severity).length] as const)
    .filter(([, n]) => n > 0)
    .map(([severity, n]) => `${n} ${severity}`)
    .join(', ');
  return `<section id="findings"><h2>Findings <span class="muted">(${bySeverity})</span></h2><ol class="findings">${items.join('')}</ol></section>`;
}

/** Does this process, or one below it, hold a finding's evidence (so it starts open)? */
function holdsEvidence(node: ViewProcess, marks: Marks, memo: Map<ViewProcess, boolean>): boolean {
  const known = memo.get(node);
  if (known !== undefined) return known;
  const found = node.lineIds.some((id) => marks.evidence.has(id)) || node.children.some((child) => holdsEvidence(child, marks, memo));
  memo.set(node, found);
  return found;
}

function renderProcess(node: ViewProcess, marks: Marks, memo: Map<ViewProcess, boolean>, rendered: Set<string>): string {
  const open = holdsEvidence(node, marks, memo) ? ' open' : '';
  const title = node.execs.length > 0 ? node.execs.map((exec) => `<code>${t(exec, 600)}</code>`).join(' → ') : '<span class="muted">(no exec seen)</span>';
  const ended = node.ended.length > 0 ? ` <span class="muted">${node.ended.map((end) => t(end, 80)).join(', ')}</span>` : '';
  const lines = node.lines.map((line, i) => {
    const id = node.lineIds[i] ?? '';
    rendered.add(id);
    const cls = markClass(id, marks);
    return `<li id="${anchor(id)}" class="ev${cls ? ` ${cls}` : ''}"><code>${t(line, 800)}</code> ${markLabel(id, marks)}</li>`;
  });
  const more = Object.entries(node.more).map(([type, n]) => `${n} more ${t(type, 32)}`).join(', ');
  const children = node.children.map((child) => renderProcess(child, marks, memo, rendered)).join('');
  const body = `${lines.length > 0 ? `<ul class="events">${lines.join('')}</ul>` : ''}${more ? `<p class="muted">${more} event(s) not listed</p>` : ''}${children ? `<ul class="procs">${children}</ul>` : ''}`;
  return `<li class="proc"><details${open}><summary>pid ${node.pid} ${title}${ended}</summary>${body || '<p class="muted">no events</p>'}</details></li>`;
}

function renderGroup(group: ViewGroup, marks: Marks, memo: Map<ViewProcess, boolean>, rendered: Set<string>): string {
  const open = group.roots.some((root) => holdsEvidence(root, marks, memo)) ? ' open' : '';
  const who = group.package === null ? 'outside any lifecycle script' : `${t(`${group.package.name}@${group.package.version}`, 300)} <span class="muted">${t(group.lifecycle ?? '?', 64)}</span>`;
  const command = group.command !== undefined ? ` <code>${t(group.command, 600)}</code>` : '';
  const result = group.result !== undefined ? ` — ${t(group.result, 64)}` : '';
  const span = group.startTs !== undefined && group.endTs !== undefined ? ` <span class="muted">${duration(group.endTs - group.startTs)}</span>` : '';
  const flagged = open || (group.startId !== undefined && marks.evidence.has(group.startId)) ? ' <span class="tag tag-finding">findings</span>' : '';
  // The script's start event is the group itself: a finding about the script links here.
  if (group.startId !== undefined) rendered.add(group.startId);
  const id = group.startId !== undefined ? ` id="${anchor(group.startId)}"` : '';
  return `<details class="group"${id}${open}><summary>${who}${command}${result}${span}${flagged}</summary><ul class="procs">${group.roots.map((root) => renderProcess(root, marks, memo, rendered)).join('')}</ul></details>`;
}

/** Events worth a row of the timeline: what a responder reads first. */
function timelineText(e: TraceEvent, marks: Marks): string | null {
  if (marks.evidence.has(e.id) || marks.decoy.has(e.id) || marks.sinked.has(e.id)) return eventLine(e) ?? `${e.type}${'action' in e ? ` ${String(e.action)}` : ''}`;
  switch (e.type) {
    case 'script':
      return e.action === 'start' ? `script start${e.command !== undefined ? `: ${e.command}` : ''}` : `script end${e.code !== undefined ? ` (exit ${e.code})` : e.signal !== undefined ? ` (${e.signal})` : ''}`;
    case 'process':
      if (e.action === 'exec' && e.ok !== false) return `exec ${e.path}`;
      if (e.action === 'lingering') return `outlived its script (${e.outcome})`;
      return e.action === 'untraceable' || e.action === 'signal' ? eventLine(e) : null;
    case 'network':
      return e.action === 'connect' || e.action === 'sendto' ? eventLine(e) : null;
    case 'dns':
    case 'http':
    case 'decoy-exfiltration':
    case 'notice':
      return eventLine(e);
    default:
      return null;
  }
}

function renderTimeline(events: readonly TraceEvent[], marks: Marks, rendered: ReadonlySet<string>): string {
  const start = events.find((e) => typeof e.ts === 'number')?.ts ?? 0;
  const rows: string[] = [];
  let left = 0;
  for (const e of events) {
    const text = timelineText(e, marks);
    if (text === null) continue;
    if (rows.length >= MAX_TIMELINE_ROWS && !marks.evidence.has(e.id)) {
      left += 1;
      continue;
    }
    const cls = markClass(e.id, marks);
    const who = e.package ? `${e.package.name}@${e.package.version}${e.lifecycle ? ` ${e.lifecycle}` : ''}` : '';
    rows.push(
      `<tr id="tl-${anchor(e.id)}" class="${cls}"><td class="num">+${((e.ts - start) / 1000).toFixed(3)} s</td><td class="num">${e.pid}</td><td>${t(who, 300)}</td>` +
        `<td>${rendered.has(e.id) ? `<a href="#${anchor(e.id)}">${t(e.type, 32)}</a>` : t(e.type, 32)}</td><td><code>${t(text, 800)}</code> ${markLabel(e.id, marks)}</td></tr>`,
    );
  }
  const more = left > 0 ? `<p class="muted">${left} later event(s) not shown; the trace file has them all.</p>` : '';
  return `<section id="timeline"><details${rows.length <= 400 ? ' open' : ''}><summary><h2>Timeline</h2> <span class="muted">${count(rows.length + left, 'notable event')}</span></summary>` +
    `<table><thead><tr><th>time</th><th>pid</th><th>package</th><th>event</th><th>what</th></tr></thead><tbody>${rows.join('')}</tbody></table>${more}</details></section>`;
}

const STYLE = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#667;--line:#d0d7de;--crit:#a40e26;--high:#cf222e;--med:#bf8700;--low:#0969da;--decoy:#fff1c2;--sink:#e7f0ff;--ev:#ffe3e3}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#8b949e;--line:#30363d;--decoy:#3d3200;--sink:#0c2d6b;--ev:#4a1010}}
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:1rem 1.5rem;background:var(--bg);color:var(--fg)}
h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.15rem;display:inline}section{margin:1.2rem 0}
code{font:12.5px ui-monospace,monospace;overflow-wrap:anywhere}.muted{color:var(--muted)}
.verdict{font-weight:700;padding:.1rem .5rem;border-radius:4px;color:#fff}.pass{background:#1a7f37}.fail{background:var(--high)}
.findings{padding-left:1.4rem}.finding{margin:.6rem 0}.finding p{margin:.15rem 0}.sev{font-weight:700;text-transform:uppercase;font-size:.8rem}
.sev-critical .sev{color:var(--crit)}.sev-high .sev{color:var(--high)}.sev-medium .sev{color:var(--med)}.sev-low .sev,.sev-info .sev{color:var(--low)}
details.group{border:1px solid var(--line);border-radius:6px;margin:.4rem 0;padding:.3rem .6rem}summary{cursor:pointer}
ul.procs,ul.events{list-style:none;padding-left:1.1rem;margin:.2rem 0;border-left:1px dotted var(--line)}
li.ev{padding:0 .2rem}li.evidence{background:var(--ev)}li.decoy,tr.decoy{background:var(--decoy)}li.sinked,tr.sinked{background:var(--sink)}
.tag{font-size:.75rem;border:1px solid var(--line);border-radius:3px;padding:0 .25rem;margin-left:.2rem;text-decoration:none}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid var(--line);padding:.15rem .4rem;text-align:left;vertical-align:top}td.num{white-space:nowrap;font-variant-numeric:tabular-nums}
tr.evidence td:first-child{box-shadow:inset 3px 0 var(--high)}.toolbar{position:sticky;top:0;background:var(--bg);padding:.4rem 0;display:none;gap:.5rem;border-bottom:1px solid var(--line)}
.js .toolbar{display:flex}.flash{outline:3px solid var(--high);transition:outline .3s}.hidden{display:none}
`;

// The page's only script: progressive, the page is complete without it.
const SCRIPT = `
document.documentElement.classList.add('js');
function openTo(el){for(var p=el;p;p=p.parentElement){if(p.tagName==='DETAILS')p.open=true;}}
function show(id){var el=document.getElementById(id);if(!el)return;openTo(el);el.scrollIntoView({block:'center'});el.classList.add('flash');setTimeout(function(){el.classList.remove('flash');},1500);}
document.addEventListener('click',function(e){var a=e.target.closest&&e.target.closest('a[href^="#"]');if(!a)return;var id=a.getAttribute('href').slice(1);if(document.getElementById(id)){e.preventDefault();history.replaceState(null,'','#'+id);show(id);}});
if(location.hash)show(location.hash.slice(1));
document.getElementById('expand').onclick=function(){document.querySelectorAll('details').forEach(function(d){d.open=true;});};
document.getElementById('collapse').onclick=function(){document.querySelectorAll('#tree details').forEach(function(d){d.open=false;});};
document.getElementById('filter').oninput=function(){var q=this.value.toLowerCase();document.querySelectorAll('li.ev, #timeline tbody tr').forEach(function(el){var hit=!q||el.textContent.toLowerCase().indexOf(q)>=0;el.classList.toggle('hidden',!hit);if(hit&&q)openTo(el);});};
`;

export function renderHtml(input: HtmlInput): string {
  const { report, events, rules } = input;
  const marks = marksOf(events, report.findings);
  const view = new TraceView({ eventsPerProcess: EVENTS_PER_PROCESS, keep: (e) => marks.evidence.has(e.id) || marks.decoy.has(e.id) });
  for (const e of events) view.observe(e);
  const memo = new Map<ViewProcess, boolean>();
  const groups = view.groups().filter((group) => group.roots.length > 0 || group.command !== undefined);
  const pass = report.verdict === 'pass';
  const net = report.network;
  const summary = [
    `${count(report.summary.scripts, 'install script')} run from ${count(report.summary.packages, 'package')}`,
    ...(net ? [`${count(net.requests, 'network request')} (${net.allowed} allowed, ${net.refused} refused)`] : []),
    report.summary.findings === 0 ? 'no findings' : count(report.summary.findings, 'finding'),
    ...(report.timings['total'] !== undefined ? [`took ${duration(report.timings['total'])}`] : []),
  ].join(' · ');
  // The tree first: a finding links to its evidence there, or else to the evidence's timeline row.
  const rendered = new Set<string>();
  const tree = `<section id="tree"><h2>Lifecycle scripts and their processes</h2>${groups.length > 0 ? groups.map((group) => renderGroup(group, marks, memo, rendered)).join('') : '<p>No install script ran.</p>'}${view.untracked > 0 ? `<p class="muted">${view.untracked} event(s) of processes beyond the tree's limit are not shown.</p>` : ''}</section>`;
  const timeline = renderTimeline(events, marks, rendered);
  const target = (id: string) => (rendered.has(id) ? anchor(id) : `tl-${anchor(id)}`);
  const hash = createHash('sha256').update(SCRIPT).digest('base64');
  const csp = `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>safe-install ${pass ? 'pass' : 'fail'}: ${t(report.project, 200)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<header><h1>safe-install ${t(report.command, 16)} <span class="verdict ${pass ? 'pass' : 'fail'}">${pass ? 'pass' : 'fail'}</span>${report.outcome === 'completed' ? '' : ` <span class="muted">(${t(report.outcome, 32)})</span>`}</h1>`,
    `<p>${t(report.project, 500)} · safe-install ${t(report.tool.version, 40)}</p><p>${t(summary, 400)}</p>`,
    `<p>${pass ? 'node_modules was installed.' : 'node_modules was <strong>not</strong> changed.'}</p></header>`,
    '<div class="toolbar"><input id="filter" type="search" placeholder="filter events (path, host, program…)" size="40"> <button id="expand" type="button">expand all</button> <button id="collapse" type="button">collapse tree</button></div>',
    renderFindingsSection(report, rules, target),
    tree,
    timeline,
    '<footer><p class="muted">Decoy values in this run are fake: the sandbox planted them. <span class="tag tag-decoy">decoy</span> marks a read or use of one; <span class="tag tag-sinked">sinkholed</span> a request the gateway answered itself or refused.</p></footer>',
    `<script>${SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
