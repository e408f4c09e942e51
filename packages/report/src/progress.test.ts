import type { TraceEvent } from '@safe-install/schema';
import { initialProgress, nextProgress, progressLine, worthALine, type ProgressSignal } from './progress.js';

const script = (action: 'start' | 'end', name: string, pid: number): ProgressSignal => ({
  kind: 'event',
  event: { id: `t${pid}`, ts: 1, source: 'tracer', pid, ppid: 1, type: 'script', action, package: { name, version: '1.0.0' }, lifecycle: 'install' } as TraceEvent,
});

describe('progress', () => {
  it('counts scripts only while installing and names the one running, sanitized', () => {
    let state = nextProgress(initialProgress, script('start', 'early', 1));
    expect(state).toBe(initialProgress);
    state = nextProgress(state, { kind: 'phase', phase: 'installing' });
    expect(progressLine(state, 500)).toBe('[0:00] installing packages in the sandbox');
    state = nextProgress(state, script('start', 'a', 2));
    state = nextProgress(state, script('start', 'b\u001b[2J\n', 3));
    expect(progressLine(state, 61_000)).toBe('[1:01] running install scripts 0/2 done, now b\\x1b[2J\\x0a@1.0.0 install');
    state = nextProgress(state, script('end', 'a', 2));
    state = nextProgress(state, script('end', 'b', 3));
    expect(progressLine(state, 62_000)).toBe('[1:02] running install scripts 2/2 done');
    expect(progressLine(nextProgress(state, { kind: 'phase', phase: 'judging' }), 63_000)).toBe('[1:03] checking the trace against the policy');
  });

  it('says which package of the lockfile\'s packages with install scripts is running, never more than ran', () => {
    let state = nextProgress(initialProgress, { kind: 'plan', scriptPackages: 2 });
    state = nextProgress(state, { kind: 'phase', phase: 'installing' });
    state = nextProgress(state, script('start', 'a', 2));
    expect(progressLine(state, 1_000)).toBe('[0:01] running install scripts 0/1 done, package 1 of 2, now a@1.0.0 install');
    // A second script of the same package is the same package.
    state = nextProgress(state, script('end', 'a', 2));
    state = nextProgress(state, script('start', 'a', 3));
    expect(progressLine(state, 2_000)).toBe('[0:02] running install scripts 1/2 done, package 1 of 2, now a@1.0.0 install');
    state = nextProgress(state, script('start', 'b', 4));
    state = nextProgress(state, script('start', 'c', 5));
    // The lockfile's count is an upper bound; a run that shows more says so by counting up.
    expect(progressLine(state, 3_000)).toBe('[0:03] running install scripts 1/4 done, package 3 of 3, now c@1.0.0 install');
  });

  it('asks for a plain line on a new phase or a new script, not on each end or event', () => {
    const installing = nextProgress(initialProgress, { kind: 'phase', phase: 'installing' });
    const started = nextProgress(installing, script('start', 'a', 2));
    const ended = nextProgress(started, script('end', 'a', 2));
    expect([worthALine(initialProgress, installing), worthALine(installing, started), worthALine(started, ended)]).toEqual([true, true, false]);
    const file = { kind: 'event', event: { id: 'f', ts: 1, source: 'tracer', pid: 2, ppid: 1, type: 'file', action: 'open', path: '/x' } as TraceEvent } as const;
    expect(nextProgress(started, file)).toBe(started);
  });
});
