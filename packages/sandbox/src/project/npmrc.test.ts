/**
 * A project .npmrc may hold real credentials; none may reach the sandbox. Secrets below all contain
 * the marker SECRET so a single check proves no value leaked into `safe` or `removed`.
 */
import { stripNpmrcCredentials, stripNpmrcSandboxKeys } from './npmrc.js';

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
    const split = expectNoSecret(`registry=https://registry.example/\n${line}\n`);
    expect(split.removed).toEqual([key]);
    expect(split.safe).toBe('registry=https://registry.example/\n');
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
    expect(expectNoSecret(`${line}\nregistry=https://r.example/`).removed).toEqual([line.split('=')[0]?.trim()]);
  });

  it('removes credentials from a CRLF file and keeps the rest', () => {
    const split = expectNoSecret('registry=https://r.example/\r\n//r.example/:_authToken=SECRET\r\n@scope:registry=https://s.example/\r\n');
    expect(split.removed).toEqual(['//r.example/:_authToken']);
    expect(split.safe.split(/\r?\n/)).toEqual(['registry=https://r.example/', '@scope:registry=https://s.example/', '']);
  });

  it('removes credentials from a file with CR-only line ends (npm splits on any CR or LF)', () => {
    const split = expectNoSecret('registry=https://r.example/\r//r.example/:_authToken=SECRET\rsave-exact=true');
    expect(split.removed).toEqual(['//r.example/:_authToken']);
    expect(split.safe).toContain('registry=https://r.example/');
    expect(split.safe).toContain('save-exact=true');
  });

  it('removes credentials whose key is quoted (npm unquotes keys)', () => {
    for (const line of ['"//r.example/:_authToken"=SECRET', "'//r.example/:_authToken' = SECRET", '"_auth"=SECRET']) {
      expect(expectNoSecret(`registry=https://r.example/\n${line}`).removed).toHaveLength(1);
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
        'registry=https://registry.example.com/',
        '@myco:registry=https://npm.pkg.github.com/',
        '//registry.example.com/:always-auth=true',
        'save-exact=true',
        '; old style',
        'strict-ssl=false',
        '',
      ].join('\n'),
    );
  });
});

describe('stripNpmrcCredentials: everything else is kept', () => {
  it('keeps registries, scoped registries, settings, comments and blank lines byte for byte', () => {
    const content = [
      'registry=https://registry.example/',
      '@scope:registry=https://r.example/',
      '@scope:registry = https://r.example/spaced/',
      '//r.example/:always-auth=true',
      'cafile=/etc/ssl/corp.pem',
      'ca=',
      'engine-strict=true',
      '# //r.example/:_authToken=commented-out',
      '; _auth=commented-out',
      '   # indented comment',
      '',
      'legacy-peer-deps',
    ].join('\n');
    expect(stripNpmrcCredentials(content)).toEqual({ safe: content, removed: [] });
  });

  it('does not remove keys that merely contain a credential word', () => {
    const content = 'auth-type=legacy\nkeyword=x\ntokens=1\n//r.example/:_authTokenFile=/x\nusername-hint=x\nsign-git-tag=false';
    expect(stripNpmrcCredentials(content).removed).toEqual([]);
  });

  it('handles an empty file', () => {
    expect(stripNpmrcCredentials('')).toEqual({ safe: '', removed: [] });
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
    const split = expectNoSecret('_authToken\n//r.example/:_password=\n_auth =\nregistry=https://r.example/');
    expect(split.removed).toEqual(['_authToken', '//r.example/:_password', '_auth']);
    expect(split.safe).toBe('registry=https://r.example/');
  });

  it('never puts a value in `removed`, even for keys with colons, quotes or odd spacing', () => {
    const split = expectNoSecret('//user:pw@r.example/:_authToken = SECRET\n  "_password"=SECRET \n@s:_auth=SECRET');
    expect(split.removed).toHaveLength(3);
  });

  it('copes with a huge file', () => {
    const line = '//r.example/:_authToken=SECRET\nregistry=https://r.example/\n';
    const split = expectNoSecret(line.repeat(50_000));
    expect(split.removed).toHaveLength(50_000);
  });
});

describe('stripNpmrcSandboxKeys', () => {
  it('removes a script shell of the project’s, however it is spelled: its scripts would run untraced', () => {
    const { safe, removed } = stripNpmrcSandboxKeys('script-shell=/bin/sh\n  SCRIPT-SHELL = /bin/bash\nscript_shell=/bin/dash\n"script-shell"=/bin/zsh\nignore-scripts=false\n');
    expect(removed).toEqual(['script-shell', 'SCRIPT-SHELL', 'script_shell', 'script-shell']);
    expect(safe).toBe('ignore-scripts=false\n');
  });

  it('removes where-to-connect settings, scoped or not, and keeps the rest', () => {
    const { safe, removed } = stripNpmrcSandboxKeys('registry=https://r.test/\n@scope:registry=https://s.test/\nproxy=http://p.test\nstrict-ssl=false\nsave-exact=true\n//r.test/:always-auth=true\n');
    expect(removed).toEqual(['registry', '@scope:registry', 'proxy', 'strict-ssl']);
    expect(safe).toBe('save-exact=true\n//r.test/:always-auth=true\n');
  });
});
