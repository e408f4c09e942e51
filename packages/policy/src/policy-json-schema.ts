/**
 * The JSON Schema of the policy file (draft-07, what editors' YAML and JSON plugins understand).
 * `validatePolicyNode` accepts exactly this shape and adds the checks a schema cannot express well
 * (semver ranges, known variables); a test keeps the two in agreement, and another writes the
 * schema to `schema/policy.schema.json` so any change shows up in review.
 */
import { SEVERITIES } from '@safe-install/schema';
import { RULES } from './rule-catalog.js';
import { IGNORE_KEYS, LIFECYCLE_EVENTS, MODES, PACKAGE_KEYS } from './validate/validate-policy.js';

const stringList = (description: string, pattern?: string): Record<string, unknown> => ({
  type: 'array',
  description,
  items: pattern === undefined ? { type: 'string', minLength: 1 } : { type: 'string', minLength: 1, pattern },
});

const HOST = '^(?:\\[[0-9A-Fa-f:.]+\\]|(?:\\*\\.)?[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)(?::(?:[0-9]{1,5}|\\*))?$';
const PATH = '^(?:/|\\$\\{?(?:PROJECT|HOME|TMPDIR|PACKAGE|NODE_MODULES)\\b)';
const EXEC = '^(?:/|\\$\\{?(?:PROJECT|HOME|TMPDIR|PACKAGE|NODE_MODULES)\\b|[^/$]+$)';
const HASH = '^sha256:[0-9a-fA-F]{64}$';
const NAME = '(?:@[A-Za-z0-9~-][A-Za-z0-9._~-]*/)?[A-Za-z0-9~-][A-Za-z0-9._~-]*';
const SPEC = `^${NAME}(?:@.+)?$`;

/** The policy file's JSON Schema. */
export const POLICY_JSON_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'urn:safe-install:policy:1',
  title: 'safe-install policy',
  description:
    'Which dependencies may run install scripts, and what those scripts may do beyond the built-in rules. ' +
    'Found in safe-install.config.json / .yaml / .yml, or under "safeInstall" in package.json.',
  type: 'object',
  additionalProperties: false,
  required: ['version'],
  properties: {
    $schema: { type: 'string', description: 'Where editors find this schema.' },
    version: { const: 1, description: 'Policy format version.' },
    mode: { enum: [...MODES], default: 'block', description: 'block: fail on findings at or above failOn; audit: report only.' },
    failOn: { enum: [...SEVERITIES], default: 'high', description: 'Lowest severity that fails the run in block mode.' },
    network: {
      type: 'object',
      additionalProperties: false,
      description: 'Network allowances for every package.',
      properties: { allow: stringList('host, host:port, *.domain[:port], IPv4, or [IPv6][:port]', HOST) },
    },
    packages: {
      type: 'object',
      description: 'Keys: name, name@range or name@version. Values: true (may run scripts), false (may not), or allowances.',
      propertyNames: { pattern: SPEC, maxLength: 300 },
      additionalProperties: { $ref: '#/definitions/packageEntry' },
    },
    ignore: {
      type: 'array',
      description: 'Accepted findings. Each needs a reason; an expired entry stops applying and produces a warning.',
      items: { $ref: '#/definitions/ignore' },
    },
  },
  definitions: {
    packageEntry: {
      anyOf: [{ type: 'boolean' }, { type: 'null' }, { $ref: '#/definitions/allowances' }],
    },
    allowances: {
      type: 'object',
      additionalProperties: false,
      properties: {
        [PACKAGE_KEYS[0]]: {
          type: 'object',
          description: 'Pins of the script commands per lifecycle event: sha256 of the command (the trace\'s commandHash).',
          propertyNames: { enum: [...LIFECYCLE_EVENTS] },
          additionalProperties: {
            anyOf: [{ type: 'string', pattern: HASH }, { type: 'array', items: { type: 'string', pattern: HASH } }],
          },
        },
        [PACKAGE_KEYS[1]]: stringList('Programs it may run: absolute path, $VARIABLE path, glob, or a bare program name.', EXEC),
        [PACKAGE_KEYS[2]]: stringList('Paths it may write outside its own folder (globs; $PROJECT, $HOME, $TMPDIR, $PACKAGE, $NODE_MODULES).', PATH),
        [PACKAGE_KEYS[3]]: stringList('Hosts it may reach through the gateway.', HOST),
        [PACKAGE_KEYS[4]]: stringList('Environment variables whose values it may pass on (a trailing * matches a prefix).', '^[A-Za-z_][A-Za-z0-9_]*\\*?$'),
      },
    },
    ignore: {
      type: 'object',
      additionalProperties: false,
      required: ['rule', 'reason'],
      properties: {
        [IGNORE_KEYS[0]]: { enum: RULES.map((r) => r.id), description: 'The rule id.' },
        [IGNORE_KEYS[1]]: { type: 'string', pattern: SPEC, description: 'name, name@range or name@version; absent: any package.' },
        [IGNORE_KEYS[2]]: { type: 'string', minLength: 1, pattern: '\\S', description: 'Why the finding is acceptable.' },
        [IGNORE_KEYS[3]]: {
          type: 'string',
          pattern: '^\\d{4}-\\d{2}-\\d{2}(?:T\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d{1,9})?)?(?:Z|[+-]\\d{2}:\\d{2})?)?$',
          description: 'ISO date or date-time after which the entry no longer applies.',
        },
      },
    },
  },
} as const;
