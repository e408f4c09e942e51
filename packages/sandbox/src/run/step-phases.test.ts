import { StepClock } from './step-phases.js';

describe('the step clock', () => {
  it('puts a time in the step that had begun by then, the first step before any began', () => {
    const clock = new StepClock();
    expect(clock.phaseAt(5)).toBeUndefined();
    for (const [phase, ts] of [['install', 10], ['install', 20], ['import', 30], ['import', 35], ['run', 50]] as const) clock.observe({ phase, ts });
    expect([1, 10, 29, 30, 49, 50, 99].map((ts) => clock.phaseAt(ts))).toEqual(['install', 'install', 'install', 'import', 'import', 'run', 'run']);
  });

  it('ignores events without a phase, and a late line of an earlier step does not restart it', () => {
    const clock = new StepClock();
    clock.observe({ phase: 'install', ts: 10 });
    clock.observe({ ts: 15 });
    clock.observe({ phase: 'import', ts: 30 });
    clock.observe({ phase: 'install', ts: 31 });
    // An out-of-order timestamp cannot move a step's start before the one before it.
    clock.observe({ phase: 'run', ts: 25 });
    expect([20, 30, 40].map((ts) => clock.phaseAt(ts))).toEqual(['install', 'run', 'run']);
  });
});
