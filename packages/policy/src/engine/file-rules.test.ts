import { behaviour, findingsOf, HOME, judge, NM, policyFrom, PROJECT, summary, Trace } from '../testing/synthetic-trace.js';

/** A dependency's postinstall running node, ready to act. */
function node(t: Trace, spec = 'evil-pkg@1.0.0', command = 'node setup.js') {
  return t.script(spec, 'postinstall', command).run('/usr/local/bin/node', ['node', ...command.split(' ').slice(1)]);
}

describe('decoy-credential-read', () => {
  it('fires when a script reads a planted credential file', () => {
    const t = new Trace();
    const n = node(t);
    const read = n.read(`${HOME}/.npmrc`);
    const [f] = findingsOf(judge(t), 'decoy-credential-read');
    expect(f).toMatchObject({ severity: 'high', package: { name: 'evil-pkg', version: '1.0.0' }, lifecycle: 'postinstall', evidence: [read.id] });
    expect(f?.message).toBe(`read the credential file ${HOME}/.npmrc (npm-token)`);
    // The chain runs from the script's root (the shell npm started) to the node process.
    expect(f?.chain?.map((s) => s.argv0)).toEqual(['/bin/sh', 'node']);
    expect(f?.chain?.[1]?.pid).toBe(n.pid);
  });

  it('.env decoys are medium: build tools (prisma generate) read them', () => {
    const t = new Trace();
    node(t).read(`${PROJECT}/.env`);
    expect(summary(judge(t))).toContain('decoy-credential-read:medium');
  });

  it('counts a read through a hard link, symbolic link or rename of a decoy as a read of the decoy', () => {
    const t = new Trace();
    const n = node(t);
    n.link(`${HOME}/.aws/credentials`, '/tmp/c');
    n.symlink(`${HOME}/.npmrc`, `${NM}/evil-pkg/cfg`);
    n.link('/tmp/c', '/tmp/c2'); // a link of the link still reaches the decoy
    n.rename(`${PROJECT}/.env`, '/tmp/e');
    const reads = [n.read('/tmp/c2'), n.read(`${NM}/evil-pkg/cfg`), n.read('/tmp/e')];
    const f = findingsOf(judge(t), 'decoy-credential-read');
    expect(f.map((x) => [x.subject, x.severity, x.evidence])).toEqual([
      [`${HOME}/.aws/credentials`, 'high', [reads[0]!.id]],
      [`${HOME}/.npmrc`, 'high', [reads[1]!.id]],
      [`${PROJECT}/.env`, 'high', [reads[2]!.id]],
    ]);
    expect(f[0]?.message).toBe(`read the credential file ${HOME}/.aws/credentials (aws-secret-access-key) through another name for it, /tmp/c2`);
  });

  it('a nested npm reading a link to ~/.npmrc is not exempt; a name replaced or removed is no longer the decoy', () => {
    const t = new Trace();
    const n = node(t);
    n.link(`${HOME}/.npmrc`, '/tmp/rc');
    n.run('/usr/local/bin/node', ['node', '/usr/local/lib/node_modules/npm/bin/npm-cli.js', 'whoami', '--userconfig', '/tmp/rc']).read('/tmp/rc');
    n.link(`${HOME}/.aws/credentials`, '/tmp/a');
    n.file('unlink', '/tmp/a');
    n.read('/tmp/a');
    n.link(`${HOME}/.aws/credentials`, '/tmp/b');
    n.link('/tmp/harmless', '/tmp/b'); // (after a replace) /tmp/b is another file now
    n.read('/tmp/b');
    expect(findingsOf(judge(t), 'decoy-credential-read').map((x) => x.subject)).toEqual([`${HOME}/.npmrc`]);
  });

  it('does not fire for a nested npm reading ~/.npmrc to authenticate (esbuild fallback)', () => {
    const t = new Trace();
    const npm = node(t, 'esbuild@0.25.12', 'node install.js').run('/usr/local/bin/node', ['node', '/usr/local/lib/node_modules/npm/bin/npm-cli.js', 'install', '@esbuild/linux-x64@0.25.12'], { packageManager: true });
    npm.read(`${HOME}/.npmrc`);
    expect(behaviour(judge(t))).toEqual([]);
  });

  it.each([
    ['a script file named like npm\'s', '/usr/local/bin/node', ['node', '/home/node/project/node_modules/evil/npm-cli.js']],
    ['a planted node_modules/.bin/npm', '/home/node/project/node_modules/.bin/npm', ['npm', 'whoami']],
    ['a process calling itself npm', '/usr/bin/python3', ['npm', 'install']],
  ])('fires for %s reading ~/.npmrc: a name is no exemption', (_what, path, argv) => {
    const t = new Trace();
    node(t, 'evil@1.0.0', 'node install.js').run(path, argv).read(`${HOME}/.npmrc`);
    expect(summary(judge(t))).toContain('decoy-credential-read:high');
  });

  it('does not fire for the package manager itself', () => {
    const t = new Trace();
    t.pm.read(`${HOME}/.npmrc`);
    t.pm.read(`${HOME}/.aws/credentials`);
    expect(judge(t).findings).toEqual([]);
  });
});

