/**
 * The thin loader: the only module of this package that touches the file system. It finds the
 * policy in a project, reads it with a size limit, validates it, imports package-manager
 * allowances, applies environment and CLI overrides, and throws one error listing every problem.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { SafeInstallError } from '@safe-install/schema';
import type { ImportedAllowances } from './interop/import-script-allowances.js';
import { importScriptAllowances } from './interop/import-script-allowances.js';
import type { Policy, PolicyDocument } from './policy-types.js';
import type { PolicyOverrides } from './resolve-policy.js';
import { resolvePolicy } from './resolve-policy.js';
import { MANIFEST_LIMITS, toPlain } from './source/source-node.js';
import type { PolicyIssue } from './validate/policy-issue.js';
import { formatIssue } from './validate/policy-issue.js';
import {
  formatOf,
  MAX_MANIFEST_BYTES,
  MAX_POLICY_BYTES,
  parseManifestPolicy,
  parsePolicyText,
  parseSourceText,
} from './validate/parse-policy-text.js';

/** Policy file names looked for at the project root, in this order. */
export const POLICY_FILE_NAMES = ['safe-install.config.json', 'safe-install.config.yaml', 'safe-install.config.yml'] as const;

/** Where `policy learn` writes a project's first policy. */
export const NEW_POLICY_FILE = 'safe-install.config.yaml';

/** The key of package.json that may hold the policy instead of a file. */
export const PACKAGE_JSON_KEY = 'safeInstall';

export interface LoadPolicyOptions {
  projectDir: string;
  /** Defaults to `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * CLI flags: the highest layer. `policyFile` (the CLI's `--policy`, relative to `projectDir`)
   * replaces the search: a `.json`, `.yaml` or `.yml` policy file, or a `package.json` whose
   * `safeInstall` key is the policy.
   */
  overrides?: PolicyOverrides & { policyFile?: string };
  /**
   * The package-manager allowances to combine with the policy, instead of reading them from the
   * project's package.json and pnpm-workspace.yaml (which are then not read at all): a saved
   * trace's, when it is judged again away from its project. Needs `overrides.policyFile`.
   */
  interop?: ImportedAllowances;
}

/**
 * Where the policy lives on disk, and its text as it was read: what `policy learn` updates in
 * place (see `save-policy.ts`). Without a policy, where a new one goes.
 */
export interface PolicyLocation {
  /** Absolute path of the file. */
  path: string;
  /** A YAML or JSON policy file, or package.json's `safeInstall` key. */
  format: 'yaml' | 'json' | 'package.json';
  /** The file's text as read; null when there is no policy yet. */
  text: string | null;
}

/** Where the policy came from. */
export type PolicySource =
  | { kind: 'file'; file: string }
  | { kind: 'package.json'; file: string }
  | { kind: 'none' };

export interface LoadedPolicy {
  policy: Policy;
  /** The validated document (for `policy learn` to merge into); null without a policy file. */
  document: PolicyDocument | null;
  source: PolicySource;
  location: PolicyLocation;
  interop: ImportedAllowances;
  /** Non-fatal problems, formatted `file:line:column: message` where a position is known. */
  warnings: string[];
}

/** A policy that cannot be used; `issues` lists every problem with its position. */
export class PolicyLoadError extends SafeInstallError {
  constructor(
    code: string,
    message: string,
    readonly issues: PolicyIssue[],
    hint?: string,
  ) {
    super(code, 'usage', message, hint === undefined ? {} : { hint });
  }
}

async function readBounded(path: string, limit: number, display: string): Promise<string | null> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new PolicyLoadError('POLICY_INVALID', `${display} is not a regular file`, []);
    size = info.size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  if (size > limit) {
    const issue: PolicyIssue = { file: display, line: 1, column: 1, path: '', message: `the file is ${size} bytes; the limit is ${limit}` };
    throw new PolicyLoadError('POLICY_INVALID', `invalid policy:\n  ${formatIssue(issue)}`, [issue]);
  }
  return readFile(path, 'utf8');
}

function fail(issues: PolicyIssue[], hint: string): never {
  const n = issues.length;
  const lines = issues.map((i) => `  ${formatIssue(i)}`).join('\n');
  throw new PolicyLoadError('POLICY_INVALID', `invalid policy (${n} ${n === 1 ? 'error' : 'errors'}):\n${lines}`, issues, hint);
}

