/**
 * The policy parser reads files from the repository under test, which an attacker may control (a
 * pull request). It must answer every input quickly with errors, never hang, crash, or let a key
 * reach an object prototype.
 */
import { importScriptAllowances } from '../interop/import-script-allowances.js';
import { formatIssue } from './policy-issue.js';
import { MAX_POLICY_BYTES, parseManifestPolicy, parsePolicyText } from './parse-policy-text.js';

const yaml = (text: string) => parsePolicyText(text, { file: 'p.yaml', format: 'yaml' });
const json = (text: string) => parsePolicyText(text, { file: 'p.json', format: 'json' });
const errors = (r: ReturnType<typeof yaml>): string[] => r.errors.map(formatIssue);

/** Run `fn`, expecting it to finish in `ms`. */
function quick<T>(ms: number, fn: () => T): T {
  const start = performance.now();
  const out = fn();
  expect(performance.now() - start).toBeLessThan(ms);
  return out;
}

describe('size', () => {
  it('refuses a file over the limit before parsing it', () => {
    const r = quick(200, () => yaml(`version: 1\n#${'x'.repeat(MAX_POLICY_BYTES)}`));
    expect(errors(r)).toEqual([`p.yaml:1:1: the file is ${MAX_POLICY_BYTES + 12} bytes; the limit is ${MAX_POLICY_BYTES}`]);
  });

  it('handles a large valid file in linear time', () => {
    const text = `version: 1\npackages:\n${Array.from({ length: 20_000 }, (_, i) => `  p${i}: true\n`).join('')}`;
    const r = quick(2000, () => yaml(text));
    expect(r.errors).toEqual([]);
    expect(Object.keys(r.value?.packages ?? {})).toHaveLength(20_000);
  });
});

