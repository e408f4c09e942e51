/**
 * Network events: the tracer's connect/sendto calls, and the gateway's HTTP and DNS logs.
 *
 * Inside the sandbox the only sanctioned way out is the gateway (through a loopback forwarder), so
 * any attempt to reach another address is a finding whether or not it succeeded — failing is
 * what the sandbox makes it do. Traffic of the package manager itself (no attribution) is judged
 * only for what is never legitimate: the metadata service, encoded DNS, refused requests.
 */
import type { DnsEvent, HttpEvent, NetworkEvent } from '@safe-install/schema';
import { isIpLiteral, normalizeHost } from '../match/host-pattern.js';
import type { Analysis } from './analysis.js';
import { report } from './analysis.js';
import { reportDecoysIn } from './analyze-decoys.js';
import { isLoopback, isMetadataAddress, METADATA_HOSTS, normalizeIp, sameAddress } from './addresses.js';
import { dnsQueryNames, encodedLabel, registrableDomain } from './dns-labels.js';
import { noteDnsVolume } from './dns-volume.js';
import { isRegistryRequest, judgeScriptRegistryRequest, pathOf } from './registry-requests.js';
import { isContainerEngineSocket } from './known-paths.js';
import type { ScriptRun } from './trace-model.js';

const DNS_PORTS = new Set([53, 853, 5353]);

export function analyzeNetwork(a: Analysis, e: NetworkEvent): void {
  if (e.address === undefined || e.action === 'bind') return;
  const run = e.package === undefined ? undefined : a.model.runOf(e);
  const attempted = e.ok === false ? ` (failed: ${e.errno ?? 'error'})` : '';

  if (e.family === 'AF_UNIX') {
    if (run !== undefined && isContainerEngineSocket(e.address)) {
      report(a, e, run, { rule: 'privilege-escalation', subject: e.address, message: `connected to the container engine socket ${e.address}${attempted}` });
    }
    return;
  }
  if (e.family !== 'AF_INET' && e.family !== 'AF_INET6') return;
  const address = normalizeIp(e.address);
  const where = `${address.includes(':') ? `[${address}]` : address}:${e.port ?? '?'}`;

  if (isMetadataAddress(address)) {
    report(a, e, run, { rule: 'metadata-address', subject: address, message: `connected to the cloud metadata service at ${where}${attempted}` });
    return;
  }
  if (run === undefined) return;

  if (e.data !== undefined) reportDecoysIn(a, e, run, e.data, 'payload', { host: address, ...(e.port === undefined ? {} : { port: e.port }) });

  if (e.port !== undefined && DNS_PORTS.has(e.port)) {
    const local = isLoopback(address) || a.ctx.resolvers.some((r) => sameAddress(r, address));
    if (!local) {
      report(a, e, run, { rule: 'dns-foreign-resolver', subject: where, message: `sent DNS straight to ${where} instead of the sandbox resolver${attempted}` });
    }
    for (const name of e.data === undefined ? [] : dnsQueryNames(e.data)) judgeDnsName(a, e, run, name, local ? 'looked up' : 'asked a foreign resolver for');
    return;
  }
  // A gateway address listed with its ports (the sink every DNS answer points at) is reached only
  // through a sinked name: a connection there on another port is an attempt to get out (a C2 on
  // :8000), not local traffic, even though the address is loopback.
  const atGateway = a.ctx.gateway.filter((g) => sameAddress(g.address, address));
  const offPort = atGateway.length > 0 && atGateway.every((g) => g.port !== undefined && g.port !== e.port);
  if (isLoopback(address) && !offPort) return;
  if (atGateway.some((g) => g.port === undefined || g.port === e.port)) return;
  if (a.policy.hostAllowed(run.package, address, e.port)) return;
  report(a, e, run, {
    rule: 'network-direct-connect',
    subject: where,
    message: `tried to connect straight to ${where}, bypassing the gateway${attempted}`,
  });
}

