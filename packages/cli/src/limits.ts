/** Resource-limit flags: parsed and checked here, so a bad value is a usage error (exit 2). */
import { SafeInstallError } from '@safe-install/schema';
import type { ResourceLimits } from '@safe-install/sandbox';

/** `512m`, `4g`, `1.5g`, `1024k` or plain bytes. */
export function parseSize(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)([kmg]?)b?$/i.exec(text.trim());
  if (!match) throw new SafeInstallError('BAD_SIZE', 'usage', `--${flag} ${text}: expected a size like 512m or 4g`);
  const scale = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  const bytes = Math.round(Number(match[1]) * scale);
  if (bytes < 64 * 1024 ** 2) throw new SafeInstallError('BAD_SIZE', 'usage', `--${flag} ${text}: at least 64m is needed`);
  return bytes;
}

export function positive(value: number | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value <= 0) throw new SafeInstallError('BAD_NUMBER', 'usage', `--${flag} must be a positive number`);
  return value;
}

export function limitsFrom(args: { memory?: string | undefined; pids?: number | undefined; cpus?: number | undefined; disk?: string | undefined }): Partial<ResourceLimits> {
  const limits: Partial<ResourceLimits> = {};
  if (args.memory !== undefined) limits.memoryBytes = parseSize(args.memory, 'memory');
  if (args.disk !== undefined) limits.homeBytes = parseSize(args.disk, 'disk');
  const pids = positive(args.pids, 'pids');
  if (pids !== undefined) limits.pids = Math.round(pids);
  const cpus = positive(args.cpus, 'cpus');
  if (cpus !== undefined) limits.cpus = cpus;
  return limits;
}

