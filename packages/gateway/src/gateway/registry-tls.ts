/**
 * TLS for a registry the sandbox knows by its `https://` URL. A real CI job's npm talks TLS to the
 * registry, so the sandbox's does too — through a CONNECT on the proxy port, or straight to the
 * sink for a client that ignores the proxy settings. The gateway ends that TLS itself with a host
 * certificate from its per-run CA (which the sandbox trusts), then reads the requests inside as it
 * reads plain ones: the registry proxy judges each (the registry-misuse rules), adds the real
 * credentials and talks to the real registry with the user's CA and proxy settings. Nothing inside
 * is ever forwarded elsewhere: a request in that connection for another host is sinkholed.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { TLSSocket, createSecureContext, type SecureContext } from 'node:tls';
import { createCertificateAuthority, type CertificateAuthority } from '../tls/certificate.js';
import { StreamReader } from '../io/stream-reader.js';
import { recordHttp, type ClientConnection, type GatewayContext } from './context.js';
import { HttpSession } from './http-session.js';
import type { RegistryProxy } from './registry-proxy.js';

/** What a CA certificate is called in the sandbox's trust store. Deliberately plain. */
export const CA_COMMON_NAME = 'Internal Root CA';

const HANDSHAKE_TIMEOUT_MS = 10_000;

/** The run's CA and the server contexts made from it, one per registry host. */
export class RegistryTls {
  readonly #ca: CertificateAuthority;
  readonly #contexts = new Map<string, SecureContext>();

  constructor(ca: CertificateAuthority = createCertificateAuthority({ commonName: CA_COMMON_NAME })) {
    this.#ca = ca;
  }

  /** The CA certificate (PEM), for the sandbox's trust store. */
  get caCertificate(): string {
    return this.#ca.cert;
  }

  contextFor(host: string): SecureContext {
    const key = host.toLowerCase();
    let context = this.#contexts.get(key);
    if (!context) {
      const issued = this.#ca.issue(key);
      context = createSecureContext({ cert: issued.cert, key: issued.key, minVersion: 'TLSv1.2' });
      this.#contexts.set(key, context);
    }
    return context;
  }
}

/**
 * The client socket as a plain stream, starting with the bytes the gateway already read from it
 * (the ClientHello it looked at). A TLSSocket over the net.Socket itself would read its handle
 * directly and lose those bytes.
 */
function withPending(socket: Socket, pending: Buffer): Duplex {
  const stream = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      if (socket.destroyed) return callback();
      socket.write(chunk, () => callback());
    },
    final(callback) {
      socket.end();
      callback();
    },
    destroy(error, callback) {
      socket.destroy();
      callback(error);
    },
  });
  if (pending.length > 0) stream.push(pending);
  socket.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.once('end', () => stream.push(null));
  socket.once('close', () => stream.destroy());
  socket.on('error', () => stream.destroy());
  return stream;
}

/**
 * Ends the TLS of a connection for registry `host:port` (the CONNECT target, or the sink port and
 * the ClientHello's name) and serves the requests inside it. `connection.reader` still holds
 * whatever was read past the CONNECT or the forwarder's header.
 */
export async function serveRegistryTls(context: GatewayContext, registry: RegistryProxy, connection: ClientConnection, host: string, port: number): Promise<void> {
  const tls = context.tls;
  const { socket, reader, header } = connection;
  if (tls === null) {
    socket.destroy();
    return;
  }
  const secure = new TLSSocket(withPending(socket, reader.release()) as unknown as Socket, {
    isServer: true,
    secureContext: tls.contextFor(host),
    ALPNProtocols: ['http/1.1'],
  });
  const handshake = await new Promise<{ ok: true } | { ok: false; reason: string }>((resolve) => {
    const timer = setTimeout(() => resolve({ ok: false, reason: 'handshake timed out' }), HANDSHAKE_TIMEOUT_MS);
    secure.once('secure', () => {
      clearTimeout(timer);
      resolve({ ok: true });
    });
    secure.once('error', (error: Error) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: error.message });
    });
    secure.once('close', () => {
      clearTimeout(timer);
      resolve({ ok: false, reason: 'closed during the handshake' });
    });
  });
  if (!handshake.ok) {
    // Most often a client with a trust store of its own, which does not know the run's CA.
    recordHttp(context, header.client, { type: 'http', method: 'TLS', url: `${host}:${port}`, host, port, decision: 'denied', bytes: 0, reason: `TLS to the registry not completed: ${handshake.reason}` });
    secure.destroy();
    socket.destroy();
    return;
  }
  secure.on('error', () => undefined); // the session sees it through its reader
  secure.setTimeout(context.config.limits.idleTimeoutMs, () => secure.destroy());
  const inner: ClientConnection = { socket: secure, reader: new StreamReader(secure), header: { ...header, kind: 'sink', port } };
  await new HttpSession(context, registry, inner, { tls: true }).run();
}
