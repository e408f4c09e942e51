import { dnsQueryNames, encodedLabel } from './dns-labels.js';
import { registryTarget } from './registry-requests.js';
import { behaviour, CONTEXT, DECOYS, findingsOf, judge, policyFrom, summary, Trace } from '../testing/synthetic-trace.js';
import { evaluate } from '../evaluate.js';
import { defaultPolicy } from '../resolve-policy.js';

function node(t: Trace, spec = 'evil-pkg@1.0.0') {
  return t.script(spec, 'postinstall', 'node setup.js').run('/usr/local/bin/node', ['node', 'setup.js']);
}

describe('network-not-allowed', () => {
  it('fires for a request to a host the policy does not allow, whatever the gateway decided', () => {
    const t = new Trace();
    const n = node(t);
    t.http({ method: 'POST', url: 'https://exfil.test/collect', host: 'exfil.test', decision: 'sinked' }, n);
    t.http({ url: 'https://cdn.example/x', host: 'cdn.example', decision: 'allowed' }, n);
    const f = findingsOf(judge(t), 'network-not-allowed');
    expect(f.map((x) => [x.subject, x.severity, x.message])).toEqual([
      ['exfil.test:443', 'high', 'sent POST https://exfil.test/collect to exfil.test:443, which the policy does not allow it (answered by the sink, nothing left the sandbox)'],
      ['cdn.example:443', 'high', 'sent GET https://cdn.example/x to cdn.example:443, which the policy does not allow it'],
    ]);
  });

  it('a host allowed for one package is not allowed for another (a new transitive dependency, P23)', () => {
    const t = new Trace();
    t.http({ url: 'https://github.com/a', host: 'github.com', decision: 'allowed' }, node(t, 'sharp@0.32.6'));
    t.http({ url: 'https://github.com/b', host: 'github.com', decision: 'allowed' }, node(t, 'plain-crypto-js@4.2.1'));
    const policy = policyFrom('version: 1\npackages:\n  sharp@0.32.6:\n    network: ["github.com:443"]\n  plain-crypto-js: true\n');
    const f = judge(t, policy).findings;
    expect(f.map((x) => [x.ruleId, x.package?.name])).toEqual([['network-not-allowed', 'plain-crypto-js']]);
  });

  it('a refused TLS tunnel (only the host name seen) is low, with or without a policy: the prebuilt download that falls back to a build', () => {
    const t = new Trace();
    const n = node(t, 'better-sqlite3@12.4.1');
    t.http({ method: 'CONNECT', url: 'github.com:443', host: 'github.com', port: 443, decision: 'denied' }, n);
    const f = findingsOf(judge(t), 'network-not-allowed');
    expect(f.map((x) => [x.subject, x.severity])).toEqual([['github.com:443', 'low']]);
    expect(f[0]?.message).toContain('refused it before any byte of a request left');
    expect(judge(t).verdict).toBe('pass');
  });

  it('what stays high: plain HTTP to a sinked name (a beacon, P6; a fetch of code, P19), a CONNECT to another port', () => {
    const t = new Trace();
    const n = node(t);
    t.http({ url: 'http://c8k2x9d7f3.oast.invalid/i?h=box', host: 'c8k2x9d7f3.oast.invalid', port: 80, decision: 'sinked' }, n);
    t.http({ method: 'CONNECT', url: 'c2.invalid:8443', host: 'c2.invalid', port: 8443, decision: 'denied' }, n);
    expect(findingsOf(judge(t), 'network-not-allowed').map((x) => [x.subject, x.severity])).toEqual([
      ['c8k2x9d7f3.oast.invalid:80', 'high'],
      ['c2.invalid:8443', 'high'],
    ]);
    const configured = new Trace();
    configured.http({ method: 'CONNECT', url: 'github.com:443', host: 'github.com', port: 443, decision: 'denied' }, node(configured, 'sqlite3@5.1.7'));
    expect(summary(judge(configured, policyFrom('version: 1\npackages:\n  sqlite3: true\n')))).toEqual(['network-not-allowed:low']);
  });

  it('with no policy, a refused TLS tunnel after a credential read is critical (correlation)', () => {
    const t = new Trace();
    const n = node(t);
    n.read(`${CONTEXT.homeDir}/.npmrc`);
    t.http({ method: 'CONNECT', url: 'exfil.test:443', host: 'exfil.test', port: 443, decision: 'denied' }, n);
    expect(findingsOf(judge(t), 'network-not-allowed').map((x) => x.severity)).toEqual(['critical']);
  });

  it('DNS lookups alone are medium', () => {
    const t = new Trace();
    t.dns('beacon.test', node(t));
    expect(behaviour(judge(t))).toEqual(['network-not-allowed:medium']);
  });

  it('does not fire for registry traffic, globally allowed hosts, or the package manager\'s own requests', () => {
    const t = new Trace();
    const n = node(t, 'esbuild@0.25.12');
    t.http({ url: 'https://registry.example/esbuild', host: 'registry.example', decision: 'registry' }, n);
    t.dns('registry.example', n);
    t.http({ url: 'https://objects.githubusercontent.com/x', host: 'objects.githubusercontent.com', decision: 'allowed' }, n);
    t.dns('objects.githubusercontent.com', n);
    t.http({ url: 'https://registry.example/express', host: 'registry.example', decision: 'registry' });
    const policy = policyFrom('version: 1\nnetwork:\n  allow: ["*.githubusercontent.com:443"]\npackages:\n  esbuild: true\n');
    expect(judge(t, policy).findings).toEqual([]);
  });

  it('reports a refused request of the package manager itself as medium (a URL dependency?)', () => {
    const t = new Trace();
    t.http({ url: 'http://evil.test/pkg.tgz', host: 'evil.test', port: 80, decision: 'denied' });
    expect(summary(judge(t))).toEqual(['network-not-allowed:medium']);
  });
});

