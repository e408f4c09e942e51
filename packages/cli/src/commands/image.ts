/**
 * `safe-install setup`, `image build|show|prune`: the sandbox image, built locally from docker/ and
 * the runner on a base image (the official Node image where a registry is reachable, else debootstrap).
 */
import {
  DEFAULT_BASE_IMAGE,
  buildSandboxImage,
  connectEngine,
  ensureBaseImage,
  imageCacheKey,
  pruneSandboxImages,
  resolveSandboxImage,
  type BaseSource,
} from '@safe-install/sandbox';
import { EXIT } from '../exit-codes.js';
import type { Printer } from '../output.js';

export async function imageBuild(options: { base?: string | undefined; printer: Printer; verbose: boolean }): Promise<number> {
  const { docker } = await connectEngine();
  const base = options.base ?? DEFAULT_BASE_IMAGE;
  options.printer.info(`building the sandbox image on ${base}`);
  const image = await buildSandboxImage(docker, {
    base,
    onLine: (line) => (options.verbose ? options.printer.sandbox(line) : undefined),
  });
  options.printer.info(image.built ? `built ${image.tag}` : `${image.tag} is up to date`);
  process.stdout.write(`${image.tag}\n`);
  return EXIT.pass;
}

/** Everything a run needs: the base image (reused when present), then the sandbox image on it. */
export async function setup(options: {
  base?: string | undefined;
  baseFrom: BaseSource;
  refreshBase: boolean;
  printer: Printer;
  verbose: boolean;
}): Promise<number> {
  const { docker } = await connectEngine();
  const onLine = (line: string) => (options.verbose ? options.printer.sandbox(line) : undefined);
  const { image: base, plan } = await ensureBaseImage(docker, { base: options.base, source: options.baseFrom, refresh: options.refreshBase, onLine });
  const how = {
    reuse: `base image ${base} is present`,
    pull: plan.action === 'pull' ? `pulled ${plan.image}${plan.tagAs ? ` as ${plan.tagAs}` : ''}` : '',
    debootstrap: `built ${base} with debootstrap`,
    fail: '',
  }[plan.action];
  options.printer.info(how);
  return imageBuild({ base, printer: options.printer, verbose: options.verbose });
}

export async function imageShow(options: { base?: string | undefined }): Promise<number> {
  const { docker } = await connectEngine();
  const image = await resolveSandboxImage(docker, options.base ?? DEFAULT_BASE_IMAGE);
  process.stdout.write(`${image.tag} ${image.present ? 'present' : 'not built'} (base ${image.base})\n`);
  return image.present ? EXIT.pass : EXIT.infrastructure;
}

/** Remove the sandbox images this version does not need; prints each removed (or, dry, removable) tag. */
export async function imagePrune(options: { base?: string | undefined; dryRun: boolean; printer: Printer }): Promise<number> {
  const { docker } = await connectEngine();
  const needed = await resolveSandboxImage(docker, options.base ?? DEFAULT_BASE_IMAGE);
  const result = await pruneSandboxImages(docker, { keep: [needed.tag], dryRun: options.dryRun });
  for (const tag of result.removed) process.stdout.write(`${options.dryRun ? 'would remove' : 'removed'} ${tag}\n`);
  for (const { tag, reason } of result.kept) options.printer.warn(`kept ${tag}: ${reason}`);
  options.printer.info(`${result.removed.length} image(s) ${options.dryRun ? 'to remove' : 'removed'}; kept ${needed.tag}${needed.present ? '' : ' (not built)'}`);
  return EXIT.pass;
}

/** A cache key for the built images: changes whenever `setup` would build something different. */
export async function imageKey(): Promise<number> {
  process.stdout.write(`${await imageCacheKey()}\n`);
  return EXIT.pass;
}
