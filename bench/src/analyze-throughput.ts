/**
 * How many packages per minute `safe-install analyze` gets through on this machine: the real CLI
 * on small real packages from the registry (no install scripts, few or no dependencies: the floor
 * of what a batch costs — a fresh scratch project and sandbox per package, install and import
 * phases, each with its observation window), at concurrency 1 and 2, one batch each, in the same
 * run. The goal (issue 14): at least 30 per minute on a 2-core machine.
 *
 *   node bench/dist/analyze-throughput.js
 *   BENCH_PACKAGES=6 node bench/dist/analyze-throughput.js          (fewer packages)
 *   BENCH_PRICE_PER_HOUR=0.10 node bench/dist/analyze-throughput.js (cost per 1,000 at that price)
 *
 * A warm-up batch of one package runs first, so the registry cache and the image are not what is
 * measured. Each batch's own analyses must all complete: a figure from failed analyses is no figure.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, resultsDir } from './measure.js';

const cli = fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url));

/** Small, dependency-light, script-free packages the registry holds. */
const PACKAGES = ['left-pad@1.3.0', 'is-number@7.0.0', 'ms@2.1.3', 'kind-of@6.0.3', 'isarray@2.0.5', 'inherits@2.0.4', 'escape-string-regexp@5.0.0', 'has-flag@5.0.1', 'ansi-regex@6.6.0', 'is-odd@3.0.1', 'wrappy@1.0.2', 'once@1.4.0'];

function count(): number {
  const value = Number(process.env['BENCH_PACKAGES'] ?? PACKAGES.length);
  return Number.isInteger(value) && value > 0 ? Math.min(value, PACKAGES.length) : PACKAGES.length;
}

/** Run one batch; its wall time and how many analyses it wrote. */
async function batch(specs: readonly string[], concurrency: number): Promise<{ ms: number; written: number; exitCode: number | null }> {
  const dir = await mkdtemp(join(tmpdir(), 'analyze-bench-'));
  try {
    const list = join(dir, 'packages.txt');
    await writeFile(list, `${specs.join('\n')}\n`);
    const out = join(dir, 'out');
    const started = performance.now();
    const exitCode = await new Promise<number | null>((resolve) => {
      const child = spawn('node', [cli, 'analyze', '--from', list, '--out', out, '--concurrency', String(concurrency), '--timeout-seconds', '180'], { stdio: ['ignore', 'ignore', 'inherit'] });
      child.on('close', (code) => resolve(code));
    });
    const ms = performance.now() - started;
    let written = 0;
    for (const entry of await readdir(out).catch(() => [] as string[])) {
      const analysis = await readFile(join(out, entry, 'analysis.json'), 'utf8').catch(() => null);
      if (analysis !== null && (JSON.parse(analysis) as { phases?: { status: string }[] }).phases?.every((phase) => phase.status === 'completed' || phase.status === 'skipped')) written += 1;
    }
    return { ms, written, exitCode };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const specs = PACKAGES.slice(0, count());
  const price = Number(process.env['BENCH_PRICE_PER_HOUR'] ?? NaN);
  process.stdout.write(`analyze throughput: ${specs.length} packages, concurrency 1 and 2\n`);
  await batch(specs.slice(0, 1), 1);
  const rows = [];
  for (const concurrency of [1, 2]) {
    const { ms, written, exitCode } = await batch(specs, concurrency);
    if (written !== specs.length) throw new Error(`concurrency ${concurrency}: ${written} of ${specs.length} analyses completed (exit ${exitCode}); no figure`);
    const perMinute = (specs.length / ms) * 60_000;
    const machineMinutesPer1000 = 1000 / perMinute;
    rows.push({ concurrency, packages: specs.length, wallMs: Math.round(ms), perMinute: Number(perMinute.toFixed(1)), machineMinutesPer1000: Number(machineMinutesPer1000.toFixed(1)), ...(Number.isFinite(price) ? { costPer1000: Number(((price * machineMinutesPer1000) / 60).toFixed(3)) } : {}) });
    process.stdout.write(`  concurrency ${concurrency}: ${specs.length} in ${(ms / 1000).toFixed(1)} s = ${perMinute.toFixed(1)} packages/min (${machineMinutesPer1000.toFixed(1)} machine-minutes per 1,000)\n`);
  }
  const goal = 30;
  const best = Math.max(...rows.map((row) => row.perMinute));
  process.stdout.write(`  goal ${goal}/min: ${best >= goal ? 'met' : `not met (best ${best}/min, ${(best / goal).toFixed(2)}x of it)`}\n`);
  await mkdir(resultsDir, { recursive: true });
  await writeFile(join(resultsDir, 'analyze-throughput.json'), `${JSON.stringify({ benchmark: 'analyze-throughput', goalPerMinute: goal, rows, ...(Number.isFinite(price) ? { pricePerHour: price } : {}), machine: machine(), date: new Date().toISOString() }, null, 2)}\n`);
}

await main();
