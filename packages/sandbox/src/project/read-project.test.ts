/**
 * readProject on real folders: what it uploads, what it keeps back, what it replaces. The planted
 * secrets all contain REAL so one check proves none reached an uploaded file.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readProject, readProjectWith } from './read-project.js';
import { YARN_BERRY_LOCKFILE } from './yarn-berry-lockfile.js';
import { planUpload } from '../run/plan-upload.js';

function project(files: Record<string, string>, lock: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'read-project-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  const manifest = JSON.parse(files['package.json'] ?? '{}') as Record<string, unknown>;
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ lockfileVersion: 3, packages: { '': { dependencies: manifest['dependencies'] }, ...lock } }));
  return dir;
}

const WORKSPACE_LOCK = { 'packages/app': { name: 'app', version: '1.0.0' }, 'node_modules/app': { resolved: 'packages/app', link: true } };

describe('readProject', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const make = (...args: Parameters<typeof project>) => {
    const dir = project(...args);
    dirs.push(dir);
    return dir;
  };

  it.each([
    ['preinstall'], ['install'], ['postinstall'], ['prepublish'], ['preprepare'], ['prepare'], ['postprepare'], ['predependencies'], ['dependencies'], ['postdependencies'],
  ])('uploads the whole project when the root has a %s script (npm ci runs it)', async (event) => {
    const dir = make({ 'package.json': JSON.stringify({ name: 'p', version: '1.0.0', scripts: { [event]: 'node build.js' } }), 'build.js': '1', 'src/a.js': '2' });
    const paths = (await readProject(dir)).files.map((file) => file.path);
    expect(paths).toEqual(expect.arrayContaining(['build.js', 'src/a.js']));
  });

  it('never uploads Yarn PnP\'s unplugged packages (the install rebuilds them), but does the cache and the rest', async () => {
    const dir = make({ 'package.json': JSON.stringify({ name: 'p', version: '1.0.0', scripts: { postinstall: 'node build.js' } }), 'build.js': '1', '.yarn/unplugged/a-npm-1.0.0-0123456789/node_modules/a/stale.js': 'x', '.yarn/unplugged/a-npm-1.0.0-0123456789/.ready': '', '.yarn/cache/a.zip': 'z', '.pnp.cjs': 'p' });
    writeFileSync(join(dir, 'yarn.lock'), '__metadata:\n  version: 8\n\n"p@workspace:.":\n  version: 0.0.0-use.local\n  resolution: "p@workspace:."\n  languageName: unknown\n  linkType: soft\n');
    const paths = (await readProjectWith(dir, YARN_BERRY_LOCKFILE)).files.map((file) => file.path);
    expect(paths).toEqual(expect.arrayContaining(['build.js', '.yarn/cache/a.zip', '.pnp.cjs']));
    expect(paths.filter((path) => path.startsWith('.yarn/unplugged'))).toEqual([]);
  });

  it('does not upload the whole project for scripts npm ci does not run', async () => {
    const dir = make({ 'package.json': JSON.stringify({ name: 'p', version: '1.0.0', scripts: { test: 'x', build: 'y', prepack: 'z' } }), 'src/a.js': '2' });
    const read = await readProject(dir);
    expect(read.rootScripts).toEqual([]);
    expect(read.files.map((file) => file.path)).not.toContain('src/a.js');
  });

  it('uploads the whole project when a workspace has a script npm ci runs for it', async () => {
    const dir = make(
      {
        'package.json': JSON.stringify({ name: 'p', version: '1.0.0', workspaces: ['packages/*'], dependencies: {} }),
        'packages/app/package.json': JSON.stringify({ name: 'app', version: '1.0.0', scripts: { prepare: 'node ../../scripts/gen.js' } }),
        'scripts/gen.js': '1',
      },
      WORKSPACE_LOCK,
    );
    const read = await readProject(dir);
    expect(read.rootScripts).toEqual(['packages/app:prepare']);
    expect(read.files.map((file) => file.path)).toContain('scripts/gen.js');
  });

  it('filters every uploaded folder: .env* kept back, every .npmrc sanitized, node_modules npm ci empties skipped, others kept', async () => {
    const dir = make(
      {
        'package.json': JSON.stringify({ name: 'p', version: '1.0.0', scripts: { postinstall: 'x' } }),
        '.npmrc': '//r.example/:_authToken=REAL-root\nsave-exact=true\n',
        '.env': 'A=REAL-a\n',
        'packages/app/package.json': '{"name":"app","version":"1.0.0"}',
        'packages/app/.npmrc': '//r.example/:_authToken=REAL-app\nscript-shell=/bin/sh\n',
        'packages/app/.env.local': 'B=REAL-b\n',
        'packages/app/node_modules/x/index.js': 'emptied by npm ci',
        'node_modules/y/index.js': 'emptied by npm ci',
        'test/fixtures/tree/node_modules/z/index.js': 'a source file',
        'deep/er/.npmrc': '_auth=REAL-deep\n',
      },
      WORKSPACE_LOCK,
    );
    const read = await readProject(dir);
    const paths = read.files.map((file) => file.path);
    expect(paths).toEqual(expect.arrayContaining(['.npmrc', 'packages/app/.npmrc', 'deep/er/.npmrc', 'test/fixtures/tree/node_modules/z/index.js']));
    expect(paths.filter((path) => path.includes('.env') || path.startsWith('node_modules/') || path.startsWith('packages/app/node_modules/'))).toEqual([]);
    for (const file of read.files) expect(file.content.toString('utf8')).not.toContain('REAL');
    expect(read.envFiles.map((file) => file.path).sort()).toEqual(['.env', 'packages/app/.env.local']);
    expect(read.npmrcFiles).toEqual(
      expect.arrayContaining([
        { path: '.npmrc', credentials: ['//r.example/:_authToken'], removed: [] },
        { path: 'packages/app/.npmrc', credentials: ['//r.example/:_authToken'], removed: [{ key: 'script-shell', reason: 'scripts' }] },
        { path: 'deep/er/.npmrc', credentials: ['_auth'], removed: [] },
      ]),
    );

    // The plan puts a decoy token at each credential, recorded where it was planted.
    const plan = planUpload(read, { home: '/home/node', projectDir: 'project', registry: 'https://npm-mirror.internal/' });
    const app = plan.files.find((file) => file.path === 'project/packages/app/.npmrc');
    expect(String(app?.content)).toMatch(/^\/\/r\.example\/:_authToken=npm_[A-Za-z0-9]{36}\n$/);
    const token = /=(\S+)/.exec(String(app?.content))?.[1];
    expect(plan.decoys.values).toContainEqual({ kind: 'npm-token', value: token, plantedAt: ['/home/node/project/packages/app/.npmrc'] });
    const root = plan.files.find((file) => file.path === 'project/.npmrc');
    expect(String(root?.content)).toMatch(/^save-exact=true\n\/\/r\.example\/:_authToken=npm_/);
    for (const file of plan.files) expect(String(file.content)).not.toContain('REAL');
  });

  it('refuses a lockfile folder that is a link out of the project', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'outside-'));
    dirs.push(outside);
    writeFileSync(join(outside, 'id_rsa'), 'REAL key');
    const dir = make({ 'package.json': JSON.stringify({ name: 'p', version: '1.0.0', dependencies: { lib: 'file:lib' } }) }, { lib: { name: 'lib', version: '1.0.0' }, 'node_modules/lib': { resolved: 'lib', link: true } });
    symlinkSync(outside, join(dir, 'lib'));
    await expect(readProject(dir)).rejects.toMatchObject({ code: 'PROJECT_PATH_OUTSIDE' });
  });

  it('stands in for .git with the host commit, branch and tag, and nothing else of it', async () => {
    const dir = make({ 'package.json': JSON.stringify({ name: 'p', version: '1.0.0', scripts: { prepare: 'x' } }) });
    const env = { ...process.env, GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@example.invalid', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@example.invalid' };
    const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    git(dir, 'init', '-q', '-b', 'feature/x');
    git(dir, 'remote', 'add', 'origin', 'https://u:REAL@git.example.invalid/r.git');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'one');
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'two');
    git(dir, 'tag', '-a', 'v2.0.0', '-m', 'two');
    git(dir, 'tag', 'light');
    const read = await readProject(dir);
    expect(read.git).toMatchObject({ head: git(dir, 'rev-parse', 'HEAD'), branch: 'feature/x' });
    const plan = planUpload(read, { home: '/home/node', projectDir: 'project', registry: 'https://npm-mirror.internal/' });
    // Build the stand-in as the sandbox gets it and ask the real git.
    const copy = mkdtempSync(join(tmpdir(), 'stand-in-'));
    dirs.push(copy);
    for (const file of plan.files.filter((entry) => entry.path.startsWith('project/.git'))) {
      const target = join(copy, file.path.slice('project/'.length));
      if (file.directory) mkdirSync(target, { recursive: true });
      else {
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, file.content);
      }
      expect(String(file.content)).not.toContain('REAL');
    }
    expect(git(copy, 'rev-parse', 'HEAD')).toBe(git(dir, 'rev-parse', 'HEAD'));
    expect(git(copy, 'branch', '--show-current')).toBe('feature/x');
    expect(git(copy, 'describe', '--tags')).toBe('v2.0.0');
    expect(git(copy, 'tag', '--points-at', 'HEAD').split('\n').sort()).toEqual(['light', 'v2.0.0']);
    expect(git(copy, 'log', '-1', '--format=%s')).toBe('two');
    expect(git(copy, 'remote')).toBe('');
  });

  it('stands in for a repository with no commit yet, and for none when there is no .git', async () => {
    const dir = make({ 'package.json': '{"name":"p","version":"1.0.0"}' });
    expect((await readProject(dir)).git).toBeNull();
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: dir });
    expect((await readProject(dir)).git).toMatchObject({ head: null, branch: 'main', objects: [] });
  });
});
