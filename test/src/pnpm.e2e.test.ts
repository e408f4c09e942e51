/**
 * pnpm on the real engine: the example project installs and its code runs on the host; a
 * malicious fixture installed by pnpm is caught with the same findings and attribution as under
 * npm; a build that allowBuilds denies is reported skipped, not run, not a finding; one the policy
 * allows and allowBuilds does not list runs, granted in the sandbox copy only.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { copyProject, describeWithEngine, readTrace, runCli } from './engine.js';
import { CULPRIT, expectPnpmSmallInstalled, HOST_PNPM, p1UnderPnpmAndNpm, pnpmProjectWithCulprit } from './pnpm-fixtures.js';

await describeWithEngine('safe-install ci with pnpm', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('installs examples/pnpm-small (a postinstall, a native addon built by node-gyp, a workspace) and its code runs on the host', async () => {
    const project = await copyProject('examples/pnpm-small');
    dirs.push(project);
    const tracePath = join(project, 'trace.jsonl');
    const { report } = await expectPnpmSmallInstalled(project, '10.34.8', tracePath);
    expect(report.export.issues).toEqual([]);
    // The script ran in pnpm's virtual store, and is attributed by the lockfile's identity there.
    const trace = await readTrace(tracePath);
    const start = trace.find((event) => event.type === 'script' && event.action === 'start' && event.package?.name === 'core-js');
    expect(start).toMatchObject({ cwd: '/home/node/project/node_modules/.pnpm/core-js@3.45.1/node_modules/core-js', identity: { name: 'core-js', version: '3.45.1', source: 'registry', path: 'node_modules/.pnpm/core-js@3.45.1/node_modules/core-js' } });
    // pnpm's links came back as links inside the tree.
    const link = await execa('readlink', [join(project, 'node_modules/core-js')]);
    expect(link.stdout).toBe('.pnpm/core-js@3.45.1/node_modules/core-js');
  }, 10 * 60_000);

  it('a project that sets scriptShell and shellEmulator (pnpm-workspace.yaml, .npmrc) cannot take its scripts out of the tracer', async () => {
    const project = await copyProject('examples/pnpm-small');
    dirs.push(project);
    const workspace = await readFile(join(project, 'pnpm-workspace.yaml'), 'utf8');
    await writeFile(join(project, 'pnpm-workspace.yaml'), `${workspace}scriptShell: /bin/sh\nshellEmulator: true\nsideEffectsCache: true\n`);
    await writeFile(join(project, '.npmrc'), 'script-shell=/bin/sh\nshell-emulator=true\n');
    const reportPath = join(project, 'report.json');
    const result = await runCli(['ci', project, '--report', reportPath]);
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(await readFile(reportPath, 'utf8'));
    expect(report.scripts).toEqual(expect.arrayContaining([expect.objectContaining({ package: { name: 'core-js', version: '3.45.1' }, lifecycle: 'postinstall', code: 0 })]));
    expect(report.scripts).toHaveLength(2);
  }, 10 * 60_000);

  it('catches the P1 fixture installed by pnpm with the same findings and attribution as under npm', async () => {
    const { pnpm, npm } = await p1UnderPnpmAndNpm(dirs);
    expect([pnpm.exitCode, npm.exitCode]).toEqual([1, 1]);
    expect(pnpm.findings).toEqual(expect.arrayContaining([`decoy-credential-read ${CULPRIT}@1.0.0 postinstall`, `decoy-exfiltration ${CULPRIT}@1.0.0 postinstall`]));
    expect(pnpm.findings).toEqual(npm.findings);
  }, 15 * 60_000);

  it('a build allowBuilds denies is reported skipped: not run, no finding, the install passes', async () => {
    const project = await pnpmProjectWithCulprit({ [CULPRIT]: false });
    dirs.push(project);
    const reportPath = join(project, 'report.json');
    const tracePath = join(project, 'trace.jsonl');
    const result = await runCli(['ci', project, '--report', reportPath, '--trace', tracePath]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/pnpm 10\.34\.8 skipped the install scripts of 1 package that allowBuilds \(pnpm-workspace\.yaml\) does not allow \(not run\): p1-npmrc-node@1\.0\.0/);
    const report = JSON.parse(await readFile(reportPath, 'utf8'));
    expect(report.findings).toEqual([]);
    expect(report.scripts).toEqual([]);
    expect(report.scriptReview.pending).toEqual([expect.objectContaining({ package: { name: CULPRIT, version: '1.0.0' }, path: `node_modules/.pnpm/${CULPRIT}@file+${CULPRIT}-1.0.0.tgz/node_modules/${CULPRIT}` })]);
    const trace = await readTrace(tracePath);
    expect(trace.filter((event) => event.type === 'script')).toEqual([]);
  }, 10 * 60_000);

  it("a build the policy allows but allowBuilds does not list runs (granted in the sandbox's copy only), and the review says so", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'safe-install-pnpm-policy-'));
    dirs.push(dir);
    // A benign build: its postinstall writes one file into its own folder, the artefact looked for on the host.
    const source = await mkdtemp(join(tmpdir(), 'safe-install-fixture-'));
    await writeFile(join(source, 'package.json'), JSON.stringify({ name: 'built-thing', version: '1.0.0', scripts: { postinstall: 'node build.js' } }));
    await writeFile(join(source, 'build.js'), "require('node:fs').writeFileSync('built.txt', 'built\\n');\n");
    const packed = await execa('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: source });
    await rm(source, { recursive: true, force: true });
    const tarball = packed.stdout.trim().split('\n').pop()!;
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'policy-project', version: '1.0.0', private: true, packageManager: HOST_PNPM, dependencies: { 'built-thing': `file:${tarball}` } }, null, 2));
    const workspace = '# the project lists no build of its own\nallowBuilds:\n  left-pad: true\n';
    await writeFile(join(dir, 'pnpm-workspace.yaml'), workspace);
    await execa('pnpm', ['install', '--lockfile-only', '--ignore-scripts'], { cwd: dir, env: { COREPACK_ENABLE_STRICT: '0' } });
    await writeFile(join(dir, 'safe-install.config.yaml'), 'version: 1\npackages:\n  built-thing: true\n');
    const reportPath = join(dir, 'report.json');
    const result = await runCli(['ci', dir, '--report', reportPath]);
    expect(result.all).toContain('verdict: pass');
    expect(result.exitCode).toBe(0);
    expect(result.all).toMatch(/pnpm 10\.34\.8 ran the install scripts of 1 package allowed by safe-install's policy \(not in allowBuilds; granted in the sandbox's copy only\): built-thing@1\.0\.0/);
    expect(await readFile(join(dir, 'node_modules/built-thing/built.txt'), 'utf8')).toBe('built\n');
    expect(await readFile(join(dir, 'pnpm-workspace.yaml'), 'utf8')).toBe(workspace);
    const report = JSON.parse(await readFile(reportPath, 'utf8'));
    expect(report.findings).toEqual([]);
    expect(report.scripts).toEqual([expect.objectContaining({ package: { name: 'built-thing', version: '1.0.0' }, lifecycle: 'postinstall', code: 0 })]);
    expect(report.scriptReview).toMatchObject({ pending: [], policyAllowed: [{ name: 'built-thing', version: '1.0.0' }] });
  }, 5 * 60_000);

  it('strictDepBuilds: pnpm refuses an unlisted build (ERR_PNPM_IGNORED_BUILDS), exit 3 naming it, nothing installed', async () => {
    const project = await pnpmProjectWithCulprit({ 'left-pad': true }, 'strictDepBuilds: true\n');
    dirs.push(project);
    const result = await runCli(['ci', project]);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/pnpm refused to finish the install \(ERR_PNPM_IGNORED_BUILDS, exit 1\): strictDepBuilds is set and 1 package\(s\) have builds allowBuilds does not allow: p1-npmrc-node@file:p1-npmrc-node-1\.0\.0\.tgz/);
    await expect(readFile(join(project, 'node_modules/.modules.yaml'), 'utf8')).rejects.toThrow();
  }, 10 * 60_000);

  it('two lockfiles are a usage error (exit 2); --pm chooses; --pm yarn with a stale Yarn 1 lockfile is one clear line (exit 2)', async () => {
    const project = await copyProject('examples/pnpm-small');
    dirs.push(project);
    await writeFile(join(project, 'package-lock.json'), '{}');
    const result = await runCli(['ci', project]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/lockfiles of several package managers \(package-lock\.json, pnpm-lock\.yaml\)/);
    // --pm npm takes npm's lockfile (this one is not a usable one: exit 2 saying so); --pm yarn has none.
    const npm = await runCli(['ci', project, '--pm', 'npm']);
    expect(npm.exitCode).toBe(2);
    expect(npm.stderr).toMatch(/package-lock\.json is not a usable npm lockfile/);
    const yarn = await runCli(['ci', project, '--pm', 'yarn']);
    expect(yarn.exitCode).toBe(2);
    expect(yarn.stderr).toMatch(/--pm yarn needs yarn\.lock in the project root/);
    await writeFile(join(project, 'yarn.lock'), '# yarn lockfile v1\n');
    const classic = await runCli(['ci', project, '--pm', 'yarn']);
    expect(classic.exitCode).toBe(2);
    // Yarn classic is read (supported): this yarn.lock pins none of package.json's dependencies.
    expect(classic.stderr).toMatch(/package\.json and yarn\.lock are out of sync/);
  }, 60_000);
});