/** Paths of the registry API that act with the user's token. */
const REGISTRY_TOKEN_PATHS = /^\/-\/(?:whoami|npm\/v1\/tokens|user\/|v1\/login|org\/|team\/|package\/[^/]+(?:\/[^/]+)?\/(?:access|collaborators|dist-tags))/;
const REGISTRY_READ_ONLY_POSTS = /^\/-\/npm\/v1\/security\//;
const CLOUD_SECRET_HOSTS = [/^secretsmanager\.[\w-]+\.amazonaws\.com$/, /^sts(?:\.[\w-]+)?\.amazonaws\.com$/, /^ssm\.[\w-]+\.amazonaws\.com$/, /^secretmanager\.googleapis\.com$/, /^iamcredentials\.googleapis\.com$/, /\.vault\.azure\.net$/];

export function analyzeHttp(a: Analysis, e: HttpEvent): void {
  const owner = a.model.attributionOf(e);
  const run = owner === undefined ? undefined : a.model.runOf({ pid: owner.pid ?? e.pid, package: owner.package, ...(owner.lifecycle === undefined ? {} : { lifecycle: owner.lifecycle }) });
  const host = normalizeHost(e.host);
  const where = `${host.includes(':') ? `[${host}]` : host}:${e.port}`;
  const request = `${e.method} ${e.url}`;
  const registry = isRegistryRequest(a.ctx, e);

  if (METADATA_HOSTS.has(host) || isMetadataAddress(host)) {
    report(a, e, run, { rule: 'metadata-address', subject: host, message: `sent ${request} to the cloud metadata service (${where})` });
    return;
  }
  // Only the package manager's own registry requests may carry its npm token (see analyze-decoys).
  const dest = { host, port: e.port, registryAuth: registry && owner === undefined };
  reportDecoysIn(a, e, run, e.url, 'url', dest);
  for (const value of Object.values(e.request?.headers ?? {})) reportDecoysIn(a, e, run, value, 'header', dest);
  if (e.request?.body !== undefined) reportDecoysIn(a, e, run, e.request.body, 'body', dest);

  if (run === undefined) {
    // The package manager's own request: refused ones mean a URL or git dependency.
    if (e.decision === 'denied' || e.decision === 'sinked') {
      report(a, e, undefined, {
        rule: isIpLiteral(host) ? 'network-raw-ip' : 'network-not-allowed',
        severity: 'medium',
        subject: where,
        message: `the package manager requested ${request} from ${where}, which is not allowed (a URL or git dependency?)`,
        hint: 'dependencies should come from the registry; allow the host in network.allow if this one is expected',
      });
    }
    return;
  }
  const tokenUse = judgeTokenRequest(a, e, run, host, registry);
  if (judgeScriptRegistryRequest(a, e, run, tokenUse)) return;
  if (a.policy.hostAllowed(run.package, host, e.port)) return;
  const refused = e.decision === 'denied' ? ' (refused by the gateway)' : e.decision === 'sinked' ? ' (answered by the sink, nothing left the sandbox)' : '';
  if (isIpLiteral(host)) {
    report(a, e, run, { rule: 'network-raw-ip', subject: where, message: `sent ${request} to the raw IP address ${where}${refused}` });
    return;
  }
  const hit: Parameters<typeof report>[3] = {
    rule: 'network-not-allowed',
    subject: where,
    message: `sent ${request} to ${where}, which the policy does not allow it${refused}`,
    suggestion: { field: 'network', value: where, lifecycle: run.lifecycle, why: `sent ${e.method} ${e.url}` },
  };
  if (refusedBeforeAnyByte(e)) {
    // Nothing of the request left the sandbox, only the host name the client asked for: low
    // (recorded and shown, never failing on its own), and critical after a credential read
    // (correlate). Not learned: the install went on without it, and allowing the host would
    // change what the next run does (download instead of build).
    hit.severity = 'low';
    hit.message = `tried to open a TLS tunnel to ${where}; the gateway refused it before any byte of a request left (only the host name was seen)`;
    hit.hint = 'a prebuilt-binary download (prebuild-install, node-pre-gyp) falls back to a build from source; allow the host in the package\'s network list if the download should succeed';
    delete hit.suggestion;
  }
  report(a, e, run, hit);
}

