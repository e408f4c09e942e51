/**
 * The behaviour corpus: runs `safe-install ci` on every malicious fixture in examples/malicious and
 * every benign project in examples/benign, and checks the verdicts.
 *
 *   pnpm corpus                  everything
 *   pnpm corpus P1 P5 esbuild    only cases whose pattern, package, project or style matches a word
 *   pnpm corpus --strict         also fail a caught case when a rule its README names did not fire
 *   pnpm corpus --keep           keep every case's temp project, report and trace (failed ones are always kept)
 *
 * Malicious cases pass when the run exits 1 with at least one finding at `high` or above attributed
 * to the culprit package (the package whose script misbehaves, even when it is a transitive
 * dependency). Benign cases pass when the run exits 0. Two cases run at a time (CI has 2 cores).
 * The last line is `N passed, N failed`; the exit code is 1 when any case failed.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { LABEL_OWNER_PID } from '@safe-install/sandbox';
import { cliPath, repoRoot } from './engine.js';
import { vendorStandin } from './vendor-standin.js';

export interface CorpusCase {
  /** `P1` … `P23`, or `benign`. */
  pattern: string;
  /** Malicious: the fixture package installed by the project. Benign: the project folder's name. */
  name: string;
  style: string;
  kind: 'malicious' | 'benign';
  /** Folder of the fixture package (malicious) or the project (benign). */
  dir: string;
  /** Malicious: other fixture packages packed into the project (file: tarballs a fixture depends on). */
  with: string[];
  /** Malicious: the package the findings must name. */
  culprit: string;
  /** Malicious: rule ids the README says must fire for the culprit (reported; enforced with --strict). */
  expect: string[];
  /** Malicious: a detection gap of the tool this case is known to hit (the case still fails until it is fixed). */
  gap?: string;
  /** Malicious: install the fixture from a project folder (`file:vendor/NAME`) instead of a tarball; `with` become root dependencies. */
  folder?: boolean;
  /** Malicious: the project's policy file (copied as safe-install.config.yaml). */
  policy?: string;
  /** Benign: packages from test/fixtures/packages packed into the project before the run. */
  pack: string[];
  /**
   * Resource attacks (P29): what must hold besides the verdict. `anyVerdict`: the case passes on
   * any verdict (exit 0, 1 or 3 with a report written), for floods that are hostile to the tool
   * rather than to the user; `maxSeconds` and `maxRssMb` bound the CLI's wall time and peak memory.
   */
  bounds?: CaseBounds;
  /** Benign: a setup step the runner performs (see `setups`). */
  setup?: string;
}

export interface CaseBounds {
  anyVerdict?: boolean;
  maxSeconds?: number;
  maxRssMb?: number;
}

export interface FindingSummary {
  ruleId: string;
  severity: string;
  package?: string;
}

export interface CaseResult {
  case: CorpusCase;
  ok: boolean;
  exitCode: number | undefined;
  findings: FindingSummary[];
  missing: string[];
  reason: string;
  ms: number;
  /** Peak resident memory of the CLI, sampled from /proc while it ran (MiB). */
  rssMb?: number;
  /** Whether a report was written (a verdict was reached). */
  reported?: boolean;
  /** Where the project, report, trace and output were left (failed cases, or --keep). */
  kept?: string;
}

const SEVERE = new Set(['high', 'critical']);
const MALICIOUS_ROOT = join(repoRoot, 'examples/malicious');
const BENIGN_ROOT = join(repoRoot, 'examples/benign');

interface MaliciousManifest {
  pattern: string;
  /** A policy file in the pattern folder, the project's policy in every case. */
  policy?: string;
  cases: Array<{ package: string; style: string; with?: string[]; culprit?: string; expect?: string[]; gap?: string; bounds?: CaseBounds; folder?: boolean }>;
}
interface BenignManifest {
  style?: string;
  pack?: string[];
  setup?: string;
}

