/**
 * The HTML report on a recorded malicious run (P1: a postinstall reads ~/.npmrc and posts the token
 * to a sinked host) against a committed snapshot, and on hostile traces: every string from the
 * trace is data, never markup, and the page runs no script but its own.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseTrace, type Report, type TraceEvent } from '@safe-install/schema';
import { RULES } from '@safe-install/policy';
import { MAX_TIMELINE_ROWS, htmlEscape, renderHtml } from './html.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const report = JSON.parse(readFileSync(fixture('p1-npmrc-shell.trace-report.json'), 'utf8')) as Report;
const { events } = parseTrace(readFileSync(fixture('p1-npmrc-shell.trace.jsonl'), 'utf8'));

function snapshot(name: string, text: string): void {
  const file = fixture(`snapshots/${name}`);
  if (!existsSync(file) || process.env['UPDATE_REPORT_SNAPSHOTS'] === '1') writeFileSync(file, text);
  expect(text).toBe(readFileSync(file, 'utf8'));
}

/** Every element's opening tag name in the page, and every inline script's text. */
function tags(html: string): { names: Set<string>; scripts: string[]; handlers: string[] } {
  const names = new Set([...html.matchAll(/<([a-zA-Z][\w-]*)/g)].map((m) => m[1]!.toLowerCase()));
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  const handlers = [...html.matchAll(/<[^>]*\son\w+\s*=/g)].map((m) => m[0]);
  return { names, scripts, handlers };
}

describe('the HTML report', () => {
  const html = renderHtml({ report, events, rules: RULES });

  it('matches its snapshot on the recorded P1 run', () => {
    snapshot('report.html', html);
  });

  it('shows the finding, its evidence in the process tree, the decoy read and the sinkholed request', () => {
    const exfil = report.findings.find((finding) => finding.ruleId === 'decoy-exfiltration')!;
    expect(html).toContain('<code>decoy-exfiltration</code> in p1-npmrc-shell@1.0.0');
    // Every evidence id links to an element of the page.
    for (const finding of report.findings) {
      for (const id of finding.evidence) {
        const link = new RegExp(`href="#((tl-)?ev-${id})"`).exec(html);
        expect(link).not.toBeNull();
        expect(html).toContain(`id="${link![1]}"`);
      }
    }
    expect(exfil.evidence.length).toBeGreaterThan(0);
    expect(html).toMatch(/<li id="ev-t\d+" class="ev evidence decoy"><code>open \/home\/node\/\.npmrc/);
    expect(html).toContain('class="tag tag-sinked">sinkholed</span>');
    // The script's group holds evidence, so it starts open: readable with JavaScript off.
    expect(html).toMatch(/<details class="group" id="ev-t\d+" open><summary>p1-npmrc-shell@1\.0\.0 <span class="muted">postinstall<\/span>/);
  });

  it('is self-contained: one inline script, allowed by its hash, no external source', () => {
    const { scripts } = tags(html);
    expect(scripts).toHaveLength(1);
    const hash = createHash('sha256').update(scripts[0]!).digest('base64');
    expect(html).toContain(`script-src 'sha256-${hash}'`);
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/\s(src|href)="(https?:)?\/\//);
  });

  it('escapes hostile strings from the trace: no markup, no handler, no second script', () => {
    const hostile = '</script><script>alert(1)</script><img src=x onerror=alert(2)>"\'&\u202e\u200b';
    const pkg = { name: `evil"><svg onload=alert(3)>`, version: '1.0.0' };
    const base = { source: 'tracer' as const, ppid: 1, package: pkg, lifecycle: `post"install<b>`, run: 1 };
    const hostileEvents: TraceEvent[] = [
      { ...base, id: 'h1', ts: 1000, pid: 10, type: 'script', action: 'start', command: hostile, cwd: '/x' },
      { ...base, id: 'h2', ts: 1001, pid: 10, type: 'process', action: 'exec', path: `/bin/${hostile}`, argv: [hostile, hostile] },
      { ...base, id: 'h"3', ts: 1002, pid: 10, type: 'file', action: 'open', path: `/tmp/${hostile}`, intent: { read: true, write: false, create: false, truncate: false } },
      { ...base, id: 'h4', ts: 1003, pid: 10, type: 'dns', name: `${hostile}.invalid`, qtype: 'A', answered: 'sinked' },
      { ...base, id: 'h5', ts: 1004, pid: 10, type: 'script', action: 'end', code: 0 },
    ] as TraceEvent[];
    const hostileReport: Report = {
      ...report,
      project: hostile,
      findings: [{ ruleId: `rule${hostile}`, severity: 'high', package: pkg, lifecycle: hostile, message: hostile, evidence: ['h"3', `x${hostile}`], hint: hostile }],
    };
    const page = renderHtml({ report: hostileReport, events: hostileEvents, rules: RULES });
    const { names, scripts, handlers } = tags(page);
    expect(scripts).toHaveLength(1);
    expect(handlers).toEqual([]);
    for (const name of ['img', 'svg', 'b']) expect(names.has(name)).toBe(false);
    // Bidi and zero-width characters are shown escaped, not applied.
    expect(page).not.toMatch(/[\u202e\u200b]/);
    // Ids and hrefs carry only safe characters.
    for (const m of page.matchAll(/\s(id|href)="([^"]*)"/g)) expect(m[2]).toMatch(/^#?[\w-]*$/);
    expect(page).toContain('&lt;/script&gt;');
  });

  it('caps the timeline and says how much it left out', () => {
    const many: TraceEvent[] = Array.from({ length: MAX_TIMELINE_ROWS + 5 }, (_, i) => ({ id: `n${i}`, ts: 1000 + i, pid: 10, ppid: 1, source: 'gateway', type: 'dns', name: `a${i}.example`, qtype: 'A', answered: 'allowed' }) as TraceEvent);
    const page = renderHtml({ report: { ...report, findings: [] }, events: many, rules: RULES });
    expect(page).toContain('5 later event(s) not shown');
  });

  it('escapes the five characters that matter in text and attributes', () => {
    expect(htmlEscape(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});
