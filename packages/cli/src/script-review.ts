/**
 * npm's `allowScripts` review, printed: what did not run, what ran unreviewed, and how to approve
 * them. The review is made by the run engine (@safe-install/core) and rendered by the report.
 */
import type { ScriptReviewReport } from '@safe-install/schema';
import { renderScriptReview } from '@safe-install/report';
import { printLines, type Printer } from './output.js';

export { scriptReviewOf, strictRefusal, strictRefusalWatch } from '@safe-install/core';

/** Summary lines: what did not run, what ran unreviewed, and how to approve them. */
export function printScriptReview(printer: Printer, review: ScriptReviewReport | null): void {
  printLines(printer, renderScriptReview(review));
}
