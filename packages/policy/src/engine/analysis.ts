/**
 * One pass over the trace: every event updates the model, then the analyzer for its type judges
 * it; correlation runs at the end. Analyzers share this state and report through `findings`.
 */
import type { DecoyIndex, PackageRef, ProcessExecEvent, TraceEvent } from '@safe-install/schema';
import type { EvaluationContext, Policy } from '../policy-types.js';
import { analyzeDecoyEvent } from './analyze-decoys.js';
import { analyzeFile } from './analyze-file.js';
import { analyzeManifest } from './analyze-manifest.js';
import { analyzeFsDiff, noteTracedChange } from './analyze-fsdiff.js';
import { analyzeDns, analyzeHttp, analyzeNetwork } from './analyze-network.js';
import { analyzeProcess } from './analyze-process.js';
import { analyzeScript } from './analyze-script.js';
import { correlate } from './correlate.js';
import type { DnsVolume } from './dns-volume.js';
import { judgeDnsVolumes } from './dns-volume.js';
import { DecoyMatcher } from './decoy-matcher.js';
import type { Hit } from './finding-collector.js';
import { FindingCollector } from './finding-collector.js';
import { LinkMap } from './link-map.js';
import { PolicyIndex } from './package-allowances.js';
import type { ResolvedContext } from './resolved-context.js';
import { resolveContext } from './resolved-context.js';
import { sanitizeText } from '@safe-install/schema';
import { TaintTracker } from './taint-tracker.js';
import type { ScriptRun } from './trace-model.js';
import { TraceModel } from './trace-model.js';

/** Per-run counters for the secret-sweep heuristics. */
export interface SweepState {
  homeReads: Set<string>;
  categories: Set<string>;
  reported: boolean;
}

export interface Analysis {
  ctx: ResolvedContext;
  model: TraceModel;
  policy: PolicyIndex;
  decoys: DecoyMatcher;
  findings: FindingCollector;
  taint: TaintTracker;
  /** Links scripts made: a write through one is judged where it lands. */
  links: LinkMap;
  sweeps: Map<string, SweepState>;
  /**
   * Per script run that found a sandbox marker: when, and what it did afterwards. A script that
   * finds one and stops at once is evading analysis (see correlate).
   */
  probes: Map<string, { ts: number; package: PackageRef; after: number; endTs: number | null }>;
  /** Per script run: how often each path was opened to overwrite, and whether a wipe was reported. */
  wipes: Map<string, { overwrites: Map<string, number>; reported: boolean }>;
  /** `node_modules/.bin` entries scripts wrote at install time, and the run that wrote each. */
  plantedBins: Map<string, ScriptRun>;
  /**
   * Paths some traced call changed, each with the `name@version` of the last package whose script
   * did (`''` for the package manager): the filesystem diff judges only the rest (analyze-fsdiff.ts).
   */
  tracedChanges: Map<string, string>;
  /**
   * The last script run that set each path's modification time (utimensat and kin): a change the
   * tracer missed on such a file is that run's, whatever the time says (analyze-fsdiff.ts).
   */
  timeSetters: Map<string, ScriptRun>;
  /** The set above hit its bound: what it lacks cannot be told from what the tracer missed. */
  tracedChangesFull: boolean;
  /** DNS queries per package and registrable domain (see dns-volume.ts). */
  dnsVolumes: Map<string, DnsVolume>;
  /** Children of one shell: a downloader and a stdin interpreter side by side is `curl | sh`. */
  pipes: Map<number, { downloader?: ProcessExecEvent; interpreter?: ProcessExecEvent; reported?: boolean }>;
}

export interface AnalyzeInput {
  events: readonly TraceEvent[];
  policy: Policy;
  decoys?: DecoyIndex | undefined;
  context: EvaluationContext;
  /** Learn mode: propose programs for packages no rule covers yet. */
  learning?: boolean;
}

/** Run every rule over the trace. */
export function analyzeTrace(input: AnalyzeInput): Analysis {
  const ctx = resolveContext(input.context);
  const decoys = new DecoyMatcher(input.decoys);
  const a: Analysis = {
    ctx,
    model: new TraceModel(input.events, ctx),
    policy: new PolicyIndex(input.policy, ctx, input.learning === true),
    decoys,
    findings: new FindingCollector((text, max) => sanitizeText(decoys.redact(text), max)),
    taint: new TaintTracker(),
    links: new LinkMap(),
    sweeps: new Map(),
    probes: new Map(),
    wipes: new Map(),
    plantedBins: new Map(),
    pipes: new Map(),
    dnsVolumes: new Map(),
    tracedChanges: new Map(),
    timeSetters: new Map(),
    tracedChangesFull: false,
  };
  for (const e of input.events) {
    a.model.observe(e);
    if (e.type === 'file' || e.type === 'network') noteTracedChange(a, e);
    if (a.probes.size > 0) followProbe(a, e);
    switch (e.type) {
      case 'file':
        analyzeFile(a, e);
        break;
      case 'process':
        analyzeProcess(a, e);
        break;
      case 'network':
        analyzeNetwork(a, e);
        break;
      case 'http':
        analyzeHttp(a, e);
        break;
      case 'dns':
        analyzeDns(a, e);
        break;
      case 'script':
        analyzeScript(a, e);
        break;
      case 'decoy-exfiltration':
        analyzeDecoyEvent(a, e);
        break;
      case 'notice':
        analyzeProcess(a, e);
        break;
      case 'fsdiff':
        // The project's manifests and lockfiles, whoever changed them (see analyze-manifest.ts).
        analyzeManifest(a, e);
        analyzeFsDiff(a, e);
        break;
    }
  }
  judgeDnsVolumes(a);
  correlate(a);
  return a;
}

/** After a script found a sandbox marker: did it do anything, and when did it end? */
function followProbe(a: Analysis, e: TraceEvent): void {
  const run = e.package === undefined ? undefined : a.model.runOf(e);
  const probe = run === undefined ? undefined : a.probes.get(run.key);
  if (probe === undefined || e.ts <= probe.ts) return;
  if (e.type === 'script' && e.action === 'end' && e.pid === run!.pid) probe.endTs = e.ts;
  else if (isActivity(e)) probe.after += 1;
}

/** Doing something, as opposed to looking around: running a program, changing files, the network. */
function isActivity(e: TraceEvent): boolean {
  if (e.ok === false) return false;
  switch (e.type) {
    case 'process':
      return e.action === 'exec';
    case 'file':
      return e.action === 'open' ? e.intent?.write === true : e.action !== 'stat';
    case 'network':
    case 'http':
    case 'dns':
      return true;
    default:
      return false;
  }
}

/** Report a hit from event `e` of `run`, with the process chain at this moment. */
export function report(a: Analysis, e: TraceEvent, run: ScriptRun | undefined, hit: Omit<Hit, 'eventId' | 'ts' | 'run' | 'chain'>): void {
  const full: Hit = { ...hit, eventId: e.id, ts: e.ts, run };
  if (e.pid > 0) full.chain = a.model.chain(e.pid, run);
  if (run === undefined && full.package === undefined) {
    const owner = a.model.attributionOf(e);
    if (owner !== undefined) {
      full.package = owner.package;
      full.lifecycle = owner.lifecycle;
    }
  }
  a.findings.add(full);
}