describe('network-direct-connect and network-raw-ip', () => {
  it('fires for direct connections and for requests to raw IPs', () => {
    const t = new Trace();
    const n = node(t);
    n.connect('198.51.100.7', 443, { ok: false, errno: 'ENETUNREACH' });
    n.connect('2001:db8::7', 8080, { ok: false, errno: 'ENETUNREACH' });
    t.http({ url: 'http://198.51.100.9/p', host: '198.51.100.9', port: 80, decision: 'denied' }, n);
    expect(summary(judge(t)).filter((s) => !s.startsWith('script'))).toEqual([
      'network-direct-connect:high',
      'network-direct-connect:high',
      'network-raw-ip:high',
    ]);
    expect(findingsOf(judge(t), 'network-direct-connect')[0]?.message).toBe('tried to connect straight to 198.51.100.7:443, bypassing the gateway (failed: ENETUNREACH)');
  });

  it('does not fire for loopback (the gateway forwarder), configured gateway addresses, or the package manager', () => {
    const t = new Trace();
    const n = node(t);
    n.connect('127.0.0.1', 8080);
    n.connect('::1', 3128);
    n.connect('10.89.0.2', 3128);
    n.connect('0.0.0.0', 0, { family: 'AF_INET', action: 'sendto' });
    t.pm.connect('203.0.113.80', 443, { ok: false, errno: 'EINPROGRESS' });
    const result = evaluate({ events: t.events, policy: policyFrom('version: 1\npackages:\n  evil-pkg: true\n'), decoys: DECOYS, context: { ...CONTEXT, gateway: [{ address: '10.89.0.2', port: 3128 }] } });
    expect(result.findings).toEqual([]);
  });
});

describe('metadata-address', () => {
  it('fires for the metadata service by address, IPv6, mapped IPv4 and name — attributed or not', () => {
    const t = new Trace();
    const n = node(t);
    n.connect('169.254.169.254', 80, { ok: false, errno: 'ENETUNREACH' });
    n.connect('fd00:ec2:0:0:0:0:0:254', 80, { ok: false, errno: 'ENETUNREACH' });
    n.connect('::ffff:169.254.169.254', 80, { ok: false, errno: 'ENETUNREACH' });
    t.http({ url: 'http://metadata.google.internal/computeMetadata/v1/', host: 'metadata.google.internal', port: 80, decision: 'denied' }, n);
    t.dns('metadata.google.internal');
    const f = findingsOf(judge(t), 'metadata-address');
    expect(f.map((x) => [x.subject, x.severity])).toEqual([
      ['169.254.169.254', 'critical'],
      ['fd00:ec2::254', 'critical'],
      ['metadata.google.internal', 'critical'],
      ['metadata.google.internal', 'critical'],
    ]);
  });

  it('does not fire for other link-local or look-alike names', () => {
    const t = new Trace();
    t.dns('metadata.example.test', node(t));
    expect(findingsOf(judge(t), 'metadata-address')).toEqual([]);
  });
});

