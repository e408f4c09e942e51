/**
 * action.yml, validated without a runner: against a JSON Schema of GitHub's metadata syntax for a
 * composite action (no `actionlint` in npm or Debian, and actionlint checks workflows, not action
 * metadata), then for what a schema cannot say: every `inputs.*` and `steps.*` it reads exists and
 * comes earlier, no `${{ }}` is spliced into a shell script (an input is text, not shell), every
 * script a step runs exists and parses, every expression is one scripts/run-action-locally.mjs
 * evaluates, and every `uses:` is pinned. Each check is also run on a broken copy, so it can fail.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { repoRoot } from './engine.js';

interface Step {
  id?: string;
  name?: string;
  if?: string;
  run?: string;
  shell?: string;
  uses?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}
interface Action {
  inputs: Record<string, { description: string; default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}

const runner = (await import(join(repoRoot, 'scripts/run-action-locally.mjs'))) as {
  loadAction(path?: string): Action;
  evaluate(expression: string, context: unknown): unknown;
};

const name = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_-]*$' };
/** GitHub's "Metadata syntax for GitHub Actions", the composite case. */
const schema = {
  type: 'object',
  required: ['name', 'description', 'runs'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1 },
    description: { type: 'string', minLength: 1 },
    author: { type: 'string' },
    branding: {
      type: 'object',
      additionalProperties: false,
      properties: { icon: { type: 'string' }, color: { enum: ['white', 'black', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark'] } },
    },
    inputs: {
      type: 'object',
      propertyNames: name,
      additionalProperties: {
        type: 'object',
        required: ['description'],
        additionalProperties: false,
        properties: { description: { type: 'string' }, required: { type: 'boolean' }, default: { type: 'string' }, deprecationMessage: { type: 'string' } },
      },
    },
    outputs: {
      type: 'object',
      propertyNames: name,
      additionalProperties: { type: 'object', required: ['description', 'value'], additionalProperties: false, properties: { description: { type: 'string' }, value: { type: 'string' } } },
    },
    runs: {
      type: 'object',
      required: ['using', 'steps'],
      additionalProperties: false,
      properties: {
        using: { const: 'composite' },
        steps: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            additionalProperties: false,
            properties: {
              id: name,
              name: { type: 'string' },
              if: { type: 'string' },
              run: { type: 'string' },
              shell: { enum: ['bash', 'sh', 'pwsh', 'python', 'cmd', 'powershell'] },
              uses: { type: 'string' },
              with: { type: 'object', additionalProperties: { type: 'string' } },
              env: { type: 'object', additionalProperties: { type: 'string' } },
              'working-directory': { type: 'string' },
              'continue-on-error': { type: ['boolean', 'string'] },
            },
            oneOf: [
              { required: ['run', 'shell'], not: { required: ['uses'] } },
              { required: ['uses'], not: { anyOf: [{ required: ['run'] }, { required: ['shell'] }] } },
            ],
          },
        },
      },
    },
  },
};

const validate = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true }).compile(schema);

const EXPRESSION = /\$\{\{(.*?)\}\}/g;
const expressionsIn = (text: string) => [...text.matchAll(EXPRESSION)].map((match) => match[1]!.trim());

/** What the schema cannot say; returns one line per problem. */
function problems(action: Action): string[] {
  const out: string[] = [];
  const inputs = new Set(Object.keys(action.inputs ?? {}));
  const seen = new Set<string>();
  const allIds = new Set(action.runs.steps.map((step) => step.id).filter(Boolean));
  const check = (where: string, expression: string, earlier: Set<string>) => {
    for (const [, input] of expression.matchAll(/\binputs\.([\w-]+)/g)) if (!inputs.has(input!)) out.push(`${where}: unknown input ${input}`);
    for (const [, id] of expression.matchAll(/\bsteps\.([\w-]+)\./g)) if (!earlier.has(id!)) out.push(`${where}: step ${id} is not an earlier step`);
    try {
      runner.evaluate(expression, { inputs: {}, steps: {}, github: {}, runner: {}, env: {}, status: () => true });
    } catch (error) {
      out.push(`${where}: ${(error as Error).message}`);
    }
  };
  for (const [index, step] of action.runs.steps.entries()) {
    const where = `step ${step.id ?? index}`;
    if (step.if) check(`${where} if`, step.if.replace(/^\$\{\{|\}\}$/g, '').trim(), seen);
    for (const [key, value] of Object.entries({ ...step.env, ...step.with })) for (const expression of expressionsIn(value)) check(`${where} ${key}`, expression, seen);
    if (step.run !== undefined) {
      if (EXPRESSION.test(step.run)) out.push(`${where}: \${{ }} inside run: pass it through env:`);
      EXPRESSION.lastIndex = 0;
      for (const [, script] of step.run.matchAll(/\$SI_SOURCE\/([\w./-]+\.sh)/g)) {
        if (!existsSync(join(repoRoot, script!))) out.push(`${where}: ${script} does not exist`);
      }
    }
    if (step.uses && !/^[\w-]+\/[\w./-]+@v\d+$/.test(step.uses)) out.push(`${where}: ${step.uses} is not pinned to a major version`);
    if (step.id) seen.add(step.id);
  }
  for (const [output, spec] of Object.entries(action.outputs ?? {})) for (const expression of expressionsIn(spec.value)) check(`output ${output}`, expression, allIds as Set<string>);
  return out;
}

