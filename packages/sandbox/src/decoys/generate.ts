/**
 * One run's decoys: the environment, the HOME layout and the private index of every planted value.
 *
 * The sandbox must look like a CI job worth robbing: a GitHub Actions runner with npm, GitHub, AWS,
 * Docker, Kubernetes and Google Cloud credentials lying where developers and CI leave them. Every
 * value is fresh per run (so a value seen outside its file can only have come from this run's
 * sandbox), format-valid (so a stealer that checks formats keeps going), and free of words that
 * would give the trap away. The index never enters the sandbox.
 *
 * Where one kind of credential sits in several places (env and file), each place gets its own value
 * where real setups would plausibly differ, so a leak also says which place was read.
 */
import { posix } from 'node:path';
import { SafeInstallError, type DecoyIndex, type DecoyKind, type DecoyValue } from '@safe-install/schema';
import { ed25519Material, formatPrivateKey, formatPublicKey, hashKnownHost, rsaMaterial, type SshKeyMaterial } from './openssh.js';
import {
  BASE64URL,
  DIGITS,
  HEX_LOWER,
  bufferedRandom,
  chance,
  cryptoRandom,
  pick,
  randomBetween,
  randomString,
  type RandomSource,
} from './random.js';
import {
  awsAccessKeyId,
  awsSecretAccessKey,
  dockerHubToken,
  githubToken,
  googleClientId,
  googleClientSecret,
  googleRefreshToken,
  npmToken,
} from './tokens.js';
import { findTelltale, NOUNS, orgName, person, repoName, scrubTelltales, withoutTelltale, type Person } from './words.js';
import { selfSignedCaCertificate } from './x509.js';

export interface GenerateDecoysOptions {
  /** The sandbox user's home directory (absolute); every decoy file is planted under it. */
  home: string;
  /** The sandbox user's login name (used in SSH key comments, as `ssh-keygen` does). */
  user: string;
  /**
   * The registry the sandbox's npm talks to, as a host (`registry.example`) or URL
   * (`https://npm.corp.internal/api/npm/`): the decoy `.npmrc` token is scoped to it, as
   * `npm login` would. Comes from npm's own configuration; never hard-coded.
   */
  registryHost: string;
  /** The sandbox's host name; a CI-runner-like name is made up when absent. */
  hostname?: string;
  /** `GITHUB_WORKSPACE`; defaults to the runner layout under `home`. */
  workspace?: string;
  /** Randomness; seed it in tests. RSA keys and certificate signatures use OpenSSL regardless. */
  random?: RandomSource;
  /** The clock for issue dates and token lifetimes (default: now). */
  now?: Date;
  /** An RSA key made ahead ({@link rsaMaterialAsync}); one is made here when absent or unusable. */
  rsaKey?: SshKeyMaterial;
}

/** A file to plant in the sandbox. */
export interface DecoyFile {
  /** Absolute path under `home`. */
  path: string;
  content: string;
  /** Permission bits, as the tool that normally writes the file would set them. */
  mode: number;
}

export interface DecoySet {
  /** Environment variables for the sandbox. */
  env: Record<string, string>;
  files: DecoyFile[];
  hostname: string;
  user: string;
  /** Every planted value and credential file. Host-side only: it must never enter the sandbox. */
  index: DecoyIndex;
}

/** GitHub's published SSH host keys (public data: a known_hosts without them would look odd). */
const GITHUB_HOST_KEYS = [
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg=',
];

const WORKFLOWS: ReadonlyArray<readonly [string, string]> = [
  ['CI', 'ci.yml'],
  ['Build', 'build.yml'],
  ['Release', 'release.yml'],
  ['Publish', 'publish.yml'],
  ['Build and Deploy', 'deploy.yml'],
  ['Node.js CI', 'node.js.yml'],
  ['Main', 'main.yml'],
];
const JOBS = ['build', 'release', 'publish', 'deploy', 'install', 'ci'];
const BRANCHES = ['main', 'main', 'main', 'master', 'develop'];
const REGIONS = ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'];
const REGION_SHORT: Record<string, string> = {
  'us-east-1': 'use1', 'us-east-2': 'use2', 'us-west-2': 'usw2', 'eu-west-1': 'euw1', 'eu-central-1': 'euc1', 'ap-southeast-2': 'apse2',
};
const CLUSTER_ENVS = ['prod', 'production', 'staging', 'platform', 'ops'];
const SERVICE_ACCOUNTS = ['ci-deployer', 'github-actions', 'deploy-bot', 'release-bot', 'ci'];
const NAMESPACES = ['ci', 'deploy', 'platform', 'release', 'builds'];
const AWS_PROFILES = ['prod', 'deploy', 'ci', 'admin', 'staging'];
const PROJECT_SUFFIXES = ['prod', 'platform', 'infra', 'data', 'ci'];

