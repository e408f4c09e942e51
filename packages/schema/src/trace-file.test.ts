import { Ajv2020 } from 'ajv/dist/2020.js';
import { TRACE_SCHEMA_VERSION, type TraceEvent } from './events.js';
import { MAX_EVENT_LINE_BYTES, mergeByTime, parseTrace, parseTraceEvent, parseTraceHeader, traceEventLine, traceHeaderLine, TraceFileError, type TraceHeader } from './trace-file.js';
import { TRACE_HEADER_JSON_SCHEMA } from './trace-header-json-schema.js';

const header: TraceHeader = {
  type: 'trace-header',
  schemaVersion: TRACE_SCHEMA_VERSION,
  runId: 'mabc-1234',
  tool: { name: 'safe-install', version: '0.1.0' },
  project: '/work/app',
  job: 'ci',
  command: ['npm', 'ci'],
  packageManager: { name: 'npm', version: '11.6.2' },
  phases: ['install'],
  startedAt: 1764000000000,
  complete: true,
  outcome: 'completed',
  context: {
    projectDir: '/home/node/project',
    homeDir: '/home/node',
    tmpDir: '/tmp',
    nodeModules: '/home/node/project/node_modules',
    gateway: [{ address: '127.0.0.1' }, { address: '127.10.0.1', port: 80 }],
    resolvers: ['127.0.0.1'],
    registryHosts: ['registry.example'],
    lockedPackages: [{ name: 'a', version: '1.0.0' }],
    npmVersion: '11.6.2',
    now: 1764000001000,
  },
  decoys: { values: [{ kind: 'npm-token', value: 'npm_fake', plantedAt: ['/home/node/.npmrc'] }], files: [{ path: '/home/node/.npmrc', kind: 'npm-token' }] },
  policy: { resolved: { mode: 'block' }, interop: { rules: [] } },
};

const event = (id: string, ts: number, source: TraceEvent['source'] = 'tracer'): TraceEvent => ({ id, ts, source, pid: source === 'gateway' ? 0 : 7, ppid: 0, type: 'notice', message: id });

describe('the trace header', () => {
  it('round-trips and matches its JSON Schema', () => {
    const line = traceHeaderLine(header);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(parseTraceHeader(line.trim())).toEqual(header);
    const validate = new Ajv2020({ strict: true, allErrors: true }).compile(TRACE_HEADER_JSON_SCHEMA);
    expect(validate(header) ? [] : validate.errors).toEqual([]);
    expect(validate({ ...header, schemaVersion: 1 })).toBe(false);
  });

  const hostile: Array<[string, string, RegExp]> = [
    ['not JSON', 'npm WARN deprecated', /not JSON/],
    ['a JSON array', '[1,2]', /not a JSON object/],
    ['null', 'null', /not a JSON object/],
    ['an event before the header', traceEventLine(event('e1', 1)).trim(), /it is an event/],
    ['another version', JSON.stringify({ ...header, schemaVersion: 1 }), /schema version 1; this safe-install reads version 2/],
    ['a version as a string', JSON.stringify({ ...header, schemaVersion: '2' }), /schema version "2"/],
    ['no context', JSON.stringify({ ...header, context: undefined }), /context is not an object/],
    ['a context path that is not a string', JSON.stringify({ ...header, context: { ...header.context, homeDir: 7 } }), /context.homeDir/],
    ['locked packages that are not packages', JSON.stringify({ ...header, context: { ...header.context, lockedPackages: ['a@1'] } }), /lockedPackages/],
    ['a decoy of an unknown kind', JSON.stringify({ ...header, decoys: { values: [{ kind: 'root-password', value: 'x', plantedAt: [] }], files: [] } }), /decoys.values/],
    ['no policy', JSON.stringify({ ...header, policy: null }), /policy is not/],
    ['another tool', JSON.stringify({ ...header, tool: { name: 'other', version: '1' } }), /tool is not safe-install/],
    ['a __proto__ key instead of fields', '{"type":"trace-header","schemaVersion":2,"__proto__":{"complete":true}}', /malformed/],
  ];
  it.each(hostile)('rejects %s', (_, line, message) => {
    expect(() => parseTraceHeader(line)).toThrow(TraceFileError);
    expect(() => parseTraceHeader(line)).toThrow(message);
  });

  it('names every problem of a malformed header at once', () => {
    expect(() => parseTraceHeader(JSON.stringify({ ...header, job: 1, phases: 'install', complete: 'yes' }))).toThrow(/job is not a string; phases is not a list of strings; complete is not true or false/);
  });
});

describe('event lines', () => {
  it('parses an event and refuses what is not one', () => {
    expect(parseTraceEvent(traceEventLine(event('e1', 5)).trim())).toEqual(event('e1', 5));
    for (const line of ['', 'x', '{}', '[]', '"e"', '{"id":"","type":"notice","ts":1,"pid":0,"ppid":0,"source":"tracer"}', '{"id":"a","type":"notice","ts":"1","pid":0,"ppid":0,"source":"tracer"}', traceHeaderLine(header).trim()]) {
      expect(parseTraceEvent(line)).toBeNull();
    }
  });

  it('refuses a line longer than the limit without parsing it', () => {
    const huge = `{"id":"a","type":"notice","ts":1,"pid":0,"ppid":0,"source":"tracer","message":"${'x'.repeat(MAX_EVENT_LINE_BYTES)}"}`;
    expect(parseTraceEvent(huge)).toBeNull();
  });
});

describe('a whole trace', () => {
  it('reads the header, the events, and counts the lines that are not events (a cut last line)', () => {
    const text = traceHeaderLine(header) + traceEventLine(event('e1', 1)) + '\n' + 'garbage\n' + traceEventLine(event('e2', 2)) + '{"id":"e3","ty';
    const trace = parseTrace(text);
    expect(trace.header.runId).toBe('mabc-1234');
    expect(trace.events.map((e) => e.id)).toEqual(['e1', 'e2']);
    expect(trace.badLines).toBe(2);
  });

  it('refuses an empty file and one that starts with events', () => {
    expect(() => parseTrace('\n\n')).toThrow(/empty/);
    expect(() => parseTrace(traceEventLine(event('e1', 1)) + traceHeaderLine(header))).toThrow(/line 1: the first line is not a trace header/);
  });
});

describe('mergeByTime', () => {
  it('puts the gateway events among the sandbox events by time, each side in its own order', () => {
    const sandbox = [event('t1', 10), event('t2', 30), event('t3', 20), event('t4', 40)];
    const gateway = [event('g2', 25, 'gateway'), event('g1', 5, 'gateway'), event('g3', 30, 'gateway'), event('g4', 99, 'gateway')];
    const merged = mergeByTime([...sandbox, ...gateway]);
    // t3 (20) stays after t2 (30): the tracer's order is kept, not re-sorted.
    expect(merged.map((e) => e.id)).toEqual(['g1', 't1', 'g2', 't2', 't3', 'g3', 't4', 'g4']);
    expect(merged).toHaveLength(8);
  });

  it('leaves a trace without gateway events as it is, and does not change its input', () => {
    const events = [event('t2', 2), event('t1', 1)];
    const copy = [...events];
    expect(mergeByTime(events)).toEqual(copy);
    const withGateway = [...events, event('g', 0, 'gateway')];
    mergeByTime(withGateway);
    expect(withGateway.map((e) => e.id)).toEqual(['t2', 't1', 'g']);
  });
});
