/**
 * The sandbox container's seccomp profile: Docker's default profile plus the deltas below, passed
 * as `SecurityOpt: seccomp=<json>` to the sandbox container only (the gateway keeps the engine's
 * default). The stacked filter of docker/syscall-filter.c still runs on top of it; this profile
 * only makes sure the engine's layer does not decide first.
 *
 * Why a profile at all: the kernel runs every filter and the strictest answer wins, so an engine
 * whose default refuses io_uring with EPERM (Docker >= 25 took it out of the allowlist) outranks
 * the stacked filter's SECCOMP_RET_TRACE, and an io_uring attempt inside a script is refused but
 * never reaches the script's tracer. With io_uring allowed at the engine's layer, TRACE decides on
 * every engine version.
 *
 * Docker's default is a verbatim copy, docker/docker-default-seccomp.json, pinned below; the unit
 * test checks the copy against its git blob hash and that the deltas are all that differ.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dockerContextDir } from './image.js';

/** Where the copy of Docker's default profile came from (moby vendors moby/profiles/seccomp). */
export const DOCKER_DEFAULT_SECCOMP_SOURCE = {
  repository: 'moby/moby',
  commit: 'b985e2313a8676e18072b442911fc8f64f17d440',
  path: 'vendor/github.com/moby/profiles/seccomp/default.json',
  module: 'github.com/moby/profiles/seccomp v0.2.3',
  /** `git hash-object` of the file: the copy is byte for byte moby's. */
  blob: 'ea5a494afb8d64898fa0f4f47ae0c4f5ba9cbbc9',
} as const;

/** In docker/, wherever that is: the repository's, or the copy a packed package carries. */
export const DOCKER_DEFAULT_SECCOMP_FILE = join(dockerContextDir, 'docker-default-seccomp.json');

export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

export interface SeccompRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: SeccompArg[] | null;
  comment?: string;
  includes?: { caps?: string[]; arches?: string[]; minKernel?: string };
  excludes?: { caps?: string[]; arches?: string[] };
}

export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  syscalls: SeccompRule[];
  [key: string]: unknown;
}

export const IO_URING_SYSCALLS = ['io_uring_setup', 'io_uring_enter', 'io_uring_register'] as const;

/**
 * Calls Docker's default allows that the script's tracer cannot follow and that have an older
 * equivalent it does follow: answered ENOSYS, as a kernel without them would, so libc falls back.
 * fchmodat2 (Linux 6.6) is a chmod the image's strace (6.1) cannot name, so it is not traced;
 * glibc falls back to fchmodat, which is. (Docker 20.10's default did not list it, and runc answers
 * ENOSYS for a call newer than the profile; Docker's current default allows it.)
 */
export const ENOSYS_SYSCALLS = ['fchmodat2'] as const;

/** CLONE_NEWUSER: the namespace flag that would give the install user a user namespace. */
export const CLONE_NEWUSER = 0x10000000;

/** The calls CAP_SYS_ADMIN unlocks in Docker's default that this profile narrows (rule 3). */
const NARROWED_FOR_SYS_ADMIN = ['clone', 'unshare'] as const;

const ENOSYS = 38;

/** Calls whose every rule of Docker's is replaced by one rule of ours (libseccomp takes one action per call). */
const REPLACED: readonly string[] = [...IO_URING_SYSCALLS, ...ENOSYS_SYSCALLS];

/**
 * Docker's default profile with the sandbox's deltas:
 *
 *  1. io_uring_setup, io_uring_enter, io_uring_register allowed, so the stacked filter's
 *     SECCOMP_RET_TRACE decides (the script's tracer records the attempt and fails it with ENOSYS;
 *     outside a tracer the kernel answers ENOSYS). Never reachable unfiltered: the stacked filter
 *     is installed by the image's entrypoint before anything else runs.
 *  2. fchmodat2 answered ENOSYS (ENOSYS_SYSCALLS).
 *  3. Under CAP_SYS_ADMIN (the root runner needs it for each script's PID and mount namespace),
 *     Docker's default allows clone and unshare with any flag to every process of the container,
 *     the install user's included. Here they are allowed only without CLONE_NEWUSER: nothing in the
 *     sandbox needs a user namespace, and an unprivileged one is a large kernel surface. Without
 *     CAP_SYS_ADMIN Docker's default already refuses every namespace flag.
 *
 * Everything else is Docker's, in Docker's order; our rules for 1 and 2 come last.
 */
