/**
 * The package specs of `install`/`update` (`left-pad`, `left-pad@^1`, `./fixture.tgz`): which name
 * a local tarball, which the sandbox cannot see unless it is uploaded. A local tarball must be
 * inside the project (the sandbox has the project and nothing else of the host); it is uploaded at
 * its place in the project and named to npm as `file:<path in the project>`, which is what npm
 * writes into package.json for it on the host. Local folders are refused (not uploaded yet).
 */
import { stat, readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { SafeInstallError, sanitizeText } from '@safe-install/schema';
import { MAX_MANIFEST_BYTES, safeRelativePath, type ProjectFile } from '@safe-install/sandbox';

export type SpecKind = { kind: 'registry' } | { kind: 'local'; path: string };

const TARBALL = /\.(tgz|tar\.gz|tar)$/i;
/** npm-package-arg's file specs: `.`, `~/`, `/`, `\`, a drive letter; or a `file:` URL; or a tarball name. */
const FILE_SPEC = /^(?:[.]|~[/]|[/\\]|[a-zA-Z]:)/;

/** What npm would read a spec as, as far as uploading goes: a local path, or anything else. */
export function specKind(spec: string): SpecKind {
  if (spec.startsWith('file:')) return { kind: 'local', path: spec.slice('file:'.length) };
  if (/^[a-z][a-z0-9+.-]*:/i.test(spec)) return { kind: 'registry' }; // a URL, git+…, npm: alias
  if (FILE_SPEC.test(spec) || (TARBALL.test(spec) && !spec.includes('@'))) return { kind: 'local', path: spec };
  return { kind: 'registry' };
}

const usage = (message: string, hint?: string) => new SafeInstallError('INSTALL_SPEC_INVALID', 'usage', message, hint ? { hint } : {});

/**
 * The specs as npm in the sandbox gets them, and the local tarballs to upload (relative to the
 * project). `cwd` is where relative paths on the command line start.
 */
export async function planSpecs(specs: readonly string[], options: { cwd: string; projectRoot: string; maxBytes?: number }): Promise<{ args: string[]; tarballs: ProjectFile[] }> {
  const args: string[] = [];
  const tarballs: ProjectFile[] = [];
  for (const spec of specs) {
    const shown = JSON.stringify(sanitizeText(spec, 200));
    if (spec === '' || spec.startsWith('-')) throw usage(`${shown} is not a package spec`);
    const kind = specKind(spec);
    if (kind.kind === 'registry') {
      // `name@./x`: a local path under another name; npm would read it from the host's disk.
      if (/^(@[^/@]+\/)?[^/@]+@(file:|[.~/\\])/.test(spec)) throw usage(`${shown}: a local path under an alias is not supported`, 'install the tarball by its path (`./x.tgz`)');
      args.push(spec);
      continue;
    }
    // `~/x.tgz` is the home folder, never inside the project.
    const absolute = kind.path.startsWith('~') ? null : resolve(options.cwd, kind.path);
    const inProject = absolute === null ? null : relative(options.projectRoot, absolute);
    const path = inProject === null || isAbsolute(inProject) ? null : safeRelativePath(inProject.split(sep).join('/'));
    if (absolute === null || path === null) {
      throw usage(`${shown} is outside the project: the sandbox has only the project's files`, 'copy or pack it into the project folder, then install it from there');
    }
    const info = await stat(absolute).catch(() => null);
    if (info === null) throw usage(`${shown}: no such file`);
    if (info.isDirectory()) throw usage(`${shown} is a folder: installing a local folder is not supported yet`, 'pack it with `npm pack` into the project and install the tarball');
    if (!info.isFile() || !TARBALL.test(path)) throw usage(`${shown} is not a package tarball (.tgz, .tar.gz or .tar)`);
    const maxBytes = options.maxBytes ?? MAX_MANIFEST_BYTES;
    if (info.size > maxBytes) throw usage(`${shown} is larger than ${maxBytes} bytes`);
    tarballs.push({ path, content: await readFile(absolute), mode: 0o644 });
    args.push(`file:${path}`);
  }
  return { args, tarballs };
}
