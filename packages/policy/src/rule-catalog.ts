/**
 * The built-in rules: stable ids, default severities and one-line explanations. Rules are always
 * on; a policy can allow behaviour per package or accept a finding with an `ignore` entry, never
 * switch a rule off.
 */
import type { Severity } from '@safe-install/schema';

/** Every rule id the engine can report. Ids are stable: policies and CI filters refer to them. */
export type RuleId =
  | 'decoy-credential-read'
  | 'credential-store-read'
  | 'decoy-exfiltration'
  | 'env-dump'
  | 'secret-sweep'
  | 'token-use'
  | 'registry-misuse'
  | 'network-not-allowed'
  | 'network-direct-connect'
  | 'network-raw-ip'
  | 'dns-encoded-data'
  | 'dns-foreign-resolver'
  | 'metadata-address'
  | 'download-then-execute'
  | 'exec-from-temp-or-home'
  | 'exec-not-allowed'
  | 'windows-loader-exec'
  | 'crypto-miner'
  | 'lingering-process'
  | 'persistence-write'
  | 'foreign-package-write'
  | 'self-tamper'
  | 'manifest-change'
  | 'destructive-wipe'
  | 'write-outside-package'
  | 'untraced-change'
  | 'forged-mtime'
  | 'privilege-escalation'
  | 'tracer-tamper'
  | 'trace-incomplete'
  | 'identity-mismatch'
  | 'planted-bin'
  | 'tracer-evasion'
  | 'fileless-exec'
  | 'sandbox-probe'
  | 'script-not-allowed'
  | 'script-hash-mismatch';

/** What a rule is, for the README, `safe-install policy rules` and hints. */
export interface RuleInfo {
  id: RuleId;
  /** The usual severity; a finding can be raised (correlation) or lowered (benign variant) from it. */
  severity: Severity;
  /** What triggers it, one line. */
  title: string;
  /** How to fix or allow it, one line. */
  hint: string;
  /**
   * Whether a per-package allowance in the policy can permit the behaviour, so learn mode may
   * propose it. The others can only be accepted with an explicit `ignore` entry and a reason.
   */
  allowable: boolean;
}

const rule = (id: RuleId, severity: Severity, allowable: boolean, title: string, hint: string): RuleInfo => ({
  id,
  severity,
  title,
  hint,
  allowable,
});

