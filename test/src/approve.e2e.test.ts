/**
 * `safe-install approve` on the real engine: a project with a benign registry package (core-js,
 * whose postinstall prints a banner) and a malicious one (the P1 corpus fixture: reads the decoy
 * ~/.npmrc and POSTs the token to a *.invalid name the gateway sinks), neither in allowScripts.
 *
 * 1. `--yes-if-clean` writes the pinned entry of the benign one only, prints the malicious one's
 *    behaviour with its findings, and exits 1; the project is otherwise untouched.
 * 2. On a terminal (tmux): one prompt per package; approve for one and deny for the other writes
 *    a true and a false entry.
 * 3. A version bump of an approved package (beacon-bump 1.0.0 → 1.0.1, which adds a beacon) shows
 *    what the new version does that the approved run did not, before it is approved.
 * 4. With npm 12 in the sandbox (which skips scripts allowScripts does not list), the pending
 *    package's script still runs there: the sandbox's copy of package.json allows it.
 */
import { cp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { cliPath, describeWithEngine, projectWithPackages, readTrace, repoRoot, runCli } from './engine.js';
import { baseWithNpm } from './npm-variant.js';

const MALICIOUS = 'p1-npmrc-shell';
const MALICIOUS_TARBALL = `file:${MALICIOUS}-1.0.0.tgz`;

function project(): Promise<string> {
  return projectWithPackages([MALICIOUS], { 'core-js': '3.45.1' }, {
    packageFolders: { [MALICIOUS]: `examples/malicious/P1-npm-token-exfil/${MALICIOUS}` },
    // The registry package's identity is pinned by the resolved URL npm writes (its default).
    registryResolved: true,
    manifest: { allowScripts: { esbuild: true } },
  });
}

async function allowScriptsOf(dir: string): Promise<unknown> {
  return (JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { allowScripts?: unknown }).allowScripts;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

await describeWithEngine('safe-install approve', () => {
  const cleanup: string[] = [];
  afterAll(async () => {
    for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
  });

  it('--yes-if-clean: a pinned entry for the benign package only; the malicious one printed with its behaviour and findings (exit 1)', async () => {
    const dir = await project();
    cleanup.push(dir);
    const lockBefore = await readFile(join(dir, 'package-lock.json'), 'utf8');
    const result = await runCli(['approve', '--yes-if-clean', dir]);
    expect(result.exitCode).toBe(1);
    // The file's formatting and key order kept; the new entry after the existing one.
    expect(await readFile(join(dir, 'package.json'), 'utf8')).toMatch(/\n {2}"allowScripts": \{\n {4}"esbuild": true,\n {4}"core-js@3\.45\.1": true\n {2}\},\n {2}"dependencies"/);
    expect(await allowScriptsOf(dir)).toEqual({ esbuild: true, 'core-js@3.45.1': true });
    const out = String(result.stderr);
    expect(out).toMatch(/core-js@3\.45\.1 \(node_modules\/core-js\): allowScripts entry "core-js@3\.45\.1"\n {2}postinstall: node -e/);
    // The malicious one: what it ran, where it went, the credential it read, its findings.
    const block = out.slice(out.indexOf(`${MALICIOUS}@1.0.0 (node_modules/${MALICIOUS})`));
    expect(block).toMatch(new RegExp(`^${MALICIOUS}@1\\.0\\.0 \\(node_modules/${MALICIOUS}\\): allowScripts entry "${MALICIOUS_TARBALL}"`));
    expect(block).toMatch(/ {4}process {2}\/usr\/bin\/grep -h _authToken \/home\/node\/\.npmrc/);
    expect(block).toMatch(/ {4}host {5}registry-stats\.invalid:80/);
    expect(block).toMatch(/ {4}dns {6}registry-stats\.invalid/);
    expect(block).toMatch(/credentials read \(decoys[^\n]*\n {4}critical decoy-credential-read in postinstall: read the credential file \/home\/node\/\.npmrc/);
    expect(block).toMatch(/critical decoy-exfiltration in postinstall/);
    expect(block).toMatch(/network-not-allowed in postinstall/);
    expect(out).toMatch(/approved 1 package: core-js@3\.45\.1/);
    expect(out).toMatch(new RegExp(`not approved: ${MALICIOUS}@1\\.0\\.0 — \\d+ finding\\(s\\): decoy-credential-read`));
    expect(out).toMatch(/1 package\(s\) with findings were left unapproved/);
    // The matching allowance in the policy, and the approved run recorded.
    expect(await readFile(join(dir, 'safe-install.config.yaml'), 'utf8')).toMatch(/\n {2}core-js@3\.45\.1:\n {4}scripts:\n(?: {6}#.*\n)? {6}postinstall: sha256:[0-9a-f]{64}\n/);
    const approvals = JSON.parse(await readFile(join(dir, '.safe-install/approvals.json'), 'utf8')) as { approvals: Record<string, unknown> };
    expect(Object.keys(approvals.approvals)).toEqual(['core-js@3.45.1']);
    // Nothing came back into the project: no node_modules, no staging folder, the lockfile as it was.
    expect(await readFile(join(dir, 'package-lock.json'), 'utf8')).toBe(lockBefore);
    expect((await readdir(dir)).filter((name) => name === 'node_modules' || name.startsWith('.safe-install-staging'))).toEqual([]);

    // Without a terminal and without --yes-if-clean: the behaviours, and nothing written (exit 2).
    const again = await project();
    cleanup.push(again);
    const before = await readFile(join(again, 'package.json'), 'utf8');
    const plain = await runCli(['approve', again]);
    expect(plain.exitCode).toBe(2);
    expect(plain.stderr).toMatch(/not a terminal, and --yes-if-clean was not given: nothing was written/);
    expect(plain.stderr).toMatch(/critical decoy-exfiltration/);
    expect(await readFile(join(again, 'package.json'), 'utf8')).toBe(before);
    await expect(stat(join(again, '.safe-install'))).rejects.toThrow();
  }, 20 * 60_000);

  it('on a terminal: a prompt per package; approve one, deny the other: a true and a false entry', async () => {
    const dir = await project();
    cleanup.push(dir);
    const socket = `safe-install-approve-${process.pid}`;
    const session = 'approve';
    const tmux = (...args: string[]) => execa('tmux', ['-L', socket, ...args]);
    const screen = async () => (await tmux('capture-pane', '-p', '-J', '-S', '-5000', '-t', session)).stdout;
    const waitFor = async (pattern: RegExp, what: string): Promise<string> => {
      for (let i = 0; i < 1200; i++) {
        const text = await screen();
        if (pattern.test(text)) return text;
        await sleep(250);
      }
      throw new Error(`timed out waiting for ${what}; the screen:\n${await screen()}`);
    };
    const exitFile = join(dir, 'approve-exit');
    const command = `node ${JSON.stringify(cliPath)} approve ${JSON.stringify(dir)}; echo $? > ${JSON.stringify(exitFile)}; sleep 600`;
    await tmux('new-session', '-d', '-s', session, '-x', '220', '-y', '60', command);
    try {
      const first = await waitFor(/core-js@3\.45\.1: approve its install scripts \[a\]pprove \/ \[d\]eny \/ \[s\]kip\? $/m, 'the first prompt');
      // Its behaviour is on the screen before the question, and the second question is not asked yet.
      expect(first).toMatch(/core-js@3\.45\.1 \(node_modules\/core-js\): allowScripts entry "core-js@3\.45\.1"/);
      expect(first).not.toMatch(new RegExp(`${MALICIOUS}@1\\.0\\.0: approve its install scripts`));
      await tmux('send-keys', '-t', session, 'a', 'Enter');
      const second = await waitFor(new RegExp(`${MALICIOUS}@1\\.0\\.0: approve its install scripts \\[a\\]pprove / \\[d\\]eny / \\[s\\]kip\\? $`, 'm'), 'the second prompt');
      expect(second).toMatch(/critical decoy-exfiltration in postinstall/);
      await tmux('send-keys', '-t', session, 'd', 'Enter');
      for (let i = 0; i < 240 && !(await stat(exitFile).then(() => true, () => false)); i++) await sleep(250);
      const done = await screen();
      expect((await readFile(exitFile, 'utf8')).trim()).toBe('0');
      expect(done).toMatch(/approved 1 package: core-js@3\.45\.1/);
      expect(done).toMatch(new RegExp(`denied 1 package \\(npm skips their scripts\\): ${MALICIOUS}@1\\.0\\.0`));
    } finally {
      await tmux('kill-server').catch(() => undefined);
    }
    expect(await allowScriptsOf(dir)).toEqual({ esbuild: true, 'core-js@3.45.1': true, [MALICIOUS_TARBALL]: false });
  }, 20 * 60_000);

  it('a version bump of an approved package shows what the new version does that the approved run did not', async () => {
    const FIXTURE = 'beacon-bump';
    const source = join(repoRoot, 'test/fixtures/packages', FIXTURE);
    const v1 = await projectWithPackages([FIXTURE]);
    cleanup.push(v1);
    const first = await runCli(['approve', '--yes-if-clean', v1]);
    expect(first.exitCode).toBe(0);
    expect(await allowScriptsOf(v1)).toEqual({ [`file:${FIXTURE}-1.0.0.tgz`]: true });

    // The same project after the bump: its allowScripts and recorded approvals, the new lockfile.
    const bumped = {
      'package.json': (await readFile(join(source, 'package.json'), 'utf8')).replace('"version": "1.0.0"', '"version": "1.0.1"'),
      'build.js': (await readFile(join(source, 'build.js'), 'utf8')).replace('const BEACON = false;', 'const BEACON = true;'),
    };
    const v2 = await projectWithPackages([FIXTURE], {}, { packageFiles: { [FIXTURE]: bumped }, manifest: { allowScripts: await allowScriptsOf(v1) } });
    cleanup.push(v2);
    await cp(join(v1, '.safe-install'), join(v2, '.safe-install'), { recursive: true });
    const result = await runCli(['approve', '--yes-if-clean', v2]);
    expect(result.exitCode).toBe(1);
    const out = String(result.stderr);
    expect(out).toMatch(new RegExp(`  approved before: ${FIXTURE}@1\\.0\\.0; new since its approved run:\\n    ${FIXTURE}@1\\.0\\.1 postinstall \\(was 1\\.0\\.0\\): \\+1 exec, \\+1 host, \\+1 DNS name, \\+1 finding\\n`));
    expect(out).toMatch(/ {6}\+ exec {4}\/usr\/local\/bin\/node \{pkg\}\/beacon\.js/);
    expect(out).toMatch(/ {6}\+ dns {5}beacon\.invalid/);
    expect(out).toMatch(/ {6}\+ finding network-not-allowed/);
    // Not approved (it has a finding): the old entry stays, nothing is added.
    expect(await allowScriptsOf(v2)).toEqual({ [`file:${FIXTURE}-1.0.0.tgz`]: true });
  }, 20 * 60_000);

  it('npm 12: the pending script runs in the sandbox all the same (its copy of package.json allows it), and is approved', async () => {
    const base = await baseWithNpm('12.2.0');
    const dir = await projectWithPackages([], { 'core-js': '3.45.1' }, { registryResolved: true, manifest: { allowScripts: { esbuild: true } } });
    cleanup.push(dir);
    const trace = join(dir, 'approve.jsonl');
    const result = await runCli(['approve', '--yes-if-clean', '--base', base, '--trace', trace, dir]);
    expect(result.exitCode).toBe(0);
    const started = (await readTrace(trace)).filter((e) => e.type === 'script' && e.action === 'start' && e.package !== undefined);
    expect(started.map((e) => `${e.package?.name}@${e.package?.version} ${e.lifecycle}`)).toEqual(['core-js@3.45.1 postinstall']);
    expect(result.stderr).not.toMatch(/skipped the install scripts/);
    expect(await allowScriptsOf(dir)).toEqual({ esbuild: true, 'core-js@3.45.1': true });
  }, 20 * 60_000);
});

