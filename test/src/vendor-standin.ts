/**
 * A local stand-in for a vendor's download host, for the benign `vendor-download` corpus project
 * (bcrypt 5, whose install runs node-pre-gyp: download a prebuilt binary from the release host,
 * build from source only if that fails).
 *
 * These machines reach only the package registry, so the release host cannot be used. Instead:
 *
 * 1. the binary is built once from bcrypt's registry tarball, in the sandbox image with
 *    `--network none` (cached under the temp folder), and packed the way node-pre-gyp expects;
 * 2. a small HTTP server (the sandbox image's node) serves it from a container on Docker's default
 *    bridge — the network the gateway container is on;
 * 3. the project's `.npmrc` (`bcrypt_binary_host_mirror`) and its policy (`network:`) name the
 *    placeholder `vendor-standin.invalid:8080`, which this setup replaces with the stand-in's
 *    address. The gateway has no way to map a name to a test address (its `hostsOverride` is not
 *    reachable from the CLI), so the address is an IP literal.
 *
 * Nothing here talks to anything but the registry (npm pack) and containers this setup starts.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { DEFAULT_BASE_IMAGE, connectEngine, resolveSandboxImage } from '@safe-install/sandbox';

export const PLACEHOLDER = 'vendor-standin.invalid:8080';
const BCRYPT = '5.1.1';
const ASSET = `bcrypt_lib-v${BCRYPT}-napi-v3-linux-x64-glibc.tar.gz`;

const SERVER = `
const http = require('http'), fs = require('fs'), path = require('path');
http.createServer((req, res) => {
  const file = path.join('/srv', path.basename(decodeURIComponent(req.url.split('?')[0])));
  console.log(req.method + ' ' + req.url);
  if (!file.endsWith('.tar.gz') || !fs.existsSync(file)) { res.writeHead(404); res.end(); return; }
  res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': fs.statSync(file).size });
  fs.createReadStream(file).pipe(res);
}).listen(8080, () => console.log('ready'));
`;

async function sandboxImage(): Promise<string> {
  const engine = await connectEngine();
  return (await resolveSandboxImage(engine.docker, DEFAULT_BASE_IMAGE)).tag;
}

/** Build (once) the prebuilt-binary tarball bcrypt's install would download. */
async function buildAsset(image: string, project: string): Promise<string> {
  const dir = join(tmpdir(), 'safe-install-corpus-vendor', `bcrypt-${BCRYPT}`);
  if (existsSync(join(dir, ASSET))) return dir;
  const src = join(dir, 'src');
  await mkdir(src, { recursive: true });
  const lock = JSON.parse(await readFile(join(project, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
  const addonApi = lock.packages['node_modules/node-addon-api']?.version;
  if (addonApi === undefined) throw new Error('vendor-download: node-addon-api is not in the lockfile');
  if ((await readdir(src)).length < 2) await execa('npm', ['pack', `bcrypt@${BCRYPT}`, `node-addon-api@${addonApi}`, '--pack-destination', src], { cwd: src });
  const script = [
    'set -e',
    'cd /tmp',
    `tar xzf /w/src/bcrypt-${BCRYPT}.tgz`,
    'mkdir -p package/node_modules/node-addon-api',
    `tar xzf /w/src/node-addon-api-${addonApi}.tgz -C package/node_modules/node-addon-api --strip-components=1`,
    'cd package',
    'node /usr/local/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js rebuild --nodedir=/usr/local --module_name=bcrypt_lib --module_path=/tmp/out/napi-v3 --napi_build_version=3 > /tmp/build.log 2>&1 || { cat /tmp/build.log; exit 1; }',
    'test -f /tmp/out/napi-v3/bcrypt_lib.node',
    `tar czf /w/${ASSET}.tmp -C /tmp/out napi-v3`,
    `mv /w/${ASSET}.tmp /w/${ASSET}`,
  ].join('\n');
  await execa('docker', ['run', '--rm', '--network', 'none', '-v', `${dir}:/w`, '--entrypoint', 'sh', image, '-c', script]);
  return dir;
}

/** Start the stand-in, point the project at it; returns the teardown. */
export async function vendorStandin(project: string): Promise<() => Promise<void>> {
  const image = await sandboxImage();
  const assets = await buildAsset(image, project);
  const name = `safe-install-corpus-vendor-${process.pid}-${Date.now().toString(36)}`;
  const started = await execa('docker', ['run', '-d', '--rm', '--name', name, '--label', 'safe-install-corpus=vendor-standin', '--network', 'bridge', '-v', `${assets}:/srv:ro`, '--entrypoint', 'node', image, '-e', SERVER]);
  const id = started.stdout.trim();
  const stop = async (): Promise<void> => {
    await execa('docker', ['rm', '-f', id], { reject: false });
  };
  try {
    const ip = (await execa('docker', ['inspect', '-f', '{{.NetworkSettings.IPAddress}}', id])).stdout.trim();
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) throw new Error(`vendor stand-in has no bridge address (${ip})`);
    for (let i = 0; i < 50; i++) {
      if ((await execa('docker', ['logs', id], { reject: false })).stdout.includes('ready')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const file of ['.npmrc', 'safe-install.config.yaml']) {
      const path = join(project, file);
      if (!existsSync(path)) continue;
      await writeFile(path, (await readFile(path, 'utf8')).split(PLACEHOLDER).join(`${ip}:8080`));
    }
    return async () => {
      // Keep what the stand-in served next to the run's output: it shows the download happened.
      const logs = await execa('docker', ['logs', id], { reject: false });
      await writeFile(join(project, '.corpus', 'vendor-standin.log'), `${logs.stdout}\n${logs.stderr}`).catch(() => {});
      await stop();
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
