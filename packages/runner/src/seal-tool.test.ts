import { chmodSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sealTool, ToolSealError } from './seal-tool.js';

const me = { uid: process.getuid!(), gid: process.getgid!() };
const mode = (path: string) => lstatSync(path).mode & 0o7777;

describe('sealTool', () => {
  let home: string;
  const dir = '.cache/node/corepack/v1/pnpm/11.28.6';
  const seal = { dir, programs: [{ from: 'node_modules/@pnpm/linux-x64/pnpm', to: 'node_modules/@pnpm/exe/pnpm' }] };
  const tool = () => join(home, dir);

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'seal-'));
    mkdirSync(join(tool(), 'node_modules/@pnpm/linux-x64'), { recursive: true });
    mkdirSync(join(tool(), 'node_modules/@pnpm/exe/dist'), { recursive: true });
    mkdirSync(join(tool(), 'node_modules/.bin'), { recursive: true });
    writeFileSync(join(tool(), 'node_modules/@pnpm/linux-x64/pnpm'), 'ELF');
    chmodSync(join(tool(), 'node_modules/@pnpm/linux-x64/pnpm'), 0o755);
    writeFileSync(join(tool(), 'node_modules/@pnpm/exe/pnpm'), '#!/bin/sh\necho placeholder\n', { mode: 0o755 });
    writeFileSync(join(tool(), 'node_modules/@pnpm/exe/dist/worker.js'), 'code', { mode: 0o644 });
    symlinkSync('../@pnpm/exe/pnpm', join(tool(), 'node_modules/.bin/pnpm'));
  });
  afterEach(() => {
    // Sealed folders are read-only for their owner too.
    chmodSync(home, 0o755);
    rmSync(home, { recursive: true, force: true });
  });

  it('puts the program in place execute-only, files read-only, folders 0555, links not followed', () => {
    const outside = join(home, 'decoy');
    writeFileSync(outside, 'secret', { mode: 0o600 });
    symlinkSync(outside, join(tool(), 'node_modules/@pnpm/exe/dist/points-out'));
    const { entries } = sealTool(home, seal, me);
    expect(entries).toBeGreaterThanOrEqual(9);
    const program = join(tool(), 'node_modules/@pnpm/exe/pnpm');
    expect(mode(program)).toBe(0o111);
    expect(lstatSync(program).ino).toBe(lstatSync(join(tool(), 'node_modules/@pnpm/linux-x64/pnpm')).ino);
    expect(mode(join(tool(), 'node_modules/@pnpm/exe/dist/worker.js'))).toBe(0o444);
    expect(mode(join(tool(), 'node_modules/@pnpm/exe/dist'))).toBe(0o555);
    expect(mode(tool())).toBe(0o555);
    // The link's target keeps its mode: the walk re-owns the link itself only.
    expect(mode(outside)).toBe(0o600);
    expect(readFileSync(outside, 'utf8')).toBe('secret');
  });

  it('refuses a folder on the way that is a link', () => {
    rmSync(join(home, '.cache/node/corepack/v1/pnpm'), { recursive: true });
    mkdirSync(join(home, 'elsewhere/11.28.6'), { recursive: true });
    symlinkSync(join(home, 'elsewhere'), join(home, '.cache/node/corepack/v1/pnpm'));
    expect(() => sealTool(home, seal, me)).toThrow(ToolSealError);
  });

  it('refuses a program that is a link, or whose folder is one', () => {
    rmSync(join(tool(), 'node_modules/@pnpm/linux-x64/pnpm'));
    symlinkSync(join(home, 'x'), join(tool(), 'node_modules/@pnpm/linux-x64/pnpm'));
    expect(() => sealTool(home, seal, me)).toThrow(/not a regular file/);
    rmSync(join(tool(), 'node_modules/@pnpm/exe'), { recursive: true });
    symlinkSync(home, join(tool(), 'node_modules/@pnpm/exe'));
    writeFileSync(join(tool(), 'node_modules/@pnpm/linux-x64/real'), 'ELF');
    expect(() => sealTool(home, { dir, programs: [{ from: 'node_modules/@pnpm/linux-x64/real', to: 'node_modules/@pnpm/exe/pnpm' }] }, me)).toThrow(/not a folder/);
  });

  it('refuses a file with another name outside the tool (its re-owning would reach there)', () => {
    const outside = join(home, 'other');
    writeFileSync(outside, 'x');
    linkSync(outside, join(tool(), 'node_modules/@pnpm/exe/dist/twin'));
    expect(() => sealTool(home, seal, me)).toThrow(/another name elsewhere/);
  });

  it('refuses a missing program or a tool folder that is not there', () => {
    rmSync(join(tool(), 'node_modules/@pnpm/linux-x64/pnpm'));
    expect(() => sealTool(home, seal, me)).toThrow(/is missing/);
    expect(() => sealTool(home, { dir: '.cache/none', programs: [] }, me)).toThrow(/is missing/);
  });
});
