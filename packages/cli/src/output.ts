/**
 * Everything the CLI prints goes through here. Strings that came from the sandbox (package names,
 * paths, command lines, npm's output) are untrusted: control characters could rewrite the
 * terminal or forge GitHub workflow commands, so they are escaped before printing.
 */

import { sanitizeText } from '@safe-install/schema';
import { initialProgress, nextProgress, progressLine, worthALine, type ProgressSignal, type ProgressState, type TerminalLine } from '@safe-install/report';
import type { RunObserver } from '@safe-install/core';

/** Make an untrusted string safe to print on one line (the one sanitizer: see @safe-install/schema). */
export function sanitize(text: string, maxLength = 2000): string {
  return sanitizeText(text, maxLength);
}

/** Like sanitize, but keeps it to one line of npm output: escape sequences for colour are dropped. */
export function sanitizeOutputLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return sanitize(text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, ''));
}

/** Lines the report's terminal renderer made, each at its level. */
export function printLines(printer: Printer, lines: readonly TerminalLine[]): void {
  for (const line of lines) printer[line.level](line.text);
}

export interface Printer {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, hint?: string): void;
  /** A line of the result block (findings, summary): printed as is, also with --quiet. */
  plain(message: string): void;
  /** A line of the package manager's output from inside the sandbox. */
  sandbox(line: string): void;
  /** Progress of a run (phase, scripts): a live line on a TTY, plain lines otherwise. */
  progress(signal: ProgressSignal): void;
  /** Stop the live line (the run ended). */
  done(): void;
}

export interface PrinterOptions {
  quiet?: boolean;
  /** Where lines go (default: stderr; stdout stays free for --json). */
  stream?: Pick<NodeJS.WriteStream, 'write'> & { isTTY?: boolean };
  /** The environment (default: process.env): `CI` set means plain lines even on a TTY. */
  env?: Record<string, string | undefined>;
  now?: () => number;
}

/** A live status line only on a terminal that is not CI's: a log file gets one line per change. */
export function wantsLiveProgress(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  return stream.isTTY === true && !env['CI'];
}

export function stderrPrinter(options: PrinterOptions = {}): Printer {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  const live = wantsLiveProgress(stream, options.env ?? process.env);
  const started = now();
  let state: ProgressState = initialProgress;
  let shown = false;
  let timer: NodeJS.Timeout | null = null;
  const clear = () => {
    if (shown) stream.write('\r\u001b[2K');
    shown = false;
  };
  const draw = () => {
    if (!live || options.quiet) return;
    stream.write(`\r\u001b[2K${progressLine(state, now() - started)}`);
    shown = true;
  };
  const write = (line: string) => {
    clear();
    stream.write(`${line}\n`);
    if (timer) draw();
  };
  return {
    info: (message) => options.quiet || write(`safe-install: ${message}`),
    warn: (message) => write(`safe-install: warning: ${message}`),
    error: (message, hint) => {
      write(`safe-install: error: ${message}`);
      if (hint) write(`  hint: ${hint}`);
    },
    plain: (message) => write(message),
    sandbox: (line) => options.quiet || write(`  │ ${sanitizeOutputLine(line)}`),
    progress: (signal) => {
      const before = state;
      state = nextProgress(state, signal);
      if (options.quiet || state === before) return;
      if (!live) {
        if (worthALine(before, state)) write(`safe-install: ${progressLine(state, now() - started)}`);
        return;
      }
      // The elapsed time ticks once a second; the timer never keeps the process alive.
      timer ??= setInterval(draw, 1000).unref();
      draw();
    },
    done: () => {
      if (timer) clearInterval(timer);
      timer = null;
      clear();
    },
  };
}

/**
 * What a run tells the terminal, for every command that runs the ci pipeline (ci, approve, install):
 * its messages, the install's output (kept in npm's log as it passes), and the live progress.
 */
export function runObserver(printer: Printer, npmOutput: { line(line: string): string }): RunObserver {
  return {
    info: printer.info,
    warn: printer.warn,
    output: (line) => printer.sandbox(npmOutput.line(line)),
    phase: (phase) => printer.progress({ kind: 'phase', phase }),
    plan: (plan) => printer.progress({ kind: 'plan', scriptPackages: plan.scriptPackages }),
    event: (event) => printer.progress({ kind: 'event', event }),
  };
}