describe('credential-store-read', () => {
  it('fires for a credential store that holds no decoy', () => {
    const t = new Trace();
    node(t).read(`${HOME}/.kube/config`);
    expect(summary(judge(t))).toContain('credential-store-read:medium');
  });

  it('does not fire for ssh known_hosts or a package\'s own .env.example', () => {
    const t = new Trace();
    const n = node(t);
    n.read(`${HOME}/.ssh/known_hosts`);
    n.read(`${NM}/evil-pkg/.env.example`);
    n.read(`${NM}/evil-pkg/.env`);
    expect(behaviour(judge(t))).toEqual([]);
  });
});

describe('env-dump (files)', () => {
  it('fires on /proc/*/environ', () => {
    const t = new Trace();
    const n = node(t);
    n.read('/proc/self/environ');
    n.read('/proc/1/environ', { ok: false, errno: 'EACCES' });
    expect(summary(judge(t))).toEqual(['env-dump:high', 'env-dump:high', 'script-not-allowed:info']);
  });

  it('does not fire on /proc/self/cgroup, /proc/self/maps or /proc/meminfo (the Node runtime)', () => {
    const t = new Trace();
    const n = node(t);
    for (const p of ['/proc/self/cgroup', '/proc/self/maps', '/proc/meminfo', '/proc/self/stat']) n.read(p);
    expect(behaviour(judge(t))).toEqual([]);
  });
});

