/**
 * What goes into the sandbox, on one real run: a workspaces project whose workspace and `file:`
 * folder hold a real-looking `.npmrc` token and `.env` secrets, a root `.npmrc` that tries to
 * replace the script shell and move npm's config, and a git repository with a secret in its remote.
 * One run serves every assertion (the root script waits while the test searches the container).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import type { Report, TraceEvent } from '@safe-install/schema';
import { SANDBOX_PATHS, packFiles, planUpload, readHostNpmConfig, readProject } from '@safe-install/sandbox';
import { cliPath, describeWithEngine, execIn, readTrace, runningSandboxOf } from './engine.js';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const npmLikeToken = () => `npm_${[...randomBytes(36)].map((byte) => BASE62[byte % 62]).join('')}`;

/** The root script: reports what it finds, then waits (bounded) while the test searches. */
const PROBE = `
const fs = require('fs'), cp = require('child_process');
const sh = (command) => { try { return cp.execSync(command, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { return null; } };
const lines = (path) => { try { return fs.readFileSync(path, 'utf8').split('\\n').filter((line) => /_authToken|API_KEY|DB_PASSWORD/.test(line)); } catch { return null; } };
const probe = {
  head: sh('git rev-parse HEAD'), branch: sh('git branch --show-current'), describe: sh('git describe --tags'),
  app: { npmrc: lines('packages/app/.npmrc'), env: lines('packages/app/.env') },
  lib: { npmrc: lines('vendor/lib/.npmrc'), env: lines('vendor/lib/.env.production') },
  root: fs.readFileSync('.npmrc', 'utf8').split('\\n').filter(Boolean),
  sources: fs.existsSync('packages/app/index.js') && fs.existsSync('docs/notes.md'),
};
console.log('PROBE ' + JSON.stringify(probe));
fs.writeFileSync('/tmp/waiting', '');
for (let i = 0; i < 1200 && !fs.existsSync('/tmp/go'); i++) cp.execSync('sleep 0.1');
`;

