/**
 * What a pnpm install job (`install`, `update`) brings back: package.json, pnpm-lock.yaml and — when
 * pnpm rewrote it — pnpm-workspace.yaml, checked as returned-project.ts says (hostile input): each
 * at most MAX_MANIFEST_BYTES (the workspace file: MAX_WORKSPACE_BYTES), pnpm-workspace.yaml a
 * mapping without aliases, and the lockfile must pass the same check as a project's own
 * (`checkPnpmLockfile`) and the same refusals (`refuseUnsupported`).
 */
import { checkPnpmLockfile, type Project } from '@safe-install/sandbox';
import { MAX_WORKSPACE_BYTES, parseWorkspaceYaml } from './pnpm-builds.js';
import { returnedProjectWith } from './returned-project.js';
// A cycle with pnpm.ts, used only at call time.
import { pnpmVersionOf, refuseUnsupported } from './pnpm.js';

/** The files besides package.json and the lockfile that may come back from a pnpm install job. */
export const PNPM_RETURNED_FILES = ['pnpm-workspace.yaml'] as const;

const LOCKFILE = 'pnpm-lock.yaml';

/** The project as the pnpm job left it (its own files where none came back). Throws EXPORT_REJECTED. */
export function returnedPnpmProject(project: Project, tree: string, options: { maxBytes?: number } = {}): Promise<Project> {
  return returnedProjectWith(project, tree, {
    lockfile: LOCKFILE,
    others: [{ path: 'pnpm-workspace.yaml', maxBytes: MAX_WORKSPACE_BYTES, check: (content) => void parseWorkspaceYaml(content) }],
    checkLockfile: (manifest, content, manifestOf) => checkPnpmLockfile(manifest, content, LOCKFILE, manifestOf),
    refuse: (returned) => {
      refuseUnsupported(returned);
      pnpmVersionOf(returned.manifest);
    },
  }, options);
}
