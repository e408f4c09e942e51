import { lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TraceEvent } from '@safe-install/schema';
import { behavioursOf, diffBehaviours } from '@safe-install/trace';
import { renderApprovalView } from '@safe-install/report';
import {
  APPROVALS_FILE,
  MAX_APPROVALS,
  MAX_APPROVALS_BYTES,
  MAX_STORED_VALUES,
  approvalOf,
  approvalsText,
  behavioursOfApproval,
  emptyStore,
  parseApprovals,
  previousApproval,
  readApprovals,
  withApproval,
  writeApprovals,
} from './approvals-store.js';

const CTX = { projectDir: '/home/node/project', nodeModules: '/home/node/project/node_modules', homeDir: '/home/node', tmpDir: '/tmp' };

/** The events of one postinstall of `beacon-bump@version`, as the tracer records them; the bump adds a beacon. */
function run(version: string, beacon: boolean): TraceEvent[] {
  const pkg = { name: 'beacon-bump', version };
  const base = { pid: 10, ppid: 1, package: pkg, lifecycle: 'postinstall', run: 1 };
  const events: Array<Record<string, unknown>> = [
    { id: 'e1', ts: 1, type: 'script', action: 'start', command: 'node build.js', cwd: '/home/node/project/node_modules/beacon-bump', ...base },
    { id: 'e2', ts: 2, type: 'process', action: 'exec', path: '/usr/local/bin/node', argv: ['node', 'build.js'], ...base },
    { id: 'e3', ts: 3, type: 'file', action: 'open', path: '/home/node/project/node_modules/beacon-bump/build/out.txt', intent: { write: true, create: true }, ...base },
  ];
  if (beacon) {
    events.push(
      { id: 'e4', ts: 4, type: 'process', action: 'exec', path: '/usr/local/bin/node', argv: ['node', '/home/node/project/node_modules/beacon-bump/beacon.js'], ...base, pid: 11, ppid: 10 },
      { id: 'e5', ts: 5, type: 'dns', name: 'beacon.invalid', ...base, pid: 11 },
    );
  }
  return events as unknown as TraceEvent[];
}

function approvedStore(): ReturnType<typeof emptyStore> {
  const v1 = behavioursOf(run('1.0.0', false), CTX);
  return withApproval(emptyStore(), approvalOf({ name: 'beacon-bump', version: '1.0.0' }, 'beacon-bump@1.0.0', [...v1.scripts.values()], new Date('2026-12-01T10:00:00Z')));
}

