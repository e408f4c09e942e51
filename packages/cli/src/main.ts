#!/usr/bin/env node
/**
 * The safe-install command line. Commands return an exit code; errors are printed as one line
 * (plus a hint) and mapped to the contract's exit codes here and nowhere else.
 */
import { resolve } from 'node:path';
import yargs, { type ArgumentsCamelCase, type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { isSafeInstallError } from '@safe-install/schema';
import { TOOL_VERSION } from '@safe-install/sandbox';
import { LOG_LEVELS, PM_NAMES, diagnosticLog, type LogLevel } from '@safe-install/core';
import { limitsFrom } from './limits.js';
import { ci, type CiOptions } from './commands/ci.js';
import { approve } from './commands/approve.js';
import { analyze, ANALYZE_FORMATS } from './commands/analyze.js';
import { readlinePrompter } from './prompt.js';
import { doctor } from './commands/doctor.js';
import { imageBuild, imageKey, imagePrune, imageShow, setup } from './commands/image.js';
import { traceJudge } from './commands/trace.js';
import { diffCommand, traceSubcommands } from './commands/trace-commands.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { stderrPrinter } from './output.js';
import { failClosed } from './fail-closed.js';

/** `--policy FILE`: a path on the command line is relative to the current folder, not the project. */
const policyOption = {
  type: 'string',
  describe: 'the policy to use instead of looking in the project: a .yaml/.yml/.json policy file, or a package.json with a "safeInstall" key',
  coerce: (file: string) => resolve(file),
} as const;

/** The flags of a run in the sandbox (`ci`, `install`, `update`): outputs, limits, policy. */
function runFlags<T>(y: Argv<T>) {
  return y
    .option('report', { type: 'string', describe: 'write the JSON report to FILE (schema: packages/schema/schema/report.v1.schema.json)' })
    .option('json', { type: 'boolean', default: false, describe: 'print the JSON report on stdout instead of the summary' })
    .option('sarif', { type: 'string', describe: 'write SARIF 2.1.0 to FILE (code scanning; results point at the lockfile)' })
    .option('markdown', { type: 'string', describe: 'write a Markdown summary to FILE (pull-request comments, other CI systems)' })
    .option('junit', { type: 'string', describe: 'write JUnit XML to FILE (one test case per package)' })
    .option('html', { type: 'string', describe: 'write the HTML report to FILE (one self-contained page: findings, process tree, timeline)' })
    .option('trace', { type: 'string', describe: 'write the trace (JSON Lines) to FILE' })
    .option('timeout', { type: 'number', default: 1800, describe: 'seconds the whole install may take' })
    .option('memory', { type: 'string', describe: 'memory limit of the sandbox, e.g. 4g or 512m (default 6g)' })
    .option('pids', { type: 'number', describe: 'process limit of the sandbox (default 2048)' })
    .option('cpus', { type: 'number', describe: 'CPUs the sandbox may use (default 2)' })
    .option('disk', { type: 'string', describe: 'size of the writable HOME (project, node_modules, caches), e.g. 4g' })
    .option('linger-grace', { type: 'number', default: 2, describe: 'seconds a process may outlive its script before it is killed' })
    .option('mode', { choices: ['block', 'audit'] as const, describe: 'block: fail on findings (default); audit: report only' })
    .option('fail-on', { choices: ['info', 'low', 'medium', 'high', 'critical'] as const, describe: 'lowest severity that fails the run in block mode' })
    .option('policy', policyOption)
    .option('write-policy', { type: 'boolean', default: false, describe: 'write the least-privilege policy that passes this run (learn mode)' })
    .option('pm', { choices: PM_NAMES, describe: 'the package manager to use (default: the one whose lockfile the project has)' });
}

/** `install` and `update`: the package specs, the project folder, and every flag of a run. */
function lockfileFlags<T>(y: Argv<T>, specs: string) {
  return runFlags(
    y
      .positional('packages', { type: 'string', array: true, default: [] as string[], describe: specs })
      .option('dir', { type: 'string', default: '.', describe: 'project folder (package.json + package-lock.json)' }),
  );
}

type GlobalArgs = { base: string | undefined; quiet: boolean; logLevel: LogLevel | undefined; logFile: string | undefined };
type RunArgs = ArgumentsCamelCase<ReturnType<typeof runFlags<GlobalArgs>> extends Argv<infer A> ? A : never>;

function runOptions(args: RunArgs, dir: string): CiOptions {
  return {
    dir,
    pm: args.pm,
    report: args.report,
    json: args.json,
    sarif: args.sarif,
    markdown: args.markdown,
    junit: args.junit,
    html: args.html,
    trace: args.trace,
    base: args.base,
    timeoutSeconds: args.timeout,
    limits: limitsFrom(args),
    lingerGraceMs: Math.round(args.lingerGrace * 1000),
    mode: args.mode,
    failOn: args.failOn,
    policy: args.policy,
    writePolicy: args.writePolicy,
    log: diagnosticLog({ level: args.logLevel, file: args.logFile }),
    printer: stderrPrinter({ quiet: args.quiet }),
  };
}

async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.pass;
  const setCode = (promise: Promise<number>) => promise.then((value) => void (code = value));
  await yargs(argv)
    .scriptName('safe-install')
    .version(TOOL_VERSION)
    .strict()
    .option('base', { type: 'string', describe: 'base image of the sandbox image (default: safe-install-base:latest)' })
    .option('quiet', { type: 'boolean', default: false, describe: 'print only warnings, errors and the verdict' })
    .option('log-level', { choices: LOG_LEVELS, describe: 'diagnostic log level (JSON lines; default info when --log-file is given, else off)' })
    .option('log-file', { type: 'string', describe: 'append the diagnostic log to FILE (default: stderr, when --log-level is given)' })
    .command(
      'ci [dir]',
      "the project's frozen install (npm ci, pnpm install --frozen-lockfile) inside the sandbox; node_modules is installed only on a passing verdict",
      (y) => runFlags(y.positional('dir', { type: 'string', default: '.', describe: 'project folder (package.json + its lockfile)' })),
      (args) => setCode(ci(runOptions(args, args.dir))),
    )
    .command(
      ['install [packages..]', 'add'],
      'npm install <packages> (pnpm: pnpm add; Yarn: yarn add; Bun: bun add) inside the sandbox (none: the current package.json); package.json, the lockfile and node_modules change together, only on a passing verdict',
      (y) => lockfileFlags(y, 'package specs as npm takes them (name, name@range, ./local.tgz inside the project)'),
      (args) => setCode(ci({ ...runOptions(args, args.dir), job: { kind: 'add', packages: args.packages.map(String) } })),
    )
    .command(
      'update [packages..]',
      'npm update / pnpm update / yarn up (Yarn 1: yarn upgrade) / bun update <packages> inside the sandbox (none: every dependency; Yarn Berry needs names); package.json, the lockfile and node_modules change together, only on a passing verdict',
      (y) => lockfileFlags(y, 'names of the dependencies to update'),
      (args) => setCode(ci({ ...runOptions(args, args.dir), job: { kind: 'update', packages: args.packages.map(String) } })),
    )
    .command(
      'analyze [specs..]',
      'dynamic analysis of packages: each installed (every script allowed), imported and optionally its bins run, in a fresh sandbox; behaviour, findings and a risk level',
      (y) =>
        y
          .positional('specs', { type: 'string', array: true, default: [] as string[], describe: 'name, name@version, a .tgz file, or a folder (./dir or /dir)' })
          .option('from', { type: 'string', describe: 'read specs from FILE, one a line (# comments, empty lines skipped)' })
          .option('out', { type: 'string', describe: 'write each analysis to DIR/<name>@<version>/ (analysis.json, trace.jsonl, sink/, written/)' })
          .option('concurrency', { type: 'number', default: 1, describe: 'packages analysed at once (each in its own sandbox)' })
          .option('timeout-seconds', { type: 'number', default: 600, describe: 'seconds one package may take, all phases' })
          .option('phase-timeout-seconds', { type: 'number', default: 180, describe: 'seconds the install (and, after it, the import) may take' })
          .option('window-seconds', { type: 'number', default: 10, describe: 'seconds each phase keeps watching what its command left running (ci: 2)' })
          .option('bins', { type: 'boolean', default: false, describe: "also run each of the package's bins with --help" })
          .option('bin-timeout-seconds', { type: 'number', default: 10, describe: 'seconds each bin may take' })
          .option('resume', { type: 'boolean', default: false, describe: 'skip specs whose analysis.json is in --out already' })
          .option('fail-on', { choices: ['info', 'low', 'medium', 'high', 'critical'] as const, describe: "exit 1 when a package's risk is at or above this (default: findings never fail)" })
          .option('format', { choices: ANALYZE_FORMATS, default: 'terminal' as const, describe: "terminal: a summary per package; json: each analysis as one JSON line on stdout; ossf: each as OpenSSF package-analysis' dynamic-analysis record, one JSON line" })
          .option('time-shift', { type: 'number', describe: 'after the other phases, install again with the wall clock DAYS ahead (1 to 60): payloads that wait for a date act then' })
          .option('docker-host', { type: 'string', array: true, describe: 'run sandboxes on this engine (as DOCKER_HOST takes it: unix://, tcp://, ssh://); give it several times to spread the batch, --concurrency on each' })
          .option('emit-k8s', { type: 'string', describe: 'write the batch as a Kubernetes Indexed Job to FILE (analyse nothing here; docs/scaling.md)' })
          .option('image', { type: 'string', describe: 'with --emit-k8s: the image holding the safe-install CLI' })
          .option('results-claim', { type: 'string', default: 'safe-install-analyze-results', describe: 'with --emit-k8s: the PersistentVolumeClaim results are written to' })
          .option('parallelism', { type: 'number', default: 10, describe: 'with --emit-k8s: pods at once' })
          .option('shard-size', { type: 'number', default: 50, describe: 'with --emit-k8s: packages per pod' })
          .option('memory', { type: 'string', describe: 'memory limit of each sandbox, e.g. 2g' })
          .option('pids', { type: 'number', describe: 'process limit of each sandbox' })
          .option('cpus', { type: 'number', describe: 'CPUs each sandbox may use' })
          .option('disk', { type: 'string', describe: 'size of each sandbox\'s writable HOME, e.g. 2g' }),
      (args) =>
        setCode(
          analyze({
            specs: args.specs,
            from: args.from,
            out: args.out,
            concurrency: args.concurrency,
            timeoutSeconds: args.timeoutSeconds,
            phaseTimeoutSeconds: args.phaseTimeoutSeconds,
            windowSeconds: args.windowSeconds,
            bins: args.bins,
            binTimeoutSeconds: args.binTimeoutSeconds,
            resume: args.resume,
            failOn: args.failOn,
            format: args.format,
            dockerHosts: args.dockerHost ?? [],
            ...(args.timeShift !== undefined ? { timeShiftDays: args.timeShift } : {}),
            ...(args.emitK8s !== undefined ? { emitK8s: { file: args.emitK8s, image: args.image, resultsClaim: args.resultsClaim, parallelism: args.parallelism, shardSize: args.shardSize } } : {}),
            base: args.base,
            limits: limitsFrom(args),
            printer: stderrPrinter({ quiet: args.quiet }),
          }),
        ),
    )
    .command(
      'approve [dir]',
      "run the install scripts allowScripts (pnpm: allowBuilds; Yarn: dependenciesMeta; Bun: trustedDependencies) does not cover yet in the sandbox, show what each package's did, and write the decision (approve / deny / skip) into package.json allowScripts (pnpm: pnpm-workspace.yaml allowBuilds; Yarn Berry: package.json dependenciesMeta and yarn.lock; Yarn 1, which has no build gate: nothing of Yarn's; Bun: package.json trustedDependencies, by name) and the policy",
      (y) =>
        y
          .positional('dir', { type: 'string', default: '.', describe: 'project folder (package.json + package-lock.json)' })
          .option('yes-if-clean', { type: 'boolean', default: false, describe: 'approve only the packages with no finding, without asking; leave the others unlisted (exit 1 if any has findings)' })
          .option('trace', { type: 'string', describe: 'write the trace of the sandbox run (JSON Lines) to FILE' })
          .option('report', { type: 'string', describe: 'write the JSON report of the sandbox run to FILE' })
          .option('timeout', { type: 'number', default: 1800, describe: 'seconds the whole install may take' })
          .option('policy', policyOption),
      (args) => {
        // Never a prompt without a terminal: with no TTY, only --yes-if-clean decides.
        const tty = process.stdin.isTTY === true && process.stderr.isTTY === true;
        return setCode(
          approve({
            dir: args.dir,
            yesIfClean: args.yesIfClean,
            trace: args.trace,
            report: args.report,
            base: args.base,
            timeoutSeconds: args.timeout,
            policy: args.policy,
            prompter: tty && !args.yesIfClean ? readlinePrompter(process.stdin, process.stderr) : null,
            log: diagnosticLog({ level: args.logLevel, file: args.logFile }),
            printer: stderrPrinter({ quiet: args.quiet }),
          }),
        );
      },
    )
    .command('policy', 'policy tools', (y) =>
      y
        .command(
          'learn [dir]',
          'install in audit mode and write the least-privilege policy that passes into the project\'s policy (a new safe-install.config.yaml when it has none); re-learning never silently widens a rule',
          (b) =>
            b
              .positional('dir', { type: 'string', default: '.', describe: 'project folder (package.json + package-lock.json)' })
              .option('timeout', { type: 'number', default: 1800 })
              .option('policy', policyOption),
          (args) =>
            setCode(
              ci({
                dir: args.dir,
                base: args.base as string | undefined,
                timeoutSeconds: args.timeout,
                mode: 'audit',
                policy: args.policy,
                writePolicy: true,
                log: diagnosticLog({ level: args.logLevel as LogLevel | undefined, file: args.logFile as string | undefined }),
                printer: stderrPrinter({ quiet: args.quiet as boolean }),
              }),
            ),
        )
        .demandCommand(1),
    )
    .command('trace', 'work with saved traces (the file `ci --trace FILE` writes)', (y) =>
      traceSubcommands(y, setCode)
        .command(
          'judge <file>',
          "judge a saved trace again, offline: the run's findings, or those a new policy would give",
          (b) =>
            b
              .positional('file', { type: 'string', demandOption: true, describe: 'the trace file' })
              .option('policy', { type: 'string', describe: "judge by this policy file instead of the run's" })
              .option('report', { type: 'string', describe: 'write the JSON report to FILE' })
              .option('html', { type: 'string', describe: 'write the HTML report to FILE' })
              .option('mode', { choices: ['block', 'audit'] as const, describe: "block: fail on findings; audit: report only (default: the policy's)" })
              .option('fail-on', { choices: ['info', 'low', 'medium', 'high', 'critical'] as const, describe: "lowest severity that fails in block mode (default: the policy's)" }),
          (args) =>
            setCode(
              traceJudge({ file: args.file, policy: args.policy, report: args.report, html: args.html, mode: args.mode, failOn: args.failOn, printer: stderrPrinter({ quiet: args.quiet as boolean }) }),
            ),
        )
        .command(
          'report <file>',
          'render a saved trace as the HTML report (findings linked to evidence, process tree, timeline), offline',
          (b) =>
            b
              .positional('file', { type: 'string', demandOption: true, describe: 'the trace file' })
              .option('html', { type: 'string', describe: 'where to write the page (default: FILE with .html)' })
              .option('policy', { type: 'string', describe: "judge by this policy file instead of the run's" }),
          (args) =>
            setCode(
              traceJudge({
                file: args.file,
                policy: args.policy,
                html: args.html ?? `${args.file.replace(/\.jsonl?$/, '')}.html`,
                verdictExit: false,
                printer: stderrPrinter({ quiet: args.quiet as boolean }),
              }),
            ),
        )
        .demandCommand(1),
    )
    .command(diffCommand(setCode))
    .command(
      'doctor',
      'check the Docker engine, the sandbox image, tracing in a container and npm settings',
      (y) => y.option('json', { type: 'boolean', default: false }).option('dir', { type: 'string', default: '.' }),
      (args) => setCode(doctor({ base: args.base, dir: args.dir, json: args.json })),
    )
    .command(
      'setup',
      'build what a run needs: the base image (official Node image from a registry, else debootstrap; reused when present) and the sandbox image',
      (y) =>
        y
          .option('base-from', { choices: ['auto', 'registry', 'debootstrap'] as const, default: 'auto' as const, describe: 'where the base comes from; auto: a registry when one is reachable' })
          .option('refresh-base', { type: 'boolean', default: false, describe: 'rebuild or re-pull the default base even when it is present' })
          .option('verbose', { type: 'boolean', default: false }),
      (args) =>
        setCode(setup({ base: args.base, baseFrom: args.baseFrom, refreshBase: args.refreshBase, verbose: args.verbose, printer: stderrPrinter({ quiet: args.quiet }) })),
    )
    .command('image', 'build, show or prune the sandbox image', (y) =>
      y
        .command('build', 'build the sandbox image unless it is up to date', (b) => b.option('verbose', { type: 'boolean', default: false }), (args) =>
          setCode(imageBuild({ base: args.base, verbose: args.verbose, printer: stderrPrinter({ quiet: args.quiet }) })),
        )
        .command('show', 'print the tag the current code needs and whether it is built', {}, (args) => setCode(imageShow({ base: args.base as string | undefined })))
        .command('key', 'print a cache key for the built images (CI caches: changes when the image would)', {}, () => setCode(imageKey()))
        .command(
          'prune',
          'remove the sandbox images this version no longer needs (only safe-install\'s labelled ones)',
          (b) => b.option('dry-run', { type: 'boolean', default: false, describe: 'list what would be removed; remove nothing' }),
          (args) => setCode(imagePrune({ base: args.base as string | undefined, dryRun: args.dryRun, printer: stderrPrinter({ quiet: args.quiet as boolean }) })),
        )
        .demandCommand(1),
    )
    .demandCommand(1)
    .fail((message, error) => {
      if (error) throw error;
      throw Object.assign(new Error(message), { usage: true });
    })
    .parseAsync();
  return code;
}

const verdictReached = failClosed();

main(hideBin(process.argv)).then(
  (code) => {
    verdictReached();
    process.exitCode = code;
  },
  (error: unknown) => {
    verdictReached();
    const printer = stderrPrinter();
    if ((error as { usage?: boolean }).usage) {
      printer.error((error as Error).message, 'see `safe-install --help`');
      process.exitCode = EXIT.usage;
      return;
    }
    if (isSafeInstallError(error)) printer.error(error.message, error.hint);
    else printer.error(`unexpected failure: ${(error as Error)?.stack ?? String(error)}`);
    process.exitCode = exitCodeFor(error);
  },
);
