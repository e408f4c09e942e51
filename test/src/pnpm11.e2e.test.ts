/**
 * pnpm 11 on the real engine: the sandbox runs pnpm's standalone executable (@pnpm/exe, its own
 * Node 22+), fetched with scripts off and sealed by the runner into a root-owned, read-only copy.
 * The example project installs and its code runs on the host; the P1 fixture gives the same
 * findings as under npm; a denied build is reported skipped; an unlisted build fails by pnpm 11's
 * default strictDepBuilds; a script can neither rewrite nor read the sealed pnpm.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { copyProject, describeWithEngine, readTrace, runCli } from './engine.js';
import { CULPRIT, expectPnpmSmallInstalled, p1UnderPnpmAndNpm, pnpmProjectWithCulprit, pnpmProjectWithTarball, withPackageManager } from './pnpm-fixtures.js';

/** A pnpm 11 the registry holds as @pnpm/exe (its platform binary: @pnpm/linux-x64 of the same version). */
const VERSION = '11.28.6';
const PNPM = `pnpm@${VERSION}`;
const SEALED = `/tmp/pnpm-${VERSION}/node_modules/@pnpm/exe`;

/**
 * A build that tries the sealed pnpm: append to the code pnpm loads later, move the folder away,
 * remove and read the executable. It prints what happened (pnpm relays it with its prefix).
 */
const PROBE = `d=${SEALED}
r=probe:
if (echo x >> "$d/dist/worker.js") 2>/dev/null; then r="$r worker-written"; else r="$r worker-refused"; fi
if mv /tmp/pnpm-${VERSION} /tmp/moved 2>/dev/null; then r="$r moved"; else r="$r move-refused"; fi
rm -f "$d/pnpm" 2>/dev/null; if [ -e "$d/pnpm" ]; then r="$r pnpm-kept"; else r="$r pnpm-removed"; fi
if cat "$d/pnpm" >/dev/null 2>&1; then r="$r pnpm-read"; else r="$r pnpm-unreadable"; fi
echo "$r"
`;

