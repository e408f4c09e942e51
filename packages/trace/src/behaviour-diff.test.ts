import type { DecoyIndex, TraceEvent } from '@safe-install/schema';
import { MAX_VALUES_PER_KIND, behavioursOf, dnsShape, type BehaviourContext } from './behaviours.js';
import { addedCount, diffBehaviours } from './behaviour-diff.js';

const base = { projectDir: '/home/node/project', nodeModules: '/home/node/project/node_modules', homeDir: '/home/node', tmpDir: '/tmp' };

/**
 * One run of a project whose `foo` postinstall builds into its folder; `variant` changes what a
 * rerun changes (pids, times, ids, run id, decoy values, the container's host name, temp names).
 */
function run(variant: number, opts: { version?: string; beacon?: boolean } = {}): { events: TraceEvent[]; ctx: BehaviourContext } {
  const version = opts.version ?? '2.0.0';
  const pkg = { name: 'foo', version };
  const pid = (n: number) => n + variant * 7;
  const runId = `mx6ms2la-${variant}0d2e92${variant}`;
  const token = `npm_${'zP0sbCxnE3aGqnMEkbRS9itPUDCdkm2CQl'}${variant}x${variant}Q`;
  const host = Buffer.from(`ip-10-1-${variant}-17`).toString('hex');
  const tmp = `/tmp/build-${['aB3xZq', 'Qw9rTy', 'Lm2NoP'][variant % 3]}`;
  const decoys: DecoyIndex = { values: [{ kind: 'npm-token', value: token, plantedAt: ['/home/node/.npmrc'] }], files: [{ path: '/home/node/.npmrc', kind: 'npm-token' }] };
  let id = 0;
  const ts = 1_796_246_488_000 + variant * 99_999;
  const ev = (body: Record<string, unknown>): TraceEvent =>
    ({ id: `t${++id + variant * 1000}`, ts: ts + id, source: 'tracer', ppid: 0, package: pkg, lifecycle: 'postinstall', run: 1 + variant, phase: 'install', ...body }) as unknown as TraceEvent;
  const dir = '/home/node/project/node_modules/foo';
  const events: TraceEvent[] = [
    ev({ pid: pid(27), type: 'process', action: 'exec', path: 'npm', argv: ['npm', 'ci'], cwd: base.projectDir, ok: true, package: undefined, lifecycle: undefined, run: undefined }),
    ev({ pid: pid(47), type: 'script', action: 'start', command: opts.beacon ? 'node build.js && node beacon.js' : 'node build.js', cwd: dir }),
    ev({ pid: pid(47), type: 'process', action: 'exec', path: '/usr/local/libexec/npm-lifecycle', argv: ['/usr/local/libexec/npm-lifecycle', '--run', 'foo', version, 'postinstall'], cwd: dir, ok: true }),
    ev({ pid: pid(47), type: 'process', action: 'exec', path: '/bin/sh', argv: ['sh', '-c', opts.beacon ? 'node build.js && node beacon.js' : 'node build.js'], cwd: dir, ok: true }),
    ev({ pid: pid(48), type: 'process', action: 'exec', path: '/usr/local/sbin/node', argv: ['node', 'build.js'], cwd: dir, ok: false, errno: 'ENOENT' }),
    ev({ pid: pid(48), type: 'process', action: 'exec', path: '/usr/local/bin/node', argv: ['node', 'build.js', `--out=${dir}/build`, `--tmp=${tmp}`, `--cache=${base.homeDir}/.cache/foo-${version}`], cwd: dir, ok: true }),
    ev({ pid: pid(48), type: 'file', action: 'open', path: `${dir}/build/out.js`, intent: { read: false, write: true, create: true }, ok: true }),
    ev({ pid: pid(48), type: 'file', action: 'open', path: `${tmp}/step-${pid(48)}.o`, intent: { read: false, write: true, create: true }, ok: true }),
    ev({ pid: pid(48), type: 'file', action: 'open', path: '/dev/null', intent: { read: false, write: true, create: false }, ok: true }),
    ev({ pid: pid(48), type: 'file', action: 'open', path: '/home/node/.npmrc', intent: { read: true, write: false, create: false }, ok: true }),
    ev({ pid: pid(48), type: 'file', action: 'mkdir', path: `${base.homeDir}/.cache/foo`, mode: '0755', ok: true }),
    ev({ pid: pid(48), type: 'network', action: 'connect', family: 'AF_UNIX', address: '/var/run/nscd/socket', ok: false, errno: 'ENOENT' }),
    ev({ pid: pid(48), type: 'network', action: 'connect', family: 'AF_INET', address: '127.0.0.1', port: 53, socket: `${pid(3000)}`, ok: true }),
    ev({ pid: 0, source: 'gateway', type: 'dns', name: `${host}.telemetry.example`, qtype: 'A', answered: 'sinked' }),
    ev({ pid: 0, source: 'gateway', type: 'http', method: 'GET', url: 'http://telemetry.example/ping', host: 'telemetry.example', port: 80, decision: 'sinked' }),
    ev({ pid: pid(48), type: 'process', action: 'exec', path: '/usr/bin/git', argv: ['git', 'log', '-1', `--format=${runId}`], cwd: dir, ok: true }),
    ev({ pid: pid(48), type: 'process', action: 'exec', path: '/bin/echo', argv: ['echo', token], cwd: dir, ok: true }),
    ev({ pid: pid(47), type: 'script', action: 'end', code: 0 }),
  ];
  if (opts.beacon) {
    events.splice(
      -1,
      0,
      ev({ pid: pid(60), type: 'process', action: 'exec', path: '/usr/local/bin/node', argv: ['node', 'beacon.js'], cwd: dir, ok: true }),
      ev({ pid: pid(60), type: 'network', action: 'connect', family: 'AF_INET', address: '127.10.0.1', port: 80, ok: false, errno: 'EINPROGRESS' }),
      ev({ pid: 0, source: 'gateway', type: 'dns', name: 'beacon.invalid', qtype: 'A', answered: 'sinked' }),
      ev({ pid: 0, source: 'gateway', type: 'http', method: 'POST', url: 'http://beacon.invalid/b', host: 'beacon.invalid', port: 80, decision: 'sinked' }),
      ev({ pid: pid(60), type: 'network', action: 'connect', family: 'AF_INET', address: '198.51.100.7', port: 443, ok: false, errno: 'ENETUNREACH' }),
      ev({ pid: pid(60), type: 'network', action: 'connect', family: 'AF_UNIX', address: '/var/run/docker.sock', ok: false, errno: 'EACCES' }),
      ev({ pid: pid(60), type: 'file', action: 'open', path: '/home/node/.bashrc', intent: { read: false, write: true, create: true }, ok: true }),
    );
  }
  return { events, ctx: { ...base, decoys, runId } };
}

