/**
 * An analysis as OpenSSF package-analysis' dynamic-analysis record (`analyze --format ossf`), so
 * that pipelines built on package-analysis' results load ours unchanged. It renders; it decides
 * nothing: the findings stay in our own report, which says more than this format can.
 *
 * How our trace maps onto its summaries, per phase:
 * - Files: every traced file call and every file the filesystem diff found changed, one entry a
 *   path: opened for reading → Read; opened for writing, created, renamed onto, linked, chmod'ed,
 *   mkdir'ed, time-set → Write; unlinked, rmdir'ed, renamed away → Delete; stat'ed → Read, as
 *   package-analysis records a stat (internal/strace). Calls that failed count too: package-analysis
 *   records what was attempted, and a refused read of a key is worth seeing.
 * - Sockets: every IPv4/IPv6 connect, one entry an address and port. Hostnames are the names that
 *   process asked the gateway for (every connection leaves the sandbox through it, so the address
 *   alone would say little).
 * - Commands: every exec's argv, once each. Our trace does not record environments (they hold the
 *   decoys), so Environment is empty.
 * - DNS: every query the gateway answered, class IN, one entry a name with its query types.
 * - Status: completed when the phase's command ended with 0; error_analysis when it ended
 *   otherwise; error_timeout on a timeout; error_other when it could not run. A phase we skipped
 *   is left out, as package-analysis leaves out phases it did not run; so is the install with the
 *   clock moved forward (`install-shifted`), which has no counterpart there.
 */
import { OSSF_OUTPUT_BYTES, type AnalysisPhase, type AnalysisPhaseName, type OssfDynamicAnalysisRecord, type OssfFileResult, type OssfPhase, type OssfSocketResult, type OssfStatus, type OssfStraceSummary, type PackageAnalysis, type TraceEvent } from '@safe-install/schema';

/** package-analysis has no phase for an install with the clock moved: it stays in our own report. */
const PHASES: Record<AnalysisPhaseName, OssfPhase | null> = { install: 'install', import: 'import', bins: 'execute', 'install-shifted': null };

const WRITES = new Set(['mkdir', 'chmod', 'utime', 'link', 'symlink']);

function statusOf(phase: AnalysisPhase): OssfStatus {
  if (phase.status === 'timeout') return 'error_timeout';
  if (phase.status === 'error') return 'error_other';
  return phase.exitCode === 0 ? 'completed' : 'error_analysis';
}

/** The first 4 KiB of the output's UTF-8 bytes, base64, as package-analysis stores it. */
function output(text: string): string {
  return Buffer.from(text, 'utf8').subarray(0, OSSF_OUTPUT_BYTES).toString('base64');
}

function files(events: readonly TraceEvent[]): OssfFileResult[] {
  const byPath = new Map<string, OssfFileResult>();
  const entry = (path: string | undefined): OssfFileResult | null => {
    if (!path) return null;
    let found = byPath.get(path);
    if (!found) byPath.set(path, (found = { Path: path, Read: false, Write: false, Delete: false }));
    return found;
  };
  for (const event of events) {
    if (event.type === 'fsdiff') {
      const file = entry(event.path);
      if (file && event.change === 'deleted') file.Delete = true;
      else if (file) file.Write = true;
      continue;
    }
    if (event.type !== 'file') continue;
    const file = entry(event.path);
    if (!file) continue;
    if (event.action === 'stat') file.Read = true;
    else if (event.action === 'open') {
      if (event.intent?.read) file.Read = true;
      if (event.intent?.write || event.intent?.create || event.intent?.truncate) file.Write = true;
    } else if (event.action === 'unlink' || event.action === 'rmdir') file.Delete = true;
    else if (event.action === 'rename') {
      file.Delete = true;
      const target = entry(event.target);
      if (target) target.Write = true;
    } else if (WRITES.has(event.action)) {
      // link and symlink make their target name; chmod, mkdir and utime change their path.
      const made = event.action === 'link' || event.action === 'symlink' ? entry(event.target) : file;
      if (made) made.Write = true;
    }
  }
  return [...byPath.values()];
}

function sockets(events: readonly TraceEvent[]): OssfSocketResult[] {
  const hostsOf = new Map<number, Set<string>>();
  for (const event of events) {
    if (event.type !== 'http' || event.pid === 0) continue;
    hostsOf.set(event.pid, (hostsOf.get(event.pid) ?? new Set()).add(event.host));
  }
  const byAddress = new Map<string, OssfSocketResult & { hosts: Set<string> }>();
  for (const event of events) {
    if (event.type !== 'network' || event.action !== 'connect' || !event.address) continue;
    if (event.family !== 'AF_INET' && event.family !== 'AF_INET6') continue;
    const port = event.port ?? 0;
    const key = `${event.address} ${port}`;
    let socket = byAddress.get(key);
    if (!socket) byAddress.set(key, (socket = { Address: event.address, Port: port, Hostnames: [], hosts: new Set() }));
    for (const host of hostsOf.get(event.pid) ?? []) socket.hosts.add(host);
  }
  return [...byAddress.values()].map(({ hosts, ...socket }) => ({ ...socket, Hostnames: [...hosts].sort() }));
}

function summary(phase: AnalysisPhase): OssfStraceSummary {
  const commands = new Map<string, string[]>();
  const queries = new Map<string, Set<string>>();
  for (const event of phase.events) {
    if (event.type === 'process' && event.action === 'exec' && event.argv.length > 0) commands.set(JSON.stringify(event.argv), event.argv);
    if (event.type === 'dns') queries.set(event.name, (queries.get(event.name) ?? new Set()).add(event.qtype));
  }
  return {
    Status: statusOf(phase),
    Stdout: output(phase.stdout),
    Stderr: output(phase.stderr),
    Files: files(phase.events),
    Sockets: sockets(phase.events),
    Commands: [...commands.values()].map((argv) => ({ Command: argv, Environment: [] })),
    DNS: queries.size === 0 ? [] : [{ Class: 'IN', Queries: [...queries].map(([name, types]) => ({ Hostname: name, Types: [...types].sort() })) }],
  };
}

export function renderOssf(analysis: PackageAnalysis): OssfDynamicAnalysisRecord {
  const phases: OssfDynamicAnalysisRecord['Analysis'] = {};
  for (const phase of analysis.phases) {
    const theirs = PHASES[phase.phase];
    if (phase.status === 'skipped' || theirs === null) continue;
    phases[theirs] = summary(phase);
  }
  const created = Date.parse(analysis.createdAt);
  return {
    Package: { Ecosystem: 'npm', Name: analysis.package.name, Version: analysis.package.version },
    CreatedTimestamp: Number.isFinite(created) ? Math.max(0, Math.floor(created / 1000)) : 0,
    Analysis: phases,
  };
}
