/** The runner's command line, set by the orchestrator (never by project data). */
export interface RunnerArgs {
  uid: number;
  gid: number;
  /** The install user's HOME; the upload is extracted here. */
  home: string;
  /** The project folder (the package manager's cwd). */
  cwd: string;
  /** Root-only scratch folder for strace's output. */
  out: string;
  lingerGraceMs: number;
  /** Send node_modules back after a successful install. */
  exportNodeModules: boolean;
  /** Run under strace (the default). Off only for benchmarks that measure the tracer's cost. */
  trace: boolean;
  /** The folder holding the gateway's socket; when set, the forwarder relays all network use there. */
  gateway: string | null;
  command: string[];
}

const USAGE = 'usage: runner --uid N --gid N --home DIR --cwd DIR --out DIR [--linger-grace-ms N] [--export yes|no] [--trace yes|no] [--gateway DIR] -- COMMAND...';

export function parseRunnerArgs(argv: readonly string[]): RunnerArgs {
  const split = argv.indexOf('--');
  if (split === -1 || split === argv.length - 1) throw new Error(USAGE);
  const options = new Map<string, string>();
  for (let i = 0; i < split; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (!key?.startsWith('--') || value === undefined || i + 1 >= split) throw new Error(`bad runner option near ${key ?? '(end)'}; ${USAGE}`);
    options.set(key.slice(2), value);
  }
  const number = (key: string, fallback?: number): number => {
    const raw = options.get(key);
    if (raw === undefined && fallback !== undefined) return fallback;
    const value = Number(raw);
    if (raw === undefined || !Number.isInteger(value) || value < 0) throw new Error(`--${key} must be a non-negative integer`);
    return value;
  };
  const path = (key: string): string => {
    const value = options.get(key);
    if (!value?.startsWith('/')) throw new Error(`--${key} must be an absolute path`);
    return value;
  };
  const flag = (key: string): boolean => {
    const value = options.get(key) ?? 'yes';
    if (value !== 'yes' && value !== 'no') throw new Error(`--${key} must be yes or no`);
    return value === 'yes';
  };
  return {
    uid: number('uid'),
    gid: number('gid'),
    home: path('home'),
    cwd: path('cwd'),
    out: path('out'),
    lingerGraceMs: number('linger-grace-ms', 2000),
    exportNodeModules: flag('export'),
    trace: flag('trace'),
    gateway: options.has('gateway') ? path('gateway') : null,
    command: argv.slice(split + 1),
  };
}
