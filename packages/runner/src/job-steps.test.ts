import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobStep, RawEvent } from '@safe-install/schema';
import { jobOutcome, shellQuote, shouldContinue, stepProcess, subjectAttribution, type StepResult } from './job-steps.js';

const SHELL = '/usr/local/libexec/npm-lifecycle';
const install: JobStep = { phase: 'install', command: ['npm', 'ci'], trace: 'scripts', attribution: 'lockfile', export: 'install' };
const tree: JobStep = { phase: 'import', command: ['node', '-e', "require('x')"], trace: 'tree', attribution: 'subject', subject: { name: 'x', version: '1.0.0' }, export: 'none' };
const ok = (phase: string): StepResult => ({ phase, ran: true, exitCode: 0, signal: null });
const failed = (phase: string, exitCode: number | null, signal: string | null = null): StepResult => ({ phase, ran: true, exitCode, signal });

describe('shellQuote', () => {
  it.each([['plain'], ['a b'], ["it's"], ['$(touch /tmp/x)'], ['`id`'], [''], ['-c'], ['"; exit 1; "'], ['*'], ['a\\b']])('passes %j through sh unchanged', (arg) => {
    // The real shell is the test: what sh makes of the quoted word is the word.
    const echoed = execFileSync('/bin/sh', ['-c', `printf '%s' ${shellQuote(arg)}`], { encoding: 'utf8' });
    expect(echoed).toBe(arg);
  });
});

describe('stepProcess', () => {
  it('starts a scripts step as it is (the package manager, untraced)', () => {
    expect(stepProcess(install, SHELL)).toEqual({ argv: ['npm', 'ci'], env: {} });
  });

  it('preloads the clock shift into a shifted step, and only there', () => {
    expect(stepProcess({ ...install, clockShiftSeconds: 7 * 86_400 }, SHELL).env).toEqual({ LD_PRELOAD: '/usr/local/lib/libclockshift.so', CLOCK_SHIFT_SECONDS: '604800' });
    expect(stepProcess({ ...tree, clockShiftSeconds: 60 }, SHELL).env).toMatchObject({ LD_PRELOAD: '/usr/local/lib/libclockshift.so', CLOCK_SHIFT_SECONDS: '60', npm_lifecycle_event: 'import' });
    expect(stepProcess(tree, SHELL).env).not.toHaveProperty('LD_PRELOAD');
  });

  it('starts a tree step through the script shell, named by its subject and phase', () => {
    const { argv, env } = stepProcess(tree, SHELL);
    expect(argv.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(argv[3]).toBe(SHELL);
    expect(argv[4]).toBe(`node -e 'require('\\''x'\\'')'`);
    expect(env).toEqual({ npm_package_name: 'x', npm_package_version: '1.0.0', npm_lifecycle_event: 'import' });
  });

  it('runs the script shell as a child, never in the wrapper’s place, and ends as it did', () => {
    // A stand-in for the script shell that says who its parent is, and ends with the step's status.
    const dir = mkdtempSync(join(tmpdir(), 'job-steps-'));
    const shell = join(dir, 'script-shell');
    writeFileSync(shell, '#!/bin/sh\necho "$PPID"\nexit 7\n', { mode: 0o755 });
    const { argv } = stepProcess({ ...tree, command: ['true'] }, shell);
    // `exec` keeps the pid: the first line is the wrapper's pid, the second the stand-in's parent.
    const run = spawnSync('/bin/sh', ['-c', 'echo $$; exec "$@"', 'sh', ...argv], { encoding: 'utf8' });
    const [wrapper, parent] = run.stdout.trim().split('\n');
    expect(parent).toBe(wrapper);
    expect(run.status).toBe(7);
  });
});

describe('subjectAttribution', () => {
  const subject = { name: 'x', version: '1.0.0' };
  it('gives every event of a script run the subject, and keeps a different claim as evidence', () => {
    const attribution = subjectAttribution(subject);
    const start = { type: 'script', action: 'start', run: 4, package: { name: 'evil', version: '9' }, ts: 1, source: 'tracer', pid: 2, ppid: 1 } as RawEvent;
    attribution.apply(start);
    expect(start).toMatchObject({ package: subject, claimed: { name: 'evil', version: '9' } });
    const file = { type: 'file', action: 'open', path: '/x', run: 5, ts: 1, source: 'tracer', pid: 3, ppid: 2 } as RawEvent;
    expect(attribution.apply(file).package).toEqual(subject);
    expect(attribution.packageOf(5)).toEqual(subject);
  });

  it('leaves events outside any run alone (the step’s own untraced process)', () => {
    const exec = { type: 'process', action: 'exec', path: '/bin/sh', argv: ['sh'], cwd: '/', ts: 1, source: 'tracer', pid: 1, ppid: 0 } as RawEvent;
    expect(subjectAttribution(subject).apply(exec).package).toBeUndefined();
  });
});

describe('the job’s steps', () => {
  it('stops after a failing step unless it says otherwise, and always after a stop', () => {
    expect(shouldContinue(install, ok('install'), false)).toBe(true);
    expect(shouldContinue(install, failed('install', 1), false)).toBe(false);
    expect(shouldContinue(install, failed('install', null, 'SIGKILL'), false)).toBe(false);
    expect(shouldContinue({ ...install, continueOnFailure: true }, failed('install', 1), false)).toBe(true);
    expect(shouldContinue({ ...install, continueOnFailure: true }, ok('install'), true)).toBe(false);
  });

  it('ends as its first failed step did, else as its last', () => {
    expect(jobOutcome([ok('install')])).toEqual({ exitCode: 0, signal: null });
    expect(jobOutcome([failed('install', 1)])).toEqual({ exitCode: 1, signal: null });
    expect(jobOutcome([failed('install', 3), ok('import'), failed('run', 5)])).toEqual({ exitCode: 3, signal: null });
    expect(jobOutcome([ok('install'), failed('import', null, 'SIGSEGV'), { phase: 'run', ran: false, exitCode: null, signal: null }])).toEqual({ exitCode: null, signal: 'SIGSEGV' });
    expect(jobOutcome([])).toEqual({ exitCode: null, signal: null });
  });
});
