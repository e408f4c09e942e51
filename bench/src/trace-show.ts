/**
 * Does `safe-install trace show` stream? Writes a realistic trace of N events (default 1,000,000:
 * a header, npm's own file and process events, a few hundred lifecycle scripts run four at a
 * time, each a process tree of shells, node, compilers and their threads, reading and writing
 * files, looking up names and calling hosts through the gateway, and the file-system diff at the
 * end), then runs the real CLI on it — `trace show` (the tree), `trace show` with filters,
 * `trace show --flat` (every event a line), `trace stats` — and prints each one's wall time and
 * peak RSS (the child's own `process.resourceUsage().maxRSS`, taken at exit by a preloaded probe).
 * The bar (issue 13): `trace show` under 10 s and under 300 MB RSS on 1,000,000 events.
 *
 *   node bench/dist/trace-show.js               (N = 1,000,000)
 *   TRACE_EVENTS=200000 node bench/dist/trace-show.js
 *   TRACE_KEEP=1 node bench/dist/trace-show.js     (keep the trace, to profile)
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TRACE_SCHEMA_VERSION, type TraceHeader } from '@safe-install/schema';
import { machine, resultsDir } from './measure.js';

const cli = fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url));

// Typed as the schema's header, so a change to the trace format breaks this build, not the benchmark's output.
const header: TraceHeader = {
  type: 'trace-header',
  schemaVersion: TRACE_SCHEMA_VERSION,
  runId: 'mx6bench-0000aaaa',
  tool: { name: 'safe-install', version: '0.1.0' },
  project: '/work/app',
  job: 'ci',
  command: ['npm', 'ci'],
  packageManager: { name: 'npm', version: '11.6.2' },
  phases: ['install'],
  startedAt: 1_796_246_487_000,
  complete: true,
  outcome: 'completed',
  context: { projectDir: '/home/node/project', homeDir: '/home/node', tmpDir: '/tmp', nodeModules: '/home/node/project/node_modules', gateway: [{ address: '127.0.0.1' }, { address: '127.10.0.1', port: 80 }] },
  decoys: { values: [{ kind: 'npm-token', value: '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', plantedAt: ['/home/node/.npmrc'] }], files: [{ path: '/home/node/.npmrc', kind: 'npm-token' }] },
  policy: { resolved: { mode: 'block', failOn: 'high', network: { allow: [] }, packages: [], ignore: [], sources: [] }, interop: { rules: [], warnings: [] } },
};

/** A deterministic pseudo-random sequence (the same trace every time). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

async function writeTrace(path: string, total: number): Promise<void> {
  const out = createWriteStream(path);
  const rnd = random(13);
  let id = 0;
  let ts = header.startedAt + 1000;
  let nextPid = 30;
  let written = 0;
  let buffer = '';
  const emit = async (event: Record<string, unknown>) => {
    id += 1;
    ts += 0.05 + rnd() * 0.2;
    buffer += `${JSON.stringify({ id: `t${id}`, ts: Math.round(ts * 1000) / 1000, source: 'tracer', ppid: 0, phase: 'install', ...event })}\n`;
    written += 1;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      buffer = '';
    }
  };
  out.write(`${JSON.stringify(header)}\n`);
  const npm = 27;
  await emit({ pid: npm, type: 'process', action: 'exec', path: '/usr/local/bin/node', argv: ['node', '/usr/local/bin/npm', 'ci'], cwd: header.context.projectDir, ok: true, packageManager: true });
  for (let t = 0; t < 8; t++) await emit({ pid: npm, type: 'process', action: 'spawn', child: 28 + t, syscall: 'clone', thread: true, ok: true });

  // 70% of the events are the scripts', the rest npm's own unpacking; the last 5% the fs diff.
  const scripts = 400;
  const perScript = Math.floor((total * 0.7) / scripts);
  const npmShare = Math.floor(total * 0.25);
  const npmBetween = Math.floor(npmShare / scripts);
  type Proc = { pid: number; parent: number; kind: string };
  let run = 0;
  for (let batch = 0; batch < scripts; batch += 4) {
    // Four scripts at a time, their events interleaved as npm runs them in parallel.
    const active = Array.from({ length: 4 }, () => {
      run += 1;
      const name = `pkg-${run}`;
      const pkg = { name, version: `1.${run % 7}.${run % 13}` };
      const lifecycle = run % 5 === 0 ? 'install' : 'postinstall';
      const dir = `${header.context.nodeModules}/${name}`;
      const root = nextPid++;
      return { pkg, lifecycle, dir, run, procs: [{ pid: root, parent: npm, kind: 'sh' }] as Proc[], left: perScript, started: false };
    });
    while (active.some((s) => s.left > 0)) {
      for (const s of active) {
        if (s.left <= 0) continue;
        const attributed = { package: s.pkg, lifecycle: s.lifecycle, run: s.run };
        const root = s.procs[0]!;
        if (!s.started) {
          s.started = true;
          await emit({ pid: npm, type: 'process', action: 'spawn', child: root.pid, syscall: 'clone', thread: false, ok: true });
          await emit({ pid: root.pid, ppid: npm, ...attributed, type: 'script', action: 'start', command: 'node install.js', cwd: s.dir });
          await emit({ pid: root.pid, ppid: npm, ...attributed, type: 'process', action: 'exec', path: '/bin/sh', argv: ['sh', '-c', 'node install.js'], cwd: s.dir, ok: true });
          s.left -= 3;
          continue;
        }
        const r = rnd();
        const proc = s.procs[Math.floor(rnd() * s.procs.length)]!;
        const base = { pid: proc.pid, ppid: proc.parent, ...attributed };
        if (r < 0.015 && s.procs.length < 40) {
          const child = nextPid++;
          const program = [['/usr/local/bin/node', 'node', 'install.js'], ['/usr/bin/cc', 'cc', '-c', 'src/a.c', '-o', 'build/a.o'], ['/usr/bin/git', 'git', 'rev-parse', 'HEAD'], ['/usr/bin/uname', 'uname', '-a']][Math.floor(rnd() * 4)]!;
          await emit({ ...base, type: 'process', action: 'spawn', child, syscall: 'vfork', thread: false, ok: true });
          await emit({ pid: child, ppid: proc.pid, ...attributed, type: 'process', action: 'exec', path: program[0], argv: program.slice(1), cwd: s.dir, ok: true });
          s.procs.push({ pid: child, parent: proc.pid, kind: program[1]! });
          s.left -= 2;
        } else if (r < 0.02) {
          await emit({ ...base, type: 'process', action: 'spawn', child: nextPid++, syscall: 'clone', thread: true, ok: true });
          s.left -= 1;
        } else if (r < 0.025) {
          const name = rnd() < 0.5 ? `cdn${Math.floor(rnd() * 3)}.${s.pkg.name}.example` : 'registry.npmjs.org';
          await emit({ ...base, type: 'network', action: 'connect', family: 'AF_INET', address: '127.0.0.1', port: 53, socket: `${id}`, ok: true });
          await emit({ ...base, source: 'gateway', type: 'dns', name, qtype: 'A', answered: name.endsWith('.example') ? 'sinked' : 'allowed' });
          await emit({ ...base, source: 'gateway', type: 'http', method: 'GET', url: `https://${name}/file-${Math.floor(rnd() * 100)}.tgz`, host: name, port: 443, decision: name.endsWith('.example') ? 'sinked' : 'registry', status: 200, bytes: 1234 });
          s.left -= 3;
        } else if (r < 0.03) {
          await emit({ ...base, type: 'network', action: 'connect', family: 'AF_INET', address: `198.51.100.${Math.floor(rnd() * 250)}`, port: 443, ok: false, errno: 'ENETUNREACH' });
          s.left -= 1;
        } else if (r < 0.25) {
          const path = rnd() < 0.3 ? `${s.dir}/build/obj-${Math.floor(rnd() * 500)}.o` : `/tmp/${s.pkg.name}-${Math.floor(rnd() * 1e6)}/out`;
          await emit({ ...base, type: 'file', action: 'open', path, intent: { read: false, write: true, create: true }, mode: '0644', ok: true });
          s.left -= 1;
        } else {
          const path = rnd() < 0.7 ? `${s.dir}/lib/module-${Math.floor(rnd() * 2000)}.js` : `/usr/lib/x86_64-linux-gnu/lib${Math.floor(rnd() * 50)}.so.6`;
          await emit({ ...base, type: 'file', action: rnd() < 0.3 ? 'stat' : 'open', path, ...(rnd() < 0.1 ? { ok: false, errno: 'ENOENT' } : { ok: true, intent: { read: true, write: false, create: false } }) });
          s.left -= 1;
        }
      }
    }
    for (const s of active) {
      for (const proc of s.procs.slice(1).reverse()) await emit({ pid: proc.pid, ppid: proc.parent, package: s.pkg, lifecycle: s.lifecycle, run: s.run, type: 'process', action: 'exit', code: 0 });
      await emit({ pid: s.procs[0]!.pid, ppid: npm, package: s.pkg, lifecycle: s.lifecycle, run: s.run, type: 'script', action: 'end', code: 0 });
    }
    // npm unpacking the next packages between batches.
    for (let i = 0; i < npmBetween * 4; i++) {
      await emit({ pid: 28 + (i % 8), type: 'file', action: 'open', path: `${header.context.nodeModules}/pkg-${run + 1 + (i % 4)}/lib/module-${i}.js`, intent: { read: false, write: true, create: true }, mode: '0644', ok: true });
    }
  }
  while (written < total) {
    await emit({ pid: 0, source: 'fsdiff', type: 'fsdiff', change: 'created', path: `${header.context.nodeModules}/.cache/f-${written}` });
  }
  out.end(buffer);
  await new Promise<void>((resolve) => out.on('finish', () => resolve()));
}

interface Measure {
  command: string;
  wallMs: number;
  maxRssMB: number;
  exitCode: number | null;
  outputBytes: number;
}

/** Run the CLI with `args`, stdout to a file; its peak RSS from the preloaded probe. */
async function measure(args: string[], dir: string): Promise<Measure> {
  const probe = join(dir, 'rss-probe.mjs');
  const rssFile = join(dir, 'rss.txt');
  const outFile = join(dir, 'out.txt');
  // Loaded before the CLI, so the number is the CLI process's own peak.
  await writeFile(probe, `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`);
  const out = createWriteStream(outFile);
  await new Promise<void>((resolve) => out.on('open', () => resolve()));
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', probe, cli, ...args], { stdio: ['ignore', out, 'inherit'] });
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const wallMs = performance.now() - started;
  out.close();
  const maxRssKB = Number(await readFile(rssFile, 'utf8'));
  return { command: `safe-install ${args.map((a) => (a.includes('/') && a.endsWith('.jsonl') ? 'TRACE' : a)).join(' ')}`, wallMs, maxRssMB: Math.round(maxRssKB / 1024), exitCode, outputBytes: (await stat(outFile)).size };
}

