import { applyAllowScriptsDecision, packageJsonWithAllowScripts } from './allow-scripts-writer.js';
import { approveKey, denyKey, npmScriptVerdict, scriptCandidates, type ScriptCandidate } from './npm-allow-scripts.js';

const R = 'https://registry.example/';

const LOCK = {
  lockfileVersion: 3,
  packages: {
    '': { name: 'app', version: '1.0.0' },
    'node_modules/foo': { version: '1.0.1', resolved: `${R}foo/-/foo-1.0.1.tgz`, hasInstallScript: true },
    'node_modules/bar/node_modules/foo': { version: '2.0.0', resolved: `${R}foo/-/foo-2.0.0.tgz`, hasInstallScript: true },
    'node_modules/@s/addon': { version: '3.0.0', resolved: `${R}@s/addon/-/addon-3.0.0.tgz`, hasInstallScript: true },
    'node_modules/nores': { version: '1.0.0', hasInstallScript: true },
    'node_modules/local': { version: '1.0.0', resolved: 'file:vendor/local-1.0.0.tgz', hasInstallScript: true },
    'node_modules/from-git': { version: '1.0.0', resolved: 'git+ssh://git@github.com/acme/from-git.git#0123456789abcdef0123456789abcdef01234567', hasInstallScript: true },
    'node_modules/self-git': { version: '1.0.0', resolved: 'git+https://git.acme.example/x/self-git.git#0123456789abcdef0123456789abcdef01234567', hasInstallScript: true },
  },
};
const ALL = scriptCandidates(LOCK);
const at = (path: string): ScriptCandidate => {
  const found = ALL.find((c) => c.path === `node_modules/${path}`);
  if (found === undefined) throw new Error(path);
  return found;
};

describe('approveKey / denyKey: the entries npm install-scripts approve and deny write', () => {
  it('pins registry packages by the name@version of resolved; denies by name', () => {
    expect(approveKey(at('foo'))).toBe('foo@1.0.1');
    expect(approveKey(at('@s/addon'))).toBe('@s/addon@3.0.0');
    expect(denyKey(at('foo'))).toBe('foo');
    expect(denyKey(at('@s/addon'))).toBe('@s/addon');
  });
  it('without resolved: the bare name (npm cannot pin); file: by resolved; hosted git by owner/repo#commit; others none', () => {
    expect(approveKey(at('nores'))).toBe('nores');
    expect(approveKey(at('local'))).toBe('file:vendor/local-1.0.0.tgz');
    expect(denyKey(at('local'))).toBe('file:vendor/local-1.0.0.tgz');
    expect(approveKey(at('from-git'))).toBe('github:acme/from-git#0123456789abcdef0123456789abcdef01234567');
    expect(denyKey(at('from-git'))).toBe('github:acme/from-git');
    expect(approveKey(at('self-git'))).toBeNull();
  });
  it('every key written matches its package in npm\'s own gate (round trip)', () => {
    for (const pkg of ALL) {
      const allow = approveKey(pkg);
      if (allow !== null) expect([pkg.path, npmScriptVerdict(pkg, { [allow]: true })]).toEqual([pkg.path, true]);
      const deny = denyKey(pkg);
      if (deny !== null) expect([pkg.path, npmScriptVerdict(pkg, { [deny]: false })]).toEqual([pkg.path, false]);
    }
  });
});