describe('sandbox-probe', () => {
  it('fires low on container markers and TracerPid checks', () => {
    const t = new Trace();
    const n = node(t);
    n.read('/.dockerenv', { ok: false, errno: 'ENOENT' });
    n.read('/proc/1/cgroup');
    n.read('/proc/self/status');
    n.read('/proc/4242/status');
    const result = judge(t);
    expect(findingsOf(result, 'sandbox-probe').map((f) => [f.subject, f.severity])).toEqual([
      ['/.dockerenv', 'low'],
      ['/proc/1/cgroup', 'low'],
      ['/proc/self/status', 'low'],
      ['/proc/<pid>/status', 'low'],
    ]);
    expect(result.verdict).toBe('pass');
  });

  it('fires on a look (stat) for a container marker, whether it is there or not; other looks say nothing', () => {
    const t = new Trace();
    const n = node(t);
    n.file('stat', '/.dockerenv');
    n.file('stat', '/run/.containerenv', { ok: false, errno: 'ENOENT' });
    for (const p of [`${HOME}/.npmrc`, `${HOME}/.ssh/id_rsa`, '/usr/bin/gh', '/etc/passwd']) n.file('stat', p, { ok: false, errno: 'ENOENT' });
    const result = judge(t);
    expect(findingsOf(result, 'sandbox-probe').map((f) => [f.subject, f.message])).toEqual([
      ['/.dockerenv', 'looked for /.dockerenv: container marker file'],
      ['/run/.containerenv', 'looked for /run/.containerenv: container marker file (not there: ENOENT)'],
    ]);
    // Nothing but the two probes: looks at credentials or programs are not reads.
    expect(behaviour(result)).toEqual(['sandbox-probe:low', 'sandbox-probe:low']);
  });

  it('is high when the script finds a container marker and stops at once, having done nothing (evasion)', () => {
    const t = new Trace();
    const s = t.script('evasive@1.0.0', 'postinstall', 'sh probe.sh');
    s.file('stat', '/.dockerenv');
    s.end(0);
    const f = findingsOf(judge(t), 'sandbox-probe');
    expect(f.map((x) => [x.subject, x.severity])).toEqual([['/.dockerenv', 'high']]);
    expect(f[0]!.message).toMatch(/evasion/);
  });

  it('stays low when the marker is absent, or when the script goes on to do something', () => {
    for (const variant of ['absent', 'busy'] as const) {
      const t = new Trace();
      const s = t.script('curious@1.0.0', 'postinstall', 'sh probe.sh');
      s.file('stat', '/.dockerenv', variant === 'absent' ? { ok: false, errno: 'ENOENT' } : {});
      if (variant === 'busy') s.run('/usr/bin/make', ['make']);
      s.end(0);
      expect(findingsOf(judge(t), 'sandbox-probe').map((x) => x.severity)).toEqual(['low']);
    }
  });

  it('fires low on a look at other processes’ command lines, and on a process lister (P28)', () => {
    const t = new Trace();
    const n = node(t);
    n.read('/proc/1/cmdline');
    n.read('/proc/77/comm');
    n.read('/proc/78/comm');
    n.run('/usr/bin/ps', ['ps', 'ax']);
    n.read('/proc/self/cmdline');
    const result = judge(t);
    expect(findingsOf(result, 'sandbox-probe').map((f) => [f.subject, f.severity])).toEqual([
      ['/proc/1/cmdline', 'low'],
      ['/proc/<pid>/comm', 'low'],
      ['process list (ps)', 'low'],
    ]);
    expect(result.verdict).toBe('pass');
  });

  it.each([
    ['reads its TracerPid', (s: ReturnType<Trace['script']>) => s.read('/proc/self/status')],
    ['scans the process list', (s: ReturnType<Trace['script']>) => s.read('/proc/1/cmdline')],
    ['runs ps', (s: ReturnType<Trace['script']>) => s.run('/usr/bin/ps', ['ps', '-ef'])],
  ])('is high when the script %s and stops at once, having done nothing (dormant on seeing its observer)', (_, look) => {
    const t = new Trace();
    const s = t.script('dormant@1.0.0', 'postinstall', 'sh probe.sh');
    look(s);
    s.end(0);
    const f = findingsOf(judge(t), 'sandbox-probe');
    expect(f.map((x) => x.severity)).toEqual(['high']);
    expect(f[0]!.message).toMatch(/evasion/);
  });

  it('takes the environments ps reads while it lists processes as part of its look, not as an env dump', () => {
    const t = new Trace();
    const lister = t.script('lister@1.0.0', 'postinstall', 'sh x.sh').run('/usr/bin/ps', ['ps', '-e', '-o', 'comm=']);
    lister.read('/proc/1/environ', { ok: false, errno: 'EACCES' });
    lister.read('/proc/2/environ');
    expect(findingsOf(judge(t), 'env-dump')).toEqual([]);
    // Asked to print them (`ps eww`), or read by anything else, they are a dump.
    const u = new Trace();
    u.script('lister@1.0.0', 'postinstall', 'sh x.sh').run('/usr/bin/ps', ['ps', 'eww']).read('/proc/7/environ');
    expect(findingsOf(judge(u), 'env-dump').map((f) => f.severity)).toEqual(['high']);
    const v = new Trace();
    node(v).read('/proc/1/environ', { ok: false, errno: 'EACCES' });
    expect(findingsOf(judge(v), 'env-dump')).toHaveLength(1);
  });

  it('stays low when a script that looked for its observer goes on to work', () => {
    const t = new Trace();
    const s = t.script('curious@1.0.0', 'postinstall', 'sh build.sh');
    s.read('/proc/self/status');
    s.run('/usr/bin/make', ['make']);
    s.end(0);
    expect(findingsOf(judge(t), 'sandbox-probe').map((x) => x.severity)).toEqual(['low']);
  });

  it('does not fire on the dynamic loader and libc', () => {
    const t = new Trace();
    const n = node(t);
    for (const p of ['/etc/ld.so.cache', '/lib/x86_64-linux-gnu/libc.so.6', '/etc/ssl/openssl.cnf', '/etc/passwd', '/etc/nsswitch.conf']) n.read(p);
    expect(behaviour(judge(t))).toEqual([]);
  });
});

