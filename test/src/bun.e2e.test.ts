/**
 * Bun on the real engine: the example project installs and its code runs on the host; the P1
 * fixture installed by Bun is caught with the same findings and attribution as under npm; a
 * dependency trustedDependencies does not trust is reported skipped, not run, not a finding.
 * The fixture's bun.lock is written by a Bun fetched from the registry (npm's config) for the test.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { copyProject, describeWithEngine, packCorpusFixture, projectWithPackages, readTrace, runCli } from './engine.js';
import { BUN, hostBun } from './host-bun.js';

const CULPRIT = 'p1-npmrc-node';
/** The identity's version of the packed fixture in bun.lock (which records none for a local tarball). */
const TARBALL_VERSION = `file:${CULPRIT}-1.0.0.tgz`;

interface ReportFinding {
  ruleId: string;
  severity: string;
  package?: { name: string; version: string };
  lifecycle?: string;
}

const serious = (findings: ReportFinding[]) =>
  findings
    .filter((finding) => finding.severity === 'high' || finding.severity === 'critical')
    .map((finding) => `${finding.ruleId} ${finding.package?.name}@${finding.package?.version} ${finding.lifecycle}`)
    .sort();

/** A Bun project depending on the P1 fixture as a packed tarball; its bun.lock written by Bun. */
async function bunProjectWithCulprit(bun: string, trusted: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'safe-install-bun-'));
  const tarball = await packCorpusFixture('P1-npm-token-exfil', CULPRIT, dir);
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'fixture-project', version: '1.0.0', private: true, packageManager: `bun@${BUN}`, trustedDependencies: trusted, dependencies: { [CULPRIT]: `file:${tarball}` } }, null, 2));
  await execa(bun, ['install', '--lockfile-only', '--ignore-scripts'], { cwd: dir });
  return dir;
}

