import { parseCpuList, parseProcStatus } from './proc.js';

describe('parseProcStatus', () => {
  const status = (uid: string, tracer: string) => `Name:\tbash\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t36\nPid:\t36\nPPid:\t25\nTracerPid:\t${tracer}\nUid:\t${uid}\nGid:\t1000\t1000\t1000\t1000\n`;

  it('reads the uid, the tracer and the parent', () => {
    expect(parseProcStatus(status('1000\t1000\t1000\t1000', '10'))).toEqual({ uid: 1000, tracerPid: 10, ppid: 25 });
  });

  it('gives no uid unless all four agree, and nothing for garbage', () => {
    expect(parseProcStatus(status('1000\t0\t1000\t1000', '10')).uid).toBeNull();
    expect(parseProcStatus(status('1000', '10')).uid).toBeNull();
    expect(parseProcStatus(status('-1\t-1\t-1\t-1', 'x'))).toMatchObject({ uid: null, tracerPid: null });
    expect(parseProcStatus('')).toEqual({ uid: null, tracerPid: null, ppid: null });
    expect(parseProcStatus('TracerPid:\t1\nTracerPid:\t2\nUid:\t5\t5\t5\t5\nUid:\t0\t0\t0\t0\nPPid:\t99999999999\n')).toEqual({ uid: 5, tracerPid: 1, ppid: null });
  });
});

describe('parseCpuList', () => {
  it('parses CPU lists and refuses malformed ones whole', () => {
    expect(parseCpuList('0-1\n')).toEqual([0, 1]);
    expect(parseCpuList('0,2-3,6')).toEqual([0, 2, 3, 6]);
    for (const bad of ['', 'x', '3-1', '0-99999', '1,,2', '-1']) expect(parseCpuList(bad)).toEqual([]);
  });
});
