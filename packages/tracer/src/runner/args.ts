/** The runner's command line, set by the orchestrator (never by project data). */
export interface RunnerArgs {
  uid: number;
  gid: number;
  cwd: string;
  out: string;
  lingerGraceMs: number;
  command: string[];
}

export function parseRunnerArgs(argv: readonly string[]): RunnerArgs {
  const split = argv.indexOf('--');
  if (split === -1 || split === argv.length - 1) throw new Error('usage: runner --uid N --gid N --cwd DIR --out DIR [--linger-grace-ms N] -- COMMAND...');
  const options = new Map<string, string>();
  for (let i = 0; i < split; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (!key?.startsWith('--') || value === undefined) throw new Error(`bad runner option near ${key ?? '(end)'}`);
    options.set(key.slice(2), value);
  }
  const number = (key: string, fallback?: number): number => {
    const raw = options.get(key);
    if (raw === undefined && fallback !== undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) throw new Error(`--${key} must be a non-negative integer`);
    return value;
  };
  const text = (key: string): string => {
    const value = options.get(key);
    if (!value) throw new Error(`--${key} is required`);
    return value;
  };
  return {
    uid: number('uid'),
    gid: number('gid'),
    cwd: text('cwd'),
    out: text('out'),
    lingerGraceMs: number('linger-grace-ms', 2000),
    command: argv.slice(split + 1),
  };
}
