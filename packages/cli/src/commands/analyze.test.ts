import { SafeInstallError, type PackageAnalysis } from '@safe-install/schema';
import type { PackageOutcome } from '@safe-install/core';
import { EXIT } from '../exit-codes.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze, analyzeExitCode, slotsFor } from './analyze.js';
import type { Printer } from '../output.js';

const analysed = (risk: PackageAnalysis['risk']): PackageOutcome => ({ spec: 'x', analysis: { risk } as PackageAnalysis, folder: null, failure: null, durationMs: 1 });
const failed = (kind: 'usage' | 'package-manager' | 'infrastructure'): PackageOutcome => ({ spec: 'x', analysis: null, folder: null, failure: new SafeInstallError('X', kind, 'm'), durationMs: 1 });

describe('analyze exit codes', () => {
  it('findings are data: 0 whatever the risk without --fail-on', () => {
    expect(analyzeExitCode([analysed('critical'), analysed('none')], undefined)).toBe(EXIT.pass);
    expect(analyzeExitCode([], undefined)).toBe(EXIT.pass);
  });
  it('--fail-on: 1 at or above it, 0 below', () => {
    expect(analyzeExitCode([analysed('high')], 'high')).toBe(EXIT.violation);
    expect(analyzeExitCode([analysed('medium'), analysed('none')], 'high')).toBe(EXIT.pass);
  });
  it('failures outrank findings: infrastructure, then the package manager, then usage', () => {
    expect(analyzeExitCode([analysed('critical'), failed('usage'), failed('package-manager'), failed('infrastructure')], 'info')).toBe(EXIT.infrastructure);
    expect(analyzeExitCode([failed('usage'), failed('package-manager')], 'info')).toBe(EXIT.packageManager);
    expect(analyzeExitCode([analysed('critical'), failed('usage')], 'info')).toBe(EXIT.usage);
  });
});

describe('analyze: where the sandboxes run', () => {
  it('one engine per --docker-host, --concurrency on each; none given: the default engine', () => {
    expect(slotsFor(['unix:///var/run/docker.sock', 'tcp://127.0.0.1:2375', 'ssh://a@b.example'], 2).capacity).toBe(6);
    expect(slotsFor([], 3).capacity).toBe(3);
  });
  it.each([
    ['not a URL', ['localhost:2375']],
    ['an unknown scheme', ['ftp://x']],
    ['the same engine twice', ['tcp://127.0.0.1:1', 'tcp://127.0.0.1:1']],
  ])('refuses %s as a usage error', (_what, hosts) => {
    expect(() => slotsFor(hosts, 1)).toThrow(expect.objectContaining({ kind: 'usage' }));
  });
});

describe('analyze --emit-k8s', () => {
  const quiet: Printer = { info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as Printer;
  const base = { specs: ['left-pad@1.3.0', 'is-number'], concurrency: 2, timeoutSeconds: 300, phaseTimeoutSeconds: 180, windowSeconds: 10, bins: false, binTimeoutSeconds: 10, resume: false, format: 'terminal' as const, limits: {}, printer: quiet };
  let dir = '';
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'emit-k8s-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes the manifest and analyses nothing', async () => {
    const code = await analyze({ ...base, cwd: dir, emitK8s: { file: 'job.yaml', image: 'registry.example/safe-install:1', resultsClaim: 'results', parallelism: 5, shardSize: 1 } });
    expect(code).toBe(EXIT.pass);
    const text = await readFile(join(dir, 'job.yaml'), 'utf8');
    expect(text).toContain('kind: Job');
    expect(text).toContain('shard-1.txt');
  });
  it('needs --image, and refuses local specs a cluster cannot fetch', async () => {
    await expect(analyze({ ...base, cwd: dir, emitK8s: { file: 'job.yaml', resultsClaim: 'results', parallelism: 1, shardSize: 1 } })).rejects.toThrow(/--image/);
    await expect(analyze({ ...base, specs: ['./pkg.tgz'], cwd: process.cwd(), emitK8s: { file: join(dir, 'j.yaml'), image: 'i', resultsClaim: 'results', parallelism: 1, shardSize: 1 } })).rejects.toThrow(/no such file|local file/);
    await expect(analyze({ ...base, cwd: dir, emitK8s: { file: 'job.yaml', image: 'i', resultsClaim: 'Bad Claim', parallelism: 1, shardSize: 1 } })).rejects.toThrow(expect.objectContaining({ kind: 'usage' }));
  });
});
