import { TRACE_LIMIT_NOTICE, type TraceEvent } from '@safe-install/schema';
import { TraceBudget } from './trace-budget.js';

const event = (n: number): TraceEvent => ({ id: `t${n}`, ts: n, type: 'process', action: 'exit', code: 0, source: 'tracer', pid: 7, ppid: 1, package: { name: 'flood', version: '1.0.0' }, lifecycle: 'postinstall' }) as TraceEvent;

describe('TraceBudget', () => {
  it('keeps events within the count, then one notice blaming the event that crossed it, then nothing', () => {
    const budget = new TraceBudget({ maxEvents: 2, maxBytes: 1e9 });
    expect(budget.admit(event(1), 10)).toHaveLength(1);
    expect(budget.admit(event(2), 10)).toHaveLength(1);
    const crossing = budget.admit(event(3), 10);
    expect(crossing).toEqual([expect.objectContaining({ type: 'notice', package: { name: 'flood', version: '1.0.0' }, lifecycle: 'postinstall' })]);
    expect((crossing[0] as { message: string }).message.startsWith(TRACE_LIMIT_NOTICE)).toBe(true);
    expect(budget.exceeded).toBe(true);
    expect(budget.admit(event(4), 10)).toEqual([]);
    expect(budget.dropped).toBe(2);
  });

  it('counts bytes too: one huge event is enough to cross', () => {
    const budget = new TraceBudget({ maxEvents: 100, maxBytes: 1000 });
    expect(budget.admit(event(1), 999)).toHaveLength(1);
    expect(budget.admit(event(2), 2)[0]).toMatchObject({ type: 'notice' });
  });
});