/**
 * Generate one run's decoys. Pure apart from `random` (and OpenSSL's randomness for RSA keys and
 * certificate signatures) and `now`.
 *
 * @throws SafeInstallError `usage` when an option would itself plant a tell-tale word or is malformed.
 */
export function generateDecoys(options: GenerateDecoysOptions): DecoySet {
  checkOptions(options);
  const random = bufferedRandom(options.random ?? cryptoRandom);
  const now = options.now ?? new Date();
  const world = makeWorld(random, options);
  const comment = `${options.user}@${world.hostname}`;
  const ed25519 = sshKey(() => ed25519Material(random), comment, random);
  let premade = options.rsaKey;
  const rsa = sshKey(() => {
    const material = premade ?? rsaMaterial(3072);
    premade = undefined; // a key refused for a tell-tale word is never offered twice
    return material;
  }, comment, random);
  // Cheap parts are redrawn whole when a tell-tale word turns up by chance (in base64 of JSON,
  // say); the keys above were already drawn clean and are reused.
  for (let attempt = 0; attempt < 100; attempt++) {
    const set = assemble(random, options, world, { ed25519, rsa }, now);
    if (telltaleIn(set, [npmrcScope(options.registryHost)]) === null) return set;
  }
  throw new Error('generateDecoys: could not produce a set without tell-tale words');
}

function usage(message: string): SafeInstallError {
  return new SafeInstallError('DECOY_OPTIONS', 'usage', message);
}

function checkOptions(options: GenerateDecoysOptions): void {
  if (!posix.isAbsolute(options.home)) throw usage(`decoy home must be an absolute path, got ${JSON.stringify(options.home)}`);
  if (options.workspace !== undefined && !posix.isAbsolute(options.workspace)) {
    throw usage(`decoy workspace must be an absolute path, got ${JSON.stringify(options.workspace)}`);
  }
  if (!/^[a-z_][a-z0-9_-]*$/i.test(options.user)) throw usage(`decoy user is not a login name: ${JSON.stringify(options.user)}`);
  if (options.hostname !== undefined && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(options.hostname)) {
    throw usage(`decoy hostname is not a host name: ${JSON.stringify(options.hostname)}`);
  }
  if (options.registryHost.trim() === '' || /\s/.test(options.registryHost)) {
    throw usage(`registry host must be a host or URL without spaces, got ${JSON.stringify(options.registryHost)}`);
  }
  // These end up in paths, key comments and the host name the sandbox reports; a tell-tale word
  // planted through them would undo everything else. (The registry is the user's and stays as is.)
  for (const [name, value] of [['home', options.home], ['user', options.user], ['hostname', options.hostname], ['workspace', options.workspace]] as const) {
    const word = value === undefined ? null : findTelltale(value);
    if (word !== null) throw usage(`decoy ${name} ${JSON.stringify(value)} contains the tell-tale word "${word}"`);
  }
}

/** The made-up organisation, repository, people and machine the decoys belong to. */
interface World {
  hostname: string;
  hosted: boolean;
  org: string;
  repo: string;
  dev: Person;
  devId: number;
  region: string;
  branch: string;
}

function makeWorld(random: RandomSource, options: GenerateDecoysOptions): World {
  let hostname = options.hostname;
  if (hostname === undefined) {
    hostname = chance(random, 0.6)
      ? // GitHub-hosted Azure runners
        `fv-az${randomBetween(random, 100, 1999)}-${randomBetween(random, 100, 999)}`
      : // self-hosted EC2 runners: the default VPC's 172.31.0.0/16, or a 10/8 VPC
        chance(random, 0.5)
        ? `ip-172-31-${randomBetween(random, 0, 255)}-${randomBetween(random, 1, 254)}`
        : `ip-10-${randomBetween(random, 0, 255)}-${randomBetween(random, 0, 255)}-${randomBetween(random, 1, 254)}`;
  }
  return {
    hostname,
    hosted: hostname.startsWith('fv-az'),
    org: orgName(random),
    repo: repoName(random),
    dev: person(random),
    devId: randomBetween(random, 1_000_000, 99_999_999),
    region: pick(random, REGIONS),
    branch: pick(random, BRANCHES),
  };
}

