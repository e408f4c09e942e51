import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafeInstallError } from '@safe-install/schema';
import { planSpecs, specKind } from './install-specs.js';

describe('specKind', () => {
  it.each([
    ['left-pad', 'registry'],
    ['left-pad@^1.3.0', 'registry'],
    ['@scope/name@1', 'registry'],
    ['github:user/repo', 'registry'],
    ['https://example.test/x.tgz', 'registry'],
    ['npm:left-pad@1', 'registry'],
    ['./fixture.tgz', 'local'],
    ['../other.tgz', 'local'],
    ['/abs/x.tgz', 'local'],
    ['~/x.tgz', 'local'],
    ['file:fixture.tgz', 'local'],
    ['fixture.tgz', 'local'],
    ['sub/fixture.tar.gz', 'local'],
  ])('reads %j as %s', (spec, kind) => {
    expect(specKind(spec).kind).toBe(kind);
  });
});

describe('planSpecs', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'specs-'));
    await writeFile(join(root, 'fixture.tgz'), 'x');
    await mkdir(join(root, 'sub'));
    await writeFile(join(root, 'sub', 'a.tgz'), 'a');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('passes registry specs as they are and names local tarballs by their place in the project', async () => {
    const planned = await planSpecs(['left-pad@^1', './fixture.tgz', 'sub/a.tgz'], { cwd: root, projectRoot: root });
    expect(planned.args).toEqual(['left-pad@^1', 'file:fixture.tgz', 'file:sub/a.tgz']);
    expect(planned.tarballs.map((file) => [file.path, file.content.toString()])).toEqual([['fixture.tgz', 'x'], ['sub/a.tgz', 'a']]);
    // Relative to where the command was run, not to the project.
    expect((await planSpecs(['./a.tgz', '../fixture.tgz'], { cwd: join(root, 'sub'), projectRoot: root })).args).toEqual(['file:sub/a.tgz', 'file:fixture.tgz']);
  });

  const usage = async (specs: string[], reason: RegExp, cwd = root) => {
    const error = await planSpecs(specs, { cwd, projectRoot: root }).then(() => null, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(SafeInstallError);
    expect((error as SafeInstallError).kind).toBe('usage');
    expect((error as Error).message).toMatch(reason);
  };

  it.each([
    [['../outside.tgz'], /outside the project/],
    [['/etc/passwd.tgz'], /outside the project/],
    [['~/x.tgz'], /outside the project/],
    [['./missing.tgz'], /no such file/],
    [['./sub'], /is a folder/],
    [['--registry=https://evil.test'], /not a package spec/],
    [[''], /not a package spec/],
    [['x@file:./fixture.tgz'], /alias/],
    [['x@./fixture.tgz'], /alias/],
  ])('refuses %j', async (specs, reason) => {
    await usage(specs, reason);
  });

  it('refuses a tarball past the size bound', async () => {
    const error = await planSpecs(['./fixture.tgz'], { cwd: root, projectRoot: root, maxBytes: 0 }).then(() => null, (caught: unknown) => caught);
    expect((error as Error).message).toMatch(/larger than 0 bytes/);
  });

  it('refuses a file that is not a tarball', async () => {
    await writeFile(join(root, 'notes.txt'), 'x');
    await usage(['./notes.txt'], /not a package tarball/);
  });
});
