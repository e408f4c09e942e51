/**
 * `safe-install approve` for a Yarn Berry project on the real engine: a benign registry package
 * (core-js, whose postinstall prints a banner) and a malicious one (the P1 corpus fixture as a
 * file: tarball: reads the decoy ~/.npmrc, sends the token to a *.invalid name the gateway sinks),
 * neither decided in dependenciesMeta (Yarn 4.18 builds neither by default). `--yes-if-clean`
 * writes a pinned `dependenciesMeta["core-js@3.45.1"].built: true` for the benign one only, with
 * yarn.lock's copy of it exactly as host Yarn writes it, prints the malicious one's behaviour
 * with its findings and exits 1; `safe-install ci` then runs the approved build, and Yarn still
 * skips the other. Yarn classic, which has no build gate: the same run, the approval written into
 * safe-install's policy and approvals file only (package.json and yarn.lock untouched), and said so.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describeWithEngine, repoRoot, runCli, userEnv } from './engine.js';

const MALICIOUS = 'p1-npmrc-node';
const YARN = '4.18.1';
const CLASSIC = '1.22.22';

const dirs: string[] = [];

/** Yarn 4 for the host, packed from the registry npm's config names, run with the host's node. */
async function hostYarn(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'safe-install-yarn-'));
  dirs.push(dir);
  const packed = await execa('npm', ['pack', `@yarnpkg/cli-dist@${YARN}`, '--pack-destination', dir], { cwd: dir, env: userEnv, extendEnv: false });
  await execa('tar', ['-xzf', join(dir, packed.stdout.trim().split('\n').pop()!), '-C', dir]);
  return join(dir, 'package/bin/yarn.js');
}

/** Host Yarn writing yarn.lock only (no link step, no build), against npm's registry and CA, its cache and state outside the project. */
let yarnHome: string | null = null;
async function yarnLock(yarn: string, dir: string): Promise<void> {
  // One cache for every call: Yarn reads a local tarball's package from its cache even when the lockfile has it.
  if (yarnHome === null) {
    yarnHome = await mkdtemp(join(tmpdir(), 'safe-install-yarn-home-'));
    dirs.push(yarnHome);
  }
  const home = yarnHome;
  const registry = (await execa('npm', ['config', 'get', 'registry'], { env: userEnv, extendEnv: false })).stdout.trim().replace(/\/$/, '');
  const cafile = (await execa('npm', ['config', 'get', 'cafile'], { env: userEnv, extendEnv: false })).stdout.trim();
  const env: Record<string, string> = { ...userEnv, YARN_NPM_REGISTRY_SERVER: registry, YARN_ENABLE_TELEMETRY: '0', YARN_ENABLE_GLOBAL_CACHE: '0', YARN_CACHE_FOLDER: join(home, 'cache'), YARN_INSTALL_STATE_PATH: join(home, 'install-state.gz'), YARN_ENABLE_SCRIPTS: '0', YARN_IGNORE_PATH: '1' };
  if (cafile !== '' && cafile !== 'null' && cafile !== 'undefined') env['YARN_HTTPS_CA_FILE_PATH'] = cafile;
  await execa('node', [yarn, 'install', '--mode=update-lockfile'], { cwd: dir, env, extendEnv: false });
}

