/**
 * What a pnpm install job (`install`, `update`) brings back: package.json, pnpm-lock.yaml and — when
 * pnpm rewrote it — pnpm-workspace.yaml. They were written inside the sandbox, where install code
 * ran: hostile input like the rest of the export. Each must be a regular file (never a symlink) of
 * at most MAX_MANIFEST_BYTES (the workspace file: MAX_WORKSPACE_BYTES); package.json a JSON object,
 * pnpm-workspace.yaml a mapping without aliases, and the lockfile must pass the same check as a
 * project's own (`checkPnpmLockfile`: parsed by the tracer's reader, in sync with every importer's
 * package.json, no folder or tarball outside the project) and the same refusals (`refuseUnsupported`).
 */
import { sanitizeText } from '@safe-install/schema';
import { checkPnpmLockfile, MAX_MANIFEST_BYTES, refusedExport, returnedJsonObject, stagedFile, type Project, type ProjectFile } from '@safe-install/sandbox';
import { MAX_WORKSPACE_BYTES, parseWorkspaceYaml, pnpmMajor } from './pnpm-builds.js';
// A cycle with pnpm.ts, used only at call time.
import { pnpmVersionOf, refuseUnsupported } from './pnpm.js';

/** The files besides package.json and the lockfile that may come back from a pnpm install job. */
export const PNPM_RETURNED_FILES = ['pnpm-workspace.yaml'] as const;

const LOCKFILE = 'pnpm-lock.yaml';
const WORKSPACE = 'pnpm-workspace.yaml';

/** The project as the pnpm job left it (its own files where none came back). Throws EXPORT_REJECTED. */
export async function returnedPnpmProject(project: Project, tree: string, options: { maxBytes?: number } = {}): Promise<Project> {
  const own = (path: string) => project.files.find((file) => file.path === path)?.content ?? null;
  const maxBytes = options.maxBytes ?? MAX_MANIFEST_BYTES;
  const manifestBytes = (await stagedFile(tree, 'package.json', maxBytes)) ?? own('package.json');
  const lockBytes = (await stagedFile(tree, LOCKFILE, maxBytes)) ?? own(LOCKFILE);
  const workspaceBytes = (await stagedFile(tree, WORKSPACE, MAX_WORKSPACE_BYTES)) ?? own(WORKSPACE);
  if (manifestBytes === null) throw refusedExport('no package.json came back');
  if (lockBytes === null) throw refusedExport(`no ${LOCKFILE} came back`);
  const manifest = returnedJsonObject(manifestBytes, 'package.json');
  const files: ProjectFile[] = [
    { path: 'package.json', content: manifestBytes, mode: 0o644 },
    { path: LOCKFILE, content: lockBytes, mode: 0o644 },
    ...(workspaceBytes === null ? [] : [{ path: WORKSPACE, content: workspaceBytes, mode: 0o644 }]),
    ...project.files.filter((file) => file.path !== 'package.json' && file.path !== LOCKFILE && file.path !== WORKSPACE),
  ];
  // The workspaces' own manifests are the uploaded ones: the job changes only the root's.
  const manifestOf = async (folder: string): Promise<unknown> => {
    const bytes = own(`${folder}/package.json`);
    if (bytes === null) return null;
    try {
      return JSON.parse(bytes.toString('utf8')) as unknown;
    } catch {
      return null;
    }
  };
  try {
    if (workspaceBytes !== null) parseWorkspaceYaml(workspaceBytes);
    const lockfile = await checkPnpmLockfile(manifest, lockBytes, LOCKFILE, manifestOf);
    const returned: Project = { ...project, manifest, lockfileName: LOCKFILE, lockfile, files };
    refuseUnsupported(returned, pnpmMajor(pnpmVersionOf(manifest).version));
    return returned;
  } catch (error) {
    throw refusedExport(`the files that came back: ${sanitizeText((error as Error).message, 500)}`);
  }
}
