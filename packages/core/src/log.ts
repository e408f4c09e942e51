/**
 * The diagnostic log (pino): what the engine did and when, for the people who run safe-install
 * and for bug reports. It is not the user's output (that is the printer's) and holds no untrusted
 * text beyond counts and ids: trace content belongs in the trace file.
 */
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A logger that writes nothing: the default when no log was asked for. */
export const silentLog: Logger = pino({ level: 'silent' });

/**
 * The log the CLI asked for: JSON lines to `file` (appended, written synchronously so a crash
 * keeps the last line), or to stderr when only a level is given.
 */
export function diagnosticLog(options: { level?: LogLevel | undefined; file?: string | undefined }): Logger {
  if (options.level === undefined && options.file === undefined) return silentLog;
  const level = options.level ?? 'info';
  const destination = pino.destination({ dest: options.file ?? 2, sync: true, append: true, mkdir: false });
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}
