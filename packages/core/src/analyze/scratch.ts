/**
 * The scratch project a package is analysed in: a folder on the host holding a package.json that
 * depends on the spec (a registry range, or `file:package.tgz` for a tarball or a packed folder).
 * It looks like any small app: nothing in it names the tool. The lockfile is made in the sandbox.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SafeInstallError } from '@safe-install/schema';
import { packFolder, readFolderManifest, readTarballManifest, type Project } from '@safe-install/sandbox';
import { isPackageName, type AnalysisSpec } from './specs.js';

export const SCRATCH_TARBALL = 'package.tgz';

export interface Scratch {
  dir: string;
  /** The dependency's key in package.json: the folder it installs to under node_modules. */
  dependency: string;
  manifest: Record<string, unknown>;
  /** The files to upload before a lockfile exists (package.json, and the tarball if any). */
  project: Project;
  remove(): Promise<void>;
}

/** The package.json of the scratch project. */
export function scratchManifest(dependency: string, range: string): Record<string, unknown> {
  return { name: 'app', version: '1.0.0', private: true, description: '', dependencies: { [dependency]: range } };
}

async function nameOf(manifest: Record<string, unknown>, where: string): Promise<string> {
  const name = manifest['name'];
  if (typeof name !== 'string' || !isPackageName(name)) throw new SafeInstallError('ANALYZE_PACKAGE_INVALID', 'usage', `${where}: package.json has no valid package name`);
  return name;
}

/** Make the scratch project for `spec` (paths relative to `cwd`). */
export async function makeScratch(spec: AnalysisSpec, cwd: string): Promise<Scratch> {
  const dir = await mkdtemp(join(tmpdir(), 'safe-install-analyze-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    let dependency: string;
    let range: string;
    let tarball: Buffer | null = null;
    if (spec.kind === 'registry') {
      dependency = spec.name;
      range = spec.range;
    } else {
      const path = resolve(cwd, spec.path);
      if (spec.kind === 'tarball') {
        dependency = await nameOf(await readTarballManifest(path), spec.spec);
        await copyFile(path, join(dir, SCRATCH_TARBALL));
      } else {
        dependency = await nameOf(await readFolderManifest(path), spec.spec);
        tarball = await packFolder(path);
        await writeFile(join(dir, SCRATCH_TARBALL), tarball);
      }
      range = `file:${SCRATCH_TARBALL}`;
    }
    const manifest = scratchManifest(dependency, range);
    const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
    await writeFile(join(dir, 'package.json'), manifestText);
    const files: Project['files'] = [{ path: 'package.json', content: Buffer.from(manifestText), mode: 0o644 }];
    if (spec.kind !== 'registry') {
      files.push({ path: SCRATCH_TARBALL, content: tarball ?? (await readFile(join(dir, SCRATCH_TARBALL))), mode: 0o644 });
    }
    // Before the lockfile exists: only what the upload plan reads of a project.
    const project: Project = {
      root: dir,
      manifest,
      lockfileName: 'package-lock.json',
      lockfile: { lockfileVersion: 3, workspaces: [], tarballs: [], packages: 0, identities: { byPath: new Map(), bins: new Map() }, locked: [] },
      files,
      envFiles: [],
      rootScripts: [],
      git: null,
      npmrcFiles: [],
    };
    return { dir, dependency, manifest, project, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
