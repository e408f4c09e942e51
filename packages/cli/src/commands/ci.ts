/**
 * `safe-install ci [dir]`: `npm ci` in the sandbox, then — only on a passing verdict — what came
 * back put in place. `install`/`add` and `update` are the same command with another job (their
 * package.json and lockfile come back with node_modules). The run itself is the run engine's (@safe-install/core); this command maps
 * its flags in, renders the result (terminal, --json, SARIF, Markdown, JUnit, GitHub Actions),
 * writes the files and maps the result to an exit code.
 */
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { dockerEngine, startCi, type CiOptions as RunOptions, type CiResult, type Logger, type SandboxEngine } from '@safe-install/core';
import { RULES, atLeast } from '@safe-install/policy';
import {
  MAX_LOCKFILE_CHARS,
  count,
  renderAnnotations,
  renderExport,
  renderFindings,
  renderHtml,
  renderJunit,
  renderMarkdown,
  renderSarif,
  renderScriptReview,
  renderSummary,
  type LockfileInput,
} from '@safe-install/report';
import { EXIT } from '../exit-codes.js';
import { printLines, runObserver, type Printer } from '../output.js';
import { onInterrupt } from '../interrupt.js';
import { npmOutputKeeper } from '../npm-log.js';

export interface OutputFiles {
  /** Print the JSON report on stdout instead of the summary. */
  json?: boolean;
  sarif?: string | undefined;
  markdown?: string | undefined;
  junit?: string | undefined;
  html?: string | undefined;
}

export interface CiOptions extends RunOptions, OutputFiles {
  printer: Printer;
  /** The engine sandboxes run on (default: Docker). */
  engine?: SandboxEngine;
  /** The diagnostic log (--log-level, --log-file). */
  log?: Logger;
  /** The environment (default: process.env): GITHUB_ACTIONS, GITHUB_STEP_SUMMARY, GITHUB_WORKSPACE. */
  env?: Record<string, string | undefined>;
  /** Where --json and workflow commands go (default: stdout). */
  stdout?: Pick<NodeJS.WriteStream, 'write'>;
}

/** The lockfile as the reports point at it: its path relative to the repository (GitHub's workspace, else the current folder). */
async function lockfileInput(path: string, root: string): Promise<LockfileInput | null> {
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null) return null;
  const rel = relative(root, path);
  const uri = (rel.startsWith('..') || rel === '' ? path : rel).split(sep).join('/');
  return { uri, text: text.slice(0, MAX_LOCKFILE_CHARS) };
}

/** Everything but the terminal: the files asked for, and GitHub Actions' annotations and step summary. */
async function writeOutputs(result: CiResult, options: CiOptions, env: Record<string, string | undefined>, stdout: Pick<NodeJS.WriteStream, 'write'>): Promise<void> {
  const github = env['GITHUB_ACTIONS'] === 'true';
  const needsLockfile = options.sarif !== undefined || github;
  const lockfile = needsLockfile ? await lockfileInput(result.lockfile.path, env['GITHUB_WORKSPACE'] ?? process.cwd()) : null;
  const { report } = result;
  if (options.json) stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (options.sarif) await writeFile(options.sarif, `${JSON.stringify(renderSarif(report, RULES, lockfile), null, 2)}\n`);
  const markdown = options.markdown !== undefined || (github && env['GITHUB_STEP_SUMMARY']) ? renderMarkdown(report, RULES) : null;
  if (options.markdown && markdown) await writeFile(options.markdown, markdown);
  if (options.html) await writeFile(options.html, renderHtml({ report, events: result.events, rules: RULES }));
  if (options.junit) {
    await writeFile(options.junit, renderJunit(report, (finding) => result.policy.mode === 'block' && atLeast(finding.severity, result.policy.failOn)));
  }
  if (github) {
    // Workflow commands are read from both streams; with --json, stdout is the report's alone.
    const commands = options.json ? process.stderr : stdout;
    for (const line of renderAnnotations(report, RULES, lockfile)) commands.write(`${line}\n`);
    const summary = env['GITHUB_STEP_SUMMARY'];
    if (summary && markdown) await appendFile(summary, `${markdown}\n`);
  }
}

export async function ci(options: CiOptions): Promise<number> {
  const { printer, engine, log, env: givenEnv, stdout: givenStdout, json, sarif, markdown, junit, html, ...runOptions } = options;
  const env = givenEnv ?? process.env;
  const stdout = givenStdout ?? process.stdout;
  const npmOutput = npmOutputKeeper();
  const run = startCi(
    runOptions,
    runObserver(printer, npmOutput),
    { engine: engine ?? dockerEngine(), ...(log ? { log } : {}) },
  );
  const release = onInterrupt(() => run.abort());
  try {
    const result = await run.result.finally(() => printer.done());
    await npmOutput.close().catch((error: Error) => printer.warn(`could not keep npm's output at ${npmOutput.path}: ${error.message}`));
    if (!json) {
      printLines(printer, [
        ...renderFindings(result.findings, RULES),
        ...renderScriptReview(result.scriptReview),
        ...renderExport(result.report.export),
        ...renderSummary({ report: result.report, lockedPackages: result.lockfile.packages, lingering: result.lingering }),
      ]);
    }
    await writeOutputs(result, { ...options, json: json ?? false, sarif, markdown, junit, html }, env, stdout);
    // An error of the run's own (timeout, trace limit, the package manager, the export) is mapped
    // to its exit code by main, like every other error.
    if (result.failure) throw result.failure;
    if (result.learned) {
      printer.info(
        result.learned.written
          ? `learned policy written to ${result.learned.target} (${count(result.learned.applied, 'change')} applied)`
          : `learned policy: ${result.learned.target} already allows this run; not changed`,
      );
      for (const change of result.learned.proposed) printer.warn(`not applied (would widen an existing rule): ${change}`);
    }
    // An install job changes package.json and the lockfile too, in the same swap as node_modules.
    const changes = runOptions.job === undefined || runOptions.job.kind === 'ci' ? 'node_modules' : 'package.json, the lockfile and node_modules';
    if (result.decision.end === 'violation') {
      printer.error(`verdict: fail — ${count(result.decision.failing, 'finding')} at ${result.policy.failOn} or above; ${changes === 'node_modules' ? 'node_modules was' : `${changes} were`} not changed`);
      return EXIT.violation;
    }
    printer.plain(`safe-install: verdict: pass — ${changes === 'node_modules' ? 'node_modules installed' : `${changes} updated`} in ${result.projectRoot}`);
    return EXIT.pass;
  } finally {
    release();
  }
}