/** The rule table, in the order the README lists it. */
export const RULES: readonly RuleInfo[] = [
  rule('decoy-credential-read', 'high', false,
    'an install script read a planted credential file (~/.npmrc, ~/.aws/credentials, ~/.ssh/id_*, .env, ...)',
    'no install script needs your credentials: remove the package or pin a version without this behaviour'),
  rule('credential-store-read', 'medium', false,
    'an install script opened a credential store that holds no decoy (ssh, cloud, kube, docker, wallet, browser)',
    'review the package; if it is legitimate, accept it with an `ignore` entry and a reason'),
  rule('decoy-exfiltration', 'critical', false,
    'a planted secret appeared outside its file: in a DNS name, URL, header, body, payload or process argument',
    'treat the package as malicious: remove it, and report it to the registry'),
  rule('env-dump', 'high', false,
    'an install script dumped the whole environment (/proc/*/environ, `env` or `printenv` with no arguments)',
    'install scripts need specific variables, not all of them: review the package'),
  rule('secret-sweep', 'high', false,
    'an install script swept for secrets: a secret scanner, an AI CLI, a recursive search of HOME, or many credential probes',
    'treat the package as malicious unless the sweep is explained'),
  rule('token-use', 'high', false,
    'an install script used a registry, GitHub or cloud token (npm whoami/publish/token, gh auth token, registry write API)',
    'install scripts never need to act as you on the registry or GitHub: review the package'),
  rule('registry-misuse', 'high', false,
    'an install script used the registry for more than the locked packages: a package the lockfile lacks, data in the path, a refused API, a registry host on an odd port or with a query string',
    'install scripts get their code from the lockfile; review what the script fetched and why'),
  rule('network-not-allowed', 'high', true,
    'an install script reached (or tried to reach) a host the policy does not allow it',
    'if the host is expected, add it to the package\'s `network` list (or the global `network.allow`)'),
  rule('network-direct-connect', 'high', true,
    'an install script tried to connect straight to an address instead of going through the gateway',
    'scripts must use the proxy; a direct connection attempt is how payloads try to bypass it'),
  rule('network-raw-ip', 'high', true,
    'an install script sent a request to a raw IP address',
    'legitimate downloads use host names; allow the IP in the package\'s `network` list only if you know it'),
  rule('dns-encoded-data', 'high', false,
    'a DNS query carried encoded data in its labels (long hex, base32 or base64-looking, high entropy)',
    'DNS labels carrying data are an exfiltration channel: review the package'),
  rule('dns-foreign-resolver', 'high', false,
    'an install script sent DNS straight to a resolver other than the sandbox\'s',
    'DNS must go through the sandbox resolver; a foreign resolver is an exfiltration or evasion channel'),
  rule('metadata-address', 'critical', false,
    'an install script reached for the cloud metadata service (169.254.169.254, fd00:ec2::254, metadata.google.internal)',
    'no install script needs cloud instance credentials: treat the package as malicious'),
  rule('download-then-execute', 'critical', true,
    'a script wrote a file while it had network access (or a downloader ran) and then executed it or made it executable',
    'if this is a known binary download, allow the path in the package\'s `exec` list; otherwise remove the package'),
  rule('exec-from-temp-or-home', 'high', true,
    'an install script executed a program from a temporary directory or from HOME',
    'allow the path in the package\'s `exec` list if it is expected (e.g. a cached vendor binary)'),
  rule('exec-not-allowed', 'medium', true,
    'an install script ran a program outside its pinned `exec` list',
    'add the program to the package\'s `exec` list if the new behaviour is expected'),
  rule('windows-loader-exec', 'high', false,
    'an install script tried to run a Windows payload loader (rundll32, regsvr32, mshta, certutil, powershell, *.exe)',
    'these are dropper techniques; on Linux they fail, but the attempt shows intent'),
  rule('crypto-miner', 'high', false,
    'an install script started something that looks like a cryptocurrency miner (xmrig, stratum URLs, pool options)',
    'remove the package'),
  rule('lingering-process', 'high', false,
    'a process started by an install script outlived its script (daemon, `nohup`, detached child)',
    'install scripts must finish their work before they exit: review what was left running'),
  rule('persistence-write', 'critical', true,
    'an install script wrote a persistence location (shell rc, autostart, cron, systemd user unit, sudoers, other repos\' .git/hooks, CI workflows)',
    'remove the package; allow the path in its `write` list only if you are certain'),
  rule('foreign-package-write', 'high', true,
    'an install script wrote into another package\'s folder under node_modules (or into .bin / the hidden lockfile)',
    'if expected (e.g. @swc/core moving @swc/wasm), allow the path in the package\'s `write` list'),
  rule('self-tamper', 'high', false,
    'an install script deleted its own script or rewrote its own package.json (hiding its tracks)',
    'a package that cleans up its own install script is hiding something: review it'),
  rule('manifest-change', 'high', false,
    'the install changed or removed the project\'s package.json, package-lock.json or npm-shrinkwrap.json, or created a lockfile (outside node_modules)',
    'npm ci never writes these; a dependency that does is tampering with your project: review it (the change never reaches the host)'),
  rule('destructive-wipe', 'high', false,
    'an install script wiped files: overwrote then deleted them outside its folder and the temporary directory, or ran a wiper (shred, wipe, dd from /dev/zero, rm -rf of HOME)',
    'overwriting before deleting defeats recovery; no install script needs it: treat the package as malicious'),
  rule('write-outside-package', 'medium', true,
    'an install script wrote outside its own folder and the temporary directory',
    'allow the path in the package\'s `write` list if it is expected'),
  rule('untraced-change', 'high', false,
    'the filesystem diff shows a file changed by no call the tracer saw (mmap, mknod, truncate, io_uring, a lost process) while the script ran',
    'something wrote unseen: review the package; the tracer was evaded or lost a process'),
  rule('forged-mtime', 'high', false,
    'an install script set the modification time of a file it did not write into the past, or far ahead: the filesystem diff attributes unseen changes by that time',
    'a script hiding when it changed a file: review what it changed; tar and cp -p on files a script extracts or copies itself do not fire'),
  rule('privilege-escalation', 'critical', false,
    'an install script tried to gain privileges or tamper with the host: sudo/su/doas, the Docker socket, iptables, mount, /etc/hosts',
    'install scripts never need root: remove the package'),
  rule('tracer-tamper', 'critical', false,
    'an install script tried to evade the tracer: spoofed another package\'s script marker, called ptrace, reached into another process\'s memory, or signalled a process outside its own tree',
    'treat the package as malicious'),
  rule('trace-incomplete', 'critical', false,
    'part of the trace is missing: lines of a script\'s trace could not be read, or the run reached its trace limit',
    'a script that floods the tracer is hiding something or is broken; the verdict cannot rest on a partial trace'),
  rule('identity-mismatch', 'low', false,
    'a script\'s package.json claims another name or version than the lockfile entry of its folder (high when the claim would have gained allowances the real package lacks)',
    'the lockfile decides who a package is; a package that claims another\'s name is borrowing its identity: review it'),
  rule('planted-bin', 'high', false,
    'a package\'s node_modules/.bin entry ran in another package\'s script: one it wrote there at install time, or one it declares under the name of a system program (node, sh, git, ...)',
    'the planter is blamed: remove it; a package has no business shadowing the programs other packages run'),
  rule('tracer-evasion', 'critical', false,
    'an install script used a kernel interface a syscall tracer cannot follow (io_uring I/O, a clone with CLONE_UNTRACED); the sandbox refused it',
    'an attempt to act unseen: treat the package as malicious'),
  rule('fileless-exec', 'high', false,
    'an install script ran a program from memory (a memfd) or through a file descriptor, leaving no file behind; critical under a false name',
    'fileless execution is a malware technique: treat the package as malicious'),
  rule('sandbox-probe', 'low', false,
    'an install script probed for a sandbox (/.dockerenv, /proc/1/cgroup, /proc/self/status TracerPid)',
    'on its own this is common; together with other findings it suggests evasion'),
  rule('script-not-allowed', 'high', true,
    'a package ran an install script the policy does not allow',
    'review the script; allow it with `safe-install policy learn` or an entry under `packages`'),
  rule('script-hash-mismatch', 'high', true,
    'a package\'s install script differs from the one pinned in the policy',
    'review the new script; re-learn the policy (with --widen) if the change is expected'),
];

const BY_ID = new Map(RULES.map((r) => [r.id, r]));

/** The catalog entry for `id`. */
export function ruleInfo(id: RuleId): RuleInfo {
  const info = BY_ID.get(id);
  if (info === undefined) throw new Error(`unknown rule ${id}`);
  return info;
}

/** True when `id` names a built-in rule. */
export function isRuleId(id: string): id is RuleId {
  return BY_ID.has(id as RuleId);
}
