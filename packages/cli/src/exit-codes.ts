/** The exit-code contract (ARCHITECTURE-BRIEF): the only place errors become numbers. */
import { isSafeInstallError, type ErrorKind } from '@safe-install/schema';

export const EXIT = {
  pass: 0,
  violation: 1,
  usage: 2,
  packageManager: 3,
  infrastructure: 4,
} as const;

const BY_KIND: Record<ErrorKind, number> = {
  usage: EXIT.usage,
  'package-manager': EXIT.packageManager,
  infrastructure: EXIT.infrastructure,
};

/** Unknown errors are bugs or infrastructure trouble; never report them as a clean pass or a violation. */
export function exitCodeFor(error: unknown): number {
  return isSafeInstallError(error) ? BY_KIND[error.kind] : EXIT.infrastructure;
}
