import { LABEL_OWNER_HOST, LABEL_OWNER_PID, LABEL_RUN, LABEL_TOOL } from './labels.js';
import { deadRuns, processAlive } from './sweep.js';

const labels = (run: string, host: string, pid: number) => ({ [LABEL_TOOL]: 'safe-install', [LABEL_RUN]: run, [LABEL_OWNER_HOST]: host, [LABEL_OWNER_PID]: String(pid) });

describe('deadRuns', () => {
  const alive = (pid: number) => pid === 100;

  it('picks runs of this host whose owner is gone', () => {
    expect(deadRuns([labels('a', 'h', 200), labels('b', 'h', 100)], 'h', alive)).toEqual(new Set(['a']));
  });

  it('never picks runs of another host, unlabelled resources, or other tools', () => {
    const foreign = { ...labels('c', 'h', 200), [LABEL_TOOL]: 'other' };
    expect(deadRuns([labels('a', 'other-host', 200), undefined, {}, foreign, { [LABEL_TOOL]: 'safe-install' }], 'h', alive)).toEqual(new Set());
  });

  it('treats a missing or garbage pid as dead', () => {
    expect(deadRuns([{ ...labels('a', 'h', 0), [LABEL_OWNER_PID]: 'x' }], 'h', alive)).toEqual(new Set(['a']));
  });
});

describe('processAlive', () => {
  it('knows this process is alive and a bogus pid is not', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(2 ** 22 + 12345)).toBe(false);
    expect(processAlive(-1)).toBe(false);
  });
});