/** Every case of the corpus, malicious first, in pattern order. */
export async function loadCorpus(): Promise<CorpusCase[]> {
  const cases: CorpusCase[] = [];
  const patterns = (await readdir(MALICIOUS_ROOT)).filter((d) => /^P\d+-/.test(d)).sort((a, b) => patternNumber(a) - patternNumber(b));
  for (const folder of patterns) {
    const manifest = JSON.parse(await readFile(join(MALICIOUS_ROOT, folder, 'corpus.json'), 'utf8')) as MaliciousManifest;
    for (const c of manifest.cases) {
      cases.push({
        pattern: manifest.pattern,
        name: c.package,
        style: c.style,
        kind: 'malicious',
        dir: join(MALICIOUS_ROOT, folder, c.package),
        with: (c.with ?? []).map((p) => join(MALICIOUS_ROOT, folder, p)),
        culprit: c.culprit ?? c.package,
        expect: c.expect ?? [],
        pack: [],
        ...(c.gap ? { gap: c.gap } : {}),
        ...(c.bounds ? { bounds: c.bounds } : {}),
        ...(c.folder === true ? { folder: true } : {}),
        ...(manifest.policy ? { policy: join(MALICIOUS_ROOT, folder, manifest.policy) } : {}),
      });
    }
  }
  if (existsSync(BENIGN_ROOT)) {
    for (const name of (await readdir(BENIGN_ROOT)).sort()) {
      const dir = join(BENIGN_ROOT, name);
      if (!(await stat(dir)).isDirectory() || !existsSync(join(dir, 'package.json'))) continue;
      const manifestPath = join(dir, 'corpus.json');
      const manifest: BenignManifest = existsSync(manifestPath) ? (JSON.parse(await readFile(manifestPath, 'utf8')) as BenignManifest) : {};
      cases.push({
        pattern: 'benign',
        name,
        style: manifest.style ?? 'registry',
        kind: 'benign',
        dir,
        with: [],
        culprit: '',
        expect: [],
        pack: manifest.pack ?? [],
        ...(manifest.setup ? { setup: manifest.setup } : {}),
      });
    }
  }
  return cases;
}

function patternNumber(folder: string): number {
  return Number(/^P(\d+)/.exec(folder)?.[1] ?? 999);
}

/** Cases matching any of the words (pattern id, package or project name or part of one, style, kind); all when none. */
export function selectCases(cases: readonly CorpusCase[], words: readonly string[]): CorpusCase[] {
  if (words.length === 0) return [...cases];
  const wanted = words.map((w) => w.toLowerCase());
  // A pattern id matches only its pattern (P1 is not P10); other words also match part of a name.
  return cases.filter((c) =>
    wanted.some(
      (w) => c.pattern.toLowerCase() === w || c.name.toLowerCase() === w || c.style.toLowerCase() === w || c.kind === w || (!/^p\d+$/.test(w) && c.name.toLowerCase().includes(w)),
    ),
  );
}

async function npm(args: string[], cwd: string): Promise<string> {
  const result = await execa('npm', args, { cwd, env: { npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' } });
  return result.stdout;
}

/** `npm pack` a fixture folder into `dest` without running any of its scripts; returns the tarball's file name. */
async function pack(folder: string, dest: string): Promise<string> {
  const out = await npm(['pack', '--ignore-scripts', '--pack-destination', dest], folder);
  return out.trim().split('\n').pop()!;
}

/** A temp project whose only dependency is the fixture (a file: tarball), plus the tarballs it depends on. */
export async function maliciousProject(c: CorpusCase): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `safe-install-corpus-${c.name}-`));
  // Tarballs the fixture depends on sit in the project root: npm resolves a file: spec of a
  // dependency's dependency against the root project.
  const withTarballs: string[] = [];
  for (const dep of c.with) withTarballs.push(await pack(dep, dir));
  const dependencies: Record<string, string> = {};
  if (c.folder === true) {
    // A dependency that lives in a project folder: npm links it, and runs its scripts there.
    await cp(c.dir, join(dir, 'vendor', c.name), { recursive: true });
    dependencies[c.name] = `file:vendor/${c.name}`;
    for (const [i, dep] of c.with.entries()) dependencies[basename(dep)] = `file:./${withTarballs[i]}`;
  } else {
    dependencies[c.name] = `file:./${await pack(c.dir, dir)}`;
  }
  if (c.policy !== undefined) await cp(c.policy, join(dir, 'safe-install.config.yaml'));
  const manifest = { name: 'corpus-project', version: '1.0.0', private: true, dependencies };
  await writeFile(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await npm(['install', '--package-lock-only', '--ignore-scripts', '--omit-lockfile-registry-resolved', '--no-audit', '--no-fund'], dir);
  return dir;
}

/** A temp copy of a benign project (without node_modules), with its fixture tarballs packed in. */
async function benignProject(c: CorpusCase): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `safe-install-corpus-${c.name}-`));
  await cp(c.dir, dir, { recursive: true, filter: (src) => basename(src) !== 'node_modules' && basename(src) !== 'corpus.json' });
  if (c.pack.length > 0) {
    // The project's dependencies name the packed tarballs (file:NAME-VERSION.tgz); the lockfile is
    // made here, as projectWithPackages does, because a tarball's integrity depends on the npm that packed it.
    for (const fixture of c.pack) await pack(join(repoRoot, fixture), dir);
    await npm(['install', '--package-lock-only', '--ignore-scripts', '--omit-lockfile-registry-resolved', '--no-audit', '--no-fund'], dir);
  }
  return dir;
}

