import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateJob, type PackageIdentity } from '@safe-install/schema';
import { npm } from '../npm.js';
import { BIN_LIMIT, IMPORT_PROGRAM, binsJob, importJob, installPhaseJob, resolveJob, subjectBins } from './jobs.js';

const subject: PackageIdentity = { name: 'pkg', version: '1.0.0', path: 'node_modules/pkg', installedAs: 'pkg', source: 'registry' };

describe('analyze jobs', () => {
  it('are jobs the runner accepts', () => {
    for (const job of [resolveJob(npm), installPhaseJob(npm), importJob(subject, 10_000, npm.cacheFolders), binsJob(subject, ['pkg', 'pkg-cli'], 10, npm.cacheFolders)!]) {
      expect(validateJob(JSON.parse(JSON.stringify(job)))).toEqual(job);
    }
    expect(resolveJob(npm).steps[0]!.command).toEqual(expect.arrayContaining(['--package-lock-only', '--ignore-scripts']));
    expect(binsJob(subject, [], 10, [])).toBeNull();
  });

  it('the import program names nothing of the tool', () => {
    expect(IMPORT_PROGRAM).not.toMatch(/safe-install|sandbox|decoy|honey|canary|trace|analy/i);
  });

  it('the import program loads the main entry and each plain exports subpath, with require and import', () => {
    const dir = mkdtempSync(join(tmpdir(), 'import-program-'));
    try {
      const pkg = join(dir, 'node_modules', 'pkg');
      mkdirSync(join(pkg, 'lib'), { recursive: true });
      writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'pkg', exports: { '.': './index.js', './sub': './lib/sub.js', './lib/*': './lib/*.js', './package.json': './package.json' } }));
      writeFileSync(join(pkg, 'index.js'), 'console.log("loaded main");');
      writeFileSync(join(pkg, 'lib', 'sub.js'), 'console.log("loaded sub");');
      const run = spawnSync(process.execPath, ['-e', IMPORT_PROGRAM, 'pkg', '0'], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('require pkg: ok');
      expect(run.stdout).toContain('import pkg: ok');
      expect(run.stdout).toContain('require pkg/sub: ok');
      expect(run.stdout).toContain('loaded sub');
      expect(run.stdout).not.toContain('pkg/lib/*');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes the subject’s bins from the lockfile, plain names only, bounded', () => {
    const other: PackageIdentity = { ...subject, name: 'other', path: 'node_modules/other', installedAs: 'other' };
    const bins = new Map<string, PackageIdentity>([
      ['node_modules/.bin/pkg', subject],
      ['node_modules/.bin/zz', subject],
      ['node_modules/.bin/$(id)', subject],
      ['node_modules/.bin/.hidden', subject],
      ['node_modules/other/node_modules/.bin/nested', subject],
      ['node_modules/.bin/other', other],
      ...Array.from({ length: BIN_LIMIT + 4 }, (_, i) => [`node_modules/.bin/b${String(i).padStart(2, '0')}`, subject] as [string, PackageIdentity]),
    ]);
    const found = subjectBins({ byPath: new Map(), bins }, subject);
    expect(found).toHaveLength(BIN_LIMIT);
    expect(found).not.toContain('other');
    expect(found.some((name) => name.includes('$') || name.startsWith('.') || name === 'nested')).toBe(false);
  });
});
