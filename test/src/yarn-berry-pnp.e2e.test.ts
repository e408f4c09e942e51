/**
 * Yarn Berry with Plug'n'Play (Yarn's default linker) on the real engine. examples/yarn-berry-small
 * with its linker switched to PnP installs (a postinstall, a node-gyp addon — both unplugged into
 * .yarn/unplugged — and a workspace); .pnp.cjs, .pnp.loader.mjs, .yarn/cache and the unplugged
 * folders come back, and the code runs on the host through .pnp.cjs. A stale file inside an
 * unplugged package is gone afterwards (an unplugged folder comes back whole, as a node_modules
 * does). Symlinks a script points out of the project never reach the host. The P1 malicious fixture
 * installed with PnP gets the findings and attribution it gets with node-modules.
 */
import { cp, lstat, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { copyProject, describeWithEngine, readTrace, repoRoot, runCli, seriousFindings, type ReportFinding } from './engine.js';
import { hostYarn, YARN, yarnLock } from './host-yarn.js';

const CULPRIT = 'p1-npmrc-node';

const serious = (findings: ReportFinding[]) => seriousFindings(findings, { lifecycle: true });

/** The unplugged folder of a package (`<name>-npm-<version>-<hash>`), found by its prefix. */
async function unpluggedFolder(project: string, prefix: string): Promise<string> {
  const names = (await readdir(join(project, '.yarn/unplugged'))).filter((name) => name.startsWith(prefix));
  expect(names).toHaveLength(1);
  return join(project, '.yarn/unplugged', names[0]!);
}

await describeWithEngine('safe-install ci with Yarn Berry PnP', () => {
  const dirs: string[] = [];
  let yarn: string;
  beforeAll(async () => {
    yarn = await hostYarn();
    dirs.push(join(yarn, '../../..'));
  }, 120_000);
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('installs examples/yarn-berry-small with nodeLinker pnp; .pnp.cjs and the unplugged builds come back and run on the host', async () => {
    const project = await copyProject('examples/yarn-berry-small');
    dirs.push(project);
    // The lockfile does not depend on the linker: the same yarn.lock installs with PnP under --immutable.
    await writeFile(join(project, '.yarnrc.yml'), 'nodeLinker: pnp\n');
    const reportPath = join(project, 'report.json');
    const tracePath = join(project, 'trace.jsonl');
    const started = Date.now();
    const result = await runCli(['ci', project, '--report', reportPath, '--trace', tracePath]);
    process.stderr.write(`yarn-berry-small (pnp): safe-install ci took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    if (result.exitCode !== 0) process.stderr.write(String(result.all ?? ''));
    expect(result.all).toContain('verdict: pass');
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(await readFile(reportPath, 'utf8'));
    // Yarn's own writes (.pnp.cjs, .pnp.loader.mjs, .yarn/cache, the unplugged folders) are the manager's, not a script's.
    expect(report.findings.filter((finding: ReportFinding) => finding.severity !== 'info')).toEqual([]);
    expect(report.export.issues).toEqual([]);
    expect(report.scripts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ package: { name: 'core-js', version: '3.45.1' }, code: 0 }),
        expect.objectContaining({ package: { name: 'cpu-features', version: '0.0.10' }, code: 0 }),
      ]),
    );
    // The build ran in the unplugged folder and is attributed there by the lockfile.
    const trace = await readTrace(tracePath);
    const start = trace.find((event) => event.type === 'script' && event.action === 'start' && event.package?.name === 'cpu-features');
    expect(start).toMatchObject({ cwd: expect.stringMatching(/^\/home\/node\/project\/\.yarn\/unplugged\/cpu-features-npm-0\.0\.10-[0-9a-f]+\/node_modules\/cpu-features$/), identity: { name: 'cpu-features', version: '0.0.10' } });

    // PnP leaves no node_modules; what it wrote came back.
    expect(existsSync(join(project, 'node_modules'))).toBe(false);
    for (const file of ['.pnp.cjs', '.pnp.loader.mjs']) expect((await lstat(join(project, file))).isFile()).toBe(true);
    expect((await readdir(join(project, '.yarn/cache'))).filter((name) => name.endsWith('.zip')).length).toBeGreaterThan(10);
    const cpuFeatures = await unpluggedFolder(project, 'cpu-features-npm-0.0.10-');
    expect(existsSync(join(cpuFeatures, 'node_modules/cpu-features/build/Release/cpufeatures.node'))).toBe(true);
    const code = "console.log(require('@yarn-berry-small/greet')('x')); require('core-js/actual/array/at'); console.log([1, 2].at(-1)); console.log(typeof require('cpu-features')().arch)";
    const run = await execa('node', ['-r', './.pnp.cjs', '-e', code], { cwd: project });
    expect(run.stdout).toBe('hello, .......x\n2\nstring');

    // A second run on the installed project: an unplugged package comes back whole, so a file that
    // is not in the new install (left on the host, or planted) is gone.
    const stale = join(cpuFeatures, 'node_modules/cpu-features/stale.js');
    await writeFile(stale, 'module.exports = "stale";\n');
    const again = await runCli(['ci', project, '--report', reportPath]);
    if (again.exitCode !== 0) process.stderr.write(String(again.all ?? ''));
    expect(again.exitCode).toBe(0);
    expect(existsSync(stale)).toBe(false);
    expect((await execa('node', ['-r', './.pnp.cjs', '-e', code], { cwd: project })).stdout).toBe('hello, .......x\n2\nstring');
  }, 20 * 60_000);

  it('refuses symlinks a script points out of the project, under .yarn and beside .pnp.cjs; lists the build Yarn skipped, from its zip', async () => {
    const project = await mkdtemp(join(tmpdir(), 'safe-install-yarn-pnp-hostile-'));
    dirs.push(project);
    // The root's postinstall runs after Yarn linked: it plants links where PnP's files live.
    const plant = [
      "const fs = require('fs');",
      "fs.mkdirSync('.yarn/unplugged/evil-npm-1.0.0-0000000000/node_modules', { recursive: true });",
      "fs.symlinkSync('../../../../../../outside', '.yarn/unplugged/evil-npm-1.0.0-0000000000/node_modules/evil');",
      "fs.symlinkSync('/etc/passwd', '.yarn/cache/evil.zip');",
      "fs.symlinkSync('../outside.cjs', '.pnp.data.json');",
    ].join(' ');
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'pnp-hostile', version: '1.0.0', private: true, packageManager: `yarn@${YARN}`, dependencies: { 'left-pad': '1.3.0', 'core-js': '3.45.1' }, scripts: { postinstall: `node -e "${plant}"` } }, null, 2));
    await yarnLock(yarn, project);
    const reportPath = join(project, '..', `${project.split('/').pop()}-report.json`);
    dirs.push(reportPath);
    const result = await runCli(['ci', project, '--report', reportPath]);
    process.stderr.write(String(result.all ?? ''));
    // core-js has a postinstall that no dependenciesMeta allows: Yarn left it in its zip, unbuilt, and the terminal says so.
    expect(result.all).toMatch(/Yarn 4\.18\.1 skipped the builds of 1 package that dependenciesMeta \(package\.json\) and enableScripts \(\.yarnrc\.yml\) do not allow \(not run\): core-js@3\.45\.1/);
    const report = JSON.parse(await readFile(reportPath, 'utf8'));
    expect(report.scriptReview.pending).toEqual([expect.objectContaining({ package: { name: 'core-js', version: '3.45.1' }, path: expect.stringMatching(/^\.yarn\/cache\/core-js-npm-3\.45\.1-44df7e5ad1-[0-9a-z]+\.zip$/) })]);
    const rejected = report.export.issues.filter((issue: { action: string }) => issue.action === 'rejected').map((issue: { path: string }) => issue.path.replace(/^\.\//, '').replace(/\/$/, '')).sort();
    expect(rejected).toEqual(expect.arrayContaining(['.pnp.data.json', '.yarn/cache/evil.zip', '.yarn/unplugged/evil-npm-1.0.0-0000000000/node_modules/evil']));
    for (const path of ['.pnp.data.json', '.yarn/cache/evil.zip', '.yarn/unplugged/evil-npm-1.0.0-0000000000/node_modules/evil']) {
      expect(await lstat(join(project, path)).then(() => 'present', () => 'absent')).toBe('absent');
    }
  }, 10 * 60_000);

  it('catches the P1 fixture installed with PnP with the findings and attribution it gets with node-modules', async () => {
    const reports: Record<string, { findings: ReportFinding[] }> = {};
    for (const linker of ['pnp', 'node-modules'] as const) {
      const dir = await mkdtemp(join(tmpdir(), `safe-install-yarn-p1-${linker}-`));
      const source = await mkdtemp(join(tmpdir(), 'safe-install-fixture-'));
      dirs.push(dir, source);
      await cp(join(repoRoot, 'examples/malicious/P1-npm-token-exfil', CULPRIT), source, { recursive: true });
      const packed = await execa('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: source });
      const tarball = packed.stdout.trim().split('\n').pop()!;
      await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'fixture-project', version: '1.0.0', private: true, packageManager: `yarn@${YARN}`, dependencies: { [CULPRIT]: `file:./${tarball}` }, dependenciesMeta: { [CULPRIT]: { built: true } } }, null, 2));
      await writeFile(join(dir, '.yarnrc.yml'), `nodeLinker: ${linker}\n`);
      await yarnLock(yarn, dir);
      const result = await runCli(['ci', dir, '--report', join(dir, 'report.json')]);
      if (result.exitCode !== 1) process.stderr.write(String(result.all ?? ''));
      expect(result.exitCode).toBe(1);
      reports[linker] = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'));
    }
    const pnp = serious(reports['pnp']!.findings);
    expect(pnp).toEqual(expect.arrayContaining([`decoy-credential-read ${CULPRIT}@1.0.0 build`, `decoy-exfiltration ${CULPRIT}@1.0.0 build`]));
    expect(pnp).toEqual(serious(reports['node-modules']!.findings));
  }, 15 * 60_000);
});
