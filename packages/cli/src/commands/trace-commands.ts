/**
 * The yargs wiring of `trace show`, `trace stats`, `trace diff` and `diff`, kept beside their
 * commands so main.ts only chains them in.
 */
import type { Argv, CommandModule } from 'yargs';
import { stderrPrinter } from '../output.js';
import { EVENT_TYPES, traceShow } from './trace-show.js';
import { traceStats } from './trace-stats.js';
import { traceDiff } from './trace-diff.js';

type SetCode = (promise: Promise<number>) => Promise<void>;
const quiet = (args: object) => stderrPrinter({ quiet: (args as { quiet?: unknown }).quiet === true });
const list = (value: unknown): string[] | undefined => (value === undefined ? undefined : (Array.isArray(value) ? value : [value]).map(String));

/** `trace show|stats|diff`, added to the `trace` command's builder. */
export function traceSubcommands<T>(y: Argv<T>, setCode: SetCode): Argv<T> {
  return y
    .command(
      'show <file>',
      'print the process tree of each package script with its file, network and DNS events (streams large traces)',
      (b) =>
        b
          .positional('file', { type: 'string', demandOption: true, describe: 'the trace file' })
          .option('package', { type: 'string', array: true, describe: 'only this package (NAME or NAME@VERSION); repeatable' })
          .option('phase', { type: 'string', array: true, describe: 'only events of this job step (install, import, …) or lifecycle (postinstall, …); repeatable' })
          .option('type', { type: 'string', array: true, describe: `only events of this type (${EVENT_TYPES.join(', ')}); repeatable` })
          .option('path', { type: 'string', array: true, describe: 'only events on paths matching GLOB (policy syntax: *, **, $HOME, $PROJECT, …, or a file name); repeatable' })
          .option('host', { type: 'string', array: true, describe: 'only network, HTTP and DNS events for HOST (policy syntax: *.example, host:443); repeatable' })
          .option('flat', { type: 'boolean', default: false, describe: 'every matching event as one line, in trace order, instead of the tree' })
          .option('limit', { type: 'number', default: 20, describe: 'event lines shown under each process in the tree (the rest are counted)' }),
      (args) =>
        setCode(
          traceShow({
            file: args.file,
            packages: list(args.package),
            phases: list(args.phase),
            types: list(args.type),
            paths: list(args.path),
            hosts: list(args.host),
            flat: args.flat,
            limit: args.limit,
            printer: quiet(args),
          }),
        ),
    )
    .command(
      'stats <file>',
      'count what a trace holds: events per type and package script, processes, hosts, DNS names, files written, duration',
      (b) =>
        b
          .positional('file', { type: 'string', demandOption: true, describe: 'the trace file' })
          .option('json', { type: 'boolean', default: false, describe: 'print the counts as JSON' })
          .option('top', { type: 'number', default: 20, describe: 'entries listed per table' }),
      (args) => setCode(traceStats({ file: args.file, json: args.json, top: args.top, printer: quiet(args) })),
    )
    .command(
      'diff <base> <head>',
      "list what HEAD's install scripts did that BASE's did not, per package and script: new processes, hosts, DNS names, files written outside the package, findings",
      (b) =>
        b
          .positional('base', { type: 'string', demandOption: true, describe: 'the trace to compare with (the earlier run)' })
          .positional('head', { type: 'string', demandOption: true, describe: 'the trace to look at (the new run)' })
          .option('markdown', { type: 'string', describe: 'also write the diff as Markdown to FILE' }),
      (args) => setCode(traceDiff({ base: args.base, head: args.head, markdown: args.markdown, printer: quiet(args) }).then((r) => r.code)),
    );
}

/** `safe-install diff --base A --head B`: the same diff, for CI (a pull-request comment). */
export function diffCommand(setCode: SetCode): CommandModule<object, { base: string; head: string; markdown: string | undefined }> {
  return {
    command: 'diff',
    describe: "in CI: report only what changed in install-time behaviour between the base branch's trace and this run's, as Markdown for a pull-request comment",
    builder: (b) =>
      b
        .option('base', { type: 'string', demandOption: true, describe: "the base branch's trace (an artifact of its `ci --trace` run)" })
        .option('head', { type: 'string', demandOption: true, describe: "this run's trace (`ci --trace FILE`)" })
        .option('markdown', { type: 'string', describe: 'write the diff as Markdown to FILE (default: append it to $GITHUB_STEP_SUMMARY when that is set)' }),
    handler: (args) =>
      setCode(
        traceDiff({
          base: args.base,
          head: args.head,
          markdown: args.markdown ?? (process.env['GITHUB_STEP_SUMMARY'] || undefined),
          appendMarkdown: args.markdown === undefined,
          printer: quiet(args),
        }).then((r) => r.code),
      ),
  };
}
