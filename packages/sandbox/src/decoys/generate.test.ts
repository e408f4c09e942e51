/**
 * generateDecoys: every planted credential is format-valid and parses with the tool that would
 * read it, the index lists every value where it was planted, nothing contains a tell-tale word,
 * and two runs share no value.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { isSafeInstallError } from '@safe-install/schema';
import { generateDecoys, npmrcScope, telltaleIn, type DecoySet, type GenerateDecoysOptions } from './generate.js';
import { seededRandom } from './random.js';
import { AWS_DOCUMENTED_KEY_ID, verifyGithubToken, verifyNpmToken } from './tokens.js';
import { findTelltale } from './words.js';

const TIMEOUT = 60_000;
const HOME = '/home/node';
const BASE: GenerateDecoysOptions = { home: HOME, user: 'node', registryHost: 'https://npm-mirror.internal/' };

function commandExists(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}
const SSH_KEYGEN = commandExists('ssh-keygen', ['-?']);
// Skipped only outside CI: in CI a missing ssh-keygen must fail these tests, not hide them.
const itWithKeygen = SSH_KEYGEN || process.env['CI'] ? it : it.skip;

function fileOf(set: DecoySet, relative: string): string {
  const found = set.files.find((f) => f.path === posix.join(HOME, relative));
  if (!found) throw new Error(`no decoy file ${relative}`);
  return found.content;
}

/**
 * A parser for the YAML subset kubectl and gh write (block maps, block lists of maps, plain
 * scalars, `{}`). Strict: anything outside the subset, or a plain scalar a real YAML parser could
 * read differently, throws.
 */
function parseYamlSubset(text: string): unknown {
  const lines = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => ({ indent: l.length - l.trimStart().length, text: l.trim() }));
  let i = 0;
  const scalar = (s: string): unknown => {
    if (s === '{}') return {};
    if (/^-?\d+$/.test(s)) return Number(s);
    if (s === 'true' || s === 'false') return s === 'true';
    if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(s) || /: |\s#/.test(s) || s.endsWith(':')) throw new Error(`ambiguous plain scalar ${s}`);
    return s;
  };
  const block = (): unknown => {
    const first = lines[i];
    if (!first) throw new Error('empty block');
    return first.text.startsWith('- ') ? list(first.indent) : map(first.indent);
  };
  const map = (indent: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (let line = lines[i]; line && line.indent === indent && !line.text.startsWith('- '); line = lines[i]) {
      const m = /^([^\s:][^:]*):(?: (.+))?$/.exec(line.text);
      if (!m) throw new Error(`not a map entry: ${line.text}`);
      const key = m[1] as string;
      if (key in out) throw new Error(`duplicate key ${key}`);
      i++;
      const next = lines[i];
      if (m[2] !== undefined) out[key] = scalar(m[2]);
      else if (next && (next.indent > indent || (next.indent === indent && next.text.startsWith('- ')))) out[key] = block();
      else out[key] = null;
    }
    const after = lines[i];
    if (after && after.indent > indent) throw new Error(`bad indentation at ${after.text}`);
    return out;
  };
  const list = (indent: number): unknown[] => {
    const out: unknown[] = [];
    for (let line = lines[i]; line && line.indent === indent && line.text.startsWith('- '); line = lines[i]) {
      lines[i] = { indent: indent + 2, text: line.text.slice(2) };
      out.push(map(indent + 2));
    }
    return out;
  };
  const doc = block();
  if (i !== lines.length) throw new Error(`trailing content at ${lines[i]?.text}`);
  return doc;
}

