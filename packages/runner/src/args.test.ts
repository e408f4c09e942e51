import { installJob } from '@safe-install/schema';
import { parseRunnerArgs } from './args.js';

const layout = ['--uid', '1000', '--gid', '1000', '--home', '/home/node', '--cwd', '/home/node/project', '--out', '/var/lib/npm-lifecycle'];
const job = JSON.stringify(installJob(['npm', 'ci'], { export: true, trace: true }));

describe('the runner’s command line', () => {
  it('reads the layout and the job', () => {
    const args = parseRunnerArgs([...layout, '--gateway', '/run/gw', '--job', job]);
    expect(args).toMatchObject({ uid: 1000, gid: 1000, home: '/home/node', cwd: '/home/node/project', lingerGraceMs: 2000, gateway: '/run/gw' });
    expect(args.job.steps).toEqual([{ phase: 'install', command: ['npm', 'ci'], trace: 'scripts', attribution: 'lockfile', export: 'install' }]);
  });

  it.each<[string, string[]]>([
    ['no job', layout],
    ['the old `-- COMMAND` form', [...layout, '--', 'npm', 'ci']],
    ['a job that is not JSON', [...layout, '--job', 'npm ci']],
    ['an invalid job', [...layout, '--job', JSON.stringify({ version: 1, steps: [] })]],
    ['an unknown option', [...layout, '--export', 'yes', '--job', job]],
    ['an option given twice', [...layout, '--uid', '0', '--job', job]],
    ['an option without its value', [...layout, '--job']],
    ['a relative path', ['--uid', '1', '--gid', '1', '--home', 'home', '--cwd', '/p', '--out', '/o', '--job', job]],
    ['a negative uid', ['--uid', '-1', '--gid', '1', '--home', '/h', '--cwd', '/p', '--out', '/o', '--job', job]],
  ])('refuses %s', (_, argv) => {
    expect(() => parseRunnerArgs(argv)).toThrow();
  });
});
