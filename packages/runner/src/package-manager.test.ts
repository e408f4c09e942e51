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
