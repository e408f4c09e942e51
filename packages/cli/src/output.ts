/**
 * Everything the CLI prints goes through here. Strings that came from the sandbox (package names,
 * paths, command lines, npm's output) are untrusted: control characters could rewrite the
 * terminal or forge GitHub workflow commands, so they are escaped before printing.
 */

import { sanitizeText } from '@safe-install/schema';

/** Make an untrusted string safe to print on one line (the one sanitizer: see @safe-install/schema). */
export function sanitize(text: string, maxLength = 2000): string {
  return sanitizeText(text, maxLength);
}

/** Like sanitize, but keeps it to one line of npm output: escape sequences for colour are dropped. */
export function sanitizeOutputLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return sanitize(text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, ''));
}

export interface Printer {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, hint?: string): void;
  /** A line of the package manager's output from inside the sandbox. */
  sandbox(line: string): void;
}

export function stderrPrinter(options: { quiet?: boolean } = {}): Printer {
  const write = (line: string) => process.stderr.write(`${line}\n`);
  return {
    info: (message) => options.quiet || write(`safe-install: ${message}`),
    warn: (message) => write(`safe-install: warning: ${message}`),
    error: (message, hint) => {
      write(`safe-install: error: ${message}`);
      if (hint) write(`  hint: ${hint}`);
    },
    sandbox: (line) => options.quiet || write(`  │ ${sanitizeOutputLine(line)}`),
  };
}
