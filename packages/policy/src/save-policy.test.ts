import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { isSafeInstallError } from '@safe-install/schema';
import { loadPolicy } from './load-policy.js';
import { learnIntoPolicy } from './save-policy.js';
import { CONTEXT, DECOYS, judge, sha256, Trace } from './testing/synthetic-trace.js';

let root: string;
let project: string;
let elsewhere: string;
let cwd: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'si-save-policy-'));
  project = join(root, 'project');
  elsewhere = join(root, 'elsewhere');
  mkdirSync(project);
  mkdirSync(elsewhere);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0' }));
  // Every test runs from another folder than the project: nothing may land here.
  cwd = process.cwd();
  process.chdir(elsewhere);
});
afterEach(() => {
  expect(readdirSync(elsewhere)).toEqual([]);
  process.chdir(cwd);
  rmSync(root, { recursive: true, force: true });
});

const write = (name: string, text: string): void => writeFileSync(join(project, name), text);
const read = (name: string): string => readFileSync(join(project, name), 'utf8');

/** esbuild's postinstall runs its binary; sharp's runs a check. Both new to the policies below. */
function install(...packages: Array<'esbuild' | 'sharp'>): Trace {
  const t = new Trace();
  if (packages.includes('esbuild')) {
    const s = t.script('esbuild@0.25.12', 'postinstall', 'node install.js');
    s.run('/usr/local/bin/node', ['node', 'install.js']);
  }
  if (packages.includes('sharp')) t.script('sharp@0.33.5', 'install', 'node install/check');
  return t;
}

async function learn(t: Trace, overrides: { policyFile?: string } = {}, projectDir = project) {
  const loaded = await loadPolicy({ projectDir, env: {}, overrides });
  return learnIntoPolicy(loaded, t.events, { context: CONTEXT, decoys: DECOYS });
}

/** The policy the next run loads: exactly one source, and it passes the trace it was learned from. */
async function nextRun(t: Trace) {
  const loaded = await loadPolicy({ projectDir: project, env: {} });
  expect(judge(t, loaded.policy).findings).toEqual([]);
  return loaded;
}

