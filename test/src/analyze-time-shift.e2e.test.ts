/**
 * `analyze --time-shift`: a package whose postinstall acts only when it runs 7 days or more after
 * its first install (test/fixtures/analyze/time-bomb; harmless: it posts the decoy npm credentials
 * to a reserved name the gateway sinks). One install sees nothing; the install again with the clock
 * 10 days ahead catches it, in its own phase.
 */
import { join } from 'node:path';
import type { PackageAnalysis } from '@safe-install/schema';
import { describeWithEngine, repoRoot, runCli } from './engine.js';

await describeWithEngine('safe-install analyze --time-shift', () => {
  it('catches a payload that waits days, in the install with the clock moved forward', async () => {
    const batch = await runCli(['analyze', join(repoRoot, 'test/fixtures/analyze/time-bomb'), '--time-shift', '10', '--window-seconds', '2', '--format', 'json'], { env: { ...process.env } as Record<string, string> });
    expect(batch.exitCode).toBe(0);
    const analysis = JSON.parse(String(batch.stdout).trim().split('\n')[0]!) as PackageAnalysis;
    expect(analysis.phases.map((phase) => [phase.phase, phase.status])).toEqual([['install', 'completed'], ['import', 'completed'], ['install-shifted', 'completed']]);
    const phaseOf = new Map(analysis.phases.flatMap((phase) => phase.events.map((event) => [event.id, phase.phase] as const)));
    const lookups = (name: string) => analysis.phases.find((phase) => phase.phase === name)!.events.filter((event) => event.type === 'dns' && event.name === 'time-bomb.invalid');
    // The first install only noted the time; the shifted one sent the credentials.
    expect(lookups('install')).toEqual([]);
    expect(lookups('install-shifted').length).toBeGreaterThan(0);
    const exfiltration = analysis.findings.filter((finding) => finding.ruleId === 'decoy-exfiltration');
    expect(exfiltration.length).toBeGreaterThan(0);
    expect(analysis.risk).toBe('critical');
    // Its evidence is the shifted install's (the runner's events, and the gateway's in that job).
    expect(exfiltration.flatMap((finding) => finding.evidence).every((id) => phaseOf.get(id) === 'install-shifted')).toBe(true);
    // The trace keeps the real time: the shifted phase's events are not days ahead.
    const shifted = analysis.phases.find((phase) => phase.phase === 'install-shifted')!;
    expect(Math.max(...shifted.events.map((event) => event.ts))).toBeLessThan(Date.now() + 60_000);
  }, 5 * 60_000);

  it('refuses a shift it cannot honour', async () => {
    const batch = await runCli(['analyze', 'left-pad@1.3.0', '--time-shift', '90'], { env: { ...process.env } as Record<string, string> });
    expect(batch.exitCode).toBe(2);
    expect(String(batch.stderr)).toMatch(/--time-shift must be between 1 and 60/);
  });
});
