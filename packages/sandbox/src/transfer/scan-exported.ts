/**
 * Decoy values in what comes back: a file a script created or changed (in the project or in
 * node_modules) that holds a decoy value — plain or in any encoding the gateway's matcher tests —
 * is a secret on its way to the host (or into a build output, a published bundle). Each sighting
 * becomes a `decoy-exfiltration` event (`where: 'file'`) that cites the file's `fsdiff` event, so
 * the policy attributes it to whoever last wrote the file and judges it like any other sighting.
 *
 * Bounded: the first MAX_FILE_BYTES of each file, at most MAX_TOTAL_BYTES in all; linear in the
 * files scanned.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { DecoyIndex, TraceEvent } from '@safe-install/schema';
import { createDecoyMatcher } from '@safe-install/gateway';

const MAX_FILE_BYTES = 1024 * 1024;
const MAX_TOTAL_BYTES = 64 * 1024 * 1024;

/** The first `max` bytes of a regular file (never through a symlink), or null. */
async function head(path: string, max: number): Promise<Buffer | null> {
  const { constants } = await import('node:fs');
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => null);
  if (!handle) return null;
  try {
    if (!(await handle.stat()).isFile()) return null;
    const buffer = Buffer.alloc(max);
    const { bytesRead } = await handle.read(buffer, 0, max, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Scan the staged tree (`tree`, a mirror of `projectDir` in the sandbox) for decoy values, in the
 * files the fsdiff events say were created or modified under the project.
 */
export async function scanExported(tree: string, projectDir: string, events: readonly TraceEvent[], decoys: DecoyIndex): Promise<TraceEvent[]> {
  const matcher = createDecoyMatcher(decoys);
  if (matcher.needleCount === 0) return [];
  const prefix = `${projectDir}/`;
  const found: TraceEvent[] = [];
  let budget = MAX_TOTAL_BYTES;
  for (const event of events) {
    if (budget <= 0) break;
    if (event.type !== 'fsdiff' || event.change === 'deleted' || !event.path.startsWith(prefix)) continue;
    const content = await head(join(tree, event.path.slice(prefix.length)), Math.min(MAX_FILE_BYTES, budget));
    if (content === null) continue;
    budget -= content.length;
    const kinds = new Set<string>();
    for (const match of matcher.scan(content, 'body')) {
      if (kinds.has(match.kind)) continue;
      kinds.add(match.kind);
      found.push({
        id: `x${found.length + 1}`,
        ts: event.ts,
        source: 'sandbox',
        pid: 0,
        ppid: 0,
        type: 'decoy-exfiltration',
        decoyKind: match.kind,
        where: 'file',
        encoding: match.encoding,
        seenIn: event.id,
      });
    }
  }
  return found;
}
