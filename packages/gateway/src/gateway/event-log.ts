/**
 * The gateway's trace: one JSON object per line, appended as events happen, so a killed gateway
 * loses nothing it had already seen. Ids are `g<n>`; the orchestrator merges these lines with the
 * tracer's into one ordered trace.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DecoyExfiltrationEvent, DnsEvent, HttpEvent } from '@safe-install/schema';
import type { ClientIdentity } from '../protocol.js';

/** An http event as the gateway writes it: `reason` says why a request was refused or sinkholed. */
export interface GatewayHttpEvent extends HttpEvent {
  reason?: string;
  request?: HttpEvent['request'] & {
    /** `base64` when the body was not valid UTF-8 text. */
    bodyEncoding?: 'utf8' | 'base64';
  };
}

/** A decoy-exfiltration event as the gateway writes it: `partial` when only a piece of a long secret was seen. */
export interface GatewayDecoyEvent extends DecoyExfiltrationEvent {
  partial?: boolean;
}

export type GatewayEvent = DnsEvent | GatewayHttpEvent | GatewayDecoyEvent;

type Body<T> = T extends unknown ? Omit<T, 'id' | 'ts' | 'source' | 'pid' | 'ppid' | 'package' | 'lifecycle' | 'socket'> : never;
export type GatewayEventBody = Body<GatewayEvent>;

/** Milliseconds since the epoch with sub-millisecond precision (the trace orders by it). */
export function nowMs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000) / 1000;
}

export class EventLog {
  #fd: number | null;
  #sequence = 0;

  constructor(
    file: string,
    private readonly onEvent?: (event: GatewayEvent) => void,
  ) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    this.#fd = openSync(file, 'a', 0o600);
  }

  /** Appends an event attributed to `client`; returns it (with its id). */
  emit(client: ClientIdentity, body: GatewayEventBody): GatewayEvent {
    const event = {
      id: `g${++this.#sequence}`,
      ts: nowMs(),
      source: 'gateway',
      pid: client.pid ?? 0,
      ppid: 0,
      ...(client.package ? { package: client.package } : {}),
      ...(client.lifecycle ? { lifecycle: client.lifecycle } : {}),
      ...(client.socket && (body.type === 'dns' || body.type === 'http') ? { socket: client.socket } : {}),
      ...body,
    } as GatewayEvent;
    if (this.#fd !== null) {
      try {
        writeSync(this.#fd, `${JSON.stringify(event)}\n`);
      } catch (error) {
        // A full disk must not take the gateway down with it; the orchestrator notices the gap.
        process.emitWarning(`gateway event log: ${(error as Error).message}`);
      }
    }
    try {
      this.onEvent?.(event);
    } catch {
      // a listener's bug is not the gateway's
    }
    return event;
  }

  get count(): number {
    return this.#sequence;
  }

  close(): void {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }
}