describe('persistence-write', () => {
  it.each([
    [`${HOME}/.bashrc`, 'startup or config file ~/.bashrc'],
    [`${HOME}/.config/autostart/update.desktop`, 'autostart location ~/.config/autostart'],
    [`${HOME}/.config/systemd/user/agent.service`, 'autostart location ~/.config/systemd/user'],
    ['/etc/cron.d/job', 'system autostart location /etc/cron.d'],
    ['/etc/sudoers.d/node', 'system autostart location /etc/sudoers.d'],
    [`${HOME}/other-repo/.git/hooks/pre-commit`, 'git hooks or config of another repository'],
    [`${PROJECT}/.github/workflows/shai-hulud.yml`, 'a CI workflow'],
  ])('fires for %s', (path, what) => {
    const t = new Trace();
    node(t).write(path, { ok: false, errno: 'EACCES' });
    const [f] = findingsOf(judge(t), 'persistence-write');
    expect(f?.severity).toBe('critical');
    expect(f?.message).toBe(`created ${path} — ${what} (attempt failed: EACCES)`);
  });

  it('does not fire for the project\'s own .git/hooks and .git/config (husky)', () => {
    const t = new Trace();
    const n = node(t, 'husky@4.3.8', 'node husky install');
    n.write(`${PROJECT}/.git/hooks/pre-commit`);
    n.write(`${PROJECT}/.git/config.lock`);
    n.rename(`${PROJECT}/.git/config.lock`, `${PROJECT}/.git/config`);
    expect(behaviour(judge(t))).toEqual([]);
  });
});

