/**
 * A stand-in for the project's `.git`. The real one never enters the sandbox: its history, its
 * remotes and their credentials, its hooks and config are the host's. But install scripts ask git
 * what they are building (`git rev-parse HEAD`, `git describe --tags`, `git branch --show-current`),
 * and hook installers (husky, lefthook) need a repository to write into. The stand-in answers those
 * as the host's repository would: the same HEAD commit (its object, nothing it points to), the same
 * branch, the tags on that commit, and a `shallow` file so git never looks for the parents.
 *
 * Reading runs git on the host (read-only plumbing commands); building the files is pure.
 */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deflateSync } from 'node:zlib';

export interface GitObject {
  oid: string;
  type: 'commit' | 'tag';
  /** The object's raw content, as `git cat-file <type> <oid>` prints it. */
  content: Buffer;
}

export interface GitStandIn {
  /** `sha1` or `sha256`, as the host's repository uses. */
  objectFormat: 'sha1' | 'sha256';
  /** The HEAD commit; null in a repository with no commit yet. */
  head: string | null;
  /** The checked-out branch; null when HEAD is detached. */
  branch: string | null;
  /** Tags on the HEAD commit: name and the object the ref names (a tag object when annotated). */
  tags: Array<{ name: string; oid: string }>;
  objects: GitObject[];
}

const run = promisify(execFile);

/** A ref name as git allows it, and nothing that could leave `refs/` as a path. */
function safeRefName(name: string): boolean {
  return /^[A-Za-z0-9._\-/+@]{1,200}$/.test(name) && !name.split('/').some((part) => part === '' || part === '.' || part === '..' || part.startsWith('.') || part.endsWith('.lock'));
}

/** The stand-in for the repository at `root`, or null when `root/.git` does not exist. */
export async function readGitStandIn(root: string): Promise<GitStandIn | null> {
  if ((await stat(join(root, '.git')).catch(() => null)) === null) return null;
  // GIT_* variables of the caller (GIT_DIR, GIT_WORK_TREE) must not point git elsewhere.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GIT_')));
  const git = async (args: string[], encoding: 'utf8' | 'buffer' = 'utf8'): Promise<string | Buffer | null> => {
    try {
      const { stdout } = await run('git', ['-C', root, '--no-optional-locks', ...args], { env: { ...env, GIT_CONFIG_NOSYSTEM: '1' }, encoding, maxBuffer: 16 * 1024 * 1024 });
      return stdout;
    } catch {
      return null;
    }
  };
  const text = async (args: string[]) => ((await git(args)) as string | null)?.trim() ?? null;
  const format = await text(['rev-parse', '--show-object-format']);
  const objectFormat = format === 'sha256' ? 'sha256' : 'sha1';
  const oidPattern = objectFormat === 'sha256' ? /^[0-9a-f]{64}$/ : /^[0-9a-f]{40}$/;
  const head = await text(['rev-parse', '--verify', '-q', 'HEAD^{commit}']);
  const branchName = await text(['symbolic-ref', '-q', '--short', 'HEAD']);
  const branch = branchName !== null && safeRefName(branchName) ? branchName : null;
  if (head === null || !oidPattern.test(head)) return { objectFormat, head: null, branch: branch ?? 'main', tags: [], objects: [] };

  const objects: GitObject[] = [];
  const commit = await git(['cat-file', 'commit', head], 'buffer');
  if (commit === null) return { objectFormat, head: null, branch: branch ?? 'main', tags: [], objects: [] };
  objects.push({ oid: head, type: 'commit', content: commit as Buffer });
  const tags: GitStandIn['tags'] = [];
  const listed = (await text(['for-each-ref', '--points-at', head, '--format=%(objectname) %(objecttype) %(refname)', 'refs/tags'])) ?? '';
  for (const line of listed.split('\n')) {
    const [oid, type, ref] = line.split(' ');
    if (!oid || !type || !ref?.startsWith('refs/tags/') || !oidPattern.test(oid)) continue;
    const name = ref.slice('refs/tags/'.length);
    if (!safeRefName(name)) continue;
    if (type === 'tag') {
      const content = await git(['cat-file', 'tag', oid], 'buffer');
      if (content === null) continue;
      objects.push({ oid, type: 'tag', content: content as Buffer });
    } else if (oid !== head) continue;
    tags.push({ name, oid });
  }
  return { objectFormat, head, branch, tags, objects };
}

export interface StandInFile {
  /** Relative to the project root. */
  path: string;
  content: Buffer | string;
  directory?: boolean;
}

/** The files of the stand-in `.git`. Pure. */
export function gitStandInFiles(standIn: GitStandIn): StandInFile[] {
  const files: StandInFile[] = [
    { path: '.git', content: '', directory: true },
    { path: '.git/objects/info', content: '', directory: true },
    { path: '.git/objects/pack', content: '', directory: true },
    { path: '.git/refs/heads', content: '', directory: true },
    { path: '.git/refs/tags', content: '', directory: true },
    {
      path: '.git/config',
      content:
        `[core]\n\trepositoryformatversion = ${standIn.objectFormat === 'sha256' ? 1 : 0}\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n` +
        (standIn.objectFormat === 'sha256' ? '[extensions]\n\tobjectformat = sha256\n' : ''),
    },
    { path: '.git/HEAD', content: standIn.branch !== null || standIn.head === null ? `ref: refs/heads/${standIn.branch ?? 'main'}\n` : `${standIn.head}\n` },
  ];
  if (standIn.head === null) return files;
  if (standIn.branch !== null) files.push({ path: `.git/refs/heads/${standIn.branch}`, content: `${standIn.head}\n` });
  for (const tag of standIn.tags) files.push({ path: `.git/refs/tags/${tag.name}`, content: `${tag.oid}\n` });
  // The history stops at HEAD: git treats the commit as the edge of a shallow clone.
  files.push({ path: '.git/shallow', content: `${standIn.head}\n` });
  for (const object of standIn.objects) {
    // A loose object: zlib("<type> <size>\0<content>") at objects/<first two hex>/<rest>.
    const raw = Buffer.concat([Buffer.from(`${object.type} ${object.content.length}\0`), object.content]);
    files.push({ path: `.git/objects/${object.oid.slice(0, 2)}/${object.oid.slice(2)}`, content: deflateSync(raw) });
  }
  return files;
}
