/**
 * Tracing overhead: the same install-script-heavy project (a native addon compiled by node-gyp,
 * plus esbuild's postinstall) installed in the sandbox with and without strace, alternating, in
 * one run. Measured: the runner's own `install` phase (package manager start to end inside the
 * container), so container start and export do not dilute the ratio.
 */
import { rm } from 'node:fs/promises';
import { projectWithPackages } from '@safe-install/e2e/fixtures';
import { npm } from '@safe-install/core';
import { DEFAULT_BASE_IMAGE, SANDBOX_PATHS, connectEngine, gatewayNetwork, planUpload, readHostNpmConfig, readProject, requireSandboxImage, runInstall } from '@safe-install/sandbox';
import { compare, report, runsFromEnv } from './measure.js';

const runs = runsFromEnv(5);
const project = await projectWithPackages(['native-addon'], { esbuild: '0.25.12' });
try {
  const { docker } = await connectEngine();
  const image = await requireSandboxImage(docker, process.env['SI_BASE_IMAGE'] ?? DEFAULT_BASE_IMAGE);
  const npmConfig = await readHostNpmConfig(project);
  const routes = await gatewayNetwork(npmConfig, { projectRoot: project });
  const plan = planUpload(await readProject(project), { home: SANDBOX_PATHS.home, projectDir: 'project', registry: npmConfig.registry, npmrc: routes.npmrc });
  const network = { gateway: { ...routes.gateway, decoys: plan.decoys }, env: routes.env };
  const install = async (trace: boolean) => {
    const run = await runInstall({ docker, image, network, upload: plan.files, directoryModes: plan.directoryModes, env: plan.env, stageIn: null, command: npm.command({ kind: 'ci' }), cacheFolders: npm.cacheFolders, timeoutMs: 600_000, trace });
    if (run.exitCode !== 0 || !run.status) throw new Error(`install failed (exit ${run.exitCode})`);
    return { ms: run.status.timings['install']!, events: run.events.length };
  };
  await install(false); // warm the page cache and the engine
  const untraced: number[] = [];
  const traced: number[] = [];
  let events = 0;
  for (let i = 0; i < runs; i++) {
    untraced.push((await install(false)).ms);
    const run = await install(true);
    traced.push(run.ms);
    events = run.events;
  }
  await report(compare('tracing-overhead', 'ms', ['npm ci in sandbox, untraced', untraced], ['npm ci in sandbox, traced', traced], { events, project: 'native-addon (node-gyp) + esbuild' }));
} finally {
  await rm(project, { recursive: true, force: true });
}
