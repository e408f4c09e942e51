/**
 * `image prune`: every tracer or runner change builds a new sandbox image (its tag is a content
 * hash), so old ones pile up. Removed are only tags of the sandbox repository on images that carry
 * safe-install's tool label; the tag this version needs is kept, and nothing else is touched — no
 * base image, no image of anyone else, and no image a container still uses (the engine refuses).
 *
 * `pruneCandidates` decides (pure, unit-tested); `pruneSandboxImages` lists and removes.
 */
import type Docker from 'dockerode';
import { SANDBOX_REPOSITORY } from './image.js';
import { LABEL_TOOL } from './labels.js';

export interface ImageSummary {
  id: string;
  tags: readonly string[];
  labels: Readonly<Record<string, string>> | null;
}

export function pruneCandidates(images: readonly ImageSummary[], options: { keep: readonly string[]; repository?: string }): string[] {
  const repository = options.repository ?? SANDBOX_REPOSITORY;
  const keep = new Set(options.keep);
  const out: string[] = [];
  for (const image of images) {
    if (image.labels?.[LABEL_TOOL] !== 'safe-install') continue;
    for (const tag of image.tags) {
      const at = tag.lastIndexOf(':');
      if (at <= 0 || tag.slice(0, at) !== repository || keep.has(tag)) continue;
      out.push(tag);
    }
  }
  return out.sort();
}

export interface PruneResult {
  removed: string[];
  /** Tags the engine refused to remove (in use by a container), with its reason. */
  kept: Array<{ tag: string; reason: string }>;
}

export async function pruneSandboxImages(
  docker: Docker,
  options: { keep: readonly string[]; dryRun: boolean; repository?: string },
): Promise<PruneResult> {
  const repository = options.repository ?? SANDBOX_REPOSITORY;
  const listed = await docker.listImages({ filters: { label: [`${LABEL_TOOL}=safe-install`], reference: [repository] } });
  const images = listed.map((image) => ({ id: image.Id, tags: image.RepoTags ?? [], labels: image.Labels ?? null }));
  const candidates = pruneCandidates(images, { keep: options.keep, repository });
  const result: PruneResult = { removed: [], kept: [] };
  for (const tag of candidates) {
    if (options.dryRun) {
      result.removed.push(tag);
      continue;
    }
    try {
      // By tag, without force: a tag shared with a kept image only loses that name, and an image a
      // container still uses stays.
      await docker.getImage(tag).remove();
      result.removed.push(tag);
    } catch (error) {
      result.kept.push({ tag, reason: (error as Error).message });
    }
  }
  return result;
}