/**
 * Setup steps a project can ask for in its corpus.json (`"setup": "name"`): run before `ci`; the
 * returned function runs after it and may return a reason the case failed (the setup's own check).
 */
export type Setup = (project: string) => Promise<() => Promise<string | undefined>>;
export const setups: Record<string, Setup> = {
  /** A real project is a git repository: husky's `prepare` looks for .git. */
  'git-init': async (project) => {
    const git = (args: string[]) => execa('git', ['-c', 'user.name=corpus', '-c', 'user.email=corpus@example.invalid', ...args], { cwd: project });
    await git(['init', '-q']);
    await git(['add', '-A']);
    await git(['commit', '-q', '-m', 'corpus project']);
    return async () => undefined;
  },
  /** bcrypt's binary served by a local stand-in for the vendor's release host (see vendor-standin.ts). */
  'vendor-standin': async (project) => {
    const stop = await vendorStandin(project);
    return async () => {
      await stop();
      const log = await readFile(join(project, '.corpus', 'vendor-standin.log'), 'utf8').catch(() => '');
      return /GET \S+\.tar\.gz/.test(log) ? undefined : 'the install never downloaded the binary from the stand-in (built from source?)';
    };
  },
};

export interface RunOptions {
  keep?: boolean;
  strict?: boolean;
  /** Seconds the whole install may take (the CLI's --timeout). */
  timeout?: number;
}

export async function runCase(c: CorpusCase, options: RunOptions = {}): Promise<CaseResult> {
  const started = Date.now();
  let project: string | undefined;
  let teardown: (() => Promise<string | undefined>) | undefined;
  const result: CaseResult = { case: c, ok: false, exitCode: undefined, findings: [], missing: [], reason: '', ms: 0 };
  try {
    project = c.kind === 'malicious' ? await maliciousProject(c) : await benignProject(c);
    if (c.setup !== undefined) {
      const setup = setups[c.setup];
      if (setup === undefined) throw new Error(`unknown setup "${c.setup}"`);
      teardown = await setup(project);
    }
    const out = join(project, '.corpus');
    await mkdir(out, { recursive: true });
    const reportPath = join(out, 'report.json');
    const tracePath = join(out, 'trace.jsonl');
    const child = execa('node', [cliPath, 'ci', project, '--report', reportPath, '--trace', tracePath, '--timeout', String(options.timeout ?? 600)], {
      reject: false,
      all: true,
      timeout: ((options.timeout ?? 600) + 120) * 1000,
    });
    const peak = samplePeakRss(child.pid);
    const run = await child;
    result.rssMb = peak.stop();
    await writeFile(join(out, 'output.txt'), String(run.all ?? ''));
    result.exitCode = run.exitCode;
    result.reported = existsSync(reportPath);
    result.ms = Date.now() - started;
    const leftovers = child.pid === undefined ? '' : (await execa('docker', ['ps', '-aq', '--filter', `label=${LABEL_OWNER_PID}=${child.pid}`], { reject: false })).stdout.trim();
    if (leftovers !== '') result.reason = `containers left behind: ${leftovers.split('\n').join(', ')}`;
    if (existsSync(reportPath)) {
      const report = JSON.parse(await readFile(reportPath, 'utf8')) as { findings?: Array<{ ruleId: string; severity: string; package?: { name: string } }> };
      result.findings = (report.findings ?? []).map((f) => ({ ruleId: f.ruleId, severity: f.severity, ...(f.package ? { package: f.package.name } : {}) }));
    }
    judge(result, options);
    // A run that ended without a verdict says why in CI's output, not only in the kept folder.
    if (!result.ok && ![0, 1].includes(result.exitCode ?? -1)) result.reason += ` (${lastErrorLine(String(run.all ?? ''))})`;
    if (teardown) {
      const after = teardown;
      teardown = undefined;
      const problem = await after();
      if (problem !== undefined) {
        result.ok = false;
        result.reason = [result.reason, problem].filter((x) => x !== '').join('; ');
      }
    }
  } catch (error) {
    result.reason = `runner error: ${(error as Error).message.split('\n')[0]}`;
  } finally {
    if (teardown) await teardown().catch(() => undefined);
    result.ms = Date.now() - started;
    if (project !== undefined) {
      if (result.ok && !options.keep) await rm(project, { recursive: true, force: true });
      else result.kept = project;
    }
  }
  return result;
}

