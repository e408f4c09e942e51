/**
 * A representative slice of the behaviour corpus (examples/malicious, examples/benign) through the
 * same runner as `pnpm corpus`: one style each of P1, P4, P7, P9, P14 and P23, and the esbuild and
 * husky projects. The whole corpus is `pnpm corpus` (about 5 minutes on 2 cores).
 */
import { describeWithEngine } from './engine.js';
import { formatTable, loadCorpus, runCorpus, selectCases, type CaseResult } from './corpus.js';

const SUBSET = ['p1-npmrc-node', 'p4-env-shell', 'p7-dropper-shell', 'p9-detached-node', 'p14-shellrc-shell', 'p23-stream-utils', 'esbuild', 'husky'];

await describeWithEngine('the behaviour corpus (subset)', () => {
  let results: CaseResult[] = [];

  beforeAll(async () => {
    const cases = selectCases(await loadCorpus(), SUBSET).filter((c) => SUBSET.includes(c.name));
    expect(cases.map((c) => c.name).sort()).toEqual([...SUBSET].sort());
    results = await runCorpus(cases, { concurrency: 2 });
    process.stdout.write(`${formatTable(results)}\n`);
  }, 15 * 60_000);

  it.each(SUBSET)('%s gets the expected verdict', (name) => {
    const result = results.find((r) => r.case.name === name);
    expect(result).toBeDefined();
    expect({ name, ok: result!.ok, reason: result!.reason }).toEqual({ name, ok: true, reason: '' });
  });

  it('attributes a transitive dependency\'s behaviour to that dependency, not to the package the project installed', () => {
    const result = results.find((r) => r.case.name === 'p23-stream-utils')!;
    const severe = result.findings.filter((f) => f.severity === 'high' || f.severity === 'critical');
    expect(severe.length).toBeGreaterThan(0);
    expect(new Set(severe.map((f) => f.package))).toEqual(new Set(['p23-flatmap-helper']));
  });
});
