/**
 * A project .npmrc may hold real credentials; none may reach the sandbox. Secrets below all contain
 * the marker SECRET so a single check proves no value leaked into `safe` or `removed`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalKey, parseNpmrcLines, sanitizeNpmrc } from './npmrc.js';

/** The credential half of sanitizeNpmrc's answer, as the credential tests below read it. */
function stripNpmrcCredentials(content: string): { safe: string; removed: string[] } {
  const { safe, credentials } = sanitizeNpmrc(content);
  return { safe, removed: credentials };
}

/** No credential value survives, and `removed` holds key names only. */
function expectNoSecret(content: string): ReturnType<typeof stripNpmrcCredentials> {
  const split = stripNpmrcCredentials(content);
  expect(split.safe).not.toMatch(/SECRET/i);
  for (const key of split.removed) {
    expect(key).not.toMatch(/SECRET/i);
    expect(key).not.toContain('=');
    expect(key).not.toMatch(/[\r\n]/);
  }
  return split;
}

describe('stripNpmrcCredentials: credentials are removed', () => {
  it.each([
    ['//registry.example/:_authToken=SECRET-npm_abc123', '//registry.example/:_authToken'],
    ['//npm.pkg.github.com/:_authToken=SECRET', '//npm.pkg.github.com/:_authToken'],
    ['//registry.example.com:8443/npm/:_authToken=SECRET', '//registry.example.com:8443/npm/:_authToken'],
    ['//registry.example.com/:_auth=U0VDUkVUOlNFQ1JFVA==SECRET', '//registry.example.com/:_auth'],
    ['//registry.example.com/:_password=SECRET', '//registry.example.com/:_password'],
    ['//registry.example.com/:username=SECRET-user', '//registry.example.com/:username'],
    ['//registry.example.com/:email=SECRET@example.com', '//registry.example.com/:email'],
    ['//registry.example.com/:certfile=/home/u/SECRET.crt', '//registry.example.com/:certfile'],
    ['//registry.example.com/:keyfile=/home/u/SECRET.key', '//registry.example.com/:keyfile'],
    ['_authToken=SECRET', '_authToken'],
    ['_auth=SECRET', '_auth'],
    ['_password=SECRET', '_password'],
    ['password=SECRET', 'password'],
    ['username=SECRET', 'username'],
    ['certfile=/SECRET.crt', 'certfile'],
    ['keyfile=/SECRET.key', 'keyfile'],
    ['cert="-----BEGIN CERTIFICATE-----SECRET"', 'cert'],
    ['key="-----BEGIN PRIVATE KEY-----SECRET"', 'key'],
    ['token=SECRET', 'token'],
  ])('removes %j', (line, key) => {
    const split = expectNoSecret(`save-exact=true\n${line}\n`);
    expect(split.removed).toEqual([key]);
    expect(split.safe).toBe('save-exact=true\n');
  });

  it.each([
    '//registry.example/:_AuthToken=SECRET',
    '//registry.example/:_AUTHTOKEN=SECRET',
    '//registry.example/:_authtoken=SECRET',
    '//REGISTRY.NPMJS.ORG/:_authToken=SECRET',
    '_AUTH=SECRET',
    '//registry.example/:_Password=SECRET',
    'UserName=SECRET',
  ])('removes the case variant %j', (line) => {
    expect(expectNoSecret(line).removed).toHaveLength(1);
  });

  it.each([
    '//registry.example/:_authToken = SECRET',
    '//registry.example/:_authToken= SECRET',
    '//registry.example/:_authToken =SECRET',
    '   //registry.example/:_authToken=SECRET',
    '\t_authToken\t=\tSECRET',
    '//registry.example/:_authToken=SECRET   ',
  ])('removes %j despite the spacing', (line) => {
    expect(expectNoSecret(`${line}\nsave-exact=true`).removed).toEqual([line.split('=')[0]?.trim()]);
  });

  it('removes credentials from a CRLF file and keeps the rest', () => {
    const split = expectNoSecret('save-exact=true\r\n//r.example/:_authToken=SECRET\r\nengine-strict=true\r\n');
    expect(split.removed).toEqual(['//r.example/:_authToken']);
    expect(split.safe.split(/\r?\n/)).toEqual(['save-exact=true', 'engine-strict=true', '']);
  });

  it('removes credentials from a file with CR-only line ends (npm splits on any CR or LF)', () => {
    const split = expectNoSecret('engine-strict=true\r//r.example/:_authToken=SECRET\rsave-exact=true');
    expect(split.removed).toEqual(['//r.example/:_authToken']);
    expect(split.safe).toContain('engine-strict=true');
    expect(split.safe).toContain('save-exact=true');
  });

  it('removes credentials whose key is quoted (npm unquotes keys)', () => {
    for (const line of ['"//r.example/:_authToken"=SECRET', "'//r.example/:_authToken' = SECRET", '"_auth"=SECRET']) {
      expect(expectNoSecret(`save-exact=true\n${line}`).removed).toHaveLength(1);
    }
  });

  it('removes credentials written with an inline comment or an array suffix in the key (npm reads them as credentials)', () => {
    const split = expectNoSecret('_authToken ;note=SECRET\n//r.example/:_password # note = SECRET\n_authToken[]=SECRET\n//r.example/:_auth[] = SECRET');
    expect(split.removed).toEqual(['_authToken', '//r.example/:_password', '_authToken', '//r.example/:_auth']);
    expect(split.safe).toBe('');
  });

  it('removes a token written with a scope prefix instead of a registry prefix', () => {
    expect(expectNoSecret('@myco:_authToken=SECRET\n@myco:registry=https://r.example/').removed).toEqual(['@myco:_authToken']);
  });

  it('removes every credential line of a realistic file, in order', () => {
    const content = [
      '# company registry',
      'registry=https://registry.example.com/',
      '@myco:registry=https://npm.pkg.github.com/',
      '//registry.example.com/:_authToken=${NPM_TOKEN_SECRET}',
      '//npm.pkg.github.com/:_authToken=ghp_SECRET',
      '//registry.example.com/:always-auth=true',
      'save-exact=true',
      '; old style',
      '_auth=SECRET',
      'email=SECRET@example.com',
      'strict-ssl=false',
      '',
    ].join('\n');
    const split = expectNoSecret(content);
    expect(split.removed).toEqual(['//registry.example.com/:_authToken', '//npm.pkg.github.com/:_authToken', '_auth', 'email']);
    expect(split.safe).toBe(
      [
        '# company registry',
        '//registry.example.com/:always-auth=true',
        'save-exact=true',
        '; old style',
        '',
      ].join('\n'),
    );
  });
});