await describeWithEngine('the upload: what enters the sandbox', () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('holds decoys in place of every real secret in any uploaded folder, keeps the script shell, and answers git as the host', async () => {
    const secrets = {
      appToken: npmLikeToken(),
      libToken: npmLikeToken(),
      rootToken: npmLikeToken(),
      appEnv: randomBytes(16).toString('hex'),
      libEnv: randomBytes(16).toString('hex'),
      gitRemote: randomBytes(12).toString('hex'),
    };
    dir = await mkdtemp(join(tmpdir(), 'safe-install-upload-'));
    const write = async (path: string, content: string) => {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), content);
    };
    await write('package.json', JSON.stringify({
      name: 'upload-fixture', version: '1.0.0', private: true, workspaces: ['packages/*'],
      dependencies: { lib: 'file:vendor/lib' },
      scripts: { postinstall: 'node probe.js' },
    }));
    await write('probe.js', PROBE);
    await write('docs/notes.md', 'sources a root script may read\n');
    // Hostile settings: each would run scripts untraced or move npm's config if it survived.
    await write('.npmrc', [
      'script-shell=/bin/sh', 'SCRIPT_SHELL=/bin/sh', '"globalconfig"=/dev/null', 'userconfig=./evil-npmrc', 'npm_config_script_shell=/bin/sh',
      `//registry.example/:_authToken=${secrets.rootToken}`, 'engine-strict=false', '',
    ].join('\n'));
    await write('evil-npmrc', 'script-shell=/bin/sh\n');
    await write('packages/app/package.json', JSON.stringify({ name: 'app', version: '1.0.0', scripts: { postinstall: 'node -e "require(\'fs\').statSync(\'../../docs/notes.md\')"' } }));
    await write('packages/app/index.js', 'module.exports = 1;\n');
    await write('packages/app/.npmrc', `//registry.example/:_authToken=${secrets.appToken}\nscript-shell=/bin/sh\n`);
    await write('packages/app/.env', `API_KEY=${secrets.appEnv}\n`);
    await write('vendor/lib/package.json', JSON.stringify({ name: 'lib', version: '1.0.0' }));
    await write('vendor/lib/.npmrc', `//registry.example/:_authToken=${secrets.libToken}\n`);
    await write('vendor/lib/.env.production', `DB_PASSWORD=${secrets.libEnv}\n`);
    await execa('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir });
    const git = (...args: string[]) => execa('git', args, { cwd: dir, env: { GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@example.invalid', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@example.invalid' } });
    await git('init', '-q', '-b', 'release');
    await git('remote', 'add', 'origin', `https://user:${secrets.gitRemote}@git.example.invalid/repo.git`);
    await git('add', '-A');
    await git('commit', '-q', '-m', 'fixture');
    await git('tag', '-a', 'v1.2.3', '-m', 'release 1.2.3');
    const head = (await git('rev-parse', 'HEAD')).stdout.trim();
    const real = Object.values(secrets);

    // The exact upload the CLI builds (same reader, same plan, same tar packer): no real value.
    const project = await readProject(dir);
    const plan = planUpload(project, { home: SANDBOX_PATHS.home, projectDir: 'project', registry: (await readHostNpmConfig(dir)).registry });
    const chunks: Buffer[] = [];
    for await (const chunk of packFiles(plan.files, { uid: 1000, gid: 1000 })) chunks.push(Buffer.from(chunk as Uint8Array));
    const stream = Buffer.concat(chunks).toString('latin1');
    for (const value of real) expect(stream).not.toContain(value);
    // …and decoys in their place, in the decoy index so that reads are recognised.
    const planted = plan.decoys.values.flatMap((value) => value.plantedAt);
    for (const path of ['packages/app/.npmrc', 'vendor/lib/.npmrc', '.npmrc', 'packages/app/.env', 'vendor/lib/.env.production']) {
      expect(planted).toContain(`${SANDBOX_PATHS.home}/project/${path}`);
    }

    const reportPath = join(dir, 'report.json');
    const tracePath = join(dir, 'trace.jsonl');
    const cli = execa('node', [cliPath, 'ci', dir, '--mode', 'audit', '--report', reportPath, '--trace', tracePath], { reject: false, all: true });
    const sandbox = await runningSandboxOf(cli.pid!);
    try {
      for (let i = 0; i < 1200 && (await execIn(sandbox, '1000', 'test -e /tmp/waiting')).code !== 0; i++) await sleep(100);
      expect((await execIn(sandbox, '1000', 'test -e /tmp/waiting')).code).toBe(0);

      // The whole container, as the install user and as root (trace dir, gateway socket, root's
      // home): files, every process's environment and arguments, and the container's own config.
      const patterns = real.map((value) => `-e '${value}'`).join(' ');
      for (const user of ['1000', '0']) {
        const grep = await execIn(sandbox, user, `grep -rFl ${patterns} / --exclude-dir=proc --exclude-dir=sys 2>/dev/null`);
        expect(grep.output).toBe('');
        expect([1, 2]).toContain(grep.code);
      }
      // (Read out and searched here: a grep in there would find its own arguments.)
      const procs = await execIn(sandbox, '0', `for p in /proc/[0-9]*; do cat $p/environ $p/cmdline; done 2>/dev/null | tr '\\0' '\\n'`);
      expect(procs.output).toContain('HOME=');
      for (const value of real) expect(procs.output).not.toContain(value);
      expect(JSON.stringify(await sandbox.inspect())).not.toMatch(new RegExp(real.join('|')));
    } finally {
      await execIn(sandbox, '1000', 'touch /tmp/go').catch(() => undefined);
    }
    const result = await cli;
    expect(result.exitCode).toBe(0);

    const probeLine = /PROBE (\{.*\})/.exec(result.all ?? '')?.[1];
    expect(probeLine).toBeDefined();
    const probe = JSON.parse(probeLine!) as Record<string, unknown> & { app: { npmrc: string[]; env: string[] }; lib: { npmrc: string[]; env: string[] }; root: string[] };
    // git answers as on the host: the same commit, branch and tag; the remote (and its secret) is not there.
    expect(probe).toMatchObject({ head, branch: 'release', describe: 'v1.2.3', sources: true });
    // Decoys of the same shape stand where the real values were.
    for (const npmrc of [probe.app.npmrc, probe.lib.npmrc]) expect(npmrc).toEqual([expect.stringMatching(/^\/\/registry\.example\/:_authToken=npm_[A-Za-z0-9]{36}$/)]);
    expect(probe.app.env).toEqual([expect.stringMatching(/^API_KEY=\S+$/)]);
    expect(probe.lib.env).toEqual([expect.stringMatching(/^DB_PASSWORD=\S+$/)]);
    // The root .npmrc kept its install setting and lost every hostile key.
    expect(probe.root.filter((line) => !line.includes('_authToken'))).toEqual(['engine-strict=false']);

    const report = JSON.parse(await readFile(reportPath, 'utf8')) as Report;
    expect(report.upload?.removedNpmConfig).toEqual(expect.arrayContaining([
      { file: '.npmrc', key: 'script-shell', reason: 'scripts' },
      { file: '.npmrc', key: 'SCRIPT_SHELL', reason: 'scripts' },
      { file: '.npmrc', key: 'globalconfig', reason: 'scripts' },
      { file: '.npmrc', key: 'userconfig', reason: 'scripts' },
      { file: '.npmrc', key: 'npm_config_script_shell', reason: 'scripts' },
      { file: 'packages/app/.npmrc', key: 'script-shell', reason: 'scripts' },
    ]));
    expect(report.upload?.decoyEnvFiles.sort()).toEqual(['packages/app/.env', 'vendor/lib/.env.production']);
    expect(result.all).toMatch(/\.npmrc: script-shell removed, the sandbox decides it/);
    // Both the root's and the workspace's scripts ran, traced (through the sandbox's script shell).
    const trace: TraceEvent[] = await readTrace(tracePath);
    const started = trace.filter((event) => event.type === 'script' && event.action === 'start').map((event) => `${event.package?.name}:${event.lifecycle}`);
    expect(started).toEqual(expect.arrayContaining(['upload-fixture:postinstall', 'app:postinstall']));
    const rootProcesses = trace.filter((event) => event.type === 'process' && event.package?.name === 'upload-fixture');
    expect(rootProcesses.length).toBeGreaterThan(0);
    // Reading the decoy .env is recognised as what it is.
    expect(report.findings.some((finding) => finding.ruleId.startsWith('decoy') && finding.package?.name === 'upload-fixture')).toBe(true);
  }, 10 * 60_000);
});
