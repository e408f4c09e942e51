import { credentialFor, nerfDart, parseNpmrc } from './registry-auth.js';

describe('parseNpmrc', () => {
  it('reads keys, strips quotes, expands ${VAR}, skips comments; a section\'s entries are not top-level settings', () => {
    const values = parseNpmrc('# c\n; c\nregistry = "https://r.test/"\n//r.test/:_authToken=${TOKEN}\r\n=nokey\n[section]\n//r.test/:_authToken=inside\n', { TOKEN: 'abc' });
    expect([...values]).toEqual([
      ['registry', 'https://r.test/'],
      ['//r.test/:_authToken', 'abc'],
    ]);
  });

  it('ignores prototype keys and unknown variables', () => {
    const values = parseNpmrc('__proto__=x\nconstructor=y\n//r.test/:_authToken=${MISSING}\n', {});
    expect(values.get('__proto__')).toBeUndefined();
    expect(values.get('//r.test/:_authToken')).toBe('');
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });
});

describe('credentialFor', () => {
  const layer = (text: string) => parseNpmrc(text, {});

  it('picks the longest matching nerf dart', () => {
    const layers = [layer('//r.test/:_authToken=short\n//r.test/npm/private/:_authToken=long\n')];
    expect(credentialFor('https://r.test/npm/private/', layers)).toEqual({ type: 'bearer', value: 'long' });
    expect(credentialFor('https://r.test/other/', layers)).toEqual({ type: 'bearer', value: 'short' });
  });

  it('lets later layers win (user over global, project over user)', () => {
    expect(credentialFor('https://r.test/', [layer('//r.test/:_authToken=global'), layer('//r.test/:_authToken=project')])).toEqual({ type: 'bearer', value: 'project' });
  });

  it('builds basic auth from username and base64 _password', () => {
    const credential = credentialFor('https://r.test:8443/', [layer(`//r.test:8443/:username=u\n//r.test:8443/:_password=${Buffer.from('p').toString('base64')}\n`)]);
    expect(credential).toEqual({ type: 'basic', value: Buffer.from('u:p').toString('base64') });
  });

  it('does not give a token to another host, port or a prefix that merely looks alike', () => {
    const layers = [layer('//r.test/:_authToken=t\n//r.test.evil/:_authToken=e\n')];
    expect(credentialFor('https://r.test:444/', layers)).toBeNull();
    expect(credentialFor('https://r.tester/', layers)).toBeNull();
    expect(credentialFor('https://other.test/', layers)).toBeNull();
  });

  it('normalises the registry path', () => {
    expect(nerfDart('https://r.test/npm')).toBe('//r.test/npm/');
    expect(nerfDart('http://r.test:8080/')).toBe('//r.test:8080/');
  });
});
