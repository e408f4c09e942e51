/**
 * End-to-end tests need a Docker engine and the sandbox image. Locally, without an engine, they
 * skip with a loud message; with SAFE_INSTALL_REQUIRE_DOCKER=1 (set by scripts/test.sh, so always
 * in CI) a missing engine fails them instead.
 */
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Result } from 'execa';
import type { TraceEvent } from '@safe-install/schema';
import { DEFAULT_BASE_IMAGE, connectEngine, resolveSandboxImage } from '@safe-install/sandbox';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const cliPath = join(repoRoot, 'packages/cli/dist/main.js');

export interface EngineState {
  ready: boolean;
  why: string;
}

export async function engineState(): Promise<EngineState> {
  try {
    const engine = await connectEngine();
    const image = await resolveSandboxImage(engine.docker, DEFAULT_BASE_IMAGE);
    if (!image.present) return { ready: false, why: `sandbox image ${image.tag} is not built (run: bash scripts/bootstrap.sh)` };
    return { ready: true, why: '' };
  } catch (error) {
    return { ready: false, why: (error as Error).message };
  }
}

/** `describe` for tests that need the engine: runs them, skips them loudly, or fails in CI. */
export async function describeWithEngine(name: string, body: () => void): Promise<void> {
  const state = await engineState();
  if (state.ready) {
    describe(name, body);
    return;
  }
  if (process.env['SAFE_INSTALL_REQUIRE_DOCKER'] === '1' || process.env['CI']) {
    describe(name, () => {
      it('has a Docker engine and the sandbox image', () => {
        throw new Error(`no engine or image, and this run requires them: ${state.why}`);
      });
    });
    return;
  }
  process.stderr.write(`\n!!! SKIPPING end-to-end tests "${name}": ${state.why}\n!!! run \`bash scripts/test.sh\` to set up the engine and images\n\n`);
  describe.skip(name, body);
}

/** Copy a fixture project to a fresh temp folder, so a test never changes the repository. */
export async function copyProject(relativePath: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'safe-install-e2e-'));
  await cp(join(repoRoot, relativePath), dir, { recursive: true, filter: (src) => !src.includes('node_modules') });
  return dir;
}

export function runCli(args: string[], options: { env?: Record<string, string> } = {}): Promise<Result> {
  return execa('node', [cliPath, ...args], { reject: false, all: true, env: options.env ?? {}, timeout: 20 * 60_000 });
}

/**
 * A fresh project in a temp folder that depends on fixture packages from test/fixtures/packages,
 * packed with `npm pack` and referenced as `file:` tarballs — installed into node_modules like
 * registry packages. The lockfile is made by the host's npm, without registry addresses.
 */
export async function projectWithPackages(packages: readonly string[], extraDependencies: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'safe-install-e2e-'));
  const dependencies: Record<string, string> = { ...extraDependencies };
  for (const name of packages) {
    const packed = await execa('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: join(repoRoot, 'test/fixtures/packages', name) });
    const tarball = packed.stdout.trim().split('\n').pop()!;
    dependencies[name] = `file:./${tarball}`;
  }
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'fixture-project', version: '1.0.0', private: true, dependencies }, null, 2));
  await execa('npm', ['install', '--package-lock-only', '--ignore-scripts', '--omit-lockfile-registry-resolved', '--no-audit', '--no-fund'], { cwd: dir });
  return dir;
}

export async function readTrace(path: string): Promise<TraceEvent[]> {
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as TraceEvent);
}
