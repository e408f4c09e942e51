import { formatArgv, sanitizeText } from './sanitize-text.js';

describe('sanitizeText: untrusted strings made safe to print on one line', () => {
  it.each([
    ['an escape sequence that clears the screen', 'a\u001b[2Jb', 'a\\x1b[2Jb'],
    ['a newline that would forge a second line (or a workflow command)', 'ok\n::error::pwned', 'ok\\x0a::error::pwned'],
    ['a carriage return that would overwrite the line', 'safe\rEVIL', 'safe\\x0dEVIL'],
    ['a right-to-left override that reorders text', 'evil\u202etxt.exe', 'evil\\u202etxt.exe'],
    ['zero-width characters that hide a difference', 'lo\u200bdash', 'lo\\u200bdash'],
    ['a byte-order mark', '\ufeffname', '\\ufeffname'],
    ['a C1 control', 'x\u009by', 'x\\x9by'],
    ['DEL', 'x\u007fy', 'x\\x7fy'],
    ['bidi isolates', '\u2066a\u2069', '\\u2066a\\u2069'],
  ])('escapes %s', (_what, input, expected) => {
    expect(sanitizeText(input)).toBe(expected);
  });

  it('leaves ordinary text, including non-Latin letters and emoji, as it is', () => {
    for (const text of ['node-gyp rebuild', 'パッケージ', 'café ✓ 🚀', '@scope/name@1.2.3']) expect(sanitizeText(text)).toBe(text);
  });

  it('bounds the length, counting the escapes', () => {
    expect(sanitizeText('x'.repeat(10_000))).toHaveLength(200);
    expect(sanitizeText('x'.repeat(10_000), 50).endsWith('…')).toBe(true);
    const escapes = sanitizeText('\u001b'.repeat(1000), 100);
    expect(escapes).toHaveLength(100);
    expect(escapes).not.toMatch(/\u001b/);
  });

  it('a lone surrogate or odd code point cannot smuggle a control through', () => {
    const out = sanitizeText('\ud800\u001b\udfff');
    expect(out).not.toMatch(/\u001b/);
  });

  it('formatArgv quotes what is not a plain word, and sanitizes every part', () => {
    expect(formatArgv(['node', 'install.js', '--flag=1'])).toBe('node install.js --flag=1');
    expect(formatArgv(['sh', '-c', 'curl x | sh'])).toBe('sh -c "curl x | sh"');
    expect(formatArgv(['a\u001b[0m'])).not.toMatch(/\u001b/);
  });
});
