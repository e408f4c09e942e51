/**
 * The behaviour diff on real runs: a fixture package's benign 1.0.0 installed twice (an identical
 * rerun: different pids, times, run ids, decoys, container host name) and its 1.0.1, whose build
 * also starts a beacon to a sinked name. `trace diff` prints nothing for the rerun and exactly the
 * beacon for the bump; `safe-install diff` writes the same as Markdown; `trace show` and `trace
 * stats` read the same traces. Real engine, real npm, real strace.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describeWithEngine, projectWithPackages, repoRoot, runCli } from './engine.js';

const FIXTURE = 'beacon-bump';

await describeWithEngine('the behaviour diff of two versions of a package', () => {
  const cleanup: string[] = [];
  const traces = { v1: '', rerun: '', v2: '' };
  afterAll(async () => {
    for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
  });

  beforeAll(async () => {
    const source = join(repoRoot, 'test/fixtures/packages', FIXTURE);
    const bumped = {
      'package.json': (await readFile(join(source, 'package.json'), 'utf8')).replace('"version": "1.0.0"', '"version": "1.0.1"'),
      'build.js': (await readFile(join(source, 'build.js'), 'utf8')).replace('const BEACON = false;', 'const BEACON = true;'),
    };
    const v1 = await projectWithPackages([FIXTURE]);
    const v2 = await projectWithPackages([FIXTURE], {}, { packageFiles: { [FIXTURE]: bumped } });
    cleanup.push(v1, v2);
    traces.v1 = join(v1, 'v1.jsonl');
    traces.rerun = join(v1, 'rerun.jsonl');
    traces.v2 = join(v2, 'v2.jsonl');
    // No policy: the benign version passes (its script is reported, not judged); the beacon fails.
    expect((await runCli(['ci', v1, '--trace', traces.v1])).exitCode).toBe(0);
    expect((await runCli(['ci', v1, '--trace', traces.rerun])).exitCode).toBe(0);
    expect((await runCli(['ci', v2, '--trace', traces.v2])).exitCode).toBe(1);
  }, 15 * 60_000);

  it('prints nothing for an identical rerun', async () => {
    const result = await runCli(['trace', 'diff', traces.v1, traces.rerun]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/no new behaviour/);
  }, 120_000);

  it('prints exactly the new process, DNS name and host of the bump, and its new finding', async () => {
    const result = await runCli(['trace', 'diff', traces.v1, traces.v2]);
    expect(result.exitCode).toBe(0);
    expect(String(result.stdout).split('\n')).toEqual([
      `${FIXTURE}@1.0.1 postinstall (was 1.0.0): +1 exec, +1 host, +1 DNS name, +1 finding`,
      '  + exec    /usr/local/bin/node {pkg}/beacon.js',
      '  + host    beacon.invalid:80',
      '  + dns     beacon.invalid',
      '  + finding network-not-allowed',
    ]);
    // The other way round, the benign version adds nothing the bump did not do.
    expect((await runCli(['trace', 'diff', traces.v2, traces.v1])).stdout).toBe('');
  }, 120_000);

  it('safe-install diff writes only what changed as Markdown for a pull-request comment', async () => {
    const markdown = join(cleanup[1]!, 'diff.md');
    const result = await runCli(['diff', '--base', traces.v1, '--head', traces.v2, '--markdown', markdown]);
    expect(result.exitCode).toBe(0);
    const text = await readFile(markdown, 'utf8');
    expect(text).toMatch(/^### safe-install: new install-time behaviour in 1 script\n/);
    // `@` is written as an entity: a package name cannot mention anyone in the comment.
    expect(text).toContain(`| ${FIXTURE}&#64;1.0.1 (was 1.0.0) | postinstall | +1 exec, +1 host, +1 DNS name, +1 finding |`);
    expect(text).toContain('- dns ` beacon.invalid `');
    expect(text).toContain('- host ` beacon.invalid:80 `');
    const same = join(cleanup[0]!, 'same.md');
    await runCli(['diff', '--base', traces.v1, '--head', traces.rerun, '--markdown', same]);
    expect(await readFile(same, 'utf8')).toMatch(/^### safe-install: no new install-time behaviour\n/);
  }, 120_000);

  it('trace show puts the beacon under the process that sent it, and trace stats counts it', async () => {
    const show = await runCli(['trace', 'show', traces.v2, '--package', FIXTURE, '--host', 'beacon.invalid']);
    expect(show.exitCode).toBe(0);
    const lines = String(show.stdout).split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${FIXTURE}@1\\.0\\.1 postinstall: \`node build\\.js\` \\(exit 0, \\d+ ms\\)$`));
    const beacon = lines.findIndex((line) => /^ +\d+ \/usr\/local\/bin\/node \S+\/beacon\.js/.test(line));
    expect(beacon).toBeGreaterThan(0);
    const under = lines.slice(beacon + 1).filter((line) => line.includes('· '));
    expect(under).toEqual(expect.arrayContaining([expect.stringMatching(/· dns beacon\.invalid A \(sinked\)$/), expect.stringMatching(/· http GET http:\/\/beacon\.invalid\/b\?v=1 \(sinked/)]));
    expect(String(show.stdout)).not.toMatch(/outside any install script/);

    const stats = await runCli(['trace', 'stats', traces.v2, '--json']);
    const counts = JSON.parse(String(stats.stdout)) as { events: number; scriptRuns: number; dnsNames: Array<[string, number]>; hosts: Array<[string, number]> };
    expect(counts.scriptRuns).toBe(1);
    expect(counts.dnsNames.map(([name]) => name)).toContain('beacon.invalid');
    expect(counts.hosts.map(([host]) => host)).toContain('beacon.invalid:80');
  }, 120_000);
});
