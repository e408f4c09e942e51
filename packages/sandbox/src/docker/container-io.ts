/** Small helpers around dockerode streams: upload, download, and demultiplexed logs. */
import type { Readable } from 'node:stream';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';

/** Upload a tar stream into `dir` of a (possibly not yet started) container. */
export async function putArchive(container: Docker.Container, tar: Readable, dir: string): Promise<void> {
  const response = (await container.putArchive(tar as unknown as NodeJS.ReadableStream, { path: dir })) as unknown;
  // Read the response to the end: an unread response can keep the socket (and the process) alive.
  if (response && typeof (response as Readable).resume === 'function') {
    await new Promise<void>((resolve, reject) => {
      (response as Readable).on('end', resolve).on('error', reject).resume();
    });
  }
}

/** A tar stream of `path` inside a container; null when it does not exist. */
export async function getArchive(container: Docker.Container, path: string): Promise<Readable | null> {
  try {
    return (await container.getArchive({ path })) as unknown as Readable;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return null;
    throw error;
  }
}

/**
 * Follow a started container's stdout and stderr from its first line (logs are kept from the
 * start, so nothing is missed) and deliver them line by line. Resolves to a promise that settles
 * when the streams end. (Attaching before start would hang on some engines.)
 */
export async function followOutput(
  docker: Docker,
  container: Docker.Container,
  onLine: (line: string, stream: 'stdout' | 'stderr') => void,
): Promise<Promise<void>> {
  const raw = (await container.logs({ follow: true, stdout: true, stderr: true, since: 0 })) as unknown as Readable;
  const pipes = { stdout: new PassThrough(), stderr: new PassThrough() };
  for (const name of ['stdout', 'stderr'] as const) {
    let pending = '';
    pipes[name].on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine(line, name);
    });
    pipes[name].on('end', () => pending && onLine(pending, name));
  }
  docker.modem.demuxStream(raw as unknown as NodeJS.ReadableStream, pipes.stdout, pipes.stderr);
  return new Promise<void>((resolve) => {
    raw.on('end', resolve).on('close', resolve).on('error', () => resolve());
  }).then(() => {
    pipes.stdout.end();
    pipes.stderr.end();
  });
}
