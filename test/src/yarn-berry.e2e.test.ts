/**
 * Yarn Berry (Yarn 4, node-modules linker) on the real engine: the example project installs and its
 * code runs on the host; the P1 malicious fixture installed by Yarn is caught with the same
 * findings on the same package as under npm, attributed by process tree and folder (Yarn has no
 * script-shell hook); a build the policy allows and dependenciesMeta does not list runs, granted in
 * the sandbox copy only. Yarn on the host (to write the fixture's yarn.lock) is @yarnpkg/cli-dist
 * from the registry npm's config names.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { copyProject, describeWithEngine, projectWithPackages, readTrace, repoRoot, runCli, seriousFindings as serious, type ReportFinding } from './engine.js';
import { hostYarn, YARN, yarnLock } from './host-yarn.js';

const CULPRIT = 'p1-npmrc-node';

await describeWithEngine('safe-install ci with Yarn Berry', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('installs examples/yarn-berry-small (a postinstall, a native addon built by node-gyp, a workspace) and its code runs on the host', async () => {
    const project = await copyProject('examples/yarn-berry-small');
    dirs.push(project);
    const reportPath = join(project, 'report.json');
    const tracePath = join(project, 'trace.jsonl');
    const started = Date.now();
    const result = await runCli(['ci', project, '--report', reportPath, '--trace', tracePath]);
    process.stderr.write(`yarn-berry-small: safe-install ci took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    if (result.exitCode !== 0) process.stderr.write(String(result.all ?? ''));
    expect(result.all).toContain('verdict: pass');
    expect(result.exitCode).toBe(0);
    const code = "console.log(require('@yarn-berry-small/greet')('x')); require('core-js/actual/array/at'); console.log([1, 2].at(-1)); console.log(typeof require('cpu-features')().arch)";
    const run = await execa('node', ['-e', code], { cwd: project });
    expect(run.stdout).toBe('hello, .......x\n2\nstring');
    const report = JSON.parse(await readFile(reportPath, 'utf8'));
    // Yarn's dependenciesMeta is not imported as policy allowances (as pnpm's allowBuilds is): the builds are reported, not judged.
    expect(report.findings.filter((finding: ReportFinding) => finding.severity !== 'info')).toEqual([]);
    expect(report.scripts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ package: { name: 'core-js', version: '3.45.1' }, code: 0 }),
        expect.objectContaining({ package: { name: 'cpu-features', version: '0.0.10' }, code: 0 }),
      ]),
    );
    expect(report.scriptReview).toEqual({ npmVersion: YARN, packageManager: 'yarn-berry', pending: [], unreviewed: [] });
    expect(report.export.issues).toEqual([]);
    // The script's process ran in the package's folder and is attributed by the lockfile's identity there.
    const trace = await readTrace(tracePath);
    const start = trace.find((event) => event.type === 'script' && event.action === 'start' && event.package?.name === 'core-js');
    expect(start).toMatchObject({ cwd: '/home/node/project/node_modules/core-js', identity: { name: 'core-js', version: '3.45.1', source: 'registry', path: 'node_modules/core-js' } });
    // The workspace came back as Yarn's link inside the tree.
    const link = await execa('readlink', [join(project, 'node_modules/@yarn-berry-small/greet')]);
    expect(link.stdout).toBe('../../packages/greet');
  }, 10 * 60_000);

  it('catches the P1 fixture installed by Yarn with the same findings on the same package as under npm', async () => {
    const yarn = await hostYarn();
    dirs.push(join(yarn, '../../..'));
    const viaYarn = await mkdtemp(join(tmpdir(), 'safe-install-yarn-p1-'));
    const source = await mkdtemp(join(tmpdir(), 'safe-install-fixture-'));
    dirs.push(viaYarn, source);
    await cp(join(repoRoot, 'examples/malicious/P1-npm-token-exfil', CULPRIT), source, { recursive: true });
    const packed = await execa('npm', ['pack', '--ignore-scripts', '--pack-destination', viaYarn], { cwd: source });
    const tarball = packed.stdout.trim().split('\n').pop()!;
    await writeFile(join(viaYarn, 'package.json'), JSON.stringify({ name: 'fixture-project', version: '1.0.0', private: true, packageManager: `yarn@${YARN}`, dependencies: { [CULPRIT]: `file:./${tarball}` }, dependenciesMeta: { [CULPRIT]: { built: true } } }, null, 2));
    await writeFile(join(viaYarn, '.yarnrc.yml'), 'nodeLinker: node-modules\n');
    await yarnLock(yarn, viaYarn);
    const viaNpm = await projectWithPackages([CULPRIT], {}, { packagesFrom: 'examples/malicious/P1-npm-token-exfil' });
    dirs.push(viaNpm);
    const reports: Record<string, { findings: ReportFinding[] }> = {};
    for (const [name, dir] of [['yarn', viaYarn], ['npm', viaNpm]] as const) {
      const result = await runCli(['ci', dir, '--report', join(dir, 'report.json')]);
      if (result.exitCode !== 1) process.stderr.write(String(result.all ?? ''));
      expect(result.exitCode).toBe(1);
      reports[name] = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'));
    }
    const yarnFindings = serious(reports['yarn']!.findings);
    expect(yarnFindings).toEqual(expect.arrayContaining([`decoy-credential-read ${CULPRIT}@1.0.0`, `decoy-exfiltration ${CULPRIT}@1.0.0`]));
    expect(yarnFindings).toEqual(serious(reports['npm']!.findings));
    // Yarn's environment (which names the lifecycle event) is not in the trace: the run is Yarn's `build`.
    expect(reports['yarn']!.findings.find((finding) => finding.package?.name === CULPRIT)?.lifecycle).toBe('build');
  }, 15 * 60_000);

  it("a build the policy allows and dependenciesMeta does not runs (granted in the sandbox's package.json and yarn.lock only; Yarn's --immutable takes them), and the review says so", async () => {
    const yarn = await hostYarn();
    dirs.push(join(yarn, '../../..'));
    const dir = await mkdtemp(join(tmpdir(), 'safe-install-yarn-policy-'));
    const source = await mkdtemp(join(tmpdir(), 'safe-install-fixture-'));
    dirs.push(dir, source);
    // A benign build: its postinstall writes one file into its own folder, the artefact looked for on the host.
    await writeFile(join(source, 'package.json'), JSON.stringify({ name: 'built-thing', version: '1.0.0', scripts: { postinstall: 'node build.js' } }));
    await writeFile(join(source, 'build.js'), "require('node:fs').writeFileSync('built.txt', 'built\\n');\n");
    const packed = await execa('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: source });
    const tarball = packed.stdout.trim().split('\n').pop()!;
    await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: 'policy-yarn', version: '1.0.0', private: true, packageManager: `yarn@${YARN}`, dependencies: { 'built-thing': `file:./${tarball}` } }, null, 2)}\n`);
    await writeFile(join(dir, '.yarnrc.yml'), 'nodeLinker: node-modules\n');
    await yarnLock(yarn, dir);
    await writeFile(join(dir, 'safe-install.config.yaml'), 'version: 1\npackages:\n  built-thing: true\n');
    const manifest = await readFile(join(dir, 'package.json'), 'utf8');
    const lock = await readFile(join(dir, 'yarn.lock'), 'utf8');
    const reportPath = join(dir, 'report.json');
    const result = await runCli(['ci', dir, '--report', reportPath]);
    if (result.exitCode !== 0) process.stderr.write(String(result.all ?? ''));
    expect(result.all).toContain('verdict: pass');
    expect(result.exitCode).toBe(0);
    expect(result.all).toMatch(/Yarn 4\.18\.1 ran the install scripts of 1 package allowed by safe-install's policy \(not in dependenciesMeta; granted in the sandbox's copy only\): built-thing@1\.0\.0/);
    expect(await readFile(join(dir, 'node_modules/built-thing/built.txt'), 'utf8')).toBe('built\n');
    expect(await readFile(join(dir, 'package.json'), 'utf8')).toBe(manifest);
    expect(await readFile(join(dir, 'yarn.lock'), 'utf8')).toBe(lock);
    const report = JSON.parse(await readFile(reportPath, 'utf8'));
    expect(report.findings).toEqual([]);
    expect(report.scriptReview).toMatchObject({ pending: [], policyAllowed: [{ name: 'built-thing', version: '1.0.0' }] });
  }, 5 * 60_000);
});