describe('stripNpmrcCredentials: everything else is kept', () => {
  it('keeps registries, scoped registries, settings, comments and blank lines byte for byte', () => {
    const content = [
      '//r.example/:always-auth=true',
      'engine-strict=true',
      'install-links=true',
      'omit[]=dev',
      '# //r.example/:_authToken=commented-out',
      '; _auth=commented-out',
      '   # indented comment',
      '',
      'legacy-peer-deps',
    ].join('\n');
    expect(sanitizeNpmrc(content)).toEqual({ safe: content, credentials: [], removed: [] });
  });

  it('does not remove keys that merely contain a credential word', () => {
    const content = 'auth-type=legacy\nkeyword=x\ntokens=1\n//r.example/:_authTokenFile=/x\nusername-hint=x\nsign-git-tag=false';
    expect(stripNpmrcCredentials(content).removed).toEqual([]);
  });

  it('handles an empty file', () => {
    expect(sanitizeNpmrc('')).toEqual({ safe: '', credentials: [], removed: [] });
  });
});

describe('stripNpmrcCredentials: hostile content', () => {
  it('removes a token whose value contains `=`', () => {
    const split = expectNoSecret('//r.example/:_authToken=SECRET=abc==\n_auth=dXNlcjpwYXNz=SECRET');
    expect(split.removed).toEqual(['//r.example/:_authToken', '_auth']);
    expect(split.safe).toBe('');
  });

  it('treats a newline inside a value as the end of the line', () => {
    const split = stripNpmrcCredentials('//r.example/:_authToken=SECRET\nnext=value\r\n_password=SECRET\nlast=1');
    expect(split.removed).toEqual(['//r.example/:_authToken', '_password']);
    expect(split.safe).toBe('next=value\nlast=1');
  });

  it('removes a credential key with no value or an empty value', () => {
    const split = expectNoSecret('_authToken\n//r.example/:_password=\n_auth =\nsave-exact=true');
    expect(split.removed).toEqual(['_authToken', '//r.example/:_password', '_auth']);
    expect(split.safe).toBe('save-exact=true');
  });

  it('never puts a value in `removed`, even for keys with colons, quotes or odd spacing', () => {
    const split = expectNoSecret('//user:pw@r.example/:_authToken = SECRET\n  "_password"=SECRET \n@s:_auth=SECRET');
    expect(split.removed).toHaveLength(3);
  });

  it('copes with a huge file', () => {
    const line = '//r.example/:_authToken=SECRET\nsave-exact=true\n';
    const split = expectNoSecret(line.repeat(50_000));
    expect(split.removed).toHaveLength(50_000);
  });
});


