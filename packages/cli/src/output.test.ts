import type { TraceEvent } from '@safe-install/schema';
import { stderrPrinter, wantsLiveProgress } from './output.js';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, write: (chunk: string) => (chunks.push(chunk), true) } };
}
const script = (action: 'start' | 'end', name: string): TraceEvent =>
  ({ id: 't1', ts: 1, source: 'tracer', pid: 5, ppid: 1, type: 'script', action, package: { name, version: '1.0.0' }, lifecycle: 'postinstall' }) as TraceEvent;

/** A run's progress signals, in order, with a clock that moves 1.5 s per signal. */
function drive(isTTY: boolean, env: Record<string, string | undefined>) {
  const out = sink(isTTY);
  let clock = 0;
  const printer = stderrPrinter({ stream: out.stream, env, now: () => clock });
  const step = (fn: () => void) => {
    clock += 1500;
    fn();
  };
  step(() => printer.progress({ kind: 'phase', phase: 'preparing' }));
  step(() => printer.info('project /p: 1 locked packages'));
  step(() => printer.progress({ kind: 'phase', phase: 'installing' }));
  step(() => printer.progress({ kind: 'event', event: script('start', 'evil\u001b[2Jpkg') }));
  step(() => printer.progress({ kind: 'event', event: script('end', 'evil\u001b[2Jpkg') }));
  step(() => printer.progress({ kind: 'phase', phase: 'judging' }));
  printer.done();
  return out.chunks.join('');
}

describe('progress', () => {
  it('is live on a TTY only when CI is not set', () => {
    expect(wantsLiveProgress({ isTTY: true }, {})).toBe(true);
    expect(wantsLiveProgress({ isTTY: true }, { CI: 'true' })).toBe(false);
    expect(wantsLiveProgress({ isTTY: false }, {})).toBe(false);
    expect(wantsLiveProgress({}, {})).toBe(false);
  });

  it('without a TTY (or with CI): one plain line per phase and script, with the elapsed time, no escape codes', () => {
    for (const [isTTY, env] of [[false, {}], [true, { CI: '1' }]] as const) {
      const text = drive(isTTY, env);
      expect(text).toBe(
        [
          'safe-install: project /p: 1 locked packages',
          'safe-install: [0:04] installing packages in the sandbox',
          'safe-install: [0:06] running install scripts 0/1 done, now evil\\x1b[2Jpkg@1.0.0 postinstall',
          'safe-install: [0:09] checking the trace against the policy',
          '',
        ].join('\n'),
      );
    }
  });

  it('on a TTY: one status line redrawn in place, cleared before other lines and at the end', () => {
    const text = drive(true, {});
    expect(text).toContain('\r\u001b[2K[0:06] running install scripts 0/1 done, now evil\\x1b[2Jpkg@1.0.0 postinstall');
    expect(text).toContain('\r\u001b[2K[0:07] running install scripts 1/1 done');
    expect(text).toContain('\r\u001b[2K[0:09] checking the trace against the policy');
    // The info line is printed on a cleared line, and the display ends cleared.
    expect(text.endsWith('\r\u001b[2K')).toBe(true);
    expect(text).not.toContain('\u001b[2Jpkg');
  });

  it('on a TTY, a line printed while the status shows clears it first and redraws it after', () => {
    const out = sink(true);
    const printer = stderrPrinter({ stream: out.stream, env: {}, now: () => 2000 });
    printer.progress({ kind: 'phase', phase: 'installing' });
    out.chunks.length = 0;
    printer.warn('w');
    printer.done();
    expect(out.chunks.join('')).toBe('\r\u001b[2Ksafe-install: warning: w\n\r\u001b[2K[0:00] installing packages in the sandbox\r\u001b[2K');
  });

  it('--quiet shows no progress but still the result block', () => {
    const out = sink(true);
    const printer = stderrPrinter({ quiet: true, stream: out.stream, env: {} });
    printer.progress({ kind: 'phase', phase: 'installing' });
    printer.info('hidden');
    printer.plain('summary: shown');
    printer.done();
    expect(out.chunks.join('')).toBe('summary: shown\n');
  });
});
