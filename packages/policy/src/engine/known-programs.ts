/**
 * Programs the rules recognise by name. Matching is on the file name of the executable (and of
 * argv[0]), so `/usr/bin/curl`, `curl` through PATH and a renamed copy called `curl` all count.
 */

export const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ash', 'mksh', 'busybox']);

/**
 * Package managers by name: for recognising what a script asks them to do (`npm publish`). Never
 * an exemption: whether a process *is* the package manager is the tracer's word (`packageManager`).
 */
export const PACKAGE_MANAGERS = new Set(['npm', 'npx', 'pnpm', 'pnpx', 'yarn', 'yarnpkg', 'corepack']);
/** Entry scripts of package managers run as `node <script>`. */
export const PACKAGE_MANAGER_SCRIPTS = new Set([
  'npm', 'npx', 'npm-cli.js', 'npx-cli.js', 'pnpm', 'pnpx', 'pnpm.cjs', 'pnpm.mjs', 'pnpm.js', 'pnpx.cjs',
  'yarn', 'yarn.js', 'yarn.cjs', 'corepack', 'corepack.cjs',
]);

/**
 * Programs a script expects from the system, by name: a package's `node_modules/.bin` entry under
 * one of these names shadows it for every script whose PATH has that folder first. Left out on
 * purpose: names real packages declare as their bin (`node-gyp`, `which` 1.x, `env`, `find`).
 */
export const SYSTEM_PROGRAMS = new Set([
  'node', 'nodejs', 'npm', 'npx', 'pnpm', 'pnpx', 'yarn', 'yarnpkg', 'corepack', 'git', 'python', 'python2', 'python3',
  'perl', 'ruby', 'tar', 'gzip', 'cp', 'mv', 'rm', 'ln', 'mkdir', 'chmod', 'sed', 'grep', 'uname', 'openssl',
  'sh', 'bash', 'dash', 'zsh', 'ksh', 'ash', 'mksh', 'busybox',
  'gcc', 'g++', 'cc', 'c++', 'as', 'ld', 'make', 'ar', 'clang', 'clang++', 'curl', 'wget',
]);

/**
 * The bins a package manager's own registry package declares (a dependency on `npm`): running a
 * project's own copy of npm shadows nothing by deceit, it is the program asked for. Its behaviour
 * is still judged as the script's (it gets no package-manager exemption); only `planted-bin` skips it.
 */
export const PACKAGE_MANAGER_BINS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['npm', new Set(['npm', 'npx'])],
  ['pnpm', new Set(['pnpm', 'pnpx'])],
  ['yarn', new Set(['yarn', 'yarnpkg'])],
]);

/** Compilers, assemblers and linkers: what they write was built here from the package's sources. */
export const BUILD_TOOLS = new Set([
  'gcc', 'g++', 'cc', 'c++', 'cc1', 'cc1plus', 'as', 'ld', 'ld.bfd', 'ld.gold', 'ld.lld', 'lld', 'collect2',
  'clang', 'clang++', 'rustc', 'cargo', 'go', 'ar', 'ranlib', 'strip', 'objcopy', 'cmake', 'ninja', 'make',
  'gmake', 'zig', 'tcc', 'gfortran', 'nasm', 'yasm',
]);

/** Programs whose job is to fetch something over the network. */
export const DOWNLOADERS = new Set([
  'curl', 'wget', 'wget2', 'aria2c', 'axel', 'fetch', 'lwp-download', 'lwp-request', 'GET', 'http', 'https',
  'httpie', 'xh', 'certutil', 'certutil.exe', 'bitsadmin', 'bitsadmin.exe', 'tftp', 'ftp',
]);

/** Raw network clients: a decoy in their arguments is on its way out. */
export const NETWORK_TOOLS = new Set([
  ...DOWNLOADERS, 'nc', 'ncat', 'netcat', 'socat', 'telnet', 'ssh', 'scp', 'sftp', 'rsync', 'openssl', 'gh',
  'aws', 'gcloud', 'az', 'dig', 'nslookup', 'host', 'drill',
]);

/** Interpreters that run a program read from stdin when given no script (`curl … | sh`). */
export const STDIN_INTERPRETERS = new Set([...SHELLS, 'python', 'python2', 'python3', 'perl', 'ruby', 'node', 'nodejs', 'bun', 'deno', 'php', 'lua']);

