/** Small helpers around dockerode's archive streams: upload and download. */
import type { Readable } from 'node:stream';
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
