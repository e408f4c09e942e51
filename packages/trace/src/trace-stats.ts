/**
 * Counts of a trace, for `safe-install trace stats`: events per type, per package script,
 * processes, hosts, DNS names, files written, duration. Streaming: fed in trace order, it keeps
 * counters and bounded sets (distinct values beyond the cap are counted, not kept).
 *
 * Pure; no I/O.
 */
import type { TraceEvent } from '@safe-install/schema';

/** Most distinct values kept per set (hosts, DNS names, files written, scripts). */
export const MAX_DISTINCT = 100_000;

class BoundedCounter {
  readonly counts = new Map<string, number>();
  /** Distinct values past the cap (counted, not kept). */
  overflow = 0;
  add(key: string): void {
    const n = this.counts.get(key);
    if (n !== undefined) this.counts.set(key, n + 1);
    else if (this.counts.size < MAX_DISTINCT) this.counts.set(key, 1);
    else this.overflow += 1;
  }
  /** The entries, most frequent first. */
  top(): Array<[string, number]> {
    return [...this.counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  }
}

export interface TraceStatsResult {
  events: number;
  byType: Array<[string, number]>;
  /** Events per `name@version lifecycle` (`(outside any install script)` for the rest). */
  byScript: Array<[string, number]>;
  scriptRuns: number;
  /** Processes created (not threads), and execs that succeeded. */
  processes: number;
  threads: number;
  execs: number;
  /** `host:port` of HTTP requests and of direct connections, with how often each was seen. */
  hosts: Array<[string, number]>;
  dnsNames: Array<[string, number]>;
  filesWritten: number;
  /** Distinct values not kept because a set was full. */
  overflow: number;
  firstTs: number | null;
  lastTs: number | null;
}

export const OUTSIDE_SCRIPTS = '(outside any install script)';

export class TraceStats {
  #events = 0;
  readonly #types = new BoundedCounter();
  readonly #scripts = new BoundedCounter();
  readonly #hosts = new BoundedCounter();
  readonly #dns = new BoundedCounter();
  readonly #written = new BoundedCounter();
  #runs = 0;
  #processes = 0;
  #threads = 0;
  #execs = 0;
  #first: number | null = null;
  #last: number | null = null;

  observe(e: TraceEvent): void {
    this.#events += 1;
    this.#types.add(String(e.type));
    this.#scripts.add(e.package === undefined ? OUTSIDE_SCRIPTS : `${e.package.name}@${e.package.version} ${e.lifecycle ?? '?'}`);
    // The fs diff's `ts` is when the diff was taken, not when anything ran; it is still part of the run.
    if (Number.isFinite(e.ts)) {
      if (this.#first === null || e.ts < this.#first) this.#first = e.ts;
      if (this.#last === null || e.ts > this.#last) this.#last = e.ts;
    }
    switch (e.type) {
      case 'script':
        if (e.action === 'start') this.#runs += 1;
        break;
      case 'process':
        if (e.action === 'spawn' && e.ok !== false) {
          if (e.thread) this.#threads += 1;
          else this.#processes += 1;
        } else if (e.action === 'exec' && e.ok !== false) this.#execs += 1;
        break;
      case 'http':
        this.#hosts.add(`${String(e.host).toLowerCase()}:${e.port}`);
        break;
      case 'network':
        if ((e.family === 'AF_INET' || e.family === 'AF_INET6') && e.action !== 'bind' && e.address !== undefined) this.#hosts.add(`${e.address}:${e.port ?? '?'}`);
        break;
      case 'dns':
        this.#dns.add(String(e.name).toLowerCase());
        break;
      case 'file':
        if (
          (e.action === 'open' && e.intent !== undefined && (e.intent.write || e.intent.create)) ||
          e.action === 'unlink' || e.action === 'rename' || e.action === 'mkdir' || e.action === 'symlink' || e.action === 'link' || e.action === 'rmdir'
        ) {
          this.#written.add(String(e.action === 'rename' || e.action === 'symlink' || e.action === 'link' ? (e.target ?? e.path) : e.path));
        }
        break;
      case 'fsdiff':
        if (e.change !== 'deleted') this.#written.add(String(e.path));
        break;
      default:
        break;
    }
  }

  result(): TraceStatsResult {
    return {
      events: this.#events,
      byType: this.#types.top(),
      byScript: this.#scripts.top(),
      scriptRuns: this.#runs,
      processes: this.#processes,
      threads: this.#threads,
      execs: this.#execs,
      hosts: this.#hosts.top(),
      dnsNames: this.#dns.top(),
      filesWritten: this.#written.counts.size + this.#written.overflow,
      overflow: this.#types.overflow + this.#scripts.overflow + this.#hosts.overflow + this.#dns.overflow + this.#written.overflow,
      firstTs: this.#first,
      lastTs: this.#last,
    };
  }
}
