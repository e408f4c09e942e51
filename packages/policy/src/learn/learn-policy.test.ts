import { learnPolicy } from './learn-policy.js';
import { foldPatterns, generalizePath } from './generalize-path.js';
import { resolvePolicy } from '../resolve-policy.js';
import { parsePolicyText } from '../validate/parse-policy-text.js';
import type { PolicyDocument } from '../policy-types.js';
import { CONTEXT, DECOYS, HOME, judge, NM, PROJECT, sha256, summary, Trace } from '../testing/synthetic-trace.js';

const learn = (t: Trace, existing?: PolicyDocument | null, options: Parameters<typeof learnPolicy>[2] = {}) =>
  learnPolicy(t.events, existing, { context: CONTEXT, decoys: DECOYS, ...options });

const policyOf = (doc: PolicyDocument) => {
  const p = resolvePolicy({ document: doc }).value;
  if (p === null) throw new Error('invalid');
  return p;
};

function doc(yaml: string): PolicyDocument {
  const r = parsePolicyText(yaml, { file: 'safe-install.config.yaml', format: 'yaml' });
  if (r.value === null) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.value;
}

function esbuild(t: Trace, version = '0.25.12', extra?: (node: ReturnType<Trace['script']>) => void): void {
  const s = t.script(`esbuild@${version}`, 'postinstall', 'node install.js');
  const node = s.run('/usr/local/bin/node', ['node', 'install.js']);
  node.link(`${NM}/@esbuild/linux-x64/bin/esbuild`, `${NM}/esbuild/bin-esbuild`);
  node.rename(`${NM}/esbuild/bin-esbuild`, `${NM}/esbuild/bin/esbuild`);
  node.run(`${NM}/esbuild/bin/esbuild`, [`${NM}/esbuild/bin/esbuild`, '--version']);
  extra?.(s);
}

/** A busier clean install: downloads from a vendor host, caches, native build, temp files. */
function cleanInstall(): Trace {
  const t = new Trace();
  esbuild(t);
  const pup = t.script('puppeteer@24.0.0', 'postinstall', 'node install.mjs').run('/usr/local/bin/node', ['node', 'install.mjs']);
  t.dns('storage.googleapis.com', pup);
  t.http({ url: 'https://storage.googleapis.com/chrome-for-testing/linux64.zip', host: 'storage.googleapis.com', decision: 'allowed' }, pup);
  for (const f of ['chrome', 'libEGL.so', 'libGLESv2.so', 'resources.pak', 'icudtl.dat']) pup.write(`${HOME}/.cache/puppeteer/chrome/linux-131/${f}`);
  pup.write('/tmp/puppeteer-3f9a1c77/download.zip');
  const swc = t.script('@swc/core@1.13.5', 'postinstall', 'node postinstall.js').run('/usr/local/bin/node', ['node', 'postinstall.js']);
  swc.rename(`${NM}/@swc/core/wasm-fallback`, `${NM}/@swc/wasm`);
  const gyp = t.script('bufferutil@4.0.9', 'install', 'node-gyp-build').run('/usr/local/bin/node', ['node', 'node-gyp-build']);
  gyp.run('/usr/bin/python3', ['python3', 'gyp_main.py']).write(`${NM}/bufferutil/build/Makefile`);
  gyp.run('/usr/bin/make', ['make', '-C', 'build']).run('/usr/bin/g++', ['g++', '-c', 'x.cc']);
  return t;
}

