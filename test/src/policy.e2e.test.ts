import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { copyProject, describeWithEngine, projectWithPackages, runCli } from './engine.js';

/** esbuild (postinstall runs its binary), a native addon (node-gyp from source) and husky (root prepare). */
async function realProject(extra: string[] = []): Promise<string> {
  const project = await projectWithPackages(['native-addon', ...extra], { esbuild: '0.25.12', husky: '9.1.7' }, { manifest: { scripts: { prepare: 'husky' } } });
  await execa('git', ['init', '-q'], { cwd: project });
  return project;
}

await describeWithEngine('policies on real installs', () => {
  const cleanup: string[] = [];
  afterAll(async () => {
    for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
  });

  let learned = '';
  it('learns a policy for esbuild, a node-gyp build and husky, and the project then passes under it', async () => {
    const project = await realProject();
    cleanup.push(project);
    const learn = await runCli(['policy', 'learn', project]);
    expect(learn.exitCode).toBe(0);
    learned = await readFile(join(project, 'safe-install.config.yaml'), 'utf8');
    expect(learned).toMatch(/esbuild@0\.25\.12:/);
    expect(learned).toMatch(/native-addon@1\.0\.0:/);
    expect(learned).toMatch(/install: sha256:[0-9a-f]{64}/);
    await rm(join(project, 'node_modules'), { recursive: true, force: true });
    const again = await runCli(['ci', project]);
    expect(again.stderr).not.toMatch(/^ {4}(high|critical) +[a-z-]+( in [a-z]+)?: /m);
    expect(again.exitCode).toBe(0);
    const addon = await execa('node', ['-e', 'console.log(require("native-addon").words("built in the sandbox"))'], { cwd: project });
    expect(addon.stdout).toBe('4');
    // husky's prepare ran in the sandbox against a stand-in repository.
    expect(again.stderr).not.toMatch(/\.git can't be found/);
  }, 15 * 60_000);

  it('fails the same project with an added dependency that reads ~/.npmrc and phones home, naming it', async () => {
    expect(learned).not.toBe('');
    const project = await realProject(['steal-npmrc']);
    cleanup.push(project);
    await writeFile(join(project, 'safe-install.config.yaml'), learned);
    const reportPath = join(project, 'report.json');
    const result = await runCli(['ci', project, '--report', reportPath]);
    expect(result.exitCode).toBe(1);
    expect(existsSync(join(project, 'node_modules'))).toBe(false);
    const report = JSON.parse(await readFile(reportPath, 'utf8'));
    const theirs = report.findings.filter((finding: { package?: { name: string } }) => finding.package?.name === 'steal-npmrc');
    const rules = theirs.map((finding: { ruleId: string }) => finding.ruleId);
    expect(rules).toEqual(expect.arrayContaining(['decoy-credential-read', 'script-not-allowed']));
    expect(rules.some((rule: string) => rule.startsWith('network-') || rule === 'decoy-exfiltration')).toBe(true);
    for (const finding of theirs) {
      expect(finding).toMatchObject({ lifecycle: 'postinstall', evidence: expect.arrayContaining([expect.any(String)]) });
    }
    // Nothing of the learned packages is blamed.
    expect(report.findings.filter((finding: { package?: { name: string }; severity: string }) => finding.package?.name !== 'steal-npmrc' && ['high', 'critical'].includes(finding.severity))).toEqual([]);
  }, 15 * 60_000);

  it('a learned policy holds on the next identical runs: learn, then ci twice, on a registry native addon built from source', async () => {
    const project = await copyProject('examples/benign/native-addon-registry');
    cleanup.push(project);
    await rm(join(project, 'safe-install.config.yaml'));
    const started = Date.now();
    const learn = await runCli(['policy', 'learn', project]);
    expect(learn.exitCode).toBe(0);
    const policy = await readFile(join(project, 'safe-install.config.yaml'), 'utf8');
    expect(policy).toMatch(/cpu-features@0\.0\.\d+:/);
    // Nothing that differs run to run is pinned: no temporary names, no build outputs (the
    // comments quote the commands, temporary names and all; the entries must not).
    const entries = policy.split('\n').filter((line) => !/^\s*#/.test(line)).join('\n');
    expect(entries).not.toMatch(/\/tmp\/|\$TMPDIR\/[^*]|build\/Release/);
    const timings: number[] = [Date.now() - started];
    for (const run of [1, 2]) {
      await rm(join(project, 'node_modules'), { recursive: true, force: true });
      const at = Date.now();
      const ci = await runCli(['ci', project, '--report', join(project, `r${run}.json`)]);
      timings.push(Date.now() - at);
      expect(ci.stderr).not.toMatch(/^ {4}(high|critical) +[a-z-]+( in [a-z]+)?: /m);
      expect(ci.exitCode).toBe(0);
      const report = JSON.parse(await readFile(join(project, `r${run}.json`), 'utf8'));
      expect(report.findings.filter((f: { severity: string }) => ['medium', 'high', 'critical'].includes(f.severity))).toEqual([]);
    }
    // The addon built in the sandbox loads on the host.
    const loaded = await execa('node', ['-e', 'console.log(typeof require("cpu-features")().arch)'], { cwd: project });
    expect(loaded.stdout).toBe('string');
    process.stderr.write(`learn → ci → ci on cpu-features: ${timings.map((ms) => `${Math.round(ms / 1000)} s`).join(', ')}\n`);
  }, 20 * 60_000);

  it('policy learn run from another folder updates the project\'s own policy, comments and all; ci then passes, also with --policy', async () => {
    const existing = '# Reviewed by the security team.\nversion: 1\npackages:\n  # never, whatever depends on it\n  left-pad: false\n';
    const project = await projectWithPackages(['process-check'], {}, { projectFiles: { 'safe-install.config.yaml': existing } });
    const elsewhere = await mkdtemp(join(tmpdir(), 'safe-install-e2e-cwd-'));
    cleanup.push(project, elsewhere);
    const learn = await runCli(['policy', 'learn', project], { cwd: elsewhere });
    expect(learn.exitCode).toBe(0);
    expect(await readdir(elsewhere)).toEqual([]);
    const policy = await readFile(join(project, 'safe-install.config.yaml'), 'utf8');
    expect(policy.startsWith(existing)).toBe(true);
    expect(policy).toMatch(/\n {2}# process-check@1\.0\.0 postinstall ran `sh build\.sh`\n {2}process-check@1\.0\.0:\n/);
    await rm(join(project, 'node_modules'), { recursive: true, force: true });
    const again = await runCli(['ci', project], { cwd: elsewhere });
    expect(again.stderr).not.toMatch(/^ {4}(high|critical) +[a-z-]+( in [a-z]+)?: /m);
    expect(again.exitCode).toBe(0);

    // --policy, relative to the current folder: the file named is the policy, found nowhere else.
    await rename(join(project, 'safe-install.config.yaml'), join(elsewhere, 'moved.yaml'));
    await rm(join(project, 'node_modules'), { recursive: true, force: true });
    const named = await runCli(['ci', project, '--policy', 'moved.yaml', '--report', join(project, 'r.json')], { cwd: elsewhere });
    expect(named.exitCode).toBe(0);
    const report = JSON.parse(await readFile(join(project, 'r.json'), 'utf8'));
    expect(report.findings.filter((f: { ruleId: string }) => f.ruleId === 'script-not-allowed')).toEqual([]);
    const missing = await runCli(['ci', project, '--policy', 'nope.yaml'], { cwd: elsewhere });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain(`policy file ${join(elsewhere, 'nope.yaml')} does not exist`);
  }, 15 * 60_000);

  it('honours npm allowScripts with no safe-install config', async () => {
    const allowed = await projectWithPackages([], { esbuild: '0.25.12' }, { manifest: { allowScripts: { esbuild: true } } });
    const other = await projectWithPackages([], { esbuild: '0.25.12' }, { manifest: { allowScripts: { 'left-pad': true } } });
    cleanup.push(allowed, other);
    const pass = await runCli(['ci', allowed, '--report', join(allowed, 'r.json')]);
    expect(pass.exitCode).toBe(0);
    const report = JSON.parse(await readFile(join(allowed, 'r.json'), 'utf8'));
    expect(report.findings.filter((finding: { ruleId: string }) => finding.ruleId === 'script-not-allowed')).toEqual([]);
    // npm 11 runs a script allowScripts does not list, with a warning: unreviewed, judged by behaviour.
    const unreviewed = await runCli(['ci', other]);
    expect(unreviewed.stderr).toMatch(/\n  esbuild@0\.25\.12\n {4}info +script-not-allowed in postinstall: .*unreviewed/);
    expect(unreviewed.exitCode).toBe(0);
  }, 15 * 60_000);
});

describe('invalid policy files', () => {
  const cases: Array<[string, string, string, RegExp]> = [
    ['bad YAML', 'safe-install.config.yaml', 'version: 1\npackages: [unclosed\n', /safe-install\.config\.yaml:\d+:\d+/],
    ['an unknown key', 'safe-install.config.yaml', 'version: 1\nmodes: block\n', /safe-install\.config\.yaml:2:1: .*modes/],
    ['a wrong type', 'safe-install.config.json', '{"version": 1, "failOn": 3}', /safe-install\.config\.json:1:\d+: .*failOn/],
    ['a bad range', 'safe-install.config.yaml', 'version: 1\npackages:\n  esbuild@>>1: true\n', /safe-install\.config\.yaml:3:\d+: .*esbuild@>>1/],
  ];
  it.each(cases)('%s gives a precise message and exit 2', async (_label, file, content, message) => {
    const project = await copyProject('test/fixtures/projects/failing-install');
    await writeFile(join(project, file), content);
    const result = await runCli(['ci', project]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    await rm(project, { recursive: true, force: true });
  });
});
