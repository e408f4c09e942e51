/**
 * ci-overhead: host `npm ci` against `safe-install ci` on the example project, both warm (host npm
 * cache filled; gateway registry cache filled) and both cold (empty caches), alternating, several
 * runs, medians and ratios from the same run. Also from the same runs: the phase breakdown from
 * the tool's own timings, container start to first lifecycle script, export time per 10k files,
 * and the orchestrator's peak RSS.
 *
 *   BENCH_RUNS=5 node bench/dist/ci-overhead.js      (the cold variant empties the registry cache)
 *
 * BENCH_PROJECT=examples/real/apollo-server-monorepo picks another project (a path from the
 * repository root; default examples/webapp); BENCH_WARM_ONLY=1 skips the cold variant, which
 * removes the shared registry cache volume (do not run it where others use the engine).
 */
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import Docker from 'dockerode';
import { REGISTRY_CACHE_VOLUME } from '@safe-install/sandbox';
import { cliPath, repoRoot } from '@safe-install/e2e/fixtures';
import { compare, median, report, runsFromEnv } from './measure.js';

const runs = runsFromEnv(5);
const docker = new Docker();
const project = await mkdtemp(join(tmpdir(), 'bench-ci-'));
const projectSource = process.env['BENCH_PROJECT'] ?? 'examples/webapp';
await cp(join(repoRoot, projectSource), project, { recursive: true, filter: (src) => !src.includes('node_modules') });

async function countFiles(dir: string): Promise<number> {
  let count = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) if (!entry.isDirectory()) count += 1;
  return count;
}

/** Peak resident memory of a process, sampled from /proc every 20 ms. */
function peakRss(pid: number): () => number {
  let peak = 0;
  const timer = setInterval(async () => {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    peak = Math.max(peak, kb);
  }, 20);
  return () => {
    clearInterval(timer);
    return peak / 1024;
  };
}

async function hostNpmCi(cache: string | null): Promise<number> {
  await rm(join(project, 'node_modules'), { recursive: true, force: true });
  const start = performance.now();
  await execa('npm', ['ci', '--no-audit', '--no-fund', ...(cache ? ['--cache', cache] : [])], { cwd: project });
  return performance.now() - start;
}

interface CandidateRun {
  ms: number;
  timings: Record<string, number>;
  firstScriptMs: number;
  rssMiB: number;
  files: number;
}

async function safeInstallCi(): Promise<CandidateRun> {
  await rm(join(project, 'node_modules'), { recursive: true, force: true });
  const reportPath = join(project, 'report.json');
  const tracePath = join(project, 'trace.jsonl');
  const wallStart = Date.now();
  const start = performance.now();
  const child = execa('node', [cliPath, 'ci', project, '--quiet', '--report', reportPath, '--trace', tracePath]);
  const rss = peakRss(child.pid!);
  await child;
  const ms = performance.now() - start;
  const rssMiB = rss();
  const timings = JSON.parse(await readFile(reportPath, 'utf8')).timings as Record<string, number>;
  const firstScript = (await readFile(tracePath, 'utf8')).split('\n').find((line) => line.includes('"type":"script"'));
  const firstScriptMs = firstScript ? (JSON.parse(firstScript) as { ts: number }).ts - wallStart : NaN;
  return { ms, timings, firstScriptMs, rssMiB, files: await countFiles(join(project, 'node_modules')) };
}

/**
 * Sandbox latency: container start to the first lifecycle script, on a project with no dependencies
 * whose only script is a root `preinstall` (npm runs it before anything else).
 */
async function startToFirstScript(): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-latency-'));
  try {
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'latency', version: '1.0.0', private: true, scripts: { preinstall: 'true' } }));
    await writeFile(join(dir, 'package-lock.json'), JSON.stringify({ name: 'latency', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'latency', version: '1.0.0', hasInstallScript: true } } }));
    const samples: number[] = [];
    for (let i = 0; i < Math.max(3, runs); i++) {
      const reportPath = join(dir, 'report.json');
      await execa('node', [cliPath, 'ci', dir, '--report', reportPath, '--mode', 'audit', '--quiet'], { reject: false });
      const timings = JSON.parse(await readFile(reportPath, 'utf8')).timings as Record<string, number>;
      if (timings['start-to-first-script'] !== undefined) samples.push(timings['start-to-first-script']);
    }
    return median(samples);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

try {
  // Warm: fill both caches once, then alternate.
  await hostNpmCi(null);
  await safeInstallCi();
  const host: number[] = [];
  const candidate: CandidateRun[] = [];
  for (let i = 0; i < runs; i++) {
    host.push(await hostNpmCi(null));
    candidate.push(await safeInstallCi());
  }
  const phases: Record<string, number> = {};
  for (const key of Object.keys(candidate[0]!.timings)) phases[key] = median(candidate.map((run) => run.timings[key] ?? 0));
  const files = candidate[0]!.files;
  const exportPer10k = Math.round(((phases['export-stream'] ?? 0) + (phases['export'] ?? 0)) * (10_000 / files));
  const latency = await startToFirstScript();
  await report(
    compare('ci-overhead-warm', 'ms', ['host npm ci (warm cache)', host], ['safe-install ci (warm cache)', candidate.map((run) => run.ms)], {
      phasesMedianMs: phases,
      cliStartToFirstScriptMs: median(candidate.map((run) => run.firstScriptMs)),
      containerStartToFirstScriptMs: latency,
      exportMsPer10kFiles: exportPer10k,
      files,
      orchestratorPeakRssMiB: Math.round(Math.max(...candidate.map((run) => run.rssMiB))),
    }),
  );
  process.stdout.write(`  phases (median ms): ${Object.entries(phases).map(([key, value]) => `${key} ${value}`).join(', ')}\n`);
  process.stdout.write(
    `  container start to first lifecycle script: ${latency} ms (a project whose only script is a root preinstall); ` +
      `export ${exportPer10k} ms per 10k files (${files} files, streaming plus the host's last writes); orchestrator peak RSS ${Math.max(...candidate.map((run) => run.rssMiB)).toFixed(0)} MiB\n`,
  );

  if (process.env['BENCH_WARM_ONLY'] !== '1') {
    // Cold: empty caches on both sides every run.
    const coldHost: number[] = [];
    const coldCandidate: number[] = [];
    for (let i = 0; i < Math.max(1, Math.ceil(runs / 2)); i++) {
      const cache = await mkdtemp(join(tmpdir(), 'bench-npm-cache-'));
      coldHost.push(await hostNpmCi(cache));
      await rm(cache, { recursive: true, force: true });
      await docker.getVolume(REGISTRY_CACHE_VOLUME).remove().catch(() => undefined);
      coldCandidate.push((await safeInstallCi()).ms);
    }
    await report(compare('ci-overhead-cold', 'ms', ['host npm ci (empty cache)', coldHost], ['safe-install ci (empty cache)', coldCandidate]));
  }
} finally {
  await rm(project, { recursive: true, force: true });
}
