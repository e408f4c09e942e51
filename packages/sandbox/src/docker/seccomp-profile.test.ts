import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  CLONE_NEWUSER,
  DOCKER_DEFAULT_SECCOMP_FILE,
  DOCKER_DEFAULT_SECCOMP_SOURCE,
  IO_URING_SYSCALLS,
  sandboxSeccompOpt,
  sandboxSeccompProfile,
  withSandboxRules,
  type SeccompProfile,
  type SeccompRule,
} from './seccomp-profile.js';

const raw = readFileSync(DOCKER_DEFAULT_SECCOMP_FILE);
const dockerDefault = (): SeccompProfile => JSON.parse(raw.toString('utf8')) as SeccompProfile;
const key = (rule: SeccompRule) => JSON.stringify(rule);
const naming = (profile: SeccompProfile, name: string) => profile.syscalls.filter((rule) => rule.names.includes(name));

describe('the copy of Docker\'s default seccomp profile', () => {
  it('is byte for byte the file of the pinned moby commit (its git blob hash)', () => {
    const blob = createHash('sha1').update(`blob ${raw.length}\0`).update(raw).digest('hex');
    expect(blob).toBe(DOCKER_DEFAULT_SECCOMP_SOURCE.blob);
  });

  it('refuses io_uring by its default action, as Docker >= 25 does: the gap the sandbox\'s profile closes', () => {
    const profile = dockerDefault();
    for (const name of IO_URING_SYSCALLS) expect(naming(profile, name)).toEqual([]);
    expect(profile).toMatchObject({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1 });
  });
});

describe('the sandbox\'s seccomp profile', () => {
  const sandbox = JSON.parse(sandboxSeccompProfile()) as SeccompProfile;

  it('is Docker\'s default plus only the documented deltas, in Docker\'s order', () => {
    const original = dockerDefault();
    const { syscalls: _a, ...originalRest } = original;
    const { syscalls: _b, ...sandboxRest } = sandbox;
    expect(sandboxRest).toEqual(originalRest);
    const before = new Set(original.syscalls.map(key));
    const after = new Set(sandbox.syscalls.map(key));
    const removed = original.syscalls.filter((rule) => !after.has(key(rule)));
    const added = sandbox.syscalls.filter((rule) => !before.has(key(rule)));
    // Changed: the main allowlist loses fchmodat2; the CAP_SYS_ADMIN allowlist loses clone and unshare.
    expect(removed).toHaveLength(2);
    expect(added[0]).toEqual({ ...removed[0], names: removed[0]!.names.filter((name) => name !== 'fchmodat2') });
    expect(added[0]!.names).toHaveLength(removed[0]!.names.length - 1);
    expect(removed[1]).toMatchObject({ action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } });
    expect(added[1]).toEqual({ ...removed[1], names: removed[1]!.names.filter((name) => name !== 'clone' && name !== 'unshare') });
    expect(added[1]!.names).toHaveLength(removed[1]!.names.length - 2);
    // Added: clone (two ABIs' argument order) and unshare without CLONE_NEWUSER, io_uring, fchmodat2.
    const rest = added.slice(2).map((rule) => ({ names: rule.names, action: rule.action, args: rule.args, includes: rule.includes, excludes: rule.excludes }));
    const noNewUser = (index: number) => [{ index, value: CLONE_NEWUSER, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }];
    expect(rest).toEqual([
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: noNewUser(0), includes: { caps: ['CAP_SYS_ADMIN'] }, excludes: { arches: ['s390', 's390x'] } },
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: noNewUser(1), includes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] }, excludes: undefined },
      { names: ['unshare'], action: 'SCMP_ACT_ALLOW', args: noNewUser(0), includes: { caps: ['CAP_SYS_ADMIN'] }, excludes: undefined },
      { names: ['io_uring_setup', 'io_uring_enter', 'io_uring_register'], action: 'SCMP_ACT_ALLOW', args: undefined, includes: undefined, excludes: undefined },
      { names: ['fchmodat2'], action: 'SCMP_ACT_ERRNO', args: undefined, includes: undefined, excludes: undefined },
    ]);
    expect(added.at(-1)).toMatchObject({ errnoRet: 38 });
    // Each replaced call has our rule alone.
    for (const name of ['fchmodat2', ...IO_URING_SYSCALLS]) expect(naming(sandbox, name)).toHaveLength(1);
    // Everything Docker's has, unchanged, keeps its place.
    const kept = sandbox.syscalls.filter((rule) => before.has(key(rule))).map(key);
    expect(kept).toEqual(original.syscalls.filter((rule) => after.has(key(rule))).map(key));
  });

  it('leaves io_uring to the stacked filter: one unconditional allow, for every ABI and capability set', () => {
    for (const name of IO_URING_SYSCALLS) expect(naming(sandbox, name)).toEqual([expect.objectContaining({ action: 'SCMP_ACT_ALLOW' })]);
    const [rule] = naming(sandbox, 'io_uring_setup');
    expect(rule).not.toHaveProperty('args');
    expect(rule).not.toHaveProperty('includes');
    expect(rule).not.toHaveProperty('excludes');
  });

  it('allows clone and unshare under CAP_SYS_ADMIN only without CLONE_NEWUSER', () => {
    for (const name of ['clone', 'unshare']) {
      for (const rule of naming(sandbox, name).filter((candidate) => candidate.action === 'SCMP_ACT_ALLOW')) {
        const underSysAdmin = !rule.excludes?.caps?.includes('CAP_SYS_ADMIN');
        if (!underSysAdmin) continue;
        // Every such rule masks CLONE_NEWUSER (or more) and demands it clear.
        expect(rule.args).toEqual([expect.objectContaining({ op: 'SCMP_CMP_MASKED_EQ', valueTwo: 0 })]);
        expect(rule.args![0]!.value & CLONE_NEWUSER).toBe(CLONE_NEWUSER);
      }
    }
  });

  it('takes io_uring out of an older default\'s allowlist instead of listing it twice', () => {
    const older = dockerDefault();
    older.syscalls[0] = { ...older.syscalls[0]!, names: [...older.syscalls[0]!.names, ...IO_URING_SYSCALLS] };
    const profile = withSandboxRules(older);
    for (const name of IO_URING_SYSCALLS) expect(naming(profile, name)).toHaveLength(1);
    expect(profile.syscalls[0]!.names).toEqual(dockerDefault().syscalls[0]!.names.filter((name) => name !== 'fchmodat2'));
  });

  it('refuses a default laid out otherwise rather than applying half its deltas', () => {
    const changed = dockerDefault();
    changed.syscalls = changed.syscalls.filter((rule) => !rule.includes?.caps?.includes('CAP_SYS_ADMIN'));
    expect(() => withSandboxRules(changed)).toThrow(/CAP_SYS_ADMIN allowlist/);
  });

  it('is passed to the engine as seccomp=<json>', () => {
    expect(sandboxSeccompOpt()).toBe(`seccomp=${sandboxSeccompProfile()}`);
    expect(JSON.parse(sandboxSeccompOpt().slice('seccomp='.length))).toEqual(sandbox);
  });
});
