/**
 * `safe-install approve` for a Bun project on the real engine: a benign registry package (core-js,
 * whose postinstall prints a banner), a malicious one (the P1 corpus fixture as a file: tarball:
 * reads the decoy ~/.npmrc, sends the token to a *.invalid name the gateway sinks), neither trusted,
 * and cpu-features (a node-gyp build on Bun's default list), in a project with no
 * trustedDependencies. `--yes-if-clean` writes trustedDependencies with the benign one and the
 * default-trusted one the lockfile installs (so it keeps running), prints the malicious one's
 * behaviour with its findings and exits 1; `safe-install ci` then runs both builds, and Bun still
 * skips the malicious one.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describeWithEngine, packCorpusFixture, runCli } from './engine.js';
import { BUN, hostBun } from './host-bun.js';

const MALICIOUS = 'p1-npmrc-node';

await describeWithEngine('safe-install approve with Bun', () => {
  const cleanup: string[] = [];
  let bun = '';
  beforeAll(async () => {
    const tools = await mkdtemp(join(tmpdir(), 'safe-install-bun-tool-'));
    cleanup.push(tools);
    bun = await hostBun(tools);
  }, 5 * 60_000);
  afterAll(async () => {
    for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
  });

  async function project(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'safe-install-bun-approve-'));
    const tarball = await packCorpusFixture('P1-npm-token-exfil', MALICIOUS, dir);
    await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: 'approve-bun', version: '1.0.0', private: true, packageManager: `bun@${BUN}`, dependencies: { 'core-js': '3.45.1', 'cpu-features': '0.0.10', [MALICIOUS]: `file:${tarball}` } }, null, 2)}\n`);
    await execa(bun, ['install', '--lockfile-only', '--ignore-scripts'], { cwd: dir });
    return dir;
  }

  it('--yes-if-clean writes trustedDependencies for the benign package only (the default-trusted one carried), prints the malicious one with its findings (exit 1); ci then runs the approved build', async () => {
    const dir = await project();
    cleanup.push(dir);
    const lockBefore = await readFile(join(dir, 'bun.lock'), 'utf8');
    const manifestBefore = await readFile(join(dir, 'package.json'), 'utf8');
    const started = Date.now();
    const result = await runCli(['approve', '--yes-if-clean', dir]);
    process.stderr.write(`bun approve took ${((Date.now() - started) / 1000).toFixed(1)} s\n${result.exitCode !== 1 ? result.all : ''}`);
    const out = String(result.stderr);
    expect(result.exitCode).toBe(1);
    // Key order and formatting kept; the field last, as Bun's names (no versions).
    const written = await readFile(join(dir, 'package.json'), 'utf8');
    expect(written).toBe(manifestBefore.replace(/\n}\n$/, ',\n  "trustedDependencies": [\n    "cpu-features",\n    "core-js"\n  ]\n}\n'));
    expect(out).toMatch(/core-js@3\.45\.1 \(node_modules\/core-js\): trustedDependencies entry "core-js"\n {2}postinstall: node -e/);
    // Its view starts a line (the progress lines name it too); bun.lock records no version for a
    // tarball: the identity is its file: path, the version its package.json gives shown beside it.
    const start = new RegExp(`\\n${MALICIOUS}@file:${MALICIOUS}-1\\.0\\.0\\.tgz \\(version 1\\.0\\.0 by its package\\.json\\) \\(node_modules/${MALICIOUS}\\): trustedDependencies entry "${MALICIOUS}"`).exec(out);
    expect(start).not.toBeNull();
    const block = out.slice(start!.index);
    expect(block).toMatch(/host +\S*histats\.invalid:80/);
    expect(block).toMatch(/critical +decoy-credential-read/);
    expect(out).toMatch(new RegExp(`not approved: ${MALICIOUS}@\\S+ — \\d+ finding\\(s\\)`));
    expect(out).toMatch(/takes names, not versions/);
    expect(out).toMatch(/trustedDependencies in package\.json written to /);
    // The approved run is kept for the next version's diff; the lockfile is untouched; nothing came back.
    const approvals = JSON.stringify(JSON.parse(await readFile(join(dir, '.safe-install/approvals.json'), 'utf8')));
    expect(approvals).toContain('core-js');
    expect(approvals).not.toContain(MALICIOUS);
    expect(await readFile(join(dir, 'bun.lock'), 'utf8')).toBe(lockBefore);
    await expect(readFile(join(dir, 'node_modules/core-js/package.json'))).rejects.toThrow();

    // Bun itself takes the field: ci runs core-js's postinstall and cpu-features' build, and skips the malicious one.
    const reportPath = join(dir, 'report.json');
    const ci = await runCli(['ci', dir, '--report', reportPath]);
    if (ci.exitCode !== 0) process.stderr.write(String(ci.all));
    expect(ci.all).toContain('verdict: pass');
    expect(ci.exitCode).toBe(0);
    const report = JSON.parse(await readFile(reportPath, 'utf8'));
    expect(report.scripts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ package: { name: 'core-js', version: '3.45.1' }, lifecycle: 'postinstall', code: 0 }),
        expect.objectContaining({ package: { name: 'cpu-features', version: '0.0.10' }, lifecycle: 'install', code: 0 }),
      ]),
    );
    expect(report.scripts).toHaveLength(2);
    expect(report.scriptReview.pending.map((p: { package: { name: string } }) => p.package.name)).toEqual([MALICIOUS]);
  }, 15 * 60_000);
});