async function project(yarn: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'safe-install-yarn-approve-'));
  const source = await mkdtemp(join(tmpdir(), 'safe-install-fixture-'));
  dirs.push(dir, source);
  await cp(join(repoRoot, 'examples/malicious/P1-npm-token-exfil', MALICIOUS), source, { recursive: true });
  const packed = await execa('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: source });
  const tarball = packed.stdout.trim().split('\n').pop()!;
  await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: 'approve-yarn', version: '1.0.0', private: true, packageManager: `yarn@${YARN}`, dependencies: { 'core-js': '3.45.1', [MALICIOUS]: `file:./${tarball}` } }, null, 2)}\n`);
  await writeFile(join(dir, '.yarnrc.yml'), 'nodeLinker: node-modules\n');
  await writeFile(join(dir, 'yarn.lock'), '');
  await yarnLock(yarn, dir);
  return dir;
}

await describeWithEngine('safe-install approve with Yarn Berry', () => {
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('--yes-if-clean pins dependenciesMeta built for the benign package only (yarn.lock as host Yarn writes it), prints the malicious one with its findings (exit 1); ci then runs the approved build', async () => {
    const yarn = await hostYarn();
    const dir = await project(yarn);
    const manifestBefore = await readFile(join(dir, 'package.json'), 'utf8');
    const started = Date.now();
    const result = await runCli(['approve', '--yes-if-clean', dir]);
    process.stderr.write(`yarn approve took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    const out = String(result.stderr);
    if (result.exitCode !== 1) process.stderr.write(String(result.all ?? ''));
    expect(result.exitCode).toBe(1);
    // Key order and formatting kept: the field added last, in the file's own indentation.
    const manifest = await readFile(join(dir, 'package.json'), 'utf8');
    expect(manifest).toBe(manifestBefore.replace(/\n}\n$/, ',\n  "dependenciesMeta": {\n    "core-js@3.45.1": {\n      "built": true\n    }\n  }\n}\n'));
    // yarn.lock's copy of dependenciesMeta is exactly what host Yarn writes from that package.json.
    const host = await mkdtemp(join(tmpdir(), 'safe-install-yarn-host-'));
    dirs.push(host);
    await cp(dir, host, { recursive: true, filter: (src) => !src.includes('.safe-install') });
    await yarnLock(yarn, host);
    expect(await readFile(join(dir, 'yarn.lock'), 'utf8')).toBe(await readFile(join(host, 'yarn.lock'), 'utf8'));

    expect(out).toMatch(/core-js@3\.45\.1 \(node_modules\/core-js\): dependenciesMeta entry "core-js@3\.45\.1"/);
    const block = out.slice(out.indexOf(`${MALICIOUS}@1.0.0 (`));
    expect(block).toMatch(/host +\S*histats\.invalid:80/);
    expect(block).toMatch(/critical +decoy-credential-read/);
    expect(out).toMatch(new RegExp(`not approved: ${MALICIOUS}@1\\.0\\.0 — \\d+ finding\\(s\\)`));
    // The matching allowance in safe-install's policy (Yarn runs a package's scripts as its `build`).
    expect(await readFile(join(dir, 'safe-install.config.yaml'), 'utf8')).toMatch(/\n {2}core-js@3\.45\.1:\n {4}scripts:\n(?: {6}#.*\n)? {6}build: sha256:[0-9a-f]{64}\n/);
    const approvals = JSON.parse(await readFile(join(dir, '.safe-install/approvals.json'), 'utf8')) as { packages: Record<string, unknown> };
    expect(JSON.stringify(approvals)).toContain('core-js');
    expect(JSON.stringify(approvals)).not.toContain(MALICIOUS);

    // Yarn itself accepts the entry (its immutable install takes the lockfile): ci runs core-js's build and skips the malicious one.
    const reportPath = join(dir, 'report.json');
    const ci = await runCli(['ci', dir, '--report', reportPath]);
    if (ci.exitCode !== 0) process.stderr.write(String(ci.all ?? ''));
    expect(ci.all).toContain('verdict: pass');
    expect(ci.exitCode).toBe(0);
    const report = JSON.parse(await readFile(reportPath, 'utf8'));
    // The dependencies' scripts (the project's own run is Yarn's process tree, traced as the project's `install`).
    const dependencyScripts = report.scripts.filter((script: { package: { name: string } }) => script.package.name !== 'approve-yarn');
    expect(dependencyScripts).toEqual([expect.objectContaining({ package: { name: 'core-js', version: '3.45.1' }, lifecycle: 'build', code: 0 })]);
    expect(report.scriptReview.pending.map((p: { package: { name: string } }) => p.package.name)).toEqual([MALICIOUS]);
  }, 15 * 60_000);
});

