/**
 * A real trace: `safe-install ci` of examples/webapp (esbuild's postinstall), recorded by the
 * tracer in the sandbox. Every attributed event is kept, with a sample of the package manager's.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TraceEvent } from '@safe-install/schema';
import { evaluate } from './evaluate.js';
import { learnPolicy } from './learn/learn-policy.js';
import { defaultPolicy, resolvePolicy } from './resolve-policy.js';
import { CONTEXT, DECOYS, EMPTY_POLICY, summary } from './testing/synthetic-trace.js';

const file = fileURLToPath(new URL('../src/fixtures/webapp-npm-ci.jsonl', import.meta.url));
const events = readFileSync(file, 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as TraceEvent);

describe('the examples/webapp trace', () => {
  it('without a policy: esbuild\'s postinstall is reported as info, nothing else, and the run passes', () => {
    const result = evaluate({ events, policy: defaultPolicy(), decoys: DECOYS, context: CONTEXT });
    expect(summary(result)).toEqual(['script-not-allowed:info']);
    expect(result.findings[0]).toMatchObject({ package: { name: 'esbuild', version: '0.25.12' }, lifecycle: 'postinstall', evidence: ['t22111'] });
    expect(result.verdict).toBe('pass');
  });

  it('with a policy that does not allow esbuild: fails', () => {
    expect(evaluate({ events, policy: EMPTY_POLICY(), decoys: DECOYS, context: CONTEXT }).verdict).toBe('fail');
  });

  it('learns a policy that pins esbuild\'s script and binary, and passes with it', () => {
    const learned = learnPolicy(events, null, { context: CONTEXT, decoys: DECOYS });
    expect(learned.policy.packages).toEqual({
      'esbuild@0.25.12': {
        scripts: { postinstall: 'sha256:912d4d8f507b7b392ae422a459f98da94669a742e4cc43cfe061e630ee2846fe' },
        exec: ['$PACKAGE/bin/esbuild'],
      },
    });
    const policy = resolvePolicy({ document: learned.policy }).value ?? defaultPolicy();
    expect(evaluate({ events, policy, decoys: DECOYS, context: CONTEXT }).findings).toEqual([]);
  });
});
