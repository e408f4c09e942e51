import { installJob, parseJob } from '@safe-install/schema';
import { DEFAULT_LIMITS, INSTALL_UID, SANDBOX_PATHS } from '../layout.js';
import { runnerExecSpec, sandboxContainerSpec, type SandboxContainerSpec } from './sandbox-container.js';
import { RUNNER_COMMAND, SANDBOX_HOLDER_COMMAND } from '../layout.js';
import { sandboxSeccompProfile } from './seccomp-profile.js';

const SPEC: SandboxContainerSpec = {
  image: 'safe-install-sandbox:x',
  runId: 'r1',
  hostname: 'fv-az123-456',
  env: ['HTTP_PROXY=http://127.0.0.1:3128'],
  labels: { 'dev.safe-install.run': 'r1' },
  limits: DEFAULT_LIMITS,
  gatewayVolume: 'safe-install-gw-r1',
};

describe('the sandbox container: hardening, from a pure function', () => {
  const created = sandboxContainerSpec(SPEC);
  const host = created.HostConfig!;

  it('drops every capability but the five the runner needs, and no new privileges', () => {
    expect(host.CapDrop).toEqual(['ALL']);
    expect([...(host.CapAdd ?? [])].sort()).toEqual(['DAC_READ_SEARCH', 'SETGID', 'SETUID', 'SYS_ADMIN', 'SYS_PTRACE']);
    expect(host.SecurityOpt).toContain('no-new-privileges');
    expect(host.Privileged).toBeFalsy();
  });

  it('runs the sandbox\'s own seccomp profile, not the engine\'s default', () => {
    expect(host.SecurityOpt).toEqual(['no-new-privileges', `seccomp=${sandboxSeccompProfile()}`]);
  });

  it('has no network of its own, a read-only root and writable places that are nosuid and nodev', () => {
    expect(host.NetworkMode).toBe('none');
    expect(host.ReadonlyRootfs).toBe(true);
    const tmpfs = host.Tmpfs ?? {};
    expect(Object.keys(tmpfs).sort()).toEqual([SANDBOX_PATHS.home, SANDBOX_PATHS.traceDir, '/tmp'].sort());
    for (const options of Object.values(tmpfs)) expect(options).toMatch(/nosuid,nodev/);
    expect(tmpfs[SANDBOX_PATHS.traceDir]).toMatch(/noexec/);
    expect(tmpfs[SANDBOX_PATHS.home]).toContain(`uid=${INSTALL_UID}`);
  });

  it('is bounded: memory without swap, processes, CPUs, disk, and no log driver storing output', () => {
    expect(host.Memory).toBe(DEFAULT_LIMITS.memoryBytes);
    expect(host.MemorySwap).toBe(DEFAULT_LIMITS.memoryBytes);
    expect(host.PidsLimit).toBe(DEFAULT_LIMITS.pids);
    expect(host.NanoCpus).toBe(DEFAULT_LIMITS.cpus * 1e9);
    expect(host.Tmpfs![SANDBOX_PATHS.home]).toContain(`size=${DEFAULT_LIMITS.homeBytes}`);
    expect(host.LogConfig).toEqual({ Type: 'none', Config: {} });
  });

  it('decides where npm reads its config, in the environment (which outranks every file)', () => {
    expect(created.Env).toEqual(expect.arrayContaining([`npm_config_globalconfig=${SANDBOX_PATHS.npmGlobalConfig}`, `npm_config_userconfig=${SANDBOX_PATHS.home}/.npmrc`]));
    // The run's own environment comes after the fixed one and cannot remove it.
    expect(created.Env!.indexOf('HTTP_PROXY=http://127.0.0.1:3128')).toBeGreaterThan(created.Env!.indexOf(`npm_config_userconfig=${SANDBOX_PATHS.home}/.npmrc`));
  });

  it('holds the sandbox open with PID 1 under the stacked filter, and starts each job\'s runner as root through it, the job in --job', () => {
    expect(created.User).toBe('0:0');
    expect(created.Entrypoint).toEqual([...SANDBOX_HOLDER_COMMAND]);
    const exec = runnerExecSpec({ job: installJob(['npm', 'ci'], { export: true, trace: true }), lingerGraceMs: 2000, gateway: true });
    expect(exec.User).toBe('0:0');
    expect(exec.AttachStdin).toBe(true);
    const cmd = exec.Cmd as string[];
    expect(cmd.slice(0, RUNNER_COMMAND.length)).toEqual([...RUNNER_COMMAND]);
    expect(cmd).toContain('--gateway');
    expect(cmd.slice(cmd.indexOf('--uid'), cmd.indexOf('--uid') + 2)).toEqual(['--uid', String(INSTALL_UID)]);
    expect(parseJob(cmd[cmd.indexOf('--job') + 1]!).steps.map((step) => step.command)).toEqual([['npm', 'ci']]);
    expect(cmd.at(-2)).toBe('--job');
  });

  it('reaches the gateway only through its socket volume; without one there is no gateway at all', () => {
    expect(host.Mounts).toEqual([expect.objectContaining({ Type: 'volume', Source: 'safe-install-gw-r1' })]);
    expect(host.Dns).toEqual(['127.0.0.1']);
    const offline = sandboxContainerSpec({ ...SPEC, gatewayVolume: null });
    expect(offline.HostConfig!.Mounts).toBeUndefined();
    expect(runnerExecSpec({ job: installJob(['npm', 'ci'], { export: true, trace: true }), lingerGraceMs: 2000, gateway: false }).Cmd as string[]).not.toContain('--gateway');
    expect(offline.HostConfig!.NetworkMode).toBe('none');
  });

  it('mounts the trust store of an https registry read-only over the system certificates, and no other writable place', () => {
    const withTrust = sandboxContainerSpec({ ...SPEC, trustVolume: 'ab12' }).HostConfig!;
    expect(withTrust.Mounts).toEqual([
      expect.objectContaining({ Type: 'volume', Source: 'safe-install-gw-r1' }),
      { Type: 'volume', Source: 'ab12', Target: '/etc/ssl/certs', ReadOnly: true },
    ]);
    expect(withTrust.ReadonlyRootfs).toBe(true);
  });
});