describe('nesting', () => {
  it.each([
    ['YAML flow', () => yaml('['.repeat(500_000)), 'p.yaml:1:65: YAML syntax error: nesting deeper than 64 levels'],
    ['YAML flow inside a key', () => yaml(`version: 1\nx: ${'{a: '.repeat(100)}1${'}'.repeat(100)}`), 'p.yaml:2:260: YAML syntax error: nesting deeper than 64 levels'],
    ['JSON arrays', () => json('['.repeat(500_000)), 'p.json:1:65: JSON syntax error: nesting deeper than 64 levels'],
    ['JSON objects', () => json(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`), 'p.json:1:321: JSON syntax error: nesting deeper than 64 levels'],
  ])('%s: refused with a position', (_, parse, message) => {
    expect(errors(quick(500, parse))).toEqual([message]);
  });

  it('YAML block nesting', () => {
    let text = 'version: 1\n';
    for (let i = 0; i < 200; i++) text += `${' '.repeat(i)}k${i}:\n`;
    expect(errors(quick(500, () => yaml(text)))).toEqual(['p.yaml:66:65: YAML syntax error: nesting deeper than 64 levels']);
  });

  it('brackets inside quoted strings do not count', () => {
    expect(yaml(`version: 1\n$schema: "${'['.repeat(1000)}"\n`).errors).toEqual([]);
    expect(yaml(`version: 1\n$schema: '${'{'.repeat(1000)}'\n`).errors).toEqual([]);
  });
});

describe('aliases', () => {
  it('refuses an alias bomb (billion laughs) quickly', () => {
    const lines = ['version: 1', 'a: &a [x,x,x,x,x,x,x,x,x,x]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      lines.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(',')}]`);
    }
    const r = quick(500, () => yaml(lines.join('\n')));
    expect(errors(r)).toEqual(['p.yaml:4:32: YAML syntax error: more than 100 aliases: refusing a possible alias bomb']);
  });

  it('refuses recursive aliases', () => {
    expect(errors(yaml('version: 1\na: &a [*a]\n'))).toEqual(['p.yaml:2:8: YAML syntax error: recursive alias *a']);
  });

  it('expands a few honest aliases, pointing at where they are used', () => {
    const r = yaml('version: 1\nnetwork:\n  allow: &hosts [github.com]\npackages:\n  sharp:\n    network: *hosts\n  bad:\n    write: *hosts\n');
    expect(errors(r)).toEqual(['p.yaml:8:12: packages.bad.write[0]: "github.com" must be absolute or start with one of $PROJECT, $HOME, $TMPDIR, $PACKAGE, $NODE_MODULES']);
  });

  it('YAML merge keys are plain (unknown) keys, not inheritance', () => {
    expect(errors(yaml('version: 1\npackages:\n  a: &base {exec: [node]}\n  b:\n    <<: *base\n'))).toEqual([
      'p.yaml:5:5: packages.b: unknown key "<<" (expected one of: scripts, exec, write, network, env)',
    ]);
  });
});

describe('prototype pollution', () => {
  afterEach(() => {
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('__proto__ and constructor at the top level are unknown keys', () => {
    expect(errors(yaml('version: 1\n__proto__: {polluted: true}\n'))).toEqual([
      'p.yaml:2:1: unknown key "__proto__" (expected one of: $schema, version, mode, failOn, network, packages, ignore)',
    ]);
    expect(errors(json('{"version": 1, "__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}'))).toHaveLength(2);
  });

  it('__proto__ is not a package name; constructor is, and stays data', () => {
    expect(errors(yaml('version: 1\npackages:\n  __proto__: {exec: [x]}\n'))).toEqual(['p.yaml:3:3: packages.__proto__: "__proto__" is not a valid npm package name']);
    const r = yaml('version: 1\npackages:\n  constructor: {exec: [polluted]}\n  toString: true\n');
    expect(r.errors).toEqual([]);
    expect(Object.getPrototypeOf(r.value?.packages)).toBeNull();
    expect(Object.keys(r.value?.packages ?? {})).toEqual(['constructor', 'toString']);
  });

  it('package.json interop data cannot pollute either', () => {
    const m = parseManifestPolicy('{"name": "x", "__proto__": {"polluted": true}, "allowScripts": {"__proto__": true, "constructor": true}, "pnpm": {"allowBuilds": {"__proto__": {"polluted": true}}}}');
    expect(m.errors).toEqual([]);
    const imported = importScriptAllowances({ packageJson: m.manifest, pnpmWorkspace: null });
    expect(imported.rules.map((r) => r.name)).toEqual(['constructor']);
  });
});

describe('odd YAML', () => {
  it.each([
    ['non-string keys', 'version: 1\n1: x\n? [a]\n: b\ntrue: 1\nnull: 2\n', [
      'p.yaml:2:1: keys must be strings, got a number (quote the key)',
      'p.yaml:3:3: keys must be strings, got a list',
      'p.yaml:5:1: keys must be strings, got a boolean (quote the key)',
      'p.yaml:6:1: keys must be strings, got nothing (null) (quote the key)',
    ]],
    ['a binary tag', 'version: 1\nmode: !!binary aGVsbG8=\n', ['p.yaml:2:16: YAML syntax error: unsupported YAML value (only strings, numbers, booleans and null)']],
    ['an unknown tag', 'version: 1\nmode: !block x\n', ['p.yaml:2:7: YAML syntax error: Unresolved tag: !block']],
    ['several documents', 'version: 1\n---\nversion: 1\n', ['p.yaml:2:1: YAML syntax error: Source contains multiple documents; please use YAML.parseAllDocuments()']],
    ['tabs as indentation', 'version: 1\npackages:\n\tesbuild: true\n', ['p.yaml:3:1: YAML syntax error: Tabs are not allowed as indentation']],
  ])('%s', (_, text, expected) => {
    expect(errors(yaml(text))).toEqual(expected);
  });

  it('control characters and very long strings come back as data, not trouble', () => {
    const r = yaml(`version: 1\nignore:\n  - rule: sandbox-probe\n    reason: "\\u001b[2J ${'y'.repeat(100_000)}"\n`);
    expect(r.errors).toEqual([]);
    expect(r.value?.ignore?.[0]?.reason.startsWith('\u001b[2J')).toBe(true);
  });

  it('random bytes never throw', () => {
    let seed = 42;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const alphabet = 'version: 1\n-[]{}:,&*!|>\'"#%@`?\t \\0x\u0000\u00ff\ud83d';
    for (let i = 0; i < 300; i++) {
      const text = Array.from({ length: Math.floor(rand() * 200) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
      expect(() => yaml(text)).not.toThrow();
      expect(() => json(text)).not.toThrow();
    }
  });
});
