/**
 * What the rules need to know about the trace beyond one event: the process table (who spawned
 * whom, what each process runs) and the lifecycle script runs — the shared trace model's
 * (`@safe-install/trace`, which the report reads runs from too) — plus what only judging needs:
 * which package a gateway event belongs to (through the client socket's inode), when each package
 * first talked to the network, and which programs are listers or build tools.
 *
 * The process table is updated as events are fed in order (`observe`), so a chain or an image is
 * the one at the time of the event being judged. The socket map and the egress list come from a
 * pre-pass: a gateway event may be logged before the tracer's connect that explains it.
 */
import { ProcessTable, packageKey, type ProcessImage, type ProcessStep, type ScriptRun } from '@safe-install/trace';
import type { PackageIdentity, PackageRef, TraceEvent } from '@safe-install/schema';
import { basename } from '../match/path-pattern.js';
import { isLoopback, normalizeIp } from './addresses.js';
import { BUILD_TOOLS, DOWNLOADERS, PROCESS_LISTERS } from './known-programs.js';
import type { ResolvedContext } from './resolved-context.js';
import { isRegistryRequest } from './registry-requests.js';

// One script run type, the shared trace model's; the engine's modules import it from here.
export type { ScriptRun };
export { packageKey };

/** One moment a package reached out. */
export interface Egress {
  ts: number;
  eventId: string;
  /** `host:port`, an address, a DNS name or a downloader program. */
  subject: string;
  /** Registry traffic is expected from nested installs; the rest is not. */
  registry: boolean;
}

export class TraceModel {
  /** The process table and the script runs, as the report reads them too. */
  readonly #table: ProcessTable;
  readonly #sockets = new Map<string, { package: PackageRef; lifecycle?: string; pid: number }>();
  readonly #byId = new Map<string, TraceEvent>();
  readonly #egress = new Map<string, Egress[]>();

  constructor(
    readonly events: readonly TraceEvent[],
    readonly ctx: ResolvedContext,
  ) {
    this.#table = new ProcessTable(ctx);
    for (const e of events) {
      this.#byId.set(e.id, e);
      if (e.type === 'network' && e.socket !== undefined && e.package !== undefined) {
        const owner: { package: PackageRef; lifecycle?: string; pid: number } = { package: e.package, pid: e.pid };
        if (e.lifecycle !== undefined) owner.lifecycle = e.lifecycle;
        this.#sockets.set(e.socket, owner);
      }
    }
    for (const e of events) this.#noteEgress(e);
  }

  eventById(id: string): TraceEvent | undefined {
    return this.#byId.get(id);
  }

  /** The package an event belongs to: its own attribution, or its socket's (gateway events). */
  attributionOf(e: TraceEvent): { package: PackageRef; lifecycle?: string; pid?: number } | undefined {
    if (e.package !== undefined) {
      const out: { package: PackageRef; lifecycle?: string; pid?: number } = { package: e.package, pid: e.pid };
      if (e.lifecycle !== undefined) out.lifecycle = e.lifecycle;
      return out;
    }
    const socket = 'socket' in e && typeof e.socket === 'string' ? e.socket : undefined;
    if (socket !== undefined) return this.#sockets.get(socket);
    if (e.type === 'decoy-exfiltration' && e.seenIn !== undefined) {
      const seen = this.#byId.get(e.seenIn);
      if (seen !== undefined && seen !== e) return this.attributionOf(seen);
    }
    return undefined;
  }

  #noteEgress(e: TraceEvent): void {
    const owner = this.attributionOf(e);
    if (owner === undefined) return;
    let subject: string | null = null;
    let registry = false;
    if (e.type === 'http') {
      subject = `${e.host}:${e.port}`;
      registry = isRegistryRequest(this.ctx, e);
    } else if (e.type === 'dns') {
      subject = e.name;
      registry = this.ctx.registryHosts.has(e.name.toLowerCase().replace(/\.$/, ''));
    } else if (e.type === 'network' && (e.family === 'AF_INET' || e.family === 'AF_INET6') && e.address !== undefined) {
      if (e.action === 'bind' || isLoopback(e.address)) return;
      subject = `${normalizeIp(e.address)}:${e.port ?? '?'}`;
    } else if (e.type === 'process' && e.action === 'exec' && (DOWNLOADERS.has(basename(e.path)) || DOWNLOADERS.has(basename(e.argv[0] ?? '')))) {
      subject = basename(e.path);
    }
    if (subject === null) return;
    const key = packageKey(owner.package);
    const list = this.#egress.get(key) ?? [];
    if (list.length < 1000) list.push({ ts: e.ts, eventId: e.id, subject, registry });
    this.#egress.set(key, list);
  }

  /** The package's network activity, in trace order. */
  egressOf(pkg: PackageRef): readonly Egress[] {
    return this.#egress.get(packageKey(pkg)) ?? [];
  }

  // --- process table (the shared trace model's) ---------------------------------------------------

  /** Feed every event, in trace order, before judging it. */
  observe(e: TraceEvent): void {
    this.#table.observe(e);
  }

  /** The script run an attributed event belongs to. */
  runOf(e: { pid: number; package?: PackageRef; lifecycle?: string }): ScriptRun | undefined {
    return this.#table.runOf(e);
  }

  /** `pid`, which just exec'd a planted `.bin` entry, and what it starts are the planter's (see ProcessTable.plant). */
  plant(pid: number, bin: string, ranIn: ScriptRun, planter: ScriptRun | { identity: PackageIdentity }, ts: number): ScriptRun {
    return this.#table.plant(pid, bin, ranIn, planter, ts);
  }

  /** The script runs (seen starting) that were running at `ts`. */
  runsAt(ts: number): ScriptRun[] {
    return this.#table.runsAt(ts);
  }

  /** The program `pid` runs: its last exec, or what it inherited. */
  imageOf(pid: number): ProcessImage | undefined {
    return this.#table.imageOf(pid);
  }

  /** Is `pid` running the sandbox image's own package manager (by the tracer's word)? */
  isPackageManager(pid: number): boolean {
    return this.#table.isPackageManager(pid);
  }

  /**
   * Is `pid` a process lister (`ps`, `pgrep`, …) not asked for environments? procps reads every
   * `/proc/<pid>/environ` it may while it walks the list; `ps e` (BSD `e` in an option word) is
   * asked to print them.
   */
  isProcessListerOnly(pid: number): boolean {
    const image = this.imageOf(pid);
    if (image === undefined) return false;
    if (!PROCESS_LISTERS.has(basename(image.path)) && !PROCESS_LISTERS.has(basename(image.argv[0] ?? ''))) return false;
    return !image.argv.slice(1).some((arg) => /^[A-Za-z]+$/.test(arg) && arg.includes('e'));
  }

  /** Is `pid` a compiler, assembler or linker? */
  isBuildTool(pid: number): boolean {
    const image = this.imageOf(pid);
    if (image === undefined) return false;
    return BUILD_TOOLS.has(basename(image.path)) || BUILD_TOOLS.has(basename(image.argv[0] ?? ''));
  }

  /** Is `pid` the process `root` or one of its descendants? */
  inSubtree(pid: number, root: number): boolean {
    return this.#table.inSubtree(pid, root);
  }

  /** Has `pid` ever been seen in the trace? */
  known(pid: number): boolean {
    return this.#table.known(pid);
  }

  /** The processes from the script's root to `pid` (threads folded into their process). */
  chain(pid: number, run: ScriptRun | undefined): ProcessStep[] {
    return this.#table.chain(pid, run);
  }
}
