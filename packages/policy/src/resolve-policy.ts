/**
 * Merges the layers of a policy, lowest first:
 *
 *   built-in defaults < policy file (or package.json `safeInstall`) < environment
 *   (`SAFE_INSTALL_MODE`, `SAFE_INSTALL_FAIL_ON`) < CLI flags (`overrides`)
 *
 * Package-manager allowances (npm `allowScripts`, pnpm, LavaMoat) join the policy file's package
 * rules; a denial from any source wins. Pure: the loader gathers the inputs.
 */
import type { Severity } from '@safe-install/schema';
import { SEVERITIES } from '@safe-install/schema';
import type { ImportedAllowances } from './interop/import-script-allowances.js';
import { parsePackageSpec } from './match/package-spec.js';
import type { PackageRule, Policy, PolicyDocument, PolicyMode, RuleOrigin } from './policy-types.js';
import { POLICY_VERSION } from './policy-types.js';
import { isSeverity } from './severity.js';

/** Built-in defaults: block mode, fail on `high` and above, nothing allowed. */
export const DEFAULT_MODE: PolicyMode = 'block';
export const DEFAULT_FAIL_ON: Severity = 'high';

/** Values from the CLI, the highest layer. */
export interface PolicyOverrides {
  mode?: PolicyMode;
  failOn?: Severity;
}

/** The environment variables the engine reads. */
export const ENV_MODE = 'SAFE_INSTALL_MODE';
export const ENV_FAIL_ON = 'SAFE_INSTALL_FAIL_ON';

export interface PolicyLayers {
  /** The validated policy file, if any. */
  document?: PolicyDocument | null;
  /** The file it came from (for messages). */
  documentFile?: string;
  interop?: ImportedAllowances | null;
  env?: Readonly<Record<string, string | undefined>>;
  overrides?: PolicyOverrides;
}

/** The resolved policy plus what the user should know; `errors` (bad env values) make it unusable. */
export interface ResolvedPolicy {
  value: Policy | null;
  warnings: string[];
  errors: string[];
}

/** The policy of a project with no configuration at all. */
export function defaultPolicy(): Policy {
  return {
    version: POLICY_VERSION,
    mode: DEFAULT_MODE,
    failOn: DEFAULT_FAIL_ON,
    network: { allow: [] },
    packages: [],
    ignore: [],
    allowAllScripts: null,
    configured: false,
    document: false,
    unlistedScripts: 'fail',
    sources: ['built-in defaults'],
  };
}

/** Merge the layers. */
export function resolvePolicy(layers: PolicyLayers): ResolvedPolicy {
  const policy = defaultPolicy();
  const warnings: string[] = [];
  const errors: string[] = [];

  const doc = layers.document ?? null;
  if (doc !== null) {
    const file = layers.documentFile ?? 'policy';
    policy.sources.push(file);
    policy.configured = true;
    policy.document = true;
    if (doc.mode !== undefined) policy.mode = doc.mode;
    if (doc.failOn !== undefined) policy.failOn = doc.failOn;
    policy.network.allow = [...(doc.network?.allow ?? [])];
    policy.packages.push(...documentRules(doc, { kind: 'policy', file }));
    policy.ignore = (doc.ignore ?? []).map((entry) => ({
      rule: entry.rule,
      package: entry.package ?? null,
      reason: entry.reason,
      expires: entry.expires ?? null,
      expiresAt: entry.expires === undefined ? null : expiryOf(entry.expires),
      origin: { kind: 'policy', file },
    }));
  }

  const interop = layers.interop ?? null;
  if (interop !== null) {
    warnings.push(...interop.warnings);
    if (interop.rules.length > 0 || interop.allowAll !== null) {
      policy.configured = true;
      policy.packages.push(...interop.rules);
      policy.allowAllScripts = interop.allowAll;
      if (doc === null && interop.allowAll === null && interop.rules.every((r) => r.origin.kind === 'npm-allowScripts')) policy.unlistedScripts = 'unreviewed';
      const files = new Set(interop.rules.map((r) => `${r.origin.file} (${r.origin.kind})`));
      if (interop.allowAll !== null) files.add(`${interop.allowAll.file} (pnpm)`);
      policy.sources.push(...files);
    }
  }

  const env = layers.env ?? {};
  const envMode = env[ENV_MODE];
  if (envMode !== undefined && envMode !== '') {
    if (envMode === 'block' || envMode === 'audit') {
      policy.mode = envMode;
      policy.sources.push(`${ENV_MODE}=${envMode}`);
    } else errors.push(`${ENV_MODE} must be block or audit, got ${JSON.stringify(envMode)}`);
  }
  const envFailOn = env[ENV_FAIL_ON];
  if (envFailOn !== undefined && envFailOn !== '') {
    if (isSeverity(envFailOn)) {
      policy.failOn = envFailOn;
      policy.sources.push(`${ENV_FAIL_ON}=${envFailOn}`);
    } else errors.push(`${ENV_FAIL_ON} must be one of ${SEVERITIES.join(', ')}, got ${JSON.stringify(envFailOn)}`);
  }

  const overrides = layers.overrides ?? {};
  if (overrides.mode !== undefined) {
    policy.mode = overrides.mode;
    policy.sources.push(`--mode ${overrides.mode}`);
  }
  if (overrides.failOn !== undefined) {
    policy.failOn = overrides.failOn;
    policy.sources.push(`--fail-on ${overrides.failOn}`);
  }
  return { value: errors.length === 0 ? policy : null, warnings, errors };
}

/** The package rules a validated document declares. */
export function documentRules(doc: PolicyDocument, origin: RuleOrigin): PackageRule[] {
  const out: PackageRule[] = [];
  for (const [spec, entry] of Object.entries(doc.packages ?? {})) {
    const parsed = parsePackageSpec(spec);
    if ('error' in parsed) continue; // validated documents have none
    const details = typeof entry === 'object' ? entry : {};
    out.push({
      spec,
      name: parsed.spec.name,
      range: parsed.spec.range,
      allow: entry !== false,
      scripts:
        details.scripts === undefined
          ? null
          : Object.entries(details.scripts).map(([lifecycle, pins]) => ({
              lifecycle,
              hashes: (Array.isArray(pins) ? pins : [pins]).map((p) => p.replace(/^sha256:/i, '').toLowerCase()),
            })),
      exec: [...(details.exec ?? [])],
      write: [...(details.write ?? [])],
      network: [...(details.network ?? [])],
      env: [...(details.env ?? [])],
      origin,
    });
  }
  return out;
}

/**
 * A date-only expiry lasts through that day (UTC): "expires: 2026-03-01" still applies on
 * March 1st. A date-time without a zone is read as UTC, so the result does not depend on where CI runs.
 */
export function expiryOf(expires: string): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(expires)) return Date.parse(`${expires}T23:59:59.999Z`);
  if (/T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/.test(expires)) return Date.parse(`${expires}Z`);
  return Date.parse(expires);
}
