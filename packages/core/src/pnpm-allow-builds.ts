/**
 * Writes build decisions into pnpm's own fields of pnpm-workspace.yaml, keeping the rest of the
 * file (comments, key order, quoting) through the yaml package's Document API:
 *
 * - `allowBuilds` (pnpm 11, and pnpm 10.26 and later): `name@version: true` approves that version
 *   (pnpm expands `name@1.0.0` specs, expandPackageVersionSpecs), `name: false` denies every version;
 * - `onlyBuiltDependencies` / `ignoredBuiltDependencies` (pnpm 9 and 10 before 10.26, or a file
 *   that already uses them without allowBuilds): the same entries as list items.
 *
 * A package that is no registry version (`file:`, git, tarball URL) is matched by pnpm only by its
 * lockfile key (`name@file:x.tgz`): that key is written for both. Deny wins: an approval of a package
 * already denied (its name, or its key) is not written; a deny removes that package's approvals
 * (pnpm checks the allow list first). The file is untrusted input: bounded, no aliases, no
 * duplicate keys, a mapping at the root, the fields of the right type — anything else is refused
 * and nothing is written.
 */
import { isMap, isScalar, isSeq, parseDocument, type Document, type YAMLMap, type YAMLSeq } from 'yaml';
import { SafeInstallError } from '@safe-install/schema';
import type { Project } from '@safe-install/sandbox';
import { parseWorkspaceYaml } from './pnpm-builds.js';

export type BuildsField = 'allowBuilds' | 'lists';

export interface BuildEdit {
  name: string;
  /** The entry an approval writes: `name@version`, or the lockfile key of a non-registry package. */
  key: string;
  /** What a deny writes: the name (every version), or the key of a non-registry package. */
  denyKey: string;
  decision: 'approve' | 'deny';
}

export interface BuildEditResult {
  text: string;
  /** The edits written. */
  applied: BuildEdit[];
  /** Approvals not written, and why (a deny already there). */
  refused: Array<{ edit: BuildEdit; why: string }>;
  changed: boolean;
}

/** Which field the project's pnpm reads: pnpm 11 and 10.26+ allowBuilds, unless the file already keeps the lists alone. */
export function buildsFieldFor(pnpmVersion: string, workspace: Record<string, unknown> | null): BuildsField {
  const [major = 0, minor = 0] = pnpmVersion.split('.').map((part) => Number.parseInt(part, 10));
  if (major >= 11) return 'allowBuilds';
  const readsAllowBuilds = major === 10 && (minor >= 26 || Number.isNaN(minor) || pnpmVersion === '10');
  if (!readsAllowBuilds) return 'lists';
  const usesLists = workspace !== null && workspace['allowBuilds'] === undefined && (workspace['onlyBuiltDependencies'] !== undefined || workspace['ignoredBuiltDependencies'] !== undefined);
  return usesLists ? 'lists' : 'allowBuilds';
}

const notWritten = (why: string) =>
  new SafeInstallError('APPROVE_NOT_WRITTEN', 'usage', `pnpm-workspace.yaml: ${why}; nothing was written to it`, { hint: 'fix the file so that pnpm reads it, then run approve again' });

function mapAt(doc: Document, key: string): YAMLMap | null {
  const node = doc.get(key, true);
  if (node === undefined || node === null || (isScalar(node) && node.value === null)) return null;
  if (!isMap(node)) throw notWritten(`${key} is not a mapping`);
  return node;
}

function seqAt(doc: Document, key: string): YAMLSeq | null {
  const node = doc.get(key, true);
  if (node === undefined || node === null || (isScalar(node) && node.value === null)) return null;
  if (!isSeq(node)) throw notWritten(`${key} is not a list`);
  return node;
}

const seqHas = (seq: YAMLSeq | null, value: string) => seq !== null && seq.items.some((item) => (isScalar(item) ? item.value : item) === value);

/** The keys of pins that approve `name` (`name`, `name@…`). */
const approvesName = (key: string, name: string) => key === name || key.startsWith(`${name}@`);