await describeWithEngine('safe-install ci with Bun', () => {
  const dirs: string[] = [];
  let bun = '';
  beforeAll(async () => {
    const tools = await mkdtemp(join(tmpdir(), 'safe-install-bun-tool-'));
    dirs.push(tools);
    bun = await hostBun(tools);
  }, 5 * 60_000);
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('installs examples/bun-small (a postinstall, a native addon built by node-gyp, a workspace) and its code runs on the host', async () => {
    const project = await copyProject('examples/bun-small');
    dirs.push(project);
    const reportPath = join(project, 'report.json');
    const tracePath = join(project, 'trace.jsonl');
    const started = Date.now();
    const result = await runCli(['ci', project, '--report', reportPath, '--trace', tracePath]);
    process.stderr.write(`bun-small: safe-install ci took ${((Date.now() - started) / 1000).toFixed(1)} s\n${result.exitCode !== 0 ? result.all : ''}`);
    expect(result.all).toContain('verdict: pass');
    expect(result.exitCode).toBe(0);
    const code = "console.log(require('@bun-small/greet')('x')); require('core-js/actual/array/at'); console.log([1, 2].at(-1)); console.log(typeof require('cpu-features')().arch)";
    const run = await execa('node', ['-e', code], { cwd: project });
    expect(run.stdout).toBe('hello, .......x\n2\nstring');
    const report = JSON.parse(await readFile(reportPath, 'utf8'));
    expect(report.findings).toEqual([]);
    expect(report.scripts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ package: { name: 'core-js', version: '3.45.1' }, lifecycle: 'postinstall', code: 0 }),
        expect.objectContaining({ package: { name: 'cpu-features', version: '0.0.10' }, lifecycle: 'install', code: 0 }),
      ]),
    );
    expect(report.scriptReview).toEqual({ npmVersion: BUN, packageManager: 'bun', pending: [], unreviewed: [] });
    expect(report.export.issues).toEqual([]);
    const trace = await readTrace(tracePath);
    const start = trace.find((event) => event.type === 'script' && event.action === 'start' && event.package?.name === 'core-js');
    expect(start).toMatchObject({ cwd: '/home/node/project/node_modules/core-js', identity: { name: 'core-js', version: '3.45.1', source: 'registry', path: 'node_modules/core-js' } });
  }, 10 * 60_000);

  it("a project bunfig.toml (Bun's shell, the isolated linker, its own cache) cannot take its scripts out of the tracer", async () => {
    const project = await copyProject('examples/bun-small');
    dirs.push(project);
    await writeFile(join(project, 'bunfig.toml'), '[run]\nshell = "bun"\n\n[install]\nlinker = "isolated"\ncache = { dir = "node_modules/.cache-elsewhere" }\n');
    const reportPath = join(project, 'report.json');
    const result = await runCli(['ci', project, '--report', reportPath]);
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(await readFile(reportPath, 'utf8'));
    expect(report.scripts).toEqual(expect.arrayContaining([expect.objectContaining({ package: { name: 'core-js', version: '3.45.1' }, lifecycle: 'postinstall', code: 0 })]));
    expect(report.scripts).toHaveLength(2);
    const link = await execa('ls', ['-la', join(project, 'node_modules')]);
    expect(link.stdout).not.toMatch(/\.bun|\.cache-elsewhere/);
  }, 10 * 60_000);

  it('catches the P1 fixture installed by Bun with the same findings and attribution as under npm', async () => {
    const viaBun = await bunProjectWithCulprit(bun, [CULPRIT]);
    const viaNpm = await projectWithPackages([CULPRIT], {}, { packagesFrom: 'examples/malicious/P1-npm-token-exfil' });
    dirs.push(viaBun, viaNpm);
    const reports: Record<string, { findings: ReportFinding[] }> = {};
    for (const [name, dir] of [['bun', viaBun], ['npm', viaNpm]] as const) {
      const result = await runCli(['ci', dir, '--report', join(dir, 'report.json')]);
      if (result.exitCode !== 1) process.stderr.write(String(result.all));
      expect(result.exitCode).toBe(1);
      reports[name] = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'));
    }
    // bun.lock records no version for a tarball in the project: its identity is the lockfile's `file:` path.
    const bunFindings = serious(reports['bun']!.findings).map((line) => line.replace(`${CULPRIT}@${TARBALL_VERSION}`, `${CULPRIT}@1.0.0`));
    expect(bunFindings).toEqual(expect.arrayContaining([`decoy-credential-read ${CULPRIT}@1.0.0 postinstall`, `decoy-exfiltration ${CULPRIT}@1.0.0 postinstall`]));
    // The same findings (rule, package, script); how many network attempts the gateway saw before the script ended may differ by one.
    expect([...new Set(bunFindings)]).toEqual([...new Set(serious(reports['npm']!.findings))]);
  }, 15 * 60_000);

  it('a dependency trustedDependencies does not trust is reported skipped: not run, no finding, the install passes', async () => {
    const project = await bunProjectWithCulprit(bun, []);
    dirs.push(project);
    const reportPath = join(project, 'report.json');
    const tracePath = join(project, 'trace.jsonl');
    const result = await runCli(['ci', project, '--report', reportPath, '--trace', tracePath]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/bun 1\.4\.4 skipped the install scripts of 1 package that trustedDependencies \(package\.json\) or Bun's default list does not trust \(not run\): p1-npmrc-node@file:p1-npmrc-node-1\.0\.0\.tgz/);
    const report = JSON.parse(await readFile(reportPath, 'utf8'));
    expect(report.findings).toEqual([]);
    expect(report.scripts).toEqual([]);
    expect(report.scriptReview.pending).toEqual([expect.objectContaining({ package: { name: CULPRIT, version: TARBALL_VERSION }, path: `node_modules/${CULPRIT}`, approve: `bun pm trust ${CULPRIT}` })]);
    const trace = await readTrace(tracePath);
    expect(trace.filter((event) => event.type === 'script')).toEqual([]);
  }, 10 * 60_000);

  it('a binary bun.lockb is refused with the conversion hint (exit 2)', async () => {
    const project = await mkdtemp(join(tmpdir(), 'safe-install-bunb-'));
    dirs.push(project);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'old', version: '1.0.0' }));
    await writeFile(join(project, 'bun.lockb'), Buffer.from('#!/usr/bin/env bun\nbun-lockfile-format-v0\n'));
    const result = await runCli(['ci', project]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/bun\.lockb is Bun's old binary lockfile/);
    expect(result.stderr).toMatch(/--save-text-lockfile/);
  }, 60_000);
});
