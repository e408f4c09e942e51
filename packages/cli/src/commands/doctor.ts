/**
 * `safe-install doctor`: check every part a run needs, say what is wrong and how to fix it, and
 * exit non-zero when anything fails. Checks after a failed one that depends on it are skipped,
 * with the reason, rather than failing with a confusing second error.
 */
import { isSafeInstallError } from '@safe-install/schema';
import { DEFAULT_BASE_IMAGE, connectEngine, probeTracer, readHostNpmConfig, resolveSandboxImage, type HostNpmConfig } from '@safe-install/sandbox';
import { EXIT } from '../exit-codes.js';


export interface CheckResult {
  name: string;
  status: 'ok' | 'fail' | 'skip';
  detail: string;
  hint?: string;
}

function failure(name: string, error: unknown): CheckResult {
  return {
    name,
    status: 'fail',
    detail: (error as Error).message,
    ...(isSafeInstallError(error) && error.hint ? { hint: error.hint } : {}),
  };
}

export async function runChecks(options: { base?: string | undefined; dir: string }): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const base = options.base ?? DEFAULT_BASE_IMAGE;

  let npm: HostNpmConfig | undefined;
  try {
    npm = await readHostNpmConfig(options.dir);
    const scopes = Object.keys(npm.scopedRegistries);
    results.push({
      name: 'npm registry settings',
      status: 'ok',
      detail: `registry ${npm.registry}${scopes.length ? `, scopes ${scopes.join(', ')}` : ''}; cafile ${npm.cafile ?? 'none'}; proxy ${npm.httpsProxy ?? npm.proxy ?? 'none'}`,
    });
  } catch (error) {
    results.push(failure('npm registry settings', error));
  }

  let docker: Awaited<ReturnType<typeof connectEngine>>['docker'] | undefined;
  try {
    const engine = await connectEngine();
    docker = engine.docker;
    results.push({ name: 'Docker engine', status: 'ok', detail: `${engine.address} (${engine.strategy}), engine ${engine.version}` });
  } catch (error) {
    results.push(failure('Docker engine', error));
  }

  let image: string | undefined;
  if (!docker) {
    results.push({ name: 'sandbox image', status: 'skip', detail: 'needs the Docker engine' });
  } else {
    try {
      const resolved = await resolveSandboxImage(docker, base);
      if (resolved.present) {
        image = resolved.tag;
        results.push({ name: 'sandbox image', status: 'ok', detail: `${resolved.tag} (base ${base})` });
      } else {
        results.push({ name: 'sandbox image', status: 'fail', detail: `${resolved.tag} is not built (base ${base} is present)`, hint: 'run `safe-install setup`' });
      }
    } catch (error) {
      results.push(failure('sandbox image', error));
    }
  }

  if (!docker || !image || !npm) {
    results.push({ name: 'strace in a container', status: 'skip', detail: 'needs the engine, the image and npm settings' });
  } else {
    try {
      results.push({ name: 'strace in a container', status: 'ok', detail: await probeTracer(docker, image) });
    } catch (error) {
      results.push(failure('strace in a container', error));
    }
  }
  return results;
}

export async function doctor(options: { base?: string | undefined; dir: string; json: boolean }): Promise<number> {
  const results = await runChecks(options);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } else {
    for (const result of results) {
      const mark = { ok: '✓', fail: '✗', skip: '-' }[result.status];
      process.stdout.write(`${mark} ${result.name}: ${result.detail}\n`);
      if (result.hint) process.stdout.write(`    fix: ${result.hint}\n`);
    }
  }
  return results.every((result) => result.status === 'ok') ? EXIT.pass : EXIT.infrastructure;
}
