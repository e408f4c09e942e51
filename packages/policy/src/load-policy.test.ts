import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { isSafeInstallError } from '@safe-install/schema';
import { loadPolicy, PolicyLoadError } from './load-policy.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'si-policy-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0' }));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string): void => writeFileSync(join(dir, name), text);

async function failure(promise: Promise<unknown>): Promise<PolicyLoadError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PolicyLoadError) return error;
    throw error;
  }
  throw new Error('expected a PolicyLoadError');
}

describe('loadPolicy', () => {
  it('without any policy: built-in defaults, not configured', async () => {
    const loaded = await loadPolicy({ projectDir: dir, env: {} });
    expect(loaded.source).toEqual({ kind: 'none' });
    expect(loaded.policy).toMatchObject({ mode: 'block', failOn: 'high', configured: false, packages: [] });
  });

  it.each(['safe-install.config.yaml', 'safe-install.config.yml'])('reads %s', async (name) => {
    write(name, 'version: 1\nmode: audit\npackages:\n  esbuild: true\n');
    const loaded = await loadPolicy({ projectDir: dir, env: {} });
    expect(loaded.source).toEqual({ kind: 'file', file: name });
    expect(loaded.policy).toMatchObject({ mode: 'audit', configured: true });
    expect(loaded.policy.packages.map((p) => p.spec)).toEqual(['esbuild']);
    expect(loaded.document?.mode).toBe('audit');
  });

  it('reads safe-install.config.json and the safeInstall key of package.json', async () => {
    write('safe-install.config.json', '{"version": 1, "failOn": "medium"}');
    expect((await loadPolicy({ projectDir: dir, env: {} })).policy.failOn).toBe('medium');
    rmSync(join(dir, 'safe-install.config.json'));
    write('package.json', JSON.stringify({ name: 'app', safeInstall: { version: 1, failOn: 'low' } }));
    const loaded = await loadPolicy({ projectDir: dir, env: {} });
    expect(loaded.source).toEqual({ kind: 'package.json', file: 'package.json' });
    expect(loaded.policy.failOn).toBe('low');
  });

  it('applies environment variables over the file and overrides over both', async () => {
    write('safe-install.config.yaml', 'version: 1\nmode: audit\nfailOn: low\n');
    const env = { SAFE_INSTALL_MODE: 'block', SAFE_INSTALL_FAIL_ON: 'critical' };
    expect((await loadPolicy({ projectDir: dir, env })).policy).toMatchObject({ mode: 'block', failOn: 'critical' });
    expect((await loadPolicy({ projectDir: dir, env, overrides: { mode: 'audit' } })).policy).toMatchObject({ mode: 'audit', failOn: 'critical' });
  });

  it('throws one usage error listing every problem with its position', async () => {
    write('safe-install.config.yaml', 'version: 1\nmod: audit\npackages:\n  esbuild:\n    exe: []\nignore:\n  - rule: sandbox-probe\n');
    const error = await failure(loadPolicy({ projectDir: dir, env: {} }));
    expect(isSafeInstallError(error)).toBe(true);
    expect(error.kind).toBe('usage');
    expect(error.code).toBe('POLICY_INVALID');
    expect(error.message).toBe(
      [
        'invalid policy (3 errors):',
        '  safe-install.config.yaml:2:1: unknown key "mod" (did you mean "mode"?)',
        '  safe-install.config.yaml:5:5: packages.esbuild: unknown key "exe" (did you mean "exec"?)',
        '  safe-install.config.yaml:7:5: ignore[0]: missing required key "reason"',
      ].join('\n'),
    );
    expect(error.issues).toHaveLength(3);
    expect(error.hint).toContain('policy.schema.json');
  });

  it('refuses two policy sources', async () => {
    write('safe-install.config.yaml', 'version: 1\n');
    write('package.json', JSON.stringify({ name: 'app', safeInstall: { version: 1 } }));
    const error = await failure(loadPolicy({ projectDir: dir, env: {} }));
    expect(error.code).toBe('POLICY_AMBIGUOUS');
    expect(error.message).toBe(`more than one policy in ${dir}: safe-install.config.yaml, package.json "safeInstall"`);
  });

  it('an explicit policy file replaces the search; a missing one is an error', async () => {
    write('safe-install.config.yaml', 'version: 1\n');
    write('ci-policy.yml', 'version: 1\nmode: audit\n');
    expect((await loadPolicy({ projectDir: dir, env: {}, overrides: { policyFile: 'ci-policy.yml' } })).policy.mode).toBe('audit');
    expect((await failure(loadPolicy({ projectDir: dir, env: {}, overrides: { policyFile: 'nope.yaml' } }))).code).toBe('POLICY_NOT_FOUND');
    expect((await failure(loadPolicy({ projectDir: dir, env: {}, overrides: { policyFile: 'policy.toml' } }))).message).toBe(
      'policy.toml: a policy file must end in .json, .yaml or .yml',
    );
  });

  it('refuses a bad environment value', async () => {
    const error = await failure(loadPolicy({ projectDir: dir, env: { SAFE_INSTALL_FAIL_ON: 'urgent' } }));
    expect(error.code).toBe('POLICY_ENV_INVALID');
    expect(error.message).toBe('SAFE_INSTALL_FAIL_ON must be one of info, low, medium, high, critical, got "urgent"');
  });

  it('refuses an oversized policy file without reading it whole', async () => {
    write('safe-install.config.yaml', `version: 1\n#${'x'.repeat(2 * 1024 * 1024)}`);
    const error = await failure(loadPolicy({ projectDir: dir, env: {} }));
    expect(error.message).toMatch(/^invalid policy:\n {2}safe-install\.config\.yaml:1:1: the file is \d+ bytes; the limit is 1048576$/);
  });

  it('imports npm, pnpm and LavaMoat allowances: such a project needs no safe-install config', async () => {
    write(
      'package.json',
      JSON.stringify({ name: 'app', allowScripts: { 'esbuild@0.25.12': true }, pnpm: { onlyBuiltDependencies: ['sharp'] }, lavamoat: { allowScripts: { 'a>keccak': true } } }),
    );
    write('pnpm-workspace.yaml', 'packages: ["packages/*"]\nallowBuilds:\n  core-js: false\n');
    const loaded = await loadPolicy({ projectDir: dir, env: {} });
    expect(loaded.source).toEqual({ kind: 'none' });
    expect(loaded.policy.configured).toBe(true);
    expect(loaded.policy.packages.map((p) => [p.name, p.allow, p.origin.kind, p.origin.file])).toEqual([
      ['esbuild', true, 'npm-allowScripts', 'package.json'],
      ['sharp', true, 'pnpm', 'package.json'],
      ['keccak', true, 'lavamoat', 'package.json'],
      ['core-js', false, 'pnpm', 'pnpm-workspace.yaml'],
    ]);
  });

  it('a broken pnpm-workspace.yaml is a warning, a broken package.json an error', async () => {
    write('pnpm-workspace.yaml', 'packages: [\n');
    const loaded = await loadPolicy({ projectDir: dir, env: {} });
    expect(loaded.warnings).toEqual([
      'pnpm-workspace.yaml:2:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ] (pnpm allowances in it are not imported)',
    ]);
    write('package.json', '{"name": ');
    expect((await failure(loadPolicy({ projectDir: dir, env: {} }))).message).toBe('invalid policy (1 error):\n  package.json:1:10: JSON syntax error: unexpected end of input');
  });

  it('records where the policy lives, as an absolute path, with the text it read', async () => {
    const relativeDir = relative(process.cwd(), dir);
    expect((await loadPolicy({ projectDir: relativeDir, env: {} })).location).toEqual({ path: join(dir, 'safe-install.config.yaml'), format: 'yaml', text: null });
    write('safe-install.config.yml', 'version: 1 # ours\n');
    expect((await loadPolicy({ projectDir: relativeDir, env: {} })).location).toEqual({ path: join(dir, 'safe-install.config.yml'), format: 'yaml', text: 'version: 1 # ours\n' });
    rmSync(join(dir, 'safe-install.config.yml'));
    const manifest = '{"name": "app", "safeInstall": {"version": 1}}';
    write('package.json', manifest);
    expect((await loadPolicy({ projectDir: relativeDir, env: {} })).location).toEqual({ path: join(dir, 'package.json'), format: 'package.json', text: manifest });
  });

  describe('an explicit policy (--policy)', () => {
    it('may live outside the project, is validated as usual, and its errors name it', async () => {
      const outside = mkdtempSync(join(tmpdir(), 'si-policy-outside-'));
      try {
        const file = join(outside, 'org-policy.json');
        writeFileSync(file, '{"version": 1, "failOn": "low"}');
        const loaded = await loadPolicy({ projectDir: dir, env: {}, overrides: { policyFile: file } });
        expect(loaded.policy.failOn).toBe('low');
        expect(loaded.location).toEqual({ path: file, format: 'json', text: '{"version": 1, "failOn": "low"}' });
        expect(loaded.policy.sources).toContain(file);
        writeFileSync(file, '{"version": 1, "failOn": "urgent"}');
        const error = await failure(loadPolicy({ projectDir: dir, env: {}, overrides: { policyFile: file } }));
        expect(error.code).toBe('POLICY_INVALID');
        expect(error.message).toBe(`invalid policy (1 error):\n  ${file}:1:26: failOn: expected one of info, low, medium, high, critical, got "urgent"`);
        const missing = await failure(loadPolicy({ projectDir: dir, env: {}, overrides: { policyFile: join(outside, 'nope.yaml') } }));
        expect(missing.message).toBe(`policy file ${join(outside, 'nope.yaml')} does not exist`);
        expect(missing.hint).toBe('check the path given with --policy');
        mkdirSync(join(outside, 'dir.yaml'));
        const folder = await failure(loadPolicy({ projectDir: dir, env: {}, overrides: { policyFile: join(outside, 'dir.yaml') } }));
        expect(folder.message).toBe(`${join(outside, 'dir.yaml')} is not a regular file`);
      } finally {
        rmSync(outside, { recursive: true, force: true });
      }
    });

    it('a package.json names its "safeInstall" key, even beside another policy file', async () => {
      write('safe-install.config.yaml', 'version: 1\n');
      write('package.json', JSON.stringify({ name: 'app', safeInstall: { version: 1, mode: 'audit' } }));
      const loaded = await loadPolicy({ projectDir: dir, env: {}, overrides: { policyFile: 'package.json' } });
      expect(loaded.policy.mode).toBe('audit');
      expect(loaded.source).toEqual({ kind: 'package.json', file: 'package.json' });
      expect(loaded.location.format).toBe('package.json');
      write('package.json', JSON.stringify({ name: 'app', safeInstall: { version: 1, mod: 'audit' } }));
      expect((await failure(loadPolicy({ projectDir: dir, env: {}, overrides: { policyFile: 'package.json' } }))).message).toBe(
        'invalid policy (1 error):\n  package.json:1:42: safeInstall: unknown key "mod" (did you mean "mode"?)',
      );
      write('package.json', JSON.stringify({ name: 'app' }));
      const none = await failure(loadPolicy({ projectDir: dir, env: {}, overrides: { policyFile: 'package.json' } }));
      expect([none.code, none.message]).toEqual(['POLICY_NOT_FOUND', 'package.json has no "safeInstall" key']);
    });
  });

  it('with allowances given (a saved trace\'s), reads neither package.json nor pnpm-workspace.yaml', async () => {
    // Both broken: read, either would be an error or a warning.
    write('package.json', '{"name": ');
    write('pnpm-workspace.yaml', 'packages: [\n');
    write('new.yaml', 'version: 1\nfailOn: critical\n');
    const origin = { kind: 'npm-allowScripts' as const, file: 'package.json' };
    const interop = { rules: [{ spec: 'esbuild', name: 'esbuild', range: null, allow: true, scripts: null, exec: [], write: [], network: [], env: [], origin }], allowAll: null, warnings: [] };
    const loaded = await loadPolicy({ projectDir: dir, env: {}, overrides: { policyFile: 'new.yaml' }, interop });
    expect(loaded.warnings).toEqual([]);
    expect(loaded.policy.failOn).toBe('critical');
    expect(loaded.policy.packages.map((p) => [p.name, p.origin.kind])).toEqual([['esbuild', 'npm-allowScripts']]);
  });
});
