/** Shared by the benchmarks: medians, ratios, the machine description, and the results file. */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function runsFromEnv(fallback: number): number {
  const value = Number(process.env['BENCH_RUNS'] ?? fallback);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

export function machine() {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 1024 ** 3), kernel: release(), node: process.version };
}

export interface Comparison {
  benchmark: string;
  unit: string;
  baseline: { name: string; runs: number[]; median: number };
  candidate: { name: string; runs: number[]; median: number };
  ratio: number;
  notes?: Record<string, unknown>;
}

export function compare(benchmark: string, unit: string, baseline: [string, number[]], candidate: [string, number[]], notes?: Record<string, unknown>): Comparison {
  const b = { name: baseline[0], runs: baseline[1], median: median(baseline[1]) };
  const c = { name: candidate[0], runs: candidate[1], median: median(candidate[1]) };
  return { benchmark, unit, baseline: b, candidate: c, ratio: c.median / b.median, ...(notes ? { notes } : {}) };
}

/** Print the comparison and write it, with the machine, to bench/results/<name>.json. */
export async function report(result: Comparison): Promise<void> {
  const line = (label: string, side: Comparison['baseline']) =>
    `  ${label.padEnd(10)} ${side.name.padEnd(28)} median ${side.median.toFixed(0).padStart(7)} ${result.unit}   runs ${side.runs.map((r) => r.toFixed(0)).join(', ')}`;
  process.stdout.write(`${result.benchmark}\n${line('baseline', result.baseline)}\n${line('candidate', result.candidate)}\n  ratio      ${result.ratio.toFixed(2)}x\n`);
  await mkdir(resultsDir, { recursive: true });
  await writeFile(join(resultsDir, `${result.benchmark}.json`), `${JSON.stringify({ ...result, machine: machine(), date: new Date().toISOString() }, null, 2)}\n`);
}
