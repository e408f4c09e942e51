/**
 * What `safe-install analyze` is asked to analyse: package specs from the command line and from a
 * `--from` file, one a line. Pure. A spec list is untrusted input (a feed of suspicious names from
 * elsewhere): bounded in size, lines and line length, control characters refused, each spec
 * checked before anything runs.
 */
import { SafeInstallError } from '@safe-install/schema';

/** A package from the registry (`name`, `name@version`, `name@range`, `name@tag`), a local tarball, or a local folder. */
export type AnalysisSpec =
  | { kind: 'registry'; spec: string; name: string; range: string }
  | { kind: 'tarball'; spec: string; path: string }
  | { kind: 'folder'; spec: string; path: string };

/** Far above a real batch, so that a runaway file is refused rather than run. */
export const SPEC_LIMITS = { fileBytes: 4 * 1024 * 1024, lines: 100_000, specs: 10_000, lineChars: 1024 } as const;

/** npm's package-name rules (validate-npm-package-name, new packages): lowercase, URL-safe, optionally scoped. */
const NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9~][a-z0-9._~-]*$/;
/** A version, range or dist-tag: what npm accepts after the `@` (spaces appear in ranges like `>=1 <2`). */
const RANGE = /^[A-Za-z0-9.^~<>=|*+ x-]+$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/;

const shown = (text: string): string => JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);

function usage(message: string, hint?: string): SafeInstallError {
  return new SafeInstallError('ANALYZE_SPEC_INVALID', 'usage', message, hint ? { hint } : {});
}

/** A package name npm accepts (at most 214 characters). */
export function isPackageName(name: string): boolean {
  return name.length > 0 && name.length <= 214 && NAME.test(name) && !name.startsWith('.') && !name.includes('/.');
}

const isPath = (spec: string): boolean => spec.startsWith('.') || spec.startsWith('/') || /\.(tgz|tar\.gz)$/i.test(spec);

/** One spec, as written on the command line or a line of a spec list. */
export function parseSpec(raw: string): AnalysisSpec {
  if (typeof raw !== 'string') throw usage('a spec must be text');
  if (CONTROL.test(raw)) throw usage(`the spec ${shown(raw)} holds a control character`);
  const spec = raw.trim();
  if (spec === '') throw usage('an empty spec');
  if (spec.length > SPEC_LIMITS.lineChars) throw usage(`a spec longer than ${SPEC_LIMITS.lineChars} characters`);
  if (isPath(spec)) {
    return /\.(tgz|tar\.gz)$/i.test(spec) ? { kind: 'tarball', spec, path: spec } : { kind: 'folder', spec, path: spec };
  }
  // The version separator is the last `@` that is not a scope's.
  const at = spec.indexOf('@', 1);
  const name = at === -1 ? spec : spec.slice(0, at);
  const range = at === -1 ? 'latest' : spec.slice(at + 1).trim();
  if (!isPackageName(name)) {
    throw usage(`${shown(spec)} is not a package name, a name@version, a .tgz or a folder`, 'folders start with ./ or /, tarballs end in .tgz');
  }
  if (range === '' || range.length > 256 || !RANGE.test(range)) throw usage(`${shown(spec)} has no valid version, range or tag after the @`);
  return { kind: 'registry', spec: at === -1 ? name : `${name}@${range}`, name, range };
}

/**
 * A spec list (`--from FILE`): one spec a line; empty lines and lines starting with `#` skipped;
 * `\r\n` accepted. Errors name the line. Duplicates are kept once, in first-seen order.
 */
export function parseSpecList(text: string, where = 'the spec list'): AnalysisSpec[] {
  if (text.length > SPEC_LIMITS.fileBytes) throw usage(`${where} is larger than ${SPEC_LIMITS.fileBytes} bytes`);
  const lines = text.split('\n');
  if (lines.length > SPEC_LIMITS.lines) throw usage(`${where} has more than ${SPEC_LIMITS.lines} lines`);
  const specs: AnalysisSpec[] = [];
  const seen = new Set<string>();
  for (const [index, full] of lines.entries()) {
    const line = full.endsWith('\r') ? full.slice(0, -1) : full;
    if (line.length > SPEC_LIMITS.lineChars) throw usage(`${where} line ${index + 1} is longer than ${SPEC_LIMITS.lineChars} characters`);
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    let spec: AnalysisSpec;
    try {
      spec = parseSpec(trimmed);
    } catch (error) {
      throw usage(`${where} line ${index + 1}: ${(error as Error).message}`);
    }
    if (seen.has(spec.spec)) continue;
    seen.add(spec.spec);
    specs.push(spec);
    if (specs.length > SPEC_LIMITS.specs) throw usage(`${where} holds more than ${SPEC_LIMITS.specs} specs`);
  }
  return specs;
}

/** Command-line specs and a spec list together, each once; at least one. */
export function collectSpecs(args: readonly string[], list: readonly AnalysisSpec[] = []): AnalysisSpec[] {
  const all: AnalysisSpec[] = [];
  const seen = new Set<string>();
  for (const spec of [...args.map((arg) => parseSpec(arg)), ...list]) {
    if (seen.has(spec.spec)) continue;
    seen.add(spec.spec);
    all.push(spec);
  }
  if (all.length === 0) throw usage('nothing to analyse', 'give package specs, or --from FILE with one a line');
  if (all.length > SPEC_LIMITS.specs) throw usage(`more than ${SPEC_LIMITS.specs} specs`);
  return all;
}
