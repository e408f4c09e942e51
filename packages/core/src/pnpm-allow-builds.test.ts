import { parse } from 'yaml';
import { buildsFieldFor, workspaceWithBuildEdits, type BuildEdit } from './pnpm-allow-builds.js';
import { decideBuild, pnpmBuildGate } from './pnpm-builds.js';

const approve = (name: string, version: string): BuildEdit => ({ name, key: `${name}@${version}`, denyKey: name, decision: 'approve' });
const deny = (name: string): BuildEdit => ({ name, key: name, denyKey: name, decision: 'deny' });

describe('workspaceWithBuildEdits: decisions into pnpm-workspace.yaml', () => {
  it('adds pinned allowBuilds entries, keeping comments, key order and the other settings', () => {
    const text = '# the workspace\npackages:\n  - packages/*\n\n# builds pnpm may run\nallowBuilds:\n  core-js: true # reviewed\nstrictDepBuilds: true\n';
    const out = workspaceWithBuildEdits(text, [approve('esbuild', '0.25.0'), approve('@scope/native', '1.2.3')], 'allowBuilds');
    expect(out.changed).toBe(true);
    expect(out.text).toContain('# the workspace\npackages:\n  - packages/*\n');
    expect(out.text).toContain('# builds pnpm may run\nallowBuilds:\n  core-js: true # reviewed\n');
    expect(Object.keys(parse(out.text))).toEqual(['packages', 'allowBuilds', 'strictDepBuilds']);
    expect(parse(out.text).allowBuilds).toEqual({ 'core-js': true, 'esbuild@0.25.0': true, '@scope/native@1.2.3': true });
    // pnpm's own gate (as the project reads it) now builds exactly that version.
    const gate = pnpmBuildGate({}, parse(out.text));
    expect(decideBuild(gate, 'esbuild', '0.25.0', 10)).toBe('allowed');
    expect(decideBuild(gate, 'esbuild', '0.25.1', 10)).toBe('unlisted');
  });

  it('creates the file content when there is none, and writes nothing for an approval already there', () => {
    const created = workspaceWithBuildEdits(null, [approve('esbuild', '0.25.0')], 'allowBuilds');
    expect(parse(created.text)).toEqual({ allowBuilds: { 'esbuild@0.25.0': true } });
    const again = workspaceWithBuildEdits(created.text, [approve('esbuild', '0.25.0')], 'allowBuilds');
    expect(again.changed).toBe(false);
  });

  it('deny wins: an approval of a denied name is refused; a deny writes name: false and takes its approvals out', () => {
    const text = 'allowBuilds:\n  evil: false\n  esbuild@0.24.0: true\n';
    const out = workspaceWithBuildEdits(text, [approve('evil', '1.0.0'), deny('esbuild')], 'allowBuilds');
    expect(out.refused.map((r) => r.edit.name)).toEqual(['evil']);
    expect(parse(out.text).allowBuilds).toEqual({ evil: false, esbuild: false });
    const listed = workspaceWithBuildEdits('ignoredBuiltDependencies:\n  - evil\n', [approve('evil', '1.0.0')], 'allowBuilds');
    expect(listed.refused).toHaveLength(1);
    expect(listed.changed).toBe(false);
  });

  it("pnpm 10 before 10.26 (and a file that keeps the lists) gets onlyBuiltDependencies / ignoredBuiltDependencies items", () => {
    const out = workspaceWithBuildEdits('onlyBuiltDependencies:\n  - core-js\n  - esbuild@0.24.0\n', [approve('sharp', '0.33.0'), deny('esbuild')], 'lists');
    expect(parse(out.text)).toEqual({ onlyBuiltDependencies: ['core-js', 'sharp@0.33.0'], ignoredBuiltDependencies: ['esbuild'] });
    expect(buildsFieldFor('10.12.0', null)).toBe('lists');
    expect(buildsFieldFor('10.34.8', null)).toBe('allowBuilds');
    expect(buildsFieldFor('10.34.8', { onlyBuiltDependencies: ['a'] })).toBe('lists');
    expect(buildsFieldFor('10.34.8', { onlyBuiltDependencies: ['a'], allowBuilds: {} })).toBe('allowBuilds');
    expect(buildsFieldFor('11.2.0', { onlyBuiltDependencies: ['a'] })).toBe('allowBuilds');
  });

  it('a file: package is approved and denied by its lockfile key', () => {
    const key = 'fixture@file:fixture.tgz';
    const out = workspaceWithBuildEdits('', [{ name: 'fixture', key, denyKey: key, decision: 'approve' }], 'allowBuilds');
    expect(parse(out.text)).toEqual({ allowBuilds: { [key]: true } });
  });

  it('refuses hostile or odd files clearly, writing nothing: anchors and aliases, duplicate keys, a huge file, a non-map root, fields of the wrong type, broken YAML', () => {
    const cases: Array<[string, RegExp]> = [
      ['base: &b\n  x: 1\nallowBuilds: *b\n', /pnpm-workspace.yaml: .*alias|pnpm-workspace.yaml: .*Alias/i],
      ['allowBuilds:\n  a: true\nallowBuilds:\n  b: true\n', /not valid YAML.*(unique|duplicate)/i],
      [`# ${'x'.repeat(1024 * 1024 + 10)}\n`, /larger than 1048576 bytes/],
      ['- a\n- b\n', /not a YAML mapping/],
      ['just a string\n', /not a YAML mapping/],
      ['allowBuilds:\n  - esbuild\n', /allowBuilds is not a mapping/],
      ['onlyBuiltDependencies: esbuild\n', /onlyBuiltDependencies is not a list/],
      ['allowBuilds: {a: true\n', /not valid YAML/],
    ];
    for (const [text, message] of cases) {
      expect(() => workspaceWithBuildEdits(text, [approve('esbuild', '0.25.0')], text.includes('onlyBuilt') ? 'lists' : 'allowBuilds')).toThrow(expect.objectContaining({ code: 'APPROVE_NOT_WRITTEN', kind: 'usage', message: expect.stringMatching(message) as unknown as string }) as Error);
    }
  });
});
