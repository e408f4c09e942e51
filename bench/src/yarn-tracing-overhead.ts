/**
 * Process-tree tracing overhead (Yarn Berry): examples/yarn-berry-small's `yarn install --immutable`
 * in the sandbox with the whole Yarn process tree traced, against the same install untraced,
 * alternating. Measured: the runner's `install` phase, as tracing-overhead.ts measures npm's.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { yarnBerry } from '@safe-install/core';
import { JOB_VERSION, type SandboxJob } from '@safe-install/schema';
import { DEFAULT_BASE_IMAGE, SANDBOX_PATHS, connectEngine, planUpload, readHostNpmConfig, requireSandboxImage, runInstall } from '@safe-install/sandbox';
import { compare, report, runsFromEnv } from './measure.js';

const runs = runsFromEnv(3);
const project = await mkdtemp(join(tmpdir(), 'yarn-bench-'));
await cp(new URL('../../examples/yarn-berry-small', import.meta.url).pathname, project, { recursive: true });
try {
  const { docker } = await connectEngine();
  const image = await requireSandboxImage(docker, process.env['SI_BASE_IMAGE'] ?? DEFAULT_BASE_IMAGE);
  const config = await readHostNpmConfig(project);
  const parsed = await yarnBerry.readProject(project);
  const routes = await yarnBerry.sandboxNetwork(config, project, { global: [], packages: {} });
  const plan = planUpload(parsed, { home: SANDBOX_PATHS.home, projectDir: 'project', registry: config.registry, npmrc: routes.npmrc });
  const network = { gateway: { ...routes.gateway, decoys: plan.decoys }, env: routes.env };
  const install = async (trace: boolean) => {
    const { steps, lockfile } = yarnBerry.jobSteps!({ kind: 'ci' }, parsed, { export: false, trace });
    const job: SandboxJob = { version: JOB_VERSION, steps, cacheFolders: [...yarnBerry.cacheFolders], ...(lockfile ? { lockfile } : {}) };
    const run = await runInstall({ docker, image, network, upload: plan.files, directoryModes: plan.directoryModes, env: plan.env, stageIn: null, command: [], job, timeoutMs: 600_000, trace });
    if (run.exitCode !== 0 || !run.status) throw new Error(`install failed (exit ${run.exitCode})`);
    return { ms: run.status.timings['install']!, events: run.events.length };
  };
  await install(false);
  const untraced: number[] = [];
  const traced: number[] = [];
  let events = 0;
  for (let i = 0; i < runs; i++) {
    untraced.push((await install(false)).ms);
    const run = await install(true);
    traced.push(run.ms);
    events = run.events;
  }
  await report(compare('yarn-tracing-overhead', 'ms', ['yarn install in sandbox, untraced', untraced], ['yarn install in sandbox, process tree traced', traced], { events, project: 'examples/yarn-berry-small' }));
} finally {
  await rm(project, { recursive: true, force: true });
}