describe('dns-foreign-resolver', () => {
  it('fires for DNS sent straight to another resolver', () => {
    const t = new Trace();
    node(t).dnsQuery('8.8.8.8', 'example.test');
    const [f] = findingsOf(judge(t), 'dns-foreign-resolver');
    expect(f?.message).toBe('sent DNS straight to 8.8.8.8:53 instead of the sandbox resolver');
  });

  it('does not fire for the sandbox resolver or the package manager\'s resolver', () => {
    const t = new Trace();
    node(t).dnsQuery('127.0.0.1', 'registry.example');
    t.pm.dnsQuery('10.255.255.53', 'registry.example');
    expect(behaviour(judge(t))).toEqual([]);
  });
});

describe('dns-encoded-data', () => {
  const hex = Buffer.from('node@ci-runner-7:/home/node/project').toString('hex');
  it.each([
    [`${hex.slice(0, 60)}.${hex.slice(60)}.oast.test`, 'hex'],
    ['mfrggzdfmztwq2lknnwg23tpobyxe43uov3ho6dzpi.x.test', 'base32'],
    ['bm9kZUBjaS1ydW5uZXItNzovaG9tZQ.collect.test', 'base64'],
  ])('fires for %s (%s)', (name, encoding) => {
    const t = new Trace();
    t.dns(name, node(t));
    const [f] = findingsOf(judge(t), 'dns-encoded-data');
    expect(f?.severity).toBe('high');
    expect(f?.message).toContain(`looks like ${encoding} data`);
  });

  it('fires for queries the tracer saw being sent, and for unattributed ones', () => {
    const t = new Trace();
    node(t).dnsQuery('127.0.0.1', `${hex.slice(0, 40)}.oast.test`);
    t.dns(`${hex.slice(0, 40)}.oast.test`);
    expect(findingsOf(judge(t), 'dns-encoded-data')).toHaveLength(2);
  });

  it.each([
    'registry.example',
    'objects.githubusercontent.com',
    'github-production-release-asset-2e65be.s3.amazonaws.com',
    'd3rlzaxaay9nzl.cloudfront.net',
    'storage.googleapis.com',
    'binaries.prisma.sh',
    'prod-registry-k8s-io-ap-south-1.s3.dualstack.ap-south-1.amazonaws.com',
    'productionresultssa10.blob.core.windows.net',
    'e12345.a.akamaiedge.net',
    '_http._tcp.deb.debian.org',
    'cdn-1a2b3c.jsdelivr.net',
  ])('does not fire for %s', (name) => {
    expect(encodedLabel(name)).toBeNull();
  });
});

describe('dnsQueryNames', () => {
  it('reads the question of a query whatever the id decoded to', () => {
    const query = (id: string, name: string): string =>
      `${id}\u0001\u0000\u0000\u0001\u0000\u0000\u0000\u0000\u0000\u0000${name.split('.').map((l) => String.fromCharCode(l.length) + l).join('')}\u0000\u0000\u0001\u0000\u0001`;
    expect(dnsQueryNames(query('\ufffd\ufffd', 'registry.example'))).toEqual(['registry.example']);
    expect(dnsQueryNames(query('\u00e9', 'a.test'))).toEqual(['a.test']);
    expect(dnsQueryNames('garbage')).toEqual([]);
  });
});

describe('network-direct-connect at the sink address', () => {
  const sinkContext = { ...CONTEXT, gateway: [{ address: '127.0.0.1' }, { address: '127.10.0.1', port: 80 }, { address: '127.10.0.1', port: 443 }] };

  it('fires for a connection to the sink on a port the gateway does not serve (a C2 on :8000)', () => {
    const t = new Trace();
    node(t).connect('127.10.0.1', 8000, { ok: false, errno: 'ECONNREFUSED' });
    const result = evaluate({ events: t.events, policy: defaultPolicy(), context: sinkContext });
    expect(result.findings.map((finding) => `${finding.ruleId}:${finding.severity}`)).toContain('network-direct-connect:high');
  });

  it('does not fire for the sink on 80/443, or for other loopback traffic', () => {
    const t = new Trace();
    const n = node(t);
    n.connect('127.10.0.1', 443);
    n.connect('127.0.0.1', 3128);
    n.connect('127.0.0.1', 9, { ok: false, errno: 'ECONNREFUSED' });
    const result = evaluate({ events: t.events, policy: defaultPolicy(), context: sinkContext });
    expect(result.findings.filter((finding) => finding.ruleId.startsWith('network-'))).toEqual([]);
  });
});

