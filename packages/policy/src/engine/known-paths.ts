/**
 * Locations the rules recognise: persistence points, credential stores, sandbox markers. HOME-
 * relative entries are resolved against the evaluation context's HOME, so they hold whatever user
 * the install runs as.
 */
import { MEMFD_PATH_PREFIX } from '@safe-install/schema';
import { basename, isWithin } from '../match/path-pattern.js';

/** Files under HOME that run code at login, shell start or session start. */
const HOME_PERSISTENCE_FILES = [
  '.bashrc', '.bash_profile', '.bash_login', '.bash_logout', '.profile', '.zshrc', '.zprofile', '.zshenv', '.zlogin',
  '.zlogout', '.kshrc', '.cshrc', '.tcshrc', '.mkshrc', '.xprofile', '.xinitrc', '.xsession', '.xsessionrc', '.pam_environment',
  '.config/fish/config.fish', '.ssh/authorized_keys', '.ssh/authorized_keys2', '.ssh/rc', '.ssh/config',
  '.gitconfig', '.config/git/config', '.npmrc', '.yarnrc', '.yarnrc.yml', '.bunfig.toml', '.config/pnpm/rc',
  '.claude/settings.json', '.claude.json', '.vimrc', '.exrc', '.inputrc', '.tmux.conf', '.screenrc',
];
/** Folders under HOME whose files run automatically. */
const HOME_PERSISTENCE_DIRS = [
  '.config/autostart', '.config/systemd/user', '.local/share/systemd/user', '.config/environment.d', '.config/fish/conf.d',
  '.config/upstart', '.kde/Autostart', '.kde4/Autostart', '.config/plasma-workspace/env', '.local/share/applications',
  '.config/git/hooks',
];
const SYSTEM_PERSISTENCE_FILES = ['/etc/crontab', '/etc/rc.local', '/etc/profile', '/etc/bash.bashrc', '/etc/zsh/zshrc', '/etc/environment', '/etc/sudoers', '/etc/ld.so.preload', '/etc/gitconfig'];
const SYSTEM_PERSISTENCE_DIRS = [
  '/etc/cron.d', '/etc/cron.daily', '/etc/cron.hourly', '/etc/cron.weekly', '/etc/cron.monthly', '/var/spool/cron',
  '/etc/systemd', '/lib/systemd', '/usr/lib/systemd', '/etc/init.d', '/etc/init', '/etc/profile.d', '/etc/sudoers.d',
  '/etc/xdg/autostart', '/etc/update-motd.d', '/etc/ssh', '/etc/ld.so.conf.d', '/etc/udev/rules.d',
];

