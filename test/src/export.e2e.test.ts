/**
 * What comes back from the sandbox: on an npm workspaces project built from registry packages
 * (two workspaces needing different versions of `ms`, so one gets a nested node_modules; a root
 * `prepare` that writes into the project), `safe-install ci` must leave the tree host `npm ci`
 * leaves — paths, hashes, link targets, modes. A hostile variant shows that a failed export is
 * judged and reported first, and that manifests, deletions and unreadable files never reach the
 * host.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describeWithEngine, runCli, findingsOf } from './engine.js';
import { compareTrees, describeDifferences, readTree } from './tree-compare.js';

const BUILT = 'module.exports = "built";\n';

/** A workspaces project; `rootScripts` are the root package's lifecycle scripts. The lockfile is the host npm's. */
async function workspacesProject(rootScripts: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'safe-install-export-'));
  const json = (path: string, value: unknown) => writeFile(join(dir, path), `${JSON.stringify(value, null, 2)}\n`);
  await mkdir(join(dir, 'packages/a'), { recursive: true });
  await mkdir(join(dir, 'packages/b'), { recursive: true });
  await json('package.json', { name: 'ws-root', version: '1.0.0', private: true, workspaces: ['packages/a', 'packages/b'], dependencies: { ms: '2.1.3' }, scripts: rootScripts });
  await json('packages/a/package.json', { name: 'a', version: '1.0.0', main: 'index.js', dependencies: { ms: '2.1.3' } });
  await json('packages/b/package.json', { name: 'b', version: '1.0.0', main: 'index.js', dependencies: { ms: '2.0.0' } });
  await writeFile(join(dir, 'packages/a/index.js'), 'module.exports = require("ms");\n');
  await writeFile(join(dir, 'packages/b/index.js'), 'module.exports = require("ms");\n');
  await mkdir(join(dir, 'scripts'));
  await writeFile(join(dir, 'scripts/build.js'), `const fs = require('fs');\nfs.mkdirSync('lib', { recursive: true });\nfs.writeFileSync('lib/built.js', ${JSON.stringify(BUILT)});\n`);
  await execa('npm', ['install', '--package-lock-only', '--ignore-scripts', '--omit-lockfile-registry-resolved', '--no-audit', '--no-fund'], { cwd: dir });
  return dir;
}

async function copyOf(dir: string): Promise<string> {
  const copy = await mkdtemp(join(tmpdir(), 'safe-install-export-copy-'));
  await cp(dir, copy, { recursive: true });
  return copy;
}

/** The root's build: its sources are in the sandbox, its output comes back. */
const PREPARE = 'node scripts/build.js';