interface SshKeyFiles {
  privateKey: string;
  publicKey: string;
}

/** A key pair whose files are free of tell-tale words (base64 spells one now and then). */
function sshKey(make: () => SshKeyMaterial, comment: string, random: RandomSource): SshKeyFiles {
  // Drawn once, not per attempt: an RSA key comes from OpenSSL, so how many attempts it takes is
  // not up to the injected source, and per-attempt draws would shift every later value.
  const check = Buffer.from(random.bytes(4)).readUInt32BE(0);
  for (let attempt = 0; attempt < 100; attempt++) {
    const material = make();
    const files = { privateKey: formatPrivateKey(material, comment, check), publicKey: formatPublicKey(material, comment) };
    if (findTelltale(files.privateKey + files.publicKey) === null) return files;
  }
  throw new Error('generateDecoys: could not produce a clean SSH key');
}

/** Collects files and index entries; one value planted in several places is one index entry. */
class Planter {
  readonly files: DecoyFile[] = [];
  readonly index: DecoyIndex = { values: [], files: [] };
  private readonly byValue = new Map<string, DecoyValue>();

  value(kind: DecoyKind, value: string, plantedAt: string): string {
    const existing = this.byValue.get(value);
    if (existing) {
      if (!existing.plantedAt.includes(plantedAt)) existing.plantedAt.push(plantedAt);
    } else {
      const entry: DecoyValue = { kind, value, plantedAt: [plantedAt] };
      this.byValue.set(value, entry);
      this.index.values.push(entry);
    }
    return value;
  }

  file(path: string, content: string, mode: number, kind?: DecoyKind): void {
    this.files.push({ path, content, mode });
    if (kind !== undefined) this.index.files.push({ path, kind });
  }
}

const hex = (random: RandomSource, length: number): string => randomString(random, HEX_LOWER, length);
/** A decimal number of exactly `length` digits (no leading zero). */
const digits = (random: RandomSource, length: number): string =>
  randomString(random, '123456789', 1) + randomString(random, DIGITS, length - 1);

