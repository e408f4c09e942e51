import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { copyProject, describeWithEngine, projectWithPackages, readTrace, runCli } from './engine.js';

await describeWithEngine('safe-install ci on the example project', () => {
  let project: string;
  beforeAll(async () => {
    project = await copyProject('examples/webapp');
  });
  afterAll(async () => {
    if (project) await rm(project, { recursive: true, force: true });
  });

  it('installs node_modules built in the container, and the esbuild binary runs on the host', async () => {
    const reportPath = join(project, 'report.json');
    const tracePath = join(project, 'trace.jsonl');
    const result = await runCli(['ci', project, '--report', reportPath, '--trace', tracePath]);
    expect(result.all).toContain('verdict: pass');
    expect(result.exitCode).toBe(0);

    const esbuild = await execa(join(project, 'node_modules/.bin/esbuild'), ['--version']);
    expect(esbuild.stdout).toMatch(/^0\.25\.\d+$/);
    const jest = await execa(join(project, 'node_modules/.bin/jest'), ['--version']);
    expect(jest.stdout).toMatch(/^29\./);

    const report = JSON.parse(await readFile(reportPath, 'utf8'));
    expect(report).toMatchObject({ schemaVersion: 1, verdict: 'pass' });
    // Without a policy, scripts are reported (info), not judged; nothing else is found.
    for (const finding of report.findings) expect(finding).toMatchObject({ ruleId: 'script-not-allowed', severity: 'info' });
    // esbuild's postinstall ran in the sandbox and is in the report, attributed.
    expect(report.scripts).toEqual(
      expect.arrayContaining([expect.objectContaining({ package: expect.objectContaining({ name: 'esbuild' }), lifecycle: 'postinstall', code: 0 })]),
    );
    const trace = await readTrace(tracePath);
    expect(trace.length).toBeGreaterThan(100);
    for (const event of trace.slice(0, 50)) expect(event).toEqual(expect.objectContaining({ id: expect.any(String), ts: expect.any(Number), type: expect.any(String), pid: expect.any(Number), ppid: expect.any(Number) }));
  }, 15 * 60_000);

  it('exits 2 with one line when the lockfile is missing', async () => {
    const dir = await copyProject('examples/webapp');
    await rm(join(dir, 'package-lock.json'));
    const result = await runCli(['ci', dir]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/error: no lockfile in the project root \(looked for npm-shrinkwrap.json, package-lock.json, pnpm-lock.yaml/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 2 when the lockfile is out of sync with package.json', async () => {
    const dir = await copyProject('examples/webapp');
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    manifest.dependencies['left-pad'] = '^1.3.0';
    await writeFile(join(dir, 'package.json'), JSON.stringify(manifest));
    const result = await runCli(['ci', dir]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/out of sync: dependencies.left-pad@\^1.3.0 is in package.json but not in the lockfile/);
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
    await rm(dir, { recursive: true, force: true });
  });

  it('passes a project without dependencies, runs its root script traced, and leaves no node_modules (as npm ci)', async () => {
    const dir = await projectWithPackages([], {}, { manifest: { scripts: { preinstall: 'node -e "1"' } } });
    await mkdir(join(dir, 'node_modules', 'stale'), { recursive: true });
    const trace = join(dir, 'trace.jsonl');
    const result = await runCli(['ci', dir, '--trace', trace, '--mode', 'audit']);
    expect(result.exitCode).toBe(0);
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
    const events = (await readTrace(trace)).filter((event) => event.type === 'script' && event.action === 'start');
    expect(events).toMatchObject([{ package: { name: 'fixture-project' }, lifecycle: 'preinstall', command: 'node -e "1"' }]);
    await rm(dir, { recursive: true, force: true });
  }, 5 * 60_000);

  it('exits 3 and leaves node_modules alone when npm fails', async () => {
    const dir = await copyProject('test/fixtures/projects/failing-install');
    const result = await runCli(['ci', dir]);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/npm ci failed in the sandbox/);
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
    await rm(dir, { recursive: true, force: true });
  }, 5 * 60_000);
});

describe('safe-install without a reachable engine', () => {
  it('exits 4 with one clear line', async () => {
    const dir = await copyProject('examples/webapp');
    const result = await runCli(['ci', dir], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toMatch(/error: the Docker engine at unix:\/\/\/nonexistent\/docker.sock \(DOCKER_HOST\) does not answer/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    await rm(dir, { recursive: true, force: true });
    // The CLI starts, reads the project and the host's npm config before it asks the engine:
    // seconds on a loaded 2-core machine, more than jest's default 5.
  }, 60_000);

  it('doctor reports every check and exits non-zero', async () => {
    const result = await runCli(['doctor'], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(result.exitCode).toBe(4);
    expect(result.stdout).toMatch(/✓ npm registry settings: registry /);
    expect(result.stdout).toMatch(/✗ Docker engine: /);
    expect(result.stdout).toMatch(/- sandbox image: needs the Docker engine/);
    expect(result.stdout).toMatch(/- strace in a container: /);
  });
});
