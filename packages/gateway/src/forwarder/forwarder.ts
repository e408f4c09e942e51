/**
 * The forwarder: runs inside the sandbox (in the root runner's process), listens on loopback where
 * the install expects a proxy, a DNS server and the hosts DNS pointed it at, and relays every
 * connection and datagram over a unix socket to the gateway. It adds one thing: who the client is
 * (socket inode, and whatever the runner's `identify` adds: pid, package, lifecycle), written as the
 * header line before the client's bytes. It never interprets the traffic; the gateway does.
 *
 * The sandbox has no other network than loopback, and the unix socket's directory is root's (0700),
 * so the install user can reach the gateway only through these listeners.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DnsFrameSplitter, frameDnsMessage } from '../dns/framing.js';
import { DNS_RCODE, buildDnsErrorResponse, buildDnsResponse, parseDnsQuery } from '../dns/message.js';
import { GATEWAY_SOCKET_NAME, encodeForwardHeader, sanitizeIdentity, type ClientIdentity, type ForwardKind } from '../protocol.js';

/** What `identify` is asked: the client's port (and address) and the local listener it reached. */
export interface IdentifyQuery {
  protocol: 'tcp' | 'udp';
  /** The port the client connected or sent to, as bound (not the service port it stands for). */
  localPort: number;
  /** The client's own port. */
  remotePort: number;
  localAddress?: string;
  remoteAddress?: string;
}

/** Maps a client to its identity. Should resolve quickly; it is bounded by `identifyTimeoutMs`. */
export type IdentifyClient = (query: IdentifyQuery) => Promise<ClientIdentity>;

export interface ListenAddress {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** The port reported to the gateway; defaults to `port`. Lets tests bind high ports that stand for 53, 80 or 443. */
  servicePort?: number;
}

export interface ForwarderOptions {
  /** Directory holding the gateway's socket (`gateway.sock`). */
  socketDir: string;
  identify?: IdentifyClient;
  /** HTTP proxy listeners. Default `127.0.0.1:3128`. */
  proxy?: ListenAddress[];
  /** DNS listeners, UDP and TCP on each. Default `127.0.0.1:53`. */
  dns?: ListenAddress[];
  /** Sink listeners (where every DNS answer points). Default `127.10.0.1:80` and `127.10.0.1:443`. */
  sink?: ListenAddress[];
  /** Default 1000 ms; past it the client is relayed unattributed. */
  identifyTimeoutMs?: number;
  /** How long a client waits for the gateway's socket to appear (default 30 s). */
  gatewayWaitMs?: number;
  /**
   * Resolve only once the gateway's socket exists (waiting at most `gatewayWaitMs`). The gateway
   * writes the sandbox's trust store (its per-run CA) before it listens, and programs read their
   * trust store when they start: an install started after this finds the CA there.
   */
  waitForGateway?: boolean;
  /** Errors that are nobody's fault in particular (a listener failing later, the gateway gone). */
  onError?: (error: Error) => void;
}

export interface BoundAddress {
  kind: ForwardKind;
  address: string;
  port: number;
  servicePort: number;
}

