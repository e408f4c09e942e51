/**
 * What an install job (`install`, `update`) of a manager with a lockfile of its own (pnpm, Bun)
 * brings back: package.json, the lockfile and the manager's other root files it may rewrite. They
 * were written inside the sandbox, where install code ran: hostile input like the rest of the
 * export. Each must be a regular file (never a symlink) within its bound; package.json a JSON
 * object; the lockfile must pass the same check as a project's own (the manager's: parsed by the
 * tracer's bounded reader, in sync with every workspace's package.json, no folder or tarball
 * outside the project), and the project the same refusals as before a run. Anything else refuses
 * the export (EXPORT_REJECTED): the project is left as it was.
 */
import { sanitizeText } from '@safe-install/schema';
import { MAX_MANIFEST_BYTES, refusedExport, returnedJsonObject, stagedFile, type LockfileSummary, type Project, type ProjectFile } from '@safe-install/sandbox';

export interface ReturnedFiles {
  /** The lockfile's name (at the project root). */
  lockfile: string;
  /** Other root files the resolve may rewrite, each with its bound and its check (throws when unusable). */
  others?: ReadonlyArray<{ path: string; maxBytes: number; check(content: Buffer): void }>;
  /** The manager's lockfile check against the returned manifest (`manifestOf`: a workspace's own package.json). */
  checkLockfile(manifest: Record<string, unknown>, content: Buffer, manifestOf: (folder: string) => Promise<unknown>): Promise<LockfileSummary> | LockfileSummary;
  /** The manager's refusals of a project it does not support (throws). */
  refuse?(returned: Project): void;
}

/** The project as the job left it (its own files where none came back). Throws EXPORT_REJECTED. */
export async function returnedProjectWith(project: Project, tree: string, spec: ReturnedFiles, options: { maxBytes?: number } = {}): Promise<Project> {
  const own = (path: string) => project.files.find((file) => file.path === path)?.content ?? null;
  const maxBytes = options.maxBytes ?? MAX_MANIFEST_BYTES;
  const manifestBytes = (await stagedFile(tree, 'package.json', maxBytes)) ?? own('package.json');
  const lockBytes = (await stagedFile(tree, spec.lockfile, maxBytes)) ?? own(spec.lockfile);
  const others: Array<{ path: string; content: Buffer; check(content: Buffer): void }> = [];
  for (const other of spec.others ?? []) {
    const content = (await stagedFile(tree, other.path, other.maxBytes)) ?? own(other.path);
    if (content !== null) others.push({ path: other.path, content, check: other.check });
  }
  if (manifestBytes === null) throw refusedExport('no package.json came back');
  if (lockBytes === null) throw refusedExport(`no ${spec.lockfile} came back`);
  const manifest = returnedJsonObject(manifestBytes, 'package.json');
  const replaced = new Set(['package.json', spec.lockfile, ...(spec.others ?? []).map((other) => other.path)]);
  const files: ProjectFile[] = [
    { path: 'package.json', content: manifestBytes, mode: 0o644 },
    { path: spec.lockfile, content: lockBytes, mode: 0o644 },
    ...others.map(({ path, content }) => ({ path, content, mode: 0o644 })),
    ...project.files.filter((file) => !replaced.has(file.path)),
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
    for (const other of others) other.check(other.content);
    const lockfile = await spec.checkLockfile(manifest, lockBytes, manifestOf);
    const returned: Project = { ...project, manifest, lockfileName: spec.lockfile, lockfile, files };
    spec.refuse?.(returned);
    return returned;
  } catch (error) {
    throw refusedExport(`the files that came back: ${sanitizeText((error as Error).message, 500)}`);
  }
}
