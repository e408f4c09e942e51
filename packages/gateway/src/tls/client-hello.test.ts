import { connect } from 'node:tls';
import { createServer, type AddressInfo } from 'node:net';
import { parseClientHello } from './client-hello.js';
import { mutateMany, rng } from '../test-support/fuzz.js';

/** A real ClientHello, as Node's TLS client writes it. */
async function captureHello(servername: string | undefined, alpn?: string[]): Promise<Buffer> {
  return new Promise((resolve) => {
    const server = createServer((socket) => {
      let data = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        data = Buffer.concat([data, chunk]);
        if (parseClientHello(data).status !== 'need-more') {
          socket.destroy();
          server.close();
          resolve(data);
        }
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const client = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, ...(servername ? { servername } : {}), ...(alpn ? { ALPNProtocols: alpn } : {}), rejectUnauthorized: false });
      client.on('error', () => undefined);
    });
  });
}

/** Re-cuts a hello's handshake message into records of `size` bytes. */
function fragment(hello: Buffer, size: number): Buffer {
  const body = hello.subarray(5, 5 + hello.readUInt16BE(3));
  const records: Buffer[] = [];
  for (let offset = 0; offset < body.length; offset += size) {
    const part = body.subarray(offset, offset + size);
    records.push(Buffer.from([0x16, 3, 1, part.length >> 8, part.length & 0xff]), part);
  }
  return Buffer.concat(records);
}

let hello: Buffer;
beforeAll(async () => {
  hello = await captureHello('Registry.Example.test', ['h2', 'http/1.1']);
});

describe('parseClientHello', () => {
  test('finds the server name (lower-cased) and ALPN in a real hello', () => {
    expect(parseClientHello(hello)).toEqual({ status: 'ok', serverName: 'registry.example.test', alpn: ['h2', 'http/1.1'], bytes: hello.length });
  });

  test('no SNI: ok without a name', async () => {
    const bare = await captureHello(undefined);
    const parsed = parseClientHello(bare);
    expect(parsed.status).toBe('ok');
    expect(parsed.status === 'ok' && parsed.serverName).toBeUndefined();
  });

  test('every proper prefix asks for more', () => {
    for (let length = 1; length < hello.length; length += 7) expect(parseClientHello(hello.subarray(0, length)).status).toBe('need-more');
  });

  test('a hello split over many records is reassembled', () => {
    for (const size of [1, 5, 64, 300]) expect(parseClientHello(fragment(hello, size))).toMatchObject({ status: 'ok', serverName: 'registry.example.test' });
  });

  test('not TLS', () => {
    expect(parseClientHello(Buffer.from('GET / HTTP/1.1\r\n'))).toEqual({ status: 'not-tls' });
    expect(parseClientHello(Buffer.from([0x16, 0x02, 0, 0, 1]))).toEqual({ status: 'not-tls' });
  });

  test('a record type change in the middle of a hello is invalid', () => {
    const split = fragment(hello, 64);
    split[69] = 0x17; // the second record's type
    expect(parseClientHello(split)).toMatchObject({ status: 'invalid' });
  });

  test('a hello claiming more than the limit is refused early', () => {
    const huge = Buffer.from([0x16, 3, 1, 0x40, 0x00, 1, 0xff, 0xff, 0xff]);
    expect(parseClientHello(huge)).toMatchObject({ status: 'invalid' });
  });

  test('a server name with bad characters is invalid, not truncated', () => {
    const index = hello.indexOf(Buffer.from('Registry'));
    const bad = Buffer.from(hello);
    bad[index] = 0x00;
    expect(parseClientHello(bad)).toEqual({ status: 'invalid', reason: 'server name is not a host name' });
  });

  test('random mutations never throw and finish quickly', () => {
    const random = rng(11);
    const started = Date.now();
    const seen = new Set<string>();
    for (let round = 0; round < 5000; round++) {
      const input = mutateMany(round % 2 ? hello : fragment(hello, 50), random, 1 + (round % 3));
      const parsed = parseClientHello(input);
      seen.add(parsed.status);
      if (parsed.status === 'ok' && parsed.serverName !== undefined) expect(parsed.serverName).toMatch(/^[a-z0-9._-]+$/);
    }
    expect(seen.has('invalid')).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
