/**
 * @safe-install/policy — the policy engine. Pure: events in, findings out; only `loadPolicy`
 * reads files, and only `learnIntoPolicy` writes them.
 */
export * from './policy-types.js';
export { RULES, ruleInfo, isRuleId } from './rule-catalog.js';
export type { RuleId, RuleInfo } from './rule-catalog.js';
export { evaluate } from './evaluate.js';
export { policyAllowsScripts, policyDenial } from './engine/package-allowances.js';
// The policy's own matchers, for the CLI's trace filters (`trace show --path/--host`): one glob and host syntax.
export { checkPathPattern, pathMatches } from './match/path-pattern.js';
export { hostMatches, parseHostPattern } from './match/host-pattern.js';
export type { HostPattern } from './match/host-pattern.js';
export type { EvaluateInput } from './evaluate.js';
export { SANDBOX_CONTEXT, DEFAULT_LIFECYCLE_MARKER } from './engine/resolved-context.js';
export { loadPolicy, PolicyLoadError, POLICY_FILE_NAMES, PACKAGE_JSON_KEY, NEW_POLICY_FILE } from './load-policy.js';
export type { LoadPolicyOptions, LoadedPolicy, PolicyLocation, PolicySource } from './load-policy.js';
export { learnIntoPolicy, replaceFile } from './save-policy.js';
export type { SavedPolicy } from './save-policy.js';
export { resolvePolicy, defaultPolicy, DEFAULT_FAIL_ON, DEFAULT_MODE, ENV_FAIL_ON, ENV_MODE } from './resolve-policy.js';
export type { PolicyLayers, PolicyOverrides, ResolvedPolicy } from './resolve-policy.js';
export { importScriptAllowances } from './interop/import-script-allowances.js';
export type { ImportedAllowances, InteropSources } from './interop/import-script-allowances.js';
export { parsePolicyText, parseManifestPolicy, formatOf, MAX_POLICY_BYTES } from './validate/parse-policy-text.js';
export type { ManifestPolicy, SourceFormat } from './validate/parse-policy-text.js';
export { formatIssue } from './validate/policy-issue.js';
export type { PolicyIssue, ValidationResult } from './validate/policy-issue.js';
export { POLICY_JSON_SCHEMA } from './policy-json-schema.js';
export { learnPolicy } from './learn/learn-policy.js';
export { learnedPolicyText } from './learn/policy-text.js';
export type { ChangeField, LearnOptions, LearnResult, PolicyChange } from './learn/learn-policy.js';
export { allowScriptsEntries, approveKey, denyKey, identityFromTarballUrl, keyTargets, npmScriptVerdict, reviewAllowScripts, scriptCandidates } from './interop/npm-allow-scripts.js';
export { applyAllowScriptsDecision, packageJsonWithAllowScripts, packageJsonWithField } from './interop/allow-scripts-writer.js';
export type { AllowScriptsChange, AllowScriptsDecision, AllowScriptsEdit } from './interop/allow-scripts-writer.js';
export type { ScriptCandidate, ScriptVerdict } from './interop/npm-allow-scripts.js';
export { atLeast, severityRank, maxSeverity, isSeverity } from './severity.js';
