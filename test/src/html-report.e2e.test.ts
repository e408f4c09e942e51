/**
 * The HTML report of a real malicious run (corpus P1: a postinstall reads ~/.npmrc and posts the
 * token to a sinked host), opened in Debian's Chromium, headless, driven by playwright-core with the
 * system browser: the finding and the offending process chain are visible, a finding's evidence
 * link opens the way to its event, the page works with JavaScript off, and `trace report` draws the
 * same page from the saved trace. Screenshots go to test/output/.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { describeWithEngine, projectWithPackages, repoRoot, runCli } from './engine.js';

const CULPRIT = 'p1-npmrc-shell';
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const OUTPUT = join(repoRoot, 'test/output');

await describeWithEngine('the HTML report in a browser', () => {
  let project: string;
  let browser: Browser;
  const out = (name: string) => join(project, name);

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: scripts/test.sh installs Debian's chromium (or set CHROMIUM_PATH)`);
    await mkdir(OUTPUT, { recursive: true });
    project = await projectWithPackages([CULPRIT], {}, { packagesFrom: 'examples/malicious/P1-npm-token-exfil' });
    const result = await runCli(['ci', project, '--html', out('report.html'), '--trace', out('trace.jsonl')], { env: { CI: 'true' } });
    expect(result.exitCode).toBe(1);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 10 * 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('shows the finding and the offending process chain, and an evidence link opens its event', async () => {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(out('report.html')).href);
    const finding = page.locator('li.finding', { hasText: 'decoy-exfiltration' }).first();
    await expect(finding.isVisible()).resolves.toBe(true);
    await expect(finding.textContent()).resolves.toContain(`${CULPRIT}@1.0.0`);
    // The script's group is open, and its chain runs from the script's shell to the program that read the decoy.
    const group = page.locator('details.group', { hasText: `${CULPRIT}@1.0.0` }).first();
    await expect(group.getAttribute('open')).resolves.not.toBeNull();
    await expect(group.locator('summary').first().textContent()).resolves.toContain('bash collect.sh');
    const decoyRead = page.locator('li.ev.decoy', { hasText: '/home/node/.npmrc' }).first();
    await expect(decoyRead.isVisible()).resolves.toBe(true);
    // Collapse everything, then follow the decoy-credential-read finding's first evidence link.
    await page.click('#collapse');
    await expect(decoyRead.isVisible()).resolves.toBe(false);
    const read = page.locator('li.finding', { hasText: 'decoy-credential-read' }).first();
    const link = read.locator('a.evidence-link').first();
    const target = (await link.getAttribute('href'))!.slice(1);
    await link.click();
    await expect(page.locator(`[id="${target}"]`).isVisible()).resolves.toBe(true);
    await expect(page.locator(`[id="${target}"]`).textContent()).resolves.toContain('.npmrc');
    await page.screenshot({ path: join(OUTPUT, 'html-report.png'), fullPage: true });
    await page.close();
  });

  it('is readable with JavaScript off, and runs no script the page did not bring', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => void (message.type() === 'error' ? errors.push(message.text()) : undefined));
    await page.goto(pathToFileURL(out('report.html')).href);
    await expect(page.locator('li.finding', { hasText: 'decoy-credential-read' }).first().isVisible()).resolves.toBe(true);
    await expect(page.locator('li.ev.decoy', { hasText: '/home/node/.npmrc' }).first().isVisible()).resolves.toBe(true);
    await expect(page.locator('.toolbar').isVisible()).resolves.toBe(false);
    await page.screenshot({ path: join(OUTPUT, 'html-report-no-js.png') });
    await context.close();
    // With JavaScript on, the page's own script runs under its CSP without a violation.
    const live = await browser.newPage();
    live.on('console', (message) => void (message.type() === 'error' ? errors.push(message.text()) : undefined));
    await live.goto(pathToFileURL(out('report.html')).href);
    await expect(live.locator('.toolbar').isVisible()).resolves.toBe(true);
    expect(errors).toEqual([]);
    await live.close();
  });

  it('trace report draws the page from the saved trace, offline', async () => {
    const result = await runCli(['trace', 'report', out('trace.jsonl'), '--html', out('from-trace.html')]);
    expect(result.exitCode).toBe(0);
    const html = await readFile(out('from-trace.html'), 'utf8');
    expect(html).toContain('<code>decoy-exfiltration</code>');
    const page = await browser.newPage();
    await page.goto(pathToFileURL(out('from-trace.html')).href);
    await expect(page.locator('li.finding', { hasText: 'decoy-exfiltration' }).first().isVisible()).resolves.toBe(true);
    await page.close();
  });
});