describe('learnPolicy', () => {
  it('writes the least-privilege policy, with comments, for a one-script trace', () => {
    const t = new Trace();
    esbuild(t);
    const result = learn(t);
    expect(result.yamlText).toBe(
      [
        '# safe-install policy (see the @safe-install/policy README).',
        '# Learned from a trace: it allows exactly what that install did. Review every entry.',
        '# Override order: built-in defaults < this file < SAFE_INSTALL_MODE / SAFE_INSTALL_FAIL_ON < CLI flags.',
        '',
        'version: 1',
        '# block: findings at or above failOn fail the install; audit: report only',
        'mode: block',
        '# the lowest severity that fails the install (info, low, medium, high, critical)',
        'failOn: high',
        '# packages whose install scripts may run, and what they may do (1 seen in the trace)',
        'packages:',
        '  # esbuild@0.25.12 postinstall ran `node install.js`',
        '  esbuild@0.25.12:',
        '    scripts:',
        '      # pins the postinstall command `node install.js` (sha256)',
        `      postinstall: sha256:${sha256('node install.js')}`,
        '    exec:',
        `      # postinstall ran \`${NM}/esbuild/bin/esbuild --version\``,
        '      - $PACKAGE/bin/esbuild',
        '',
      ].join('\n'),
    );
    expect(result.changes.map((c) => [c.kind, c.applied, c.field, c.value])).toEqual([
      ['added', true, 'entry', 'esbuild@0.25.12'],
      ['added', true, 'scripts', `postinstall: sha256:${sha256('node install.js')}`],
      ['added', true, 'exec', '$PACKAGE/bin/esbuild'],
    ]);
    expect(result.unresolved).toEqual([]);
  });

  it('round-trips: the learned policy passes the same trace with no findings', () => {
    const t = cleanInstall();
    const result = learn(t);
    expect(result.unresolved).toEqual([]);
    expect(result.warnings).toEqual([]);
    const evaluation = judge(t, policyOf(result.policy));
    expect(evaluation.findings).toEqual([]);
    expect(evaluation.verdict).toBe('pass');
    // And the text is the policy: parsing it gives the same document.
    expect(parsePolicyText(result.yamlText, { file: 'x.yaml', format: 'yaml' }).value).toEqual(result.policy);
    expect(result.policy.packages?.['puppeteer@24.0.0']).toEqual({
      scripts: { postinstall: `sha256:${sha256('node install.mjs')}` },
      write: ['$HOME/.cache/puppeteer/chrome/linux-131/**'],
      network: ['storage.googleapis.com:443'],
    });
    expect(result.policy.packages?.['@swc/core@1.13.5']).toMatchObject({ write: ['$NODE_MODULES/@swc/wasm'] });
    expect(result.policy.packages?.['bufferutil@4.0.9']).toMatchObject({ exec: ['/usr/bin/g++', '/usr/bin/make', '/usr/bin/python3'] });
    expect(result.yamlText).toContain('# postinstall wrote ~/.cache/puppeteer/chrome/linux-131/chrome'.replace('~', HOME).replace('wrote', 'created'));
    expect(result.yamlText).toContain('REVIEW: high-risk behaviour');
  });

  it('two versions new in the same trace are both added', () => {
    const t = new Trace();
    esbuild(t, '0.25.12');
    esbuild(t, '0.25.13');
    const result = learn(t);
    expect(result.proposed).toEqual([]);
    expect(Object.keys(result.policy.packages ?? {})).toEqual(['esbuild@0.25.12', 'esbuild@0.25.13']);
  });

  it('does not learn what no allowance may permit; the finding stays unresolved', () => {
    const t = new Trace();
    const node = t.script('evil@1.0.0', 'postinstall', 'node x.js').run('/usr/local/bin/node', ['node', 'x.js']);
    node.read(`${HOME}/.aws/credentials`);
    node.write(`${HOME}/.bashrc`);
    const result = learn(t);
    expect(result.unresolved.map((f) => f.ruleId)).toEqual(['persistence-write', 'decoy-credential-read']);
    expect(result.warnings).toEqual(['2 findings remain that learn mode does not allow: persistence-write, decoy-credential-read']);
    expect(Object.keys(result.policy.packages ?? {})).toEqual(['evil@1.0.0']);
  });

  describe('merging with an existing policy', () => {
    const existingYaml = [
      '# Our policy. Reviewed by the security team.',
      'version: 1',
      'mode: block',
      'packages:',
      '  # the bundler',
      '  esbuild@0.25.12:',
      '    scripts:',
      `      postinstall: sha256:${sha256('node install.js')}`,
      '    exec: [$PACKAGE/bin/esbuild]',
      '  core-js: false',
      '',
    ].join('\n');
    const existing = doc(existingYaml);

    it('never widens an existing rule silently: a new version is a proposed change', () => {
      const t = new Trace();
      esbuild(t, '0.25.13');
      const result = learn(t, existing, { existingText: existingYaml, existingFile: 'safe-install.config.yaml' });
      expect(result.proposed.map((c) => [c.kind, c.entry, c.field, c.value])).toEqual([
        ['widened', 'esbuild@0.25.13', 'entry', 'esbuild@0.25.13'],
        ['widened', 'esbuild@0.25.13', 'scripts', `postinstall: sha256:${sha256('node install.js')}`],
        ['widened', 'esbuild@0.25.13', 'exec', '$PACKAGE/bin/esbuild'],
      ]);
      expect(result.policy).toEqual(existing);
      expect(result.yamlText).toBe(existingYaml);
      expect(summary(judge(t, policyOf(result.policy)))).toEqual(['script-not-allowed:high']);
      expect(result.warnings[0]).toBe('3 proposed changes widen existing entries and were not applied (learn again with widen to apply)');
    });

    it('never widens silently: a changed script, a new program or a new host of a known version are proposed', () => {
      const t = new Trace();
      esbuild(t, '0.25.12', (s) => {
        const curl = s.run('/usr/bin/curl', ['curl', '-o', 'bin/x', 'https://example.test/x']);
        t.http({ url: 'https://example.test/x', host: 'example.test', decision: 'allowed' }, curl);
      });
      t.script('esbuild@0.25.12', 'preinstall', 'node pre.js');
      const result = learn(t, existing, { existingText: existingYaml, existingFile: 'safe-install.config.yaml' });
      expect(result.proposed.map((c) => [c.entry, c.field, c.value])).toEqual([
        ['esbuild@0.25.12', 'scripts', `preinstall: sha256:${sha256('node pre.js')}`],
        ['esbuild@0.25.12', 'exec', '/usr/bin/curl'],
        ['esbuild@0.25.12', 'network', 'example.test:443'],
      ]);
      expect(result.policy).toEqual(existing);
      expect(result.unresolved.map((f) => f.ruleId).sort()).toEqual(['exec-not-allowed', 'network-not-allowed', 'script-hash-mismatch']);
    });

    it('applies widenings with { widen: true }, keeping the file\'s comments', () => {
      const t = new Trace();
      esbuild(t, '0.25.12', (s) => {
        const curl = s.run('/usr/bin/curl', ['curl', '-o', 'bin/x', 'https://example.test/x']);
        t.http({ url: 'https://example.test/x', host: 'example.test', decision: 'allowed' }, curl);
      });
      esbuild(t, '0.25.13');
      const result = learn(t, existing, { existingText: existingYaml, existingFile: 'safe-install.config.yaml', widen: true });
      expect(result.proposed).toEqual([]);
      expect(judge(t, policyOf(result.policy)).findings).toEqual([]);
      expect(result.yamlText.startsWith('# Our policy. Reviewed by the security team.\nversion: 1\n')).toBe(true);
      expect(result.yamlText).toContain('  # the bundler\n  esbuild@0.25.12:\n');
      expect(result.yamlText).toContain('      # added by learn: postinstall ran `curl -o bin/x https://example.test/x`\n      - /usr/bin/curl\n');
      expect(result.policy.packages?.['esbuild@0.25.12']).toMatchObject({ exec: ['$PACKAGE/bin/esbuild', '/usr/bin/curl'], network: ['example.test:443'] });
      expect(Object.keys(result.policy.packages ?? {})).toEqual(['esbuild@0.25.12', 'core-js', 'esbuild@0.25.13']);
    });

    it('deny writes a name-only false entry (new, or in place of an allowance of the same key), comments kept; a denial already there is no change', () => {
      const base = doc('# ours\nversion: 1\npackages:\n  # trusted before\n  native: true\n');
      const result = learn(new Trace(), base, { existingText: '# ours\nversion: 1\npackages:\n  # trusted before\n  native: true\n', existingFile: 'safe-install.config.yaml', deny: [{ name: 'native', why: 'denied here' }, { name: 'other', why: 'denied too' }] });
      expect(result.yamlText).toBe('# ours\nversion: 1\npackages:\n  # trusted before\n  # denied here\n  native: false\n  # denied too\n  other: false\n');
      expect(result.changes.map((c) => [c.kind, c.entry, c.applied])).toEqual([['widened', 'native', true], ['added', 'other', true]]);
      const t = new Trace();
      t.script('native@1.0.0', 'install', 'node-gyp rebuild').run('/usr/bin/make', ['make']);
      // A denial (the same rule as no entry, but an answer: it wins over any allowance).
      expect(summary(judge(t, policyOf(result.policy)))).toEqual(['script-not-allowed:high']);
      expect(policyOf(result.policy).packages.filter((r) => r.name === 'native').map((r) => [r.spec, r.allow])).toEqual([['native', false]]);
      const again = learn(new Trace(), result.policy, { existingText: result.yamlText, existingFile: 'safe-install.config.yaml', deny: [{ name: 'native', why: 'denied here' }] });
      expect(again.changes).toEqual([]);
      expect(again.yamlText).toBe(result.yamlText);
    });

    it('a first exec list on a `true` entry takes along every program the package ran', () => {
      const base = doc('version: 1\npackages:\n  native: true\n');
      const t = new Trace();
      const s = t.script('native@1.0.0', 'install', 'node-gyp rebuild');
      s.run('/usr/bin/make', ['make']);
      s.run('/tmp/helper', ['/tmp/helper']);
      const proposed = learn(t, base);
      expect(proposed.proposed.map((c) => c.value)).toEqual(['$TMPDIR/helper', '/usr/bin/make']);
      const widened = learn(t, base, { widen: true });
      expect(widened.policy.packages?.['native']).toEqual({ exec: ['$TMPDIR/helper', '/usr/bin/make'] });
      expect(judge(t, policyOf(widened.policy)).findings).toEqual([]);
    });

    it('never lifts a denial, even with widen', () => {
      const t = new Trace();
      t.script('core-js@3.45.1', 'postinstall', 'node postinstall');
      const result = learn(t, existing, { widen: true });
      expect(result.proposed.map((c) => [c.entry, c.field, c.applied])).toEqual([['core-js', 'entry', false]]);
      expect(result.proposed[0]?.why).toContain('"core-js" denies it; lift the denial by hand');
      expect(result.policy.packages?.['core-js']).toBe(false);
    });

    it('adds packages the policy does not know without asking', () => {
      const t = new Trace();
      esbuild(t);
      t.script('sharp@0.33.5', 'install', 'node install/check');
      const result = learn(t, existing);
      expect(result.proposed).toEqual([]);
      expect(result.changes.map((c) => [c.kind, c.entry, c.field])).toEqual([
        ['added', 'sharp@0.33.5', 'entry'],
        ['added', 'sharp@0.33.5', 'scripts'],
      ]);
      expect(judge(t, policyOf(result.policy)).findings).toEqual([]);
    });

    it('renders a JSON (or package.json) policy as commented YAML text (learnIntoPolicy keeps such a policy JSON)', () => {
      const t = new Trace();
      t.script('sharp@0.33.5', 'install', 'node install/check');
      const result = learn(t, existing, { existingFile: 'safe-install.config.json' });
      expect(result.yamlText).toContain('  # kept from safe-install.config.json\n  esbuild@0.25.12:\n');
      expect(result.yamlText).toContain('  # sharp@0.33.5 install ran `node install/check`\n  sharp@0.33.5:\n');
    });
  });
});

