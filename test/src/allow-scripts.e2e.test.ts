/**
 * npm's `allowScripts`, as the sandbox's npm applies it: a project listing esbuild but not core-js
 * (both registry packages with a postinstall). npm 11 (the image's) runs core-js's script with a
 * warning: reported unreviewed, judged by what it does, and the run passes. npm 12 skips it:
 * pending, not run, esbuild's traced. With `strict-allow-scripts`, npm refuses before any script
 * runs, and the CLI says so in one line (exit 3).
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Report, TraceEvent } from '@safe-install/schema';
import { describeWithEngine, projectWithPackages, readTrace, runCli } from './engine.js';
import { baseWithNpm } from './npm-variant.js';

const NPM_12 = '12.2.0';

function project(files: Record<string, string> = {}): Promise<string> {
  return projectWithPackages([], { esbuild: '0.25.12', 'core-js': '3.45.1' }, { manifest: { allowScripts: { esbuild: true } }, projectFiles: files });
}

const scriptsOf = (events: TraceEvent[]) =>
  events.filter((e) => e.type === 'script' && e.action === 'start' && e.package !== undefined).map((e) => `${e.package?.name} ${e.lifecycle}`);

await describeWithEngine('npm allowScripts semantics', () => {
  const cleanup: string[] = [];
  afterAll(async () => {
    for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
  });

  it('npm 11: the unlisted script runs, traced, and is reported unreviewed; the verdict is by behaviour', async () => {
    const dir = await project();
    cleanup.push(dir);
    const result = await runCli(['ci', dir, '--report', join(dir, 'r.json'), '--trace', join(dir, 't.jsonl')]);
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8')) as Report;
    expect(scriptsOf(await readTrace(join(dir, 't.jsonl'))).sort()).toEqual(['core-js postinstall', 'esbuild postinstall']);
    expect(report.scriptReview?.npmVersion).toMatch(/^11\./);
    expect(report.scriptReview?.pending).toEqual([]);
    expect(report.scriptReview?.unreviewed).toEqual([
      { package: { name: 'core-js', version: '3.45.1' }, path: 'node_modules/core-js', approve: 'npm install-scripts approve core-js', entry: '"core-js": true' },
    ]);
    const unreviewed = report.findings.filter((f) => f.ruleId === 'script-not-allowed');
    expect(unreviewed.map((f) => [f.package?.name, f.severity])).toEqual([['core-js', 'info']]);
    expect(report.findings.filter((f) => ['medium', 'high', 'critical'].includes(f.severity))).toEqual([]);
    expect(result.stderr).toMatch(/ran the install scripts of 1 package that allowScripts does not list \(judged by what they did\): core-js@3\.45\.1/);
    expect(result.stderr).toMatch(/approve core-js: `npm install-scripts approve core-js`/);
  }, 15 * 60_000);

  describe(`npm ${NPM_12}`, () => {
    let base = '';
    beforeAll(async () => {
      base = await baseWithNpm(NPM_12);
    }, 15 * 60_000);

    it('the listed script runs traced; the unlisted one does not run and is reported pending', async () => {
      const dir = await project();
      cleanup.push(dir);
      const result = await runCli(['ci', dir, '--base', base, '--report', join(dir, 'r.json'), '--trace', join(dir, 't.jsonl')]);
      expect(result.exitCode).toBe(0);
      const report = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8')) as Report;
      expect(scriptsOf(await readTrace(join(dir, 't.jsonl')))).toEqual(['esbuild postinstall']);
      expect(report.scriptReview).toEqual({
        npmVersion: NPM_12,
        pending: [{ package: { name: 'core-js', version: '3.45.1' }, path: 'node_modules/core-js', approve: 'npm install-scripts approve core-js', entry: '"core-js": true' }],
        unreviewed: [],
      });
      expect(report.findings.filter((f) => ['medium', 'high', 'critical'].includes(f.severity))).toEqual([]);
      expect(result.stderr).toMatch(/skipped the install scripts of 1 package that allowScripts does not list \(not run\): core-js@3\.45\.1/);
    }, 15 * 60_000);

    it('with strict-allow-scripts the run fails before any script runs, with one clear line naming the package', async () => {
      const dir = await project({ '.npmrc': 'strict-allow-scripts=true\n' });
      cleanup.push(dir);
      const result = await runCli(['ci', dir, '--base', base, '--trace', join(dir, 't.jsonl')]);
      expect(result.exitCode).toBe(3);
      expect(result.stderr).toMatch(/npm refused to install \(ESTRICTALLOWSCRIPTS, exit \d+\): strict-allow-scripts is set and 1 package\(s\) have install scripts allowScripts does not cover: core-js@3\.45\.1; no script ran/);
      expect(result.stderr).toMatch(/npm install-scripts approve core-js/);
      expect(scriptsOf(await readTrace(join(dir, 't.jsonl')))).toEqual([]);
    }, 15 * 60_000);
  });
});
