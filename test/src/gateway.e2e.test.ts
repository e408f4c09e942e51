import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import type { DnsEvent, HttpEvent, NetworkEvent, TraceEvent } from '@safe-install/schema';
import { readHostNpmConfig } from '@safe-install/sandbox';
import { bridgeAddress, cliPath, copyProject, describeWithEngine, execIn, projectWithPackages, readTrace, runCli, runningSandboxOf, findingsOf } from './engine.js';
import { startLocalRegistry } from './local-registry.js';

const byPackage = (events: readonly TraceEvent[], name: string) => events.filter((event) => event.package?.name === name);

await describeWithEngine('the gateway: the only way out', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('leaves the sandbox no route, keeps real secrets out, injects the registry token, and records every refused attempt', async () => {
    const bridge = await bridgeAddress();
    const token = `secret-${randomBytes(12).toString('hex')}`;
    const envSecret = `real-${randomBytes(12).toString('hex')}`;
    const registry = await startLocalRegistry(bridge, token);
    cleanup.push(() => registry.close());
    const registryHost = new URL((await readHostNpmConfig(process.cwd())).registry).hostname;
    const registryIp = (await lookup(registryHost, { family: 4 })).address;
    const targets = [
      { host: registryIp, port: 443 },
      { host: bridge, port: Number(new URL(registry.url).port) },
      { host: '198.51.100.7', port: 80 },
    ];
    const registryKey = registry.url.replace(/^http:/, '');
    const project = await projectWithPackages(['net-probe'], { '@local/tiny': '1.0.0' }, {
      packageFiles: { 'net-probe': { 'targets.json': JSON.stringify({ targets }) } },
      projectFiles: {
        '.npmrc': `@local:registry=${registry.url}\n${registryKey}:_authToken=${token}\n`,
        '.env': `DATABASE_URL=postgres://app:${envSecret}@db.internal:5432/app\nAPI_KEY=${envSecret}\n`,
      },
    });
    cleanup.push(() => rm(project, { recursive: true, force: true }));
    const tracePath = join(project, 'trace.jsonl');
    const cli = execa('node', [cliPath, 'ci', project, '--trace', tracePath], { reject: false, all: true });
    const sandbox = await runningSandboxOf(cli.pid!);
    for (let i = 0; i < 600 && (await execIn(sandbox, '1000', 'test -e /tmp/waiting')).code !== 0; i++) await sleep(100);

    // No interface but loopback, no route at all: checked before anything tries to get out.
    const interfaces = (await execIn(sandbox, '1000', "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '")).output.trim().split('\n');
    expect(interfaces).toEqual(['lo']);
    expect((await execIn(sandbox, '1000', 'tail -n +2 /proc/net/route')).output.trim()).toBe('');
    for (const line of (await execIn(sandbox, '1000', 'cat /proc/net/ipv6_route')).output.trim().split('\n').filter(Boolean)) {
      expect(line.trim().split(/\s+/).pop()).toBe('lo');
    }
    // Neither the registry token nor the .env value is anywhere in the sandbox's filesystem.
    for (const user of ['1000', '0']) {
      const grep = await execIn(sandbox, user, `grep -rIFl -e '${token}' -e '${envSecret}' / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev 2>/dev/null`);
      // No match (1), or no match plus unreadable entries (2): what a user cannot read, its code cannot either.
      expect(grep.output).toBe('');
      expect([1, 2]).toContain(grep.code);
    }
    await execIn(sandbox, '1000', 'touch /tmp/go');
    const result = await cli;

    const trace = await readTrace(tracePath);
    const connects = byPackage(trace, 'net-probe').filter((event): event is NetworkEvent => event.type === 'network' && event.action === 'connect');
    for (const target of targets) {
      const attempt = connects.find((event) => event.address === target.host && event.port === target.port);
      expect(attempt).toMatchObject({ ok: false, errno: 'ENETUNREACH' });
    }
    expect(findingsOf(String(result.all), 'net-probe@1.0.0')).toMatch(/network-direct-connect in postinstall: /);
    expect(result.exitCode).toBe(1);
    // The private registry was used with the real token, added by the gateway.
    expect(registry.requests.some((request) => request.url.endsWith('.tgz') && request.authorization === `Bearer ${token}`)).toBe(true);
    expect(registry.requests.every((request) => request.authorization === `Bearer ${token}`)).toBe(true);
  }, 10 * 60_000);

  it('sinks DNS and HTTP exfiltration of the environment, and flags the decoy token', async () => {
    const project = await projectWithPackages(['exfil-env']);
    cleanup.push(() => rm(project, { recursive: true, force: true }));
    const tracePath = join(project, 'trace.jsonl');
    const reportPath = join(project, 'report.json');
    const result = await runCli(['ci', project, '--trace', tracePath, '--report', reportPath]);
    expect(result.exitCode).toBe(1);
    const trace = await readTrace(tracePath);
    const dns = trace.filter((event): event is DnsEvent => event.type === 'dns' && event.name.endsWith('.exfil.invalid'));
    expect(dns.length).toBeGreaterThan(0);
    expect(dns[0]!.name).toMatch(/^[0-9a-f]+\.exfil\.invalid$/);
    expect(dns[0]).toMatchObject({ answered: 'sinked', package: { name: 'exfil-env' } });
    const post = trace.find((event): event is HttpEvent => event.type === 'http' && event.host === 'collect.test');
    expect(post).toMatchObject({ method: 'POST', decision: 'sinked', package: { name: 'exfil-env' } });
    expect(post!.request?.body).toMatch(/"NPM_TOKEN":"npm_[A-Za-z0-9]{36}"/);
    expect(trace.some((event) => event.type === 'decoy-exfiltration' && event.decoyKind === 'npm-token')).toBe(true);
    // Nothing was forwarded for this package.
    expect(byPackage(trace, 'exfil-env').some((event) => event.type === 'http' && event.decision === 'allowed')).toBe(false);
    const report = JSON.parse(await readFile(reportPath, 'utf8'));
    expect(report.findings).toEqual(
      expect.arrayContaining([expect.objectContaining({ ruleId: 'decoy-exfiltration', severity: 'critical', package: { name: 'exfil-env', version: '1.0.0' }, lifecycle: 'postinstall' })]),
    );
  }, 10 * 60_000);

  it('lets a package reach the host its policy allows, and denies another package the same host', async () => {
    const bridge = await bridgeAddress();
    const seen: string[] = [];
    const server = createServer((request, response) => {
      seen.push(request.url ?? '');
      response.end('hello from the allowed host');
    });
    await new Promise<void>((resolve) => server.listen(0, bridge, resolve));
    cleanup.push(
      () =>
        new Promise((resolve) => {
          server.close(resolve);
          server.closeAllConnections();
        }),
    );
    const hostPort = `${bridge}:${(server.address() as AddressInfo).port}`;
    const target = JSON.stringify({ url: `http://${hostPort}/artifact` });
    const project = await projectWithPackages(['egress-a', 'egress-b'], {}, {
      packageFiles: { 'egress-a': { 'target.json': target }, 'egress-b': { 'target.json': target } },
      projectFiles: { 'safe-install.config.yaml': `version: 1\npackages:\n  egress-a:\n    network: ["${hostPort}"]\n  egress-b: true\n` },
    });
    cleanup.push(() => rm(project, { recursive: true, force: true }));
    const tracePath = join(project, 'trace.jsonl');
    const result = await runCli(['ci', project, '--trace', tracePath]);
    const trace = await readTrace(tracePath);
    const http = (name: string) => byPackage(trace, name).filter((event): event is HttpEvent => event.type === 'http');
    expect(http('egress-a')).toEqual([expect.objectContaining({ decision: 'allowed', status: 200 })]);
    expect(http('egress-b').length).toBeGreaterThan(0);
    for (const event of http('egress-b')) expect(event.decision).not.toBe('allowed');
    expect(seen).toEqual(['/artifact']);
    expect(findingsOf(String(result.all), 'egress-b@1.0.0')).toMatch(/network-(not-allowed|raw-ip) in postinstall: /);
    expect(findingsOf(String(result.all), 'egress-a@1.0.0')).not.toMatch(/network-[a-z-]+ in /);
    expect(result.exitCode).toBe(1);
  }, 10 * 60_000);

  it('serves a second install of the same project from its cache, without asking the registry', async () => {
    const project = await copyProject('examples/webapp');
    cleanup.push(() => rm(project, { recursive: true, force: true }));
    const first = await runCli(['ci', project]);
    expect(first.exitCode).toBe(0);
    await rm(join(project, 'node_modules'), { recursive: true, force: true });
    const tracePath = join(project, 'trace.jsonl');
    const second = await runCli(['ci', project, '--trace', tracePath]);
    expect(second.exitCode).toBe(0);
    const registryEvents = (await readTrace(tracePath)).filter((event): event is HttpEvent => event.type === 'http' && event.decision === 'registry');
    expect(registryEvents.length).toBeGreaterThan(300);
    expect(registryEvents.filter((event) => event.upstream !== false)).toEqual([]);
  }, 10 * 60_000);
});
