/**
 * A tiny npm registry for tests, serving one scoped package and demanding a bearer token — the
 * stand-in for a private registry. It listens on Docker's bridge address so the gateway container
 * can reach it; nothing here talks to any other address.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';

export interface LocalRegistry {
  url: string;
  requests: Array<{ method: string; url: string; authorization: string | undefined }>;
  close(): Promise<void>;
}

async function tarball(name: string, version: string): Promise<Buffer> {
  const archive = pack();
  archive.entry({ name: 'package/package.json' }, JSON.stringify({ name, version, main: 'index.js' }));
  archive.entry({ name: 'package/index.js' }, 'module.exports = "from the private registry";\n');
  archive.finalize();
  const chunks: Buffer[] = [];
  const gzip = (archive as unknown as NodeJS.ReadableStream).pipe(createGzip());
  for await (const chunk of gzip) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startLocalRegistry(host: string, token: string, name = '@local/tiny', version = '1.0.0'): Promise<LocalRegistry> {
  const body = await tarball(name, version);
  const integrity = `sha512-${createHash('sha512').update(body).digest('base64')}`;
  const shasum = createHash('sha1').update(body).digest('hex');
  const requests: LocalRegistry['requests'] = [];
  let origin = '';
  const server: Server = createServer((request: IncomingMessage, response) => {
    requests.push({ method: request.method ?? '', url: request.url ?? '', authorization: request.headers.authorization });
    if (request.headers.authorization !== `Bearer ${token}`) {
      response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
      return;
    }
    const file = `${name.split('/')[1]}-${version}.tgz`;
    if (request.url?.endsWith(`/-/${file}`)) {
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
      return;
    }
    if (request.url === `/${name.replace('/', '%2f')}` || request.url === `/${name}`) {
      const tarballUrl = `${origin}/${name}/-/${file}`;
      // Publication times, as real registries give: Yarn 4.18 quarantines versions it cannot date (its minimal age gate).
      const published = '2020-01-01T00:00:00.000Z';
      const manifest = { name, 'dist-tags': { latest: version }, time: { created: published, modified: published, [version]: published }, versions: { [version]: { name, version, dist: { tarball: tarballUrl, integrity, shasum } } } };
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(manifest));
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  origin = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