const of = (r: { events: TraceEvent[]; ctx: BehaviourContext }, findings: Array<{ ruleId: string; package?: { name: string; version: string }; lifecycle?: string }> = []) => behavioursOf(r.events, r.ctx, findings);

describe('the behaviours of a trace', () => {
  it('are per package name and lifecycle, normalised: no pid, time, run id, decoy value, temp name, version or host-name label', () => {
    const scripts = [...of(run(1)).scripts.values()];
    expect(scripts.map((s) => [s.package, s.lifecycle])).toEqual([
      [null, null],
      [{ name: 'foo', version: '2.0.0' }, 'postinstall'],
    ]);
    const foo = scripts[1]!;
    expect([...foo.values.script]).toEqual(['node build.js']);
    expect([...foo.values.exec]).toEqual([
      '/bin/sh -c "node build.js"',
      '/usr/local/bin/node build.js --out={pkg}/build --tmp=/tmp/build-* --cache=/home/node/.cache/foo-{version}',
      '/usr/bin/git log -1 --format={run}',
      '/bin/echo {decoy:npm-token}',
    ]);
    // Loopback is the sandbox's DNS forwarder: the gateway's own events name where it led; nscd's
    // socket is not there (glibc tries it on every lookup).
    expect([...foo.values.host]).toEqual(['telemetry.example:80']);
    expect([...foo.values.dns]).toEqual(['*.telemetry.example']);
    // Not the package's own folder, not /dev/null, not a read.
    expect([...foo.values.file]).toEqual(['/tmp/build-*/step-N.o', '/home/node/.cache/foo']);
    expect([...scripts[0]!.values.exec]).toEqual(['npm ci']);
  });

  it('are the same for an identical rerun, so the diff is empty', () => {
    const findings = [{ ruleId: 'network-not-allowed', package: { name: 'foo', version: '2.0.0' }, lifecycle: 'postinstall' }];
    expect(diffBehaviours(of(run(0), findings), of(run(1), findings))).toEqual([]);
    expect(diffBehaviours(of(run(2)), of(run(1)))).toEqual([]);
  });

  it('a version bump is the same script: only what the new version adds is listed, with the old version', () => {
    const changes = diffBehaviours(of(run(0)), of(run(1, { version: '2.0.1', beacon: true }), [{ ruleId: 'decoy-credential-read', package: { name: 'foo', version: '2.0.1' }, lifecycle: 'postinstall' }]));
    expect(changes).toHaveLength(1);
    expect(changes[0]).toEqual({
      key: 'foo\0postinstall',
      package: { name: 'foo', version: '2.0.1' },
      lifecycle: 'postinstall',
      baseVersion: '2.0.0',
      newScript: false,
      added: {
        script: ['node build.js && node beacon.js'],
        exec: ['/bin/sh -c "node build.js && node beacon.js"', '/usr/local/bin/node beacon.js'],
        host: ['beacon.invalid:80', '198.51.100.7:443', 'unix:/var/run/docker.sock'],
        dns: ['beacon.invalid'],
        file: ['/home/node/.bashrc'],
        finding: ['decoy-credential-read'],
      },
      partial: [],
    });
    expect(addedCount(changes[0]!)).toBe(9);
    // The other way round, the old version adds nothing the new one did not do.
    expect(diffBehaviours(of(run(1, { version: '2.0.1', beacon: true })), of(run(0)))).toEqual([
      expect.objectContaining({ added: expect.objectContaining({ script: ['node build.js'], exec: ['/bin/sh -c "node build.js"'], host: [], dns: [] }) }),
    ]);
  });

  it('a script the base never ran is new, with everything it did', () => {
    const head = run(0);
    const other = { name: 'bar', version: '1.0.0' };
    head.events.push({ id: 'x1', ts: 1, source: 'tracer', pid: 90, ppid: 0, package: other, lifecycle: 'install', run: 9, type: 'script', action: 'start', command: 'node-gyp rebuild', cwd: '/home/node/project/node_modules/bar' } as TraceEvent);
    head.events.push({ id: 'x2', ts: 2, source: 'tracer', pid: 91, ppid: 90, package: other, lifecycle: 'install', run: 9, type: 'process', action: 'exec', path: '/usr/bin/make', argv: ['make', '-j2'], cwd: '/', ok: true } as TraceEvent);
    const changes = diffBehaviours(of(run(0)), of(head));
    expect(changes.map((c) => [c.package?.name, c.lifecycle, c.newScript, c.added.script, c.added.exec])).toEqual([['bar', 'install', true, ['node-gyp rebuild'], ['/usr/bin/make -j2']]]);
  });

  it('says a comparison is partial when the base had more behaviours of a kind than it keeps', () => {
    const many = (n: number, extra: string[]) => {
      const r = run(0);
      const pkg = { name: 'foo', version: '2.0.0' };
      for (const path of [...Array.from({ length: n }, (_, i) => `/home/node/out/f${String.fromCharCode(97 + (i % 26))}${i}`), ...extra]) {
        r.events.push({ id: path, ts: 1, source: 'tracer', pid: 50, ppid: 0, package: pkg, lifecycle: 'postinstall', run: 1, type: 'file', action: 'unlink', path, ok: true } as TraceEvent);
      }
      return of(r);
    };
    const before = many(MAX_VALUES_PER_KIND + 10, []);
    expect(before.scripts.get('foo\0postinstall')!.values.file.size).toBe(MAX_VALUES_PER_KIND);
    expect(before.scripts.get('foo\0postinstall')!.dropped.file).toBe(12);
    const [change] = diffBehaviours(before, many(0, ['/home/node/out/new']));
    expect(change).toMatchObject({ partial: ['file'], added: { file: ['/home/node/out/new'] } });
  });

  it('takes hostile values as data: control characters kept (the renderer escapes them), lengths bounded, odd shapes skipped', () => {
    const pkg = { name: 'evil\u001b[2J', version: '1.0.0' };
    const events = [
      { id: 'a', ts: 1, source: 'tracer', pid: 1, ppid: 0, package: pkg, lifecycle: 'postinstall', type: 'process', action: 'exec', path: '/bin/x\u202e', argv: ['x', 'A'.repeat(100_000)], cwd: '/', ok: true },
      { id: 'b', ts: 1, source: 'tracer', pid: 1, ppid: 0, package: pkg, lifecycle: 'postinstall', type: 'process', action: 'exec', path: 42, argv: 'not a list', cwd: '/', ok: true },
      { id: 'c', ts: 1, source: 'gateway', pid: 0, ppid: 0, package: pkg, lifecycle: 'postinstall', type: 'dns', name: null },
      { id: 'd', ts: 1, source: 'tracer', pid: 1, ppid: 0, package: pkg, lifecycle: 'postinstall', type: 'file', action: 'open', path: '/etc/x', ok: true },
    ] as unknown as TraceEvent[];
    const script = behavioursOf(events, base).scripts.get('evil\u001b[2J\0postinstall')!;
    expect([...script.values.exec]).toHaveLength(1);
    expect([...script.values.exec][0]!.length).toBeLessThanOrEqual(400);
    expect([...script.values.exec][0]).toMatch(/^\/bin\/x\u202e A+$/);
    expect(script.values.dns.size + script.values.file.size).toBe(0);
  });

  it('DNS labels that carry data become *, names do not', () => {
    expect(dnsShape('69702d31302d3131382d33382d313731.exfil.invalid.')).toBe('*.exfil.invalid');
    expect(dnsShape('Registry.NPMJS.org')).toBe('registry.npmjs.org');
    expect(dnsShape('a1b2c3d4e5.x.example')).toBe('*.x.example');
    expect(dnsShape('cdn1.x.example')).toBe('cdn1.x.example');
  });
});
