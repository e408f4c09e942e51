/**
 * Shared pieces of the install jobs (`install`, `update`) of managers with their own steps (pnpm,
 * Yarn): the step that clears what a resolve left in node_modules, and the check of what came back.
 *
 * What an install job (`install`, `update`) of a manager with its own lockfile reader (pnpm, Yarn)
 * brings back: package.json, the lockfile and any other root file the resolve may rewrite. They were
 * written inside the sandbox, where install code ran: hostile input like the rest of the export.
 * Each must be a regular file (never a symlink) within its size bound, package.json a JSON object,
 * each other file must pass its manager's check, and the lockfile the same check as a project's own
 * (`checkLockfile`: parsed by the tracer's reader, no folder or tarball outside the project), then
 * the manager's refusals of the project as a whole (the same ones as before a run). Anything else
 * is EXPORT_REJECTED: the staged tree is dropped and the project left as it was.
 */
import { sanitizeText, type JobStep } from '@safe-install/schema';
import { MAX_MANIFEST_BYTES, refusedExport, returnedJsonObject, stagedFile, type LockfileReader, type Project, type ProjectFile } from '@safe-install/sandbox';

export interface ReturnedFiles {
  lockfileName: string;
  /** The manager's lockfile reader: its check, in sync, against the returned root manifest. */
  reader: Pick<LockfileReader, 'check'>;
  /** Other root files the resolve may rewrite, each with its bound and check (throws when unusable). */
  others?: ReadonlyArray<{ path: string; maxBytes: number; check(content: Buffer): void }>;
  /** The manager's refusals of the project as it came back (throws when refused). */
  refuse(returned: Project): void;
}

/** The project as the install job left it (its own files where none came back). Throws EXPORT_REJECTED. */
export async function returnedProjectWith(project: Project, tree: string, spec: ReturnedFiles, options: { maxBytes?: number } = {}): Promise<Project> {
  const own = (path: string) => project.files.find((file) => file.path === path)?.content ?? null;
  const maxBytes = options.maxBytes ?? MAX_MANIFEST_BYTES;
  const others = spec.others ?? [];
  const manifestBytes = (await stagedFile(tree, 'package.json', maxBytes)) ?? own('package.json');
  const lockBytes = (await stagedFile(tree, spec.lockfileName, maxBytes)) ?? own(spec.lockfileName);
  const otherBytes: Array<{ other: (typeof others)[number]; content: Buffer | null }> = [];
  for (const other of others) otherBytes.push({ other, content: (await stagedFile(tree, other.path, other.maxBytes)) ?? own(other.path) });
  if (manifestBytes === null) throw refusedExport('no package.json came back');
  if (lockBytes === null) throw refusedExport(`no ${spec.lockfileName} came back`);
  const manifest = returnedJsonObject(manifestBytes, 'package.json');
  const replaced = new Set(['package.json', spec.lockfileName, ...others.map((other) => other.path)]);
  const files: ProjectFile[] = [
    { path: 'package.json', content: manifestBytes, mode: 0o644 },
    { path: spec.lockfileName, content: lockBytes, mode: 0o644 },
    ...otherBytes.flatMap(({ other, content }) => (content === null ? [] : [{ path: other.path, content, mode: 0o644 }])),
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
    for (const { other, content } of otherBytes) if (content !== null) other.check(content);
    const lockfile = await spec.reader.check(manifest, lockBytes, spec.lockfileName, manifestOf, { inSync: true });
    const returned: Project = { ...project, manifest, lockfileName: spec.lockfileName, lockfile, files };
    spec.refuse(returned);
    return returned;
  } catch (error) {
    throw refusedExport(`the files that came back: ${sanitizeText((error as Error).message, 500)}`);
  }
}

/** The clean step's program: remove the folders named (relative to the project; no install code has run yet). */
const CLEAR_FOLDERS = "for (const d of process.argv.slice(1)) require('fs').rmSync(d, { recursive: true, force: true })";

/**
 * A step that removes the node_modules folders of the root and of `folders` (the workspaces) after
 * a resolve filled them without running install code: the frozen install after it must lay out and
 * build every package itself, or it takes them as done and runs none of their scripts.
 */
export function clearModulesStep(folders: readonly string[] = []): JobStep {
  const modules = ['node_modules', ...folders.map((folder) => `${folder}/node_modules`)];
  return { phase: 'clean', command: ['node', '-e', CLEAR_FOLDERS, ...modules], trace: 'none', attribution: 'lockfile', export: 'none' };
}
