/**
 * Install scripts of popular benign packages that trip naive rules. Each trace mimics what the
 * tracer records for the real package; none may produce a behaviour finding, with or without a
 * policy (without one, each script is only reported as `info`).
 */
import { learnPolicy } from './learn/learn-policy.js';
import { resolvePolicy } from './resolve-policy.js';
import { behaviour, CONTEXT, DECOYS, HOME, judge, NM, PROJECT, Trace } from './testing/synthetic-trace.js';

function esbuild(t: Trace): void {
  const s = t.script('esbuild@0.25.12', 'postinstall', 'node install.js');
  const node = s.run('/usr/local/bin/node', ['node', 'install.js']);
  for (const lib of ['/etc/ld.so.cache', '/lib/x86_64-linux-gnu/libc.so.6', '/lib/x86_64-linux-gnu/libstdc++.so.6', '/proc/self/cgroup', '/proc/self/maps', '/proc/meminfo']) {
    node.read(lib);
  }
  node.read(`${NM}/esbuild/package.json`);
  node.read(`${NM}/esbuild/install.js`);
  node.read(`${NM}/@esbuild/linux-x64/package.json`);
  // Hard-links the platform binary over its own bin/, then runs it.
  node.link(`${NM}/@esbuild/linux-x64/bin/esbuild`, `${NM}/esbuild/bin-esbuild`);
  node.rename(`${NM}/esbuild/bin-esbuild`, `${NM}/esbuild/bin/esbuild`);
  node.file('unlink', `${NM}/esbuild/bin-esbuild`, { ok: false, errno: 'ENOENT' });
  const bin = node.run(`${NM}/esbuild/bin/esbuild`, [`${NM}/esbuild/bin/esbuild`, '--version']);
  bin.read('/sys/kernel/mm/transparent_hugepage/hpage_pmd_size');
  bin.thread();
  bin.exit(0);
  // Another version runs the platform package's binary directly.
  node.run(`${NM}/@esbuild/linux-x64/bin/esbuild`, [`${NM}/@esbuild/linux-x64/bin/esbuild`, '--version']);
}

function coreJs(t: Trace): void {
  const s = t.script('core-js@3.45.1', 'postinstall', 'node -e "try{require(\'./postinstall\')}catch(e){}"');
  const node = s.run('/usr/local/bin/node', ['node', '-e', "try{require('./postinstall')}catch(e){}"]);
  node.read(`${NM}/core-js/postinstall.js`);
  node.read('/tmp/core-js-banners', { ok: false, errno: 'ENOENT' });
  node.write('/tmp/core-js-banners');
}

function husky(t: Trace): void {
  // husky v9: the project's own `prepare`.
  const s = t.script('example-webapp@1.0.0', 'prepare', 'husky', { cwd: PROJECT });
  const h = s.run(`${PROJECT}/node_modules/.bin/husky`, ['husky']);
  const git = h.run('/usr/bin/git', ['git', 'config', 'core.hooksPath', '.husky/_']);
  git.read(`${HOME}/.gitconfig`, { ok: false, errno: 'ENOENT' });
  git.read(`${PROJECT}/.git/config`);
  git.write(`${PROJECT}/.git/config.lock`);
  git.rename(`${PROJECT}/.git/config.lock`, `${PROJECT}/.git/config`);
  h.file('mkdir', `${PROJECT}/.husky/_`);
  h.write(`${PROJECT}/.husky/_/pre-commit`);
  // husky ≤4: a dependency writing the project's own hooks.
  const old = t.script('husky@4.3.8', 'install', 'node husky install');
  const n = old.run('/usr/local/bin/node', ['node', 'husky', 'install']);
  n.read(`${PROJECT}/.git/HEAD`);
  n.write(`${PROJECT}/.git/hooks/pre-commit`);
  n.chmod(`${PROJECT}/.git/hooks/pre-commit`, '0755');
}

function msw(t: Trace): void {
  const s = t.script('msw@2.10.4', 'postinstall', 'node -e "import(\'./config/scripts/postinstall.js\').catch(() => void 0)"');
  const node = s.run('/usr/local/bin/node', ['node', '-e', "import('./config/scripts/postinstall.js').catch(() => void 0)"]);
  node.read(`${PROJECT}/package.json`);
  node.read(`${NM}/msw/lib/mockServiceWorker.js`);
  node.file('mkdir', `${PROJECT}/public`);
  node.write(`${PROJECT}/public/mockServiceWorker.js`);
}

function protobufjs(t: Trace): void {
  const s = t.script('protobufjs@7.5.3', 'postinstall', 'node scripts/postinstall');
  const node = s.run('/usr/local/bin/node', ['node', 'scripts/postinstall']);
  node.read(`${NM}/protobufjs/package.json`);
  node.read(`${PROJECT}/package.json`);
}

