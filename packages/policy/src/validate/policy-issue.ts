/** Validation problems with a place in a file, and the `{value, warnings, errors}` result shape. */

/** One problem in a policy source. */
export interface PolicyIssue {
  /** The file, as given to the parser (usually relative to the project). */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units. */
  column: number;
  /** Where in the document: `packages["esbuild"].exec[0]`; empty for the document itself. */
  path: string;
  /** The offending key, when the problem is a key. */
  key?: string;
  /** One line, without the position. */
  message: string;
}

/** Validation never throws for bad input; it says what it found. */
export interface ValidationResult<T> {
  /** The validated value; null when there are errors. */
  value: T | null;
  warnings: PolicyIssue[];
  errors: PolicyIssue[];
}

/** `file:line:column: message` — the form editors and CI annotations understand. */
export function formatIssue(issue: PolicyIssue): string {
  return `${issue.file}:${issue.line}:${issue.column}: ${issue.message}`;
}

/** Render a document path: `packages["@esbuild/linux-x64"].exec[0]`. */
export function renderPath(segments: ReadonlyArray<string | number>): string {
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}