describe('foreign-package-write', () => {
  it('fires when a dependency writes Yarn PnP\'s files: the resolution map, the cache, another unplugged package; not its own unplugged folder', () => {
    const t = new Trace();
    const own = `${PROJECT}/.yarn/unplugged/evil-pkg-npm-1.0.0-0123456789/node_modules/evil-pkg`;
    const n = t.script('evil-pkg@1.0.0', 'postinstall', 'node setup.js', { cwd: own }).run('/usr/local/bin/node', ['node', 'setup.js']);
    n.write(`${own}/build/out.node`);
    n.write(`${PROJECT}/.pnp.cjs`);
    n.write(`${PROJECT}/.pnp.loader.mjs`);
    n.write(`${PROJECT}/.yarn/cache/react-npm-19.0.0-0123456789-10c0.zip`);
    n.write(`${PROJECT}/.yarn/unplugged/esbuild-npm-0.25.0-0123456789/.ready`);
    const f = findingsOf(judge(t), 'foreign-package-write');
    expect(f.map((x) => x.subject)).toEqual([`${PROJECT}/.pnp.cjs`, `${PROJECT}/.pnp.loader.mjs`, `${PROJECT}/.yarn/cache`, `${PROJECT}/.yarn/unplugged`]);
    expect(f[0]?.message).toMatch(/\.pnp\.cjs belongs to the package manager \(Yarn PnP\)/);
  });

  it('a write to Yarn\'s release or plugins is persistence: Yarn runs them on the host', () => {
    const t = new Trace();
    node(t).write(`${PROJECT}/.yarn/releases/yarn-4.18.1.cjs`);
    node(t, 'other@1.0.0').write(`${PROJECT}/.yarn/plugins/plugin.cjs`);
    expect(findingsOf(judge(t), 'persistence-write').map((x) => x.subject)).toEqual([`${PROJECT}/.yarn/releases/yarn-4.18.1.cjs`, `${PROJECT}/.yarn/plugins/plugin.cjs`]);
  });

  it('fires when a script writes into another package or into .bin', () => {
    const t = new Trace();
    const n = node(t);
    n.write(`${NM}/react/index.js`);
    n.symlink('../evil-pkg/x.js', `${NM}/.bin/tsc`);
    n.write(`${NM}/@scope/lib/node_modules/dep/index.js`);
    const f = findingsOf(judge(t), 'foreign-package-write');
    expect(f.map((x) => [x.subject, x.severity])).toEqual([
      [`${NM}/react`, 'high'],
      [`${NM}/.bin`, 'high'],
      [`${NM}/@scope/lib/node_modules/dep`, 'high'],
    ]);
  });

  it('does not fire for hard-linking another package\'s file (esbuild), Python caches (node-gyp) or its own files', () => {
    const t = new Trace();
    const n = node(t, 'esbuild@0.25.12', 'node install.js');
    n.link(`${NM}/@esbuild/linux-x64/bin/esbuild`, `${NM}/esbuild/bin-esbuild`);
    n.write(`${NM}/node-gyp/gyp/pylib/gyp/__pycache__/input.cpython-311.pyc`);
    n.write(`${NM}/esbuild/lib/cache.json`);
    expect(behaviour(judge(t))).toEqual([]);
  });

  it('does not fire for a node-gyp build whose own build/ tree mirrors node_modules/<name> paths', () => {
    const t = new Trace();
    const gyp = node(t, 'better-sqlite3@12.4.1', 'prebuild-install || node-gyp rebuild --release');
    const own = `${NM}/better-sqlite3/build/Release/.deps/app/node_modules/better-sqlite3`;
    gyp.file('mkdir', `${own}/src`);
    gyp.write(`${own}/src/better_sqlite3.o.d`);
    gyp.write(`${NM}/better-sqlite3/build/Release/obj.target/deps/node_modules/@scope/x/sqlite3.o`);
    gyp.write(`${NM}/better-sqlite3/build/node_modules/react/index.js`);
    expect(behaviour(judge(t))).toEqual([]);
  });

  it('still fires for hostile lookalikes: .. out of the build tree, a nested dependency, links planted in its own folder', () => {
    const t = new Trace();
    const n = node(t, 'addon@1.0.0', 'node-gyp rebuild');
    // Lexically out of its own folder into a sibling.
    n.write(`${NM}/addon/build/../../react/index.js`);
    // Its own node_modules/<dep> is another package, even when the name repeats its own.
    n.write(`${NM}/addon/node_modules/addon/index.js`);
    // A symlink in its own build/ to another package, then a write through it.
    n.symlink(`${NM}/lodash`, `${NM}/addon/build/out`);
    n.write(`${NM}/addon/build/out/lodash.js`);
    // A chain of links: own/a -> own/b, own/b -> @scope/lib.
    n.symlink(`${NM}/@scope/lib`, `${NM}/addon/b`);
    n.symlink(`${NM}/addon/b`, `${NM}/addon/a`);
    n.write(`${NM}/addon/a/index.js`);
    // A hard link of another package's file under its own name, then an overwrite of it.
    n.link(`${NM}/chalk/index.js`, `${NM}/addon/chalk.js`);
    n.write(`${NM}/addon/chalk.js`);
    const f = findingsOf(judge(t), 'foreign-package-write');
    expect(f.map((x) => x.subject)).toEqual([`${NM}/react`, `${NM}/addon/node_modules/addon`, `${NM}/lodash`, `${NM}/@scope/lib`, `${NM}/chalk`]);
    expect(f[2]?.message).toBe(`created ${NM}/lodash/lodash.js (through the link ${NM}/addon/build/out, as ${NM}/addon/build/out/lodash.js) — inside package lodash`);
  });

  it('a link that was removed or replaced no longer redirects writes; a loop of links ends', () => {
    const t = new Trace();
    const n = node(t, 'addon@1.0.0', 'node-gyp rebuild');
    n.symlink(`${NM}/lodash`, `${NM}/addon/out`);
    n.file('unlink', `${NM}/addon/out`);
    n.file('mkdir', `${NM}/addon/out`);
    n.write(`${NM}/addon/out/x.js`);
    n.symlink(`${NM}/addon/loop2`, `${NM}/addon/loop1`);
    n.symlink(`${NM}/addon/loop1`, `${NM}/addon/loop2`);
    n.write(`${NM}/addon/loop1/x.js`);
    expect(findingsOf(judge(t), 'foreign-package-write')).toEqual([]);
  });

  it('the project\'s own scripts may patch node_modules (patch-package)', () => {
    const t = new Trace();
    const s = t.script('app@1.0.0', 'postinstall', 'patch-package', { cwd: PROJECT });
    s.run('/usr/local/bin/node', ['node', `${NM}/.bin/patch-package`]).write(`${NM}/react/index.js`);
    expect(judge(t).findings).toEqual([]);
  });

  it('is allowed by the package\'s write list (@swc/core moving @swc/wasm)', () => {
    const t = new Trace();
    node(t, '@swc/core@1.13.5', 'node postinstall.js').rename(`/tmp/swc/node_modules/@swc/wasm`, `${NM}/@swc/wasm`);
    const policy = policyFrom('version: 1\npackages:\n  "@swc/core@1.13.5":\n    write: ["$NODE_MODULES/@swc/wasm/"]\n');
    expect(judge(t, policy).findings).toEqual([]);
  });
});

