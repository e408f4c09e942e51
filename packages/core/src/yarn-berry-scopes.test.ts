import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SafeInstallError } from '@safe-install/schema';
import { hostYarnScopes, yarnBerry, yarnrcOf } from './yarn-berry.js';
import { HOST_CONFIG } from './fake-engine.test-helper.js';
import { interpolateYarnValue, mergedYarnScopes, sandboxYarnrc, yarnScopesOf } from './yarn-berry-scopes.js';

const TOKEN = 'REAL-yarn-token-1234';
const rc = (text: string) => yarnrcOf({ files: [{ path: '.yarnrc.yml', content: Buffer.from(text), mode: 0o644 }] });
const scopes = (text: string, env: NodeJS.ProcessEnv = {}) => yarnScopesOf(rc(text), '.yarnrc.yml', env);


describe("Yarn's npmScopes", () => {
  it('reads each scope\'s server and its credential as npm credential lines for the gateway', () => {
    const read = scopes(`npmScopes:\n  corp:\n    npmRegistryServer: "https://npm.corp.example/api/"\n    npmAuthToken: "${TOKEN}"\n  ident:\n    npmRegistryServer: "https://ident.example"\n    npmAuthIdent: "user:pass"\n`);
    expect([...read.keys()]).toEqual(['@corp', '@ident']);
    expect(read.get('@corp')).toEqual({ server: 'https://npm.corp.example/api/', credentials: new Map([['//npm.corp.example/api/:_authToken', TOKEN]]) });
    expect(read.get('@ident')!.credentials).toEqual(new Map([['//ident.example/:_auth', Buffer.from('user:pass').toString('base64')]]));
  });

  it('takes a scope\'s credential from npmRegistries when the scope has none, and a scope without a server is no registry', () => {
    const read = scopes(`npmScopes:\n  corp:\n    npmRegistryServer: "https://npm.corp.example"\n  other:\n    npmAlwaysAuth: true\nnpmRegistries:\n  "//npm.corp.example":\n    npmAuthToken: "${TOKEN}"\n`);
    expect([...read.keys()]).toEqual(['@corp']);
    expect(read.get('@corp')!.credentials.get('//npm.corp.example/:_authToken')).toBe(TOKEN);
  });

  it("expands Yarn's ${NAME}, ${NAME:-fallback} and ${NAME-fallback}; an unset name without a fallback is an error", () => {
    expect(scopes('npmScopes:\n  corp:\n    npmRegistryServer: "https://npm.corp.example"\n    npmAuthToken: "${CORP_TOKEN}"\n', { CORP_TOKEN: TOKEN }).get('@corp')!.credentials.get('//npm.corp.example/:_authToken')).toBe(TOKEN);
    expect(interpolateYarnValue('${A:-x}/${B-y}/${C:-z}', { C: '' }, 'f', 'k')).toBe('x/y/z');
    expect(interpolateYarnValue('${C-z}', { C: '' }, 'f', 'k')).toBe('');
    expect(() => interpolateYarnValue('${MISSING}', {}, '.yarnrc.yml', 'npmAuthToken')).toThrow(/MISSING, which is not set/);
  });

  const hostile: Array<[string, string, RegExp]> = [
    ['npmScopes that is a list', 'npmScopes:\n  - corp\n', /npmScopes is not a mapping/],
    ['a scope key with its @', 'npmScopes:\n  "@corp":\n    npmRegistryServer: "https://x.example"\n', /no scope name/],
    ['a scope key that climbs', 'npmScopes:\n  "../corp":\n    npmRegistryServer: "https://x.example"\n', /no scope name/],
    ['a scope key __proto__', 'npmScopes:\n  __proto__:\n    npmRegistryServer: "https://x.example"\n', /no scope name/],
    ['a scope key with a newline', 'npmScopes:\n  "a\\nb":\n    npmRegistryServer: "https://x.example"\n', /no scope name/],
    ['a scope that is a string', 'npmScopes:\n  corp: "https://x.example"\n', /npmScopes.corp is not a mapping/],
    ['a file: server', 'npmScopes:\n  corp:\n    npmRegistryServer: "file:///etc/passwd"\n', /not an http\(s\) URL/],
    ['a javascript: server', 'npmScopes:\n  corp:\n    npmRegistryServer: "javascript:alert(1)"\n', /not an http\(s\) URL/],
    ['a server that is no URL', 'npmScopes:\n  corp:\n    npmRegistryServer: "npm.corp.example"\n', /is not a URL/],
    ['a server with a password in it', 'npmScopes:\n  corp:\n    npmRegistryServer: "https://u:REAL-pw@x.example/"\n', /user or password/],
    ['a server with a query', 'npmScopes:\n  corp:\n    npmRegistryServer: "https://x.example/?a=1"\n', /query or a fragment/],
    ['a server that is a list', 'npmScopes:\n  corp:\n    npmRegistryServer: ["https://x.example"]\n', /is not a string/],
    ['an overlong server', `npmScopes:\n  corp:\n    npmRegistryServer: "https://x.example/${'a'.repeat(3000)}"\n`, /longer than/],
    ['a token with a line break', 'npmScopes:\n  corp:\n    npmRegistryServer: "https://x.example"\n    npmAuthToken: "a\\nAuthorization: x"\n', /control character/],
    ['a token that is a mapping', 'npmScopes:\n  corp:\n    npmRegistryServer: "https://x.example"\n    npmAuthToken: { a: 1 }\n', /is not a string/],
    ['npmRegistries that is a list', 'npmScopes:\n  corp:\n    npmRegistryServer: "https://x.example"\nnpmRegistries: [1]\n', /npmRegistries is not a mapping/],
    ['too many scopes', `npmScopes:\n${Array.from({ length: 300 }, (_, i) => `  s${i}:\n    npmRegistryServer: "https://x.example"\n`).join('')}`, /more than 256/],
  ];
  it.each(hostile)('refuses %s', (_, text, message) => {
    expect(() => scopes(text)).toThrow(SafeInstallError);
    expect(() => scopes(text)).toThrow(message);
  });

  it('merges the user\'s scopes under the project\'s', () => {
    const user = scopes('npmScopes:\n  corp:\n    npmRegistryServer: "https://user.example"\n  mine:\n    npmRegistryServer: "https://mine.example"\n');
    const project = scopes('npmScopes:\n  corp:\n    npmRegistryServer: "https://project.example"\n');
    const merged = mergedYarnScopes([user, project]);
    expect([...merged].map(([scope, { server }]) => `${scope} ${server}`)).toEqual(['@corp https://project.example', '@mine https://mine.example']);
  });
});