/** Find, read, validate and resolve the project's policy. Throws {@link PolicyLoadError}. */
export async function loadPolicy(options: LoadPolicyOptions): Promise<LoadedPolicy> {
  const dir = options.projectDir;
  const warnings: string[] = [];
  const validationHint = 'fix the policy; the JSON Schema is in @safe-install/policy/schema/policy.schema.json';

  const pkgText = options.interop !== undefined ? null : await readBounded(join(dir, 'package.json'), MAX_MANIFEST_BYTES, 'package.json');
  const manifest = pkgText === null ? null : parseManifestPolicy(pkgText, 'package.json');
  if (manifest !== null && manifest.errors.length > 0) fail(manifest.errors, 'package.json must be valid JSON');

  // Which policy source applies.
  let document: PolicyDocument | null = null;
  let source: PolicySource = { kind: 'none' };
  const explicit = options.overrides?.policyFile;
  let location: PolicyLocation = { path: resolve(dir, NEW_POLICY_FILE), format: 'yaml', text: null };
  if (explicit !== undefined) {
    const path = isAbsolute(explicit) ? explicit : join(dir, explicit);
    const display = isAbsolute(explicit) ? explicit : relative(dir, path) || basename(path);
    const format = formatOf(path);
    if (format === null) {
      throw new PolicyLoadError('POLICY_INVALID', `${display}: a policy file must end in .json, .yaml or .yml`, [], 'name a policy file, or a package.json that has a "safeInstall" key');
    }
    const manifestFile = basename(path) === 'package.json';
    const text = await readBounded(path, manifestFile ? MAX_MANIFEST_BYTES : MAX_POLICY_BYTES, display);
    if (text === null) throw new PolicyLoadError('POLICY_NOT_FOUND', `policy file ${display} does not exist`, [], 'check the path given with --policy');
    if (manifestFile) {
      // A package.json names the policy kept under its key, not a policy of its own shape.
      const named = parseManifestPolicy(text, display);
      if (named.errors.length > 0) fail(named.errors, 'package.json must be valid JSON');
      if (named.policy === null) {
        throw new PolicyLoadError('POLICY_NOT_FOUND', `${display} has no "${PACKAGE_JSON_KEY}" key`, [], `add the policy under "${PACKAGE_JSON_KEY}", or name a policy file`);
      }
      warnings.push(...named.policy.warnings.map(formatIssue));
      if (named.policy.value === null) fail(named.policy.errors, validationHint);
      document = named.policy.value;
      source = { kind: 'package.json', file: display };
      location = { path: resolve(path), format: 'package.json', text };
    } else {
      const result = parsePolicyText(text, { file: display, format });
      warnings.push(...result.warnings.map(formatIssue));
      if (result.value === null) fail(result.errors, validationHint);
      document = result.value;
      source = { kind: 'file', file: display };
      location = { path: resolve(path), format, text };
    }
  } else {
    const found: string[] = [];
    const texts = new Map<string, string>();
    for (const name of POLICY_FILE_NAMES) {
      const text = await readBounded(join(dir, name), MAX_POLICY_BYTES, name);
      if (text !== null) {
        found.push(name);
        texts.set(name, text);
      }
    }
    if (manifest?.policy != null) found.push(`package.json "${PACKAGE_JSON_KEY}"`);
    if (found.length > 1) {
      throw new PolicyLoadError(
        'POLICY_AMBIGUOUS',
        `more than one policy in ${dir}: ${found.join(', ')}`,
        [],
        'keep one policy source (or pass the one to use with --policy)',
      );
    }
    const [name] = found;
    if (name !== undefined && texts.has(name)) {
      const format = formatOf(name) ?? 'yaml';
      const result = parsePolicyText(texts.get(name) ?? '', { file: name, format });
      warnings.push(...result.warnings.map(formatIssue));
      if (result.value === null) fail(result.errors, validationHint);
      document = result.value;
      source = { kind: 'file', file: name };
      location = { path: resolve(dir, name), format, text: texts.get(name) ?? '' };
    } else if (manifest?.policy != null) {
      warnings.push(...manifest.policy.warnings.map(formatIssue));
      if (manifest.policy.value === null) fail(manifest.policy.errors, validationHint);
      document = manifest.policy.value;
      source = { kind: 'package.json', file: 'package.json' };
      location = { path: resolve(dir, 'package.json'), format: 'package.json', text: pkgText ?? '' };
    }
  }

  // Package-manager allowances.
  let workspace: Record<string, unknown> | null = null;
  const wsText = options.interop !== undefined ? null : await readBounded(join(dir, 'pnpm-workspace.yaml'), MAX_MANIFEST_BYTES, 'pnpm-workspace.yaml');
  if (wsText !== null) {
    const parsed = parseSourceText(wsText, { file: 'pnpm-workspace.yaml', format: 'yaml', maxBytes: MAX_MANIFEST_BYTES, limits: MANIFEST_LIMITS });
    if (parsed.issues.length > 0) {
      warnings.push(...parsed.issues.map((i) => `${formatIssue(i)} (pnpm allowances in it are not imported)`));
    } else if (parsed.root?.kind === 'map') {
      workspace = toPlain(parsed.root) as Record<string, unknown>;
    }
  }
  const interop = options.interop ?? importScriptAllowances({ packageJson: manifest?.manifest ?? null, pnpmWorkspace: workspace });

  const documentFile = source.kind === 'none' ? undefined : source.kind === 'file' ? source.file : `${source.file} "${PACKAGE_JSON_KEY}"`;
  const resolved = resolvePolicy({
    document,
    ...(documentFile === undefined ? {} : { documentFile }),
    interop,
    env: options.env ?? process.env,
    overrides: { ...(options.overrides?.mode === undefined ? {} : { mode: options.overrides.mode }), ...(options.overrides?.failOn === undefined ? {} : { failOn: options.overrides.failOn }) },
  });
  warnings.push(...resolved.warnings);
  if (resolved.value === null) {
    throw new PolicyLoadError('POLICY_ENV_INVALID', resolved.errors.join('; '), [], 'fix or unset the environment variable');
  }
  return { policy: resolved.value, document, source, location, interop, warnings };
}