async function refusal(promise: Promise<unknown>): Promise<Error & { code: string }> {
  try {
    await promise;
  } catch (error) {
    if (isSafeInstallError(error)) return error as Error & { code: string };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('learnIntoPolicy', () => {
  it('with no policy, writes safe-install.config.yaml into the project, not the current folder', async () => {
    const t = install('esbuild');
    const saved = await learn(t, {}, relative(elsewhere, project));
    expect(saved.path).toBe(join(project, 'safe-install.config.yaml'));
    expect(saved.written).toBe(true);
    expect(read('safe-install.config.yaml')).toBe(saved.learned.yamlText);
    expect((await nextRun(t)).source).toEqual({ kind: 'file', file: 'safe-install.config.yaml' });
  });

  it('updates an existing YAML policy in the project from another folder, keeping its comments', async () => {
    const yaml = [
      '# Our policy. Reviewed by the security team.',
      'version: 1',
      'mode: block # never audit in CI',
      'packages:',
      '  # the image library',
      '  sharp@0.33.5: true',
      '',
    ].join('\n');
    write('safe-install.config.yaml', yaml);
    const t = install('esbuild', 'sharp');
    const saved = await learn(t);
    expect(saved.path).toBe(join(project, 'safe-install.config.yaml'));
    const text = read('safe-install.config.yaml');
    expect(text.startsWith('# Our policy. Reviewed by the security team.\nversion: 1\nmode: block # never audit in CI\npackages:\n  # the image library\n  sharp@0.33.5: true\n')).toBe(true);
    expect(text).toContain('  # esbuild@0.25.12 postinstall ran `node install.js`\n  esbuild@0.25.12:\n');
    await nextRun(t);
  });

  it.each(['safe-install.config.yml', 'safe-install.config.json'])('keeps %s under its own name and format', async (name) => {
    write(name, name.endsWith('.json') ? '{\n\t"version": 1,\n\t"packages": {"sharp@0.33.5": true}\n}\n' : 'version: 1 # ours\npackages:\n  sharp@0.33.5: true\n');
    const t = install('esbuild', 'sharp');
    const saved = await learn(t);
    expect(saved.path).toBe(join(project, name));
    expect(readdirSync(project).sort()).toEqual([name, 'package.json'].sort());
    const text = read(name);
    if (name.endsWith('.json')) {
      // JSON stays JSON, in the file's own indentation (a tab), with the keys in their order.
      expect(JSON.parse(text)).toEqual({ version: 1, packages: { 'sharp@0.33.5': true, 'esbuild@0.25.12': { scripts: { postinstall: `sha256:${sha256('node install.js')}` } } } });
      expect(text).toMatch(/^\{\n\t"version": 1,\n\t"packages": \{\n\t\t"sharp@0\.33\.5": true,\n/);
      expect(text.endsWith('}\n')).toBe(true);
    } else {
      expect(text.startsWith('version: 1 # ours\n')).toBe(true);
    }
    expect((await nextRun(t)).source).toEqual({ kind: 'file', file: name });
  });

  it('updates a package.json "safeInstall" policy in place: no second policy file, the rest of package.json byte for byte', async () => {
    const before = '{\n    "name": "app",\n    "version": "1.0.0",\n    "safeInstall": {\n        "version": 1,\n        "packages": { "sharp@0.33.5": true }\n    },\n    "scripts": { "test": "jest" },\n    "config": { "safeInstall": "not the policy" }\n}\n';
    write('package.json', before);
    const t = install('esbuild', 'sharp');
    const saved = await learn(t);
    expect(saved.path).toBe(join(project, 'package.json'));
    expect(readdirSync(project)).toEqual(['package.json']);
    const after = read('package.json');
    const start = before.indexOf('"safeInstall": {') + '"safeInstall": '.length;
    const end = before.indexOf('    },\n    "scripts"') + '    }'.length;
    // Only the value of the top-level key changed.
    expect(after.slice(0, start)).toBe(before.slice(0, start));
    expect(after.endsWith(before.slice(end))).toBe(true);
    expect(after.slice(start, after.length - (before.length - end))).toBe(
      [
        '{',
        '        "version": 1,',
        '        "packages": {',
        '            "sharp@0.33.5": true,',
        '            "esbuild@0.25.12": {',
        '                "scripts": {',
        `                    "postinstall": "sha256:${sha256('node install.js')}"`,
        '                }',
        '            }',
        '        }',
        '    }',
      ].join('\n'),
    );
    // The next run finds one policy (not POLICY_AMBIGUOUS) and it passes.
    expect((await nextRun(t)).source).toEqual({ kind: 'package.json', file: 'package.json' });
  });

  it('keeps a package.json on one line on one line, and CRLF line endings as CRLF', async () => {
    write('package.json', '{"name":"app","safeInstall":{"version":1},"private":true}');
    const t = install('sharp');
    await learn(t);
    expect(read('package.json')).toBe(`{"name":"app","safeInstall":{"version":1,"packages":{"sharp@0.33.5":{"scripts":{"install":"sha256:${sha256('node install/check')}"}}}},"private":true}`);
    await nextRun(t);

    write('package.json', '{\r\n  "name": "app",\r\n  "safeInstall": {\r\n    "version": 1\r\n  }\r\n}\r\n');
    await learn(t);
    const crlf = read('package.json');
    expect(crlf.replace(/\r\n/g, '')).not.toContain('\n');
    expect(crlf).toContain('\r\n  "safeInstall": {\r\n    "version": 1,\r\n    "packages": {\r\n      "sharp@0.33.5": {\r\n');
    await nextRun(t);
  });

  it('replaces the value of the top-level key only, whatever else in package.json looks like it', async () => {
    // A byte order mark, the key's name in a string and in a nested object first, the key spelled with an escape.
    const head = '\uFEFF{"description": "see \\"safeInstall\\": {}", "config": {"safeInstall": {"version": 1}}, "safe\\u0049nstall": ';
    const tail = ', "z": "}"}';
    write('package.json', `${head}{"version": 1}${tail}`);
    const t = install('sharp');
    await learn(t);
    const after = read('package.json');
    expect(after.startsWith(head)).toBe(true);
    expect(after.endsWith(tail)).toBe(true);
    expect(JSON.parse(after.slice(head.length, after.length - tail.length))).toEqual({ version: 1, packages: { 'sharp@0.33.5': { scripts: { install: `sha256:${sha256('node install/check')}` } } } });
    await nextRun(t);
  });

  it('leaves the file alone (not even rewritten) when the policy already allows the run', async () => {
    write('package.json', '{ "name": "app", "safeInstall": { "version": 1, "packages": { "sharp@0.33.5": true } } }');
    const mtime = statSync(join(project, 'package.json')).mtimeMs;
    const saved = await learn(install('sharp'));
    expect(saved.written).toBe(false);
    expect(statSync(join(project, 'package.json')).mtimeMs).toBe(mtime);
  });

  it('keeps the file mode of the policy it replaces', async () => {
    write('safe-install.config.yaml', 'version: 1\n');
    chmodSync(join(project, 'safe-install.config.yaml'), 0o640);
    await learn(install('sharp'));
    expect(statSync(join(project, 'safe-install.config.yaml')).mode & 0o777).toBe(0o640);
  });

  describe('--policy FILE', () => {
    it('learns into the file named, outside the project too, with no discovery', async () => {
      // Two policies in the project: ambiguous without --policy.
      write('safe-install.config.yaml', 'version: 1\n');
      write('package.json', JSON.stringify({ name: 'app', safeInstall: { version: 1 } }));
      const t = install('sharp');
      expect((await refusal(learn(t))).code).toBe('POLICY_AMBIGUOUS');
      const shared = join(root, 'shared-policy.yaml');
      writeFileSync(shared, '# shared by every service\nversion: 1\n');
      const saved = await learn(t, { policyFile: shared });
      expect(saved.path).toBe(shared);
      expect(readFileSync(shared, 'utf8')).toMatch(/^# shared by every service\nversion: 1\npackages:\n {2}# sharp@0\.33\.5 install ran/);
      expect(read('safe-install.config.yaml')).toBe('version: 1\n');
    });

    it('a package.json names the policy under its "safeInstall" key', async () => {
      write('safe-install.config.yaml', 'version: 1\n');
      write('package.json', '{\n  "name": "app",\n  "safeInstall": {\n    "version": 1\n  }\n}\n');
      const t = install('sharp');
      const saved = await learn(t, { policyFile: 'package.json' });
      expect(saved.path).toBe(join(project, 'package.json'));
      expect(JSON.parse(read('package.json')).safeInstall.packages).toEqual({ 'sharp@0.33.5': { scripts: { install: `sha256:${sha256('node install/check')}` } } });
      expect(read('safe-install.config.yaml')).toBe('version: 1\n');
    });
  });

  describe('refuses rather than lose an edit', () => {
    it('a policy that changed while the install ran is not overwritten', async () => {
      write('safe-install.config.yaml', 'version: 1\n');
      const loaded = await loadPolicy({ projectDir: project, env: {} });
      write('safe-install.config.yaml', 'version: 1\nmode: audit # edited during the run\n');
      const error = await refusal(learnIntoPolicy(loaded, install('sharp').events, { context: CONTEXT, decoys: DECOYS }));
      expect(error.code).toBe('POLICY_NOT_WRITTEN');
      expect(error.message).toBe(`${join(project, 'safe-install.config.yaml')} changed while the install ran; the learned policy was not written`);
      expect(read('safe-install.config.yaml')).toBe('version: 1\nmode: audit # edited during the run\n');
    });

    it('a policy file that appeared during the run is not overwritten', async () => {
      const loaded = await loadPolicy({ projectDir: project, env: {} });
      write('safe-install.config.yaml', '# written by someone else\nversion: 1\n');
      expect((await refusal(learnIntoPolicy(loaded, install('sharp').events, { context: CONTEXT, decoys: DECOYS }))).code).toBe('POLICY_NOT_WRITTEN');
      expect(read('safe-install.config.yaml')).toBe('# written by someone else\nversion: 1\n');
    });

    it('never writes through a symbolic link', async () => {
      const target = join(root, 'target.yaml');
      writeFileSync(target, 'version: 1\n');
      symlinkSync(target, join(project, 'safe-install.config.yaml'));
      const error = await refusal(learn(install('sharp')));
      expect(error.code).toBe('POLICY_NOT_WRITTEN');
      expect(error.message).toContain('is a symbolic link');
      expect(readFileSync(target, 'utf8')).toBe('version: 1\n');
      expect(readdirSync(project).sort()).toEqual(['package.json', 'safe-install.config.yaml']);
    });
  });

  it('leaves no temporary file behind', async () => {
    write('safe-install.config.yaml', 'version: 1\n');
    await learn(install('sharp'));
    expect(readdirSync(project).sort()).toEqual(['package.json', 'safe-install.config.yaml']);
    expect(existsSync(join(elsewhere, 'safe-install.config.yaml'))).toBe(false);
  });
});
