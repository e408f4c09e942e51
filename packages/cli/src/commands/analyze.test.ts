import { SafeInstallError, type PackageAnalysis } from '@safe-install/schema';
import type { PackageOutcome } from '@safe-install/core';
import { EXIT } from '../exit-codes.js';
import { analyzeExitCode } from './analyze.js';

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
