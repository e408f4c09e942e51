import type { TraceEvent } from '@safe-install/schema';
import { ProcessTable, scriptRunsOf } from './process-table.js';

const layout = { projectDir: '/home/node/project', nodeModules: '/home/node/project/node_modules' };
const pkg = { name: 'evil', version: '1.0.0' };
let n = 0;
const ev = (body: Record<string, unknown>): TraceEvent => ({ id: `t${++n}`, source: 'tracer', ppid: 0, ...body }) as unknown as TraceEvent;

/** npm (pid 10) runs evil's postinstall (pid 20), which spawns 21 (curl), which outlives it. */
function trace(): TraceEvent[] {
  n = 0;
  return [
    ev({ ts: 1, pid: 10, type: 'process', action: 'exec', path: '/usr/local/bin/node', argv: ['node', 'npm', 'ci'], cwd: layout.projectDir, packageManager: true, ok: true }),
    ev({ ts: 2, pid: 10, type: 'process', action: 'spawn', child: 20, syscall: 'clone', thread: false, ok: true }),
    ev({ ts: 3, pid: 20, ppid: 10, type: 'script', action: 'start', package: pkg, lifecycle: 'postinstall', command: 'node install.js', cwd: `${layout.nodeModules}/evil`, run: 1 }),
    ev({ ts: 4, pid: 20, ppid: 10, type: 'process', action: 'exec', path: '/bin/sh', argv: ['sh', '-c', 'node install.js'], cwd: '/', package: pkg, lifecycle: 'postinstall', ok: true }),
    ev({ ts: 5, pid: 20, ppid: 10, type: 'process', action: 'spawn', child: 21, syscall: 'clone', thread: false, package: pkg, lifecycle: 'postinstall', ok: true }),
    ev({ ts: 6, pid: 21, ppid: 20, type: 'process', action: 'exec', path: '/usr/bin/curl', argv: ['curl', 'x.invalid'], cwd: '/', package: pkg, lifecycle: 'postinstall', ok: true }),
    ev({ ts: 9, pid: 20, ppid: 10, type: 'script', action: 'end', package: pkg, lifecycle: 'postinstall', code: 7 }),
    ev({ ts: 15, pid: 21, ppid: 20, type: 'process', action: 'lingering', outcome: 'killed', package: pkg, lifecycle: 'postinstall' }),
  ];
}

describe('the process table', () => {
  it('builds the script run: its exit, its code, and an end pushed later by what it left running', () => {
    const [run, ...more] = scriptRunsOf(trace(), layout);
    expect(more).toEqual([]);
    expect(run).toMatchObject({ key: 't3', pid: 20, package: pkg, lifecycle: 'postinstall', command: 'node install.js', startTs: 3, exitTs: 9, endTs: 15, code: 7, projectOwn: false, seen: true });
    expect([...run!.scriptFiles]).toEqual([`${layout.nodeModules}/evil/install.js`]);
  });

  it('follows processes: images, the chain from the script root, subtrees, the package manager', () => {
    const table = new ProcessTable(layout);
    const events = trace();
    for (const e of events.slice(0, 6)) table.observe(e);
    const run = table.runOf({ pid: 21, package: pkg });
    expect(run?.key).toBe('t3');
    expect(table.chain(21, run)).toEqual([
      { pid: 20, argv0: 'sh', exe: '/bin/sh' },
      { pid: 21, argv0: 'curl', exe: '/usr/bin/curl' },
    ]);
    expect(table.inSubtree(21, 20)).toBe(true);
    expect(table.inSubtree(10, 20)).toBe(false);
    expect(table.isPackageManager(10)).toBe(true);
    expect(table.isPackageManager(21)).toBe(false);
    expect(table.runsAt(5).map((r) => r.key)).toEqual(['t3']);
    expect(table.runsAt(2)).toEqual([]);
  });

  it('infers a run for an attributed event whose start it never saw (a partial trace), once', () => {
    const table = new ProcessTable(layout);
    const a = table.runOf({ pid: 99, package: pkg, lifecycle: 'install' });
    expect(a).toMatchObject({ seen: false, lifecycle: 'install', exitTs: null, dir: `${layout.nodeModules}/evil` });
    expect(table.runOf({ pid: 98, package: pkg, lifecycle: 'install' })).toBe(a);
    expect(table.runs()).toEqual([]);
  });
});
