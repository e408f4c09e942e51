/**
 * `safe-install analyze` on the real engine, over the fixture packages in test/fixtures/analyze
 * (harmless: they read decoys and send only to `.invalid` names, which the gateway sinks): one
 * batch of all five at concurrency 2, read back from the output folder; then a rerun with --resume.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PackageAnalysis } from '@safe-install/schema';
import { packFolder } from '@safe-install/sandbox';
import { describeWithEngine, repoRoot, runCli } from './engine.js';

const fixture = (name: string) => join(repoRoot, 'test/fixtures/analyze', name);
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

await describeWithEngine('safe-install analyze', () => {
  let work: string;
  let out: string;
  let batch: Awaited<ReturnType<typeof runCli>>;
  const analyses = new Map<string, PackageAnalysis>();
  const read = async (folder: string) => JSON.parse(await readFile(join(out, folder, 'analysis.json'), 'utf8')) as PackageAnalysis;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'safe-install-analyze-e2e-'));
    out = join(work, 'out');
    // The benign package as a tarball (the other specs are folders), the batch from a --from list.
    await writeFile(join(work, 'benign.tgz'), await packFolder(fixture('benign')));
    const list = ['# fixtures', '', join(work, 'benign.tgz'), ...['import-beacon', 'install-beacon', 'delayed-beacon', 'sleeper'].map(fixture), ''].join('\n');
    await writeFile(join(work, 'specs.txt'), list);
    batch = await runCli(['analyze', '--from', join(work, 'specs.txt'), '--out', out, '--concurrency', '2', '--phase-timeout-seconds', '20', '--bins', '--fail-on', 'critical'], { env: { ...process.env } as Record<string, string> });
    for (const name of ['benign', 'import-beacon', 'install-beacon', 'delayed-beacon', 'sleeper']) {
      analyses.set(name, await read(`fixture-${name}@1.0.0`).catch(() => null as unknown as PackageAnalysis));
    }
  }, 15 * 60_000);
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('analyses every package of the batch, with progress, and exits 1 on --fail-on critical', () => {
    expect(batch.all).toMatch(/\[5\/5\]/);
    expect(batch.all).toMatch(/5 packages analysed/);
    expect([...analyses.values()].every((analysis) => analysis !== null)).toBe(true);
    expect(batch.exitCode).toBe(1);
  });

  it('a benign package: risk none, no findings, every phase completed', () => {
    const benign = analyses.get('benign')!;
    expect(benign.findings).toEqual([]);
    expect(benign.risk).toBe('none');
    expect(benign.package).toEqual({ name: 'fixture-benign', version: '1.0.0', ecosystem: 'npm' });
    expect(benign.phases.map((phase) => [phase.phase, phase.status])).toEqual([['install', 'completed'], ['import', 'completed'], ['bins', 'completed']]);
    expect(benign.phases.find((phase) => phase.phase === 'import')!.stdout).toContain('require fixture-benign: ok');
    expect(benign.phases.find((phase) => phase.phase === 'bins')!.stdout).toContain('usage: fixture-benign');
  });

  it('a payload that fires on require(): caught in the import phase, not at install', () => {
    const found = analyses.get('import-beacon')!;
    expect(found.risk).toBe('critical');
    expect(found.findings.length).toBeGreaterThan(0);
    expect(found.findings.every((finding) => finding.lifecycle === 'import')).toBe(true);
    expect(found.findings.map((finding) => finding.ruleId)).toEqual(expect.arrayContaining(['decoy-credential-read', 'decoy-exfiltration']));
    const importEvents = found.phases.find((phase) => phase.phase === 'import')!.events;
    expect(importEvents.some((event) => event.type === 'dns' && event.name === 'import-beacon.invalid')).toBe(true);
  });

  it('an install-time beacon: caught in the install phase, its sinked body and its written file kept with their hashes', async () => {
    const found = analyses.get('install-beacon')!;
    expect(found.risk).toBe('critical');
    expect(found.findings.some((finding) => finding.lifecycle === 'postinstall' && finding.ruleId === 'decoy-exfiltration')).toBe(true);
    const sink = found.artefacts.find((artefact) => artefact.kind === 'sink-request')!;
    expect(sink).toMatchObject({ phase: 'install' });
    expect(sink.description).toContain('http://install-beacon.invalid/collect');
    const body = await readFile(join(out, 'fixture-install-beacon@1.0.0', sink.path));
    expect(body.toString()).toMatch(/^install-beacon:\[default\]/);
    expect(sha256(body)).toBe(sink.sha256);
    const written = found.artefacts.find((artefact) => artefact.kind === 'written-file')!;
    expect(written.description).toContain('/tmp/inventory.txt');
    expect(sha256(await readFile(join(out, 'fixture-install-beacon@1.0.0', written.path)))).toBe(written.sha256);
    const trace = found.artefacts.find((artefact) => artefact.kind === 'trace')!;
    expect(sha256(await readFile(join(out, 'fixture-install-beacon@1.0.0', trace.path)))).toBe(trace.sha256);
  });

  it('a detached process that acts after 5 s (past ci’s 2 s grace): caught within the install phase’s window', () => {
    const found = analyses.get('delayed-beacon')!;
    expect(found.risk).toBe('critical');
    const install = found.phases.find((phase) => phase.phase === 'install')!;
    expect(install.status).toBe('completed');
    expect(install.events.some((event) => event.type === 'http' && event.host === 'delayed-beacon.invalid' && event.decision === 'sinked')).toBe(true);
    expect(found.artefacts.some((artefact) => artefact.kind === 'sink-request' && artefact.description?.includes('delayed-beacon.invalid'))).toBe(true);
  });

  it('a postinstall that never ends: its phase times out, the later phases are skipped, the batch carried on', () => {
    const found = analyses.get('sleeper')!;
    expect(found.phases.map((phase) => [phase.phase, phase.status])).toEqual([['install', 'timeout'], ['import', 'skipped'], ['bins', 'skipped']]);
  });

  it('--resume skips what is there', async () => {
    const again = await runCli(['analyze', '--from', join(work, 'specs.txt'), '--out', out, '--resume'], { env: { ...process.env } as Record<string, string> });
    expect(again.all).toMatch(/resume: 5 package\(s\) already analysed/);
    expect(again.exitCode).toBe(0);
  }, 120_000);
});
