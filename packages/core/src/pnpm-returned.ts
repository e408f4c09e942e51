/**
 * What a pnpm install job (`install`, `update`) brings back: package.json, pnpm-lock.yaml and — when
 * pnpm rewrote it — pnpm-workspace.yaml. They were written inside the sandbox, where install code
 * ran: hostile input like the rest of the export. Each must be a regular file (never a symlink) of
 * at most MAX_MANIFEST_BYTES (the workspace file: MAX_WORKSPACE_BYTES); package.json a JSON object,
 * pnpm-workspace.yaml a mapping without aliases, and the lockfile must pass the same check as a
 * project's own (`checkPnpmLockfile`: parsed by the tracer's reader, in sync with every importer's
 * package.json, no folder or tarball outside the project) and the same refusals (`refuseUnsupported`).
 */
import { MAX_MANIFEST_BYTES, PNPM_LOCKFILE, type Project } from '@safe-install/sandbox';
import { MAX_WORKSPACE_BYTES, parseWorkspaceYaml } from './pnpm-builds.js';
import { returnedProjectWith } from './lockfile-jobs.js';
// A cycle with pnpm.ts, used only at call time.
import { pnpmVersionOf, refuseUnsupported } from './pnpm.js';

/** The files besides package.json and the lockfile that may come back from a pnpm install job. */
export const PNPM_RETURNED_FILES = ['pnpm-workspace.yaml'] as const;

/** The project as the pnpm job left it (its own files where none came back). Throws EXPORT_REJECTED. */
export function returnedPnpmProject(project: Project, tree: string, options: { maxBytes?: number } = {}): Promise<Project> {
  return returnedProjectWith(project, tree, {
    lockfileName: 'pnpm-lock.yaml',
    reader: PNPM_LOCKFILE,
    others: [{ path: 'pnpm-workspace.yaml', maxBytes: MAX_WORKSPACE_BYTES, check: (content) => void parseWorkspaceYaml(content) }],
    refuse: (returned) => {
      refuseUnsupported(returned);
      pnpmVersionOf(returned.manifest);
    },
  }, { maxBytes: options.maxBytes ?? MAX_MANIFEST_BYTES });
}