describe('self-tamper', () => {
  it('fires when a script deletes its own install script and swaps its package.json (axios/plain-crypto-js)', () => {
    const t = new Trace();
    const n = node(t, 'plain-crypto-js@4.2.1', 'node setup.js');
    n.file('unlink', `${NM}/plain-crypto-js/setup.js`);
    n.rename(`${NM}/plain-crypto-js/package.md`, `${NM}/plain-crypto-js/package.json`);
    const f = findingsOf(judge(t), 'self-tamper');
    expect(f.map((x) => x.message)).toEqual([
      `deleted ${NM}/plain-crypto-js/setup.js — the install script it is running`,
      `renamed a file onto ${NM}/plain-crypto-js/package.json — its own package.json`,
    ]);
  });

  it('does not fire for renames inside its own folder or a failed unlink (esbuild)', () => {
    const t = new Trace();
    const n = node(t, 'esbuild@0.25.12', 'node install.js');
    n.rename(`${NM}/esbuild/bin-esbuild`, `${NM}/esbuild/bin/esbuild`);
    n.file('unlink', `${NM}/esbuild/bin-esbuild`, { ok: false, errno: 'ENOENT' });
    n.file('unlink', `${NM}/esbuild/install.js`, { ok: false, errno: 'ENOENT' });
    expect(behaviour(judge(t))).toEqual([]);
  });
});

describe('write-outside-package', () => {
  it('fires medium outside HOME caches, low in caches', () => {
    const t = new Trace();
    const n = node(t);
    n.write('/opt/evil/config');
    n.write(`${HOME}/.cache/puppeteer/chrome/linux-131/chrome`);
    n.write(`${HOME}/.cache/puppeteer/chrome/linux-131/lib.so`);
    const f = findingsOf(judge(t), 'write-outside-package');
    expect(f.map((x) => [x.subject, x.severity, x.occurrences])).toEqual([
      ['/opt/evil', 'medium', 1],
      ['~/.cache/puppeteer', 'low', 2],
    ]);
  });

  it('does not fire for TMPDIR (core-js), the project tree (msw) or /dev/null', () => {
    const t = new Trace();
    const n = node(t, 'core-js@3.45.1', 'node postinstall.js');
    n.write('/tmp/core-js-banners');
    n.write('/var/tmp/x');
    n.write(`${PROJECT}/public/mockServiceWorker.js`);
    n.write('/dev/null');
    n.write('/dev/tty', { ok: false, errno: 'ENXIO' });
    expect(behaviour(judge(t))).toEqual([]);
  });

  it('is allowed by a write pattern with variables', () => {
    const t = new Trace();
    node(t, 'puppeteer@24.0.0', 'node install.mjs').write(`${HOME}/.cache/puppeteer/chrome/linux-131/chrome`);
    const policy = policyFrom('version: 1\npackages:\n  puppeteer:\n    write: ["$HOME/.cache/puppeteer/**"]\n');
    expect(judge(t, policy).findings).toEqual([]);
  });
});

describe('privilege-escalation (files)', () => {
  it('fires for writes to /etc/hosts, /etc/resolv.conf and system program folders', () => {
    const t = new Trace();
    const n = node(t);
    n.write('/etc/resolv.conf', { ok: false, errno: 'EROFS' });
    n.write('/etc/hosts', { ok: false, errno: 'EROFS' });
    n.write('/usr/local/bin/node', { ok: false, errno: 'EACCES' });
    expect(findingsOf(judge(t), 'privilege-escalation').map((f) => f.severity)).toEqual(['critical', 'critical', 'critical']);
  });
});

