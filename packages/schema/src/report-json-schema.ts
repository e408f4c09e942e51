/**
 * The JSON Schema (draft 2020-12) of the JSON report (`--report FILE`, `--json`): what `report.ts`
 * states in TypeScript, for tools that read reports without this code. Versioned with
 * REPORT_SCHEMA_VERSION; the file schema/report.v<N>.schema.json is generated from this constant
 * (a unit test keeps them equal) and a real report is checked against it in the tests.
 *
 * Closed where a reader branches on a value (verdict, outcome, severities) and open to new optional
 * fields (`additionalProperties` is left true), so a newer report still validates for older readers.
 */
import { REPORT_SCHEMA_VERSION, SEVERITIES } from './report.js';

const string = { type: 'string' } as const;
const count = { type: 'integer', minimum: 0 } as const;
const severity = { enum: [...SEVERITIES] } as const;
const packageRef = { type: 'object', required: ['name', 'version'], properties: { name: string, version: string } } as const;
const approval = {
  type: 'object',
  required: ['package', 'path', 'approve', 'entry'],
  properties: { package: packageRef, path: string, approve: string, entry: string },
} as const;

export const REPORT_JSON_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: `https://safe-install.invalid/schema/report.v${REPORT_SCHEMA_VERSION}.schema.json`,
  title: `safe-install report, version ${REPORT_SCHEMA_VERSION}`,
  type: 'object',
  required: ['schemaVersion', 'tool', 'command', 'project', 'verdict', 'outcome', 'findings', 'scripts', 'summary', 'timings'],
  properties: {
    schemaVersion: { const: REPORT_SCHEMA_VERSION },
    tool: { type: 'object', required: ['name', 'version'], properties: { name: { const: 'safe-install' }, version: string } },
    command: { enum: ['ci', 'analyze', 'install', 'update'] },
    project: string,
    verdict: { enum: ['pass', 'fail'] },
    outcome: { enum: ['completed', 'install-failed', 'timeout', 'infrastructure-error', 'export-failed'] },
    findings: {
      type: 'array',
      items: {
        type: 'object',
        required: ['ruleId', 'severity', 'message', 'evidence'],
        properties: {
          ruleId: { type: 'string', pattern: '^[a-z][a-z0-9-]*$' },
          severity,
          package: packageRef,
          lifecycle: string,
          message: string,
          evidence: { type: 'array', items: { type: 'string', minLength: 1 } },
          hint: string,
          allow: {
            type: 'array',
            items: {
              type: 'object',
              required: ['field', 'value', 'lifecycle'],
              properties: { field: { enum: ['entry', 'scripts', 'exec', 'write', 'network'] }, value: string, lifecycle: string },
            },
          },
          subject: string,
          occurrences: count,
          ranIn: { type: 'object', required: ['package', 'lifecycle', 'bin'], properties: { package: packageRef, lifecycle: string, bin: string } },
          chain: {
            type: 'array',
            items: { type: 'object', required: ['pid', 'argv0'], properties: { pid: count, argv0: string, exe: string } },
          },
        },
      },
    },
    scripts: {
      type: 'array',
      items: {
        type: 'object',
        required: ['package', 'lifecycle', 'command'],
        properties: { package: packageRef, lifecycle: string, command: string, code: { type: 'integer' }, signal: string, durationMs: count },
      },
    },
    scriptReview: {
      type: 'object',
      required: ['npmVersion', 'pending', 'unreviewed'],
      properties: { npmVersion: string, packageManager: { enum: ['pnpm', 'bun', 'yarn-berry'] }, policyAllowed: { type: 'array', items: packageRef }, pending: { type: 'array', items: approval }, unreviewed: { type: 'array', items: approval } },
    },
    summary: {
      type: 'object',
      required: ['findings', 'bySeverity', 'events', 'scripts', 'packages'],
      properties: {
        findings: count,
        bySeverity: { type: 'object', required: [...SEVERITIES], properties: Object.fromEntries(SEVERITIES.map((s) => [s, count])) },
        events: count,
        scripts: count,
        packages: count,
      },
    },
    network: {
      type: 'object',
      required: ['requests', 'allowed', 'refused', 'hosts'],
      properties: {
        requests: count,
        allowed: count,
        refused: count,
        hosts: { type: 'array', items: { type: 'object', required: ['host', 'allowed', 'refused'], properties: { host: string, allowed: count, refused: count } } },
      },
    },
    timings: { type: 'object', additionalProperties: { type: 'number', minimum: 0 } },
    export: {
      type: 'object',
      required: ['applied', 'nodeModules', 'projectFiles', 'deleted', 'issues'],
      properties: {
        applied: { type: 'boolean' },
        nodeModules: { type: 'array', items: string },
        projectFiles: {
          type: 'array',
          items: {
            type: 'object',
            required: ['path', 'change', 'type', 'bytes', 'mode'],
            properties: { path: string, change: { enum: ['created', 'modified'] }, type: { enum: ['file', 'symlink'] }, sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' }, bytes: count, mode: count, target: string },
          },
        },
        deleted: { type: 'array', items: string },
        issues: { type: 'array', items: { type: 'object', required: ['path', 'action', 'reason'], properties: { path: string, action: { enum: ['rejected', 'neutralised'] }, reason: string } } },
        error: string,
      },
    },
    upload: {
      type: 'object',
      required: ['removedNpmConfig', 'decoyCredentials', 'decoyEnvFiles'],
      properties: {
        removedNpmConfig: { type: 'array', items: { type: 'object', required: ['file', 'key', 'reason'], properties: { file: string, key: string, reason: string } } },
        decoyCredentials: { type: 'array', items: { type: 'object', required: ['file', 'key'], properties: { file: string, key: string } } },
        decoyEnvFiles: { type: 'array', items: string },
      },
    },
  },
} as const;
