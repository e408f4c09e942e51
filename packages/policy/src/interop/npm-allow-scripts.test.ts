import { allowScriptsEntries, identityFromTarballUrl, npmScriptVerdict, reviewAllowScripts, scriptCandidates } from './npm-allow-scripts.js';

// A registry-shaped URL on a reserved name: the matcher reads its path, never the host.
const R = 'https://registry.example/';

function lockOf(packages: Record<string, unknown>): unknown {
  return { lockfileVersion: 3, packages: { '': { name: 'app', version: '1.0.0', dependencies: { trusted: 'npm:naughty@1.0.0' } }, ...packages } };
}

const LOCK = lockOf({
  'node_modules/sqlite3': { version: '5.1.7', resolved: `${R}sqlite3/-/sqlite3-5.1.7.tgz`, hasInstallScript: true },
  'node_modules/@scope/addon': { version: '2.0.0', resolved: `${R}@scope/addon/-/addon-2.0.0.tgz`, hasInstallScript: true },
  'node_modules/no-script': { version: '1.0.0', resolved: `${R}no-script/-/no-script-1.0.0.tgz` },
  // The tarball claims to be sqlite3@5.1.7; its resolved URL says otherwise.
  'node_modules/liar': { name: 'sqlite3', version: '5.1.7', resolved: `${R}liar/-/liar-0.0.1.tgz`, hasInstallScript: true },
  // An alias: installed as "trusted", really "naughty"; no resolved (omit-lockfile-registry-resolved).
  'node_modules/trusted': { name: 'trusted', version: '1.0.0', hasInstallScript: true },
  'node_modules/local': { version: '1.0.0', resolved: 'file:vendor/local-1.0.0.tgz', hasInstallScript: true },
  'node_modules/from-git': { version: '1.0.0', resolved: 'git+ssh://git@github.com/acme/from-git.git#0123456789abcdef0123456789abcdef01234567', hasInstallScript: true },
  'node_modules/bundler/node_modules/inner': { version: '1.0.0', inBundle: true, hasInstallScript: true },
  'node_modules/ws-link': { resolved: 'packages/ws', link: true },
  'packages/ws': { name: 'ws', version: '1.0.0', hasInstallScript: true },
  'node_modules/fsevents': { version: '2.3.3', resolved: `${R}fsevents/-/fsevents-2.3.3.tgz`, hasInstallScript: true, os: ['darwin'], optional: true },
  // A registry-looking URL without a path before /-/ is not a registry tarball.
  'node_modules/fake': { version: '1.0.0', resolved: 'https://evil.example/-/sqlite3-5.1.7.tgz', hasInstallScript: true },
});

function candidate(name: string) {
  const found = scriptCandidates(LOCK).find((c) => c.path === `node_modules/${name}`);
  if (found === undefined) throw new Error(`no candidate ${name}`);
  return found;
}

describe('scriptCandidates: the lockfile identity npm matches', () => {
  it('lists dependencies with install scripts, by the name in resolved; skips links, workspaces, bundled and other-platform packages', () => {
    expect(scriptCandidates(LOCK).map((c) => [c.path, c.name, c.version, c.kind])).toEqual([
      ['node_modules/@scope/addon', '@scope/addon', '2.0.0', 'registry'],
      ['node_modules/fake', 'fake', null, 'remote'],
      ['node_modules/from-git', 'from-git', null, 'git'],
      ['node_modules/liar', 'liar', '0.0.1', 'registry'],
      ['node_modules/local', 'local', null, 'file'],
      ['node_modules/sqlite3', 'sqlite3', '5.1.7', 'registry'],
      ['node_modules/trusted', 'naughty', null, 'registry'],
    ]);
  });

  it('survives hostile lockfiles', () => {
    expect(scriptCandidates(null)).toEqual([]);
    expect(scriptCandidates({ packages: [] })).toEqual([]);
    expect(scriptCandidates({ packages: { 'node_modules/x': 'nope', 'node_modules/y': { hasInstallScript: 'true' }, 'node_modules/': { hasInstallScript: true }, 'node_modules/@s': { hasInstallScript: true } } })).toEqual([]);
    const proto = JSON.parse('{"packages":{"node_modules/__proto__":{"hasInstallScript":true,"resolved":42}}}');
    expect(scriptCandidates(proto).map((c) => [c.name, c.kind])).toEqual([['__proto__', 'registry']]);
  });

  it('reads name and version from registry tarball URLs like arborist (scoped, %2f, mounted below the root)', () => {
    expect(identityFromTarballUrl(`${R}@s/a/-/a-1.2.3.tgz`)).toEqual({ name: '@s/a', version: '1.2.3' });
    expect(identityFromTarballUrl(`${R}@s%2fa/-/a-1.2.3.tgz`)).toEqual({ name: '@s/a', version: '1.2.3' });
    expect(identityFromTarballUrl(`${R}npm/mirror/x/-/x-0.1.0-beta.1.tgz`)).toEqual({ name: 'x', version: '0.1.0-beta.1' });
    expect(identityFromTarballUrl(`${R}x/-/y-1.0.0.tgz`)).toBeNull();
    expect(identityFromTarballUrl(`${R}x/-/x-notaversion.tgz`)).toBeNull();
    expect(identityFromTarballUrl('not a url')).toBeNull();
  });
});