describe('approvals store: the approved run, kept for the next version', () => {
  it('round-trips through its text', () => {
    const store = approvedStore();
    const parsed = parseApprovals(approvalsText(store));
    expect(parsed.warnings).toEqual([]);
    expect(parsed.valid).toBe(true);
    expect(approvalsText(parsed.store)).toBe(approvalsText(store));
    expect([...parsed.store.approvals.keys()]).toEqual(['beacon-bump@1.0.0']);
  });

  it('a version bump shows what the new version does that the approved run did not', () => {
    const stored = parseApprovals(approvalsText(approvedStore())).store;
    const before = previousApproval(stored, 'beacon-bump', '1.0.1', ['1.0.0']);
    expect(before?.version).toBe('1.0.0');
    const head = behavioursOf(run('1.0.1', true), CTX);
    const changes = diffBehaviours(behavioursOfApproval(before!), head);
    expect(changes).toHaveLength(1);
    expect(changes[0]?.baseVersion).toBe('1.0.0');
    expect(changes[0]?.added.exec).toEqual(['/usr/local/bin/node {pkg}/beacon.js']);
    expect(changes[0]?.added.dns).toEqual(['beacon.invalid']);
    // The same version's run again adds nothing.
    expect(diffBehaviours(behavioursOfApproval(before!), behavioursOf(run('1.0.1', false), CTX))).toEqual([]);
    // And the terminal says so, under the package.
    const lines = renderApprovalView({ package: { name: 'beacon-bump', version: '1.0.1' }, path: 'node_modules/beacon-bump', entry: 'beacon-bump@1.0.1', scripts: [...head.scripts.values()], findings: [], previous: { version: '1.0.0', changes } }).map((l) => l.text);
    expect(lines).toContain('  approved before: beacon-bump@1.0.0; new since its approved run:');
    expect(lines).toContain('    beacon-bump@1.0.1 postinstall (was 1.0.0): +1 exec, +1 DNS name');
    expect(lines).toContain('      + dns     beacon.invalid');
  });

  it('prefers the version allowScripts approved, else the latest other one; never the same version', () => {
    let store = approvedStore();
    store = withApproval(store, { ...approvalOf({ name: 'beacon-bump', version: '0.9.0' }, 'beacon-bump@0.9.0', [], new Date('2026-12-02T00:00:00Z')) });
    expect(previousApproval(store, 'beacon-bump', '1.0.1', ['1.0.0'])?.version).toBe('1.0.0');
    expect(previousApproval(store, 'beacon-bump', '1.0.1', [])?.version).toBe('0.9.0');
    expect(previousApproval(store, 'beacon-bump', '1.0.0', [])?.version).toBe('0.9.0');
    expect(previousApproval(store, 'other', '1.0.0', [])).toBeNull();
  });

  it('is bounded when written: values per kind, and the oldest approvals go first', () => {
    const many = Array.from({ length: MAX_STORED_VALUES + 5 }, (_, i) => `/usr/bin/tool-${i}`);
    const approval = approvalOf({ name: 'big', version: '1.0.0' }, 'big@1.0.0', [], new Date(0));
    approval.scripts.set('postinstall', { values: { script: [], exec: many, host: [], dns: [], file: [], finding: [] }, dropped: { script: 0, exec: 3, host: 0, dns: 0, file: 0, finding: 0 } });
    const parsed = parseApprovals(approvalsText(withApproval(emptyStore(), approval)));
    const script = parsed.store.approvals.get('big@1.0.0')?.scripts.get('postinstall');
    expect(script?.values.exec).toHaveLength(MAX_STORED_VALUES);
    expect(script?.dropped.exec).toBe(8);
    let store = emptyStore();
    for (let i = 0; i < MAX_APPROVALS + 3; i++) store = withApproval(store, approvalOf({ name: `p${i}`, version: '1.0.0' }, `p${i}@1.0.0`, [], new Date(1_000_000 + i)));
    const kept = parseApprovals(approvalsText(store)).store.approvals;
    expect(kept.size).toBe(MAX_APPROVALS);
    expect(kept.has('p0@1.0.0')).toBe(false);
    expect(kept.has(`p${MAX_APPROVALS + 2}@1.0.0`)).toBe(true);
  });
});

