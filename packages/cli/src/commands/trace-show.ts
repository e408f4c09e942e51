/**
 * `safe-install trace show FILE`: the process tree of each package's lifecycle scripts, with each
 * process's file, network, DNS and other events under it, for an incident responder. Filters
 * narrow it: `--package NAME[@VERSION]`, `--phase` (a job step such as `install`, or a lifecycle
 * such as `postinstall`), `--type` (event type), `--path GLOB` (the policy's path syntax: `*`,
 * `**`, `$HOME`, …, or a bare file name), `--host` (the policy's host syntax: `*.example`, `:443`).
 * `--flat` prints every matching event as a line, in trace order, instead of the tree.
 *
 * Streaming: the file is read once, line by line; the tree keeps a node per process and at most
 * `--limit` event lines under each (the rest are counted), `--flat` keeps nothing. Every string
 * from the trace is sanitized before it is printed.
 */
import { sanitizeText, SafeInstallError, type PackageRef, type TraceEvent, type TraceEventType, type TraceHeader } from '@safe-install/schema';
import { scanTraceFile } from '@safe-install/core';
import { checkPathPattern, hostMatches, parseHostPattern, pathMatches, type HostPattern } from '@safe-install/policy';
import { TraceView, eventLine, type ViewGroup, type ViewProcess } from '@safe-install/trace';
import { EXIT } from '../exit-codes.js';
import type { Printer } from '../output.js';
import { explainTraceErrors, streamSink, type LineSink } from './trace-input.js';

export const EVENT_TYPES: readonly TraceEventType[] = ['process', 'file', 'network', 'script', 'dns', 'http', 'fsdiff', 'decoy-exfiltration', 'notice'];

export interface TraceFilters {
  packages?: readonly string[] | undefined;
  phases?: readonly string[] | undefined;
  types?: readonly string[] | undefined;
  paths?: readonly string[] | undefined;
  hosts?: readonly string[] | undefined;
}

export interface TraceShowOptions extends TraceFilters {
  file: string;
  flat?: boolean | undefined;
  /** Event lines per process in the tree (default 20). */
  limit?: number | undefined;
  printer: Printer;
  out?: LineSink | undefined;
}

const s = (text: string, max = 400) => sanitizeText(text, max);

function usage(message: string): SafeInstallError {
  return new SafeInstallError('USAGE', 'usage', message);
}

/** The filters as predicates; a malformed pattern is a usage error before the file is read. */
export function compileFilters(filters: TraceFilters): {
  group: (pkg: PackageRef | null, lifecycle: string | null) => boolean;
  event: ((e: TraceEvent, header: TraceHeader) => boolean) | undefined;
} {
  const packages = filters.packages ?? [];
  const phases = new Set(filters.phases ?? []);
  const types = new Set(filters.types ?? []);
  for (const type of types) if (!(EVENT_TYPES as readonly string[]).includes(type)) throw usage(`--type ${s(type)}: not an event type (${EVENT_TYPES.join(', ')})`);
  const paths = filters.paths ?? [];
  for (const path of paths) {
    const problem = checkPathPattern(path, { allowBareName: true });
    if (problem !== null) throw usage(`--path: ${s(problem)}`);
  }
  const hosts: HostPattern[] = (filters.hosts ?? []).map((text) => {
    const parsed = parseHostPattern(text);
    if ('error' in parsed) throw usage(`--host: ${s(parsed.error)}`);
    return parsed.pattern;
  });
  const group = (pkg: PackageRef | null, _lifecycle: string | null) =>
    packages.length === 0 || (pkg !== null && packages.some((p) => p === pkg.name || p === `${pkg.name}@${pkg.version}`));
  if (phases.size === 0 && types.size === 0 && paths.length === 0 && hosts.length === 0) return { group, event: undefined };
  const event = (e: TraceEvent, header: TraceHeader): boolean => {
    if (phases.size > 0 && !(e.phase !== undefined && phases.has(e.phase)) && !(e.lifecycle !== undefined && phases.has(e.lifecycle))) return false;
    if (types.size > 0 && !types.has(e.type)) return false;
    if (paths.length > 0) {
      const candidates = pathsOf(e);
      const vars = { PROJECT: header.context.projectDir, HOME: header.context.homeDir, TMPDIR: header.context.tmpDir, NODE_MODULES: header.context.nodeModules };
      if (!candidates.some((path) => paths.some((pattern) => pathMatches(pattern, path, vars)))) return false;
    }
    if (hosts.length > 0) {
      const candidate = hostOf(e);
      if (candidate === null || !hosts.some((pattern) => hostMatches(pattern, candidate.host, candidate.port))) return false;
    }
    return true;
  };
  return { group, event };
}

function pathsOf(e: TraceEvent): string[] {
  if (e.type === 'file') return e.target === undefined ? [e.path] : [e.path, e.target];
  if (e.type === 'fsdiff') return [e.path];
  if (e.type === 'process' && e.action === 'exec') return [e.path];
  if (e.type === 'network' && e.family === 'AF_UNIX' && e.address !== undefined) return [e.address];
  return [];
}

function hostOf(e: TraceEvent): { host: string; port: number | undefined } | null {
  if (e.type === 'dns') return { host: e.name, port: undefined };
  if (e.type === 'http') return { host: e.host, port: e.port };
  if (e.type === 'network' && (e.family === 'AF_INET' || e.family === 'AF_INET6') && e.address !== undefined) return { host: e.address, port: e.port };
  return null;
}