await describeWithEngine('safe-install ci with pnpm 11', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('installs examples/pnpm-small with pnpm 11 (a postinstall, a native addon, a workspace) and its code runs on the host', async () => {
    const project = await copyProject('examples/pnpm-small');
    dirs.push(project);
    await withPackageManager(project, PNPM);
    const tracePath = join(project, 'trace.jsonl');
    const { all } = await expectPnpmSmallInstalled(project, VERSION, tracePath);
    expect(all).toContain(`using pnpm v${VERSION}`);
    const trace = await readTrace(tracePath);
    const start = trace.find((event) => event.type === 'script' && event.action === 'start' && event.package?.name === 'core-js');
    expect(start).toMatchObject({ identity: { name: 'core-js', version: '3.45.1', source: 'registry', path: 'node_modules/.pnpm/core-js@3.45.1/node_modules/core-js' } });
    // pnpm 11's minimumReleaseAge check of the lockfile asks for attestations: forwarded, none refused.
    const http = trace.filter((event) => event.type === 'http') as unknown as { url: string; decision: string }[];
    expect(http.filter((event) => event.url.includes('/-/npm/v1/attestations/')).length).toBeGreaterThan(0);
    expect(http.filter((event) => event.decision === 'denied')).toEqual([]);
    // The sealed copy is no file the install wrote.
    expect(trace.filter((event) => event.type === 'fsdiff' && String((event as { path?: string }).path).startsWith('/tmp/pnpm-'))).toEqual([]);
  }, 10 * 60_000);

  it('a pnpm-workspace.yaml that sets the script shell, shell emulator, side-effects cache and pmOnFail cannot take scripts out of the tracer', async () => {
    const project = await copyProject('examples/pnpm-small');
    dirs.push(project);
    await withPackageManager(project, PNPM);
    const workspace = await readFile(join(project, 'pnpm-workspace.yaml'), 'utf8');
    // pnpm 11 reads its settings from this file only; the command line still wins.
    await writeFile(join(project, 'pnpm-workspace.yaml'), `${workspace}scriptShell: /bin/sh\nshellEmulator: true\nsideEffectsCache: true\npmOnFail: download\nenableGlobalVirtualStore: true\n`);
    const reportPath = join(project, 'report.json');
    const result = await runCli(['ci', project, '--report', reportPath]);
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(await readFile(reportPath, 'utf8'));
    expect(report.scripts).toEqual(expect.arrayContaining([expect.objectContaining({ package: { name: 'core-js', version: '3.45.1' }, lifecycle: 'postinstall', code: 0 })]));
    expect(report.scripts).toHaveLength(2);
    // No global virtual store: the packages are in the project's own.
    expect((await execa('readlink', [join(project, 'node_modules/core-js')])).stdout).toBe('.pnpm/core-js@3.45.1/node_modules/core-js');
  }, 10 * 60_000);

  it('catches the P1 fixture installed by pnpm 11 with the same findings and attribution as under npm', async () => {
    const { pnpm, npm } = await p1UnderPnpmAndNpm(dirs, PNPM);
    expect([pnpm.exitCode, npm.exitCode]).toEqual([1, 1]);
    expect(pnpm.findings).toEqual(expect.arrayContaining([`decoy-credential-read ${CULPRIT}@1.0.0 postinstall`, `decoy-exfiltration ${CULPRIT}@1.0.0 postinstall`]));
    expect(pnpm.findings).toEqual(npm.findings);
  }, 15 * 60_000);

  it('a build allowBuilds denies is reported skipped: not run, no finding, the install passes', async () => {
    const project = await pnpmProjectWithCulprit({ [CULPRIT]: false }, '', PNPM);
    dirs.push(project);
    const reportPath = join(project, 'report.json');
    const result = await runCli(['ci', project, '--report', reportPath]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/pnpm 11\.28\.6 skipped the install scripts of 1 package that allowBuilds \(pnpm-workspace\.yaml\) does not allow \(not run\): p1-npmrc-node@1\.0\.0/);
    const report = JSON.parse(await readFile(reportPath, 'utf8'));
    expect(report.findings).toEqual([]);
    expect(report.scripts).toEqual([]);
    expect(report.scriptReview.pending).toEqual([expect.objectContaining({ package: { name: CULPRIT, version: '1.0.0' } })]);
  }, 10 * 60_000);

  it("an unlisted build fails by pnpm 11's default strictDepBuilds (ERR_PNPM_IGNORED_BUILDS), exit 3 naming it, nothing installed", async () => {
    const project = await pnpmProjectWithCulprit({ 'left-pad': true }, '', PNPM);
    dirs.push(project);
    const result = await runCli(['ci', project]);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/pnpm refused to finish the install \(ERR_PNPM_IGNORED_BUILDS, exit 1\): strictDepBuilds is on \(pnpm 11's default\) and 1 package\(s\) have builds allowBuilds does not allow: p1-npmrc-node@file:p1-npmrc-node-1\.0\.0\.tgz/);
    await expect(readFile(join(project, 'node_modules/.modules.yaml'), 'utf8')).rejects.toThrow();
  }, 10 * 60_000);

  it('a build script can neither rewrite, move, remove nor read the sealed pnpm', async () => {
    const fixture = await mkdtemp(join(tmpdir(), 'safe-install-probe-'));
    dirs.push(fixture);
    await writeFile(join(fixture, 'package.json'), JSON.stringify({ name: 'seal-probe', version: '1.0.0', scripts: { postinstall: 'sh probe.sh' } }));
    await writeFile(join(fixture, 'probe.sh'), PROBE);
    const project = await pnpmProjectWithTarball(fixture, { 'seal-probe@file:seal-probe-1.0.0.tgz': true }, '', PNPM);
    dirs.push(project);
    const result = await runCli(['ci', project, '--report', join(project, 'report.json')]);
    expect(result.all).toContain('probe: worker-refused move-refused pnpm-kept pnpm-unreadable');
    const report = JSON.parse(await readFile(join(project, 'report.json'), 'utf8'));
    expect(report.scripts).toEqual([expect.objectContaining({ package: { name: 'seal-probe', version: '1.0.0' }, lifecycle: 'postinstall', code: 0 })]);
  }, 10 * 60_000);
});
