/**
 * A TLS connection to the sink (a client that resolved a name through the DNS sink and ignored the
 * proxy settings). The gateway reads the ClientHello's server name. The registry the sandbox knows
 * by https is served by the gateway itself (registry-tls.ts); for any other host the gateway does
 * not read inside the TLS: it splices the connection to that host when the policy allows it, and
 * otherwise records the attempt (with the name) and closes.
 */
import { decideEgress } from '../egress/allow.js';
import { recordHttp, type ClientConnection, type GatewayContext } from './context.js';
import { firstHello } from './http-session.js';
import { DialError } from './upstream.js';
import { splice } from './splice.js';
import { isTlsRegistry } from '../http/route.js';
import type { RegistryProxy } from './registry-proxy.js';
import { serveRegistryTls } from './registry-tls.js';

const HELLO_WAIT_MS = 10_000;

export async function serveTls(context: GatewayContext, registry: RegistryProxy, connection: ClientConnection): Promise<void> {
  const { socket, reader, header } = connection;
  const client = header.client;
  const port = header.port;
  const hello = await firstHello(reader, HELLO_WAIT_MS);
  const serverName = hello.status === 'ok' ? hello.serverName : undefined;
  const base = { type: 'http' as const, method: 'TLS', url: serverName ? `${serverName}:${port}` : '', host: serverName ?? '', port };
  if (!serverName) {
    const reason = hello.status === 'ok' ? 'TLS without a server name' : hello.status === 'invalid' ? `bad TLS hello: ${hello.reason}` : `no TLS hello (${hello.status})`;
    recordHttp(context, client, { ...base, decision: 'denied', bytes: 0, reason });
    socket.destroy();
    return;
  }
  if (isTlsRegistry(context.registryAliases, serverName, port)) return serveRegistryTls(context, registry, connection, serverName, port);
  const matches = context.matcher.scanDnsLabels(serverName.split('.'));
  const decision = decideEgress(context.allowlist, serverName, port, client.package?.name);
  if (!decision.allowed || matches.length > 0) {
    recordHttp(context, client, { ...base, decision: 'denied', bytes: 0, reason: matches.length > 0 ? 'decoy value in server name' : 'host not allowed' }, matches);
    socket.destroy();
    return;
  }
  let upstream;
  try {
    upstream = await context.upstream.dial(serverName, port);
  } catch (error) {
    const forbidden = error instanceof DialError && error.reason === 'forbidden';
    recordHttp(context, client, { ...base, decision: forbidden ? 'denied' : 'allowed', bytes: 0, reason: (error as Error).message });
    socket.destroy();
    return;
  }
  recordHttp(context, client, { ...base, decision: 'allowed', bytes: 0, reason: `allowed by ${decision.rule}` });
  await splice(socket, reader.release(), upstream);
}
