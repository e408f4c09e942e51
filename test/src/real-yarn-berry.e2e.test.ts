/**
 * `safe-install ci` as a drop-in for `yarn install --immutable` on a real Yarn Berry project
 * (examples/real, README): host Yarn — the same @yarnpkg/cli-dist the sandbox fetches, the version
 * package.json's packageManager pins — and `safe-install ci` install two copies; the trees they
 * leave are compared (paths, hashes, link targets, modes, test/src/tree-compare.ts), the verdict must
 * be a clean pass, the builds Yarn skipped must be in the terminal, and the installed tools run.
 *
 * Host Yarn runs with the settings the sandbox forces that decide the tree (yarnBerryEnv: the
 * project's yarnPath ignored, no global cache, no inline builds, no mirror), its HOME paths (install
 * state, cache, global folder) moved into a temp folder instead of the sandbox's HOME, so neither
 * side writes them into the project.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { yarnBerryEnv } from '@safe-install/core';
import { SANDBOX_PATHS } from '@safe-install/schema';
import { copyProject, describeWithEngine, repoRoot, runCli } from './engine.js';
import { hostYarn, hostYarnEnv } from './host-yarn.js';
import { compareTrees, describeDifference, explainDifferences, readTree, type ExpectedDifference } from './tree-compare.js';

const AT_OR_ABOVE_MEDIUM = new Set(['medium', 'high', 'critical']);

interface RealYarnProject {
  folder: string;
  /** Runs on the host in the installed candidate tree; returns problems (empty when all is well). */
  check: (dir: string) => Promise<string[]>;
  /** Lines the terminal summary must hold. */
  output: RegExp[];
  expected: ExpectedDifference[];
}

async function says(dir: string, file: string, args: string[], expected: RegExp, what: string): Promise<string[]> {
  const result = await execa(file, args, { cwd: dir, reject: false, all: true });
  return result.exitCode === 0 && expected.test((result.all ?? '').trim()) ? [] : [`${what}: expected ${expected}, got (exit ${result.exitCode}) ${(result.all ?? '').trim().slice(0, 600)}`];
}

const projects: RealYarnProject[] = [
  {
    folder: 'examples/real/merge-refs-yarn-berry',
    check: async (dir) => [
      ...(await says(dir, join(dir, 'node_modules/.bin/tsc'), ['--version'], /^Version 5\.9\.2$/, 'node_modules/.bin/tsc --version')),
      ...(await says(dir, join(dir, 'node_modules/.bin/vitest'), ['--version'], /^vitest\/4\.\d+\.\d+ /, 'node_modules/.bin/vitest --version')),
      // Biome's binary is its platform package's (an optional dependency Yarn picked by its conditions).
      ...(await says(dir, join(dir, 'node_modules/.bin/biome'), ['--version'], /^Version: 2\.2\.2$/, 'node_modules/.bin/biome --version')),
    ],
    // enableScripts: false: Yarn builds no dependency; the root's own postinstall (husky) still runs.
    output: [/^Yarn 4\.10\.3 skipped the builds of \d+ packages? that dependenciesMeta \(package\.json\) and enableScripts \(\.yarnrc\.yml\) do not allow \(not run\): .*esbuild@0\.25\.0/m],
    expected: [],
  },
];

/** The forced settings, with the sandbox's HOME moved to `state`. */
function hostForced(state: string): Record<string, string> {
  return Object.fromEntries(
    yarnBerryEnv('node-modules').map((setting) => {
      const at = setting.indexOf('=');
      return [setting.slice(0, at), setting.slice(at + 1).replace(SANDBOX_PATHS.home, state)];
    }),
  );
}

await describeWithEngine('safe-install ci as a drop-in for yarn install on a real Yarn Berry project', () => {
  for (const project of projects) {
    it(`${project.folder}: same tree as host Yarn, a clean pass, the skipped builds shown, and it runs`, async () => {
      const manifest = JSON.parse(await readFile(join(repoRoot, project.folder, 'package.json'), 'utf8')) as { packageManager: string };
      const yarn = await hostYarn(manifest.packageManager.slice('yarn@'.length));
      const hostDir = await copyProject(project.folder);
      const candidateDir = await copyProject(project.folder);
      const state = await mkdtemp(join(tmpdir(), 'real-yarn-state-'));
      const out = await mkdtemp(join(tmpdir(), 'real-yarn-out-'));
      const problems: string[] = [];
      try {
        const env = { ...(await hostYarnEnv(state)), ...hostForced(state) };
        const [host, cli] = await Promise.all([
          execa('node', [yarn, 'install', '--immutable'], { cwd: hostDir, env, reject: false, all: true }),
          runCli(['ci', candidateDir, '--report', join(out, 'report.json')]),
        ]);
        if (host.exitCode !== 0) throw new Error(`host yarn install failed, so there is nothing to compare with:\n${(host.all ?? '').slice(-3000)}`);
        if (cli.exitCode !== 0) problems.push(`safe-install ci exited ${cli.exitCode}:\n${String(cli.all ?? '').split('\n').slice(-40).join('\n')}`);
        const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8').catch(() => '{}')) as { verdict?: string; findings?: Array<{ ruleId: string; severity: string; message: string; package?: { name: string; version?: string }; lifecycle?: string }> };
        if (report.verdict !== 'pass') problems.push(`verdict: ${report.verdict ?? 'no report'}`);
        for (const finding of report.findings ?? []) {
          if (AT_OR_ABOVE_MEDIUM.has(finding.severity)) problems.push(`finding ${finding.severity} ${finding.ruleId} ${finding.package?.name}@${finding.package?.version} ${finding.lifecycle ?? ''}: ${finding.message.slice(0, 300)}`);
        }
        const terminal = String(cli.all ?? '').replace(/^safe-install: (warning: )?/gm, '');
        for (const line of project.output) if (!line.test(terminal)) problems.push(`the terminal has no line matching ${line}`);
        if (cli.exitCode === 0) {
          const roots = [hostDir, candidateDir, SANDBOX_PATHS.project];
          const differences = compareTrees(await readTree(hostDir, { roots }), await readTree(candidateDir, { roots }));
          const { explained, unexplained, unused } = explainDifferences(differences, project.expected);
          for (const difference of unexplained) problems.push(`tree: ${describeDifference(difference)}`);
          for (const difference of explained) process.stderr.write(`${project.folder}: explained ${describeDifference(difference)}: ${difference.why}\n`);
          for (const expectation of unused) process.stderr.write(`${project.folder}: no difference matched the expectation ${expectation.path} (${expectation.why})\n`);
          problems.push(...(await project.check(candidateDir)));
        }
      } finally {
        for (const dir of [hostDir, candidateDir, state, out, join(yarn, '../../..')]) await rm(dir, { recursive: true, force: true });
      }
      expect(problems.length > 60 ? [...problems.slice(0, 60), `... and ${problems.length - 60} more`] : problems).toEqual([]);
    }, 20 * 60_000);
  }
});
