/** Build the tar stream that `putArchive` uploads into the sandbox. */
import type { Readable } from 'node:stream';
import { pack } from 'tar-stream';

export interface ArchiveFile {
  /** Relative path inside the archive. */
  path: string;
  content: Buffer | string;
  mode?: number;
  /** A directory entry (content ignored); files need none, their parents are added. */
  directory?: boolean;
}

/** Modes for directories that need more than the default 0755 (e.g. `.ssh` at 0700). */
export type DirectoryModes = ReadonlyMap<string, number>;

export interface PackOptions {
  /** Owner inside the container (the unprivileged install user). */
  uid: number;
  gid: number;
}

/**
 * A tar stream of the given files, with their parent directories, owned by `uid:gid`. The
 * timestamp is fixed so the same input gives the same archive.
 */
// tar-stream 3 is built on streamx, whose streams work with Node stream APIs but are typed apart.
export function packFiles(files: readonly ArchiveFile[], { uid, gid }: PackOptions, directoryModes: DirectoryModes = new Map()): Readable {
  const archive = pack();
  const mtime = new Date(0);
  const dirs = new Set<string>();
  for (const file of files) {
    const parts = file.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      archive.entry({ name: `${dir}/`, type: 'directory', mode: directoryModes.get(dir) ?? 0o755, uid, gid, mtime });
    }
    if (file.directory) {
      if (!dirs.has(file.path)) archive.entry({ name: `${file.path}/`, type: 'directory', mode: file.mode ?? 0o755, uid, gid, mtime });
      dirs.add(file.path);
      continue;
    }
    archive.entry({ name: file.path, mode: file.mode ?? 0o644, uid, gid, mtime }, file.content);
  }
  archive.finalize();
  return archive as unknown as Readable;
}
