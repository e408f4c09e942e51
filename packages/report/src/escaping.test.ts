/** Hostile input for every escaper and for the lockfile locator: nothing untrusted gets out of its slot. */
import { escapeData, escapeProperty, workflowCommand } from './github.js';
import { locatePackage, MAX_LOCKFILE_CHARS } from './lockfile-lines.js';
import { mdCode, mdText } from './markdown.js';
import { xmlEscape } from './junit.js';
import { policyLine, count, duration } from './words.js';

const LOCK = [
  '{',
  '  "packages": {',
  '    "": { "dependencies": { "node_modules/a": "1" } },',
  '    "node_modules/b/node_modules/a": {',
  '      "version": "2.0.0"',
  '    },',
  '    "node_modules/a": {',
  '      "version": "1.0.0"',
  '    },',
  '    "node_modules/@scope/x": {',
  '    "node_modules/a.b": {',
  '  }',
  '}',
].join('\n');

describe('locatePackage', () => {
  it('finds the top-level entry before a nested one', () => {
    expect(locatePackage(LOCK, 'a')).toEqual({ line: 7, key: 'node_modules/a' });
  });
  it('falls back to a nested entry', () => {
    expect(locatePackage(LOCK.replace('"node_modules/a": {', '"gone": {'), 'a')).toEqual({ line: 4, key: 'node_modules/b/node_modules/a' });
  });
  it('finds scoped names, and does not read a name as a pattern', () => {
    expect(locatePackage(LOCK, '@scope/x').line).toBe(10);
    expect(locatePackage(LOCK, 'a.b').line).toBe(11);
    expect(locatePackage(LOCK, 'a?b').key).toBeNull();
    expect(locatePackage(LOCK, '.*').key).toBeNull();
  });
  it('does not take a string value equal to the key for the entry', () => {
    expect(locatePackage('{\n"x": "node_modules/q",\n"node_modules/q": "1"\n}', 'q').key).toBeNull();
  });
  it('handles CRLF lockfiles', () => {
    expect(locatePackage(LOCK.replace(/\n/g, '\r\n'), 'a').line).toBe(7);
  });
  it.each([
    ['an empty name', ''],
    ['a quote', 'a": {'],
    ['a backslash', 'a\\'],
    ['a line break', 'a\n"node_modules/a'],
    ['a NUL', 'a\u0000'],
    ['an over-long name', 'a'.repeat(300)],
  ])('refuses %s (line 1, not found)', (_, name) => {
    expect(locatePackage(LOCK, name)).toEqual({ line: 1, key: null });
  });
  it('is bounded on huge input and on input without newlines', () => {
    const huge = `${'x'.repeat(MAX_LOCKFILE_CHARS)}\n"node_modules/a": {`;
    expect(locatePackage(huge, 'a').key).toBeNull();
    expect(locatePackage('"node_modules/a": {', 'a').line).toBe(1);
    expect(locatePackage('', 'a')).toEqual({ line: 1, key: null });
  });
});

describe('GitHub workflow command escaping', () => {
  it('escapes %, CR and LF in data, % first', () => {
    expect(escapeData('100% \r\n %0A')).toBe('100%25 %0D%0A %250A');
  });
  it('escapes : and , in properties too', () => {
    expect(escapeProperty('a:b,c::d%')).toBe('a%3Ab%2Cc%3A%3Ad%25');
  });
  it('a hostile message or title cannot end the command, add a property or start a second command', () => {
    const line = workflowCommand('error', { title: 'x,file=/etc/passwd::y', line: 3 }, 'ok\n::add-mask::secret\r\n::error file=a::b');
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toBe('::error title=x%2Cfile=/etc/passwd%3A%3Ay,line=3::ok%0A::add-mask::secret%0D%0A::error file=a::b');
    // After the command's own `::`, the runner reads the rest as the message: one `::` separator before it.
    const head = line.slice(0, line.indexOf('::', 2));
    expect(head).toBe('::error title=x%2Cfile=/etc/passwd%3A%3Ay,line=3');
  });
});

describe('Markdown escaping', () => {
  it.each([
    ['a link', '[click](https://evil.example/x)', /\]\(|https:\/\//],
    ['an image', '![x](http://evil.example/p.png)', /!\[|http:\/\//],
    ['HTML', '<img src=x onerror=alert(1)><script>', /<|>/],
    ['a table break', 'a | b | c', /\|/],
    ['a mention and a reference', '@octocat fixed #123', /@o|#1/],
    ['a heading', '# Owned', /^#/],
    ['a list item', '- item', /^-/],
    ['an autolink', 'see www.evil.example', /www\./],
    ['emphasis and code', '**bold** _it_ `code` ~~s~~', /\*\*|`|~~|_it_/],
    ['a raw newline', 'a\n\n# b', /\n/],
  ])('mdText neutralises %s', (_, input, forbidden) => {
    expect(mdText(input)).not.toMatch(forbidden);
  });
  it('mdCode fences longer than any backtick run and escapes table pipes', () => {
    expect(mdCode('a ``b`` c')).toBe('``` a ``b`` c ```');
    expect(mdCode('a|b')).toBe('` a\\|b `');
    expect(mdCode('x\ny')).not.toContain('\n');
  });
});

describe('XML escaping', () => {
  it('escapes the specials and drops characters XML 1.0 forbids', () => {
    expect(xmlEscape(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
    expect(xmlEscape('a\u0000b\uffffc')).not.toMatch(/[\u0000\uffff]/);
    expect(xmlEscape(']]>')).toBe(']]&gt;');
  });
});

describe('words', () => {
  it('counts with the right plural', () => {
    expect(count(1, 'package')).toBe('1 package');
    expect(count(2, 'package')).toBe('2 packages');
    expect(count(0, 'process', 'processes')).toBe('0 processes');
  });
  it('reads durations', () => {
    expect([duration(840), duration(12_345), duration(125_000)]).toEqual(['840 ms', '12.3 s', '2 min 05 s']);
  });
  it('writes one policy entry per finding, JSON-quoted (a hostile value stays a string)', () => {
    expect(policyLine({ name: 'sharp', version: '1' }, [{ field: 'network', value: 'github.com:443', lifecycle: 'install' }])).toBe('packages: {"sharp": {"network": ["github.com:443"]}}');
    expect(policyLine({ name: 'x', version: '1' }, [{ field: 'entry', value: 'x@1', lifecycle: 'postinstall' }, { field: 'scripts', value: 'sha256:ab', lifecycle: 'postinstall' }])).toBe('packages: {"x@1": {"scripts": {"postinstall": "sha256:ab"}}}');
    expect(policyLine({ name: 'x', version: '1' }, [{ field: 'entry', value: 'x@1', lifecycle: '' }])).toBe('packages: {"x@1": true}');
    expect(JSON.parse(policyLine({ name: 'e"}', version: '1' }, [{ field: 'write', value: '"]}, evil: [', lifecycle: 'i' }]).slice('packages: '.length))).toEqual({ 'e"}': { write: ['"]}, evil: ['] } });
  });
});