/** Follow a process's peak resident memory (VmHWM) until stopped; returns MiB. */
function samplePeakRss(pid: number | undefined): { stop(): number } {
  let peakKb = 0;
  const sample = () => {
    if (pid === undefined) return;
    try {
      const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      peakKb = Math.max(peakKb, kb);
    } catch {
      // Gone: the last sample stands.
    }
  };
  const timer = setInterval(sample, 100);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.round(peakKb / 1024);
    },
  };
}

function judge(r: CaseResult, options: RunOptions): void {
  const c = r.case;
  if (r.reason !== '') return;
  const bounds = c.bounds;
  if (bounds?.maxSeconds !== undefined && r.ms > bounds.maxSeconds * 1000) {
    r.reason = `took ${(r.ms / 1000).toFixed(0)} s, more than ${bounds.maxSeconds} s`;
    return;
  }
  if (bounds?.maxRssMb !== undefined && (r.rssMb ?? 0) > bounds.maxRssMb) {
    r.reason = `the CLI peaked at ${r.rssMb} MiB, more than ${bounds.maxRssMb} MiB`;
    return;
  }
  if (bounds?.anyVerdict) {
    r.ok = r.reported === true && [0, 1, 3].includes(r.exitCode ?? -1);
    if (!r.ok) r.reason = `no verdict (exit ${r.exitCode}, report ${r.reported ? 'written' : 'missing'})`;
    return;
  }
  if (c.kind === 'benign') {
    r.ok = r.exitCode === 0;
    const severe = r.findings.filter((f) => SEVERE.has(f.severity));
    if (!r.ok) r.reason = severe.length > 0 ? `false positive: ${unique(severe.map((f) => `${f.ruleId}(${f.package ?? '?'})`)).join(', ')}` : `exit ${r.exitCode}`;
    return;
  }
  const mine = r.findings.filter((f) => f.package === c.culprit);
  const fired = new Set(mine.map((f) => f.ruleId));
  r.missing = c.expect.filter((rule) => !fired.has(rule));
  const severe = mine.filter((f) => SEVERE.has(f.severity));
  if (r.exitCode !== 1) r.reason = `exit ${r.exitCode}, expected 1`;
  else if (severe.length === 0) {
    const elsewhere = r.findings.filter((f) => SEVERE.has(f.severity));
    r.reason = elsewhere.length > 0 ? `no high finding on ${c.culprit} (found on ${unique(elsewhere.map((f) => f.package ?? '?')).join(', ')})` : `no high finding on ${c.culprit}`;
  } else if (options.strict && r.missing.length > 0) r.reason = `missing ${r.missing.join(', ')}`;
  r.ok = r.reason === '';
  if (!r.ok && c.gap !== undefined) r.reason += ` — known gap: ${c.gap}`;
  if (r.ok && c.gap !== undefined) r.reason = `caught although corpus.json lists a gap: remove it`;
}

/** The CLI's last error line (or last line) of output, for a reason that says why a run failed. */
function lastErrorLine(output: string): string {
  const lines = output.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  const errors = lines.filter((line) => /^(error|safe-install: error|npm error)/i.test(line));
  return (errors.at(-1) ?? lines.at(-1) ?? 'no output').slice(0, 300);
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

/** Run cases `concurrency` at a time, in order; `onResult` sees each result as it completes. */
export async function runCorpus(cases: readonly CorpusCase[], options: RunOptions & { concurrency?: number; onResult?: (r: CaseResult) => void } = {}): Promise<CaseResult[]> {
  const results: CaseResult[] = new Array(cases.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const index = next++;
      const r = await runCase(cases[index]!, options);
      results[index] = r;
      options.onResult?.(r);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 2, cases.length)) }, worker));
  return results;
}

