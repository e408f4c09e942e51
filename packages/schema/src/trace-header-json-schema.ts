/**
 * The JSON Schema (draft 2020-12) of a trace file's first line, the {@link TraceHeader}: for
 * tools that read traces without this code. Like the event schema it is closed where a field's
 * meaning is fixed and open to new optional fields. The resolved policy inside is the policy
 * package's to describe (its own JSON Schema covers the file form); here it is only an object.
 */
import { TRACE_SCHEMA_VERSION } from './events.js';

const string = { type: 'string' } as const;
const strings = { type: 'array', items: string } as const;
const decoyKind = {
  enum: ['npm-token', 'github-token', 'aws-access-key-id', 'aws-secret-access-key', 'ssh-private-key', 'gcloud-credentials', 'docker-auth', 'kube-token', 'git-credentials', 'env-file-value'],
} as const;

export const TRACE_HEADER_JSON_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: `https://safe-install.invalid/schema/trace-header-v${TRACE_SCHEMA_VERSION}.json`,
  title: `safe-install trace header, schema version ${TRACE_SCHEMA_VERSION}`,
  type: 'object',
  required: ['type', 'schemaVersion', 'runId', 'tool', 'project', 'job', 'command', 'packageManager', 'phases', 'startedAt', 'complete', 'context', 'decoys', 'policy'],
  properties: {
    type: { const: 'trace-header' },
    schemaVersion: { const: TRACE_SCHEMA_VERSION },
    runId: { type: ['string', 'null'] },
    tool: { type: 'object', required: ['name', 'version'], properties: { name: { const: 'safe-install' }, version: string } },
    project: string,
    job: string,
    command: strings,
    packageManager: { type: 'object', required: ['name'], properties: { name: string, version: string } },
    phases: strings,
    startedAt: { type: 'number', minimum: 0 },
    complete: { type: 'boolean' },
    outcome: string,
    context: {
      type: 'object',
      required: ['projectDir', 'homeDir', 'tmpDir', 'nodeModules'],
      properties: {
        projectDir: string,
        homeDir: string,
        tmpDir: string,
        nodeModules: string,
        gateway: { type: 'array', items: { type: 'object', required: ['address'], properties: { address: string, port: { type: 'integer' } } } },
        resolvers: strings,
        registryHosts: strings,
        lockedPackages: { type: 'array', items: { type: 'object', required: ['name', 'version'], properties: { name: string, version: string } } },
        lifecycleMarker: string,
        npmVersion: string,
        toolDirs: strings,
        now: { type: 'number' },
      },
    },
    decoys: {
      type: 'object',
      required: ['values', 'files'],
      properties: {
        values: { type: 'array', items: { type: 'object', required: ['kind', 'value', 'plantedAt'], properties: { kind: decoyKind, value: string, plantedAt: strings } } },
        files: { type: 'array', items: { type: 'object', required: ['path', 'kind'], properties: { path: string, kind: decoyKind } } },
      },
    },
    policy: { type: 'object', required: ['resolved', 'interop'], properties: { resolved: { type: 'object' }, interop: { type: 'object' } } },
  },
} as const;