/** A random UUID (version 4 layout) from the injected source. */
function uuid(random: RandomSource): string {
  const b = Buffer.from(random.bytes(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** `registry.example` or `https://host:8443/path` -> `//registry.example/`, `//host:8443/path/`. */
export function npmrcScope(registry: string): string {
  const bare = registry.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/^\/+/, '');
  return `//${bare.endsWith('/') ? bare : `${bare}/`}`;
}

function assemble(
  random: RandomSource,
  options: GenerateDecoysOptions,
  world: World,
  keys: { ed25519: SshKeyFiles; rsa: SshKeyFiles },
  now: Date,
): DecoySet {
  const p = new Planter();
  const home = options.home;
  const at = (...parts: string[]): string => posix.join(home, ...parts);
  const env: Record<string, string> = {};
  const { org, repo, dev, region } = world;

  // --- credentials in the environment, as a CI job's `env:` block sets them -------------------
  // NODE_AUTH_TOKEN is what actions/setup-node reads; workflows set it from the same secret.
  const ciNpm = npmToken(random);
  env['NPM_TOKEN'] = p.value('npm-token', ciNpm, 'env:NPM_TOKEN');
  env['NODE_AUTH_TOKEN'] = p.value('npm-token', ciNpm, 'env:NODE_AUTH_TOKEN');
  env['GITHUB_TOKEN'] = p.value('github-token', githubToken('ghs', random), 'env:GITHUB_TOKEN');
  env['GH_TOKEN'] = p.value('github-token', githubToken('ghp', random), 'env:GH_TOKEN');
  env['AWS_ACCESS_KEY_ID'] = p.value('aws-access-key-id', awsAccessKeyId(random), 'env:AWS_ACCESS_KEY_ID');
  env['AWS_SECRET_ACCESS_KEY'] = p.value('aws-secret-access-key', awsSecretAccessKey(random), 'env:AWS_SECRET_ACCESS_KEY');
  env['AWS_DEFAULT_REGION'] = region;
  env['AWS_REGION'] = region;

  // --- the GitHub Actions runner environment ---------------------------------------------------
  const workRoot = world.hosted ? at('work') : at('actions-runner', '_work');
  const workspace = options.workspace ?? posix.join(workRoot, repo, repo);
  const temp = posix.join(workRoot, '_temp');
  const commands = posix.join(temp, '_runner_file_commands');
  const [workflow, workflowFile] = pick(random, WORKFLOWS);
  const sha = hex(random, 40);
  const runId = `1${digits(random, 10)}`;
  const fileCommand = (name: string): string => posix.join(commands, `${name}_${uuid(random)}`);
  const eventPath = posix.join(temp, '_github_workflow', 'event.json');
  Object.assign(env, {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'https://api.github.com',
    GITHUB_GRAPHQL_URL: 'https://api.github.com/graphql',
    GITHUB_REPOSITORY: `${org}/${repo}`,
    GITHUB_REPOSITORY_OWNER: org,
    GITHUB_REPOSITORY_ID: digits(random, 9),
    GITHUB_REPOSITORY_OWNER_ID: digits(random, 8),
    GITHUB_ACTOR: dev.login,
    GITHUB_ACTOR_ID: String(world.devId),
    GITHUB_TRIGGERING_ACTOR: dev.login,
    GITHUB_EVENT_NAME: 'push',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_SHA: sha,
    GITHUB_REF: `refs/heads/${world.branch}`,
    GITHUB_REF_NAME: world.branch,
    GITHUB_REF_TYPE: 'branch',
    GITHUB_REF_PROTECTED: 'true',
    GITHUB_HEAD_REF: '',
    GITHUB_BASE_REF: '',
    GITHUB_RUN_ID: runId,
    GITHUB_RUN_NUMBER: String(randomBetween(random, 12, 4000)),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_RETENTION_DAYS: '90',
    GITHUB_WORKFLOW: workflow,
    GITHUB_WORKFLOW_REF: `${org}/${repo}/.github/workflows/${workflowFile}@refs/heads/${world.branch}`,
    GITHUB_WORKFLOW_SHA: sha,
    GITHUB_JOB: pick(random, JOBS),
    GITHUB_ACTION: pick(random, ['__run', '__run_2', '__run_3']),
    GITHUB_WORKSPACE: workspace,
    GITHUB_ENV: fileCommand('set_env'),
    GITHUB_PATH: fileCommand('add_path'),
    GITHUB_OUTPUT: fileCommand('set_output'),
    GITHUB_STATE: fileCommand('save_state'),
    GITHUB_STEP_SUMMARY: fileCommand('step_summary'),
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_NAME: world.hosted ? `GitHub Actions ${randomBetween(random, 2, 60)}` : world.hostname,
    RUNNER_ENVIRONMENT: world.hosted ? 'github-hosted' : 'self-hosted',
    RUNNER_TEMP: temp,
    RUNNER_WORKSPACE: posix.dirname(workspace),
    RUNNER_TOOL_CACHE: world.hosted ? '/opt/hostedtoolcache' : posix.join(workRoot, '_tool'),
  });
  if (world.hosted) {
    env['ImageOS'] = 'ubuntu24';
    env['ImageVersion'] = `2025${String(randomBetween(random, 1, 12)).padStart(2, '0')}${String(randomBetween(random, 1, 28)).padStart(2, '0')}.${randomBetween(random, 1, 200)}.1`;
  }
  // The runner creates these before each step; a write to GITHUB_ENV or GITHUB_PATH from an install
  // script (to poison later steps) then shows up as a write to a file that exists.
  for (const name of ['GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY']) {
    p.file(env[name] as string, '', 0o644);
  }
  const event = {
    after: sha,
    base_ref: null,
    before: hex(random, 40),
    created: false,
    deleted: false,
    forced: false,
    head_commit: { id: sha, message: pick(random, ['Bump dependencies', 'Fix build', 'Update lockfile', 'Merge pull request']), timestamp: now.toISOString() },
    pusher: { email: `${world.devId}+${dev.login}@users.noreply.github.com`, name: dev.login },
    ref: `refs/heads/${world.branch}`,
    repository: { full_name: `${org}/${repo}`, name: repo, owner: { login: org }, private: true },
    sender: { id: world.devId, login: dev.login, type: 'User' },
  };
  p.file(eventPath, `${JSON.stringify(event, null, 2)}\n`, 0o644);

  // --- ~/.npmrc, as `npm login` leaves it ------------------------------------------------------
  const npmrc = at('.npmrc');
  p.file(npmrc, `${npmrcScope(options.registryHost)}:_authToken=${p.value('npm-token', npmToken(random), npmrc)}\n`, 0o600, 'npm-token');

  // --- ~/.aws ------------------------------------------------------------------------------------
  const credentials = at('.aws', 'credentials');
  const profile = pick(random, AWS_PROFILES);
  const awsPair = (): string =>
    `aws_access_key_id = ${p.value('aws-access-key-id', awsAccessKeyId(random), credentials)}\n` +
    `aws_secret_access_key = ${p.value('aws-secret-access-key', awsSecretAccessKey(random), credentials)}\n`;
  const keyProfile = pick(random, ['legacy', 'personal', 'backup', 'terraform']);
  p.file(credentials, `[default]\n${awsPair()}\n[${keyProfile}]\n${awsPair()}`, 0o600, 'aws-secret-access-key');
  const otherRegion = pick(random, REGIONS);
  // The second profile assumes a role with the default keys, the usual multi-account setup.
  const role = `arn:aws:iam::${digits(random, 12)}:role/${pick(random, ['deploy', 'ci-deploy', 'github-actions', 'admin', 'release'])}`;
  p.file(
    at('.aws', 'config'),
    `[default]\nregion = ${region}\noutput = json\n\n[profile ${profile}]\nregion = ${otherRegion}\nrole_arn = ${role}\nsource_profile = default\n`,
    0o600,
  );

  // --- ~/.ssh -------------------------------------------------------------------------------------
  const bastion = `bastion.${org}.internal`;
  const internalNet = `10.${randomBetween(random, 0, 255)}`;
  const internalHost = `${internalNet}.${randomBetween(random, 0, 255)}.${randomBetween(random, 1, 254)}`;
  for (const [name, files] of [['id_ed25519', keys.ed25519], ['id_rsa', keys.rsa]] as const) {
    const path = at('.ssh', name);
    p.file(path, p.value('ssh-private-key', files.privateKey, path), 0o600, 'ssh-private-key');
    p.file(`${path}.pub`, files.publicKey, 0o644);
  }
  const hostKey = (): string => formatPublicKey(ed25519Material(random), '').trim();
  const knownHosts = [
    ...GITHUB_HOST_KEYS.map((key) => `${hashKnownHost('github.com', random)} ${key}`),
    `${hashKnownHost(bastion, random)} ${hostKey()}`,
    `${hashKnownHost(internalHost, random)} ${hostKey()}`,
  ];
  p.file(at('.ssh', 'known_hosts'), `${knownHosts.join('\n')}\n`, 0o644);
  p.file(
    at('.ssh', 'config'),
    [
      'Host bastion',
      `    HostName ${bastion}`,
      `    User ${dev.login}`,
      '    IdentityFile ~/.ssh/id_ed25519',
      '',
      `Host ${internalNet}.*`,
      `    User ${dev.login}`,
      '    ProxyJump bastion',
      '    IdentityFile ~/.ssh/id_rsa',
      '',
      'Host github.com',
      '    IdentityFile ~/.ssh/id_ed25519',
      '    IdentitiesOnly yes',
      '',
    ].join('\n'),
    0o644,
  );

  // --- gh CLI (file storage, as on a machine without a keyring), git ---------------------------
  const hostsYml = at('.config', 'gh', 'hosts.yml');
  const gho = p.value('github-token', githubToken('gho', random), hostsYml);
  p.file(
    hostsYml,
    `github.com:\n    users:\n        ${dev.login}:\n            oauth_token: ${gho}\n    git_protocol: https\n    oauth_token: ${gho}\n    user: ${dev.login}\n`,
    0o600,
    'github-token',
  );
  const gitCredentials = at('.git-credentials');
  const gitToken = p.value('git-credentials', githubToken('ghp', random), gitCredentials);
  p.file(gitCredentials, `https://${dev.login}:${gitToken}@github.com\n`, 0o600, 'git-credentials');
  p.file(
    at('.gitconfig'),
    `[user]\n\tname = ${dev.displayName}\n\temail = ${world.devId}+${dev.login}@users.noreply.github.com\n` +
      '[credential]\n\thelper = store\n[init]\n\tdefaultBranch = main\n[pull]\n\trebase = true\n',
    0o644,
  );

  // --- ~/.docker/config.json, as `docker login` writes it (tab-indented) -----------------------
  const dockerConfig = at('.docker', 'config.json');
  const ghcrToken = p.value('github-token', githubToken('ghp', random), dockerConfig);
  const hubUser = chance(random, 0.5) ? dev.login : org.replace(/[^a-z0-9]/g, '');
  const hubToken = p.value('docker-auth', dockerHubToken(random), dockerConfig);
  // The tokens are indexed; the matcher finds them inside the base64 `auth` at any alignment.
  const basic = (user: string, secret: string): string => Buffer.from(`${user}:${secret}`).toString('base64');
  const docker = {
    auths: {
      'ghcr.io': { auth: basic(dev.login, ghcrToken) },
      'https://index.docker.io/v1/': { auth: basic(hubUser, hubToken) },
    },
  };
  p.file(dockerConfig, `${JSON.stringify(docker, null, '\t')}\n`, 0o600, 'docker-auth');

  // --- ~/.kube/config with a service-account token -----------------------------------------------
  const kubeConfig = at('.kube', 'config');
  const cluster = `${pick(random, CLUSTER_ENVS)}-${REGION_SHORT[region] ?? 'use1'}`;
  // `.internal` is reserved for private use (ICANN, 2024): plausible for an internal API server,
  // never someone else's public host, and unlike `.example` not a documentation marker. The random
  // label (managed clusters have one, e.g. AKS `<name>-dns-<hex>`) makes the name unique to this
  // run, so a DNS query for it is evidence that this kubeconfig was read.
  // Only that label is indexed: the org part is shared with the bastion's name in ~/.ssh.
  const serverLabel = p.value('kube-token', `${cluster}-api-${hex(random, 8)}`, kubeConfig);
  const server = `${serverLabel}.${org}.internal`;
  const namespace = pick(random, NAMESPACES);
  const serviceAccount = pick(random, SERVICE_ACCOUNTS);
  const issued = new Date(now.getTime() - randomBetween(random, 1, 200) * 86_400_000);
  const caFields = { commonName: 'kubernetes', dnsNames: ['kubernetes'], notBefore: new Date(issued.getTime() - randomBetween(random, 30, 700) * 86_400_000), notAfter: new Date(issued.getTime() + 3650 * 86_400_000) };
  // The PEM sits base64-encoded in the kubeconfig, where the set's own check cannot read it; its
  // signature is OpenSSL's randomness, so a tell-tale word inside is redrawn here.
  let ca = selfSignedCaCertificate(caFields, random);
  for (let attempt = 0; attempt < 100 && findTelltale(ca) !== null; attempt++) ca = selfSignedCaCertificate(caFields, random);
  const token = serviceAccountJwt(random, namespace, serviceAccount, issued);
  // The signature is the needle: header and payload start the same in every service-account
  // token, and the matcher also matches pieces of long values, so the whole JWT would match others.
  p.value('kube-token', token.slice(token.lastIndexOf('.') + 1), kubeConfig);
  const context = `${serviceAccount}@${cluster}`;
  p.file(
    kubeConfig,
    [
      'apiVersion: v1',
      'clusters:',
      '- cluster:',
      `    certificate-authority-data: ${Buffer.from(ca).toString('base64')}`,
      `    server: https://${server}:6443`,
      `  name: ${cluster}`,
      'contexts:',
      '- context:',
      `    cluster: ${cluster}`,
      `    namespace: ${namespace}`,
      `    user: ${serviceAccount}`,
      `  name: ${context}`,
      `current-context: ${context}`,
      'kind: Config',
      'preferences: {}',
      'users:',
      `- name: ${serviceAccount}`,
      '  user:',
      `    token: ${token}`,
      '',
    ].join('\n'),
    0o600,
    'kube-token',
  );

  // --- gcloud application default credentials (`gcloud auth application-default login`) -------
  const adc = at('.config', 'gcloud', 'application_default_credentials.json');
  const project = `${pick(random, NOUNS)}-${pick(random, PROJECT_SUFFIXES)}-${randomBetween(random, 100_000, 999_999)}`;
  const clientId = googleClientId(random);
  // Indexed without `.apps.googleusercontent.com`, which every client id ends with.
  p.value('gcloud-credentials', clientId.slice(0, clientId.indexOf('.')), adc);
  const gcloud = {
    account: '',
    client_id: clientId,
    client_secret: p.value('gcloud-credentials', googleClientSecret(random), adc),
    quota_project_id: project,
    refresh_token: p.value('gcloud-credentials', googleRefreshToken(random), adc),
    type: 'authorized_user',
    universe_domain: 'googleapis.com',
  };
  p.file(adc, `${JSON.stringify(gcloud, null, 2)}\n`, 0o600, 'gcloud-credentials');

  // --- ~/.bash_history: a developer's recent commands, one of them with a token inline ----------
  const history = at('.bash_history');
  const historyToken = p.value('github-token', githubToken('ghp', random), history);
  const lines = [
    `cd ~/src/${repo}`,
    'git pull --rebase',
    'npm ci',
    'npm run build',
    `aws sts get-caller-identity --profile ${profile}`,
    `kubectl config use-context ${context}`,
    `kubectl get pods -n ${namespace}`,
    'ssh bastion',
    'gh pr list',
    `curl -s -H "Authorization: token ${historyToken}" https://api.github.com/user`,
    `docker login ghcr.io -u ${dev.login}`,
    `git push origin ${world.branch}`,
  ];
  // A shuffled subset, so the file differs in shape too; the token line always stays.
  const kept = lines.filter((line) => line.includes(historyToken) || chance(random, 0.75));
  for (let i = kept.length - 1; i > 0; i--) {
    const j = randomBetween(random, 0, i);
    [kept[i], kept[j]] = [kept[j] as string, kept[i] as string];
  }
  p.file(history, `${kept.join('\n')}\n`, 0o600, 'github-token');

  return { env, files: p.files, hostname: world.hostname, user: options.user, index: p.index };
}

/**
 * A Kubernetes service-account token as `kubectl create token --duration=8760h` issues it: an RS256
 * JWT. The signature is random bytes of RSA-2048 length: nobody can check it without the cluster's
 * key, which does not exist.
 */
function serviceAccountJwt(random: RandomSource, namespace: string, name: string, issued: Date): string {
  const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const iat = Math.floor(issued.getTime() / 1000);
  const issuer = 'https://kubernetes.default.svc.cluster.local';
  const header = { alg: 'RS256', kid: withoutTelltale(() => randomString(random, BASE64URL, 43)) };
  const payload = {
    aud: [issuer],
    exp: iat + 365 * 86_400,
    iat,
    iss: issuer,
    jti: uuid(random),
    'kubernetes.io': { namespace, serviceaccount: { name, uid: uuid(random) } },
    nbf: iat,
    sub: `system:serviceaccount:${namespace}:${name}`,
  };
  const signature = scrubTelltales(Buffer.from(random.bytes(256)).toString('base64url'), random);
  return `${b64(header)}.${b64(payload)}.${signature}`;
}

/** The first tell-tale word anywhere installed code could see it, or null. */
export function telltaleIn(set: Pick<DecoySet, 'env' | 'files' | 'hostname' | 'user'>, given: readonly string[] = []): string | null {
  const strings = [set.hostname, set.user];
  for (const [name, value] of Object.entries(set.env)) strings.push(name, value);
  for (const file of set.files) strings.push(file.path, file.content);
  for (const s of strings) {
    // The user's own strings (their registry) are what a real machine has too: a registry named
    // `npm.example-corp.internal` is not ours to hide, and no redraw could remove it.
    const word = findTelltale(given.reduce((text, part) => text.split(part).join(' '), s));
    if (word !== null) return word;
  }
  return null;
}