function groupTitle(group: ViewGroup): string {
  if (group.package === null) return 'outside any install script (the package manager and the sandbox)';
  const parts = [`${group.package.name}@${group.package.version} ${group.lifecycle ?? '?'}`];
  if (group.command !== undefined) parts.push(`\`${group.command}\``);
  const result = [group.result ?? 'no end seen', ...(group.startTs !== undefined && group.endTs !== undefined ? [`${Math.round(group.endTs - group.startTs)} ms`] : [])];
  return `${parts.join(': ')} (${result.join(', ')})`;
}

/** The tree, depth first, without recursion (a hostile trace can nest processes deeply). */
async function printTree(out: LineSink, group: ViewGroup, filtered: boolean): Promise<void> {
  const stack: Array<{ node: ViewProcess; depth: number }> = group.roots.map((node) => ({ node, depth: 1 })).reverse();
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (filtered && !node.subtreeMatched) continue;
    const indent = '  '.repeat(Math.min(depth, 24));
    const program = node.pid === 0 ? '(no process: the gateway or the file-system diff)' : node.execs.length === 0 ? '(no exec: a fork of its parent)' : node.execs.join(' → ');
    await out.line(s(`${indent}${node.pid} ${program}${node.ended.length > 0 ? ` [${node.ended.join(', ')}]` : ''}`, 600));
    for (const line of node.lines) await out.line(`${indent}  · ${s(line)}`);
    const more = Object.entries(node.more);
    if (more.length > 0) await out.line(`${indent}  · … and ${more.reduce((n, [, c]) => n + c, 0)} more (${more.map(([type, c]) => `${s(type, 40)} ${c}`).join(', ')})`);
    for (let i = node.children.length - 1; i >= 0; i--) stack.push({ node: node.children[i]!, depth: depth + 1 });
  }
}

function flatLine(e: TraceEvent): string | null {
  const who = e.package === undefined ? '-' : `${e.package.name}@${e.package.version} ${e.lifecycle ?? '?'}`;
  let what: string | null;
  if (e.type === 'process' && e.action === 'exec') what = `exec ${e.path} ${JSON.stringify(e.argv)}${e.ok === false ? ` ✗ ${e.errno ?? 'failed'}` : ''}`;
  else if (e.type === 'process' && e.action === 'spawn') what = `${e.thread ? 'thread' : 'spawn'} ${e.child}`;
  else if (e.type === 'process' && e.action === 'exit') what = e.signal !== undefined ? `killed by ${e.signal}` : `exit ${e.code ?? '?'}`;
  else if (e.type === 'process' && e.action === 'lingering') what = `outlived its script (${e.outcome})`;
  else if (e.type === 'script') what = e.action === 'start' ? `script start: ${e.command ?? ''}` : `script end: ${e.signal ?? e.code ?? ''}`;
  else what = eventLine(e);
  return what === null ? null : `${s(e.id, 40)} [${s(who, 300)}] pid ${e.pid} ${s(what, 600)}`;
}

export async function traceShow(options: TraceShowOptions): Promise<number> {
  const out = options.out ?? streamSink();
  const limit = options.limit ?? 20;
  if (!Number.isInteger(limit) || limit < 0 || limit > 100_000) throw usage('--limit must be a whole number from 0 to 100000');
  const filters = compileFilters(options);
  let header: TraceHeader | null = null;
  let view: TraceView | null = null;
  let matched = 0;
  const scan = await explainTraceErrors(
    options.file,
    scanTraceFile(options.file, (h) => {
      header = h;
      const eventFilter = filters.event === undefined ? undefined : (e: TraceEvent) => filters.event!(e, h);
      if (options.flat) {
        return (e) => {
          const pkg = e.package === undefined ? null : e.package;
          if (!filters.group(pkg, e.lifecycle ?? null) || (eventFilter !== undefined && !eventFilter(e))) return;
          const line = flatLine(e);
          if (line === null) return;
          matched += 1;
          return out.line(line);
        };
      }
      const v = new TraceView({ group: filters.group, ...(eventFilter === undefined ? {} : { event: eventFilter }), eventsPerProcess: limit });
      view = v;
      return (e) => v.observe(e);
    }),
  );
  const h = header as TraceHeader | null;
  if (h !== null && view !== null) {
    const v = view as TraceView;
    const filtered = filters.event !== undefined;
    for (const group of v.groups()) {
      if (filtered && group.matched === 0) continue;
      await out.line(s(groupTitle(group), 600));
      await printTree(out, group, filtered);
    }
    matched = v.matched;
  }
  await out.flush();
  const { printer } = options;
  if (h !== null) {
    printer.info(
      `trace of ${s(h.job)} (${s(h.command.join(' '))}) in ${s(h.project)}, run ${s(h.runId ?? 'not started')}, ${new Date(h.startedAt).toISOString()}: ` +
        `${scan.events} events${filters.event !== undefined || (options.packages?.length ?? 0) > 0 ? `, ${matched} matching` : ''}`,
    );
    if (!h.complete) printer.warn('the run did not finish writing this trace (it was killed or crashed): it shows what was seen');
  }
  if (scan.badLines > 0) printer.warn(`${scan.badLines} line(s) of the trace are not events and were skipped`);
  return EXIT.pass;
}
