#!/usr/bin/env node
/**
 * Run action.yml's steps here, as a GitHub runner would run the composite action: the Actions
 * environment (GITHUB_ACTIONS, GITHUB_WORKSPACE, GITHUB_ACTION_PATH, RUNNER_TEMP, GITHUB_OUTPUT,
 * GITHUB_PATH, GITHUB_ENV, GITHUB_STEP_SUMMARY) set, inputs defaulted from the metadata, `env:` and
 * `if:` evaluated, each step's outputs read back. `uses:` steps (actions/cache, the SARIF upload)
 * are GitHub's own and are skipped, so the cache always misses.
 *
 *   node scripts/run-action-locally.mjs [--workspace DIR] [--input name=value ...] [--keep]
 *
 * The action's source is a copy of the repository's tracked files (git ls-files), so the run uses
 * nothing of the checkout; `npm install -g` goes to a prefix in the temp folder. Exits with the
 * action's result (the failing step's code) and prints the outputs as JSON on the last line.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { parse } = createRequire(join(repo, 'packages/policy/package.json'))('yaml');

/** The expressions action.yml uses: contexts, '...' literals, ==, !=, &&, always(). Anything else is an error. */
export function evaluate(expression, context) {
  const tokens = expression.match(/'(?:[^']|'')*'|==|!=|&&|\|\||\(|\)|[A-Za-z_][\w.-]*(?:\(\))?|\S/g) ?? [];
  let at = 0;
  const value = () => {
    const token = tokens[at++];
    if (token === undefined) throw new Error(`unexpected end of ${expression}`);
    if (token.startsWith("'")) return token.slice(1, -1).replace(/''/g, "'");
    if (token === 'always()' || token === 'success()' || token === 'failure()') return context.status(token.slice(0, -2));
    if (token === 'true' || token === 'false') return token === 'true';
    if (!/^(inputs|github|runner|steps|env)\./.test(token)) throw new Error(`unsupported expression ${token} in ${expression}`);
    let node = context;
    for (const part of token.split('.')) node = node?.[part];
    return node ?? '';
  };
  const comparison = () => {
    const left = value();
    const op = tokens[at];
    if (op !== '==' && op !== '!=') return left;
    at++;
    const right = value();
    return op === '==' ? String(left) === String(right) : String(left) !== String(right);
  };
  let result = comparison();
  while (tokens[at] === '&&') {
    at++;
    const next = comparison();
    result = Boolean(result) && Boolean(next);
  }
  if (at !== tokens.length) throw new Error(`unsupported expression ${expression}`);
  return result;
}

/** action.yml, parsed. */
export function loadAction(path = join(repo, 'action.yml')) {
  return parse(readFileSync(path, 'utf8'));
}

export function interpolate(text, context) {
  return String(text).replace(/\$\{\{(.*?)\}\}/g, (_, expression) => String(evaluate(expression.trim(), context)));
}

/** GITHUB_OUTPUT / GITHUB_ENV files: `name=value` lines and `name<<DELIM` heredocs. */
export function parseCommandFile(text) {
  const out = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^=]+)<<(.+)$/.exec(lines[i]);
    if (heredoc) {
      const body = [];
      while (++i < lines.length && lines[i] !== heredoc[2]) body.push(lines[i]);
      out[heredoc[1]] = body.join('\n');
    } else if (lines[i].includes('=')) {
      out[lines[i].slice(0, lines[i].indexOf('='))] = lines[i].slice(lines[i].indexOf('=') + 1);
    }
  }
  return out;
}