/** Rule ids of the findings, worst first, with the severity's initial: `decoy-exfiltration!` is critical. */
export function describeFindings(r: CaseResult): string {
  const mark: Record<string, string> = { critical: '!!', high: '!', medium: '~', low: '.', info: '' };
  const rank: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
  const best = new Map<string, string>();
  for (const f of r.findings) {
    if (r.case.kind === 'malicious' && f.package !== r.case.culprit && f.severity !== 'critical' && f.severity !== 'high') continue;
    const key = r.case.kind === 'malicious' && f.package !== r.case.culprit ? `${f.ruleId}@${f.package ?? '?'}` : f.ruleId;
    const seen = best.get(key);
    if (seen === undefined || rank[f.severity]! < rank[seen]!) best.set(key, f.severity);
  }
  return [...best].sort((a, b) => rank[a[1]]! - rank[b[1]]! || a[0].localeCompare(b[0])).map(([id, sev]) => `${id}${mark[sev] ?? ''}`).join(' ') || '-';
}

export function formatTable(results: readonly CaseResult[]): string {
  const rows = results.map((r) => [
    r.ok ? 'ok' : 'FAIL',
    r.case.pattern,
    r.case.name,
    r.case.style,
    r.case.kind === 'malicious' ? `1 (${r.case.culprit})` : '0',
    String(r.exitCode ?? '-'),
    describeFindings(r) + (r.missing.length > 0 ? `  [not fired: ${r.missing.join(', ')}]` : ''),
    `${(r.ms / 1000).toFixed(1)}s`,
    r.reason.length > 200 ? `${r.reason.slice(0, 199)}…` : r.reason,
  ]);
  const header = ['', 'pattern', 'case', 'style', 'expected', 'got', 'findings (!! critical, ! high, ~ medium, . low)', 'time', 'why not ok'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const flags = new Set(argv.filter((a) => a.startsWith('--')));
  const words = argv.filter((a) => !a.startsWith('--'));
  for (const flag of flags) {
    if (!['--keep', '--strict', '--help'].includes(flag)) {
      process.stderr.write(`corpus: unknown option ${flag}\n`);
      return 2;
    }
  }
  if (flags.has('--help')) {
    process.stdout.write('usage: pnpm corpus [--strict] [--keep] [PATTERN|NAME|STYLE|benign|malicious ...]\n');
    return 0;
  }
  if (!existsSync(cliPath)) {
    process.stderr.write(`corpus: ${cliPath} is missing: run pnpm build first\n`);
    return 2;
  }
  const cases = selectCases(await loadCorpus(), words);
  if (cases.length === 0) {
    process.stderr.write(`corpus: no case matches ${words.join(' ')}\n`);
    return 2;
  }
  const started = Date.now();
  process.stdout.write(`corpus: ${cases.length} case(s), 2 at a time\n`);
  let done = 0;
  const results = await runCorpus(cases, {
    keep: flags.has('--keep'),
    strict: flags.has('--strict'),
    concurrency: 2,
    onResult: (r) => {
      done += 1;
      process.stdout.write(`  [${done}/${cases.length}] ${r.ok ? 'ok  ' : 'FAIL'} ${r.case.pattern} ${r.case.name} (exit ${r.exitCode ?? '-'}, ${(r.ms / 1000).toFixed(1)}s, ${r.rssMb ?? '?'} MiB)${r.reason ? ` — ${r.reason}` : ''}\n`);
    },
  });
  process.stdout.write(`\n${formatTable(results)}\n\n`);
  const kept = results.filter((r) => r.kept !== undefined);
  for (const r of kept) process.stdout.write(`kept ${r.case.name}: ${r.kept} (report, trace and output in .corpus/)\n`);
  const passed = results.filter((r) => r.ok).length;
  process.stdout.write(`corpus: ${((Date.now() - started) / 1000).toFixed(0)}s wall time\n`);
  process.stdout.write(`${passed} passed, ${results.length - passed} failed\n`);
  return passed === results.length ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`corpus: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(2);
    },
  );
}
