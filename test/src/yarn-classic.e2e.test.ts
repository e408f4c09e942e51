/**
 * Yarn classic (Yarn 1) on the real engine: the example project installs and its code runs on the
 * host; a project's .yarnrc cannot take scripts out of the tracer or run its own Yarn; the P1
 * fixture installed by Yarn 1 is caught with the same findings and attribution as under npm.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { copyProject, describeWithEngine, projectWithPackages, readTrace, repoRoot, runCli } from './engine.js';

const CULPRIT = 'p1-npmrc-node';
const YARN = '1.22.22';

interface ReportFinding {
  ruleId: string;
  severity: string;
  package?: { name: string; version: string };
  lifecycle?: string;
}

/** Yarn 1 on the host: `npm pack yarn@1.22.22` from the registry npm's config names, run with node. */
async function hostYarn(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'safe-install-yarn1-'));
  const packed = await execa('npm', ['pack', `yarn@${YARN}`, '--pack-destination', dir], { cwd: dir });
  await execa('tar', ['xzf', join(dir, packed.stdout.trim().split('\n').pop()!), '-C', dir]);
  return join(dir, 'package/bin/yarn.js');
}

/** A Yarn 1 project depending on the P1 fixture as a packed tarball; its yarn.lock written by the host's Yarn 1. */
async function yarnProjectWithCulprit(yarn: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'safe-install-yarn-classic-'));
  const source = await mkdtemp(join(tmpdir(), 'safe-install-fixture-'));
  await cp(join(repoRoot, 'examples/malicious/P1-npm-token-exfil', CULPRIT), source, { recursive: true });
  const packed = await execa('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: source });
  await rm(source, { recursive: true, force: true });
  const tarball = packed.stdout.trim().split('\n').pop()!;
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'fixture-project', version: '1.0.0', private: true, packageManager: `yarn@${YARN}`, dependencies: { [CULPRIT]: `file:${tarball}` } }, null, 2));
  const registry = (await execa('npm', ['config', 'get', 'registry'])).stdout.trim();
  const home = await mkdtemp(join(tmpdir(), 'safe-install-yarn-home-'));
  await execa('node', [yarn, 'install', '--ignore-scripts', '--non-interactive', '--registry', registry, '--cache-folder', join(home, 'cache')], { cwd: dir, env: { HOME: home } });
  await rm(join(dir, 'node_modules'), { recursive: true, force: true });
  await rm(home, { recursive: true, force: true });
  return dir;
}

const serious = (findings: ReportFinding[]) =>
  findings
    .filter((finding) => finding.severity === 'high' || finding.severity === 'critical')
    .map((finding) => `${finding.ruleId} ${finding.package?.name}@${finding.package?.version} ${finding.lifecycle}`)
    .sort();

await describeWithEngine('safe-install ci with Yarn classic', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('installs examples/yarn-classic-small (a postinstall, a native addon built by node-gyp, a workspace) and its code runs on the host', async () => {
    const project = await copyProject('examples/yarn-classic-small');
    dirs.push(project);
    const reportPath = join(project, 'report.json');
    const tracePath = join(project, 'trace.jsonl');
    const started = Date.now();
    const result = await runCli(['ci', project, '--report', reportPath, '--trace', tracePath]);
    process.stderr.write(`yarn-classic-small: safe-install ci took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    expect(result.all).toContain('verdict: pass');
    expect(result.exitCode).toBe(0);
    const code = "console.log(require('@yarn-classic-small/greet')('x')); require('core-js/actual/array/at'); console.log([1, 2].at(-1)); console.log(typeof require('cpu-features')().arch)";
    const run = await execa('node', ['-e', code], { cwd: project });
    expect(run.stdout).toBe('hello, .......x\n2\nstring');
    const report = JSON.parse(await readFile(reportPath, 'utf8'));
    expect(report.findings.filter((finding: ReportFinding) => finding.severity !== 'info')).toEqual([]);
    expect(report.scripts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ package: { name: 'core-js', version: '3.45.1' }, lifecycle: 'postinstall', code: 0 }),
        expect.objectContaining({ package: { name: 'cpu-features', version: '0.0.10' }, lifecycle: 'install', code: 0 }),
      ]),
    );
    // Yarn 1 has no build gate of its own: nothing skipped, nothing to review.
    expect(report.scriptReview ?? null).toBeNull();
    expect(report.export.issues).toEqual([]);
    // Attributed by the lockfile's identity, in the folder Yarn hoisted it to.
    const trace = await readTrace(tracePath);
    const start = trace.find((event) => event.type === 'script' && event.action === 'start' && event.package?.name === 'core-js');
    expect(start).toMatchObject({ cwd: '/home/node/project/node_modules/core-js', identity: { name: 'core-js', version: '3.45.1', source: 'registry', path: 'node_modules/core-js' } });
    // No tarball copies in the project (an offline mirror stays in the sandbox's HOME).
    await expect(readFile(join(project, 'core-js-3.45.1.tgz'))).rejects.toThrow();
  }, 10 * 60_000);

  it("a project's .yarnrc cannot run its own Yarn (yarn-path) or take scripts out of the tracer (script-shell, modules-folder)", async () => {
    const project = await copyProject('examples/yarn-classic-small');
    dirs.push(project);
    await writeFile(join(project, 'own-yarn.js'), "require('fs').writeFileSync(require('path').join(__dirname, 'own-yarn-ran'), 'x'); process.exit(0);\n");
    await writeFile(join(project, '.yarnrc'), 'yarn-path "./own-yarn.js"\nscript-shell "/bin/sh"\n--install.modules-folder "/tmp/elsewhere"\nyarn-offline-mirror "./mirror"\n');
    await writeFile(join(project, '.npmrc'), 'script-shell=/bin/sh\n');
    const reportPath = join(project, 'report.json');
    const result = await runCli(['ci', project, '--report', reportPath]);
    expect(result.all).toContain('verdict: pass');
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(await readFile(reportPath, 'utf8'));
    expect(report.scripts).toEqual(expect.arrayContaining([expect.objectContaining({ package: { name: 'core-js', version: '3.45.1' }, lifecycle: 'postinstall', code: 0 })]));
    expect(report.scripts).toHaveLength(2);
    await expect(readFile(join(project, 'own-yarn-ran'))).rejects.toThrow();
    await expect(readFile(join(project, 'mirror/core-js-3.45.1.tgz'))).rejects.toThrow();
    await expect(readFile(join(project, 'node_modules/core-js/package.json'))).resolves.toBeDefined();
  }, 10 * 60_000);

  it('catches the P1 fixture installed by Yarn 1 with the same findings and attribution as under npm', async () => {
    const viaYarn = await yarnProjectWithCulprit(await hostYarn());
    const viaNpm = await projectWithPackages([CULPRIT], {}, { packagesFrom: 'examples/malicious/P1-npm-token-exfil' });
    dirs.push(viaYarn, viaNpm);
    const reports: Record<string, { findings: ReportFinding[] }> = {};
    for (const [name, dir] of [['yarn', viaYarn], ['npm', viaNpm]] as const) {
      const result = await runCli(['ci', dir, '--report', join(dir, 'report.json')]);
      expect(result.exitCode).toBe(1);
      reports[name] = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'));
    }
    const yarnFindings = serious(reports['yarn']!.findings);
    expect(yarnFindings).toEqual(expect.arrayContaining([`decoy-credential-read ${CULPRIT}@1.0.0 postinstall`, `decoy-exfiltration ${CULPRIT}@1.0.0 postinstall`]));
    expect(yarnFindings).toEqual(serious(reports['npm']!.findings));
  }, 15 * 60_000);
});