function main(argv) {
  const inputsGiven = {};
  let workspace = process.cwd();
  let keep = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--workspace') workspace = resolve(argv[++i]);
    else if (argv[i] === '--input') {
      const [name, ...rest] = argv[++i].split('=');
      inputsGiven[name] = rest.join('=');
    } else if (argv[i] === '--keep') keep = true;
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  const action = loadAction();
  const inputs = {};
  for (const [name, spec] of Object.entries(action.inputs ?? {})) inputs[name] = inputsGiven[name] ?? String(spec.default ?? '');
  for (const name of Object.keys(inputsGiven)) if (!(name in inputs)) throw new Error(`action.yml has no input ${name}`);
  // Caching needs GitHub's cache service; locally every run is a miss, and saving the images is waste.
  if (!('cache' in inputsGiven)) inputs.cache = 'false';

  const temp = mkdtempSync(join(tmpdir(), 'safe-install-action-'));
  const source = join(temp, 'action');
  mkdirSync(source);
  for (const file of execFileSync('git', ['ls-files', '-z'], { cwd: repo, encoding: 'utf8' }).split('\0').filter(Boolean)) {
    mkdirSync(dirname(join(source, file)), { recursive: true });
    cpSync(join(repo, file), join(source, file), { verbatimSymlinks: true });
  }
  const runnerTemp = join(temp, 'runner-temp');
  mkdirSync(runnerTemp);
  const files = { path: join(temp, 'github_path'), env: join(temp, 'github_env'), summary: join(temp, 'step_summary') };
  for (const file of Object.values(files)) writeFileSync(file, '');

  const basePath = (process.env.PATH ?? '').split(':').filter((dir) => !dir.startsWith(repo));
  const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(npm_|PNPM_|INIT_CWD$|GITHUB_|RUNNER_)/i.test(name)));
  Object.assign(baseEnv, {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_ACTION_PATH: source,
    GITHUB_PATH: files.path,
    GITHUB_ENV: files.env,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_REPOSITORY: 'local/run',
    GITHUB_SHA: '0'.repeat(40),
    GITHUB_REF: 'refs/heads/local',
    GITHUB_RUN_ID: '1',
    GITHUB_EVENT_NAME: 'push',
    RUNNER_OS: 'Linux',
    RUNNER_TEMP: runnerTemp,
    // A user's global prefix: npm install -g lands here, not in this machine's.
    npm_config_prefix: join(temp, 'npm-global'),
  });

  const steps = {};
  let failed = null;
  const context = {
    inputs,
    github: { action_path: source, workspace },
    runner: { temp: runnerTemp, os: 'Linux' },
    steps,
    env: baseEnv,
    status: (kind) => (kind === 'always' ? true : kind === 'failure' ? failed !== null : failed === null),
  };
  for (const [index, step] of action.runs.steps.entries()) {
    const id = step.id ?? `step${index}`;
    steps[id] = { outputs: {}, outcome: 'skipped' };
    // As on GitHub: a condition without a status function is `success() && (condition)`.
    const condition = String(step.if ?? 'true').replace(/^\$\{\{|\}\}$/g, '').trim();
    const runs = Boolean(evaluate(/\b(always|failure|success)\(\)/.test(condition) ? condition : `success() && ${condition}`, context));
    process.stderr.write(`\n::group::${step.name ?? id}${runs ? '' : ' (skipped: condition)'}\n`);
    if (!runs) continue;
    if (step.uses) {
      process.stderr.write(`skipped: ${step.uses} is GitHub's own action\n`);
      continue;
    }
    const outputFile = join(temp, `output-${id}`);
    writeFileSync(outputFile, '');
    const env = { ...baseEnv, ...parseCommandFile(readFileSync(files.env, 'utf8')), GITHUB_OUTPUT: outputFile };
    env.PATH = [...readFileSync(files.path, 'utf8').split('\n').filter(Boolean).reverse(), ...basePath].join(':');
    for (const [name, value] of Object.entries(step.env ?? {})) env[name] = interpolate(value, context);
    const result = spawnSync(step.shell === 'bash' ? 'bash' : step.shell, ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run], {
      cwd: workspace,
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    steps[id] = { outputs: parseCommandFile(readFileSync(outputFile, 'utf8')), outcome: result.status === 0 ? 'success' : 'failure' };
    process.stderr.write(`::endgroup:: ${steps[id].outcome} (exit ${result.status})\n`);
    if (result.status !== 0 && failed === null) failed = result.status ?? 1;
  }
  const outputs = Object.fromEntries(Object.entries(action.outputs ?? {}).map(([name, spec]) => [name, interpolate(spec.value, context)]));
  const summary = readFileSync(files.summary, 'utf8');
  if (summary) process.stderr.write(`\n--- step summary ---\n${summary}\n`);
  if (keep) process.stderr.write(`kept ${temp}\n`);
  else rmSync(temp, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify({ outputs, steps: Object.fromEntries(Object.entries(steps).map(([id, s]) => [id, s.outcome])) })}\n`);
  return failed ?? 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
