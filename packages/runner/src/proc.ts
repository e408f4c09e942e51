/**
 * What the runner reads about the install's processes from /proc. It runs as root with
 * SYS_PTRACE and DAC_READ_SEARCH, so it can read what the install user's own processes cannot read
 * of each other (environ, fd, cwd of non-dumpable ones). Every read tolerates a process that has
 * just gone: the answer is then "unknown", never an exception.
 */
import { readFile, readdir, readlink } from 'node:fs/promises';

/** Fields of /proc/PID/status that matter here. */
export interface ProcStatus {
  /** Real, effective, saved and filesystem uid, when all four agree. */
  uid: number | null;
  /** 0 when not traced. */
  tracerPid: number | null;
  ppid: number | null;
}

/** Parses /proc/PID/status; garbage gives nulls. */
export function parseProcStatus(text: string): ProcStatus {
  const field = (name: string): string | undefined => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}:`));
    return line?.slice(name.length + 1).trim();
  };
  const number = (value: string | undefined): number | null => {
    if (value === undefined || !/^\d{1,10}$/.test(value)) return null;
    return Number(value);
  };
  const uids = (field('Uid') ?? '').split(/\s+/);
  const uid = uids.length === 4 && uids.every((u) => u === uids[0]) ? number(uids[0]) : null;
  return { uid, tracerPid: number(field('TracerPid')), ppid: number(field('PPid')) };
}

/** NUL-separated strings (/proc/PID/cmdline, /proc/PID/environ). */
export function splitNul(text: string): string[] {
  const parts = text.split('\0');
  if (parts.at(-1) === '') parts.pop();
  return parts;
}

/** CPUs from a `Cpus_allowed_list` such as `0-3,6`; empty if malformed. */
export function parseCpuList(list: string): number[] {
  const out: number[] = [];
  for (const part of list.trim().split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match) return [];
    const from = Number(match[1]);
    const to = Number(match[2] ?? match[1]);
    if (to < from || to - from > 4096) return [];
    for (let cpu = from; cpu <= to; cpu++) out.push(cpu);
  }
  return out;
}

const read = (pid: number, file: string) => readFile(`/proc/${pid}/${file}`, 'utf8').catch(() => '');

export async function statusOf(pid: number): Promise<ProcStatus> {
  return parseProcStatus(await read(pid, 'status'));
}

export async function argvOf(pid: number): Promise<string[]> {
  return splitNul(await read(pid, 'cmdline'));
}

export async function environOf(pid: number): Promise<string[]> {
  return splitNul(await read(pid, 'environ'));
}

export async function cwdOf(pid: number): Promise<string | undefined> {
  return readlink(`/proc/${pid}/cwd`).catch(() => undefined);
}

/** `pid`'s ancestors, nearest first, up to `limit` (a loop or a vanished process ends the walk). */
export async function ancestorsOf(pid: number, limit = 64): Promise<number[]> {
  const out: number[] = [];
  const seen = new Set([pid]);
  for (let current = pid; out.length < limit; ) {
    const { ppid } = await statusOf(current);
    if (ppid === null || ppid === 0 || seen.has(ppid)) break;
    out.push(ppid);
    seen.add(ppid);
    current = ppid;
  }
  return out;
}

/** Whether `pid` holds the socket with inode `inode` open. */
export async function holdsSocket(pid: number, inode: string): Promise<boolean> {
  const wanted = `socket:[${inode}]`;
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  for (const fd of fds) if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) === wanted) return true;
  return false;
}

/** The processes holding the socket `inode` open (usually one). */
export async function socketHolders(inode: string): Promise<number[]> {
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((name) => /^\d+$/.test(name)).map(Number);
  const held = await Promise.all(pids.map(async (pid) => ((await holdsSocket(pid, inode)) ? pid : null)));
  return held.filter((pid): pid is number => pid !== null);
}

/** The live processes of `uid` (zombies left out: they are gone but for their parent's wait), less `except`. */
export async function processesOf(uid: number, except: ReadonlySet<number>): Promise<number[]> {
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((name) => /^\d+$/.test(name)).map(Number);
  const live = await Promise.all(
    pids.map(async (pid) => {
      if (except.has(pid)) return null;
      const text = await read(pid, 'status');
      return parseProcStatus(text).uid === uid && !/^State:\s*[ZX]/m.test(text) ? pid : null;
    }),
  );
  return live.filter((pid): pid is number => pid !== null);
}
