/**
 * The run's trace limit. Events are install-controlled in number and size (a script in a loop of
 * syscalls makes millions), and the host keeps every one of them in memory to judge the run and
 * writes them to the trace file. Past the limit, the host keeps nothing more and the run cannot
 * pass: one notice saying so joins the trace, and the policy's `trace-incomplete` rule fails it.
 */
import { TRACE_LIMIT_NOTICE, type TraceEvent } from '@safe-install/schema';

export interface TraceLimits {
  maxEvents: number;
  /** Bytes of event JSON, as it came from the runner. */
  maxBytes: number;
}

export const DEFAULT_TRACE_LIMITS: TraceLimits = { maxEvents: 400_000, maxBytes: 64 * 1024 * 1024 };

/**
 * A notice the host itself adds to the trace (the trace limit, lines that were not events, a gateway
 * that kept its events): no process of its own, unless it blames the event that caused it.
 */
export function sandboxNotice(id: string, ts: number, message: string, from?: TraceEvent, count?: number): TraceEvent {
  return {
    id,
    ts,
    type: 'notice',
    source: 'sandbox',
    pid: from?.pid ?? 0,
    ppid: from?.ppid ?? 0,
    ...(from?.package ? { package: from.package } : {}),
    ...(from?.lifecycle ? { lifecycle: from.lifecycle } : {}),
    message,
    ...(count === undefined ? {} : { count }),
  };
}

export class TraceBudget {
  readonly #limits: TraceLimits;
  #events = 0;
  #bytes = 0;
  #over = false;
  dropped = 0;

  constructor(limits: TraceLimits = DEFAULT_TRACE_LIMITS) {
    this.#limits = limits;
  }

  get exceeded(): boolean {
    return this.#over;
  }

  /**
   * Count an event of `bytes` bytes. Returns the events to keep: the event itself while within the
   * limit; the notice, once, when this event would cross it; nothing after that.
   */
  admit(event: TraceEvent, bytes: number): TraceEvent[] {
    if (this.#over) {
      this.dropped += 1;
      return [];
    }
    if (this.#events + 1 > this.#limits.maxEvents || this.#bytes + bytes > this.#limits.maxBytes) {
      this.#over = true;
      this.dropped += 1;
      const what = this.#events + 1 > this.#limits.maxEvents ? `${this.#limits.maxEvents} events` : `${Math.round(this.#limits.maxBytes / 1024 ** 2)} MiB of events`;
      // Blame goes to whoever's event crossed the line: in a flood, that is the flooder.
      return [sandboxNotice('limit-1', event.ts, `${TRACE_LIMIT_NOTICE} the trace passed ${what}; nothing after this point was kept, and the install was stopped`, event)];
    }
    this.#events += 1;
    this.#bytes += bytes;
    return [event];
  }
}
