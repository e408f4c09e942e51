/**
 * Find and reach the Docker engine. Strategies are tried in order, each saying why it did not
 * apply, so `doctor` and error messages can tell the user exactly what was looked at.
 */
import { access, constants } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { SafeInstallError, sanitizeText } from '@safe-install/schema';

export interface EngineLocation {
  /** How it was found: `DOCKER_HOST`, `default socket`, `rootless socket`. */
  strategy: string;
  /** What the user would recognise: the DOCKER_HOST value or the socket path. */
  address: string;
  docker: Docker;
}

async function socketExists(path: string): Promise<boolean> {
  try {
    await access(path, constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The engine address schemes Docker's own clients take. */
const ENGINE_SCHEMES = ['unix:', 'tcp:', 'http:', 'https:', 'ssh:'];

/**
 * An engine address (`DOCKER_HOST`, `--docker-host`) as a URL, or a usage error that names where it
 * came from: one check for every place an address is given, before anything connects.
 */
export function parseEngineAddress(value: string, source = 'DOCKER_HOST'): URL {
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (url === null || !ENGINE_SCHEMES.includes(url.protocol)) {
    throw new SafeInstallError('DOCKER_HOST_INVALID', 'usage', `${source} ${sanitizeText(value, 200)}: not an engine address (unix:///path, tcp://host:port, ssh://user@host)`);
  }
  return url;
}

function fromDockerHost(value: string): Docker {
  const url = parseEngineAddress(value);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  if (url.protocol === 'ssh:') return new Docker({ host: url.hostname, port: Number(url.port || 22), protocol: 'ssh', username: url.username || undefined });
  const tls = url.protocol === 'https:' || process.env['DOCKER_TLS_VERIFY'] === '1';
  return new Docker({ host: url.hostname, port: Number(url.port || (tls ? 2376 : 2375)), protocol: tls ? 'https' : 'http' });
}

/** Locate the engine without talking to it. */
export async function locateEngine(env: NodeJS.ProcessEnv = process.env): Promise<EngineLocation> {
  const tried: string[] = [];
  const dockerHost = env['DOCKER_HOST'];
  if (dockerHost) return { strategy: 'DOCKER_HOST', address: dockerHost, docker: fromDockerHost(dockerHost) };
  tried.push('DOCKER_HOST is not set');

  const candidates: Array<[string, string]> = [['default socket', '/var/run/docker.sock']];
  if (env['XDG_RUNTIME_DIR']) candidates.push(['rootless socket', join(env['XDG_RUNTIME_DIR'], 'docker.sock')]);
  candidates.push(['Docker Desktop socket', join(homedir(), '.docker', 'run', 'docker.sock')]);
  for (const [strategy, path] of candidates) {
    if (await socketExists(path)) return { strategy, address: path, docker: new Docker({ socketPath: path }) };
    tried.push(`${strategy} ${path} does not exist or is not accessible`);
  }
  throw new SafeInstallError('DOCKER_UNAVAILABLE', 'infrastructure', `no Docker engine found (${tried.join('; ')})`, {
    hint: 'start a Docker engine (as root: bash scripts/setup-docker.sh) or set DOCKER_HOST',
  });
}

/** Locate the engine and make sure it answers. */
export async function connectEngine(env: NodeJS.ProcessEnv = process.env): Promise<EngineLocation & { version: string }> {
  const location = await locateEngine(env);
  try {
    const version = await location.docker.version();
    return { ...location, version: version.Version };
  } catch (error) {
    throw new SafeInstallError(
      'DOCKER_UNAVAILABLE',
      'infrastructure',
      `the Docker engine at ${location.address} (${location.strategy}) does not answer: ${(error as Error).message}`,
      { hint: 'start it (as root: bash scripts/setup-docker.sh) or point DOCKER_HOST at a running engine', cause: error },
    );
  }
}