/**
 * What npm 11 itself reads from a file: its own `ini` parser, then `${VAR}` expansion of the keys
 * (@npmcli/config's env-replace), loaded from the host's npm — the reference the sanitizer must
 * agree with, not a copy of it.
 */
const npmRoot = join(execFileSync('npm', ['root', '-g'], { encoding: 'utf8' }).trim(), 'npm');
const requireFromNpm = createRequire(join(npmRoot, 'package.json'));
const ini = requireFromNpm('ini') as { parse: (text: string) => Record<string, unknown> };
const envReplace = requireFromNpm(join(npmRoot, 'node_modules/@npmcli/config/lib/env-replace.js')) as (text: string, env: Record<string, string>) => string;
const ENV = { HOME: '/home/node', EMPTY: '', SHELL_KEY: 'script-shell', S: 's' };

/** The keys npm's config would hold from this file (top level only: a section is one object key). */
function npmKeys(text: string): string[] {
  return Object.keys(ini.parse(text)).map((key) => envReplace(key, ENV));
}

const PROTECTED = ['script-shell', 'shell', 'globalconfig', 'userconfig', 'ignore-scripts', 'onload-script', 'node-options', 'prefix', 'cache', 'git', 'global', 'location', 'registry', 'nodedir'];

describe('sanitizeNpmrc: a project cannot drop or replace the script shell, or move npm’s config', () => {
  const hostile: Array<[string, string]> = [
    ['plain', 'script-shell=/bin/sh'],
    ['upper case', 'SCRIPT-SHELL=/bin/sh'],
    ['underscore', 'script_shell=/bin/sh'],
    ['mixed', 'Script_Shell = /bin/sh'],
    ['double-quoted key', '"script-shell"=/bin/sh'],
    ['single-quoted key', "'script-shell'=/bin/sh"],
    ['JSON escape in a quoted key', '"script\\u002dshell"=/bin/sh'],
    ['leading whitespace', '  \tscript-shell=/bin/sh'],
    ['array suffix', 'script-shell[]=/bin/sh'],
    ['inline comment after the key', 'script-shell ;x=/bin/sh'],
    ['no value', 'ignore-scripts'],
    ['env prefix', 'npm_config_script_shell=/bin/sh'],
    ['env prefix, upper', 'NPM_CONFIG_SCRIPT_SHELL=/bin/sh'],
    ['env prefix, twice', 'npm_config_npm_config_script_shell=/bin/sh'],
    ['spaces inside the quotes', '" script-shell "=/bin/sh'],
    ['expansion to the key', '${SHELL_KEY}=/bin/sh'],
    ['optional expansion inside the key', 'script${NOPE?}-shell=/bin/sh'],
    ['empty expansion', 'scr${EMPTY}ipt-shell=/bin/sh'],
    ['scoped', '@evil:script-shell=/bin/sh'],
    ['nerf-darted', '//r.test/:script-shell=/bin/sh'],
    ['globalconfig', 'globalconfig=/dev/null'],
    ['userconfig', 'userconfig=./evil.npmrc'],
    ['onload-script', 'onload-script=./payload.js'],
    ['node-options', 'node-options=--require ./hook.js'],
    ['ignore-scripts', 'ignore-scripts=true'],
    ['prefix', 'prefix=/tmp/x'],
    ['cache', 'cache=/tmp/x'],
    ['git', 'git=./fake-git.sh'],
    ['global', 'global=true'],
    ['location', 'location=global'],
    ['CR line end', 'save-exact=true\rscript-shell=/bin/sh'],
    ['section of the name', '[script-shell]\nx=1'],
    ['section of a dotted name', '[script-shell.deep]\nx=1'],
  ];

  it.each(hostile)('removes %s', (_, text) => {
    const { safe, removed, credentials } = sanitizeNpmrc(`engine-strict=true\n${text}\n`);
    expect(credentials).toEqual([]);
    expect(removed.length).toBeGreaterThan(0);
    expect(safe.split('\n')[0]).toBe('engine-strict=true');
    // npm's own reader finds nothing protected in what is left, in any spelling npm accepts.
    for (const key of npmKeys(safe)) {
      expect(PROTECTED).not.toContain(canonicalKey(key));
      expect(key).not.toContain('${');
    }
  });

  it('the hostile inputs are not inert: npm’s own reader finds the protected key in each of the plain ones', () => {
    for (const text of ['script-shell=/bin/sh', '"script-shell"=/bin/sh', 'script-shell[]=/bin/sh', '${SHELL_KEY}=/bin/sh', 'script${NOPE?}-shell=/bin/sh', '  script-shell ;x=/bin/sh']) {
      expect(npmKeys(text)).toContain('script-shell');
    }
  });

  it('drops a whole section it removes, so its entries do not rise to the top level', () => {
    const { safe } = sanitizeNpmrc('[script-shell]\nglobalconfig=/dev/null\nscript-shell=/bin/sh\n[ok]\nsave-exact=true\n');
    expect(safe).toBe('[ok]\nsave-exact=true\n');
  });

  it('keeps an escaped `${` (npm reads it literally) and install settings, and reports names with their reason, never values', () => {
    const { safe, removed } = sanitizeNpmrc('legacy-peer-deps=true\nscript-shell=/SECRET\nregistry=https://r.test/\n${X}=1\n\\${X}=2\ncache=/SECRET\n');
    expect(safe).toBe('legacy-peer-deps=true\n\\${X}=2\n');
    expect(removed).toEqual([
      { key: 'script-shell', reason: 'scripts' },
      { key: 'registry', reason: 'network' },
      { key: '${X}', reason: 'expansion' },
      { key: 'cache', reason: 'sandbox' },
    ]);
    expect(JSON.stringify(removed)).not.toContain('SECRET');
  });

  it('removes where-to-connect settings, scoped or not, and keeps the rest', () => {
    const { safe, removed } = sanitizeNpmrc('registry=https://r.test/\n@scope:registry=https://s.test/\nproxy=http://p.test\nstrict-ssl=false\nsave-exact=true\n//r.test/:always-auth=true\n');
    expect(removed.map((entry) => entry.key)).toEqual(['registry', '@scope:registry', 'proxy', 'strict-ssl']);
    expect(safe).toBe('save-exact=true\n//r.test/:always-auth=true\n');
  });

  it('real npm, loading the sanitized file as a project config, keeps the sandbox’s script shell', () => {
    const dir = mkdtempSync(join(tmpdir(), 'npmrc-'));
    try {
      writeFileSync(join(dir, 'package.json'), '{"name":"p","version":"1.0.0"}');
      const global = join(dir, 'global-npmrc');
      writeFileSync(global, 'script-shell=/sandbox/shell\n');
      const hostileFile = hostile.map(([, text]) => text).join('\n');
      const get = (npmrc: string) => {
        writeFileSync(join(dir, '.npmrc'), npmrc);
        return execFileSync('npm', ['config', 'get', 'script-shell', 'ignore-scripts', 'node-options'], {
          cwd: dir,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
          env: { PATH: process.env['PATH'] ?? '', ...ENV, HOME: dir, npm_config_globalconfig: global, npm_config_userconfig: join(dir, 'none') },
        });
      };
      // The hostile file does take effect unsanitized (the test can fail)…
      expect(get(hostileFile)).not.toContain('/sandbox/shell');
      // …and sanitized, npm reads the sandbox's settings only.
      expect(get(sanitizeNpmrc(hostileFile).safe).split('\n').slice(0, 3)).toEqual(['script-shell=/sandbox/shell', 'ignore-scripts=false', 'node-options=null']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parseNpmrcLines agrees with npm’s ini parser', () => {
  it.each([
    'a=1\n b = 2 \n"c"=3\n\'d\'=4\ne[]=5\ne[]=6\nf\n g;x=7\nh\\;i=8\n;c=1\n#c=2\n[s]\nin=1\n',
    'x=1\r\ny=2\rz=3\n\n\n',
    ' [notasection]\n[ sec ]\nk=v\n',
    '==\n=a\na==b\n"unterminated=1\n',
  ])('top-level keys of %j', (text) => {
    const ours = [...new Set(parseNpmrcLines(text).flatMap((line) => (line.kind === 'entry' && line.section === null ? [line.key] : line.kind === 'section' ? [line.key.split('.')[0] ?? ''] : [])))];
    expect(ours.sort()).toEqual(Object.keys(ini.parse(text)).sort());
  });
});
