import { parseJob, type SandboxJob } from '@safe-install/schema';

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
  /** The folder holding the gateway's socket; when set, the forwarder relays all network use there. */
  gateway: string | null;
  /** What to run: the steps, each with its phase, command, tracing, attribution and export (job.ts). */
  job: SandboxJob;
}

const USAGE = 'usage: runner --uid N --gid N --home DIR --cwd DIR --out DIR [--linger-grace-ms N] [--gateway DIR] --job JSON';
const KNOWN = new Set(['uid', 'gid', 'home', 'cwd', 'out', 'linger-grace-ms', 'gateway', 'job']);

export function parseRunnerArgs(argv: readonly string[]): RunnerArgs {
  const options = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (!key?.startsWith('--') || value === undefined) throw new Error(`bad runner option near ${key ?? '(end)'}; ${USAGE}`);
    const name = key.slice(2);
    if (!KNOWN.has(name) || options.has(name)) throw new Error(`${KNOWN.has(name) ? 'repeated' : 'unknown'} runner option ${key.slice(0, 40)}; ${USAGE}`);
    options.set(name, value);
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
  const job = options.get('job');
  if (job === undefined) throw new Error(`--job is required; ${USAGE}`);
  return {
    uid: number('uid'),
    gid: number('gid'),
    home: path('home'),
    cwd: path('cwd'),
    out: path('out'),
    lingerGraceMs: number('linger-grace-ms', 2000),
    gateway: options.has('gateway') ? path('gateway') : null,
    job: parseJob(job),
  };
}