/** Why `path` is a persistence point, or null. The project's own `.git` is not (husky's hooks). */
export function persistenceKind(path: string, home: string, project: string): string | null {
  for (const rel of HOME_PERSISTENCE_FILES) if (path === `${home}/${rel}`) return `startup or config file ~/${rel}`;
  for (const rel of HOME_PERSISTENCE_DIRS) if (isWithin(path, `${home}/${rel}`)) return `autostart location ~/${rel}`;
  if (SYSTEM_PERSISTENCE_FILES.includes(path)) return `system startup or config file ${path}`;
  for (const dir of SYSTEM_PERSISTENCE_DIRS) if (isWithin(path, dir)) return `system autostart location ${dir}`;
  const gitHooks = /^(.*)\/\.git\/(?:hooks\/|config$)/.exec(path);
  if (gitHooks !== null && gitHooks[1] !== project) return 'git hooks or config of another repository';
  if (/\/\.github\/workflows\//.test(path)) return 'a CI workflow';
  if (path.endsWith('/.vscode/tasks.json') || path.endsWith('/.vscode/settings.json')) return 'editor auto-run tasks';
  if (path === `${project}/.npmrc` || path === `${project}/.yarnrc.yml` || path === `${project}/.yarnrc`) return 'the project\'s package manager config';
  // Yarn runs these on the host (`yarnPath` names a release, `plugins` a plugin): code of the project's manager.
  if (isWithin(path, `${project}/.yarn/releases`) || isWithin(path, `${project}/.yarn/plugins`)) return 'Yarn\'s own code the project runs (a release or a plugin)';
  return null;
}

/** Files whose modification tampers with the host or the resolver (P17). */
const HOST_FILES = ['/etc/hosts', '/etc/resolv.conf', '/etc/nsswitch.conf', '/etc/passwd', '/etc/shadow', '/etc/group', '/etc/gshadow'];
/** System program folders: writing there shadows programs for everyone. */
const SYSTEM_BIN_DIRS = ['/bin', '/sbin', '/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin', '/lib', '/lib64', '/usr/lib', '/usr/lib64', '/usr/local/lib', '/etc/apt', '/etc/pam.d', '/etc/security'];

/** Why writing `path` tampers with the host, or null. */
export function hostTamperKind(path: string): string | null {
  if (HOST_FILES.includes(path)) return `host file ${path}`;
  for (const dir of SYSTEM_BIN_DIRS) if (isWithin(path, dir)) return `system folder ${dir}`;
  return null;
}

/** Unix sockets that control a container engine: connecting to one is root on the host. */
export function isContainerEngineSocket(path: string): boolean {
  return /(?:^|\/)(?:docker|containerd|podman|crio|cri-dockerd|buildkitd)\.sock$/.test(path) || /\/containerd\/containerd\.sock/.test(path);
}

/** Credential stores by category, relative to HOME. A trailing `/` means the whole folder. */
const CREDENTIAL_STORES: ReadonlyArray<[string, string]> = [
  ['.ssh/', 'ssh'], ['.aws/', 'aws'], ['.config/gcloud/', 'gcloud'], ['.azure/', 'azure'], ['.kube/', 'kube'],
  ['.docker/config.json', 'docker'], ['.config/gh/', 'github'], ['.git-credentials', 'git'], ['.config/git/credentials', 'git'],
  ['.npmrc', 'npm'], ['.yarnrc.yml', 'npm'], ['.netrc', 'netrc'], ['.pgpass', 'database'], ['.my.cnf', 'database'],
  ['.vault-token', 'vault'], ['.pypirc', 'pypi'], ['.gem/credentials', 'rubygems'], ['.m2/settings.xml', 'maven'],
  ['.gradle/gradle.properties', 'gradle'], ['.terraform.d/credentials.tfrc.json', 'terraform'], ['.config/hub', 'github'],
  ['.gnupg/', 'gpg'], ['.password-store/', 'pass'], ['.local/share/keyrings/', 'keyring'],
  ['.bitcoin/', 'wallet'], ['.ethereum/', 'wallet'], ['.electrum/', 'wallet'], ['.config/Exodus/', 'wallet'],
  ['.config/solana/', 'wallet'], ['.monero/', 'wallet'], ['.atomic/', 'wallet'], ['.config/Electrum/', 'wallet'],
  ['.config/google-chrome/', 'browser'], ['.config/chromium/', 'browser'], ['.mozilla/', 'browser'],
  ['.config/BraveSoftware/', 'browser'], ['.config/microsoft-edge/', 'browser'],
];

/** The credential category of `path` (under HOME, or a system secret), or null. */
export function credentialCategory(path: string, home: string): string | null {
  if (path === '/etc/shadow' || path === '/etc/gshadow' || /^\/etc\/ssh\/ssh_host_.*_key$/.test(path)) return 'system';
  if (!isWithin(path, home)) return null;
  const rel = path.slice(home.length + 1);
  for (const [entry, category] of CREDENTIAL_STORES) {
    if (entry.endsWith('/') ? rel.startsWith(entry) || `${rel}/` === entry : rel === entry) {
      // Host keys the ssh client checks are not secrets.
      if (category === 'ssh' && /^\.ssh\/known_hosts/.test(rel)) return null;
      return category;
    }
  }
  return null;
}

/** `.env`, `.env.local`, `.env.production`…, but not the `.env.example` templates packages ship. */
export function isEnvFile(path: string): boolean {
  const name = basename(path);
  return (name === '.env' || name.startsWith('.env.')) && !/\.(?:example|sample|template|dist|defaults)$/.test(name);
}

/** What a read of `path` probes for, if it is a sandbox or debugger marker. */
export function sandboxProbeKind(path: string): string | null {
  if (path === '/.dockerenv' || path === '/.containerenv' || path === '/run/.containerenv') return 'container marker file';
  if (/^\/proc\/1\/(?:cgroup|sched|mountinfo)$/.test(path)) return 'init process details (container check)';
  if (/^\/proc\/(?:self|thread-self|\d+)\/status$/.test(path) || /^\/proc\/(?:self|\d+)\/task\/\d+\/status$/.test(path)) {
    return 'process status (TracerPid: debugger check)';
  }
  if (/^\/sys\/class\/dmi\/id\/(?:product_name|sys_vendor|board_vendor|bios_vendor|product_version)$/.test(path)) return 'hardware vendor (VM check)';
  if (isProcessListRead(path)) return 'another process’s command line (looking for a tracer in the process list)';
  return null;
}

/** `/proc/<pid>/cmdline|comm|stat` of a process by number: what `ps` and a hand-written process scan read. */
function isProcessListRead(path: string): boolean {
  return /^\/proc\/\d+\/(?:cmdline|comm|stat)$/.test(path);
}

/**
 * A look for the observer itself (P28): its TracerPid, or the process list it would appear in. A
 * script that looks and then stops at once is hiding from analysis, as with a container marker.
 */
export function isObserverProbe(path: string): boolean {
  return /^\/proc\/(?:self|thread-self|\d+)(?:\/task\/\d+)?\/status$/.test(path) || isProcessListRead(path);
}

/** Generalise a probe path for grouping: `/proc/123/status` and `/proc/124/status` are one thing. */
export function probeSubject(path: string): string {
  return path.replace(/^\/proc\/(?!1\/)\d+\//, '/proc/<pid>/').replace(/\/task\/\d+\//, '/task/<tid>/');
}

/** `/proc/<pid>/environ`: the environment of a process, all at once. */
export function isEnvironFile(path: string): boolean {
  return /^\/proc\/(?:self|thread-self|\d+)(?:\/task\/\d+)?\/environ$/.test(path);
}

/** Device and pseudo files every program writes without meaning anything by it. */
export function isHarmlessWrite(path: string): boolean {
  return (
    path === '/dev/null' || path === '/dev/zero' || path === '/dev/tty' || path === '/dev/full' || path === '/dev/random' ||
    path === '/dev/urandom' || /^\/dev\/(?:stdout|stderr|stdin|fd\/\d+|pts\/\d+|ptmx)$/.test(path) ||
    /^\/proc\/(?:self|thread-self|\d+)\/(?:fd\/\d+|oom_score_adj|comm|attr\/)/.test(path) ||
    // A memfd (`/memfd:NAME`, as the tracer names it) lives in memory and leaves nothing behind;
    // running one is what counts (fileless-exec), and its content still carries its writer's mark.
    path.startsWith(MEMFD_PATH_PREFIX)
  );
}