describe('approvals store: hostile input', () => {
  const entry = (over: Record<string, unknown> = {}) => ({ name: 'a', version: '1.0.0', entry: 'a@1.0.0', approvedAt: '2026-12-01T00:00:00Z', scripts: { postinstall: { values: { exec: ['/bin/true'] } } }, ...over });
  const file = (approvals: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ version: 1, approvals, ...extra });

  it('a file that is not an approvals file is not read, and marked not to be overwritten', () => {
    for (const text of ['', 'not json', '[]', 'null', '{"version":2,"approvals":{}}', '{"version":1,"approvals":[]}', '{"version":"1","approvals":{}}']) {
      const parsed = parseApprovals(text);
      expect([text, parsed.valid, parsed.store.approvals.size]).toEqual([text, false, 0]);
      expect(parsed.warnings).toHaveLength(1);
    }
    expect(parseApprovals(' '.repeat(MAX_APPROVALS_BYTES + 1)).warnings[0]).toMatch(/larger than/);
  });

  it('drops an entry that is not what its key says, or has a bad field, with a warning naming it', () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['b@1.0.0', entry(), /is not the approval of "a@1\.0\.0"/],
      ['a@1.0.0', entry({ name: '../../etc' }), /no valid package name/],
      ['a@1.0.0', entry({ name: 'a'.repeat(215) }), /no valid package name/],
      ['a@1.0.0', entry({ version: '1.0.0\u001b[2J' }), /no valid version/],
      ['a@1.0.0', entry({ entry: 7 }), /no valid allowScripts entry/],
      ['a@1.0.0', entry({ approvedAt: 'yesterday' }), /no valid approval date/],
      ['a@1.0.0', entry({ scripts: [] }), /has no scripts/],
      ['a@1.0.0', entry({ scripts: { 'rm -rf /': { values: {} } } }), /no lifecycle/],
      ['a@1.0.0', entry({ scripts: { postinstall: { values: { exec: '/bin/sh' } } } }), /exec is not a list/],
      ['a@1.0.0', entry({ scripts: { postinstall: { values: { exec: [{}] } } } }), /non-string/],
      ['a@1.0.0', entry({ scripts: { postinstall: { values: {}, dropped: { exec: -1 } } } }), /not a count/],
      ['a@1.0.0', entry({ scripts: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`s${i}`, { values: {} }])) }), /more than 16 scripts/],
      ['a@1.0.0', 'a string', /not an object/],
    ];
    for (const [key, value, why] of cases) {
      const parsed = parseApprovals(file({ [key]: value, 'ok@1.0.0': entry({ name: 'ok', entry: 'ok@1.0.0' }) }));
      expect(parsed.valid).toBe(true);
      expect([...parsed.store.approvals.keys()]).toEqual(['ok@1.0.0']);
      expect(parsed.warnings).toHaveLength(1);
      expect(parsed.warnings[0]).toMatch(why);
    }
  });

  it('prototype keys are data, long values are cut, duplicates and sets beyond the bound are counted, not kept', () => {
    const parsed = parseApprovals(`{"version":1,"approvals":{"__proto__":{"polluted":true},"a@1.0.0":${JSON.stringify(entry({ scripts: { postinstall: { values: { exec: ['x'.repeat(5000), 'x'.repeat(5000), ...Array.from({ length: MAX_STORED_VALUES + 1 }, (_, i) => `v${i}`)] } } } }))}}}`);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect([...parsed.store.approvals.keys()]).toEqual(['a@1.0.0']);
    const exec = parsed.store.approvals.get('a@1.0.0')?.scripts.get('postinstall');
    expect(exec?.values.exec[0]).toHaveLength(400);
    expect(exec?.values.exec).toHaveLength(MAX_STORED_VALUES);
    expect(exec?.dropped.exec).toBe(2);
  });

  it('stops reading after the most approvals it keeps', () => {
    const approvals = Object.fromEntries(Array.from({ length: MAX_APPROVALS + 1 }, (_, i) => [`p${i}@1.0.0`, entry({ name: `p${i}`, entry: `p${i}@1.0.0` })]));
    const parsed = parseApprovals(file(approvals));
    expect(parsed.store.approvals.size).toBe(MAX_APPROVALS);
    expect(parsed.warnings[0]).toMatch(/more than 500 approvals/);
  });
});

describe('approvals store on disk', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'approvals-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('an absent file is an empty store; written, it reads back', async () => {
    expect(await readApprovals(dir)).toEqual({ store: emptyStore(), warnings: [], valid: true });
    await writeApprovals(dir, approvedStore());
    expect([...(await readApprovals(dir)).store.approvals.keys()]).toEqual(['beacon-bump@1.0.0']);
  });

  it('never writes through a symbolic link (file or folder), and never reads a non-file', async () => {
    const outside = join(dir, 'outside');
    await mkdir(outside);
    await symlink(outside, join(dir, '.safe-install'));
    await expect(writeApprovals(dir, approvedStore())).rejects.toThrow(/symbolic link/);
    await rm(join(dir, '.safe-install'));
    await mkdir(join(dir, '.safe-install'));
    await writeFile(join(outside, 'target.json'), 'keep');
    await symlink(join(outside, 'target.json'), join(dir, APPROVALS_FILE));
    await expect(writeApprovals(dir, approvedStore())).rejects.toThrow(/symbolic link/);
    expect(await readFile(join(outside, 'target.json'), 'utf8')).toBe('keep');
    expect((await readApprovals(dir)).valid).toBe(false);
    expect((await lstat(join(dir, APPROVALS_FILE))).isSymbolicLink()).toBe(true);
  });
});