describe('dns-encoded-data: shape and volume, whatever the encoding', () => {
  // Host data as nibbles written with letters a–p: no digits, no base64 alphabet, no hex.
  const letters = (text: string) => Buffer.from(text).toString('hex').replace(/[0-9a-f]/g, (c) => 'abcdefghijklmnop'[parseInt(c, 16)] ?? '');

  it.each([
    [letters('node@ci-runner-7:/home/node/project'), 'long random-looking'],
    [letters('ci-runner-7').slice(0, 22), 'random-looking'],
    ['xkcdqzvtrwplmnbgfhjksd', 'random-looking'],
  ])('fires for a label of %s (%s)', (label, encoding) => {
    expect(encodedLabel(`${label}.collect.test`)?.encoding).toBe(encoding);
  });

  it.each([
    'productionresultssa10.blob.core.windows.net',
    'github-production-user-asset-6210df.s3.amazonaws.com',
    'internationalization.example',
    'r4---sn-4g5e6nsz.googlevideo.com',
    'ec2-198-51-100-7.compute-1.amazonaws.com',
    'xn--bcher-kva.example',
  ])('shape alone does not fire for %s', (name) => {
    expect(encodedLabel(name)).toBeNull();
  });

  it('many distinct short names under one domain are data, counted in one finding per package and domain', () => {
    const t = new Trace();
    const n = node(t);
    const chunks = letters('user=node host=ci-runner-7 cwd=/home/node/project arch=x64').match(/.{1,8}/g) ?? [];
    chunks.forEach((c, i) => t.dns(`${c}.${i}.d.exfil.test`, n));
    const f = findingsOf(judge(t), 'dns-encoded-data');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ subject: 'exfil.test', severity: 'high' });
    // Reported from the query that crossed the thresholds on; every later name is one more occurrence.
    expect(f[0]?.message).toMatch(/^looked up 13 distinct names under exfil\.test \(121 bytes of labels, [\d.]+ bits per character\)/);
    expect(f[0]?.occurrences).toBe(chunks.length - 12);
  });

  it('sixty-four distinct names are data however short; repeats of one name are not', () => {
    const t = new Trace();
    const n = node(t);
    for (let i = 0; i < 64; i++) t.dns(`${i.toString(36)}.beacon.test`, n);
    for (let i = 0; i < 200; i++) t.dns('www.cdn.test', n);
    expect(findingsOf(judge(t), 'dns-encoded-data').map((f) => f.subject)).toEqual(['beacon.test']);
  });

  it('does not count the registry, hosts the policy allows, or a handful of CDN names', () => {
    const t = new Trace();
    const n = node(t, 'sharp@0.32.6');
    for (let i = 0; i < 80; i++) t.dns(`shard-${i}.registry.example`, n);
    for (let i = 0; i < 80; i++) t.dns(`objects-${i}.githubusercontent.com`, n);
    for (const region of ['us-east-1', 'eu-west-1', 'ap-south-1', 'us-west-2']) t.dns(`s3.${region}.amazonaws.com`, n);
    t.dns('d3rlzaxaay9nzl.cloudfront.net', n);
    const policy = policyFrom('version: 1\npackages:\n  sharp@0.32.6:\n    network: ["*.githubusercontent.com"]\n');
    expect(findingsOf(judge(t, policy), 'dns-encoded-data')).toEqual([]);
  });

  it('a flood of distinct domains stays bounded in time', () => {
    const t = new Trace();
    const n = node(t);
    for (let i = 0; i < 20000; i++) t.dns(`a${i}.b${i}.d${i}.test`, n);
    const started = Date.now();
    judge(t);
    expect(Date.now() - started).toBeLessThan(10000);
  });
});

