/** `safe-install image build|show`: the sandbox image, built locally from docker/ and the tracer. */
import { DEFAULT_BASE_IMAGE, buildSandboxImage, connectEngine, resolveSandboxImage } from '@safe-install/sandbox';
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

export async function imageShow(options: { base?: string | undefined }): Promise<number> {
  const { docker } = await connectEngine();
  const image = await resolveSandboxImage(docker, options.base ?? DEFAULT_BASE_IMAGE);
  process.stdout.write(`${image.tag} ${image.present ? 'present' : 'not built'} (base ${image.base})\n`);
  return image.present ? EXIT.pass : EXIT.infrastructure;
}
