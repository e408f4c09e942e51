import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { POLICY_JSON_SCHEMA } from './policy-json-schema.js';
import { parsePolicyText } from './validate/parse-policy-text.js';

const SCHEMA_FILE = fileURLToPath(new URL('../schema/policy.schema.json', import.meta.url));
const text = `${JSON.stringify(POLICY_JSON_SCHEMA, null, 2)}\n`;

describe('the policy JSON Schema', () => {
  it('matches schema/policy.schema.json (set UPDATE_POLICY_SCHEMA=1 to rewrite it after a deliberate change)', () => {
    // Written on first run, compared afterwards: a change to the policy format shows up in review.
    if (!existsSync(SCHEMA_FILE) || process.env['UPDATE_POLICY_SCHEMA'] === '1') writeFileSync(SCHEMA_FILE, text);
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(text);
  });

  const ajv = new Ajv({ allErrors: true, strict: true });
  const check = ajv.compile(POLICY_JSON_SCHEMA);
  const ours = (doc: unknown): boolean => parsePolicyText(JSON.stringify(doc), { file: 'p.json', format: 'json' }).errors.length === 0;

  const valid: unknown[] = [
    { version: 1 },
    { $schema: './x.json', version: 1, mode: 'audit', failOn: 'critical', network: { allow: ['github.com', '*.example.com:443', '[::1]:8080', '198.51.100.4'] } },
    {
      version: 1,
      packages: {
        esbuild: true,
        'core-js': false,
        '@swc/core@^1.13.0': null,
        'sharp@0.33.5': {
          scripts: { install: `sha256:${'ab'.repeat(32)}`, postinstall: [`sha256:${'CD'.repeat(32)}`] },
          exec: ['python3', '$PACKAGE/bin/x', '/usr/bin/*'],
          write: ['$HOME/.cache/sharp/**', '/opt/x'],
          network: ['github.com:443'],
          env: ['GITHUB_TOKEN', 'npm_config_*'],
        },
      },
      ignore: [{ rule: 'sandbox-probe', reason: 'x', package: 'nx', expires: '2026-01-01' }],
    },
  ];
  const invalid: unknown[] = [
    {},
    { version: 2 },
    { version: 1, extra: true },
    { version: 1, mode: 'strict' },
    { version: 1, failOn: 3 },
    { version: 1, network: { allow: 'github.com' } },
    { version: 1, network: { deny: [] } },
    { version: 1, packages: { esbuild: 'yes' } },
    { version: 1, packages: { esbuild: { exe: [] } } },
    { version: 1, packages: { esbuild: { scripts: { postinstal: `sha256:${'a'.repeat(64)}` } } } },
    { version: 1, packages: { esbuild: { scripts: { postinstall: 'md5:x' } } } },
    { version: 1, packages: { esbuild: { write: ['relative'] } } },
    { version: 1, packages: { esbuild: { network: ['a b'] } } },
    { version: 1, packages: { esbuild: { env: ['A-B'] } } },
    { version: 1, packages: { 'Not A Name': true } },
    { version: 1, ignore: [{ rule: 'sandbox-probe' }] },
    { version: 1, ignore: [{ rule: 'no-such-rule', reason: 'x' }] },
    { version: 1, ignore: [{ rule: 'sandbox-probe', reason: 'x', expires: 'soon' }] },
  ];

  it.each(valid.map((d) => [JSON.stringify(d).slice(0, 80), d]))('accepts %s, as the validator does', (_, doc) => {
    expect(check(doc)).toBe(true);
    expect(ours(doc)).toBe(true);
  });

  it.each(invalid.map((d) => [JSON.stringify(d).slice(0, 80), d]))('rejects %s, as the validator does', (_, doc) => {
    expect(check(doc)).toBe(false);
    expect(ours(doc)).toBe(false);
  });
});