export function withSandboxRules(dockerDefault: SeccompProfile): SeccompProfile {
  const syscalls: SeccompRule[] = [];
  let narrowed = 0;
  for (const rule of dockerDefault.syscalls) {
    if (rule.names.some((name) => REPLACED.includes(name))) {
      // A default listing one of them (an older one allowed io_uring): ours below replaces it.
      const names = rule.names.filter((name) => !REPLACED.includes(name));
      if (names.length > 0) syscalls.push({ ...rule, names });
      continue;
    }
    if (isSysAdminAllowlist(rule)) {
      syscalls.push({ ...rule, names: rule.names.filter((name) => !(NARROWED_FOR_SYS_ADMIN as readonly string[]).includes(name)) });
      syscalls.push(...withoutNewUser());
      narrowed++;
      continue;
    }
    syscalls.push(rule);
  }
  // A new copy of Docker's default laid out otherwise must be looked at, not half applied.
  if (narrowed !== 1) throw new Error(`Docker's default profile: expected one CAP_SYS_ADMIN allowlist with clone and unshare, found ${narrowed}`);
  syscalls.push({
    names: [...IO_URING_SYSCALLS],
    action: 'SCMP_ACT_ALLOW',
    comment: 'safe-install: the stacked filter (docker/syscall-filter.c) hands io_uring to the tracer (SECCOMP_RET_TRACE); an ERRNO here would outrank it and the attempt would not be traced',
  });
  syscalls.push({
    names: [...ENOSYS_SYSCALLS],
    action: 'SCMP_ACT_ERRNO',
    errnoRet: ENOSYS,
    comment: 'safe-install: not traced by the script tracer; libc falls back to a call that is',
  });
  return { ...dockerDefault, syscalls };
}

function isSysAdminAllowlist(rule: SeccompRule): boolean {
  return (
    rule.action === 'SCMP_ACT_ALLOW' &&
    !rule.args &&
    !rule.excludes &&
    JSON.stringify(rule.includes) === JSON.stringify({ caps: ['CAP_SYS_ADMIN'] }) &&
    NARROWED_FOR_SYS_ADMIN.every((name) => rule.names.includes(name))
  );
}

function withoutNewUser(): SeccompRule[] {
  const rule = (name: string, index: number, arches: { includes?: string[]; excludes?: string[] }): SeccompRule => ({
    names: [name],
    action: 'SCMP_ACT_ALLOW',
    args: [{ index, value: CLONE_NEWUSER, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    comment: 'safe-install: with CAP_SYS_ADMIN, new namespaces except a user namespace',
    includes: { caps: ['CAP_SYS_ADMIN'], ...(arches.includes ? { arches: arches.includes } : {}) },
    ...(arches.excludes ? { excludes: { arches: arches.excludes } } : {}),
  });
  // s390's clone takes its flags second, as in Docker's own clone rules.
  return [rule('clone', 0, { excludes: ['s390', 's390x'] }), rule('clone', 1, { includes: ['s390', 's390x'] }), rule('unshare', 0, {})];
}

let cached: string | undefined;

/** The profile as the engine takes it, read once. */
export function sandboxSeccompProfile(): string {
  cached ??= JSON.stringify(withSandboxRules(JSON.parse(readFileSync(DOCKER_DEFAULT_SECCOMP_FILE, 'utf8')) as SeccompProfile));
  return cached;
}

/** The sandbox container's SecurityOpt entry for its profile. */
export function sandboxSeccompOpt(): string {
  return `seccomp=${sandboxSeccompProfile()}`;
}
