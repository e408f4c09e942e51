import { installJob, isManagerFile, lockfileJob, JOB_LIMITS, JobError, parseJob, validateJob, type SandboxJob } from './job.js';

const install = { phase: 'install', command: ['npm', 'ci'], trace: 'scripts', attribution: 'lockfile', export: 'install' } as const;
const importStep = { phase: 'import', command: ['node', '-e', 'require("x")'], trace: 'tree', attribution: 'subject', subject: { name: 'x', version: '1.0.0' }, export: 'none' } as const;
const job = (...steps: unknown[]) => ({ version: 1, steps });

describe('the sandbox job', () => {
  it('takes the ci job as installJob builds it', () => {
    const built = installJob(['npm', 'ci'], { export: true, trace: true });
    expect(parseJob(JSON.stringify(built))).toEqual(built);
    expect(built.steps).toEqual([install]);
    expect(installJob(['npm', 'ci'], { export: false, trace: false }).steps[0]).toMatchObject({ trace: 'none', export: 'none' });
  });

  it('takes a job of several steps, in order', () => {
    const last = { phase: 'run', command: ['node', 'bin.js'], trace: 'tree', attribution: 'lockfile', export: 'install', continueOnFailure: true };
    const parsed = parseJob(JSON.stringify(job({ ...install, export: 'none' }, importStep, last)));
    expect(parsed.steps.map((s) => s.phase)).toEqual(['install', 'import', 'run']);
    expect(parsed.steps[1]!.subject).toEqual({ name: 'x', version: '1.0.0' });
    expect(parsed.steps[2]!.continueOnFailure).toBe(true);
  });

  it('takes a clock shift of whole seconds up to 60 days', () => {
    expect(parseJob(JSON.stringify(job({ ...install, clockShiftSeconds: 30 * 86_400 }))).steps[0]!.clockShiftSeconds).toBe(30 * 86_400);
  });

  it('takes the files a traced tree\'s manager writes, and matches paths against them', () => {
    const tree = { phase: 'install', command: ['node', 'yarn.js', 'install'], trace: 'tree', attribution: 'lockfile', export: 'install', managerFiles: ['.pnp.cjs', '.yarn', '.yarn/cache/'] };
    const files = parseJob(JSON.stringify(job(tree))).steps[0]!.managerFiles!;
    expect(files).toEqual(['.pnp.cjs', '.yarn', '.yarn/cache/']);
    expect(['.pnp.cjs', '.yarn', '.yarn/cache', '.yarn/cache/a.zip', '.yarn/cache/x/y'].filter((path) => isManagerFile(path, files))).toHaveLength(5);
    // A name is one path, a folder's prefix must end at a segment.
    expect(['.pnp.cjs.bak', 'x/.pnp.cjs', '.yarn/releases/yarn.cjs', '.yarn/cachex', '.yarn-cache/a', ''].filter((path) => isManagerFile(path, files))).toEqual([]);
  });

  it('takes the install job: resolve, then install from the lockfile resolve wrote', () => {
    const built = lockfileJob(['npm', 'install', '--package-lock-only'], ['npm', 'ci'], { cacheFolders: ['.npm'] });
    expect(parseJob(JSON.stringify(built))).toEqual(built);
    expect(built.steps.map((s) => [s.phase, s.export, s.relock ?? false])).toEqual([['resolve', 'none', false], ['install', 'install', true]]);
  });

  it('takes a tool seal on a step followed by another; refuses one on the last step and hostile paths', () => {
    const seal = { dir: '.cache/node/corepack/v1/pnpm/11.28.6', into: 'pnpm-11.28.6', programs: [{ from: 'node_modules/@pnpm/linux-x64/pnpm', to: 'node_modules/@pnpm/exe/pnpm' }] };
    const tools = { phase: 'tools', command: ['npm', 'install'], trace: 'scripts', attribution: 'lockfile', export: 'none' };
    expect(parseJob(JSON.stringify(job({ ...tools, seal }, install))).steps[0]!.seal).toEqual(seal);
    expect(() => parseJob(JSON.stringify(job({ ...install, export: 'none' }, { ...tools, seal })))).toThrow(/no later step runs it/);
    for (const bad of [
      { ...seal, dir: '../etc' },
      { ...seal, dir: '/usr/local/bin' },
      { ...seal, dir: '.cache/./x' },
      { ...seal, dir: '' },
      { ...seal, programs: [{ from: 'a/../../x', to: 'b' }] },
      { ...seal, programs: [{ from: 'a', to: 'b c' }] },
      { ...seal, programs: [{ from: 'a', to: 'b', mode: 0o4755 }] },
      { ...seal, programs: 'a' },
      { ...seal, owner: 0 },
      { ...seal, into: 'a/b' },
      { ...seal, into: '..' },
      { dir: seal.dir, programs: seal.programs },
    ]) {
      expect(() => parseJob(JSON.stringify(job({ ...tools, seal: bad }, install)))).toThrow(JobError);
    }
  });

  it('returns a copy: changing the input afterwards changes nothing checked', () => {
    const input = job({ ...install, command: ['npm', 'ci'] });
    const checked: SandboxJob = validateJob(input);
    (input.steps[0] as { command: string[] }).command.push('--ignore-scripts=false');
    expect(checked.steps[0]!.command).toEqual(['npm', 'ci']);
  });

  const hostile: Array<[string, unknown]> = [
    ['null', null],
    ['an array', [install]],
    ['a string', 'npm ci'],
    ['another version', { version: 2, steps: [install] }],
    ['no steps', job()],
    ['steps that are not an array', { version: 1, steps: { 0: install } }],
    ['an unknown top-level field', { ...job(install), uid: 0 }],
    ['an unknown step field', job({ ...install, user: 'root' })],
    ['a __proto__ field', JSON.parse(`{"version":1,"steps":[${JSON.stringify(install).replace('{', '{"__proto__":{"trace":"none"},')}]}`)],
    ['a step that is not an object', job('npm ci')],
    ['an empty command', job({ ...install, command: [] })],
    ['a command that is a string', job({ ...install, command: 'npm ci' })],
    ['an empty program', job({ ...install, command: ['', 'ci'] })],
    ['an argument that is a number', job({ ...install, command: ['npm', 1] })],
    ['an argument with NUL', job({ ...install, command: ['npm', 'ci\u0000--foo'] })],
    ['an argument with a newline', job({ ...install, command: ['npm', 'ci\n'] })],
    ['an argument too long', job({ ...install, command: ['npm', 'x'.repeat(JOB_LIMITS.argChars + 1)] })],
    ['too many arguments', job({ ...install, command: Array.from({ length: JOB_LIMITS.args + 1 }, () => 'x') })],
    ['too many steps', job(...Array.from({ length: JOB_LIMITS.steps + 1 }, (_, i) => ({ ...install, phase: `p${i}`, export: 'none' })))],
    ['an unknown trace mode', job({ ...install, trace: 'some' })],
    ['an unknown attribution', job({ ...install, attribution: 'claimed' })],
    ['an unknown export', job({ ...install, export: 'everything' })],
    ['a missing export', job({ phase: 'install', command: ['npm', 'ci'], trace: 'scripts', attribution: 'lockfile' })],
    ['a phase with a capital', job({ ...install, phase: 'Install' })],
    ['a phase with a space', job({ ...install, phase: 'in stall' })],
    ['a phase too long', job({ ...install, phase: 'p'.repeat(33) })],
    ['an empty phase', job({ ...install, phase: '' })],
    ['a phase used twice', job({ ...install, export: 'none' }, { ...install })],
    ['an export before the last step', job(install, importStep)],
    ['a subject with lockfile attribution', job({ ...install, subject: { name: 'x', version: '1' } })],
    ['subject attribution with scripts tracing', job({ ...importStep, trace: 'scripts' })],
    ['subject attribution with no subject', job({ ...importStep, subject: undefined })],
    ['a subject with a space in its name', job({ ...importStep, subject: { name: 'x y', version: '1' } })],
    ['a subject with a control character', job({ ...importStep, subject: { name: 'x', version: '1\u001b[2J' } })],
    ['a subject with an extra field', job({ ...importStep, subject: { name: 'x', version: '1', path: '/' } })],
    ['a subject without a version', job({ ...importStep, subject: { name: 'x' } })],
    ['continueOnFailure that is not a boolean', job({ ...install, continueOnFailure: 'yes' })],
    ['a clock shift that is not a number', job({ ...install, clockShiftSeconds: '86400' })],
    ['a clock shift of zero', job({ ...install, clockShiftSeconds: 0 })],
    ['a clock shift backwards', job({ ...install, clockShiftSeconds: -86_400 })],
    ['a fractional clock shift', job({ ...install, clockShiftSeconds: 1.5 })],
    ['a clock shift past 60 days', job({ ...install, clockShiftSeconds: 60 * 86_400 + 1 })],
    ['relock that is not a boolean', job({ ...install, export: 'none' }, { ...install, phase: 'again', relock: 'yes' })],
    ['relock on the first step', job({ ...install, relock: true })],
    ['relock with subject attribution', job({ ...install, export: 'none' }, { ...importStep, relock: true })],
    ['cacheFolders that is not an array', { ...job(install), cacheFolders: '.npm' }],
    ['an absolute cache folder', { ...job(install), cacheFolders: ['/home/node/.npm'] }],
    ['a cache folder that climbs out of HOME', { ...job(install), cacheFolders: ['../../etc'] }],
    ['a cache folder with a .. segment inside', { ...job(install), cacheFolders: ['.cache/../../x'] }],
    ['a cache folder that is HOME itself', { ...job(install), cacheFolders: ['.'] }],
    ['an empty cache folder', { ...job(install), cacheFolders: [''] }],
    ['a cache folder with a trailing slash', { ...job(install), cacheFolders: ['.npm/'] }],
    ['a cache folder with a glob', { ...job(install), cacheFolders: ['*'] }],
    ['a cache folder with a control character', { ...job(install), cacheFolders: ['.npm\n'] }],
    ['a cache folder that is a number', { ...job(install), cacheFolders: [1] }],
    ['too many cache folders', { ...job(install), cacheFolders: Array.from({ length: JOB_LIMITS.cacheFolders + 1 }, (_, i) => `c${i}`) }],
    ['managerFiles on a scripts step (the manager is untraced there anyway)', job({ ...install, managerFiles: ['.pnp.cjs'] })],
    ['managerFiles that is not an array', job({ ...{ phase: 'install', command: ['node', 'yarn.js'], trace: 'tree', attribution: 'lockfile', export: 'install' }, managerFiles: '.pnp.cjs' })],
    ['an absolute manager file', job({ ...{ phase: 'install', command: ['node', 'yarn.js'], trace: 'tree', attribution: 'lockfile', export: 'install' }, managerFiles: ['/home/node/project/.pnp.cjs'] })],
    ['a manager file above the project', job({ ...{ phase: 'install', command: ['node', 'yarn.js'], trace: 'tree', attribution: 'lockfile', export: 'install' }, managerFiles: ['../.bashrc'] })],
    ['a manager file with a .. inside', job({ ...{ phase: 'install', command: ['node', 'yarn.js'], trace: 'tree', attribution: 'lockfile', export: 'install' }, managerFiles: ['.yarn/../package.json'] })],
    ['the project itself as a manager folder', job({ ...{ phase: 'install', command: ['node', 'yarn.js'], trace: 'tree', attribution: 'lockfile', export: 'install' }, managerFiles: ['/'] })],
    ['an empty manager file', job({ ...{ phase: 'install', command: ['node', 'yarn.js'], trace: 'tree', attribution: 'lockfile', export: 'install' }, managerFiles: [''] })],
    ['a manager file with an empty segment', job({ ...{ phase: 'install', command: ['node', 'yarn.js'], trace: 'tree', attribution: 'lockfile', export: 'install' }, managerFiles: ['.yarn//cache/'] })],
    ['a manager file in node_modules', job({ ...{ phase: 'install', command: ['node', 'yarn.js'], trace: 'tree', attribution: 'lockfile', export: 'install' }, managerFiles: ['node_modules/'] })],
    ['a manager file with a glob', job({ ...{ phase: 'install', command: ['node', 'yarn.js'], trace: 'tree', attribution: 'lockfile', export: 'install' }, managerFiles: ['*'] })],
    ['a manager file with a control character', job({ ...{ phase: 'install', command: ['node', 'yarn.js'], trace: 'tree', attribution: 'lockfile', export: 'install' }, managerFiles: ['.pnp.cjs\n'] })],
    ['a manager file that is a number', job({ ...{ phase: 'install', command: ['node', 'yarn.js'], trace: 'tree', attribution: 'lockfile', export: 'install' }, managerFiles: [1] })],
    ['too many manager files', job({ ...{ phase: 'install', command: ['node', 'yarn.js'], trace: 'tree', attribution: 'lockfile', export: 'install' }, managerFiles: Array.from({ length: JOB_LIMITS.managerFiles + 1 }, (_, i) => `f${i}`) })],
  ];
  it.each(hostile)('refuses %s', (_, value) => {
    expect(() => validateJob(value)).toThrow(JobError);
    expect(() => parseJob(JSON.stringify(value))).toThrow(JobError);
  });

  it.each([
    ['not JSON', '{version: 1}'],
    ['empty', ''],
    ['too large', JSON.stringify(job({ ...install, command: ['npm', ...Array.from({ length: 20 }, () => 'x'.repeat(4000))] }))],
    ['a number', '1'],
  ])('refuses job text that is %s', (_, text) => {
    expect(() => parseJob(text)).toThrow(JobError);
  });

  it('takes the package manager\'s cache folders under HOME, as installJob passes them', () => {
    const built = installJob(['npm', 'ci'], { export: true, trace: true, cacheFolders: ['.npm', '.cache/yarn', '..hidden'] });
    expect(parseJob(JSON.stringify(built)).cacheFolders).toEqual(['.npm', '.cache/yarn', '..hidden']);
    expect('cacheFolders' in installJob(['npm', 'ci'], { export: true, trace: true })).toBe(false);
  });

  it('names the field it refuses', () => {
    expect(() => validateJob(job(install, { ...importStep, phase: 'Run' }))).toThrow(/steps\[1\]\.phase/);
  });
});

describe('the job\'s lockfile (whom the runner attributes scripts by)', () => {
  const base = { version: 1, steps: [{ phase: 'install', command: ['pnpm', 'install'], trace: 'scripts', attribution: 'lockfile', export: 'install' }] };
  it('takes one of the lockfiles the runner reads', () => {
    expect(validateJob({ ...base, lockfile: 'pnpm-lock.yaml' }).lockfile).toBe('pnpm-lock.yaml');
    expect(validateJob({ ...base, lockfile: 'yarn.lock' }).lockfile).toBe('yarn.lock');
    expect(validateJob(base).lockfile).toBeUndefined();
  });
  it('refuses any other name or type', () => {
    for (const lockfile of ['../pnpm-lock.yaml', '/etc/passwd', 'bun.lockb', '../yarn.lock', '../bun.lock', 7, null]) expect(() => validateJob({ ...base, lockfile })).toThrow(JobError);
  });
});