describe('applyAllowScriptsDecision: npm\'s writer rules', () => {
  it('approve adds the pin and keeps every other entry in order', () => {
    const edit = applyAllowScriptsDecision({ esbuild: true, 'x@1.0.0': false }, 'approve', at('foo'), ALL);
    expect(Object.entries(edit.allowScripts)).toEqual([['esbuild', true], ['x@1.0.0', false], ['foo@1.0.1', true]]);
    expect(edit.changes).toEqual([{ key: 'foo@1.0.1', change: 'added' }]);
  });
  it('a version bump replaces the stale pin; the pin of another installed version stays', () => {
    const edit = applyAllowScriptsDecision({ 'foo@1.0.0': true, 'foo@2.0.0': true, keep: true }, 'approve', at('foo'), ALL);
    expect(Object.keys(edit.allowScripts)).toEqual(['foo@2.0.0', 'keep', 'foo@1.0.1']);
    expect(edit.changes).toEqual([{ key: 'foo@1.0.0', change: 'removed-stale' }, { key: 'foo@1.0.1', change: 'added' }]);
  });
  it('a name-only allow goes once every installed version is pinned', () => {
    const first = applyAllowScriptsDecision({ foo: true }, 'approve', at('foo'), ALL);
    expect(first.allowScripts).toEqual({ foo: true, 'foo@1.0.1': true });
    const second = applyAllowScriptsDecision(first.allowScripts, 'approve', at('bar/node_modules/foo'), ALL);
    expect(second.allowScripts).toEqual({ 'foo@1.0.1': true, 'foo@2.0.0': true });
    expect(second.changes.at(-1)).toEqual({ key: 'foo', change: 'replaced-by-pin' });
  });
  it('a deny in the way wins: nothing changes and the warning names the entry', () => {
    const edit = applyAllowScriptsDecision({ 'foo@0.9.0': false }, 'approve', at('foo'), ALL);
    expect(edit.allowScripts).toEqual({ 'foo@0.9.0': false });
    expect(edit.changes).toEqual([]);
    expect(edit.warning).toMatch(/foo@0\.9\.0 is denied/);
  });
  it('deny is by name and removes the package\'s other entries, not another package\'s', () => {
    const edit = applyAllowScriptsDecision({ 'foo@1.0.0': true, 'foobar@1.0.0': true, '@s/addon@3.0.0': true }, 'deny', at('foo'), ALL);
    expect(edit.allowScripts).toEqual({ 'foobar@1.0.0': true, '@s/addon@3.0.0': true, foo: false });
    const scoped = applyAllowScriptsDecision({}, 'deny', at('@s/addon'), ALL);
    expect(scoped.allowScripts).toEqual({ '@s/addon': false });
  });
  it('a package without a trusted key is refused, not guessed', () => {
    const edit = applyAllowScriptsDecision({}, 'approve', at('self-git'), ALL);
    expect(edit.allowScripts).toEqual({});
    expect(edit.warning).toMatch(/no trusted identity/);
  });
  it('never changes its input, and a hostile key is data', () => {
    const input = JSON.parse('{"__proto__": true, "constructor": false}') as Record<string, unknown>;
    const edit = applyAllowScriptsDecision(input, 'approve', at('foo'), ALL);
    expect(Object.keys(input)).toEqual(['__proto__', 'constructor']);
    expect(Object.keys(edit.allowScripts)).toEqual(['__proto__', 'constructor', 'foo@1.0.1']);
  });
});

describe('packageJsonWithAllowScripts: only the allowScripts value changes', () => {
  it('replaces an existing value in the file\'s indentation, every other byte as it was', () => {
    const text = '{\n    "name": "app",\n    "allowScripts": { "esbuild": true },\n    "dependencies": {"a":"1"}\n}\n';
    const out = packageJsonWithAllowScripts(text, { esbuild: true, 'foo@1.0.1': true });
    expect(out).toBe('{\n    "name": "app",\n    "allowScripts": {\n        "esbuild": true,\n        "foo@1.0.1": true\n    },\n    "dependencies": {"a":"1"}\n}\n');
  });
  it('adds the key last, with tabs and CRLF kept', () => {
    const text = '{\r\n\t"name": "app",\r\n\t"dependencies": {\r\n\t\t"a": "1"\r\n\t}\r\n}\r\n';
    const out = packageJsonWithAllowScripts(text, { 'foo@1.0.1': true });
    expect(out).toBe('{\r\n\t"name": "app",\r\n\t"dependencies": {\r\n\t\t"a": "1"\r\n\t},\r\n\t"allowScripts": {\r\n\t\t"foo@1.0.1": true\r\n\t}\r\n}\r\n');
  });
  it('an empty object and a one-line file', () => {
    expect(packageJsonWithAllowScripts('{}\n', { a: true })).toBe('{"allowScripts":{"a":true}}\n');
    expect(packageJsonWithAllowScripts('{"name":"x"}', { a: false })).toBe('{"name":"x","allowScripts":{"a":false}}');
    expect(JSON.parse(packageJsonWithAllowScripts('{\n  \n}\n', { a: true }))).toEqual({ allowScripts: { a: true } });
  });
  it('refuses what is not one JSON object, and duplicate keys', () => {
    expect(() => packageJsonWithAllowScripts('[]', {})).toThrow(/not a JSON object/);
    expect(() => packageJsonWithAllowScripts('{"a":1', {})).toThrow(/not a JSON object/);
    expect(() => packageJsonWithAllowScripts('{"allowScripts":{},"allowScripts":{}}', {})).toThrow(/not a JSON object/);
  });
});
