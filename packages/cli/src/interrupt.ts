/**
 * Ctrl-C and SIGTERM during a run: clean up what the run created, then exit 130/143. A second
 * signal while cleaning up exits at once.
 */
type Cleanup = () => Promise<void>;

export function onInterrupt(cleanup: Cleanup): () => void {
  let cleaning = false;
  const handler = (signal: NodeJS.Signals) => {
    const code = signal === 'SIGINT' ? 130 : 143;
    if (cleaning) process.exit(code);
    cleaning = true;
    void cleanup().finally(() => process.exit(code));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