describe('decoy values in DNS, in any reversible form', () => {
  const npm = DECOYS.values[0]?.value ?? '';
  const aws = DECOYS.values[2]?.value ?? '';
  const rot13 = (s: string) => s.replace(/[a-z]/gi, (c) => String.fromCharCode(((c.toLowerCase().charCodeAt(0) - 97 + 13) % 26) + (c <= 'Z' ? 65 : 97)));
  const rev = (s: string) => [...s].reverse().join('');
  const swap = (s: string) => s.replace(/[a-z]/gi, (c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()));
  const b32 = (s: string) => {
    const A = 'abcdefghijklmnopqrstuvwxyz234567';
    let bits = 0, acc = 0, out = '';
    for (const b of Buffer.from(s)) { acc = (acc << 8) | b; bits += 8; while (bits >= 5) { out += A[(acc >>> (bits - 5)) & 31]; bits -= 5; } acc &= (1 << bits) - 1; }
    return bits > 0 ? out + A[(acc << (5 - bits)) & 31] : out;
  };
  const split = (s: string, n: number) => (s.match(new RegExp(`.{1,${n}}`, 'g')) ?? []).join('.');

  it.each([
    ['reversed', split(rev(npm), 30)],
    ['rot13', split(rot13(npm), 30)],
    ['case-swapped', split(swap(aws), 25)],
    ['hex of the reversed value', split(Buffer.from(rev(aws)).toString('hex'), 60)],
    ['base32 of rot13', split(b32(rot13(npm)), 50)],
    ['letters shifted by 3', split(npm.replace(/[a-z]/gi, (c) => String.fromCharCode(((c.toLowerCase().charCodeAt(0) - 97 + 3) % 26) + (c <= 'Z' ? 65 : 97))), 30)],
    ['split with hyphens', Buffer.from(npm).toString('hex').match(/.{1,20}/g)?.join('-') ?? ''],
  ])('a DNS name carrying the decoy %s is critical', (_, labels) => {
    const t = new Trace();
    t.dns(`${labels}.x.exfil.test`, node(t));
    const f = findingsOf(judge(t), 'decoy-exfiltration');
    expect(f.map((x) => [x.severity, x.package?.name])).toEqual([['critical', 'evil-pkg']]);
    expect(JSON.stringify(f)).not.toContain(npm);
  });

  it('a decoy cut across several queries, sent in any order, is found at the end', () => {
    const t = new Trace();
    const n = node(t);
    const hex = Buffer.from(npm).toString('hex').match(/.{1,12}/g) ?? [];
    const order = [3, 0, 6, 1, 5, 2, 4].filter((i) => i < hex.length);
    for (const i of order) t.dns(`${hex[i]}.${i}-7.q.exfil.test`, n);
    const f = findingsOf(judge(t), 'decoy-exfiltration');
    expect(f.map((x) => [x.severity, x.subject])).toEqual([['critical', 'npm-token via dns']]);
    expect(f[0]?.message).toContain('cut into pieces across several names (hex, in pieces)');
  });

  it('random labels, or a part of a decoy, are not a decoy', () => {
    const t = new Trace();
    const n = node(t);
    const hex = Buffer.from(npm).toString('hex');
    t.dns(`${hex.slice(0, 12)}.${hex.slice(30, 42)}.q.exfil.test`, n);
    for (let i = 0; i < 50; i++) t.dns(`${(i * 7919).toString(16).padStart(6, 'a')}${hex.slice(0, 4)}.p.exfil.test`, n);
    expect(findingsOf(judge(t), 'decoy-exfiltration')).toEqual([]);
  });
});