/**
 * A CONNECT to the HTTPS port that the gateway refused: it answered 403 before the client sent a
 * byte through the tunnel, so all that was disclosed is the host name (which the DNS and decoy
 * rules judge on their own: a decoy value in it is still critical). This is how prebuild-install and
 * node-pre-gyp try a GitHub release before they build from source. Plain HTTP, by contrast, hands
 * the sink its request line and body, which is a beacon or a fetch of code whatever the answer.
 */
function refusedBeforeAnyByte(e: HttpEvent): boolean {
  return e.method.toUpperCase() === 'CONNECT' && e.decision === 'denied' && e.port === 443;
}

/** Reports a request that uses a token; true when it did. */
function judgeTokenRequest(a: Analysis, e: HttpEvent, run: ScriptRun, host: string, registry: boolean): boolean {
  const path = pathOf(e.url);
  const method = e.method.toUpperCase();
  let what: string | null = null;
  let critical = false;
  if (registry) {
    if (REGISTRY_TOKEN_PATHS.test(path)) what = 'the registry\'s account API';
    else if ((method === 'PUT' || method === 'DELETE') || (method === 'POST' && !REGISTRY_READ_ONLY_POSTS.test(path))) {
      what = method === 'PUT' ? 'a registry publish' : 'a registry write';
      critical = method === 'PUT';
    }
  } else if (host === 'api.github.com' || host === 'uploads.github.com') {
    if (method !== 'GET' && method !== 'HEAD') what = 'a GitHub API write';
    else if (/^\/(?:user(?:\/|$)|graphql|repos\/[^/]+\/[^/]+\/actions\/(?:runners|secrets)|orgs\/[^/]+\/actions)/.test(path)) what = 'the GitHub account API';
  } else if (CLOUD_SECRET_HOSTS.some((re) => re.test(host))) {
    what = 'a cloud secrets or identity API';
  }
  if (what === null) return false;
  report(a, e, run, {
    rule: 'token-use',
    severity: critical ? 'critical' : 'high',
    subject: `${method} ${host}${path}`,
    message: `sent ${method} ${e.url} to ${host}: ${what}, which needs a token`,
  });
  return true;
}

export function analyzeDns(a: Analysis, e: DnsEvent): void {
  if (e.name === '') return; // a malformed query the gateway could not parse
  const owner = a.model.attributionOf(e);
  const run = owner === undefined ? undefined : a.model.runOf({ pid: owner.pid ?? e.pid, package: owner.package, ...(owner.lifecycle === undefined ? {} : { lifecycle: owner.lifecycle }) });
  const raw = e.name.trim().replace(/\.$/, '');
  judgeDnsName(a, e, run, raw, 'looked up');
  if (run === undefined) return;
  const name = normalizeHost(raw);
  if (METADATA_HOSTS.has(name) || encodedLabel(raw) !== null) return;
  if (a.policy.hostAllowed(run.package, name, undefined)) return;
  report(a, e, run, {
    rule: 'network-not-allowed',
    severity: 'medium',
    subject: name,
    message: `looked up ${name}, a host the policy does not allow it`,
    suggestion: { field: 'network', value: name, lifecycle: run.lifecycle, why: `looked up ${name}` },
  });
}

/**
 * Checks every DNS name, from the gateway's log or from a query the tracer saw being sent. `raw`
 * keeps its case: mixed case is what gives base64 away (host names are case-insensitive).
 */
function judgeDnsName(a: Analysis, e: DnsEvent | NetworkEvent, run: ScriptRun | undefined, raw: string, verb: string): void {
  const name = normalizeHost(raw);
  reportDecoysIn(a, e, run, raw, 'dns', { host: name, dotless: true });
  if (METADATA_HOSTS.has(name)) {
    report(a, e, run, { rule: 'metadata-address', subject: name, message: `${verb} ${name}, the cloud metadata service` });
    return;
  }
  if (a.ctx.registryHosts.has(name) || a.policy.hostAllowed(run?.package, name, undefined)) return;
  noteDnsVolume(a, e, run, name);
  const encoded = encodedLabel(raw);
  if (encoded === null) return;
  report(a, e, run, {
    rule: 'dns-encoded-data',
    subject: registrableDomain(name),
    message: `${verb} ${raw}: the label "${encoded.label}" looks like ${encoded.encoding} data`,
  });
}
