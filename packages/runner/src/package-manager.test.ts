import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageManagerVersion } from './package-manager.js';

describe('packageManagerVersion', () => {
  const root = mkdtempSync(join(tmpdir(), 'pm-version-'));
  const pkg = join(root, 'lib/node_modules/npm');
  mkdirSync(join(pkg, 'bin'), { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'npm', version: '12.2.0' }));
  writeFileSync(join(pkg, 'bin/npm-cli.js'), '');
  mkdirSync(join(root, 'bin'));
  symlinkSync(join(pkg, 'bin/npm-cli.js'), join(root, 'bin/npm'));
  // A look-alike earlier on PATH whose package.json names another package.
  const other = join(root, 'other');
  mkdirSync(join(other, 'bin'), { recursive: true });
  writeFileSync(join(other, 'package.json'), JSON.stringify({ name: 'not-npm', version: '99.0.0' }));
  writeFileSync(join(other, 'bin/pnpm'), '');

  it('follows the bin link to its package and reads the version', () => {
    expect(packageManagerVersion('npm', `/nonexistent:${join(root, 'bin')}`)).toEqual({ name: 'npm', version: '12.2.0' });
  });

  it('is null for a program that is not the package it claims, a missing one, or a hostile name', () => {
    expect(packageManagerVersion('pnpm', join(other, 'bin'))).toBeNull();
    expect(packageManagerVersion('yarn', join(root, 'bin'))).toBeNull();
    expect(packageManagerVersion('../npm', join(root, 'bin'))).toBeNull();
  });
});

describe('packageManagerVersion of a manager the job fetched (an absolute bin path)', () => {
  const root = mkdtempSync(join(tmpdir(), 'pm-fetched-'));
  const pkg = join(root, 'node_modules/pnpm');
  mkdirSync(join(pkg, 'bin'), { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'pnpm', version: '10.34.8' }));
  writeFileSync(join(pkg, 'bin/pnpm.cjs'), '');

  it('reads the package the bin sits in, named by the file', () => {
    expect(packageManagerVersion(join(pkg, 'bin/pnpm.cjs'))).toEqual({ name: 'pnpm', version: '10.34.8' });
  });

  it('is null for a path with `..`, odd characters, a missing file or another package', () => {
    expect(packageManagerVersion(`${pkg}/bin/../bin/pnpm.cjs`)).toBeNull();
    expect(packageManagerVersion(`${pkg}/bin/pnpm.cjs;rm`)).toBeNull();
    expect(packageManagerVersion(join(pkg, 'bin/nope.cjs'))).toBeNull();
    writeFileSync(join(pkg, 'bin/yarn.js'), '');
    expect(packageManagerVersion(join(pkg, 'bin/yarn.js'))).toBeNull();
  });
});
