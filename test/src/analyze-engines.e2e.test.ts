/**
 * `analyze` across two engines, and in OpenSSF package-analysis' format: a batch of small real
 * registry packages with `--docker-host` given twice — the local socket, and the same engine
 * behind a TCP relay on loopback that this test starts (Docker's own tcp:// transport, no agent) —
 * spreads over both; each result, printed with `--format ossf`, validates against the schema in
 * the repository.
 */
import { createServer, connect, type Server } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { locateEngine } from '@safe-install/sandbox';
import { OSSF_DYNAMIC_ANALYSIS_SCHEMA, type OssfDynamicAnalysisRecord } from '@safe-install/schema';
import { describeWithEngine, runCli } from './engine.js';

const PACKAGES = ['left-pad@1.3.0', 'is-number@7.0.0', 'ms@2.1.3', 'once@1.4.0'];

/** A TCP listener on loopback that relays every connection to the engine's unix socket; counts them. */
async function relayTo(socketPath: string): Promise<{ server: Server; port: number; connections: () => number }> {
  let connections = 0;
  // Half-open both ways: a `docker exec` client ends its stdin (the upload) and then reads the output.
  const server = createServer({ allowHalfOpen: true }, (client) => {
    connections += 1;
    const engine = connect({ path: socketPath, allowHalfOpen: true });
    client.pipe(engine).pipe(client);
    const end = () => {
      client.destroy();
      engine.destroy();
    };
    client.on('error', end).on('close', end);
    engine.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port, connections: () => connections };
}

await describeWithEngine('safe-install analyze on two engines, in the OpenSSF format', () => {
  let work: string;
  let relay: Awaited<ReturnType<typeof relayTo>>;
  let batch: Awaited<ReturnType<typeof runCli>>;
  let local = '';

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'safe-install-analyze-engines-'));
    const location = await locateEngine();
    // The relay needs the engine's socket; an engine reached over TCP already is relayed by address.
    if (location.strategy === 'DOCKER_HOST' && !location.address.startsWith('unix://')) throw new Error(`this test relays a unix socket; DOCKER_HOST is ${location.address}`);
    const socketPath = location.strategy === 'DOCKER_HOST' ? new URL(location.address).pathname : location.address;
    local = `unix://${socketPath}`;
    relay = await relayTo(socketPath);
    const env = { ...process.env } as Record<string, string>;
    delete env['DOCKER_HOST'];
    batch = await runCli(['analyze', ...PACKAGES, '--docker-host', local, '--docker-host', `tcp://127.0.0.1:${relay.port}`, '--concurrency', '1', '--format', 'ossf', '--window-seconds', '2', '--out', join(work, 'out')], { env });
  }, 15 * 60_000);
  afterAll(async () => {
    relay?.server.close();
    await rm(work, { recursive: true, force: true });
  });

  it('analyses every package and spreads them over both engines', () => {
    expect(batch.exitCode).toBe(0);
    expect(String(batch.stderr)).toMatch(/\[4\/4\]/);
    const on = (engine: string) => String(batch.stderr).split('\n').filter((line) => line.includes(`risk none`) && line.includes(` on ${engine}`)).length;
    const viaRelay = on(`tcp://127.0.0.1:${relay.port}`);
    const viaSocket = on(local);
    expect(viaRelay + viaSocket).toBe(PACKAGES.length);
    expect(viaRelay).toBeGreaterThan(0);
    expect(viaSocket).toBeGreaterThan(0);
    // The second engine was really talked to over TCP.
    expect(relay.connections()).toBeGreaterThan(0);
  });

  it('prints each analysis as an OpenSSF dynamic-analysis record that validates against the schema', () => {
    const validate = new Ajv2020({ strict: true, allErrors: true }).compile(OSSF_DYNAMIC_ANALYSIS_SCHEMA);
    const records: OssfDynamicAnalysisRecord[] = String(batch.stdout).split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as OssfDynamicAnalysisRecord);
    expect(records.map((record) => `${record.Package.Name}@${record.Package.Version}`).sort()).toEqual([...PACKAGES].sort());
    for (const record of records) {
      expect(validate(record)).toBe(true);
      expect(record.Package.Ecosystem).toBe('npm');
      expect(Object.keys(record.Analysis)).toEqual(['install', 'import']);
      expect(record.Analysis.install!.Status).toBe('completed');
      expect(record.Analysis.import!.Status).toBe('completed');
      // The import phase ran node on the package: its command is there.
      expect(record.Analysis.import!.Commands.some((command) => command.Command[0]?.endsWith('node'))).toBe(true);
    }
  });
});