await describeWithEngine('safe-install ci brings back what host npm ci leaves', () => {
  const made: string[] = [];
  afterAll(async () => {
    for (const dir of made) await rm(dir, { recursive: true, force: true });
  });

  it('leaves the same tree as host npm ci on a workspaces project with a nested version and a root prepare', async () => {
    const source = await workspacesProject({ prepare: PREPARE });
    const host = await copyOf(source);
    const sandboxed = await copyOf(source);
    const out = await mkdtemp(join(tmpdir(), 'safe-install-export-out-'));
    made.push(source, host, sandboxed, out);

    await execa('npm', ['ci', '--no-audit', '--no-fund'], { cwd: host });
    const result = await runCli(['ci', sandboxed, '--report', join(out, 'report.json')]);
    expect(result.all).toContain('verdict: pass');
    expect(result.exitCode).toBe(0);

    // The tree npm ci leaves: the root's node_modules, packages/b's nested ms, the prepare's lib/.
    const differences = compareTrees(await readTree(host), await readTree(sandboxed));
    if (differences.length > 0) throw new Error(`the trees differ:\n${describeDifferences(differences)}`);
    const nested = JSON.parse(await readFile(join(sandboxed, 'packages/b/node_modules/ms/package.json'), 'utf8'));
    expect(nested.version).toBe('2.0.0');
    expect(existsSync(join(sandboxed, 'packages/a/node_modules'))).toBe(false);
    // The installed tree works on the host: each workspace gets its own ms.
    const probe = 'const b = require.resolve("b"); console.log(require("a")("1h"), require(require.resolve("ms/package.json", { paths: [b] })).version, require("./lib/built.js"))';
    const run = await execa('node', ['-e', probe], { cwd: sandboxed });
    expect(run.stdout).toBe('3600000 2.0.0 built');

    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report).toMatchObject({ verdict: 'pass', outcome: 'completed' });
    for (const finding of report.findings) expect(['info', 'low']).toContain(finding.severity);
    expect(report.export).toMatchObject({
      applied: true,
      nodeModules: ['node_modules', 'packages/b/node_modules'],
      projectFiles: [{ path: 'lib/built.js', change: 'created', type: 'file', bytes: BUILT.length, sha256: createHash('sha256').update(BUILT).digest('hex') }],
      deleted: [],
      issues: [],
    });
  }, 10 * 60_000);

  it('judges and reports first when the export fails; manifests, deletions and unreadable files never reach the host', async () => {
    const postinstall = [
      `node -e "const fs=require('fs');fs.appendFileSync('package.json',' ');fs.mkdirSync('lib');fs.writeFileSync('lib/locked','x');fs.chmodSync('lib/locked',0);fs.unlinkSync('packages/b/index.js')"`,
    ].join('');
    const dir = await workspacesProject({ postinstall });
    const out = await mkdtemp(join(tmpdir(), 'safe-install-export-out-'));
    made.push(dir, out);
    const before = await readTree(dir);

    // Audit mode: the policy would pass it, so the export failure alone decides the exit code.
    const result = await runCli(['ci', dir, '--mode', 'audit', '--report', join(out, 'report.json')]);
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toMatch(/error: the install passed, but what it wrote could not come back from the sandbox: .*lib\/locked.*Permission denied/);
    expect(findingsOf(String(result.stderr), 'ws-root@1.0.0')).toMatch(/manifest-change in postinstall: the install changed the project's package.json/);

    // The verdict and the findings were written before the export was given up.
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report).toMatchObject({ verdict: 'fail', outcome: 'export-failed' });
    expect(report.findings).toEqual(expect.arrayContaining([expect.objectContaining({ ruleId: 'manifest-change', severity: 'high' })]));
    expect(report.export).toMatchObject({ applied: false, deleted: ['packages/b/index.js'], error: expect.stringMatching(/Permission denied/) });

    // The project is exactly as it was: no node_modules, package.json and packages/b/index.js intact.
    const differences = compareTrees(before, await readTree(dir));
    if (differences.length > 0) throw new Error(`the project changed:\n${describeDifferences(differences)}`);
  }, 10 * 60_000);

  it('fails a run whose build output carries a decoy value (hex-encoded), and brings nothing back', async () => {
    const dir = await workspacesProject({ prepare: 'node scripts/steal.js' });
    const steal = "const fs = require('fs');\nconst token = /_authToken=(\\S+)/.exec(fs.readFileSync(require('os').homedir() + '/.npmrc', 'utf8'))[1];\nfs.mkdirSync('lib', { recursive: true });\nfs.writeFileSync('lib/config.txt', Buffer.from(token).toString('hex'));\n";
    await writeFile(join(dir, 'scripts/steal.js'), steal);
    const out = await mkdtemp(join(tmpdir(), 'safe-install-export-out-'));
    made.push(dir, out);
    const result = await runCli(['ci', dir, '--report', join(out, 'report.json')]);
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report.findings).toEqual(
      expect.arrayContaining([expect.objectContaining({ ruleId: 'decoy-exfiltration', package: expect.objectContaining({ name: 'ws-root' }), lifecycle: 'prepare', message: expect.stringMatching(/a written file \(hex\)/) })]),
    );
    expect(report.export).toMatchObject({ applied: false, projectFiles: [expect.objectContaining({ path: 'lib/config.txt' })] });
    expect(existsSync(join(dir, 'lib'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
  }, 10 * 60_000);
});
