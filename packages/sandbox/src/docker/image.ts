/**
 * The sandbox image: `docker/` plus the tracer's compiled code, built on a base image. Its tag is a
 * hash of everything that goes into it (the build context and the base image's id), so a changed
 * Dockerfile, tracer or base yields a new tag and a stale image is never used.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { SafeInstallError } from '@safe-install/schema';
import { packFiles, type ArchiveFile } from '../transfer/pack-files.js';
import { LABEL_TOOL, TOOL_VERSION } from './labels.js';

export const SANDBOX_REPOSITORY = 'safe-install-sandbox';
/** Tagged by scripts/build-base-image.sh; users with a registry pass e.g. `node:22-bookworm`. */
export const DEFAULT_BASE_IMAGE = 'safe-install-base:latest';

const dockerDir = fileURLToPath(new URL('../../../../docker/', import.meta.url));

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name)).sort();
}

/** The build context: docker/ as is, and the tracer's runtime files under `tracer/`. */
export async function sandboxBuildContext(): Promise<ArchiveFile[]> {
  const files: ArchiveFile[] = [];
  for (const path of await listFiles(dockerDir)) {
    const name = relative(dockerDir, path);
    files.push({ path: name, content: await readFile(path), mode: name === 'npm-lifecycle' ? 0o755 : 0o644 });
  }
  const tracerDist = join(dirname(createRequire(import.meta.url).resolve('@safe-install/tracer/package.json')), 'dist');
  for (const path of await listFiles(tracerDist)) {
    if (!path.endsWith('.js') || path.endsWith('.test.js') || path.includes('/fixtures/')) continue;
    files.push({ path: `tracer/${relative(tracerDist, path)}`, content: await readFile(path) });
  }
  // A package.json so Node treats the tracer's .js files as ES modules.
  files.push({ path: 'tracer/package.json', content: '{"type":"module"}\n' });
  return files;
}

export function contextHash(files: readonly ArchiveFile[], baseId: string): string {
  const hash = createHash('sha256').update(`base ${baseId}\n`);
  for (const file of files) hash.update(`${file.path}\n${file.mode ?? 0o644}\n`).update(file.content).update('\n');
  return hash.digest('hex').slice(0, 16);
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
    hint: 'build it with `sudo bash scripts/setup.sh` (no registry needed), or pass --base node:22-bookworm where a registry is reachable',
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
    labels: { [LABEL_TOOL]: 'safe-install', 'dev.safe-install.version': TOOL_VERSION },
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