export const PRIVILEGE_TOOLS = new Set(['sudo', 'su', 'doas', 'pkexec', 'runuser', 'setpriv', 'chroot', 'nsenter', 'unshare', 'capsh', 'setcap']);
export const HOST_TAMPER_TOOLS = new Set([
  'iptables', 'ip6tables', 'iptables-legacy', 'iptables-nft', 'ip6tables-legacy', 'ip6tables-nft', 'iptables-restore',
  'nft', 'ufw', 'firewall-cmd', 'mount', 'umount', 'insmod', 'modprobe', 'rmmod', 'sysctl', 'docker', 'podman',
  'nerdctl', 'ctr', 'crictl', 'runc',
]);

export const SECRET_SCANNERS = new Set([
  'trufflehog', 'gitleaks', 'detect-secrets', 'detect-secrets-hook', 'ggshield', 'noseyparker', 'nosey-parker',
  'whispers', 'shhgit', 'git-secrets', 'talisman', 'ripsecrets', 'kingfisher', 'betterleaks', 'secretfinder',
]);

/** AI coding CLIs; nx "s1ngularity" drove them to search the disk for secrets. */
export const AI_CLIS = new Set(['claude', 'gemini', 'codex', 'q', 'cursor-agent', 'copilot', 'aider', 'opencode', 'amp', 'qwen', 'goose', 'crush']);
/** Flags that let an AI CLI act without asking. */
export const AI_BYPASS_FLAGS = [
  '--dangerously-skip-permissions',
  'bypassPermissions',
  '--yolo',
  '--trust-all-tools',
  '--dangerously-bypass-approvals-and-sandbox',
  '--full-auto',
  '--allow-all-tools',
  '--yes-always',
  '--approval-mode=yolo',
];
/** `q` is also a common CSV tool; only these make it Amazon Q. */
export const AMAZON_Q_MARKERS = ['chat', '--trust-all-tools', '--no-interactive'];

/** Programs that list processes: how a script looks for a tracer or an analysis tool watching it (P28). */
export const PROCESS_LISTERS = new Set(['ps', 'pgrep', 'pidof', 'pstree', 'top', 'htop']);

export const SEARCH_TOOLS = new Set(['find', 'grep', 'egrep', 'fgrep', 'rg', 'ag', 'ack', 'fd', 'fdfind', 'locate', 'mlocate', 'plocate']);

export const WINDOWS_LOADERS = new Set([
  'rundll32', 'rundll32.exe', 'regsvr32', 'regsvr32.exe', 'mshta', 'mshta.exe', 'cscript', 'cscript.exe', 'wscript',
  'wscript.exe', 'powershell', 'powershell.exe', 'cmd.exe', 'certutil', 'certutil.exe', 'bitsadmin', 'bitsadmin.exe',
  'msiexec', 'msiexec.exe',
]);

export const MINERS = new Set(['xmrig', 'xmr-stak', 'minerd', 'cpuminer', 'ethminer', 'nbminer', 't-rex', 'lolminer', 'phoenixminer', 'ccminer', 'srbminer']);
export const MINER_ARGUMENTS = [/stratum\+(?:tcp|ssl|tls):\/\//i, /--donate-level\b/, /--coin[= ]\s*(?:monero|xmr)/i, /\b(?:randomx|cryptonight)\b/i, /(?:supportxmr|nanopool|minexmr|2miners|moneroocean|hashvault)\./i];

/** `npm <cmd>` subcommands that act with the user's registry token. */
export const REGISTRY_TOKEN_COMMANDS = new Set([
  'whoami', 'publish', 'unpublish', 'token', 'owner', 'author', 'access', 'adduser', 'add-user', 'login',
  'dist-tag', 'dist-tags', 'deprecate', 'undeprecate', 'org', 'team', 'hook', 'profile', 'trust', 'star', 'unstar',
]);
/** `gh <cmd>` subcommands that use the GitHub token. */
export const GH_TOKEN_COMMANDS = new Set(['auth', 'api', 'repo', 'secret', 'variable', 'workflow', 'gist', 'release', 'pr', 'issue', 'run', 'ssh-key', 'gpg-key', 'codespace', 'extension']);
/** CLIs that act with cloud or cluster credentials on any subcommand but `--version`/`version`/`help`. */
export const CLOUD_CLIS = new Set(['aws', 'gcloud', 'az', 'kubectl', 'vault', 'op', 'doctl', 'heroku', 'vercel', 'netlify', 'firebase']);
