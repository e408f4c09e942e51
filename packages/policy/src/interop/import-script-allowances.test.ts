import { importScriptAllowances } from './import-script-allowances.js';

const rules = (r: ReturnType<typeof importScriptAllowances>): Array<[string, string | null, boolean, string]> =>
  r.rules.map((x) => [x.name, x.range, x.allow, x.origin.kind]);

describe('npm allowScripts (npm 11+)', () => {
  it('imports names, pins and exact-version disjunctions, allow and deny', () => {
    const r = importScriptAllowances({
      packageJson: { allowScripts: { esbuild: true, 'sharp@0.33.5': true, '@swc/core@1.13.5 || 1.13.6': true, 'core-js@*': true, telemetry: false } },
      pnpmWorkspace: null,
    });
    expect(rules(r)).toEqual([
      ['esbuild', null, true, 'npm-allowScripts'],
      ['sharp', '0.33.5', true, 'npm-allowScripts'],
      ['@swc/core', '1.13.5 || 1.13.6', true, 'npm-allowScripts'],
      ['core-js', null, true, 'npm-allowScripts'],
      ['telemetry', null, false, 'npm-allowScripts'],
    ]);
    expect(r.warnings).toEqual([]);
  });

  it('ignores, with a warning, what npm ignores: ranges, tags, non-boolean values; and what a trace cannot match', () => {
    const r = importScriptAllowances({
      packageJson: { allowScripts: { 'esbuild@^0.25.0': true, 'sharp@latest': true, canvas: 'yes', 'git+https://github.com/o/r.git': true, 'file:../local': true } },
      pnpmWorkspace: null,
    });
    expect(r.rules).toEqual([]);
    expect(r.warnings).toEqual([
      'package.json allowScripts: "esbuild@^0.25.0" uses a semver range; like npm, only exact versions joined by "||" (or the bare name) are accepted; ignored',
      'package.json allowScripts: "sharp@latest" "latest" is not a valid semver range; ignored',
      'package.json allowScripts: "canvas" must be true or false; ignored',
      'package.json allowScripts: "git+https://github.com/o/r.git" is a git, file, URL or alias spec, which a trace cannot match (it records name@version); ignored',
      'package.json allowScripts: "file:../local" is a git, file, URL or alias spec, which a trace cannot match (it records name@version); ignored',
    ]);
  });
});

describe('pnpm', () => {
  it('imports onlyBuiltDependencies, ignored/neverBuiltDependencies and allowBuilds from package.json', () => {
    const r = importScriptAllowances({
      packageJson: {
        pnpm: {
          onlyBuiltDependencies: ['esbuild', 'sharp@0.33.5 || 0.34.1'],
          ignoredBuiltDependencies: ['core-js'],
          neverBuiltDependencies: ['fsevents'],
          allowBuilds: { '@parcel/watcher': true, protobufjs: false, ghooks: 'warn' },
        },
      },
      pnpmWorkspace: null,
    });
    expect(rules(r)).toEqual([
      ['esbuild', null, true, 'pnpm'],
      ['sharp', '0.33.5 || 0.34.1', true, 'pnpm'],
      ['fsevents', null, false, 'pnpm'],
      ['core-js', null, false, 'pnpm'],
      ['@parcel/watcher', null, true, 'pnpm'],
      ['protobufjs', null, false, 'pnpm'],
    ]);
    expect(r.allowAll).toBeNull();
  });

  it("imports Bun's trustedDependencies from package.json (allow), and nothing of Bun's from pnpm-workspace.yaml", () => {
    const r = importScriptAllowances({ packageJson: { trustedDependencies: ['core-js', 'cpu-features', 'x@^1', 7] }, pnpmWorkspace: { trustedDependencies: ['esbuild'] } });
    expect(rules(r)).toEqual([
      ['core-js', null, true, 'bun'],
      ['cpu-features', null, true, 'bun'],
    ]);
    expect(r.warnings).toHaveLength(2);
  });

  it('imports the same keys from pnpm-workspace.yaml, and dangerouslyAllowAllBuilds', () => {
    const r = importScriptAllowances({
      packageJson: null,
      pnpmWorkspace: { packages: ['packages/*'], allowBuilds: { esbuild: true }, dangerouslyAllowAllBuilds: true, onlyBuiltDependenciesFile: 'x.json' },
    });
    expect(rules(r)).toEqual([['esbuild', null, true, 'pnpm']]);
    expect(r.allowAll).toEqual({ kind: 'pnpm', file: 'pnpm-workspace.yaml' });
    expect(r.warnings).toEqual([
      'pnpm-workspace.yaml onlyBuiltDependenciesFile: not read by safe-install; list the packages in onlyBuiltDependencies or allowBuilds',
      'pnpm-workspace.yaml dangerouslyAllowAllBuilds: every package may run install scripts; the behaviour rules still apply',
    ]);
  });

  it('reads this repository\'s own configuration shape', () => {
    const r = importScriptAllowances({ packageJson: { pnpm: { ignoredBuiltDependencies: ['@parcel/watcher', 'cpu-features', 'protobufjs', 'ssh2'] } }, pnpmWorkspace: null });
    expect(r.rules.every((x) => !x.allow)).toBe(true);
    expect(r.rules).toHaveLength(4);
  });
});

describe('LavaMoat allow-scripts', () => {
  it('takes the package at the end of each dependency path', () => {
    const r = importScriptAllowances({
      packageJson: { lavamoat: { allowScripts: { $root$: true, keccak: true, 'webpack>watchpack>chokidar>fsevents': false, '@lavamoat/preinstall-always-fail': false, 'a>Bad Name': true } } },
      pnpmWorkspace: null,
    });
    expect(rules(r)).toEqual([
      ['keccak', null, true, 'lavamoat'],
      ['fsevents', null, false, 'lavamoat'],
      ['@lavamoat/preinstall-always-fail', null, false, 'lavamoat'],
    ]);
    expect(r.warnings).toEqual(['package.json lavamoat.allowScripts: "a>Bad Name" does not end in a package name; ignored']);
  });
});

describe('nothing to import', () => {
  it('returns no rules for a plain project', () => {
    const r = importScriptAllowances({ packageJson: { name: 'app', dependencies: { express: '^4' } }, pnpmWorkspace: null });
    expect(r).toEqual({ rules: [], allowAll: null, warnings: [] });
  });

  it('tolerates wrong shapes with warnings', () => {
    const r = importScriptAllowances({ packageJson: { allowScripts: ['esbuild'], pnpm: { onlyBuiltDependencies: 'esbuild', allowBuilds: [] }, lavamoat: { allowScripts: 1 } }, pnpmWorkspace: null });
    expect(r.rules).toEqual([]);
    expect(r.warnings).toHaveLength(4);
  });
});
