import type { ScriptReviewReport, TraceEvent } from '@safe-install/schema';
import type { Printer } from './output.js';
import { printScriptReview, strictRefusal, strictRefusalWatch } from './script-review.js';

function recorder(): { printer: Printer; lines: string[] } {
  const lines: string[] = [];
  const keep = (line: string) => void lines.push(line);
  return { lines, printer: { info: keep, warn: keep, error: keep, plain: keep, sandbox: keep, progress: () => undefined, done: () => undefined } };
}

const HOSTILE = 'evil\u001b[2J\u202e';
const review: ScriptReviewReport = {
  npmVersion: '12.2.0',
  pending: [{ package: { name: 'core-js', version: '3.45.1' }, path: 'node_modules/core-js', approve: 'npm install-scripts approve core-js', entry: '"core-js@3.45.1": true' }],
  unreviewed: [{ package: { name: HOSTILE, version: '1.0.0' }, path: 'node_modules/x', approve: `npm install-scripts approve ${HOSTILE}`, entry: `"${HOSTILE}": true` }],
};

describe('script review output', () => {
  it('lists pending and unreviewed scripts with their approve commands, sanitized', () => {
    const { printer, lines } = recorder();
    printScriptReview(printer, review);
    expect(lines[0]).toBe('npm 12.2.0 skipped the install scripts of 1 package that allowScripts does not list (not run): core-js@3.45.1');
    expect(lines[2]).toBe('    to approve core-js: `npm install-scripts approve core-js` (allowScripts "core-js@3.45.1": true)');
    expect(lines.join('\n')).not.toMatch(/[\u001b\u202e]/);
    const none = recorder();
    printScriptReview(none.printer, null);
    expect(none.lines).toEqual([]);
  });

  it("says which builds ran because safe-install's policy allowed them (not the manager's field), sanitized", () => {
    const { printer, lines } = recorder();
    printScriptReview(printer, { npmVersion: '10.34.8', packageManager: 'pnpm', pending: [], unreviewed: [], policyAllowed: [{ name: 'core-js', version: '3.45.1' }, { name: HOSTILE, version: '1.0.0' }] });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^pnpm 10\.34\.8 ran the install scripts of 2 packages allowed by safe-install's policy \(not in allowBuilds; granted in the sandbox's copy only\): core-js@3\.45\.1, evil/);
    expect(lines.join('\n')).not.toMatch(/[\u001b\u202e]/);
  });

  it('names Yarn\'s gate and its edit for the builds Yarn skipped', () => {
    const { printer, lines } = recorder();
    printScriptReview(printer, { npmVersion: '4.18.1', packageManager: 'yarn-berry', pending: [{ package: { name: 'core-js', version: '3.45.1' }, path: 'node_modules/core-js', approve: 'set dependenciesMeta["core-js"].built: true in package.json (or enableScripts: true in .yarnrc.yml)', entry: '"core-js": { "built": true }' }], unreviewed: [] });
    expect(lines).toEqual([
      'Yarn 4.18.1 skipped the builds of 1 package that dependenciesMeta (package.json) and enableScripts (.yarnrc.yml) do not allow (not run): core-js@3.45.1',
      '    to approve core-js: set dependenciesMeta["core-js"].built: true in package.json (or enableScripts: true in .yarnrc.yml) (dependenciesMeta "core-js": { "built": true })',
    ]);
  });

  it('counts a strict-allow-scripts refusal only when no script ran (a script cannot fake it)', () => {
    const watch = strictRefusalWatch();
    watch.line('npm error code ESTRICTALLOWSCRIPTS');
    expect(watch.seen([])).toBe(true);
    const ran = [{ type: 'script', action: 'start', id: 't1', ts: 0, pid: 1, ppid: 0, source: 'tracer' } as unknown as TraceEvent];
    expect(watch.seen(ran)).toBe(false);
    expect(strictRefusalWatch().seen([])).toBe(false);
  });

  it('the refusal is a package-manager error (exit 3) naming the packages and how to approve them', () => {
    const error = strictRefusal({ ...review, unreviewed: [] }, 1);
    expect(error.kind).toBe('package-manager');
    expect(error.message).toBe('npm refused to install (ESTRICTALLOWSCRIPTS, exit 1): strict-allow-scripts is set and 1 package(s) have install scripts allowScripts does not cover: core-js@3.45.1; no script ran and node_modules was not changed');
    expect(error.hint).toBe('approve them with `npm install-scripts approve core-js` or deny them with `npm install-scripts deny …`');
    expect(strictRefusal(null, null).message).toContain('some package(s)');
  });
});