describe('path generalization', () => {
  const vars = { PACKAGE: `${NM}/x`, NODE_MODULES: NM, PROJECT, TMPDIR: '/tmp', HOME };
  it.each([
    [`${NM}/x/bin/tool`, '$PACKAGE/bin/tool'],
    [`${NM}/@swc/wasm/index.js`, '$NODE_MODULES/@swc/wasm/index.js'],
    [`${PROJECT}/public/sw.js`, '$PROJECT/public/sw.js'],
    ['/tmp/puppeteer-3f9a1c77/download.zip', '$TMPDIR/*/download.zip'],
    ['/tmp/tmp-4242-AbCdEf/bin', '$TMPDIR/*/bin'],
    ['/tmp/core-js-banners', '$TMPDIR/core-js-banners'],
    [`${HOME}/.cache/puppeteer/chrome`, '$HOME/.cache/puppeteer/chrome'],
    ['/opt/x', '/opt/x'],
    // mkstemp names anywhere: ar's archive temp beside its output, gcc's assembler file.
    [`${PROJECT}/vendor/addon/build/Release/obj.target/stK3a9Zb`, '$PROJECT/vendor/addon/build/Release/obj.target/*'],
    ['/tmp/ccAbC123.s', '$TMPDIR/*'],
    [`${HOME}/.cache/x/tmp.Xy12Ab`, '$HOME/.cache/x/*'],
    // Words, versions and ordinary file names stay.
    [`${HOME}/.cache/puppeteer/chrome/linux-131/Chrome`, '$HOME/.cache/puppeteer/chrome/linux-131/Chrome'],
    [`${PROJECT}/build/Release/Makefile`, '$PROJECT/build/Release/Makefile'],
    [`${PROJECT}/lib/README.md`, '$PROJECT/lib/README.md'],
    [`${PROJECT}/lib/Buffer.js`, '$PROJECT/lib/Buffer.js'],
    [`${PROJECT}/lib/v8Heap.js`, '$PROJECT/lib/v8Heap.js'],
  ])('%s → %s', (path, pattern) => {
    expect(generalizePath(path, vars)).toBe(pattern);
  });

  it('folds four or more files of one folder, never up to a bare variable', () => {
    expect(foldPatterns(['$HOME/.cache/a/1', '$HOME/.cache/a/2', '$HOME/.cache/a/3', '$HOME/.cache/a/4', '$HOME/.cache/b'])).toEqual(['$HOME/.cache/a/**', '$HOME/.cache/b']);
    expect(foldPatterns(['$HOME/a', '$HOME/b', '$HOME/c', '$HOME/d'])).toEqual(['$HOME/a', '$HOME/b', '$HOME/c', '$HOME/d']);
  });
});
