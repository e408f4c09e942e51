/**
 * `safe-install approve` for a pnpm project on the real engine: a benign registry package
 * (core-js, whose postinstall prints a banner) and a malicious one (the P1 corpus fixture as a
 * file: tarball: reads the decoy ~/.npmrc, sends the token to a *.invalid name the gateway sinks),
 * neither decided in pnpm-workspace.yaml. `--yes-if-clean` writes a pinned allowBuilds entry for the
 * benign one only (the file's comments and other settings kept), prints the malicious one's
 * behaviour with its findings and exits 1; `safe-install ci` then runs the approved build, and
 * pnpm still skips the other.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describeWithEngine, repoRoot, runCli } from './engine.js';

const MALICIOUS = 'p1-npmrc-node';
const PNPM = 'pnpm@10.34.8';
const WORKSPACE = '# settings for pnpm\nallowBuilds:\n  esbuild: true # reviewed earlier\n\nstrictDepBuilds: false\n';

async function project(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'safe-install-pnpm-approve-'));
  const source = await mkdtemp(join(tmpdir(), 'safe-install-fixture-'));
  await cp(join(repoRoot, 'examples/malicious/P1-npm-token-exfil', MALICIOUS), source, { recursive: true });
  const packed = await execa('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: source });
  await rm(source, { recursive: true, force: true });
  const tarball = packed.stdout.trim().split('\n').pop()!;
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'approve-pnpm', version: '1.0.0', private: true, packageManager: PNPM, dependencies: { 'core-js': '3.45.1', [MALICIOUS]: `file:${tarball}` } }, null, 2));
  await writeFile(join(dir, 'pnpm-workspace.yaml'), WORKSPACE);
  await execa('pnpm', ['install', '--lockfile-only', '--ignore-scripts'], { cwd: dir, env: { COREPACK_ENABLE_STRICT: '0' } });
  return dir;
}

await describeWithEngine('safe-install approve with pnpm', () => {
  const cleanup: string[] = [];
  afterAll(async () => {
    for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
  });

  it('--yes-if-clean writes a pinned allowBuilds entry for the benign package only, prints the malicious one with its findings (exit 1); ci then runs the approved build', async () => {
    const dir = await project();
    cleanup.push(dir);
    const lockBefore = await readFile(join(dir, 'pnpm-lock.yaml'), 'utf8');
    const started = Date.now();
    const result = await runCli(['approve', '--yes-if-clean', dir]);
    process.stderr.write(`pnpm approve took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    const out = String(result.stderr);
    expect(result.exitCode).toBe(1);
    const written = await readFile(join(dir, 'pnpm-workspace.yaml'), 'utf8');
    // Comments, the other settings and their order kept; the pin after the existing entry.
    expect(written).toBe('# settings for pnpm\nallowBuilds:\n  esbuild: true # reviewed earlier\n  core-js@3.45.1: true\n\nstrictDepBuilds: false\n');
    expect(out).toMatch(/core-js@3\.45\.1 \(node_modules\/\.pnpm\/core-js@3\.45\.1\/node_modules\/core-js\): allowBuilds entry "core-js@3\.45\.1"\n {2}postinstall: node -e/);
    const block = out.slice(out.indexOf(`${MALICIOUS}@1.0.0 (`));
    expect(block).toMatch(new RegExp(`^${MALICIOUS}@1\\.0\\.0 \\(node_modules/\\.pnpm/[^)]*\\): allowBuilds entry "${MALICIOUS}@file:${MALICIOUS}-1\\.0\\.0\\.tgz"`));
    expect(block).toMatch(/host +\S*histats\.invalid:80/);
    expect(block).toMatch(/critical +decoy-credential-read/);
    expect(out).toMatch(new RegExp(`not approved: ${MALICIOUS}@1\\.0\\.0 — \\d+ finding\\(s\\)`));
    expect(out).toMatch(/allowBuilds in pnpm-workspace\.yaml written to /);
    // The approved run is kept for the next version's diff; the lockfile is untouched; nothing came back.
    const approvals = JSON.parse(await readFile(join(dir, '.safe-install/approvals.json'), 'utf8')) as { packages: Record<string, unknown> };
    expect(JSON.stringify(approvals)).toContain('core-js');
    expect(JSON.stringify(approvals)).not.toContain(MALICIOUS);
    expect(await readFile(join(dir, 'pnpm-lock.yaml'), 'utf8')).toBe(lockBefore);
    await expect(readFile(join(dir, 'node_modules/.modules.yaml'))).rejects.toThrow();

    // pnpm itself accepts the pinned entry: ci runs core-js's postinstall, and skips the malicious build.
    const reportPath = join(dir, 'report.json');
    const ci = await runCli(['ci', dir, '--report', reportPath]);
    expect(ci.all).toContain('verdict: pass');
    expect(ci.exitCode).toBe(0);
    const report = JSON.parse(await readFile(reportPath, 'utf8'));
    expect(report.scripts).toEqual([expect.objectContaining({ package: { name: 'core-js', version: '3.45.1' }, lifecycle: 'postinstall', code: 0 })]);
    expect(report.scriptReview.pending.map((p: { package: { name: string } }) => p.package.name)).toEqual([MALICIOUS]);
  }, 15 * 60_000);
});
