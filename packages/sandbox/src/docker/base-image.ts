/**
 * The base image under the sandbox image: Node.js ≥ 20 with npm, strace and a build toolchain.
 * Where a container registry is reachable it is the official Node image of the host's major version
 * (same major, same native-addon ABI as the host that will load the exported node_modules); where
 * none is, it is the debootstrap recipe (base/build-base-image.sh), which copies the host's Node in.
 * Either way it is tagged DEFAULT_BASE_IMAGE, so every other command finds it without a flag.
 *
 * `planBase` decides (pure, unit-tested); `ensureBaseImage` asks the engine and carries the plan out.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { SafeInstallError } from '@safe-install/schema';
import { DEFAULT_BASE_IMAGE, baseRecipeDir } from './image.js';

export type BaseSource = 'auto' | 'registry' | 'debootstrap';

export type BasePlan =
  | { action: 'reuse'; image: string }
  | { action: 'pull'; image: string; tagAs: string | null }
  | { action: 'debootstrap'; tagAs: string }
  | { action: 'fail'; message: string; hint: string };

export interface BaseFacts {
  /** The base asked for (`--base`), or DEFAULT_BASE_IMAGE. */
  requested: string;
  /** Whether `requested` is already in the engine. */
  present: boolean;
  /** `auto` decides by `registryReachable`; the others force one way. */
  source: BaseSource;
  /** Rebuild or re-pull the default base even though it is present. */
  refresh: boolean;
  /** null when not checked (a decision that does not need it). */
  registryReachable: boolean | null;
  /** The host's Node.js version (process.versions.node). */
  nodeVersion: string;
}

/** The official image of the host's Node.js major version, on the Debian release the recipe uses. */
export function officialNodeImage(nodeVersion: string): string {
  return `node:${nodeVersion.split('.')[0]}-bookworm`;
}

/** Whether the plan needs to know if a registry is reachable (so the caller asks only then). */
export function needsRegistryCheck(facts: Omit<BaseFacts, 'registryReachable'>): boolean {
  if (facts.present && !facts.refresh) return false;
  return facts.source === 'auto';
}

export function planBase(facts: BaseFacts): BasePlan {
  const isDefault = facts.requested === DEFAULT_BASE_IMAGE;
  if (facts.present && !(facts.refresh && isDefault)) return { action: 'reuse', image: facts.requested };
  const major = Number(facts.nodeVersion.split('.')[0]);
  if (!(major >= 20)) {
    return { action: 'fail', message: `the host's Node.js is ${facts.nodeVersion}; the sandbox needs >= 20`, hint: 'install Node.js 20 or newer' };
  }
  const registry = facts.source === 'registry' || (facts.source === 'auto' && facts.registryReachable === true);
  if (!isDefault) {
    // Another image was named: only a registry can provide it; safe-install builds only its own.
    if (facts.source === 'debootstrap') {
      return { action: 'fail', message: `--base ${facts.requested} cannot be made with debootstrap`, hint: `leave out --base to build ${DEFAULT_BASE_IMAGE}` };
    }
    if (!registry) {
      return {
        action: 'fail',
        message: `the base image ${facts.requested} is not present and no container registry is reachable`,
        hint: `load it with \`docker load\`, or leave out --base to build ${DEFAULT_BASE_IMAGE} with debootstrap`,
      };
    }
    return { action: 'pull', image: facts.requested, tagAs: null };
  }
  if (registry) return { action: 'pull', image: officialNodeImage(facts.nodeVersion), tagAs: DEFAULT_BASE_IMAGE };
  return { action: 'debootstrap', tagAs: DEFAULT_BASE_IMAGE };
}

async function present(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw error;
  }
}

/** Asks the engine's registry for the image's manifest: no download, and an answer in seconds. */
export async function registryReachable(docker: Docker, image: string, timeoutMs = 20_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  const probe = docker
    .getImage(image)
    .distribution()
    .then(
      () => true,
      () => false,
    );
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function splitRef(ref: string): { repo: string; tag: string } {
  const at = ref.lastIndexOf(':');
  return at > ref.lastIndexOf('/') ? { repo: ref.slice(0, at), tag: ref.slice(at + 1) } : { repo: ref, tag: 'latest' };
}

async function pull(docker: Docker, image: string, onLine: (line: string) => void): Promise<void> {
  const stream = await docker.pull(image);
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(
      stream,
      (error: Error | null) =>
        error ? reject(new SafeInstallError('IMAGE_BUILD_FAILED', 'infrastructure', `pulling ${image} failed: ${error.message}`)) : resolve(),
      (event: { status?: string; id?: string }) => event.status && !event.id && onLine(event.status),
    ),
  );
}

/** Runs the debootstrap recipe (root, about a minute); it prints the tag it made on stdout. */
function debootstrap(onLine: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('bash', [join(baseRecipeDir, 'build-base-image.sh')], { maxBuffer: 1 << 20 }, (error, stdout) => {
      if (error) {
        reject(
          new SafeInstallError('IMAGE_BUILD_FAILED', 'infrastructure', `building the base image with debootstrap failed: ${error.message.split('\n')[0]}`, {
            hint: 'it needs root and a Debian mirror in /etc/apt/sources.list*; where a container registry is reachable, `safe-install setup --base-from registry`',
          }),
        );
      } else resolve(stdout.trim().split('\n').pop() ?? '');
    });
    child.stderr?.on('data', (chunk: Buffer) => chunk.toString('utf8').split('\n').filter(Boolean).forEach(onLine));
  });
}

export interface EnsureBaseOptions {
  base?: string | undefined;
  source?: BaseSource;
  refresh?: boolean;
  onLine?: (line: string) => void;
}

/** Make sure the base image exists; returns the image the sandbox image is to be built on. */
export async function ensureBaseImage(docker: Docker, options: EnsureBaseOptions = {}): Promise<{ image: string; plan: BasePlan }> {
  const onLine = options.onLine ?? (() => undefined);
  const requested = options.base ?? DEFAULT_BASE_IMAGE;
  const facts = { requested, present: await present(docker, requested), source: options.source ?? 'auto', refresh: options.refresh ?? false, nodeVersion: process.versions.node };
  const probe = requested === DEFAULT_BASE_IMAGE ? officialNodeImage(facts.nodeVersion) : requested;
  const plan = planBase({ ...facts, registryReachable: needsRegistryCheck(facts) ? await registryReachable(docker, probe) : null });
  switch (plan.action) {
    case 'reuse':
      return { image: plan.image, plan };
    case 'fail':
      throw new SafeInstallError('IMAGE_MISSING', 'infrastructure', plan.message, { hint: plan.hint });
    case 'pull': {
      await pull(docker, plan.image, onLine);
      if (plan.tagAs) await docker.getImage(plan.image).tag(splitRef(plan.tagAs));
      return { image: plan.tagAs ?? plan.image, plan };
    }
    case 'debootstrap': {
      const tag = await debootstrap(onLine);
      await docker.getImage(tag).tag(splitRef(plan.tagAs));
      return { image: plan.tagAs, plan };
    }
  }
}
