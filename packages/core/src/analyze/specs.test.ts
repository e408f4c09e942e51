import { SPEC_LIMITS, collectSpecs, isPackageName, parseSpec, parseSpecList } from './specs.js';

describe('parseSpec', () => {
  it('reads names, versions, ranges, tags, scopes, tarballs and folders', () => {
    expect(parseSpec('left-pad')).toEqual({ kind: 'registry', spec: 'left-pad', name: 'left-pad', range: 'latest' });
    expect(parseSpec('left-pad@1.3.0')).toEqual({ kind: 'registry', spec: 'left-pad@1.3.0', name: 'left-pad', range: '1.3.0' });
    expect(parseSpec('@scope/pkg@^2')).toEqual({ kind: 'registry', spec: '@scope/pkg@^2', name: '@scope/pkg', range: '^2' });
    expect(parseSpec('@scope/pkg')).toMatchObject({ name: '@scope/pkg', range: 'latest' });
    expect(parseSpec('x@next')).toMatchObject({ range: 'next' });
    expect(parseSpec('x@>=1 <2')).toMatchObject({ range: '>=1 <2' });
    expect(parseSpec('  ./fixtures/a.tgz ')).toEqual({ kind: 'tarball', spec: './fixtures/a.tgz', path: './fixtures/a.tgz' });
    expect(parseSpec('pkg-1.0.0.tar.gz')).toMatchObject({ kind: 'tarball' });
    expect(parseSpec('/abs/folder')).toEqual({ kind: 'folder', spec: '/abs/folder', path: '/abs/folder' });
    expect(parseSpec('../up')).toMatchObject({ kind: 'folder' });
  });

  it('refuses what is no spec', () => {
    for (const bad of ['', '   ', 'Upper', 'a b', '@scope', '@/x', 'x@', 'x@$(id)', 'x@1;rm', 'Hidden@1', 'a\u0000b', 'a\nb', 'a\u001b[31m', 'a\u2028b', 'x'.repeat(215), `x@${'1'.repeat(300)}`, 'https://evil.example/x', 'git+ssh://x']) {
      expect(() => parseSpec(bad)).toThrow(expect.objectContaining({ kind: 'usage' }));
    }
    expect(() => parseSpec('x'.repeat(SPEC_LIMITS.lineChars + 1))).toThrow(/longer than/);
  });

  it('names packages as npm does', () => {
    expect(isPackageName('a')).toBe(true);
    expect(isPackageName('@a/b.c')).toBe(true);
    expect(isPackageName('.a')).toBe(false);
    expect(isPackageName('@a/.b')).toBe(false);
    expect(isPackageName('a/b')).toBe(false);
    expect(isPackageName('')).toBe(false);
  });
});

describe('parseSpecList (hostile input)', () => {
  it('skips empty lines and comments, accepts CRLF, keeps each spec once', () => {
    const text = '# suspicious feed\r\n\r\nleft-pad@1.3.0\r\n   \n  # indented comment\n./a.tgz\nleft-pad@1.3.0\n\t@s/x\n';
    expect(parseSpecList(text).map((spec) => spec.spec)).toEqual(['left-pad@1.3.0', './a.tgz', '@s/x']);
  });

  it('names the line of a bad spec', () => {
    expect(() => parseSpecList('ok\nBAD NAME\n', 'list.txt')).toThrow(/list\.txt line 2/);
  });

  it('refuses control characters, escapes and NUL anywhere in a line', () => {
    for (const line of ['a\u0000', 'a\u001b]0;title\u0007', 'a\u0085b', 'a\u007f', 'a\u000bb']) {
      expect(() => parseSpecList(`ok\n${line}\n`)).toThrow(/line 2.*control character/);
    }
    // A control character inside a comment is still a control character in a line that is skipped: fine.
    expect(parseSpecList('# \u0000 comment\nok\n').map((spec) => spec.spec)).toEqual(['ok']);
  });

  it('bounds line length, line count, spec count and size', () => {
    expect(() => parseSpecList(`ok\n${'a'.repeat(SPEC_LIMITS.lineChars + 1)}\n`)).toThrow(/line 2 is longer than/);
    // A long comment is refused too: the bound is on the line, before anything reads it.
    expect(() => parseSpecList(`# ${'a'.repeat(SPEC_LIMITS.lineChars)}\n`)).toThrow(/line 1 is longer than/);
    expect(() => parseSpecList('\n'.repeat(SPEC_LIMITS.lines))).toThrow(/more than .* lines/);
    const many = Array.from({ length: SPEC_LIMITS.specs + 1 }, (_, i) => `p${i}`).join('\n');
    expect(() => parseSpecList(many)).toThrow(/more than .* specs/);
    expect(() => parseSpecList('a'.repeat(SPEC_LIMITS.fileBytes + 1))).toThrow(/larger than/);
  });

  it('an empty or comment-only list is nothing to analyse', () => {
    expect(parseSpecList('')).toEqual([]);
    expect(() => collectSpecs([], parseSpecList('# only\n\n'))).toThrow(/nothing to analyse/);
  });

  it('merges command-line specs and a list without duplicates', () => {
    expect(collectSpecs(['a', 'b@1'], parseSpecList('b@1\nc\n')).map((spec) => spec.spec)).toEqual(['a', 'b@1', 'c']);
  });
});
