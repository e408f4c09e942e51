import { dnsQueryNames, encodedLabel } from './dns-labels.js';
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
