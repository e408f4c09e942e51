/**
 * npm's `allowScripts` gate, as the sandbox's npm applied it in this run: the dependency scripts it
 * skipped (npm 12: pending) or ran unapproved (npm 11: unreviewed), for the report and the summary;
 * and npm's `strict-allow-scripts` refusal (ESTRICTALLOWSCRIPTS) as one clear error.
 */
import { SafeInstallError, sanitizeText, type ScriptReviewReport, type TraceEvent } from '@safe-install/schema';
import { allowScriptsEntries, reviewAllowScripts, scriptCandidates } from '@safe-install/policy';
import type { Project } from '@safe-install/sandbox';

const sanitize = (text: string): string => sanitizeText(text, 2000);

/** The review of a run, from the project's own package.json and lockfile; null when npm has no gate. */
export function scriptReviewOf(project: Project, npmVersion: string | undefined): ScriptReviewReport | null {
  if (npmVersion === undefined) return null;
  const lockBytes = project.files.find((file) => file.path === project.lockfileName)?.content;
  let lock: unknown = null;
  try {
    lock = lockBytes === undefined ? null : JSON.parse(lockBytes.toString('utf8'));
  } catch {
    return null; // checked before the run; a lockfile that no longer parses has nothing to say
  }
  return reviewAllowScripts(allowScriptsEntries(project.manifest), scriptCandidates(lock), npmVersion);
}

/**
 * Packages that may run install scripts in `npm ci`: the lockfile's dependencies with
 * `hasInstallScript` (for this platform), less those allowScripts turns off, plus the project's own
 * folders (root, workspaces) with a lifecycle script npm ci runs.
 */
export function scriptPackagesOf(project: Project): number {
  const lockBytes = project.files.find((file) => file.path === project.lockfileName)?.content;
  let lock: unknown = null;
  try {
    lock = lockBytes === undefined ? null : JSON.parse(lockBytes.toString('utf8'));
  } catch {
    lock = null;
  }
  const entries = allowScriptsEntries(project.manifest) ?? {};
  const denied = new Set(Object.keys(entries).filter((key) => entries[key] === false));
  const dependencies = scriptCandidates(lock).filter((candidate) => !denied.has(candidate.name) && !denied.has(`${candidate.name}@${candidate.version ?? candidate.displayVersion}`)).length;
  const ownFolders = new Set(project.rootScripts.map((script) => script.slice(0, script.lastIndexOf(':'))));
  return dependencies + ownFolders.size;
}

/** npm's own code for a strict-allow-scripts refusal, as it prints it. */
const STRICT_CODE = 'ESTRICTALLOWSCRIPTS';

/**
 * Watches npm's output for its strict-allow-scripts refusal. A script could print the code too, so
 * it counts only when no script ran: npm refuses before the first one.
 */
export function strictRefusalWatch(): { line: (text: string) => void; seen: (events: readonly TraceEvent[]) => boolean } {
  let seen = false;
  return {
    line: (text) => void (seen ||= text.includes(STRICT_CODE)),
    seen: (events) => seen && !events.some((event) => event.type === 'script'),
  };
}

/**
 * npm refused to install because `strict-allow-scripts` is set and some install scripts are not
 * covered (before any script ran): a package-manager failure (exit 3) naming them, from the
 * lockfile's identity rather than npm's output (which the installed code cannot have written,
 * since nothing ran, but which carries the tarballs' own names).
 */
export function strictRefusal(review: ScriptReviewReport | null, exitCode: number | null): SafeInstallError {
  const items = review === null ? [] : [...review.pending, ...review.unreviewed];
  const names = items.map((item) => `${item.package.name}@${item.package.version}`).join(', ');
  return new SafeInstallError(
    'PACKAGE_MANAGER_FAILED',
    'package-manager',
    `npm refused to install (${STRICT_CODE}, exit ${exitCode ?? '?'}): strict-allow-scripts is set and ${items.length || 'some'} package(s) have install scripts allowScripts does not cover${names ? `: ${sanitize(names)}` : ''}; no script ran and node_modules was not changed`,
    {
      hint: items.length > 0
        ? `approve them with \`npm install-scripts approve ${items.map((item) => sanitize(item.approve.replace(/^npm install-scripts approve /, ''))).join(' ')}\` or deny them with \`npm install-scripts deny …\``
        : 'approve them with `npm install-scripts approve <pkg>` or deny them with `npm install-scripts deny <pkg>`',
    },
  );
}
