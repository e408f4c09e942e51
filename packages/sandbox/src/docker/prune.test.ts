import { pruneCandidates, type ImageSummary } from './prune.js';

const ours = { 'dev.safe-install.tool': 'safe-install', 'dev.safe-install.version': '0.1.0' };
const image = (id: string, tags: string[], labels: ImageSummary['labels'] = ours): ImageSummary => ({ id, tags, labels });

describe('which sandbox images prune removes', () => {
  it('every labelled sandbox tag but the one this version needs', () => {
    const images = [
      image('a', ['safe-install-sandbox:aaaa']),
      image('b', ['safe-install-sandbox:bbbb']),
      image('c', ['safe-install-sandbox:cccc', 'safe-install-sandbox:dddd']),
    ];
    expect(pruneCandidates(images, { keep: ['safe-install-sandbox:bbbb'] })).toEqual(['safe-install-sandbox:aaaa', 'safe-install-sandbox:cccc', 'safe-install-sandbox:dddd']);
  });

  it('never an image without safe-install’s label, even in the sandbox repository', () => {
    expect(pruneCandidates([image('x', ['safe-install-sandbox:old'], null), image('y', ['safe-install-sandbox:other'], { 'dev.safe-install.tool': 'not-us' })], { keep: [] })).toEqual([]);
  });

  it('never another repository’s tag, even on a labelled image (a user’s own tag, the base)', () => {
    const images = [image('a', ['safe-install-sandbox:aaaa', 'my-ci/sandbox:pinned', 'safe-install-sandbox-extra:1', 'registry.test:5000/safe-install-sandbox:1']), image('b', ['safe-install-base:latest'])];
    expect(pruneCandidates(images, { keep: [] })).toEqual(['safe-install-sandbox:aaaa']);
  });

  it('untagged (dangling) labelled images are left to `docker image prune`', () => {
    expect(pruneCandidates([image('a', []), image('b', ['<none>:<none>'])], { keep: [] })).toEqual([]);
  });

  it('a kept tag sharing its image with a stale tag keeps only its own name', () => {
    expect(pruneCandidates([image('a', ['safe-install-sandbox:new', 'safe-install-sandbox:old'])], { keep: ['safe-install-sandbox:new'] })).toEqual(['safe-install-sandbox:old']);
  });
});