const total = Number(process.env['TRACE_EVENTS'] ?? 1_000_000);
const dir = await mkdtemp(join(tmpdir(), 'trace-show-bench-'));
try {
  const trace = join(dir, 'trace.jsonl');
  const generated = performance.now();
  await writeTrace(trace, total);
  const size = (await stat(trace)).size;
  process.stdout.write(`wrote ${total} events (${(size / 1024 ** 2).toFixed(0)} MB) in ${((performance.now() - generated) / 1000).toFixed(1)} s\n`);
  const runs: Measure[] = [];
  for (const args of [
    ['trace', 'show', trace],
    ['trace', 'show', trace, '--package', 'pkg-7', '--type', 'network', '--type', 'dns', '--type', 'http'],
    ['trace', 'show', trace, '--path', '$TMPDIR/**', '--limit', '1000'],
    ['trace', 'show', trace, '--flat'],
    ['trace', 'stats', trace],
  ]) {
    const m = await measure(args, dir);
    runs.push(m);
    process.stdout.write(`  ${m.command.padEnd(96)} ${(m.wallMs / 1000).toFixed(2).padStart(6)} s  ${String(m.maxRssMB).padStart(4)} MB  exit ${m.exitCode}  ${(m.outputBytes / 1024).toFixed(0)} KiB out\n`);
  }
  const show = runs.filter((m) => m.command.startsWith('safe-install trace show'));
  const pass = show.every((m) => m.wallMs < 10_000 && m.maxRssMB < 300 && m.exitCode === 0);
  process.stdout.write(`trace show: ${pass ? 'within' : 'OUTSIDE'} the bar (under 10 s and 300 MB on ${total} events)\n`);
  await mkdir(resultsDir, { recursive: true });
  await writeFile(
    join(resultsDir, 'trace-show.json'),
    `${JSON.stringify({ benchmark: 'trace-show', events: total, traceMB: Math.round(size / 1024 ** 2), bar: { wallMs: 10_000, maxRssMB: 300 }, pass, runs, machine: machine(), date: new Date().toISOString() }, null, 2)}\n`,
  );
  if (!pass) process.exitCode = 1;
} finally {
  if (process.env['TRACE_KEEP']) process.stdout.write(`kept ${dir}\n`);
  else await rm(dir, { recursive: true, force: true });
}