describe('the .yarnrc.yml the sandbox gets', () => {
  it('holds no credential anywhere, the merged scopes by server only, and the rest of the project\'s settings', () => {
    const project = rc(`nodeLinker: pnp\nenableScripts: false\nnpmAuthToken: "${TOKEN}-top"\nnpmAlwaysAuth: true\nnpmScopes:\n  corp:\n    npmRegistryServer: "https://npm.corp.example"\n    npmAuthToken: "${TOKEN}"\n    npmAlwaysAuth: true\nnpmRegistries:\n  "//npm.corp.example":\n    npmAuthIdent: "user:${TOKEN}"\n`);
    const user = yarnScopesOf(rc(`npmScopes:\n  mine:\n    npmRegistryServer: "https://mine.example"\n    npmAuthToken: "${TOKEN}-user"\n`), '~/.yarnrc.yml', {});
    const text = sandboxYarnrc(project, mergedYarnScopes([user, yarnScopesOf(project, '.yarnrc.yml', {})]));
    expect(text).not.toContain('REAL');
    expect(parse(text)).toEqual({ nodeLinker: 'pnp', enableScripts: false, npmScopes: { mine: { npmRegistryServer: 'https://mine.example' }, corp: { npmRegistryServer: 'https://npm.corp.example' } } });
    expect(sandboxYarnrc({}, new Map())).toBe('');
  });
});

describe('Yarn scopes through the gateway', () => {
  let home: string;
  let project: string;
  const savedHome = process.env['HOME'];
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'yarn-scopes-home-'));
    project = await mkdtemp(join(tmpdir(), 'yarn-scopes-project-'));
    process.env['HOME'] = home;
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'p', version: '1.0.0', packageManager: 'yarn@4.18.1' }));
    await writeFile(join(project, 'yarn.lock'), '__metadata:\n  version: 8\n\n"p@workspace:.":\n  version: 0.0.0-use.local\n  resolution: "p@workspace:."\n  languageName: unknown\n  linkType: soft\n');
    await writeFile(join(project, '.yarnrc.yml'), `nodeLinker: node-modules\nnpmScopes:\n  corp:\n    npmRegistryServer: "https://npm.corp.example/api"\n    npmAuthToken: "${TOKEN}"\n`);
    await writeFile(join(home, '.yarnrc.yml'), `npmScopes:\n  mine:\n    npmRegistryServer: "https://mine.example/"\n    npmAuthIdent: "me:${TOKEN}"\n`);
  });
  afterEach(async () => {
    if (savedHome === undefined) delete process.env['HOME'];
    else process.env['HOME'] = savedHome;
    await rm(home, { recursive: true, force: true });
    await rm(project, { recursive: true, force: true });
  });

  it('routes each scope through the gateway with its credential, and no token reaches the sandbox', async () => {
    const network = await yarnBerry.sandboxNetwork(HOST_CONFIG, project, { global: [], packages: {} });
    const byUpstream = new Map(network.gateway.registries.map((registry) => [registry.upstream, registry]));
    expect(byUpstream.get('https://npm.corp.example/api')).toMatchObject({ advertised: 'https://npm.corp.example/api/', auth: { type: 'bearer', value: TOKEN } });
    expect(byUpstream.get('https://mine.example/')).toMatchObject({ advertised: 'https://mine.example/', auth: { type: 'basic', value: Buffer.from(`me:${TOKEN}`).toString('base64') } });
    expect(byUpstream.get(HOST_CONFIG.registry)?.auth).toBeUndefined();
    // The sandbox's side: its npmrc lines and environment name the servers, never a credential.
    expect([...network.npmrc, ...network.env].join('\n')).not.toContain('REAL');
    const read = await yarnBerry.readProject(project);
    const uploaded = read.files.find((file) => file.path === '.yarnrc.yml')!.content.toString('utf8');
    expect(uploaded).not.toContain('REAL');
    expect(parse(uploaded)).toEqual({ nodeLinker: 'node-modules', npmScopes: { mine: { npmRegistryServer: 'https://mine.example/' }, corp: { npmRegistryServer: 'https://npm.corp.example/api' } } });
    expect(JSON.stringify(read.files.map((file) => file.content.toString('utf8')))).not.toContain('REAL');
    expect([...(await hostYarnScopes(read, home)).keys()]).toEqual(['@mine', '@corp']);
  });

  it('refuses a run whose ~/.yarnrc.yml has a hostile scope', async () => {
    await writeFile(join(home, '.yarnrc.yml'), 'npmScopes:\n  mine:\n    npmRegistryServer: "file:///etc/passwd"\n');
    await expect(yarnBerry.readProject(project)).rejects.toThrow(/~\/\.yarnrc\.yml npmScopes\.mine\.npmRegistryServer .* is not an http\(s\) URL/);
  });
});
