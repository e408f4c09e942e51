/**
 * npm's "A complete log of this run can be found in: <path>" names a file inside the sandbox,
 * which is gone when the run ends. The host keeps what npm printed (the lines it received) in a
 * file of its own and points the line at that copy instead.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sanitizeOutputLine } from './output.js';

const COMPLETE_LOG = /(complete log of this run can be found in:\s*)(\S+)/i;

/** The line with npm's in-sandbox log path replaced by `copy`; null when it names no log. */
export function rewriteLogLine(line: string, copy: string): string | null {
  const match = COMPLETE_LOG.exec(line);
  if (!match) return null;
  return `${line.slice(0, match.index)}${match[1]}${copy} (npm's output, kept by safe-install; ${match[2]} was in the removed sandbox)${line.slice(match.index + match[0].length)}`;
}

/** Lines kept at most (npm's output is bounded by the sandbox, but a script can print a lot). */
export const MAX_KEPT_LINES = 20_000;

/** Keeps npm's output; writes it at `path` when a printed line pointed there (npm failed and said so). */
export function npmOutputKeeper(path = join(tmpdir(), `safe-install-npm-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.log`)) {
  const lines: string[] = [];
  let dropped = 0;
  let pointed = false;
  return {
    path,
    /** The line to print for `line` (rewritten when it names npm's log). */
    line(line: string): string {
      if (lines.length < MAX_KEPT_LINES) lines.push(line);
      else dropped += 1;
      const rewritten = rewriteLogLine(line, path);
      if (rewritten === null) return line;
      pointed = true;
      return rewritten;
    },
    /** Write the copy if a line pointed at it; the path, or null. */
    async close(): Promise<string | null> {
      if (!pointed) return null;
      const tail = dropped > 0 ? [`[safe-install: ${dropped} further lines not kept]`] : [];
      // Sanitized like the terminal's copy: a script's escape sequences do not reach whoever reads it.
      await writeFile(path, `${[...lines.map(sanitizeOutputLine), ...tail].join('\n')}\n`, { mode: 0o600 });
      return path;
    },
  };
}