describe('registry-misuse', () => {
  const locked = [
    { name: 'esbuild', version: '0.25.12' },
    { name: '@esbuild/linux-x64', version: '0.25.12' },
    { name: 'evil-pkg', version: '1.0.0' },
  ];
  const judgeLocked = (t: Trace) => evaluate({ events: t.events, policy: defaultPolicy(), decoys: DECOYS, context: { ...CONTEXT, lockedPackages: locked } });

  it('a script fetching a package the lockfile lacks is high, data in a package name is high', () => {
    const t = new Trace();
    const n = node(t);
    t.http({ url: 'https://registry.example/stage-two', host: 'registry.example', decision: 'registry' }, n);
    t.http({ url: 'https://registry.example/stage-two/-/stage-two-6.6.6.tgz', host: 'registry.example', decision: 'registry' }, n);
    t.http({ url: 'https://registry.example/esbuild/-/esbuild-0.19.0.tgz', host: 'registry.example', decision: 'registry' }, n);
    t.http({ url: `https://registry.example/${Buffer.from('node@ci-runner-7').toString('hex')}`, host: 'registry.example', decision: 'registry' }, n);
    const f = findingsOf(judgeLocked(t), 'registry-misuse');
    expect(f.map((x) => [x.subject, x.severity, x.package?.name])).toEqual([
      ['registry.example unlocked stage-two', 'high', 'evil-pkg'],
      ['registry.example unlocked esbuild', 'high', 'evil-pkg'],
      ['registry.example data in path', 'high', 'evil-pkg'],
    ]);
    expect(f[0]?.occurrences).toBe(2);
    expect(f[1]?.message).toBe('fetched the tarball of esbuild@0.19.0 from the registry, which the lockfile does not contain (GET https://registry.example/esbuild/-/esbuild-0.19.0.tgz)');
  });

  it('does not fire for a nested install of locked packages (esbuild\'s fallback), scoped or not, nor for npm\'s own requests', () => {
    const t = new Trace();
    const n = node(t, 'esbuild@0.25.12');
    t.http({ url: 'https://registry.example/@esbuild%2flinux-x64', host: 'registry.example', decision: 'registry' }, n);
    t.http({ url: 'https://registry.example/@esbuild/linux-x64/-/linux-x64-0.25.12.tgz', host: 'registry.example', decision: 'registry' }, n);
    t.http({ url: 'https://registry.example/unlisted-thing', host: 'registry.example', decision: 'registry' });
    expect(findingsOf(judgeLocked(t), 'registry-misuse')).toEqual([]);
  });

  it('a registry request the proxy refused, a registry host on an odd port, with a query, or CONNECT to a non-HTTPS port are findings', () => {
    const t = new Trace();
    const n = node(t);
    t.http({ url: 'https://registry.example/-/v1/search', host: 'registry.example', decision: 'denied' }, n);
    t.http({ method: 'CONNECT', url: 'registry.example:8443', host: 'registry.example', port: 8443, decision: 'denied' }, n);
    t.http({ url: 'http://registry.example:8080/x', host: 'registry.example', port: 8080, decision: 'sinked' }, n);
    t.http({ url: 'http://registry.example/x?d=6e6f6465', host: 'registry.example', port: 80, decision: 'sinked' }, n);
    t.http({ method: 'CONNECT', url: 'registry.example:443', host: 'registry.example', port: 443, decision: 'denied' }, n);
    const f = findingsOf(judge(t), 'registry-misuse');
    expect(f.map((x) => [x.subject, x.message])).toEqual([
      ['registry.example refused', 'asked the registry for GET https://registry.example/-/v1/search, which the registry proxy refused'],
      ['registry.example:8443', 'sent CONNECT registry.example:8443 to the registry host registry.example with CONNECT to port 8443, not HTTPS, past the registry proxy'],
      ['registry.example:8080', 'sent GET http://registry.example:8080/x to the registry host registry.example with port 8080, where no registry listens, past the registry proxy'],
      ['registry.example:80', 'sent GET http://registry.example/x?d=6e6f6465 to the registry host registry.example with a query string, past the registry proxy'],
    ]);
    // Not registry traffic: after a credential read, each of them is egress.
    expect(findingsOf(judge(t), 'network-not-allowed')).toEqual([]);
  });

  it('a refused token API is token-use only, not twice', () => {
    const t = new Trace();
    t.http({ url: 'https://registry.example/-/whoami', host: 'registry.example', decision: 'denied' }, node(t));
    expect(behaviour(judge(t))).toEqual(['token-use:high']);
  });

  it.each([
    ['https://registry.example/express', { name: 'express' }],
    ['https://registry.example/@types%2Fnode', { name: '@types/node' }],
    ['https://registry.example/@types/node/-/node-22.1.0.tgz', { name: '@types/node', version: '22.1.0' }],
    ['https://registry.example/npm/mirror/lodash/-/lodash-4.17.21.tgz', { name: 'lodash', version: '4.17.21' }],
    ['https://registry.example/-/whoami', null],
    ['https://registry.example/', null],
    ['https://registry.example/%E0%A4%A', { name: '%E0%A4%A' }],
  ])('registryTarget(%s)', (url, expected) => {
    expect(registryTarget(url)).toEqual(expected);
  });
});
