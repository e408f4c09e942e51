/**
 * The sandbox image: `docker/` plus the tracer's compiled code, built on a base image. Its tag is a
 * hash of everything that goes into it (the build context and the base image's id), so a changed
 * Dockerfile, tracer or base yields a new tag and a stale image is never used.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { SafeInstallError } from '@safe-install/schema';
import { packFiles, type ArchiveFile } from '../transfer/pack-files.js';
import { LABEL_TOOL, LABEL_VERSION, TOOL_VERSION } from './labels.js';

export const SANDBOX_REPOSITORY = 'safe-install-sandbox';
/** Tagged by `safe-install setup` (and scripts/bootstrap.sh); users with a registry may pass e.g. `node:22-bookworm`. */
export const DEFAULT_BASE_IMAGE = 'safe-install-base:latest';

const packageDir = fileURLToPath(new URL('../../', import.meta.url));
/** The package's src/ sits beside dist/ only in the repository; a packed package has none. */
const inRepository = existsSync(join(packageDir, 'src'));
/**
 * The Dockerfile context. In the repository it is the root's docker/, the one that is edited; a
 * packed @safe-install/sandbox carries a copy as its own docker/ (its prepack script copies it in),
 * so an installed CLI builds the same image — with the same tag.
 */
export const dockerContextDir = inRepository ? join(packageDir, '../../docker') : join(packageDir, 'docker');
/** The debootstrap recipe of the base image (scripts/ in the repository, base/ in the package). */
export const baseRecipeDir = inRepository ? join(packageDir, '../../scripts') : join(packageDir, 'base');

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name)).sort();
}

/**
 * The packages the sandbox runs, laid out as node_modules so their imports resolve unchanged
 * (`yaml`: the tracer reads pnpm's lockfile with it).
 */
const RUNTIME_PACKAGES = ['@safe-install/schema', '@safe-install/tracer', '@safe-install/gateway', 'yaml'];

function isRuntimeFile(path: string): boolean {
  return path.endsWith('.js') && !path.endsWith('.test.js') && !/\/(fixtures|test-support)\//.test(path);
}

async function packageFiles(name: string, from: string, into: string): Promise<ArchiveFile[]> {
  const packageJson = require.resolve(`${name}/package.json`, { paths: [from] });
  const dir = dirname(packageJson);
  // Only what Node's resolution reads: `pnpm pack` rewrites the rest (workspace: ranges), and the
  // image — and so its tag — must be the same from a checkout and from an installed package.
  const { name: realName, type, exports } = JSON.parse(await readFile(packageJson, 'utf8')) as Record<string, unknown>;
  const files: ArchiveFile[] = [{ path: `${into}/package.json`, content: Buffer.from(`${JSON.stringify({ name: realName, type, exports })}\n`) }];
  for (const path of await listFiles(join(dir, 'dist'))) {
    if (isRuntimeFile(path)) files.push({ path: `${into}/dist/${relative(join(dir, 'dist'), path)}`, content: await readFile(path) });
  }
  return files;
}

const require = createRequire(import.meta.url);

/**
 * The build context: docker/ as is, and under `lib/` the runner (the container's entry point) with
 * the packages it imports in a node_modules folder beside it.
 */
export async function sandboxBuildContext(): Promise<ArchiveFile[]> {
  const files: ArchiveFile[] = [];
  for (const path of await listFiles(dockerContextDir)) {
    const name = relative(dockerContextDir, path);
    // Modes are set by the Dockerfile (the helpers are compiled there, then made 0700/0711).
    files.push({ path: name, content: await readFile(path), mode: 0o644 });
  }
  const runnerDir = dirname(require.resolve('@safe-install/runner/package.json'));
  for (const path of await listFiles(join(runnerDir, 'dist'))) {
    if (isRuntimeFile(path)) files.push({ path: `lib/runner/${relative(join(runnerDir, 'dist'), path)}`, content: await readFile(path) });
  }
  // A package.json so Node treats the runner's .js files as ES modules.
  files.push({ path: 'lib/package.json', content: '{"type":"module"}\n' });
  for (const name of RUNTIME_PACKAGES) files.push(...(await packageFiles(name, runnerDir, `lib/node_modules/${name}`)));
  return files;
}