/** A real YAML parser's view, when python3 with PyYAML is around (a cross-check, not required). */
function pyYaml(text: string): unknown {
  try {
    const json = execFileSync('python3', ['-c', 'import sys,json,yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] });
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}

function decodeJwtPart(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Every string installed code could see, plus the text inside base64 wrappers. */
function visibleStrings(set: DecoySet): string[] {
  const strings = [set.hostname, set.user];
  for (const [k, v] of Object.entries(set.env)) strings.push(k, v);
  for (const f of set.files) strings.push(f.path, f.content);
  const docker = JSON.parse(fileOf(set, '.docker/config.json')) as { auths: Record<string, { auth: string }> };
  for (const entry of Object.values(docker.auths)) strings.push(Buffer.from(entry.auth, 'base64').toString('utf8'));
  const kube = parseYamlSubset(fileOf(set, '.kube/config')) as KubeConfig;
  strings.push(Buffer.from(kube.clusters[0]?.cluster['certificate-authority-data'] ?? '', 'base64').toString('utf8'));
  const [header = '', payload = ''] = (kube.users[0]?.user.token ?? '').split('.');
  strings.push(JSON.stringify(decodeJwtPart(header)), JSON.stringify(decodeJwtPart(payload)));
  return strings;
}

interface KubeConfig {
  kind: string;
  clusters: Array<{ name: string; cluster: { server: string; 'certificate-authority-data': string } }>;
  contexts: Array<{ name: string; context: { cluster: string; user: string; namespace: string } }>;
  users: Array<{ name: string; user: { token: string } }>;
  'current-context': string;
}

let a: DecoySet;
let b: DecoySet;
beforeAll(() => {
  a = generateDecoys(BASE);
  b = generateDecoys(BASE);
}, TIMEOUT);

describe('environment', () => {
  it('carries format-valid tokens', () => {
    expect(verifyNpmToken(a.env['NPM_TOKEN'] ?? '')).toBe(true);
    expect(a.env['NODE_AUTH_TOKEN']).toBe(a.env['NPM_TOKEN']);
    expect(a.env['GITHUB_TOKEN']).toMatch(/^ghs_/);
    expect(verifyGithubToken(a.env['GITHUB_TOKEN'] ?? '')).toBe(true);
    expect(a.env['GH_TOKEN']).toMatch(/^ghp_/);
    expect(verifyGithubToken(a.env['GH_TOKEN'] ?? '')).toBe(true);
    expect(a.env['AWS_ACCESS_KEY_ID']).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(a.env['AWS_ACCESS_KEY_ID']).not.toBe(AWS_DOCUMENTED_KEY_ID);
    expect(a.env['AWS_SECRET_ACCESS_KEY']).toMatch(/^[A-Za-z0-9+/]{40}$/);
    expect(a.env['AWS_REGION']).toMatch(/^[a-z]{2}-[a-z]+-\d$/);
  });

  it('looks like a GitHub Actions job', () => {
    const env = a.env;
    expect(env).toMatchObject({ CI: 'true', GITHUB_ACTIONS: 'true', RUNNER_OS: 'Linux', GITHUB_EVENT_NAME: 'push' });
    expect(env['GITHUB_REPOSITORY']).toMatch(/^[a-z][a-z-]*\/[a-z]+-[a-z]+$/);
    expect(env['GITHUB_REPOSITORY']?.startsWith(`${env['GITHUB_REPOSITORY_OWNER']}/`)).toBe(true);
    expect(env['GITHUB_SHA']).toMatch(/^[0-9a-f]{40}$/);
    expect(env['GITHUB_REF']).toBe(`refs/heads/${env['GITHUB_REF_NAME']}`);
    expect(env['GITHUB_RUN_ID']).toMatch(/^1\d{10}$/);
    expect(env['GITHUB_RUN_NUMBER']).toMatch(/^\d+$/);
    expect(env['GITHUB_WORKFLOW']).toBeTruthy();
    expect(env['GITHUB_WORKFLOW_REF']).toMatch(/^[a-z-]+\/[a-z-]+\/\.github\/workflows\/[a-z.]+\.yml@refs\/heads\/[a-z]+$/);
    expect(posix.isAbsolute(env['GITHUB_WORKSPACE'] ?? '')).toBe(true);
    expect(env['RUNNER_ENVIRONMENT']).toBe(a.hostname.startsWith('fv-az') ? 'github-hosted' : 'self-hosted');
    const paths = new Set(a.files.map((f) => f.path));
    for (const name of ['GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY', 'GITHUB_EVENT_PATH']) {
      expect(paths.has(env[name] ?? '')).toBe(true);
    }
    const event = JSON.parse(fileOf(a, posix.relative(HOME, env['GITHUB_EVENT_PATH'] ?? ''))) as { after: string; repository: { full_name: string } };
    expect(event.after).toBe(env['GITHUB_SHA']);
    expect(event.repository.full_name).toBe(env['GITHUB_REPOSITORY']);
  });

  it('uses the given workspace', () => {
    const set = generateDecoys({ ...BASE, workspace: '/home/node/project', hostname: 'ip-172-31-4-9', random: seededRandom('ws') });
    expect(set.env['GITHUB_WORKSPACE']).toBe('/home/node/project');
    expect(set.hostname).toBe('ip-172-31-4-9');
    expect(set.env['RUNNER_ENVIRONMENT']).toBe('self-hosted');
    expect(set.env['RUNNER_NAME']).toBe('ip-172-31-4-9');
  }, TIMEOUT);
});

describe('identity', () => {
  it('has a CI-runner-like host name and the given user', () => {
    for (const set of [a, b]) {
      expect(set.hostname).toMatch(/^(fv-az\d{3,4}-\d{3}|ip-172-31-\d{1,3}-\d{1,3}|ip-10-\d{1,3}-\d{1,3}-\d{1,3})$/);
      expect(set.user).toBe('node');
    }
  });
});

describe('files', () => {
  it('are absolute, under home, unique, with the modes the real tools use', () => {
    const paths = a.files.map((f) => f.path);
    expect(new Set(paths).size).toBe(paths.length);
    for (const f of a.files) {
      expect(posix.normalize(f.path)).toBe(f.path);
      expect(f.path.startsWith(`${HOME}/`)).toBe(true);
      if (f.path.endsWith('.pub')) expect(f.mode).toBe(0o644);
    }
    for (const credential of a.index.files) {
      expect(a.files.find((f) => f.path === credential.path)?.mode).toBe(0o600);
    }
    for (const rel of ['.npmrc', '.aws/credentials', '.aws/config', '.ssh/id_ed25519', '.ssh/id_rsa', '.config/gh/hosts.yml', '.docker/config.json', '.kube/config', '.git-credentials', '.config/gcloud/application_default_credentials.json']) {
      expect(a.files.find((f) => f.path === posix.join(HOME, rel))?.mode).toBe(0o600);
    }
  });

  it('.npmrc scopes an npm token to the configured registry', () => {
    const line = fileOf(a, '.npmrc');
    const match = /^\/\/npm-mirror\.internal\/:_authToken=(npm_[A-Za-z0-9]{36})\n$/.exec(line);
    expect(match).not.toBeNull();
    expect(verifyNpmToken(match?.[1] ?? '')).toBe(true);
    expect(match?.[1]).not.toBe(a.env['NPM_TOKEN']);
  });

  it.each([
    ['npm-mirror.internal', '//npm-mirror.internal/'],
    ['https://npm-mirror.internal/', '//npm-mirror.internal/'],
    ['http://verdaccio.internal:4873', '//verdaccio.internal:4873/'],
    ['https://npm.corp.internal/api/npm/npm-virtual/', '//npm.corp.internal/api/npm/npm-virtual/'],
    ['//npm.pkg.github.com', '//npm.pkg.github.com/'],
  ])('npmrc scope of %s is %s', (registry, scope) => {
    expect(npmrcScope(registry)).toBe(scope);
  });

  it('.aws/credentials and .aws/config are valid INI with real-shaped keys', () => {
    const credentials = fileOf(a, '.aws/credentials');
    const sections = credentials.split(/^\[([a-z-]+)\]\n/m).slice(1);
    expect(sections[0]).toBe('default');
    expect(sections.length).toBe(4);
    for (const body of [sections[1] ?? '', sections[3] ?? '']) {
      expect(body.trim()).toMatch(/^aws_access_key_id = AKIA[A-Z2-7]{16}\naws_secret_access_key = [A-Za-z0-9+/]{40}$/);
    }
    const config = fileOf(a, '.aws/config');
    expect(config).toMatch(/^\[default\]\nregion = [a-z]{2}-[a-z]+-\d\noutput = json\n\n\[profile [a-z-]+\]\nregion = [a-z]{2}-[a-z]+-\d\nrole_arn = arn:aws:iam::\d{12}:role\/[a-z-]+\nsource_profile = default\n$/);
  });

  itWithKeygen(
    'SSH keys are accepted by ssh-keygen, match their .pub, and known_hosts/config agree',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'home-'));
      try {
        for (const f of a.files.filter((x) => x.path.startsWith(`${HOME}/.ssh/`))) {
          const local = join(dir, posix.relative(HOME, f.path));
          mkdirSync(dirname(local), { recursive: true, mode: 0o700 });
          writeFileSync(local, f.content, { mode: f.mode });
        }
        for (const [name, bits] of [['id_ed25519', 256], ['id_rsa', 3072]] as const) {
          const key = join(dir, '.ssh', name);
          const derived = execFileSync('ssh-keygen', ['-y', '-f', key], { encoding: 'utf8' }).trim().split(' ');
          const pub = fileOf(a, `.ssh/${name}.pub`).trim().split(' ');
          expect(derived.slice(0, 2)).toEqual(pub.slice(0, 2));
          expect(pub[2]).toBe(`node@${a.hostname}`);
          expect(Number(execFileSync('ssh-keygen', ['-l', '-f', key], { encoding: 'utf8' }).split(' ')[0])).toBe(bits);
        }
        const knownHosts = join(dir, '.ssh', 'known_hosts');
        const github = execFileSync('ssh-keygen', ['-F', 'github.com', '-f', knownHosts], { encoding: 'utf8' });
        expect(github).toContain('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl');
        const bastion = /HostName (\S+)/.exec(fileOf(a, '.ssh/config'))?.[1] ?? '';
        expect(bastion).toMatch(/^bastion\.[a-z-]+\.internal$/);
        expect(execFileSync('ssh-keygen', ['-F', bastion, '-f', knownHosts], { encoding: 'utf8' })).toContain('ssh-ed25519');
        // ssh itself must accept the config file's syntax.
        execFileSync('ssh', ['-G', '-F', join(dir, '.ssh', 'config'), 'bastion'], { stdio: 'ignore' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    TIMEOUT,
  );

  it('gh hosts.yml is valid YAML with a checksummed gho_ token', () => {
    const text = fileOf(a, '.config/gh/hosts.yml');
    const hosts = parseYamlSubset(text) as Record<string, { users: Record<string, { oauth_token: string }>; oauth_token: string; user: string; git_protocol: string }>;
    const gh = hosts['github.com'];
    expect(gh?.oauth_token).toMatch(/^gho_/);
    expect(verifyGithubToken(gh?.oauth_token ?? '')).toBe(true);
    expect(gh?.users[gh.user]?.oauth_token).toBe(gh?.oauth_token);
    expect(gh?.git_protocol).toBe('https');
    const real = pyYaml(text);
    if (real !== undefined) expect(real).toEqual(hosts);
  });

  it('.git-credentials holds a URL with a checksummed token, and .gitconfig uses the store helper', () => {
    const line = fileOf(a, '.git-credentials');
    expect(line.endsWith('\n')).toBe(true);
    const url = new URL(line.trim());
    expect(url.protocol).toBe('https:');
    expect(url.hostname).toBe('github.com');
    expect(verifyGithubToken(url.password)).toBe(true);
    expect(fileOf(a, '.gitconfig')).toContain('helper = store');
  });

  it('docker config.json parses, and each auth is base64 of user:token', () => {
    const docker = JSON.parse(fileOf(a, '.docker/config.json')) as { auths: Record<string, { auth: string }> };
    expect(Object.keys(docker.auths).sort()).toEqual(['ghcr.io', 'https://index.docker.io/v1/']);
    const [ghUser, ghToken] = Buffer.from(docker.auths['ghcr.io']?.auth ?? '', 'base64').toString('utf8').split(':');
    expect(ghUser).toMatch(/^[a-z][a-z0-9-]*$/);
    expect(verifyGithubToken(ghToken ?? '')).toBe(true);
    const [hubUser, hubToken] = Buffer.from(docker.auths['https://index.docker.io/v1/']?.auth ?? '', 'base64').toString('utf8').split(':');
    expect(hubUser).toMatch(/^[a-z0-9-]+$/);
    expect(hubToken).toMatch(/^dckr_pat_[A-Za-z0-9_-]{27}$/);
  });

  it('kube config is valid YAML with a real CA certificate, an internal server and an SA token', () => {
    const text = fileOf(a, '.kube/config');
    const kube = parseYamlSubset(text) as KubeConfig;
    const real = pyYaml(text);
    if (real !== undefined) expect(real).toEqual(kube);
    expect(kube.kind).toBe('Config');
    const context = kube.contexts.find((c) => c.name === kube['current-context']);
    expect(context).toBeDefined();
    const cluster = kube.clusters.find((c) => c.name === context?.context.cluster);
    expect(cluster?.cluster.server).toMatch(/^https:\/\/[a-z]+-[a-z0-9]+-api-[0-9a-f]{8}\.[a-z-]+\.internal:6443$/);
    const cert = new X509Certificate(Buffer.from(cluster?.cluster['certificate-authority-data'] ?? '', 'base64'));
    expect(cert.ca).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.subject).toBe('CN=kubernetes');
    const user = kube.users.find((u) => u.name === context?.context.user);
    const [header = '', payload = '', signature = ''] = (user?.user.token ?? '').split('.');
    expect(decodeJwtPart(header)).toMatchObject({ alg: 'RS256' });
    const claims = decodeJwtPart(payload);
    expect(claims['sub']).toBe(`system:serviceaccount:${context?.context.namespace}:${context?.context.user}`);
    expect(claims['exp'] as number).toBeGreaterThan(claims['iat'] as number);
    expect(signature).toMatch(/^[A-Za-z0-9_-]{342}$/);
  });

  it('gcloud application default credentials are authorized_user JSON with real-shaped values', () => {
    const adc = JSON.parse(fileOf(a, '.config/gcloud/application_default_credentials.json')) as Record<string, string>;
    expect(adc['type']).toBe('authorized_user');
    expect(adc['client_id']).toMatch(/^\d{12}-[a-z0-9]{32}\.apps\.googleusercontent\.com$/);
    expect(adc['client_secret']).toMatch(/^GOCSPX-[A-Za-z0-9_-]{28}$/);
    expect(adc['refresh_token']).toMatch(/^1\/\/0[A-Za-z0-9_-]{99}$/);
    expect(adc['quota_project_id']).toMatch(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/);
  });
});

describe('index', () => {
  it('lists every value where it was planted, and every credential file', () => {
    // A file's visible text includes what its base64 wrappers hold (docker `auth` fields).
    const decoded = (content: string): string =>
      content + [...content.matchAll(/"auth": "([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1] ?? '', 'base64').toString('utf8')).join('\n');
    const byPath = new Map(a.files.map((f) => [f.path, decoded(f.content)]));
    for (const v of a.index.values) {
      expect(v.value.length).toBeGreaterThan(0);
      expect(v.plantedAt.length).toBeGreaterThan(0);
      for (const where of v.plantedAt) {
        if (where.startsWith('env:')) expect(a.env[where.slice(4)]).toBe(v.value);
        else expect(byPath.get(where)).toContain(v.value);
      }
    }
    for (const f of a.index.files) expect(byPath.has(f.path)).toBe(true);
    const indexed = new Set(a.index.values.map((v) => v.value));
    for (const name of ['NPM_TOKEN', 'NODE_AUTH_TOKEN', 'GITHUB_TOKEN', 'GH_TOKEN', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
      expect(indexed.has(a.env[name] ?? '')).toBe(true);
    }
    // Every token-shaped string in any file is indexed.
    const tokenShapes = /\b(?:gh[pousr]_[A-Za-z0-9]{36}|npm_[A-Za-z0-9]{36}|AKIA[A-Z2-7]{16}|dckr_pat_[A-Za-z0-9_-]{27}|GOCSPX-[A-Za-z0-9_-]{28})\b/g;
    for (const f of a.files) for (const m of f.content.matchAll(tokenShapes)) expect(indexed.has(m[0])).toBe(true);
    const kinds = new Set(a.index.files.map((f) => f.kind));
    expect([...kinds].sort()).toEqual(['aws-secret-access-key', 'docker-auth', 'gcloud-credentials', 'git-credentials', 'github-token', 'kube-token', 'npm-token', 'ssh-private-key']);
  });
});

describe('tell-tale words', () => {
  it(
    'appear nowhere installed code can see (values, contents, paths, names, decoded base64)',
    () => {
      const c = generateDecoys({ ...BASE, hostname: 'fv-az901-220' });
      for (const set of [a, b, c]) {
        expect(telltaleIn(set)).toBeNull();
        for (const s of visibleStrings(set)) expect(findTelltale(s)).toBeNull();
      }
    },
    TIMEOUT,
  );

  it('the scanner catches a word anywhere in a set', () => {
    const clean = { env: { A: 'b' }, files: [{ path: '/home/node/x', content: 'y', mode: 0o600 }], hostname: 'h', user: 'u' };
    expect(telltaleIn(clean)).toBeNull();
    expect(telltaleIn({ ...clean, env: { A: 'my-Canary-value' } })).toBe('canary');
    expect(telltaleIn({ ...clean, files: [{ path: '/home/node/.honeytoken', content: '', mode: 0o600 }] })).toBe('honey');
    expect(telltaleIn({ ...clean, hostname: 'sandbox-1' })).toBe('sandbox');
  });
});

describe('runs differ', () => {
  it('no planted value of one run appears anywhere in another', () => {
    const other = visibleStrings(b).join('\n');
    for (const v of a.index.values) expect(other.includes(v.value)).toBe(false);
    const first = visibleStrings(a).join('\n');
    for (const v of b.index.values) expect(first.includes(v.value)).toBe(false);
  });

  it('identity, CI values and every non-empty file differ', () => {
    expect(a.hostname).not.toBe(b.hostname);
    for (const name of ['GITHUB_SHA', 'GITHUB_RUN_ID', 'GITHUB_REPOSITORY_ID', 'GITHUB_ENV', 'GITHUB_OUTPUT']) {
      expect(a.env[name]).not.toBe(b.env[name]);
    }
    const contentsB = new Set(b.files.map((f) => f.content));
    for (const f of a.files) if (f.content !== '') expect(contentsB.has(f.content)).toBe(false);
  });

  it(
    'a seeded source reproduces everything but the RSA key, however many keys OpenSSL had to draw',
    () => {
      // The RSA key comes from OpenSSL, not the seeded source; one that spells a tell-tale word is
      // drawn again, and that must not move any value drawn after it (paths hold random UUIDs).
      const now = new Date('2026-01-15T10:00:00Z');
      const x = generateDecoys({ ...BASE, random: seededRandom('fixed'), now });
      const y = generateDecoys({ ...BASE, random: seededRandom('fixed'), now });
      expect(y.env).toEqual(x.env);
      expect(y.files.map((f) => f.path)).toEqual(x.files.map((f) => f.path));
      expect(y.files.map((f) => f.mode)).toEqual(x.files.map((f) => f.mode));
    },
    TIMEOUT,
  );
});

describe('a registry of the user\'s that happens to spell a tell-tale word', () => {
  it('is planted as it is, and the rest of the set is still clean', () => {
    const set = generateDecoys({ ...BASE, registryHost: 'https://npm.example-mock.corp/' });
    const npmrc = set.files.find((file) => file.path.endsWith('/.npmrc'))!;
    expect(npmrc.content).toContain('//npm.example-mock.corp/:_authToken=');
    expect(telltaleIn(set, ['//npm.example-mock.corp/'])).toBeNull();
  });
});

describe('options', () => {
  it.each([
    ['a relative home', { home: 'home/node' }],
    ['a tell-tale home', { home: '/home/sandbox' }],
    ['a tell-tale user', { user: 'tester' }],
    ['a user that is not a login name', { user: 'a b' }],
    ['a tell-tale host name', { hostname: 'honeypot-1' }],
    ['a malformed host name', { hostname: 'bad_host!' }],
    ['a registry with spaces', { registryHost: 'npm-mirror.internal x' }],
    ['an empty registry', { registryHost: '' }],
    ['a relative workspace', { workspace: 'project' }],
  ])('refuses %s', (_label, override) => {
    let thrown: unknown;
    try {
      generateDecoys({ ...BASE, ...override });
    } catch (error) {
      thrown = error;
    }
    expect(isSafeInstallError(thrown)).toBe(true);
  });
});
