/**
 * The one error type every package throws for expected failures. The CLI is the only place that
 * turns an error into an exit code, through its `kind`.
 */

/** What went wrong, in the terms of the exit-code contract. */
export type ErrorKind =
  /** Bad flags or arguments, bad policy, missing or out-of-sync lockfile: exit 2. */
  | 'usage'
  /** The package manager failed inside the sandbox: exit 3. */
  | 'package-manager'
  /** Docker unreachable, image missing, timeout, export rejected: exit 4. */
  | 'infrastructure';

export interface SafeInstallErrorOptions {
  /** One line on how to fix it, shown under the message. */
  hint?: string;
  cause?: unknown;
}

export class SafeInstallError extends Error {
  override readonly name = 'SafeInstallError';
  readonly hint: string | undefined;

  constructor(
    /** Stable machine-readable code, e.g. `LOCKFILE_MISSING`. */
    readonly code: string,
    readonly kind: ErrorKind,
    message: string,
    options: SafeInstallErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options.hint;
  }
}

export function isSafeInstallError(error: unknown): error is SafeInstallError {
  return error instanceof SafeInstallError;
}
