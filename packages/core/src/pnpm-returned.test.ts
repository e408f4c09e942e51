import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JOB_VERSION, RESOLVE_PHASE, validateJob } from '@safe-install/schema';
import { readProjectWith, PNPM_LOCKFILE, type Project } from '@safe-install/sandbox';
import { pnpm, pnpmResolveArgs, pnpmSteps } from './pnpm.js';
import { returnedPnpmProject } from './pnpm-returned.js';

const LOCK = `lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      left-pad:
        specifier: ^1.3.0
        version: 1.3.0

packages:

  left-pad@1.3.0:
    resolution: {integrity: sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQEnG9JBBiHYDBwVF5sAnjBvTqA3ovRp0yh1ZcxbpqHRvoyA==}

snapshots:

  left-pad@1.3.0: {}
`;
const MANIFEST = JSON.stringify({ name: 'p', version: '1.0.0', packageManager: 'pnpm@10.34.8', dependencies: { 'left-pad': '^1.3.0' } });

describe('the pnpm install job (install, update)', () => {
  it('resolves with the lockfile only and no scripts: add <pkgs>, update [pkgs], install of the manifest', () => {
    expect(pnpmResolveArgs({ kind: 'add', packages: ['left-pad', './x.tgz'] })).toEqual(['add', '--lockfile-only', '--ignore-scripts', '--', 'left-pad', './x.tgz']);
    expect(pnpmResolveArgs({ kind: 'add', packages: [] })).toEqual(['install', '--lockfile-only', '--ignore-scripts']);
    expect(pnpmResolveArgs({ kind: 'update', packages: [] })).toEqual(['update', '--lockfile-only', '--ignore-scripts']);
    expect(pnpm.lockfileJobs?.resolve({ kind: 'update', packages: ['a'] })).toEqual(['pnpm', 'update', '--lockfile-only', '--ignore-scripts', '--', 'a']);
  });

  it('is tools, resolve, clean (the node_modules pnpm add fills in a workspace), then the frozen install that relocks and exports', () => {
    const steps = pnpmSteps({ kind: 'add', packages: ['left-pad'] }, '10.34.8', { export: true, trace: true, folders: ['packages/a'] });
    const job = validateJob({ version: JOB_VERSION, steps, cacheFolders: [...pnpm.cacheFolders], lockfile: 'pnpm-lock.yaml' });
    expect(job.steps.map((step) => [step.phase, step.export, step.relock ?? false])).toEqual([['tools', 'none', false], [RESOLVE_PHASE, 'none', false], ['clean', 'none', false], ['install', 'install', true]]);
    const [, resolve, clean, install] = job.steps;
    expect(resolve!.command.slice(1, 4)).toEqual(['add', '--lockfile-only', '--ignore-scripts']);
    // The same layout and script settings as the install, before `--` (after it every word is a package).
    expect(resolve!.command.slice(-2)).toEqual(['--', 'left-pad']);
    expect(resolve!.command.slice(0, -2)).toEqual(expect.arrayContaining(['--config.side-effects-cache=false', '--ignore-pnpmfile']));
    expect(clean!.command.slice(0, 2)).toEqual(['node', '-e']);
    expect(clean!.command.slice(3)).toEqual(['node_modules', 'packages/a/node_modules']);
    expect(clean!.trace).toBe('none');
    expect(install!.command.slice(1, 3)).toEqual(['install', '--frozen-lockfile']);
  });
});

describe('returnedPnpmProject: what a pnpm install job brings back is hostile input', () => {
  let dir: string;
  let tree: string;
  let project: Project;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pnpm-returned-'));
    tree = join(dir, 'tree');
    await mkdir(join(dir, 'project'));
    await mkdir(tree);
    await writeFile(join(dir, 'project/package.json'), MANIFEST);
    await writeFile(join(dir, 'project/pnpm-lock.yaml'), LOCK);
    project = await readProjectWith(join(dir, 'project'), PNPM_LOCKFILE);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('takes the manifest, lockfile and workspace file that came back, the project\'s own where none did', async () => {
    const manifest = JSON.stringify({ ...JSON.parse(MANIFEST), dependencies: { 'left-pad': '1.3.0' } });
    await writeFile(join(tree, 'package.json'), manifest);
    await writeFile(join(tree, 'pnpm-lock.yaml'), LOCK.replace('specifier: ^1.3.0', 'specifier: 1.3.0'));
    await writeFile(join(tree, 'pnpm-workspace.yaml'), 'allowBuilds:\n  left-pad: false\n');
    const returned = await returnedPnpmProject(project, tree);
    expect(returned.manifest['dependencies']).toEqual({ 'left-pad': '1.3.0' });
    expect(returned.files.find((file) => file.path === 'package.json')!.content.toString()).toBe(manifest);
    expect(returned.files.find((file) => file.path === 'pnpm-workspace.yaml')!.content.toString()).toContain('left-pad: false');
    expect(returned.lockfile.locked).toEqual([{ name: 'left-pad', version: '1.3.0' }]);
    const unchanged = await returnedPnpmProject(project, join(dir, 'project'));
    expect(unchanged.files.map((file) => file.path).sort()).toEqual(['package.json', 'pnpm-lock.yaml']);
  });

  it('refuses a symlink, a non-file, an oversized file, broken JSON or YAML, a lockfile out of sync, a tarball outside the project, an unsupported setting', async () => {
    const cases: Array<[string, () => Promise<void>, RegExp]> = [
      ['symlink', () => symlink('/etc/passwd', join(tree, 'pnpm-lock.yaml')), /pnpm-lock.yaml that came back is a symlink/],
      ['directory', () => mkdir(join(tree, 'package.json')), /package.json that came back is not a regular file/],
      ['huge', () => writeFile(join(tree, 'pnpm-lock.yaml'), `${LOCK}#${'x'.repeat(5000)}\n`), /larger than 4096 bytes/],
      ['json', () => writeFile(join(tree, 'package.json'), '{"name": '), /not valid JSON/],
      ['array', () => writeFile(join(tree, 'package.json'), '[]'), /not a JSON object/],
      ['yaml', () => writeFile(join(tree, 'pnpm-workspace.yaml'), 'a: &x 1\nb: *x\n'), /pnpm-workspace.yaml is not usable/],
      ['sync', () => writeFile(join(tree, 'package.json'), JSON.stringify({ ...JSON.parse(MANIFEST), dependencies: { 'left-pad': '^1.3.0', other: '1' } })), /out of sync/],
      ['outside', () => writeFile(join(tree, 'pnpm-lock.yaml'), LOCK.replace("resolution: {integrity: sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQEnG9JBBiHYDBwVF5sAnjBvTqA3ovRp0yh1ZcxbpqHRvoyA==}", 'resolution: {tarball: file:../../evil.tgz}')), /outside the project/],
      ['linker', () => writeFile(join(tree, 'pnpm-workspace.yaml'), 'nodeLinker: hoisted\n'), /nodeLinker/],
      ['pnpm 12', () => writeFile(join(tree, 'package.json'), JSON.stringify({ ...JSON.parse(MANIFEST), packageManager: 'pnpm@12.0.0' })), /not supported yet/],
    ];
    for (const [name, make, message] of cases) {
      await rm(tree, { recursive: true, force: true });
      await mkdir(tree);
      await make();
      await expect(returnedPnpmProject(project, tree, { maxBytes: 4096 })).rejects.toMatchObject({ code: 'EXPORT_REJECTED', message: expect.stringMatching(message) as unknown as string });
      void name;
    }
  });
});
