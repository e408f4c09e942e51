/**
 * Decoy values seen where they should never be. The gateway reports what it sees on the wire
 * (`decoy-exfiltration` events); the engine also looks itself in process arguments, raw socket
 * payloads, DNS names and HTTP requests, so nothing depends on one component noticing.
 *
 * Two sightings are expected and not reported: the package manager itself (no script attribution)
 * sending the npm token to the registry — that is how it authenticates, whatever the gateway then
 * does with the request — and a variable the policy lets a package pass on (`env:`) appearing in
 * its own arguments or in requests to hosts it may reach.
 */
import type { DecoyExfiltrationEvent, PackageRef, TraceEvent } from '@safe-install/schema';
import { basename } from '../match/path-pattern.js';
import type { Analysis } from './analysis.js';
import { report } from './analysis.js';
import type { DecoySighting } from './decoy-matcher.js';
import { NETWORK_TOOLS } from './known-programs.js';
import { isRegistryRequest } from './registry-requests.js';
import type { ScriptRun } from './trace-model.js';

export type DecoyPlace = DecoyExfiltrationEvent['where'] | 'payload';

const PLACE_TEXT: Record<DecoyPlace, string> = {
  argv: 'a process argument',
  dns: 'a DNS query',
  url: 'a request URL',
  header: 'a request header',
  body: 'a request body',
  file: 'a written file',
  payload: 'data sent on a socket',
};

/** Where the request goes, for the exemptions. */
export interface DecoyDestination {
  host?: string;
  port?: number;
  /** A registry request made by the package manager itself. */
  registryAuth?: boolean;
  /** For argv: the program the argument was given to. */
  program?: string;
  dotless?: boolean;
}

function envNames(plantedAt: readonly string[]): string[] {
  return plantedAt.filter((p) => p.startsWith('env:')).map((p) => p.slice(4));
}

function exempt(a: Analysis, pkg: PackageRef | undefined, kind: string, plantedAt: readonly string[], place: DecoyPlace, dest: DecoyDestination): boolean {
  if (kind === 'npm-token' && dest.registryAuth === true && (place === 'header' || place === 'url')) return true;
  if (pkg === undefined) return false;
  const allowedEnv = envNames(plantedAt).some((name) => a.policy.envAllowed(pkg, name));
  if (!allowedEnv) return false;
  if (place === 'argv') return true;
  return dest.host !== undefined && (place === 'header' || place === 'url' || place === 'body') && a.policy.hostAllowed(pkg, dest.host, dest.port);
}

function severityFor(place: DecoyPlace, program: string | undefined): 'critical' | 'high' {
  if (place === 'argv') return program !== undefined && NETWORK_TOOLS.has(program) ? 'critical' : 'high';
  return place === 'file' ? 'high' : 'critical';
}

/** Look for decoy values in `text` and report each one found. */
export function reportDecoysIn(a: Analysis, e: TraceEvent, run: ScriptRun | undefined, text: string, place: DecoyPlace, dest: DecoyDestination = {}): void {
  if (a.decoys.empty) return;
  const program = place === 'argv' && e.type === 'process' && e.action === 'exec' ? basename(e.path) : dest.program;
  const sightings = a.decoys.find(text, { dotless: dest.dotless === true });
  const pkg = run?.package ?? a.model.attributionOf(e)?.package;
  for (const s of sightings) reportSighting(a, e, run, pkg, s, place, { ...dest, ...(program === undefined ? {} : { program }) });
}

function reportSighting(a: Analysis, e: TraceEvent, run: ScriptRun | undefined, pkg: PackageRef | undefined, s: DecoySighting, place: DecoyPlace, dest: DecoyDestination): void {
  if (exempt(a, pkg, s.kind, s.plantedAt, place, dest)) return;
  const to = dest.host === undefined ? '' : ` to ${dest.host}${dest.port === undefined ? '' : `:${dest.port}`}`;
  report(a, e, run, {
    rule: 'decoy-exfiltration',
    severity: severityFor(place, dest.program),
    subject: `${s.kind} via ${place}`,
    message: `the ${s.kind} decoy appeared in ${PLACE_TEXT[place]}${to} (${s.encoding})`,
  });
}

/** A sighting the gateway (or another component) reported. */
export function analyzeDecoyEvent(a: Analysis, e: DecoyExfiltrationEvent): void {
  const owner = a.model.attributionOf(e);
  const run = owner === undefined ? undefined : a.model.runOf({ pid: owner.pid ?? e.pid, package: owner.package, ...(owner.lifecycle === undefined ? {} : { lifecycle: owner.lifecycle }) });
  const seen = e.seenIn === undefined ? undefined : a.model.eventById(e.seenIn);
  const dest: DecoyDestination = {};
  if (seen?.type === 'http') {
    dest.host = seen.host;
    dest.port = seen.port;
    dest.registryAuth = isRegistryRequest(a.ctx, seen) && owner === undefined;
  } else if (seen?.type === 'dns') {
    dest.host = seen.name;
  } else if (seen?.type === 'process' && seen.action === 'exec') {
    dest.program = basename(seen.path);
  }
  const plantedAt = a.decoys.plantedAt(e.decoyKind);
  if (exempt(a, owner?.package, e.decoyKind, plantedAt, e.where, dest)) return;
  const to = dest.host === undefined ? '' : ` to ${dest.host}${dest.port === undefined ? '' : `:${dest.port}`}`;
  report(a, e, run, {
    rule: 'decoy-exfiltration',
    severity: severityFor(e.where, dest.program),
    subject: `${e.decoyKind} via ${e.where}`,
    message: `the ${e.decoyKind} decoy appeared in ${PLACE_TEXT[e.where]}${to} (${e.encoding})`,
    ...(run === undefined && owner !== undefined ? { package: owner.package, lifecycle: owner.lifecycle } : {}),
  });
}
