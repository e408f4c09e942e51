/**
 * An engine that stops answering must not hold a run past its deadline. The engine here is a stub
 * whose calls hang (never settle) at one chosen step; the real engine is exercised end to end in
 * test/src. What is under test is runInstall's own clock, which no real engine can be made to
 * hang on cue.
 */
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { CLEANUP_GRACE_MS, runInstall } from './run-install.js';

type Step = 'create' | 'attach' | 'start' | 'wait' | 'never';

const hang = <T>(): Promise<T> => new Promise<T>(() => undefined);

/** A stub of the parts of dockerode runInstall calls; every call from `hangAt` on never settles. */
function hungEngine(hangAt: Step): { docker: Docker; calls: string[] } {
  const calls: string[] = [];
  const at = (step: Step) => hangAt === step;
  // The job is an exec: attaching is its start; a job that never ends is a stream that never does,
  // and from then on the engine answers nothing (the stop's exec, the stop, the removal).
  let ran = false;
  const exec = {
    start: async () => (calls.push('attach'), at('attach') ? hang() : new PassThrough()),
    inspect: () => (calls.push('inspect'), hang()),
  };
  const container = {
    start: async () => (calls.push('start'), at('start') ? hang() : undefined),
    exec: async () => {
      calls.push(ran ? 'exec-stop' : 'exec');
      if (ran && at('wait')) return hang();
      ran = true;
      return exec;
    },
    stop: () => (calls.push('stop'), hang()),
    remove: () => (calls.push('remove'), at('never') ? Promise.resolve() : hang()),
  };
  const docker = {
    createContainer: () => (calls.push('create'), at('create') ? hang() : Promise.resolve(container)),
    modem: { demuxStream: () => undefined },
  };
  return { docker: docker as unknown as Docker, calls };
}

const TIMEOUT_MS = 300;

describe.each<Step>(['create', 'attach', 'start', 'wait'])('an engine that hangs at %s', (step) => {
  it(
    'ends the run as a timeout within the cleanup grace, with a gap in the trace or a stop',
    async () => {
      const { docker, calls } = hungEngine(step);
      const started = Date.now();
      const result = await runInstall({ docker, image: 'x', upload: [], stageIn: null, network: 'none', command: ['npm', 'ci'], timeoutMs: TIMEOUT_MS });
      const took = Date.now() - started;
      expect(result.timedOut).toBe(true);
      expect(result.exitCode).toBeNull();
      // Each call after the grace still gets a second (stop, the last output, removal).
      expect(took).toBeLessThan(TIMEOUT_MS + CLEANUP_GRACE_MS + 4000);
      if (step === 'wait') {
        // The container ran: it was asked to stop and to go, even though neither answered.
        expect(calls).toEqual(expect.arrayContaining(['stop', 'remove']));
      } else {
        expect(result.events.some((event) => event.type === 'notice' && /did not answer/.test(JSON.stringify(event)))).toBe(true);
      }
    },
    TIMEOUT_MS + CLEANUP_GRACE_MS + 10_000,
  );
});