/** The file with the edits (the file's text, or null when there is none yet). Throws APPROVE_NOT_WRITTEN for a file it cannot edit safely. */
export function workspaceWithBuildEdits(text: string | null, edits: readonly BuildEdit[], field: BuildsField): BuildEditResult {
  if (text !== null) {
    try {
      parseWorkspaceYaml(text);
    } catch (error) {
      throw notWritten((error as Error).message.replace(/^pnpm-workspace.yaml is not usable: /, ''));
    }
  }
  const doc = parseDocument(text ?? '', { uniqueKeys: true, merge: false, strict: true, schema: 'core', keepSourceTokens: false });
  if (doc.errors.length > 0) throw notWritten(`not valid YAML (${doc.errors[0]!.message.split('\n')[0]})`);
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) doc.contents = doc.createNode({}) as never;
  if (!isMap(doc.contents)) throw notWritten('it is not a YAML mapping');
  const result: BuildEditResult = { text: text ?? '', applied: [], refused: [], changed: false };
  const allow = mapAt(doc, 'allowBuilds');
  const only = seqAt(doc, 'onlyBuiltDependencies');
  const ignored = seqAt(doc, 'ignoredBuiltDependencies');
  const isDenied = (edit: BuildEdit) =>
    [edit.denyKey, edit.key, edit.name].some((key) => allow?.get(key) === false || seqHas(ignored, key));
  for (const edit of edits) {
    if (edit.decision === 'approve') {
      if (isDenied(edit)) {
        result.refused.push({ edit, why: `${edit.name} is denied in pnpm-workspace.yaml (a deny wins)` });
        continue;
      }
      if (field === 'allowBuilds') {
        if (doc.getIn(['allowBuilds', edit.key]) === true) continue;
        doc.setIn(['allowBuilds', edit.key], true);
      } else {
        if (seqHas(seqAt(doc, 'onlyBuiltDependencies'), edit.key)) continue;
        if (seqAt(doc, 'onlyBuiltDependencies') === null) doc.set('onlyBuiltDependencies', doc.createNode([]));
        (doc.get('onlyBuiltDependencies', true) as YAMLSeq).add(doc.createNode(edit.key));
      }
    } else {
      // pnpm checks the allow entries first: a deny takes that package's approvals out.
      const allowMap = mapAt(doc, 'allowBuilds');
      for (const pair of [...(allowMap?.items ?? [])]) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (typeof key === 'string' && approvesName(key, edit.name) && key !== edit.denyKey) allowMap!.delete(pair.key);
      }
      const onlySeq = seqAt(doc, 'onlyBuiltDependencies');
      if (onlySeq !== null) onlySeq.items = onlySeq.items.filter((item) => !(isScalar(item) && typeof item.value === 'string' && approvesName(item.value, edit.name)));
      if (field === 'allowBuilds') doc.setIn(['allowBuilds', edit.denyKey], false);
      else {
        if (seqAt(doc, 'ignoredBuiltDependencies') === null) doc.set('ignoredBuiltDependencies', doc.createNode([]));
        const seq = doc.get('ignoredBuiltDependencies', true) as YAMLSeq;
        if (!seqHas(seq, edit.denyKey)) seq.add(doc.createNode(edit.denyKey));
      }
    }
    result.applied.push(edit);
  }
  if (result.applied.length > 0) {
    result.text = doc.toString({ lineWidth: 0 });
    result.changed = result.text !== (text ?? '');
  }
  return result;
}

/**
 * The project with `keys` allowed in its pnpm-workspace.yaml (the sandbox's copy only: `approve`
 * runs the pending builds there), in the field the project's pnpm reads.
 */
export function withSandboxAllowBuilds(project: Project, keys: readonly string[], pnpmVersion: string): Project {
  if (keys.length === 0) return project;
  const file = project.files.find((candidate) => candidate.path === 'pnpm-workspace.yaml');
  const text = file === undefined ? null : file.content.toString('utf8');
  const field = buildsFieldFor(pnpmVersion, text === null ? null : parseWorkspaceYaml(text));
  const edits = keys.map((key): BuildEdit => ({ name: key, key, denyKey: key, decision: 'approve' }));
  const content = Buffer.from(workspaceWithBuildEdits(text, edits, field).text, 'utf8');
  const files = file === undefined ? [...project.files, { path: 'pnpm-workspace.yaml', content, mode: 0o644 }] : project.files.map((candidate) => (candidate === file ? { ...file, content } : candidate));
  return { ...project, files };
}