export function contextHash(files: readonly ArchiveFile[], baseId: string): string {
  const hash = createHash('sha256').update(`base ${baseId}\n`);
  for (const file of files) hash.update(`${file.path}\n${file.mode ?? 0o644}\n`).update(file.content).update('\n');
  return hash.digest('hex').slice(0, 16);
}

/**
 * A key for caching the built images (`docker save` of base and sandbox image) where they cannot
 * stay, as on CI runners: it changes with the build context, the host's Node major (the official
 * base's) and the architecture. The base's own id is unknown before a restore, so it is not in it.
 */
export async function imageCacheKey(): Promise<string> {
  const host = `node${process.versions.node.split('.')[0]}-${process.arch}`;
  return `safe-install-${TOOL_VERSION}-${host}-${contextHash(await sandboxBuildContext(), host)}`;
}

export interface SandboxImage {
  tag: string;
  base: string;
  present: boolean;
}

async function imageId(docker: Docker, ref: string): Promise<string | null> {
  try {
    return (await docker.getImage(ref).inspect()).Id;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return null;
    throw error;
  }
}

const missingBase = (base: string) =>
  new SafeInstallError('IMAGE_MISSING', 'infrastructure', `the sandbox base image ${base} is not present`, {
    hint: 'build it with `safe-install setup` (no container registry needed), or pass --base node:22-bookworm where a registry is reachable',
  });

/** Which tag the current code and base give, and whether it exists. */
export async function resolveSandboxImage(docker: Docker, base = DEFAULT_BASE_IMAGE): Promise<SandboxImage> {
  const baseId = await imageId(docker, base);
  if (baseId === null) throw missingBase(base);
  const tag = `${SANDBOX_REPOSITORY}:${contextHash(await sandboxBuildContext(), baseId)}`;
  return { tag, base, present: (await imageId(docker, tag)) !== null };
}

/** Resolve the image and fail with a clear hint when it has not been built. */
export async function requireSandboxImage(docker: Docker, base = DEFAULT_BASE_IMAGE): Promise<string> {
  const image = await resolveSandboxImage(docker, base);
  if (!image.present) {
    throw new SafeInstallError('IMAGE_MISSING', 'infrastructure', `the sandbox image ${image.tag} is not built`, {
      hint: 'build it with `safe-install image build`',
    });
  }
  return image.tag;
}

/** Build the sandbox image unless the same tag exists. `onLine` receives the build's output. */
export async function buildSandboxImage(
  docker: Docker,
  options: { base?: string; onLine?: (line: string) => void } = {},
): Promise<SandboxImage & { built: boolean }> {
  const base = options.base ?? DEFAULT_BASE_IMAGE;
  const image = await resolveSandboxImage(docker, base);
  if (image.present) return { ...image, built: false };
  const context = packFiles(await sandboxBuildContext(), { uid: 0, gid: 0 });
  const stream = await docker.buildImage(context as unknown as NodeJS.ReadableStream, {
    t: image.tag,
    buildargs: { BASE: base },
    labels: { [LABEL_TOOL]: 'safe-install', [LABEL_VERSION]: TOOL_VERSION },
    rm: true,
    forcerm: true,
  });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null, output: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
        const failed = error?.message ?? output.find((item) => item.error)?.error;
        if (failed) reject(new SafeInstallError('IMAGE_BUILD_FAILED', 'infrastructure', `building ${image.tag} failed: ${failed.trim()}`));
        else resolve();
      },
      (event: { stream?: string; status?: string }) => {
        const line = (event.stream ?? event.status ?? '').trimEnd();
        if (line) options.onLine?.(line);
      },
    );
  });
  return { ...image, present: true, built: true };
}
