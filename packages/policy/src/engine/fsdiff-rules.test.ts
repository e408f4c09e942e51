import { behaviour, findingsOf, HOME, judge, NM, policyFrom, PROJECT, summary, Trace } from '../testing/synthetic-trace.js';

/** A dependency's postinstall running python, ready to act. */
function python(t: Trace, spec = 'evil-pkg@1.0.0') {
  return t.script(spec, 'postinstall', 'python3 x.py').run('/usr/bin/python3', ['python3', 'x.py']);
}

describe('the filesystem diff as a backstop', () => {
  it('a change no traced call made, while a script ran, is judged as that script\'s write (mknod of an autostart entry)', () => {
    const t = new Trace();
    const p = python(t);
    const during = t.now();
    t.script('evil-pkg@1.0.0', 'postinstall', 'python3 x.py');
    p.exit(0);
    t.fsdiff('created', `${HOME}/.config/autostart/update.desktop`, { mtime: during });
    const [f] = findingsOf(judge(t), 'persistence-write');
    expect(f).toMatchObject({ severity: 'critical', package: { name: 'evil-pkg', version: '1.0.0' }, lifecycle: 'postinstall' });
    expect(f?.message).toMatch(/^\/home\/node\/\.config\/autostart\/update\.desktop was created while its postinstall script ran, by no call the tracer saw \(filesystem diff\) — /);
  });

  it('a change inside its own folder or the project nobody traced is untraced-change; in /tmp it is nothing', () => {
    const t = new Trace();
    const p = python(t);
    const during = t.now();
    p.end();
    t.fsdiff('created', `${NM}/evil-pkg/payload.bin`, { mtime: during });
    t.fsdiff('modified', `${NM}/evil-pkg/lib/a.js`, { mtime: during });
    t.fsdiff('created', '/tmp/scratch', { mtime: during });
    const f = findingsOf(judge(t), 'untraced-change');
    expect(f.map((x) => [x.subject, x.severity, x.occurrences])).toEqual([[`${NM}/evil-pkg`, 'high', 2]]);
  });

  it("leaves an install job's resolve its root manifest and lockfile, written by a manager traced as its own run (Yarn Berry), and nothing else", () => {
    const t = new Trace();
    const yarn = t.script('app@1.0.0', 'resolve', 'yarn add left-pad --mode=update-lockfile', { cwd: PROJECT });
    const during = t.now();
    const inResolve = (change: 'created' | 'modified' | 'deleted', path: string) => Object.assign(t.fsdiff(change, path, { mtime: during }), { phase: 'resolve' });
    inResolve('modified', `${PROJECT}/package.json`);
    inResolve('modified', `${PROJECT}/yarn.lock`);
    // Not the root's, not written, or not in the resolve: still unseen changes.
    inResolve('modified', `${PROJECT}/packages/a/package.json`);
    inResolve('deleted', `${PROJECT}/pnpm-lock.yaml`);
    Object.assign(t.fsdiff('modified', `${PROJECT}/yarn.lock`, { mtime: during }), { phase: 'install' });
    yarn.end();
    const f = findingsOf(judge(t), 'untraced-change');
    expect(f.flatMap((x) => x.evidence ?? []).length).toBe(3);
  });

  it('leaves the package manager\'s bookkeeping to it: the hidden lockfile and .bin links written while a script ran', () => {
    const t = new Trace();
    const p = python(t);
    const during = t.now();
    t.fsdiff('created', `${NM}/.package-lock.json`, { mtime: during });
    t.fsdiff('created', `${NM}/.bin/esbuild`, { mtime: during });
    t.fsdiff('created', `${PROJECT}/packages/a/node_modules/.bin/tsc`, { mtime: during });
    // pnpm's and Yarn's state files, as untraced as npm's.
    t.fsdiff('created', `${NM}/.modules.yaml`, { mtime: during });
    t.fsdiff('modified', `${NM}/.pnpm/lock.yaml`, { mtime: during });
    t.fsdiff('created', `${NM}/.pnpm-workspace-state-v1.json`, { mtime: during });
    t.fsdiff('created', `${NM}/.yarn-state.yml`, { mtime: during });
    // Lookalikes are not bookkeeping: a file inside .bin's folder tree, another package's lockfile,
    // a state file's name one level down or with more after it.
    t.fsdiff('created', `${NM}/other/.package-lock.json.bak`, { mtime: during });
    t.fsdiff('created', `${NM}/.modules.yaml.d/x`, { mtime: during });
    t.fsdiff('created', `${NM}/.pnpm/other/lock.yaml`, { mtime: during });
    p.end();
    const result = judge(t);
    expect(findingsOf(result, 'foreign-package-write').map((f) => f.subject)).toEqual([`${NM}/other`, `${NM}/.pnpm`]);
    expect(findingsOf(result, 'write-outside-package').map((f) => f.subject)).toEqual([`${NM}/.modules.yaml.d`]);
  });

  it('a write outside its folder nobody traced is at least high', () => {
    const t = new Trace();
    const p = python(t);
    t.fsdiff('created', `${HOME}/.cache/x/blob`, { mtime: t.now() });
    p.end();
    expect(behaviour(judge(t))).toEqual(['write-outside-package:high']);
  });

  it('is not a duplicate of a traced write, whoever made it', () => {
    const t = new Trace();
    const p = python(t);
    p.write(`${HOME}/.bashrc`);
    t.pm.write(`${NM}/.package-lock.json`);
    p.link(`${NM}/evil-pkg/bin`, `${NM}/other/bin`);
    p.end();
    t.fsdiff('modified', `${HOME}/.bashrc`, { writer: p });
    t.fsdiff('modified', `${HOME}/.bashrc`);
    t.fsdiff('created', `${NM}/.package-lock.json`);
    t.fsdiff('created', `${NM}/other/bin`);
    const result = judge(t);
    expect(findingsOf(result, 'persistence-write').map((f) => f.occurrences)).toEqual([1]);
    expect(behaviour(result)).toEqual(['persistence-write:critical', 'foreign-package-write:high']);
  });

  it('the package manager\'s own work does not fire: unpacked files (tarball timestamps, before any script), its lockfile after the last', () => {
    const t = new Trace();
    const before = t.now();
    t.tick();
    const p = python(t, 'esbuild@0.25.12');
    p.end();
    t.tick();
    t.fsdiff('created', `${NM}/left-pad/index.js`, { mtime: Date.parse('1985-10-26T08:15:00Z') });
    t.fsdiff('created', `${NM}/.bin/esbuild`, { mtime: before });
    t.fsdiff('created', `${NM}/.package-lock.json`);
    t.fsdiff('modified', `${HOME}/.config/configstore/update-notifier-npm.json`);
    t.fsdiff('deleted', `${HOME}/.cache/old`, { mtime: null });
    expect(behaviour(judge(t))).toEqual([]);
  });

  it('at a time no script ran, only what the package manager never does is a finding, without a package', () => {
    const t = new Trace();
    python(t).end();
    t.fsdiff('created', `${HOME}/.config/systemd/user/miner.service`, { mtime: 1 });
    t.fsdiff('created', `${PROJECT}/dist/x.js`, { mtime: 1 });
    const f = judge(t).findings.filter((x) => x.ruleId !== 'script-not-allowed');
    expect(f.map((x) => [x.ruleId, x.severity, x.package])).toEqual([['persistence-write', 'critical', undefined]]);
  });

  it('a process left running stretches its script\'s window; two scripts running then are both named', () => {
    const t = new Trace();
    const a = python(t, 'a@1.0.0');
    const b = python(t, 'b@1.0.0');
    const both = t.now();
    a.end();
    b.run('/usr/bin/python3', ['python3', 'daemon.py']);
    b.end();
    const late = t.tick();
    b.lingering('killed');
    t.fsdiff('created', `${NM}/victim/index.js`, { mtime: both });
    t.fsdiff('created', `${NM}/victim2/index.js`, { mtime: late });
    const f = findingsOf(judge(t), 'foreign-package-write');
    expect(f.map((x) => [x.package?.name, x.subject])).toEqual([
      ['a', `${NM}/victim`],
      ['b', `${NM}/victim`],
      ['b', `${NM}/victim2`],
    ]);
    // Only the time says who, and it fits both: each finding names every candidate and says so.
    expect(f[0]?.message).toMatch(/while 2 scripts ran \(a@1\.0\.0 \(postinstall\), b@1\.0\.0 \(postinstall\)\): it is any one of them, the file's time cannot tell which/);
    expect(f[1]?.message).toBe(f[0]?.message);
    expect(f[2]?.message).toMatch(/victim2\/index\.js was created while its postinstall script ran, by no call/);
  });

  it('a write the policy allows is allowed, unseen or not', () => {
    const t = new Trace();
    const p = python(t, 'puppeteer@22.0.0');
    t.fsdiff('created', `${HOME}/.cache/puppeteer/chrome/x`, { mtime: t.now() });
    p.end();
    const policy = policyFrom('version: 1\npackages:\n  puppeteer@22.0.0:\n    write: ["$HOME/.cache/puppeteer/**"]\n');
    expect(summary(judge(t, policy))).toEqual([]);
  });

  it('hostile diffs: huge, negative or absent times, odd paths, and a hundred thousand changes in bounded time', () => {
    const t = new Trace();
    const p = python(t);
    p.end();
    t.fsdiff('created', `${HOME}/.bashrc`, { mtime: -1 });
    t.fsdiff('created', `${HOME}/../../etc/profile.d/x.sh`, { mtime: Number.MAX_SAFE_INTEGER });
    t.fsdiff('created', `${HOME}/a\nb`, { mtime: null });
    for (let i = 0; i < 100_000; i++) t.fsdiff('created', `${NM}/pkg-${i}/index.js`, { mtime: 1 });
    const started = Date.now();
    const result = judge(t);
    expect(Date.now() - started).toBeLessThan(10_000);
    // Outside every window, so without a package; the normalized path is judged for what it is.
    expect(findingsOf(result, 'persistence-write').map((f) => [f.subject, f.package])).toEqual([
      [`${HOME}/.bashrc`, undefined],
      ['/etc/profile.d/x.sh', undefined],
    ]);
    expect(behaviour(result)).toHaveLength(2);
  });

  describe('a script that sets a modification time', () => {
    const utime = (p: ReturnType<typeof python>, path: string, mtime: number | undefined, ok = true) =>
      p.emit({ type: 'file', action: 'utime', path, ok, ...(mtime === undefined ? {} : { mtime }) });
    const MTIME_1985 = Date.parse('1985-10-26T08:15:00Z');

    it('is blamed for an unseen change on that file, wherever its forged time falls, and only it', () => {
      const t = new Trace();
      const evil = python(t, 'evil@1.0.0');
      const bystander = python(t, 'bystander@1.0.0');
      utime(evil, `${NM}/victim/index.js`, MTIME_1985);
      evil.end();
      bystander.end();
      // The time is the tarball's, like every file npm unpacked: without the traced call nobody is blamed.
      t.fsdiff('modified', `${NM}/victim/index.js`, { mtime: MTIME_1985 });
      const result = judge(t);
      expect(findingsOf(result, 'foreign-package-write').map((f) => [f.package?.name, f.severity])).toEqual([['evil', 'high']]);
      expect(findingsOf(result, 'foreign-package-write')[0]?.message).toMatch(/by no call the tracer saw \(filesystem diff\); its postinstall script set its modification time/);
      expect(findingsOf(result, 'forged-mtime')).toMatchObject([{ package: { name: 'evil' }, severity: 'high', subject: `${NM}/victim/index.js` }]);
      expect(findingsOf(result, 'forged-mtime')[0]?.message).toMatch(/to 1985-10-26T08:15:00\.000Z, before its script started/);
    });

    it('is forged-mtime for a time in the future too, low inside its own folder, and nothing for a failed call or an unknown time', () => {
      const t = new Trace();
      const p = python(t, 'evil@1.0.0');
      utime(p, `${PROJECT}/src/index.js`, t.now() + 86_400_000);
      utime(p, `${NM}/evil/lib/a.js`, MTIME_1985);
      utime(p, `${HOME}/.bashrc`, MTIME_1985, false);
      utime(p, `${HOME}/.profile`, undefined);
      p.end();
      expect(findingsOf(judge(t), 'forged-mtime').map((f) => [f.subject, f.severity])).toEqual([
        [`${PROJECT}/src/index.js`, 'high'],
        [`${NM}/evil`, 'low'],
      ]);
    });

    it('is nothing for what tar -x, cp -p and touch do: times on files the package itself wrote, "now", scratch space, the image\'s npm', () => {
      const t = new Trace();
      const p = python(t, 'native@1.0.0');
      const tar = p.run('/usr/bin/tar', ['tar', '-xzf', 'prebuilt.tgz']);
      tar.write(`${NM}/native/prebuilds/linux-x64/native.node`);
      utime(tar, `${NM}/native/prebuilds/linux-x64/native.node`, MTIME_1985);
      tar.emit({ type: 'file', action: 'mkdir', path: `${NM}/native/prebuilds`, ok: true });
      utime(tar, `${NM}/native/prebuilds`, MTIME_1985);
      const cp = p.run('/usr/bin/cp', ['cp', '-p', 'a', `${HOME}/.cache/native/a`]);
      cp.write(`${HOME}/.cache/native/a`);
      utime(cp, `${HOME}/.cache/native/a`, MTIME_1985);
      utime(p, `${NM}/other/x.js`, t.now());
      utime(p, '/tmp/build/x.o', MTIME_1985);
      const npm = p.run('/usr/local/bin/npm', ['npm', 'pack'], { packageManager: true });
      utime(npm, `${NM}/other/package.json`, MTIME_1985);
      p.end();
      expect(findingsOf(judge(t), 'forged-mtime')).toEqual([]);
    });

    it('explains no change by itself: a file only touched is still judged by the diff, as its setter\'s', () => {
      const t = new Trace();
      const p = python(t, 'evil@1.0.0');
      utime(p, `${HOME}/.config/autostart/x.desktop`, t.now());
      p.end();
      t.tick();
      t.fsdiff('created', `${HOME}/.config/autostart/x.desktop`, { mtime: t.now() });
      expect(findingsOf(judge(t), 'persistence-write')).toMatchObject([{ package: { name: 'evil' } }]);
    });
  });
});
