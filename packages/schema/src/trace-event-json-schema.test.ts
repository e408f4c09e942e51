import { Ajv2020 } from 'ajv/dist/2020.js';
import type { TraceEvent } from './events.js';
import { TRACE_EVENT_JSON_SCHEMA } from './trace-event-json-schema.js';

const validate = new Ajv2020({ strict: true, allErrors: true }).compile(TRACE_EVENT_JSON_SCHEMA);
const base = { id: 't1', ts: 1764000000000.123, source: 'tracer', pid: 41, ppid: 36, package: { name: 'esbuild', version: '0.25.12' }, lifecycle: 'postinstall' } as const;

/** One valid event of every kind and action the TypeScript types allow. */
const valid: TraceEvent[] = [
  { ...base, type: 'process', action: 'spawn', child: 42, syscall: 'clone3', thread: false, ok: true },
  { ...base, type: 'process', action: 'spawn', child: 43, syscall: 'script-tracer', thread: false },
  { ...base, type: 'process', action: 'exec', path: '/bin/sh', argv: ['sh', '-c', 'x'], cwd: '/home/node/project', ok: false, errno: 'ENOENT', truncated: true },
  { ...base, type: 'process', action: 'exit', code: 0 },
  { ...base, type: 'process', action: 'exit', signal: 'SIGKILL' },
  { ...base, type: 'process', action: 'lingering', outcome: 'killed' },
  { ...base, type: 'process', action: 'signal', target: 1, signal: 'SIGKILL', ok: false, errno: 'EPERM' },
  { ...base, type: 'file', action: 'open', path: '/home/node/.npmrc', intent: { read: true, write: false, create: false, truncate: false }, ok: true },
  { ...base, type: 'file', action: 'stat', path: '/.dockerenv', ok: true },
  { ...base, type: 'file', action: 'mkdir', path: '/tmp/x', mode: '0755' },
  { ...base, type: 'file', action: 'rename', path: '/tmp/a', target: '/tmp/b' },
  { ...base, type: 'network', action: 'connect', family: 'AF_INET', address: '127.0.0.1', port: 9, socket: '12345', ok: false, errno: 'ECONNREFUSED' },
  { ...base, type: 'network', action: 'sendto', family: 'AF_INET', address: '127.0.0.1', port: 53, data: '\u0000\u0001' },
  { ...base, type: 'script', action: 'start', command: 'node install.js', commandHash: 'a'.repeat(64), cwd: '/home/node/project/node_modules/esbuild' },
  { ...base, type: 'script', action: 'end', code: 0 },
  { ...base, source: 'gateway', pid: 0, ppid: 0, type: 'dns', name: 'x.collect.invalid', qtype: 'A', answered: 'sinked', socket: '99' },
  {
    ...base,
    source: 'gateway',
    type: 'http',
    method: 'POST',
    url: 'http://x.collect.invalid/n',
    host: 'x.collect.invalid',
    port: 80,
    status: 200,
    bytes: 0,
    decision: 'sinked',
    request: { headers: { 'content-type': 'text/plain' }, body: 'npm_x', bodyBytes: 5 },
  },
  { ...base, source: 'fsdiff', pid: 0, ppid: 0, type: 'fsdiff', change: 'created', path: '/home/node/.bashrc' },
  { ...base, source: 'gateway', type: 'decoy-exfiltration', decoyKind: 'npm-token', where: 'body', encoding: 'base64', seenIn: 'g3' },
  { id: 'n1', ts: 1, source: 'tracer', pid: 0, ppid: 0, type: 'notice', message: 'dropped 3 lines', count: 3 },
  // Appended: the hostile cases below refer to the ones above by index.
  { ...base, type: 'process', action: 'untraceable', syscall: 'io_uring_setup', ok: false, errno: 'ENOSYS' },
  { ...base, type: 'process', action: 'untraceable', syscall: 'clone', signal: 'SIGSYS', ok: false },
  { ...base, type: 'process', action: 'untraceable', syscall: 'clone3', flags: ['CLONE_UNTRACED'], ok: false, errno: 'ENOSYS' },
  { ...base, type: 'process', action: 'exec', path: '/memfd:x', via: '/proc/self/fd/3', argv: ['[kworker/0:1]'], cwd: '/', ok: true },
  { ...base, phase: 'install', run: 3, type: 'file', action: 'open', path: '/etc/hostname', intent: { read: true, write: false, create: false }, ok: true },
];

describe('the trace event JSON Schema', () => {
  it.each(valid.map((event) => [`${event.type}${'action' in event ? `/${event.action}` : ''}`, event]))('accepts a %s event', (_, event) => {
    expect(validate(event) ? [] : validate.errors).toEqual([]);
  });

  const hostile: Array<[string, unknown]> = [
    ['not an object', 'process'],
    ['null', null],
    ['an array', [valid[0]]],
    ['an unknown type', { ...base, type: 'keylogger' }],
    ['an unknown action', { ...base, type: 'file', action: 'shred', path: '/x' }],
    ['a file event without a path', { ...base, type: 'file', action: 'open' }],
    ['a negative pid', { ...valid[3], pid: -1 }],
    ['a fractional pid', { ...valid[3], pid: 1.5 }],
    ['a string timestamp', { ...valid[3], ts: '2026-11-25' }],
    ['no id', { ...valid[3], id: undefined }],
    ['an empty id', { ...valid[3], id: '' }],
    ['an unknown source', { ...valid[3], source: 'attacker' }],
    ['a package without a version', { ...valid[3], package: { name: 'x' } }],
    ['an errno that is not one', { ...valid[6], errno: 'rm -rf /' }],
    ['argv with a number', { ...valid[2], argv: ['sh', 1] }],
    ['a port out of range', { ...valid[11], port: 70000 }],
    ['a socket inode that is not a number', { ...valid[11], socket: 'socket:[1]' }],
    ['a command hash that is not sha256', { ...valid[13], commandHash: 'abc' }],
    ['a mode that is not octal', { ...valid[9], mode: '0789' }],
    ['an http event with an unknown decision', { ...valid[16], decision: 'maybe' }],
    ['an fsdiff with an unknown change', { ...valid[17], change: 'shredded' }],
    ['an untraceable call without its syscall', { ...base, type: 'process', action: 'untraceable', ok: false }],
    ['a phase that is not a phase name', { ...valid[3], phase: 'Install; rm -rf /' }],
    ['a phase that is not a string', { ...valid[3], phase: 1 }],
    ['clone flags that are not strings', { ...base, type: 'process', action: 'untraceable', syscall: 'clone3', flags: [0x800000] }],
  ];
  it.each(hostile)('refuses %s', (_, event) => {
    expect(validate(event)).toBe(false);
  });

  it('keeps the kinds it knows in step with the TypeScript types', () => {
    const kinds = TRACE_EVENT_JSON_SCHEMA.oneOf.map((k) => k.properties.type.const);
    expect(new Set(kinds)).toEqual(new Set(valid.map((event) => event.type)));
  });
});
