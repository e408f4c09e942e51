/**
 * The gateway process's core: listens on `<socketDir>/gateway.sock` for the forwarder's
 * connections, reads each one's header line and hands the rest to the matching handler.
 */
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { createDecoyMatcher } from '../canary/matcher.js';
import { validateGatewayConfig, type GatewayConfig } from '../config.js';
import { compileAllowlist } from '../egress/allow.js';
import { registryAliasesFor, selfAuthoritiesFor } from '../http/route.js';
import { StreamReader, readLine } from '../io/stream-reader.js';
import { GATEWAY_SOCKET_NAME, MAX_HEADER_LINE_BYTES, parseForwardHeader } from '../protocol.js';
import type { GatewayContext } from './context.js';
import { serveDns } from './dns-session.js';
import { EventLog, type GatewayEvent } from './event-log.js';
import { HttpSession } from './http-session.js';
import { RegistryProxy } from './registry-proxy.js';
import { serveTls } from './tls-session.js';
import { RegistryTls } from './registry-tls.js';
import { writeTrustStore } from './trust-store.js';
import { Upstream } from './upstream.js';

export interface GatewayOptions {
  /** Called with every event after it is written (tests, live progress). */
  onEvent?: (event: GatewayEvent) => void;
  /** Called with errors that are not any client's fault (the gateway keeps running). */
  onError?: (error: Error) => void;
}

export interface StartedGateway {
  socketPath: string;
  /** The run's CA certificate (PEM) when a registry is advertised over https, else null. */
  caCertificate: string | null;
  /** Events written so far. */
  readonly eventCount: number;
  /** Stops listening, ends open connections and closes the event log. Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export class GatewayConfigError extends Error {
  readonly code = 'GATEWAY_CONFIG_INVALID';
  constructor(readonly errors: string[]) {
    super(`invalid gateway config: ${errors.join('; ')}`);
  }
}

const HEADER_TIMEOUT_MS = 10_000;

/** Starts the gateway in this process. Throws GatewayConfigError for a bad config. */
export async function startGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<StartedGateway> {
  const checked = validateGatewayConfig(config);
  if (!checked.value) throw new GatewayConfigError(checked.errors);
  const valid = checked.value;
  const events = new EventLog(valid.eventsFile, options.onEvent);
  const upstream = new Upstream({
    strictSsl: valid.strictSsl,
    timeoutMs: valid.limits.upstreamTimeoutMs,
    ...(valid.ca ? { ca: valid.ca } : {}),
    ...(valid.proxy ? { proxy: valid.proxy } : {}),
    ...(valid.httpsProxy ? { httpsProxy: valid.httpsProxy } : {}),
    ...(valid.noproxy ? { noproxy: valid.noproxy } : {}),
    ...(valid.hostsOverride ? { hostsOverride: valid.hostsOverride } : {}),
  });
  const context: GatewayContext = {
    config: valid,
    events,
    matcher: createDecoyMatcher(valid.decoys),
    allowlist: compileAllowlist(valid.allow).allowlist,
    upstream,
    selfAuthorities: selfAuthoritiesFor(valid.advertisedOrigin),
    registryAliases: registryAliasesFor(valid.registries),
    tls: null,
  };
  if (context.registryAliases.some((alias) => alias.tls)) {
    // A fresh CA for every run; its key stays in this process.
    context.tls = new RegistryTls();
    // Before the socket exists: the sandbox's forwarder waits for the socket before the install
    // starts, so every process of the install finds the CA in the bundle it reads at start.
    if (valid.trustStore) writeTrustStore(valid.trustStore, context.tls.caCertificate);
  }
  const registry = new RegistryProxy(context);
  const sockets = new Set<Socket>();
  const reportError = (error: unknown): void => {
    try {
      options.onError?.(error instanceof Error ? error : new Error(String(error)));
    } catch {
      // ignore
    }
  };

  const handle = async (socket: Socket): Promise<void> => {
    const reader = new StreamReader(socket);
    const timer = setTimeout(() => socket.destroy(), HEADER_TIMEOUT_MS);
    const line = await readLine(reader, MAX_HEADER_LINE_BYTES);
    clearTimeout(timer);
    const parsed = line === null ? null : parseForwardHeader(line);
    if (!parsed?.ok) {
      reportError(new Error(`bad forwarder header: ${parsed ? parsed.reason : 'none'}`));
      socket.destroy();
      return;
    }
    socket.setTimeout(valid.limits.idleTimeoutMs, () => socket.destroy());
    const connection = { socket, reader, header: parsed.header };
    switch (parsed.header.kind) {
      case 'proxy':
        return new HttpSession(context, registry, connection).run();
      case 'sink': {
        // Sniff, do not trust the port: TLS on 80 or plain HTTP on 443 are handled for what they are.
        while (reader.length === 0) if (!(await reader.more())) return void socket.destroy();
        if (reader.buffer[0] === 0x16) return serveTls(context, registry, connection);
        return new HttpSession(context, registry, connection).run();
      }
      case 'dns-udp':
      case 'dns-tcp':
        return serveDns(context, connection);
    }
  };

  mkdirSync(valid.socketDir, { recursive: true, mode: 0o700 });
  const socketPath = join(valid.socketDir, GATEWAY_SOCKET_NAME);
  rmSync(socketPath, { force: true });
  const server = createServer({ allowHalfOpen: false }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined); // every handler sees the failure through its reader
    handle(socket).catch((error: unknown) => {
      reportError(error);
      socket.destroy();
    });
  });
  server.maxConnections = 4096;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', reportError);
  // Only the forwarder (root in the sandbox, owner of nothing else) may connect; the directory is 0700 too.
  chmodSync(socketPath, 0o600);

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      upstream.close();
      events.close();
    })();
    return closing;
  };
  return {
    socketPath,
    caCertificate: context.tls?.caCertificate ?? null,
    get eventCount() {
      return events.count;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
