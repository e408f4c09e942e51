/**
 * Ctrl-C and SIGTERM during a run: clean up what the run created, then exit 130/143. A second
 * signal while cleaning up exits at once, and so does a cleanup that takes longer than
 * CLEANUP_LIMIT_MS (a hung engine call): whatever it left is labelled and swept at the next start.
 */
export const CLEANUP_LIMIT_MS = 8000;

type Cleanup = () => Promise<void>;

export function onInterrupt(cleanup: Cleanup): () => void {
  let cleaning = false;
  const handler = (signal: NodeJS.Signals) => {
    const code = signal === 'SIGINT' ? 130 : 143;
    if (cleaning) process.exit(code);
    cleaning = true;
    setTimeout(() => process.exit(code), CLEANUP_LIMIT_MS).unref();
    void cleanup().finally(() => process.exit(code));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
