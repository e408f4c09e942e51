/**
 * `safe-install ci [dir]`: `npm ci` in the sandbox, then — only on a passing verdict — what came
 * back put in place. The run itself is the run engine's (@safe-install/core); this command maps
 * its flags in, renders the result and maps it to an exit code.
 */
import { dockerEngine, startCi, type CiOptions as RunOptions, type Logger, type SandboxEngine } from '@safe-install/core';
import { renderExport, renderFindings, renderScriptReview, renderSummary, type TerminalLine } from '@safe-install/report';
import { EXIT } from '../exit-codes.js';
import { type Printer } from '../output.js';
import { onInterrupt } from '../interrupt.js';

export interface CiOptions extends RunOptions {
  printer: Printer;
  /** The engine sandboxes run on (default: Docker). */
  engine?: SandboxEngine;
  /** The diagnostic log (--log-level, --log-file). */
  log?: Logger;
}

export function printLines(printer: Printer, lines: readonly TerminalLine[]): void {
  for (const line of lines) printer[line.level](line.text);
}

export async function ci(options: CiOptions): Promise<number> {
  const { printer, engine, log, ...runOptions } = options;
  const run = startCi(runOptions, { info: printer.info, warn: printer.warn, output: printer.sandbox }, { engine: engine ?? dockerEngine(), ...(log ? { log } : {}) });
  const release = onInterrupt(() => run.abort());
  try {
    const result = await run.result;
    printLines(printer, [
      ...renderFindings(result.findings),
      ...renderScriptReview(result.scriptReview),
      ...renderExport(result.report.export),
      renderSummary(result.report, result.lingering),
    ]);
    // An error of the run's own (timeout, trace limit, the package manager, the export) is mapped
    // to its exit code by main, like every other error.
    if (result.failure) throw result.failure;
    if (result.learned) {
      printer.info(
        result.learned.written
          ? `learned policy written to ${result.learned.target} (${result.learned.applied} change(s) applied)`
          : `learned policy: ${result.learned.target} already allows this run; not changed`,
      );
      for (const change of result.learned.proposed) printer.warn(`not applied (would widen an existing rule): ${change}`);
    }
    if (result.decision.end === 'violation') {
      printer.error(`verdict: fail — ${result.decision.failing} finding(s) at or above ${result.policy.failOn}; node_modules was not changed`);
      return EXIT.violation;
    }
    printer.info(`verdict: pass — node_modules installed in ${result.projectRoot}`);
    return EXIT.pass;
  } finally {
    release();
  }
}
