import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';
import { execa } from 'execa';
import { AWS_DOCUMENTED_KEY_ID, DEFAULT_BASE_IMAGE, LABEL_OWNER_HOST, LABEL_OWNER_PID, LABEL_ROLE, LABEL_RUN, LABEL_TOOL, requireSandboxImage, sandboxSeccompProfile, verifyGithubToken } from '@safe-install/sandbox';
import { cliPath, copyProject, describeWithEngine, execIn, projectWithPackages, readTrace, runCli, runningSandboxOf } from './engine.js';

const docker = new Docker();
const ours = (filters: Record<string, string[]> = {}) =>
  docker.listContainers({ all: true, filters: { label: [`${LABEL_TOOL}=safe-install`], ...filters } });

/** Wait until a sandbox container owned by `pid` is running. */
async function containerOf(pid: number): Promise<Docker.ContainerInfo> {
  for (let i = 0; i < 600; i++) {
    const [found] = await docker.listContainers({ filters: { label: [`${LABEL_OWNER_PID}=${pid}`, `${LABEL_ROLE}=sandbox`], status: ['running'] } });
    if (found) return found;
    await sleep(100);
  }
  throw new Error(`no running sandbox of pid ${pid}`);
}

/** sha256 over every path, type, mode and content under a folder. */
async function treeHash(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (relative: string) => {
    for (const entry of (await readdir(join(dir, relative), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(relative, entry.name);
      hash.update(`${path}\0${entry.isDirectory() ? 'd' : 'f'}\0`);
      if (entry.isDirectory()) await walk(path);
      else hash.update(await readFile(join(dir, path)));
    }
  };
  await walk('');
  return hash.digest('hex');
}

await describeWithEngine('the sandbox container', () => {
  const cleanup: string[] = [];
  afterAll(async () => {
    for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
  });
  const fixture = async (packages: string[]) => {
    const dir = await projectWithPackages(packages);
    cleanup.push(dir);
    return dir;
  };

  it('is hardened as specified while an install runs', async () => {
    const project = await fixture(['slow-script']);
    const cli = execa('node', [cliPath, 'ci', project, '--pids', '512', '--memory', '1g', '--cpus', '1.5'], { reject: false, all: true });
    const info = await containerOf(cli.pid!);
    const inspect = await docker.getContainer(info.Id).inspect();
    const host = inspect.HostConfig;
    // The container's init is the root runner with five capabilities; everything else is dropped.
    expect(inspect.Config.User).toBe('0:0');
    expect(host.CapDrop).toEqual(['ALL']);
    expect([...(host.CapAdd ?? [])].sort()).toEqual(['DAC_READ_SEARCH', 'SYS_ADMIN', 'SYS_PTRACE', 'SETGID', 'SETUID'].sort());
    expect(host.SecurityOpt).toContain('no-new-privileges');
    expect(host.ReadonlyRootfs).toBe(true);
    expect(Object.keys(host.Tmpfs ?? {}).sort()).toEqual(['/home/node', '/tmp', '/var/lib/npm-lifecycle']);
    expect(host.Tmpfs?.['/home/node']).toMatch(/nosuid,nodev,size=\d+,uid=1000,gid=1000/);
    expect(host.PidsLimit).toBe(512);
    expect(host.Memory).toBe(1024 ** 3);
    expect(host.NanoCpus).toBe(1.5e9);
    expect(host.Privileged).toBe(false);
    expect(inspect.Mounts.filter((mount) => mount.Type === 'bind')).toEqual([]);
    expect(JSON.stringify(inspect.Mounts)).not.toMatch(/docker\.sock/);
    expect(inspect.Config.Labels).toMatchObject({ [LABEL_TOOL]: 'safe-install', [LABEL_OWNER_PID]: String(cli.pid), [LABEL_OWNER_HOST]: hostname() });
    expect(inspect.Config.Labels[LABEL_RUN]).toMatch(/^[a-z0-9]+-[0-9a-f]{8}$/);

    // Who runs what: the install (npm, its scripts) as uid 1000; only tini, the runner and strace as root.
    let byUid = new Map<string, string[]>();
    for (let i = 0; i < 300 && !byUid.get('1000')?.includes('sleep'); i++) {
      await sleep(100);
      const top = await docker.getContainer(info.Id).top({ ps_args: '-eo pid,uid,comm' });
      byUid = new Map();
      for (const [, uid, comm] of top.Processes) byUid.set(uid!, [...(byUid.get(uid!) ?? []), comm!]);
    }
    expect(byUid.get('1000')).toEqual(expect.arrayContaining(['sleep']));
    expect(byUid.get('1000')?.some((comm) => comm.startsWith('npm'))).toBe(true);
    for (const comm of byUid.get('0') ?? []) expect(['tini', 'node', 'strace', 'sh', 'npm-lifecycle']).toContain(comm);
    expect(byUid.get('0')).not.toContain('sleep');
    // The sandbox's seccomp profile (Docker's default plus its deltas, docker/seccomp-profile.ts),
    // and the sandbox's own filter stacked on it from the init on: a `docker exec` gets only the
    // profile, every process of the run both.
    expect((host.SecurityOpt ?? []).filter((opt: string) => opt.startsWith('seccomp'))).toEqual([`seccomp=${sandboxSeccompProfile()}`]);
    const { output: statuses } = await execIn(docker.getContainer(info.Id), '0:0', 'grep -h "^Seccomp" /proc/1/status /proc/self/status');
    expect(statuses.trim().split('\n')).toEqual(['Seccomp:\t2', 'Seccomp_filters:\t2', 'Seccomp:\t2', 'Seccomp_filters:\t1']);
    // What the profile changes, seen from a process that has only it: io_uring is not refused at the
    // engine's layer (the stacked filter hands it to the tracer), fchmodat2 (untraced) is ENOSYS, and
    // with SYS_ADMIN in the container's set neither root nor the install user gets a user namespace;
    // root still gets the PID and mount namespaces each script runs in.
    const probe = 'import ctypes, errno; libc = ctypes.CDLL(None, use_errno=True); say = lambda name, r: print(name + "=" + ("ok" if r >= 0 else errno.errorcode[ctypes.get_errno()])); say("io_uring_setup", libc.syscall(425, 1, ctypes.create_string_buffer(120))); say("fchmodat2", libc.syscall(452, -100, b"/tmp", 0o1777, 0))';
    const { output: kernel } = await execIn(
      docker.getContainer(info.Id),
      '0:0',
      `python3 -c '${probe}'; unshare --pid --mount --fork true && echo root-pid-mount=ok; unshare --user true 2>/dev/null || echo root-user=refused; setpriv --reuid 1000 --regid 1000 --clear-groups unshare --user true 2>/dev/null || echo install-user-user=refused`,
    );
    expect(kernel.trim().split('\n')).toEqual(['io_uring_setup=ok', 'fchmodat2=ENOSYS', 'root-pid-mount=ok', 'root-user=refused', 'install-user-user=refused']);
    // The script runs in a PID namespace of its own: two pid levels, another namespace than the
    // container's init, and a tracer that is there when looked at from outside (inside it reads 0).
    const { output: ns } = await execIn(
      docker.getContainer(info.Id),
      '0:0',
      'for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = sleep ] || continue; grep -E "^(NSpid|TracerPid):" $p/status; [ "$(readlink $p/ns/pid)" != "$(readlink /proc/1/ns/pid)" ] && echo own-pid-namespace; [ "$(readlink $p/ns/mnt)" != "$(readlink /proc/1/ns/mnt)" ] && echo own-mount-namespace; done; true',
    );
    expect(ns).toMatch(/^NSpid:\s+\d+\s+\d+$/m);
    expect(ns).toMatch(/^TracerPid:\s+[1-9]\d*$/m);
    expect(ns).toContain('own-pid-namespace');
    expect(ns).toContain('own-mount-namespace');
    // The install user cannot write outside its HOME and /tmp.
    const { output: text } = await execIn(docker.getContainer(info.Id), '1000:1000', 'touch /usr/x 2>&1; touch /var/lib/npm-lifecycle/x 2>&1; true');
    expect(text).toMatch(/touch: cannot touch '\/usr\/x': Read-only file system/);
    expect(text).toMatch(/touch: cannot touch '\/var\/lib\/npm-lifecycle\/x': Permission denied/);
    const result = await cli;
    expect(result.exitCode).toBe(0);
    expect(await ours({ label: [`${LABEL_OWNER_PID}=${cli.pid}`] })).toEqual([]);
  }, 5 * 60_000);

  it('ends an endless script at the timeout with exit 4, a report, and the trace so far', async () => {
    const project = await fixture(['endless-script']);
    const report = join(project, 'report.json');
    const trace = join(project, 'trace.jsonl');
    const result = await runCli(['ci', project, '--timeout', '25', '--report', report, '--trace', trace]);
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toMatch(/error: the install did not finish within 25 s/);
    expect(JSON.parse(await readFile(report, 'utf8'))).toMatchObject({ verdict: 'fail', outcome: 'timeout' });
    const events = await readTrace(trace);
    expect(events.some((event) => event.type === 'script' && event.action === 'start' && event.package?.name === 'endless-script')).toBe(true);
    expect(await ours({ label: [`${LABEL_OWNER_PID}=${result.pid}`] })).toEqual([]);
  }, 5 * 60_000);

  it('contains a fork bomb with the pid limit, and ends it at the timeout', async () => {
    const project = await fixture(['fork-bomb']);
    const result = await runCli(['ci', project, '--timeout', '30', '--pids', '256']);
    // Depending on how the bomb's shells fare at the pid limit, it runs into the timeout (exit 4),
    // collapses leaving processes behind that the policy refuses (exit 1), or collapses whole
    // before its script ends (exit 0: nothing of it is left). Every way, the run ends with a verdict.
    expect([0, 1, 4]).toContain(result.exitCode);
    expect(result.stderr).toMatch(/did not finish within 30 s|lingering|verdict: (pass|fail)/);
    expect(await ours({ label: [`${LABEL_OWNER_PID}=${result.pid}`] })).toEqual([]);
    // The host is fine: it can still start processes.
    expect((await execa('true')).exitCode).toBe(0);
  }, 5 * 60_000);

  it('stops a memory hog at the memory limit and says so', async () => {
    const project = await fixture(['memory-hog']);
    const result = await runCli(['ci', project, '--memory', '512m']);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/postinstall of memory-hog@1\.0\.0 was killed \(SIGKILL; the memory limit is 512 MiB\)/);
    expect(await ours({ label: [`${LABEL_OWNER_PID}=${result.pid}`] })).toEqual([]);
  }, 5 * 60_000);

  it('removes its container when interrupted with SIGINT mid-install', async () => {
    const project = await fixture(['slow-script']);
    await mkdir(join(project, 'node_modules', 'previous'), { recursive: true });
    await writeFile(join(project, 'node_modules', 'previous', 'index.js'), 'module.exports = 1;\n');
    const before = await treeHash(join(project, 'node_modules'));
    const cli = execa('node', [cliPath, 'ci', project], { reject: false, all: true });
    await containerOf(cli.pid!);
    cli.kill('SIGINT');
    const result = await cli;
    expect(result.exitCode).toBe(130);
    expect(await ours({ label: [`${LABEL_OWNER_PID}=${cli.pid}`] })).toEqual([]);
    expect((await docker.listVolumes({ filters: { label: [`${LABEL_OWNER_PID}=${cli.pid}`] } })).Volumes ?? []).toEqual([]);
    expect(await treeHash(join(project, 'node_modules'))).toBe(before);
    expect((await readdir(project)).filter((name) => name.startsWith('.safe-install-staging-'))).toEqual([]);
  }, 5 * 60_000);

  it('sweeps a stale container of a dead run, and leaves a live run alone', async () => {
    const image = await requireSandboxImage(docker, DEFAULT_BASE_IMAGE);
    // A pid that certainly belonged to a process that has ended.
    const child = execa('node', ['-e', '0']);
    const deadPid = child.pid!;
    await child;
    const labels = (pid: number, run: string) => ({ [LABEL_TOOL]: 'safe-install', [LABEL_RUN]: run, [LABEL_OWNER_PID]: String(pid), [LABEL_OWNER_HOST]: hostname() });
    const stale = await docker.createContainer({ Image: image, Labels: labels(deadPid, 'stale-run'), Cmd: ['--help'] });
    const live = await docker.createContainer({ Image: image, Labels: labels(process.pid, 'live-run'), Cmd: ['--help'] });
    try {
      const project = await copyProject('test/fixtures/projects/failing-install');
      cleanup.push(project);
      const result = await runCli(['ci', project]);
      // Any run on this host sweeps what dead runs left, so a test running beside this one may get
      // there first; then this run found nothing to say. Either way the stale one is gone and the
      // live one stays — and with no sweep at all, the stale one would still be here.
      const swept = /removed \d+ container\(s\) and \d+ volume\(s\) left by runs that died/.test(String(result.stderr));
      if (!swept) process.stderr.write('sandbox.e2e: another run swept the stale container first\n');
      await expect(stale.inspect()).rejects.toMatchObject({ statusCode: 404 });
      await expect(live.inspect()).resolves.toBeDefined();
    } finally {
      await stale.remove({ force: true }).catch(() => undefined);
      await live.remove({ force: true }).catch(() => undefined);
    }
  }, 5 * 60_000);

  it('leaves an existing node_modules byte for byte as it was when the install fails', async () => {
    const project = await copyProject('test/fixtures/projects/failing-install');
    cleanup.push(project);
    await mkdir(join(project, 'node_modules', 'kept', 'lib'), { recursive: true });
    await writeFile(join(project, 'node_modules', 'kept', 'lib', 'a.js'), 'exports.a = 1;\n');
    await writeFile(join(project, 'node_modules', 'kept', 'package.json'), '{"name":"kept","version":"1.0.0"}\n');
    const before = await treeHash(join(project, 'node_modules'));
    const result = await runCli(['ci', project]);
    expect(result.exitCode).toBe(3);
    expect(await treeHash(join(project, 'node_modules'))).toBe(before);
  }, 5 * 60_000);
});

await describeWithEngine('decoys in the sandbox', () => {
  /** Read the decoy HOME and environment of a running sandbox, as the install user sees them. */
  async function decoysOfOneRun(): Promise<{ npmrc: string; env: string; ed25519: string; awsCredentials: string; hostname: string }> {
    const project = await projectWithPackages(['slow-script']);
    try {
      const cli = execa('node', [cliPath, 'ci', project], { reject: false, all: true });
      const container = await runningSandboxOf(cli.pid!);
      const read = async (command: string) => (await execIn(container, '1000:1000', command)).output;
      for (let i = 0; i < 300 && !(await read('pgrep -x sleep || true')).trim(); i++) await sleep(100);
      const decoys = {
        npmrc: await read('cat ~/.npmrc'),
        env: await read('tr "\\0" "\\n" < /proc/$(pgrep -x sleep | head -1)/environ'),
        ed25519: await read('cat ~/.ssh/id_ed25519'),
        awsCredentials: await read('cat ~/.aws/credentials'),
        hostname: await read('hostname'),
      };
      cli.kill('SIGINT');
      await cli;
      return decoys;
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  }

  it('plants realistic decoys that differ between runs and pass format checks', async () => {
    const first = await decoysOfOneRun();
    const second = await decoysOfOneRun();
    const envOf = (text: string) => Object.fromEntries(text.split('\n').filter((line) => line.includes('=')).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
    const a = envOf(first.env);
    const b = envOf(second.env);
    for (const name of ['NPM_TOKEN', 'GITHUB_TOKEN', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
      expect(a[name]).toBeTruthy();
      expect(a[name]).not.toBe(b[name]);
    }
    expect(a['CI']).toBe('true');
    expect(a['GITHUB_ACTIONS']).toBe('true');
    expect(verifyGithubToken(a['GITHUB_TOKEN']!)).toBe(true);
    expect(a['NPM_TOKEN']).toMatch(/^npm_[A-Za-z0-9]{36}$/);
    expect(a['AWS_ACCESS_KEY_ID']).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(a['AWS_ACCESS_KEY_ID']).not.toBe(AWS_DOCUMENTED_KEY_ID);
    expect(first.npmrc).toMatch(/:_authToken=npm_[A-Za-z0-9]{36}/);
    expect(first.npmrc).not.toBe(second.npmrc);
    // Each place gets its own values, so a leak shows which place was read.
    expect(first.awsCredentials).toMatch(/aws_access_key_id = AKIA[A-Z2-7]{16}\naws_secret_access_key = [A-Za-z0-9+/]{40}/);
    expect(first.awsCredentials).not.toContain(a['AWS_SECRET_ACCESS_KEY']!);
    expect(first.hostname.trim()).not.toBe(second.hostname.trim());
    // A real key pair: OpenSSH parses the private key and derives its public key.
    expect(first.ed25519).not.toBe(second.ed25519);
    const keyFile = join(await mkdtemp(join(tmpdir(), 'decoy-key-')), 'id_ed25519');
    await writeFile(keyFile, first.ed25519, { mode: 0o600 });
    const derived = await execa('ssh-keygen', ['-y', '-f', keyFile]);
    expect(derived.stdout).toMatch(/^ssh-ed25519 AAAA/);
    for (const text of [first.env, first.npmrc, first.awsCredentials, first.hostname]) {
      expect(text).not.toMatch(/decoy|honey|canary|fake|sandbox/i);
    }
  }, 10 * 60_000);
});
