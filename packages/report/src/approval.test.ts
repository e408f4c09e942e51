import type { Finding } from '@safe-install/schema';
import type { ScriptBehaviour } from '@safe-install/trace';
import { renderApprovalSummary, renderApprovalView } from './approval.js';

function script(lifecycle: string, values: Partial<Record<keyof ScriptBehaviour['values'], string[]>>): ScriptBehaviour {
  const all = { script: [], exec: [], host: [], dns: [], file: [], finding: [], ...values };
  return {
    key: `p\0${lifecycle}`,
    package: { name: 'p', version: '1.0.0' },
    lifecycle,
    values: Object.fromEntries(Object.entries(all).map(([k, v]) => [k, new Set(v)])) as ScriptBehaviour['values'],
    dropped: { script: 0, exec: 0, host: 0, dns: 2, file: 0, finding: 0 },
  };
}

const finding = (ruleId: string, message: string): Finding => ({ ruleId, severity: 'critical', package: { name: 'p', version: '1.0.0' }, lifecycle: 'postinstall', message, evidence: ['e1'] });

describe('renderApprovalView', () => {
  it("shows a package.json version beside a lockfile identity that has none (Bun's tarball), escaped, and only there", () => {
    const view = { path: 'node_modules/p', entry: 'p', scripts: [], findings: [], previous: null, field: 'trustedDependencies' };
    const header = (version: string, displayVersion?: string) => renderApprovalView({ ...view, package: { name: 'p', version }, ...(displayVersion === undefined ? {} : { displayVersion }) })[1]!.text;
    expect(header('file:p-1.0.0.tgz', '1.0.0')).toBe('p@file:p-1.0.0.tgz (version 1.0.0 by its package.json) (node_modules/p): trustedDependencies entry "p"');
    expect(header('file:p.tgz', '1.0.0\u001b[2J')).toContain('(version 1.0.0\\x1b[2J by its package.json)');
    expect(header('1.0.0', '2.0.0')).toBe('p@1.0.0 (node_modules/p): trustedDependencies entry "p"');
    expect(header('file:p.tgz')).toBe('p@file:p.tgz (node_modules/p): trustedDependencies entry "p"');
  });

  it('lists what each script did, credentials read before the other findings; untrusted text escaped', () => {
    const lines = renderApprovalView({
      package: { name: 'p', version: '1.0.0' },
      path: 'node_modules/p',
      entry: 'p@1.0.0',
      scripts: [script('postinstall', { script: ['bash collect.sh'], exec: ['/usr/bin/bash collect.sh\u001b[2J'], host: ['x.invalid:80'], dns: ['x.invalid'], file: ['/home/node/.bashrc'] })],
      findings: [finding('decoy-credential-read', 'read the credential file /home/node/.npmrc'), finding('decoy-exfiltration', 'the npm-token decoy appeared in a request body')],
      previous: null,
    }).map((l) => l.text);
    expect(lines).toEqual([
      '',
      'p@1.0.0 (node_modules/p): allowScripts entry "p@1.0.0"',
      '  postinstall: bash collect.sh',
      '    process  /usr/bin/bash collect.sh\\x1b[2J',
      '    write    /home/node/.bashrc',
      '    host     x.invalid:80',
      '    dns      x.invalid',
      '    … and 2 more not recorded (dns)',
      '  credentials read (decoys: the real ones never enter the sandbox):',
      '    critical decoy-credential-read in postinstall: read the credential file /home/node/.npmrc',
      '  1 finding:',
      '    critical decoy-exfiltration in postinstall: the npm-token decoy appeared in a request body',
    ]);
  });

  it('says when no script ran, when there is no entry, and when the approved run was not recorded', () => {
    const lines = renderApprovalView({ package: { name: 'p', version: '2.0.0' }, path: 'node_modules/p', entry: null, scripts: [], findings: [], previous: { version: '1.0.0', changes: null } }).map((l) => l.text);
    expect(lines).toEqual([
      '',
      'p@2.0.0 (node_modules/p): npm has no trusted allowScripts entry for it',
      '  no install script of it ran in the sandbox: nothing to judge it by',
      '  findings: none',
      '  approved before: p@1.0.0, whose run is not in the approvals file: nothing to compare with',
    ]);
  });

  it('a clean script that did nothing says so; an unchanged bump says so', () => {
    const lines = renderApprovalView({ package: { name: 'p', version: '1.0.1' }, path: 'node_modules/p', entry: 'p@1.0.1', scripts: [script('install', { script: ['true'] })], findings: [], previous: { version: '1.0.0', changes: [] } }).map((l) => l.text);
    expect(lines.slice(2)).toEqual([
      '  install: true',
      '    … and 2 more not recorded (dns)',
      '    ran no program, wrote nothing outside its folder, reached no host',
      '  findings: none',
      '  approved before: p@1.0.0; this version does nothing its approved run did not',
    ]);
  });
});

describe('renderApprovalSummary', () => {
  it('names what was approved, denied and left, and where it was written', () => {
    const lines = renderApprovalSummary({
      approved: ['a@1.0.0'],
      denied: ['b@2.0.0'],
      left: [{ name: 'c@3.0.0', why: '2 finding(s): decoy-exfiltration' }],
      packageJson: { path: '/p/package.json', written: true, warnings: [] },
      policy: { path: '/p/safe-install.config.yaml', written: true, applied: 1, unresolved: 0 },
      approvals: { path: '/p/.safe-install/approvals.json', written: true },
    });
    expect(lines.map((l) => `${l.level} ${l.text}`)).toEqual([
      'plain ',
      'plain approved 1 package: a@1.0.0',
      'plain denied 1 package (npm skips their scripts): b@2.0.0',
      'warn not approved: c@3.0.0 — 2 finding(s): decoy-exfiltration',
      'plain allowScripts written to /p/package.json',
      'plain policy /p/safe-install.config.yaml: 1 change applied',
      'plain approved runs recorded in /p/.safe-install/approvals.json (the next version is compared with them)',
    ]);
  });
});