describe('npmScriptVerdict: npm\'s isScriptAllowed', () => {
  it('matches registry packages by name, exact versions joined by ||; ranges and dist-tags match nothing; a deny wins', () => {
    const sqlite = candidate('sqlite3');
    expect(npmScriptVerdict(sqlite, { sqlite3: true })).toBe(true);
    expect(npmScriptVerdict(sqlite, { 'sqlite3@*': true })).toBe(true);
    expect(npmScriptVerdict(sqlite, { 'sqlite3@5.1.6 || 5.1.7': true })).toBe(true);
    expect(npmScriptVerdict(sqlite, { 'sqlite3@5.1.6': true })).toBeNull();
    expect(npmScriptVerdict(sqlite, { 'sqlite3@^5': true, 'sqlite3@latest': true })).toBeNull();
    expect(npmScriptVerdict(sqlite, { sqlite3: true, 'sqlite3@5.1.7': false })).toBe(false);
    expect(npmScriptVerdict(candidate('@scope/addon'), { '@scope/addon@2.0.0': true })).toBe(true);
  });

  it('never trusts the tarball\'s own name: a liar claiming sqlite3, a fake registry URL, an alias key', () => {
    expect(npmScriptVerdict(candidate('liar'), { sqlite3: true, 'sqlite3@5.1.7': true })).toBeNull();
    expect(npmScriptVerdict(candidate('fake'), { sqlite3: true, fake: true })).toBeNull();
    expect(npmScriptVerdict(candidate('trusted'), { trusted: true })).toBeNull();
    expect(npmScriptVerdict(candidate('trusted'), { 'npm:naughty@1.0.0': true })).toBeNull();
  });

  it('an alias matches by its real package; with no version in the lockfile a pinned allow is refused and a pinned deny blocks', () => {
    const alias = candidate('trusted');
    expect(npmScriptVerdict(alias, { naughty: true })).toBe(true);
    expect(npmScriptVerdict(alias, { 'naughty@1.0.0': true })).toBeNull();
    expect(npmScriptVerdict(alias, { 'naughty@1.0.0': false, naughty: true })).toBe(false);
  });

  it('matches file and git packages by resolved (a commit prefix, never the reverse)', () => {
    expect(npmScriptVerdict(candidate('local'), { 'file:vendor/local-1.0.0.tgz': true })).toBe(true);
    expect(npmScriptVerdict(candidate('local'), { './vendor/local-1.0.0.tgz': true })).toBe(true);
    expect(npmScriptVerdict(candidate('local'), { local: true })).toBeNull();
    const git = candidate('from-git');
    expect(npmScriptVerdict(git, { 'github:acme/from-git#0123456': true })).toBe(true);
    expect(npmScriptVerdict(git, { 'git+ssh://git@github.com/acme/from-git.git': true })).toBe(true);
    expect(npmScriptVerdict(git, { 'github:acme/from-git#0123456789abcdef0123456789abcdef01234567ff': true })).toBeNull();
    expect(npmScriptVerdict(git, { 'github:acme/other#0123456': true, 'from-git': true })).toBeNull();
  });
});

describe('reviewAllowScripts: what the sandbox\'s npm does', () => {
  const candidates = scriptCandidates(LOCK);
  const entries = { sqlite3: true, '@scope/addon': false };

  it('npm 12 skips what nobody allowed: pending, with the command that approves it; denied ones are skipped silently', () => {
    const review = reviewAllowScripts(entries, candidates, '12.2.0');
    expect(review?.unreviewed).toEqual([]);
    expect(review?.pending.map((p) => [p.package.name, p.approve, p.entry])).toEqual([
      ['fake', 'npm install-scripts approve https://evil.example/-/sqlite3-5.1.7.tgz', '"https://evil.example/-/sqlite3-5.1.7.tgz": true'],
      // npm writes a hosted git package as its shortcut and commit (allow-scripts-writer.js).
      ['from-git', 'npm install-scripts approve github:acme/from-git#0123456789abcdef0123456789abcdef01234567', '"github:acme/from-git#0123456789abcdef0123456789abcdef01234567": true'],
      ['liar', 'npm install-scripts approve liar', '"liar@0.0.1": true'],
      ['local', 'npm install-scripts approve file:vendor/local-1.0.0.tgz', '"file:vendor/local-1.0.0.tgz": true'],
      ['naughty', 'npm install-scripts approve naughty', '"naughty": true'],
    ]);
    // npm 12 gates with no allowScripts at all: every dependency script is pending.
    expect(reviewAllowScripts(null, candidates, '12.2.0')?.pending).toHaveLength(candidates.length);
  });

  it('npm 11.16+ runs them with a warning: unreviewed; before 11.16 and with no allowScripts there is no gate', () => {
    expect(reviewAllowScripts(entries, candidates, '11.19.1')?.unreviewed.map((p) => p.package.name)).toEqual(['fake', 'from-git', 'liar', 'local', 'naughty']);
    expect(reviewAllowScripts(null, candidates, '11.19.1')).toBeNull();
    expect(reviewAllowScripts(entries, candidates, '10.9.2')).toBeNull();
    expect(reviewAllowScripts(entries, candidates, 'garbage')).toBeNull();
  });

  it('reads booleans only from package.json allowScripts', () => {
    expect(allowScriptsEntries({ allowScripts: { a: true, b: 'yes', c: false } })).toEqual({ a: true, c: false });
    expect(allowScriptsEntries({ allowScripts: ['a'] })).toBeNull();
    expect(allowScriptsEntries({ allowScripts: {} })).toBeNull();
    expect(allowScriptsEntries(null)).toBeNull();
  });
});
