import { DEFAULT_BASE_IMAGE } from './image.js';
import { needsRegistryCheck, officialNodeImage, planBase, type BaseFacts } from './base-image.js';

const facts = (over: Partial<BaseFacts> = {}): BaseFacts => ({
  requested: DEFAULT_BASE_IMAGE,
  present: false,
  source: 'auto',
  refresh: false,
  registryReachable: false,
  nodeVersion: '22.14.0',
  ...over,
});

describe('the base image plan', () => {
  it('the official image is the host Node major on bookworm (same native-addon ABI as the host)', () => {
    expect(officialNodeImage('22.14.0')).toBe('node:22-bookworm');
    expect(officialNodeImage('24.1.0')).toBe('node:24-bookworm');
  });

  it('a present base is reused, and the registry is not even asked', () => {
    expect(planBase(facts({ present: true, registryReachable: null }))).toEqual({ action: 'reuse', image: DEFAULT_BASE_IMAGE });
    expect(needsRegistryCheck(facts({ present: true }))).toBe(false);
    expect(planBase(facts({ requested: 'node:22-bookworm', present: true, refresh: true }))).toEqual({ action: 'reuse', image: 'node:22-bookworm' });
  });

  it('auto: the official Node image, tagged as the default base, when a registry answers', () => {
    expect(needsRegistryCheck(facts())).toBe(true);
    expect(planBase(facts({ registryReachable: true }))).toEqual({ action: 'pull', image: 'node:22-bookworm', tagAs: DEFAULT_BASE_IMAGE });
  });

  it('auto: debootstrap when no registry answers (the machines without one)', () => {
    expect(planBase(facts({ registryReachable: false }))).toEqual({ action: 'debootstrap', tagAs: DEFAULT_BASE_IMAGE });
  });

  it('a forced source does not probe, and wins over what a probe would say', () => {
    expect(needsRegistryCheck(facts({ source: 'debootstrap' }))).toBe(false);
    expect(needsRegistryCheck(facts({ source: 'registry' }))).toBe(false);
    expect(planBase(facts({ source: 'debootstrap', registryReachable: null }))).toEqual({ action: 'debootstrap', tagAs: DEFAULT_BASE_IMAGE });
    expect(planBase(facts({ source: 'registry', registryReachable: null }))).toEqual({ action: 'pull', image: 'node:22-bookworm', tagAs: DEFAULT_BASE_IMAGE });
  });

  it('--refresh-base rebuilds the present default base', () => {
    expect(needsRegistryCheck(facts({ present: true, refresh: true }))).toBe(true);
    expect(planBase(facts({ present: true, refresh: true, registryReachable: false }))).toEqual({ action: 'debootstrap', tagAs: DEFAULT_BASE_IMAGE });
  });

  it('a named base that is absent is pulled as is, never retagged, and never debootstrapped', () => {
    expect(planBase(facts({ requested: 'node:24-bookworm', registryReachable: true }))).toEqual({ action: 'pull', image: 'node:24-bookworm', tagAs: null });
    expect(planBase(facts({ requested: 'node:24-bookworm', registryReachable: false }))).toMatchObject({ action: 'fail', message: expect.stringMatching(/not present and no container registry/) });
    expect(planBase(facts({ requested: 'node:24-bookworm', source: 'debootstrap' }))).toMatchObject({ action: 'fail' });
  });

  it('an old host Node fails with a hint instead of building an image that cannot run', () => {
    expect(planBase(facts({ nodeVersion: '18.20.0', registryReachable: true }))).toMatchObject({ action: 'fail', hint: expect.stringMatching(/20/) });
    expect(planBase(facts({ nodeVersion: 'garbage' }))).toMatchObject({ action: 'fail' });
  });
});
