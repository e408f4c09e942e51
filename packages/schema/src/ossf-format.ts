/**
 * OpenSSF package-analysis' dynamic-analysis result, the format its pipelines load (one record per
 * package: `Package`, `CreatedTimestamp`, and per phase the strace summary). Written from its public
 * documentation (docs/data_schema.md) and Go types (pkg/api/analysisrun/result.go, key.go, phase.go;
 * internal/analysis/status.go) at ossf/package-analysis 4481b3a, so that `safe-install analyze
 * --format ossf` feeds an existing package-analysis pipeline unchanged.
 *
 * As in package-analysis, Stdout and Stderr are base64 (Go marshals []byte so), cut to 4 KiB each.
 */

/** package-analysis' phases; ours map onto them: install → install, import → import, bins → execute. */
export type OssfPhase = 'install' | 'import' | 'execute';

/** internal/analysis/status.go */
export type OssfStatus = 'completed' | 'error_timeout' | 'error_analysis' | 'error_other';

export interface OssfFileResult {
  Path: string;
  Read: boolean;
  Write: boolean;
  Delete: boolean;
}

export interface OssfSocketResult {
  Address: string;
  Port: number;
  Hostnames: string[];
}

export interface OssfCommandResult {
  Command: string[];
  Environment: string[];
}

export interface OssfDnsResult {
  Class: string;
  Queries: { Hostname: string; Types: string[] }[];
}

export interface OssfStraceSummary {
  Status: OssfStatus;
  Stdout: string;
  Stderr: string;
  Files: OssfFileResult[];
  Sockets: OssfSocketResult[];
  Commands: OssfCommandResult[];
  DNS: OssfDnsResult[];
}

/** DynamicAnalysisRecord with its Analysis as DynamicAnalysisStraceSummary. */
export interface OssfDynamicAnalysisRecord {
  Package: { Ecosystem: string; Name: string; Version: string };
  /** Unix seconds. */
  CreatedTimestamp: number;
  Analysis: Partial<Record<OssfPhase, OssfStraceSummary>>;
}

/** How much of each output stream package-analysis keeps (docs/data_schema.md: "limited to 4K bytes each"). */
export const OSSF_OUTPUT_BYTES = 4096;

const strings = { type: 'array', items: { type: 'string' } } as const;

const straceSummary = {
  type: 'object',
  required: ['Status', 'Stdout', 'Stderr', 'Files', 'Sockets', 'Commands', 'DNS'],
  additionalProperties: false,
  properties: {
    Status: { enum: ['completed', 'error_timeout', 'error_analysis', 'error_other'] },
    // base64 of at most 4096 bytes: at most 5464 characters.
    Stdout: { type: 'string', pattern: '^[A-Za-z0-9+/]*={0,2}$', maxLength: 5464 },
    Stderr: { type: 'string', pattern: '^[A-Za-z0-9+/]*={0,2}$', maxLength: 5464 },
    Files: {
      type: 'array',
      items: {
        type: 'object',
        required: ['Path', 'Read', 'Write', 'Delete'],
        additionalProperties: false,
        properties: { Path: { type: 'string', minLength: 1 }, Read: { type: 'boolean' }, Write: { type: 'boolean' }, Delete: { type: 'boolean' } },
      },
    },
    Sockets: {
      type: 'array',
      items: {
        type: 'object',
        required: ['Address', 'Port'],
        additionalProperties: false,
        properties: { Address: { type: 'string', minLength: 1 }, Port: { type: 'integer', minimum: 0, maximum: 65535 }, Hostnames: strings },
      },
    },
    Commands: {
      type: 'array',
      items: {
        type: 'object',
        required: ['Command'],
        additionalProperties: false,
        properties: { Command: { ...strings, minItems: 1 }, Environment: strings },
      },
    },
    DNS: {
      type: 'array',
      items: {
        type: 'object',
        required: ['Class', 'Queries'],
        additionalProperties: false,
        properties: {
          Class: { type: 'string', minLength: 1 },
          Queries: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              required: ['Hostname', 'Types'],
              additionalProperties: false,
              properties: { Hostname: { type: 'string', minLength: 1 }, Types: { ...strings, minItems: 1 } },
            },
          },
        },
      },
    },
  },
} as const;

/** The JSON Schema of OssfDynamicAnalysisRecord (draft 2020-12); kept as a file in schema/. */
export const OSSF_DYNAMIC_ANALYSIS_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://safe-install.invalid/schema/ossf-dynamic-analysis.schema.json',
  title: 'OpenSSF package-analysis dynamic-analysis result (DynamicAnalysisRecord with strace summaries)',
  description: 'Written from ossf/package-analysis docs/data_schema.md and pkg/api/analysisrun (4481b3a).',
  type: 'object',
  required: ['Package', 'CreatedTimestamp', 'Analysis'],
  additionalProperties: false,
  properties: {
    Package: {
      type: 'object',
      required: ['Ecosystem', 'Name', 'Version'],
      additionalProperties: false,
      properties: {
        Ecosystem: { enum: ['npm', 'pypi', 'packagist', 'rubygems', 'crates.io'] },
        Name: { type: 'string', minLength: 1 },
        Version: { type: 'string', minLength: 1 },
      },
    },
    CreatedTimestamp: { type: 'integer', minimum: 0 },
    Analysis: {
      type: 'object',
      additionalProperties: false,
      properties: { install: straceSummary, import: straceSummary, execute: straceSummary },
    },
  },
} as const;
