/**
 * End-to-end tests need a Docker engine and the sandbox image. Locally, without an engine, they
 * skip with a loud message; with SAFE_INSTALL_REQUIRE_DOCKER=1 (set by scripts/test.sh, so always
 * in CI) a missing engine fails them instead.
 */
import { cp, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Result } from 'execa';
import { parseTrace, type TraceEvent, type TraceHeader } from '@safe-install/schema';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { DEFAULT_BASE_IMAGE, LABEL_OWNER_PID, LABEL_ROLE, connectEngine, resolveSandboxImage } from '@safe-install/sandbox';

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

/**
 * A package of the malware corpus (examples/malicious/<group>/<name>) packed with `npm pack` (no
 * script runs) into `dir`, from a copy of its folder (nothing is written into the repository);
 * the tarball's file name in `dir` (renamed to `as` when given).
 */
export async function packCorpusFixture(group: string, name: string, dir: string, as?: string): Promise<string> {
  const source = await mkdtemp(join(tmpdir(), 'safe-install-fixture-'));
  try {
    await cp(join(repoRoot, 'examples/malicious', group, name), source, { recursive: true });
    const packed = await execa('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: source });
    const tarball = packed.stdout.trim().split('\n').pop()!;
    if (as === undefined) return tarball;
    await rename(join(dir, tarball), join(dir, as));
    return as;
  } finally {
    await rm(source, { recursive: true, force: true });
  }
}

/**
 * The environment a user's shell gives a command: this process's, without the `npm_*` variables a
 * test runner sets (`pnpm test` exports npm_config_omit_lockfile_registry_resolved and others).
 * npm, and safe-install after it, rank those above the project's .npmrc, so a test that compares
 * the CLI with a host manager runs both with this.
 */
export const userEnv: Record<string, string> = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => !/^npm_/i.test(entry[0]) && entry[1] !== undefined));

/** Run the CLI to the end, in the user's environment (userEnv) plus `env`; `pid` identifies its containers (label owner-pid). */
export async function runCli(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<Result & { pid: number }> {
  const child = execa('node', [cliPath, ...args], { reject: false, all: true, env: { ...userEnv, ...options.env }, extendEnv: false, timeout: 20 * 60_000, ...(options.cwd === undefined ? {} : { cwd: options.cwd }) });
  const pid = child.pid!;
  return Object.assign(await child, { pid });
}

/**
 * A fresh project in a temp folder that depends on fixture packages from test/fixtures/packages,
 * packed with `npm pack` and referenced as `file:` tarballs — installed into node_modules like
 * registry packages. The lockfile is made by the host's npm, without registry addresses.
 */
export interface FixtureOptions {
  /** Files to replace in a fixture package before packing it: package name -> path -> content. */
  packageFiles?: Record<string, Record<string, string>>;
  /** Files written into the project before the lockfile is made (.npmrc, .env, a policy). */
  projectFiles?: Record<string, string>;
  /** More fields for the project's package.json (scripts, allowScripts, ...). */
  manifest?: Record<string, unknown>;
  /** Where the packages' folders are, from the repository root (default test/fixtures/packages; a corpus pattern's folder works too). */
  packagesFrom?: string;
  /** The folder of one package, from the repository root, when it is not under `packagesFrom`. */
  packageFolders?: Record<string, string>;
  /** Keep registry packages' `resolved` URLs in the lockfile (npm's default; the fixtures omit them unless asked). */
  registryResolved?: boolean;
}

export async function projectWithPackages(
  packages: readonly string[],
  extraDependencies: Record<string, string> = {},
  options: FixtureOptions = {},
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'safe-install-e2e-'));
  const dependencies: Record<string, string> = { ...extraDependencies };
  for (const name of packages) {
    const source = await mkdtemp(join(tmpdir(), 'safe-install-fixture-'));
    await cp(join(repoRoot, options.packageFolders?.[name] ?? join(options.packagesFrom ?? 'test/fixtures/packages', name)), source, { recursive: true });
    for (const [path, content] of Object.entries(options.packageFiles?.[name] ?? {})) await writeFile(join(source, path), content);
    const packed = await execa('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: source });
    await rm(source, { recursive: true, force: true });
    const tarball = packed.stdout.trim().split('\n').pop()!;
    dependencies[name] = `file:./${tarball}`;
  }
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'fixture-project', version: '1.0.0', private: true, ...options.manifest, dependencies }, null, 2));
  for (const [path, content] of Object.entries(options.projectFiles ?? {})) await writeFile(join(dir, path), content);
  await execa('npm', ['install', '--package-lock-only', '--ignore-scripts', `--omit-lockfile-registry-resolved=${options.registryResolved === true ? 'false' : 'true'}`, '--no-audit', '--no-fund'], { cwd: dir });
  return dir;
}

