import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sealTool, ToolSealError } from './seal-tool.js';

const mode = (path: string) => lstatSync(path).mode & 0o7777;

describe('sealTool', () => {
  let home: string;
  let tmp: string;
  const dir = '.cache/node/corepack/v1/pnpm/11.28.6';
  const seal = { dir, into: 'pnpm-11.28.6', programs: [{ from: 'node_modules/@pnpm/linux-x64/pnpm', to: 'node_modules/@pnpm/exe/pnpm' }] };
  const tool = () => join(home, dir);

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'seal-home-'));
    tmp = mkdtempSync(join(tmpdir(), 'seal-tmp-'));
    mkdirSync(join(tool(), 'node_modules/@pnpm/linux-x64'), { recursive: true });
    mkdirSync(join(tool(), 'node_modules/@pnpm/exe/dist'), { recursive: true });
    mkdirSync(join(tool(), 'node_modules/.bin'), { recursive: true });
    writeFileSync(join(tool(), 'node_modules/@pnpm/linux-x64/pnpm'), 'ELF');
    chmodSync(join(tool(), 'node_modules/@pnpm/linux-x64/pnpm'), 0o755);
    writeFileSync(join(tool(), 'node_modules/@pnpm/exe/pnpm'), '#!/bin/sh\necho placeholder\n', { mode: 0o755 });
    writeFileSync(join(tool(), 'node_modules/@pnpm/exe/dist/worker.js'), 'code', { mode: 0o644 });
    writeFileSync(join(tool(), 'node_modules/@pnpm/exe/dist/node-gyp'), '#!/bin/sh\n', { mode: 0o755 });
    symlinkSync('../@pnpm/exe/pnpm', join(tool(), 'node_modules/.bin/pnpm'));
  });
  afterEach(() => {
    // The sealed copy's folders are read-only for their owner too.
    for (const base of [home, tmp]) {
      const open = (path: string) => {
        if (!lstatSync(path).isDirectory()) return;
        chmodSync(path, 0o755);
        for (const name of readdirSync(path)) open(join(path, name));
      };
      open(base);
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('copies the tool: the program in place execute-only, files read-only, folders 0555, no links', () => {
    const outside = join(home, 'decoy');
    writeFileSync(outside, 'secret', { mode: 0o600 });
    symlinkSync(outside, join(tool(), 'node_modules/@pnpm/exe/dist/points-out'));
    const { sealed, entries } = sealTool(home, tmp, seal);
    expect(sealed).toBe(join(tmp, 'pnpm-11.28.6'));
    expect(entries).toBeGreaterThanOrEqual(9);
    const program = join(sealed, 'node_modules/@pnpm/exe/pnpm');
    expect(mode(program)).toBe(0o111);
    chmodSync(program, 0o400);
    expect(readFileSync(program, 'utf8')).toBe('ELF');
    expect(mode(join(sealed, 'node_modules/@pnpm/exe/dist/worker.js'))).toBe(0o444);
    expect(mode(join(sealed, 'node_modules/@pnpm/exe/dist/node-gyp'))).toBe(0o555);
    expect(mode(join(sealed, 'node_modules/@pnpm/exe/dist'))).toBe(0o555);
    expect(mode(sealed)).toBe(0o555);
    expect(lstatSync(join(sealed, 'node_modules/@pnpm/exe/dist/points-out'), { throwIfNoEntry: false })).toBeUndefined();
    expect(lstatSync(join(sealed, 'node_modules/.bin/pnpm'), { throwIfNoEntry: false })).toBeUndefined();
    // The source is left as it was.
    expect(readFileSync(join(tool(), 'node_modules/@pnpm/exe/pnpm'), 'utf8')).toContain('placeholder');
    expect(mode(outside)).toBe(0o600);
  });

  it('refuses a copy folder that exists already (the install user could have made it)', () => {
    mkdirSync(join(tmp, 'pnpm-11.28.6'));
    expect(() => sealTool(home, tmp, seal)).toThrow(/EEXIST/);
  });

  it('refuses a folder on the way that is a link', () => {
    rmSync(join(home, '.cache/node/corepack/v1/pnpm'), { recursive: true });
    mkdirSync(join(home, 'elsewhere/11.28.6'), { recursive: true });
    symlinkSync(join(home, 'elsewhere'), join(home, '.cache/node/corepack/v1/pnpm'));
    expect(() => sealTool(home, tmp, seal)).toThrow(ToolSealError);
  });

  it('refuses a program that is a link, or whose folder is one', () => {
    rmSync(join(tool(), 'node_modules/@pnpm/linux-x64/pnpm'));
    symlinkSync(join(home, 'x'), join(tool(), 'node_modules/@pnpm/linux-x64/pnpm'));
    expect(() => sealTool(home, tmp, seal)).toThrow(/not a regular file/);
    rmSync(join(tool(), 'node_modules/@pnpm/linux-x64'), { recursive: true });
    symlinkSync(home, join(tool(), 'node_modules/@pnpm/linux-x64'));
    expect(() => sealTool(home, tmp, seal)).toThrow(/not a folder/);
  });

  it('refuses a program whose place is no folder of the tool', () => {
    expect(() => sealTool(home, tmp, { ...seal, programs: [{ from: seal.programs[0]!.from, to: 'node_modules/missing/pnpm' }] })).toThrow(/not a folder of the tool/);
  });

  it('refuses a missing program or a tool folder that is not there', () => {
    rmSync(join(tool(), 'node_modules/@pnpm/linux-x64/pnpm'));
    expect(() => sealTool(home, tmp, seal)).toThrow(/is missing/);
    expect(() => sealTool(home, tmp, { ...seal, dir: '.cache/none', programs: [] })).toThrow(/is missing/);
  });
});
