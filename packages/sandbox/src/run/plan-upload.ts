/**
 * What goes into the sandbox's HOME for one run: the project's files, a decoy HOME (credentials,
 * keys, CI files), decoy versions of the project's `.env*` files, and decoy tokens in place of the
 * project `.npmrc`'s credentials. Pure apart from the decoys' randomness.
 *
 * The decoy index — every planted value and path — stays on the host.
 */
import type { DecoyIndex, DecoyValue } from '@safe-install/schema';
import { decoyEnvFile, generateDecoys, npmToken, cryptoRandom, type RandomSource, type SshKeyMaterial } from '../decoys/index.js';
import type { Project } from '../project/read-project.js';
import { gitStandInFiles } from '../project/git-stand-in.js';
import type { ArchiveFile } from '../transfer/pack-files.js';

export interface UploadPlan {
  /** Paths relative to the install user's HOME. */
  files: ArchiveFile[];
  /** Modes of directories that must not be 0755 (`.ssh`, `.aws`, ...). */
  directoryModes: Map<string, number>;
  env: Record<string, string>;
  hostname: string;
  decoys: DecoyIndex;
}

export interface PlanOptions {
  home: string;
  /** The project folder inside the sandbox, relative to HOME. */
  projectDir: string;
  /** The registry whose host the decoy `.npmrc` token is scoped to (from npm's config). */
  registry: string;
  /** Lines appended to the install user's ~/.npmrc (registries pointed at the gateway). */
  npmrc?: readonly string[];
  random?: RandomSource;
  /** An RSA decoy key made ahead, off the event loop (see `rsaMaterialAsync`). */
  rsaKey?: SshKeyMaterial;
}

export function planUpload(project: Project, options: PlanOptions): UploadPlan {
  const random = options.random ?? cryptoRandom;
  const decoys = generateDecoys({ home: options.home, user: 'node', registryHost: options.registry, workspace: `${options.home}/${options.projectDir}`, random, ...(options.rsaKey ? { rsaKey: options.rsaKey } : {}) });
  const values: DecoyValue[] = [...decoys.index.values];
  const files: ArchiveFile[] = [];
  const directoryModes = new Map<string, number>();
  const homePrefix = `${options.home}/`;

  for (const file of decoys.files) {
    const path = file.path.slice(homePrefix.length);
    const content = path === '.npmrc' && options.npmrc?.length ? `${file.content.replace(/\n*$/, '\n')}${options.npmrc.join('\n')}\n` : file.content;
    files.push({ path, content, mode: file.mode });
    // Private material lives in private folders, as ssh and the cloud CLIs make them.
    if (file.mode === 0o600) directoryModes.set(path.split('/').slice(0, -1).join('/'), 0o700);
  }
  directoryModes.delete('');

  const inProject = (path: string) => `${options.projectDir}/${path}`;
  // Every uploaded .npmrc lost its credential lines on reading; decoys go in their place, so a
  // script that reads one finds what it expects, and the read can be recognised.
  const credentialsAt = new Map(project.npmrcFiles.filter((npmrc) => npmrc.credentials.length > 0).map((npmrc) => [npmrc.path, npmrc.credentials]));
  for (const file of project.files) {
    const credentials = credentialsAt.get(file.path);
    if (credentials) {
      const plantedAt = `${options.home}/${inProject(file.path)}`;
      const lines = credentials.map((key) => {
        const token = npmToken(random);
        values.push({ kind: 'npm-token', value: token, plantedAt: [plantedAt] });
        return `${key}=${token}`;
      });
      const kept = file.content.toString('utf8').replace(/\n*$/, '\n');
      files.push({ ...file, path: inProject(file.path), content: `${kept === '\n' ? '' : kept}${lines.join('\n')}\n` });
      continue;
    }
    files.push({ ...file, path: inProject(file.path) });
  }
  if (project.git) {
    // Scripts ask git what they build, hook installers need a repository; the real .git, with its
    // history and credentials, stays on the host (see git-stand-in).
    for (const file of gitStandInFiles(project.git)) files.push({ ...file, path: inProject(file.path) });
  }
  const decoyFiles = [...decoys.index.files];
  for (const envFile of project.envFiles) {
    const plantedAt = `${options.home}/${inProject(envFile.path)}`;
    const decoy = decoyEnvFile(envFile.content.toString('utf8'), random, plantedAt);
    files.push({ path: inProject(envFile.path), content: decoy.content, mode: 0o644 });
    values.push(...decoy.values);
    decoyFiles.push({ path: plantedAt, kind: 'env-file-value' });
  }
  return { files, directoryModes, env: decoys.env, hostname: decoys.hostname, decoys: { values, files: decoyFiles } };
}