/** A finding as the JSON report holds it: the fields tests compare runs by. */
export interface ReportFinding {
  ruleId: string;
  severity: string;
  package?: { name: string; version: string };
  lifecycle?: string;
}

/** The high and critical findings as sorted `rule name@version` lines (with ` lifecycle`): what two runs of a fixture are compared by. */
export function seriousFindings(findings: readonly ReportFinding[], options: { lifecycle?: boolean } = {}): string[] {
  return findings
    .filter((finding) => finding.severity === 'high' || finding.severity === 'critical')
    .map((finding) => `${finding.ruleId} ${finding.package?.name}@${finding.package?.version}${options.lifecycle ? ` ${finding.lifecycle}` : ''}`)
    .sort();
}

/** The address of Docker's default bridge on the host: where the gateway can reach the tests' servers. */
export async function bridgeAddress(): Promise<string> {
  const { stdout } = await execa('docker', ['network', 'inspect', 'bridge', '--format', '{{json .}}']);
  const network = JSON.parse(stdout) as { IPAM?: { Config?: Array<{ Gateway?: string }> }; Options?: Record<string, string> };
  const gateway = network.IPAM?.Config?.find((config) => config.Gateway)?.Gateway;
  if (gateway) return gateway;
  // Engines that leave the gateway out of IPAM: read the bridge interface's own address (with
  // `ip`: Node lists only interfaces that are up, and the bridge is down while no container runs).
  const name = network.Options?.['com.docker.network.bridge.name'] ?? 'docker0';
  const { stdout: addresses } = await execa('ip', ['-4', '-o', 'addr', 'show', 'dev', name]);
  const address = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(addresses)?.[1];
  if (!address) throw new Error(`cannot find the address of Docker's bridge ${name}`);
  return address;
}

/** The events of a trace file (after its header); a line that is not an event fails the test. */
export async function readTrace(path: string): Promise<TraceEvent[]> {
  return (await readTraceWithHeader(path)).events;
}

export async function readTraceWithHeader(path: string): Promise<{ header: TraceHeader; events: TraceEvent[] }> {
  const { header, events, badLines } = parseTrace(await readFile(path, 'utf8'));
  if (badLines > 0) throw new Error(`${path}: ${badLines} line(s) are not events`);
  return { header, events };
}

/** Run a shell command in a running container as `user`; output demultiplexed (stdout + stderr). */
export async function execIn(container: Docker.Container, user: string, command: string): Promise<{ code: number; output: string }> {
  const exec = await container.exec({ User: user, Cmd: ['sh', '-c', command], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  let output = '';
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  container.modem.demuxStream(stream, sink, sink);
  await new Promise<void>((resolve) => stream.on('end', resolve).on('close', resolve));
  return { code: (await exec.inspect()).ExitCode ?? -1, output };
}

/** Wait until a sandbox container (not the gateway) owned by the CLI process `pid` runs. */
export async function runningSandboxOf(pid: number): Promise<Docker.Container> {
  const docker = new Docker();
  for (let i = 0; i < 1200; i++) {
    const [found] = await docker.listContainers({ filters: { label: [`${LABEL_OWNER_PID}=${pid}`, `${LABEL_ROLE}=sandbox`], status: ['running'] } });
    if (found) return docker.getContainer(found.Id);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no running sandbox of pid ${pid}`);
}

/**
 * The terminal's findings for one package: the lines under its `  name@version` header (findings
 * are printed grouped by package), joined by newlines; '' when it has none.
 */
export function findingsOf(output: string, pkg: string): string {
  const lines = output.split('\n');
  const start = lines.indexOf(`  ${pkg}`);
  if (start < 0) return '';
  const block: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('    ')) break;
    block.push(line);
  }
  return block.join('\n');
}