describe('secret-sweep (files)', () => {
  it('fires when a script probes many kinds of credential store, even unsuccessfully', () => {
    const t = new Trace();
    const n = node(t);
    for (const p of ['.aws/credentials', '.config/gcloud/application_default_credentials.json', '.azure/accessTokens.json', '.kube/config', '.docker/config.json']) {
      n.read(`${HOME}/${p}`, { ok: false, errno: 'ENOENT' });
    }
    const [f] = findingsOf(judge(t), 'secret-sweep');
    expect(f?.message).toBe('probed 4 kinds of credential store (aws, azure, gcloud, kube)');
  });

  it('fires on a recursive read of HOME', () => {
    const t = new Trace();
    const n = node(t);
    for (let i = 0; i < 250; i++) n.read(`${HOME}/Documents/file${i}.txt`);
    expect(summary(judge(t))).toContain('secret-sweep:high');
  });

  it('does not fire for many reads in the project, caches and its own folder', () => {
    const t = new Trace();
    const n = node(t, 'nx@21.0.0', 'node postinstall.js');
    for (let i = 0; i < 300; i++) {
      n.read(`${PROJECT}/src/file${i}.ts`);
      n.read(`${HOME}/.npm/_cacache/index-v5/${i}`);
    }
    expect(behaviour(judge(t))).toEqual([]);
  });
});

describe('destructive-wipe', () => {
  it('fires once for files overwritten then deleted under HOME, following shred\'s renames', () => {
    const t = new Trace();
    const n = node(t);
    for (const f of ['a', 'b']) {
      n.write(`${HOME}/projects/${f}.txt`);
      n.write(`${HOME}/projects/${f}.txt`);
      n.file('unlink', `${HOME}/projects/${f}.txt`);
    }
    n.open(`${HOME}/Documents/notes.txt`, 'rw');
    n.rename(`${HOME}/Documents/notes.txt`, `${HOME}/Documents/0`);
    n.file('unlink', `${HOME}/Documents/0`);
    const f = findingsOf(judge(t), 'destructive-wipe');
    expect(f.map((x) => [x.subject, x.severity, x.message])).toEqual([['~/projects', 'high', `overwrote ${HOME}/projects/a.txt, then deleted it (a wipe: what was there cannot be recovered)`]]);
  });

  it('does not fire for temporary files, its own folder, node_modules or a file written once and deleted', () => {
    const t = new Trace();
    const n = node(t);
    for (const p of ['/tmp/build/x.o', `${NM}/evil-pkg/build/x.o`, `${NM}/other/cache.json`]) {
      n.write(p);
      n.write(p);
      n.file('unlink', p);
    }
    n.write(`${HOME}/.cache/tool/lock`);
    n.file('unlink', `${HOME}/.cache/tool/lock`);
    expect(findingsOf(judge(t), 'destructive-wipe')).toEqual([]);
  });
});

describe('finding groups', () => {
  it('a rule firing with a new subject each time folds past ten subjects into one counted finding', () => {
    const t = new Trace();
    const n = node(t);
    for (let i = 0; i < 500; i++) n.write(`${NM}/victim-${i}/index.js`);
    const f = findingsOf(judge(t), 'foreign-package-write');
    expect(f).toHaveLength(11);
    expect(f.slice(0, 10).map((x) => x.subject)).toEqual(Array.from({ length: 10 }, (_, i) => `${NM}/victim-${i}`));
    const rest = f[10];
    expect(rest).toMatchObject({ subject: 'more of the same', occurrences: 490, severity: 'high' });
    expect(rest?.evidence).toHaveLength(20);
    // Messages are capped at 300 characters: the count comes first, then as many samples as fit.
    expect(rest?.message).toMatch(new RegExp(`^created ${NM}/victim-10/index\\.js — inside package victim-10 \\(and more like it\\); 490 further subjects: ${NM}/victim-10, ${NM}/victim-11, `));
  });
});
