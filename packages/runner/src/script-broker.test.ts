import { connect } from 'node:net';
import { splitNul } from './proc.js';
import { judgeRequest, lifecycleOf, scriptCommandOf, startScriptBroker, type AskerFacts, type JudgeContext } from './script-broker.js';

const SHELL = '/usr/local/libexec/npm-lifecycle';
const context: JudgeContext = { installUid: 1000, managerPid: 10, scriptTracerPids: new Set([20, 21]), scriptShell: SHELL };
const shell: AskerFacts = { uid: 1000, tracerPid: 0, lineage: [36, 10, 5, 1], ownsSocket: true, argv: [SHELL, '-c', 'node install.js'] };

describe('judgeRequest', () => {
  it('traces a script asked for by the package manager’s script shell', () => {
    expect(judgeRequest(shell, context)).toEqual({ kind: 'trace', command: 'node install.js' });
  });

  it('lets a process inside a traced script run its script itself: its tracer follows', () => {
    expect(judgeRequest({ ...shell, tracerPid: 21 }, context)).toEqual({ kind: 'direct' });
  });

  it('traces a script shell of a package manager the package manager started (a git dependency’s prepare)', () => {
    expect(judgeRequest({ ...shell, lineage: [45, 44, 43, 10, 1] }, context).kind).toBe('trace');
  });

  it.each<[string, Partial<AskerFacts>, RegExp]>([
    ['a pid that does not own the connection', { ownsSocket: false }, /not the asking process/],
    ['another user', { uid: 0 }, /uid 0/],
    ['an unreadable status', { uid: null }, /uid unknown/],
    ['a process outside the package manager', { lineage: [36, 5, 1] }, /not part of the package manager/],
    ['a traced process that is no script’s', { tracerPid: 99 }, /not part of the package manager/],
    ['an unreadable tracer', { tracerPid: null }, /not part of the package manager/],
    ['another program', { argv: ['/usr/bin/node', 'x.js'] }, /not the script shell/],
    ['the shell with other arguments', { argv: ['/bin/bash', SHELL, '--run', 'a', 'b', 'c', 'd'] }, /not the script shell/],
    ['the shell with an extra argument', { argv: ['/bin/bash', SHELL, '-c', 'x', 'y'] }, /not the script shell/],
    ['nothing at all', { argv: [] }, /not the script shell/],
  ])('refuses %s', (_, facts, reason) => {
    const verdict = judgeRequest({ ...shell, ...facts }, context);
    expect(verdict.kind).toBe('refuse');
    expect(verdict.kind === 'refuse' && verdict.reason).toMatch(reason);
  });

  it('refuses everything while the package manager’s tracer is unknown', () => {
    expect(judgeRequest(shell, { ...context, managerPid: null }).kind).toBe('refuse');
  });
});

describe('scriptCommandOf', () => {
  it('takes the command with or without an interpreter in front', () => {
    expect(scriptCommandOf([SHELL, '-c', 'a b'], SHELL)).toBe('a b');
    expect(scriptCommandOf(['/bin/bash', SHELL, '-c', ''], SHELL)).toBe('');
    expect(scriptCommandOf(['/bin/sh', '-x', SHELL, '-c', 'a'], SHELL)).toBeNull();
  });
});

describe('lifecycleOf', () => {
  it('reads the lifecycle from the environment, empty when missing', () => {
    const environ = splitNul('PATH=/bin\0npm_package_name=esbuild\0npm_package_version=0.25.12\0npm_lifecycle_event=postinstall\0X=a=b\0');
    expect(environ).toHaveLength(5);
    expect(lifecycleOf(environ)).toEqual({ name: 'esbuild', version: '0.25.12', event: 'postinstall' });
    expect(lifecycleOf(['=x', 'npm_package_name', ''])).toEqual({ name: '', version: '', event: '' });
  });
});

describe('startScriptBroker', () => {
  /** One request over loopback; resolves with the broker's one-line answer. */
  const ask = (port: number, request: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(request));
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk.toString()));
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
    });

  it('refuses malformed requests and processes that are not the package manager’s script shell', async () => {
    const refused: string[] = [];
    const broker = await startScriptBroker({
      installUid: 1000,
      scriptShell: SHELL,
      managerPid: () => 10,
      scriptTracerPids: () => new Set(),
      runScript: () => Promise.reject(new Error('must not run')),
      onRefused: (_, reason) => refused.push(reason),
    });
    try {
      expect(await ask(broker.port, 'hello\n')).toBe('refused: malformed request\n');
      expect(await ask(broker.port, `${'9'.repeat(64)}`)).toBe('refused: malformed request\n');
      // This test process: it owns the connection, but it is not a traced script shell.
      expect(await ask(broker.port, `${process.pid}\n`)).toMatch(/^refused: /);
      expect(refused).toHaveLength(3);
    } finally {
      await broker.close();
    }
  });
});