describe('action.yml', () => {
  const action = runner.loadAction();

  it('matches the metadata syntax of a composite action', () => {
    expect(validate(action) ? [] : validate.errors).toEqual([]);
  });

  it('reads only declared inputs and earlier steps, never splices an expression into shell, runs scripts that exist', () => {
    expect(problems(action)).toEqual([]);
  });

  it('its scripts parse (bash -n)', () => {
    for (const script of ['install.sh', 'setup.sh', 'ci.sh']) execFileSync('bash', ['-n', join(repoRoot, 'scripts/action', script)]);
  });

  it('passes mode, fail-on, policy and the SARIF file to safe-install ci, and uploads the SARIF', () => {
    expect(Object.keys(action.inputs)).toEqual(expect.arrayContaining(['mode', 'fail-on', 'policy', 'sarif', 'working-directory', 'version', 'cache']));
    const ci = action.runs.steps.find((step) => step.id === 'ci')!;
    expect(Object.values(ci.env ?? {})).toEqual(expect.arrayContaining(['${{ inputs.mode }}', '${{ inputs.policy }}', '${{ inputs.sarif }}']));
    const upload = action.runs.steps.find((step) => step.uses?.startsWith('github/codeql-action/upload-sarif@'));
    expect(upload?.with?.['sarif_file']).toBe('${{ steps.ci.outputs.sarif }}');
    expect(action.runs.steps.find((step) => step.uses?.startsWith('actions/cache@'))?.with?.['key']).toBe('${{ steps.install.outputs.cache-key }}');
  });

  describe('the checks fail on a broken copy', () => {
    const broken = (change: (copy: Action) => void): Action => {
      const copy = structuredClone(action);
      change(copy);
      return copy;
    };
    it('schema: a run step without a shell, a second runtime, an unknown key', () => {
      expect(validate(broken((a) => delete a.runs.steps[0]!.shell))).toBe(false);
      expect(validate(broken((a) => (a.runs.using = 'node20')))).toBe(false);
      expect(validate(broken((a) => Object.assign(a.runs.steps[0]!, { uses: 'actions/cache@v4' })))).toBe(false);
      expect(validate(broken((a) => Object.assign(a, { input: {} })))).toBe(false);
    });
    it('semantics: an input spliced into run, an unknown input, a later step, an unpinned action, a missing script', () => {
      expect(problems(broken((a) => (a.runs.steps[0]!.run = 'echo ${{ inputs.mode }}')))).toEqual([expect.stringMatching(/inside run/)]);
      expect(problems(broken((a) => (a.runs.steps[0]!.env = { X: '${{ inputs.nope }}' })))).toEqual([expect.stringMatching(/unknown input nope/)]);
      expect(problems(broken((a) => (a.runs.steps[0]!.env = { X: '${{ steps.ci.outputs.sarif }}' })))).toEqual([expect.stringMatching(/not an earlier step/)]);
      expect(problems(broken((a) => (a.runs.steps.find((s) => s.uses)!.uses = 'actions/cache@main')))).toEqual([expect.stringMatching(/not pinned/)]);
      expect(problems(broken((a) => (a.runs.steps[0]!.run = 'bash "$SI_SOURCE/scripts/action/gone.sh"')))).toEqual([expect.stringMatching(/does not exist/)]);
      expect(problems(broken((a) => (a.runs.steps[1]!.if = 'contains(inputs.mode, 1)')))).toEqual([expect.stringMatching(/unsupported/)]);
    });
  });
});