/** A Yarn 1 project with the same two dependencies, its yarn.lock written by host Yarn 1 (scripts off, npm's registry as the sandbox's Yarn 1 has it). */
async function classicProject(): Promise<string> {
  const tools = await mkdtemp(join(tmpdir(), 'safe-install-yarn1-'));
  const dir = await mkdtemp(join(tmpdir(), 'safe-install-yarn1-approve-'));
  const source = await mkdtemp(join(tmpdir(), 'safe-install-fixture-'));
  dirs.push(tools, dir, source);
  const yarnPack = await execa('npm', ['pack', `yarn@${CLASSIC}`, '--pack-destination', tools], { cwd: tools, env: userEnv, extendEnv: false });
  await execa('tar', ['-xzf', join(tools, yarnPack.stdout.trim().split('\n').pop()!), '-C', tools]);
  await cp(join(repoRoot, 'examples/malicious/P1-npm-token-exfil', MALICIOUS), source, { recursive: true });
  const packed = await execa('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: source });
  const tarball = packed.stdout.trim().split('\n').pop()!;
  await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: 'approve-yarn1', version: '1.0.0', private: true, packageManager: `yarn@${CLASSIC}`, dependencies: { 'core-js': '3.45.1', [MALICIOUS]: `file:${tarball}` } }, null, 2)}\n`);
  const registry = (await execa('npm', ['config', 'get', 'registry'], { env: userEnv, extendEnv: false })).stdout.trim();
  await execa('node', [join(tools, 'package/bin/yarn.js'), 'install', '--ignore-scripts', '--non-interactive', '--cache-folder', join(tools, 'cache')], { cwd: dir, env: { ...userEnv, HOME: tools, YARN_REGISTRY: registry, YARN_DISABLE_SELF_UPDATE_CHECK: 'true' }, extendEnv: false });
  await rm(join(dir, 'node_modules'), { recursive: true, force: true });
  return dir;
}

await describeWithEngine('safe-install approve with Yarn classic', () => {
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('--yes-if-clean approves the benign package in safe-install\'s policy only (Yarn 1 has no build gate: package.json and yarn.lock untouched), prints the malicious one with its findings (exit 1)', async () => {
    const dir = await classicProject();
    const manifest = await readFile(join(dir, 'package.json'), 'utf8');
    const lock = await readFile(join(dir, 'yarn.lock'), 'utf8');
    const result = await runCli(['approve', '--yes-if-clean', dir]);
    const out = String(result.stderr);
    if (result.exitCode !== 1) process.stderr.write(String(result.all ?? ''));
    expect(result.exitCode).toBe(1);
    expect(out).toMatch(/Yarn 1 has no build gate of its own/);
    expect(out).toMatch(/approved 1 package: core-js@3\.45\.1/);
    const block = out.slice(out.indexOf(`${MALICIOUS}@1.0.0 (`));
    expect(block).toMatch(/critical +decoy-credential-read/);
    expect(out).toMatch(new RegExp(`not approved: ${MALICIOUS}@1\\.0\\.0 — \\d+ finding\\(s\\)`));
    expect(await readFile(join(dir, 'package.json'), 'utf8')).toBe(manifest);
    expect(await readFile(join(dir, 'yarn.lock'), 'utf8')).toBe(lock);
    expect(await readFile(join(dir, 'safe-install.config.yaml'), 'utf8')).toMatch(/\n {2}core-js@3\.45\.1:\n {4}scripts:\n(?: {6}#.*\n)? {6}postinstall: sha256:[0-9a-f]{64}\n/);
    const approvals = JSON.parse(await readFile(join(dir, '.safe-install/approvals.json'), 'utf8')) as { approvals: Record<string, unknown> };
    expect(Object.keys(approvals.approvals)).toEqual(['core-js@3.45.1']);
  }, 15 * 60_000);
});
