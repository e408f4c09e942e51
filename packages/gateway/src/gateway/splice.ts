/**
 * Joins two sockets into one pipe both ways, starting with bytes already read from the first. When
 * one side closes, the other is ended (not destroyed, so data already queued to it still goes out)
 * and destroyed after a grace period; an idle tunnel is closed so a forgotten one does not live for ever.
 */
import type { Socket } from 'node:net';

const GRACE_MS = 5000;

export function splice(client: Socket, pending: Buffer, upstream: Socket, idleMs = 10 * 60_000): Promise<void> {
  return new Promise((resolve) => {
    let closed = 0;
    const onClose = (other: Socket) => (): void => {
      if (!other.destroyed) {
        other.end();
        setTimeout(() => other.destroy(), GRACE_MS).unref();
      }
      if (++closed === 2) resolve();
    };
    const idle = (): void => {
      client.destroy();
      upstream.destroy();
    };
    for (const [socket, other] of [[client, upstream], [upstream, client]] as const) {
      if (socket.destroyed) onClose(other)();
      else socket.once('close', onClose(other));
    }
    for (const socket of [client, upstream]) {
      socket.setTimeout(idleMs, idle);
      socket.on('error', () => socket.destroy());
    }
    if (pending.length > 0) upstream.write(pending);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
    upstream.resume();
  });
}