function nodeGyp(t: Trace): void {
  const dir = `${NM}/bufferutil`;
  const s = t.script('bufferutil@4.0.9', 'install', 'node-gyp-build');
  const gyp = s.run('/usr/local/bin/node', ['node', '/usr/local/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js', 'rebuild']);
  gyp.read('/usr/local/include/node/node.h');
  gyp.read('/usr/local/include/node/common.gypi');
  const py = gyp.run('/usr/bin/python3', ['python3', `${NM}/node-gyp/gyp/gyp_main.py`, 'binding.gyp']);
  py.write(`${NM}/node-gyp/gyp/pylib/gyp/__pycache__/common.cpython-311.pyc`);
  py.write(`${dir}/build/Makefile`);
  py.write(`${dir}/build/config.gypi`);
  const make = gyp.run('/usr/bin/make', ['make', 'BUILDTYPE=Release', '-C', 'build']);
  const gxx = make.run('/usr/bin/g++', ['g++', '-o', 'Release/obj.target/bufferutil/src/bufferutil.o', '-c', '../src/bufferutil.c']);
  const cc1 = gxx.run('/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus', ['/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus', '-o', '/tmp/ccAbC123.s']);
  cc1.write('/tmp/ccAbC123.s');
  const as = gxx.run('/usr/bin/as', ['as', '-o', `${dir}/build/Release/obj.target/bufferutil/src/bufferutil.o`, '/tmp/ccAbC123.s']);
  as.write(`${dir}/build/Release/obj.target/bufferutil/src/bufferutil.o`);
  const link = make.run('/usr/bin/g++', ['g++', '-shared', '-o', 'Release/obj.target/bufferutil.node']);
  const ld = link.run('/usr/bin/ld', ['/usr/bin/ld', '-o', `${dir}/build/Release/obj.target/bufferutil.node`]);
  ld.write(`${dir}/build/Release/obj.target/bufferutil.node`);
  make.link(`${dir}/build/Release/obj.target/bufferutil.node`, `${dir}/build/Release/bufferutil.node`);
  // A configure-style check: compile a probe, then run it.
  const probe = make.run('/usr/bin/gcc', ['gcc', '-o', `${dir}/build/probe`, 'probe.c']);
  probe.run('/usr/bin/ld', ['ld', '-o', `${dir}/build/probe`]).write(`${dir}/build/probe`);
  make.run(`${dir}/build/probe`, ['./probe']);
}

function packageManager(t: Trace): void {
  const pm = t.pm;
  pm.read(`${HOME}/.npmrc`);
  pm.read(`${PROJECT}/.npmrc`, { ok: false, errno: 'ENOENT' });
  pm.dnsQuery('10.255.255.53', 'registry.example');
  pm.connect('203.0.113.80', 443, { ok: false, errno: 'EINPROGRESS' });
  pm.file('mkdir', `${NM}/express`);
  pm.write(`${NM}/express/index.js`);
  pm.write(`${NM}/.package-lock.json`);
  pm.symlink('../esbuild/bin/esbuild', `${NM}/.bin/esbuild`);
  pm.chmod(`${NM}/esbuild/bin/esbuild`, '0755');
  pm.file('unlink', `${NM}/.staging-x/old.js`);
  t.http({ url: 'https://registry.example/express', host: 'registry.example', decision: 'registry', headers: { authorization: `Bearer ${DECOYS.values[0]?.value ?? ''}` } });
  t.dns('registry.example');
}

const cases: Array<[string, (t: Trace) => void]> = [
  ['esbuild executing and hard-linking its own binary', esbuild],
  ['core-js writing $TMPDIR/core-js-banners', coreJs],
  ['husky setting core.hooksPath and writing the project\'s hooks', husky],
  ['msw writing mockServiceWorker.js into the app\'s public/', msw],
  ['protobufjs reading the parent package.json', protobufjs],
  ['node-gyp building with python3, make and g++ under build/', nodeGyp],
  ['the package manager writing node_modules and reading ~/.npmrc', packageManager],
];

describe('benign look-alikes', () => {
  it.each(cases)('%s: no behaviour findings', (_, build) => {
    const t = new Trace();
    build(t);
    const result = judge(t);
    expect(behaviour(result)).toEqual([]);
    expect(result.verdict).toBe('pass');
  });

  it('all of them together pass with their learned policy and no findings at all', () => {
    const t = new Trace();
    for (const [, build] of cases) build(t);
    const learned = learnPolicy(t.events, null, { context: CONTEXT, decoys: DECOYS });
    const policy = resolvePolicy({ document: learned.policy }).value;
    if (policy === null) throw new Error('no policy');
    const result = judge(t, policy);
    expect(result.findings).toEqual([]);
    expect(result.verdict).toBe('pass');
    expect(learned.unresolved).toEqual([]);
  });
});