export interface StartedForwarder {
  /** Every listener as bound (with the real port when 0 was asked for). */
  addresses: BoundAddress[];
  /** Stops listening and ends open relays. Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export const DEFAULT_FORWARDER_LISTEN = {
  proxy: [{ host: '127.0.0.1', port: 3128 }],
  dns: [{ host: '127.0.0.1', port: 53 }],
  sink: [
    { host: '127.10.0.1', port: 80 },
    { host: '127.10.0.1', port: 443 },
  ],
} as const satisfies Record<string, ListenAddress[]>;

const UDP_SESSION_IDLE_MS = 10_000;
const MAX_UDP_SESSIONS = 512;

async function identifyBounded(identify: IdentifyClient | undefined, query: IdentifyQuery, timeoutMs: number, onError: (error: Error) => void): Promise<ClientIdentity> {
  if (!identify) return {};
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await Promise.race([identify(query), new Promise<ClientIdentity>((resolve) => (timer = setTimeout(() => resolve({}), timeoutMs)))]);
    return sanitizeIdentity(result);
  } catch (error) {
    onError(error instanceof Error ? error : new Error(String(error)));
    return {};
  } finally {
    clearTimeout(timer);
  }
}

function connectOnce(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path, allowHalfOpen: true });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * Connects to the gateway's socket, waiting up to `waitMs` for it to appear: the gateway container
 * starts alongside the sandbox, so the first client may come before the gateway listens.
 */
async function connectGateway(path: string, waitMs: number): Promise<Socket> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await connectOnce(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ECONNREFUSED') || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Starts every listener; if one cannot bind, the others are closed and the error is thrown. */
export async function startForwarder(options: ForwarderOptions): Promise<StartedForwarder> {
  const gatewayPath = join(options.socketDir, GATEWAY_SOCKET_NAME);
  const timeoutMs = options.identifyTimeoutMs ?? 1000;
  const gatewayWaitMs = options.gatewayWaitMs ?? 30_000;
  const onError = (error: Error): void => {
    try {
      options.onError?.(error);
    } catch {
      // ignore
    }
  };
  const servers: Server[] = [];
  const udpSockets: UdpSocket[] = [];
  const relays = new Set<Socket>();
  const addresses: BoundAddress[] = [];
  const track = (socket: Socket): void => {
    relays.add(socket);
    socket.once('close', () => relays.delete(socket));
  };

  /** Relays one accepted TCP client to the gateway. */
  const relayTcp = async (client: Socket, kind: ForwardKind, servicePort: number): Promise<void> => {
    track(client);
    client.on('error', () => client.destroy());
    const identity = await identifyBounded(options.identify, { protocol: 'tcp', localPort: client.localPort ?? 0, remotePort: client.remotePort ?? 0, ...(client.localAddress ? { localAddress: client.localAddress } : {}), ...(client.remoteAddress ? { remoteAddress: client.remoteAddress } : {}) }, timeoutMs, onError);
    if (client.destroyed) return;
    let upstream: Socket;
    try {
      upstream = await connectGateway(gatewayPath, gatewayWaitMs);
    } catch (error) {
      onError(new Error(`gateway unreachable: ${(error as Error).message}`));
      client.destroy();
      return;
    }
    track(upstream);
    upstream.on('error', () => upstream.destroy());
    upstream.write(encodeForwardHeader({ kind, port: servicePort, client: identity }));
    client.pipe(upstream);
    upstream.pipe(client);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => {
      client.end();
      setTimeout(() => client.destroy(), 5000).unref();
    });
    client.resume();
  };

  const listenTcp = async (address: ListenAddress, kind: ForwardKind): Promise<void> => {
    const server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (client) => {
      relayTcp(client, kind, servicePort()).catch((error: unknown) => {
        onError(error instanceof Error ? error : new Error(String(error)));
        client.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address.host, port: address.port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    servers.push(server);
    server.on('error', onError);
    const bound = server.address() as AddressInfo;
    const servicePort = (): number => address.servicePort ?? bound.port;
    addresses.push({ kind, address: bound.address, port: bound.port, servicePort: servicePort() });
  };

  const listenUdp = async (address: ListenAddress): Promise<void> => {
    const socket = createSocket({ type: address.host.includes(':') ? 'udp6' : 'udp4' });
    udpSockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: address.host, port: address.port, exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', onError);
    const bound = socket.address();
    const servicePort = address.servicePort ?? bound.port;
    addresses.push({ kind: 'dns-udp', address: bound.address, port: bound.port, servicePort });

    /** One gateway stream per client address, reused while the client keeps sending (A and AAAA come in pairs). */
    const sessions = new Map<string, { write: (message: Buffer) => void; touch: () => void }>();
    const servfail = (message: Buffer, remote: RemoteInfo): void => {
      // Echo the question when there is one: stub resolvers ignore answers to "another" query.
      const parsed = parseDnsQuery(message);
      if (parsed.ok) socket.send(buildDnsResponse(parsed.query, DNS_RCODE.SERVFAIL), remote.port, remote.address);
      else if (parsed.id !== undefined) socket.send(buildDnsErrorResponse(parsed.id, parsed.flags ?? 0, DNS_RCODE.SERVFAIL), remote.port, remote.address);
    };
    socket.on('message', (message, remote) => {
      const key = `${remote.address}:${remote.port}`;
      const existing = sessions.get(key);
      if (existing) {
        existing.touch();
        existing.write(message);
        return;
      }
      if (sessions.size >= MAX_UDP_SESSIONS) return servfail(message, remote);
      const queue: Buffer[] = [message];
      let stream: Socket | null = null;
      let timer: NodeJS.Timeout | undefined;
      const end = (): void => {
        sessions.delete(key);
        clearTimeout(timer);
        stream?.end();
      };
      const touch = (): void => {
        clearTimeout(timer);
        timer = setTimeout(end, UDP_SESSION_IDLE_MS);
        timer.unref();
      };
      const session = {
        write: (next: Buffer): void => {
          if (next.length > 0xffff) return;
          if (stream) stream.write(frameDnsMessage(next));
          else queue.push(next);
        },
        touch,
      };
      sessions.set(key, session);
      touch();
      void (async () => {
        const identity = await identifyBounded(options.identify, { protocol: 'udp', localPort: bound.port, remotePort: remote.port, localAddress: bound.address, remoteAddress: remote.address }, timeoutMs, onError);
        try {
          stream = await connectGateway(gatewayPath, gatewayWaitMs);
        } catch (error) {
          onError(new Error(`gateway unreachable: ${(error as Error).message}`));
          for (const queued of queue) servfail(queued, remote);
          end();
          return;
        }
        track(stream);
        stream.on('error', () => stream?.destroy());
        stream.once('close', () => {
          if (sessions.get(key) === session) sessions.delete(key);
        });
        const splitter = new DnsFrameSplitter();
        stream.on('data', (chunk: Buffer) => {
          for (const answer of splitter.push(chunk)) socket.send(answer, remote.port, remote.address);
        });
        stream.write(encodeForwardHeader({ kind: 'dns-udp', port: servicePort, client: identity }));
        for (const queued of queue.splice(0)) stream.write(frameDnsMessage(queued));
      })();
    });
  };

  const listen = {
    proxy: options.proxy ?? DEFAULT_FORWARDER_LISTEN.proxy,
    dns: options.dns ?? DEFAULT_FORWARDER_LISTEN.dns,
    sink: options.sink ?? DEFAULT_FORWARDER_LISTEN.sink,
  };
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      for (const relay of relays) relay.destroy();
      await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
      await Promise.all(udpSockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
    })();
    return closing;
  };
  try {
    for (const address of listen.proxy) await listenTcp(address, 'proxy');
    for (const address of listen.dns) {
      // DNS over TCP on the same port as bound for UDP (clients retry truncated answers over TCP).
      // An ephemeral UDP port (tests ask for port 0) may be taken on the TCP side: draw again.
      for (let attempt = 1; ; attempt++) {
        await listenUdp(address);
        const udpBound = addresses[addresses.length - 1] as BoundAddress;
        try {
          await listenTcp({ host: address.host, port: udpBound.port, servicePort: udpBound.servicePort }, 'dns-tcp');
          break;
        } catch (error) {
          if (address.port !== 0 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw error;
          addresses.pop();
          const udp = udpSockets.pop();
          await new Promise<void>((resolve) => (udp ? udp.close(() => resolve()) : resolve()));
        }
      }
    }
    for (const address of listen.sink) await listenTcp(address, 'sink');
  } catch (error) {
    await close();
    throw error;
  }
  if (options.waitForGateway) {
    const deadline = Date.now() + gatewayWaitMs;
    while (!existsSync(gatewayPath)) {
      if (Date.now() >= deadline) {
        onError(new Error(`the gateway's socket did not appear within ${gatewayWaitMs} ms`));
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  return { addresses, close, [Symbol.asyncDispose]: close };
}
