/**
 * The JSON Schema (draft 2020-12) of one trace event: one line of a trace file. It states in JSON
 * what `events.ts` states in TypeScript, for tools that read traces without this code (incident
 * response, SIEM import). A test checks it against events of every kind, against hostile ones, and
 * the end-to-end tests against every event of real traces.
 *
 * Closed where it matters (an event's kind fixes its fields; unknown kinds and actions are
 * invalid) and open where growth is expected (new optional fields do not break older readers:
 * `additionalProperties` is left true).
 */
import { TRACE_SCHEMA_VERSION } from './events.js';

const string = { type: 'string' } as const;
const integer = { type: 'integer' } as const;
const pid = { type: 'integer', minimum: 0 } as const;

const base = {
  id: { type: 'string', minLength: 1 },
  ts: { type: 'number', minimum: 0 },
  source: { enum: ['tracer', 'gateway', 'sandbox', 'fsdiff'] },
  pid,
  ppid: pid,
  package: {
    type: 'object',
    required: ['name', 'version'],
    properties: { name: string, version: string },
  },
  lifecycle: string,
  run: { type: 'integer', minimum: 1 },
  phase: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' },
  ok: { type: 'boolean' },
  errno: { type: 'string', pattern: '^E[A-Z0-9]+$' },
} as const;
const packageRef = { type: 'object', required: ['name', 'version'], properties: { name: string, version: string } } as const;
const identity = {
  type: 'object',
  required: ['name', 'version', 'path', 'installedAs', 'source'],
  properties: {
    name: string,
    version: string,
    path: string,
    installedAs: string,
    source: { enum: ['project', 'workspace', 'registry', 'file', 'git', 'remote', 'unlocked'] },
    resolved: string,
    integrity: string,
  },
} as const;
const baseRequired = ['id', 'ts', 'source', 'pid', 'ppid', 'type'] as const;

/** One kind of event: its `type` (and `action`), its own fields, which of them it requires. */
function kind(type: string, action: readonly string[] | null, properties: Record<string, unknown>, required: readonly string[] = []) {
  return {
    type: 'object',
    required: [...baseRequired, ...(action ? ['action'] : []), ...required],
    properties: {
      ...base,
      type: { const: type },
      ...(action ? { action: action.length === 1 ? { const: action[0] } : { enum: action } } : {}),
      ...properties,
    },
  };
}

export const TRACE_EVENT_JSON_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: `https://safe-install.invalid/schema/trace-event-v${TRACE_SCHEMA_VERSION}.json`,
  title: `safe-install trace event, schema version ${TRACE_SCHEMA_VERSION}`,
  type: 'object',
  required: ['type'],
  // Dispatch on `type` (and `action`), so an invalid event gets the errors of its own kind.
  oneOf: [
    kind('process', ['spawn'], { child: pid, syscall: string, thread: { type: 'boolean' } }, ['child', 'syscall', 'thread']),
    kind('process', ['exec'], { path: string, argv: { type: 'array', items: string }, cwd: string, truncated: { type: 'boolean' }, packageManager: { type: 'boolean' }, binOf: identity, via: string }, ['path', 'argv', 'cwd']),
    kind('process', ['exit'], { code: integer, signal: string }),
    kind('process', ['lingering'], { outcome: { enum: ['killed', 'exited'] } }, ['outcome']),
    kind('process', ['signal'], { target: integer, signal: string }, ['target', 'signal']),
    kind('process', ['untraceable'], { syscall: string, flags: { type: 'array', items: string }, signal: string }, ['syscall']),
    kind(
      'file',
      ['open', 'stat', 'unlink', 'rename', 'link', 'symlink', 'chmod', 'mkdir', 'rmdir', 'utime'],
      {
        path: string,
        target: string,
        intent: {
          type: 'object',
          required: ['read', 'write', 'create'],
          properties: { read: { type: 'boolean' }, write: { type: 'boolean' }, create: { type: 'boolean' }, truncate: { type: 'boolean' } },
        },
        mode: { type: 'string', pattern: '^0[0-7]*$' },
        mtime: { type: 'number' },
      },
      ['path'],
    ),
    kind(
      'network',
      ['connect', 'bind', 'sendto', 'sendmsg'],
      { family: string, address: string, port: { type: 'integer', minimum: 0, maximum: 65535 }, data: string, socket: { type: 'string', pattern: '^[0-9]+$' } },
      ['family'],
    ),
    kind('script', ['start', 'end'], { command: string, commandHash: { type: 'string', pattern: '^[0-9a-f]{64}$' }, cwd: string, parentRun: { type: 'integer', minimum: 1 }, identity, claimed: packageRef, code: integer, signal: string }),
    kind('dns', null, { name: string, qtype: string, answered: { enum: ['allowed', 'sinked'] }, socket: string }, ['name', 'qtype', 'answered']),
    kind(
      'http',
      null,
      {
        method: string,
        url: string,
        host: string,
        port: { type: 'integer', minimum: 0, maximum: 65535 },
        status: integer,
        bytes: { type: 'integer', minimum: 0 },
        decision: { enum: ['allowed', 'denied', 'sinked', 'registry'] },
        upstream: { type: 'boolean' },
        socket: string,
        request: {
          type: 'object',
          required: ['headers', 'bodyBytes'],
          properties: { headers: { type: 'object', additionalProperties: string }, body: string, bodyBytes: { type: 'integer', minimum: 0 } },
        },
      },
      ['method', 'url', 'host', 'port', 'decision'],
    ),
    kind('fsdiff', null, { change: { enum: ['created', 'modified', 'deleted'] }, path: string, mtime: { type: 'number', minimum: 0 } }, ['change', 'path']),
    kind(
      'decoy-exfiltration',
      null,
      { decoyKind: string, where: { enum: ['dns', 'url', 'header', 'body', 'argv', 'file'] }, encoding: string, seenIn: string },
      ['decoyKind', 'where', 'encoding'],
    ),
    kind('notice', null, { message: string, count: { type: 'integer', minimum: 0 } }, ['message']),
  ],
} as const;
