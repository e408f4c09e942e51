/**
 * Yarn's scoped registries through the gateway: a private registry (test/src/local-registry.ts,
 * which demands a bearer token) named by `npmScopes` in the project's .yarnrc.yml with its
 * `npmAuthToken`. `safe-install ci` installs the scoped package from it — the gateway adding the
 * real token to every request — while nothing in the sandbox holds the token: the root's
 * postinstall writes what it can see (the sandbox's .yarnrc.yml, and a hash of each environment
 * value) into the project, and that file comes back without it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bridgeAddress, describeWithEngine, runCli } from './engine.js';
import { hostYarn, YARN, yarnLock } from './host-yarn.js';
import { startLocalRegistry } from './local-registry.js';

await describeWithEngine('Yarn npmScopes through the gateway', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('installs a scoped package from a private registry with the gateway\'s token, and no token enters the sandbox', async () => {
    const bridge = await bridgeAddress();
    const token = `secret-${randomBytes(12).toString('hex')}`;
    const registry = await startLocalRegistry(bridge, token);
    cleanup.push(() => registry.close());
    const yarn = await hostYarn();
    cleanup.push(() => rm(join(yarn, '../../..'), { recursive: true, force: true }));
    const dir = await mkdtemp(join(tmpdir(), 'safe-install-yarn-scopes-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    // The environment holds the run's decoys (writing them out is exfiltration): only its values' hashes are written.
    const seen = "const fs = require('fs'); const h = (v) => require('crypto').createHash('sha256').update(v).digest('hex'); fs.writeFileSync('seen.txt', fs.readFileSync('.yarnrc.yml', 'utf8') + Object.values(process.env).map(h).join(' '))";
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'scopes-project', version: '1.0.0', private: true, packageManager: `yarn@${YARN}`, dependencies: { '@local/tiny': '1.0.0' }, scripts: { postinstall: `node -e "${seen}"` } }, null, 2));
    // The registry is plain http on the bridge: Yarn takes it only when whitelisted, on the host and in the sandbox alike.
    await writeFile(join(dir, '.yarnrc.yml'), `nodeLinker: node-modules\nunsafeHttpWhitelist:\n  - "${bridge}"\nnpmScopes:\n  local:\n    npmRegistryServer: "${registry.url}"\n    npmAuthToken: "${token}"\n`);
    await yarnLock(yarn, dir);
    const before = registry.requests.length;

    const result = await runCli(['ci', dir, '--report', join(dir, '..', `${dir.split('/').pop()}-report.json`)]);
    cleanup.push(() => rm(join(dir, '..', `${dir.split('/').pop()}-report.json`), { force: true }));
    if (result.exitCode !== 0) process.stderr.write(String(result.all ?? ''));
    expect(result.exitCode).toBe(0);
    expect(await readFile(join(dir, 'node_modules/@local/tiny/index.js'), 'utf8')).toContain('from the private registry');
    // Every request of the sandboxed install reached the registry with the real token, added by the gateway.
    const sandboxed = registry.requests.slice(before);
    expect(sandboxed.length).toBeGreaterThan(0);
    expect(sandboxed.every((request) => request.authorization === `Bearer ${token}`)).toBe(true);
    // What a script in the sandbox could read: the scope's server, never its token.
    const view = await readFile(join(dir, 'seen.txt'), 'utf8');
    expect(view).toContain(registry.url);
    expect(view).not.toContain(token);
    expect(view).not.toContain(createHash('sha256').update(token).digest('hex'));
    // The host's .yarnrc.yml is the user's own, token and all: the sandbox's copy did not come back.
    expect(await readFile(join(dir, '.yarnrc.yml'), 'utf8')).toContain(token);
  }, 10 * 60_000);
});
