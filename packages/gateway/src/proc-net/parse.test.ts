import { readFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { findClientSocket, parseProcNet } from './parse.js';
import { socketInodeOf } from '../forwarder/identify.js';
import { rng } from '../test-support/fuzz.js';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0C38 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
   1: 0100007F:A1B2 0100007F:0C38 01 00000000:00000000 00:00000000 00000000  1000        0 5151 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:0C38 0100007F:A1B2 01 00000000:00000000 00:00000000 00000000     0        0 6161 1 0000000000000000 20 4 30 10 -1
   3: 0100007F:B000 0100007F:0C38 06 00000000:00000000 03:00000000 00000000     0        0 0 3 0000000000000000
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1
   1: 0000000000000000FFFF00000100007F:C350 0000000000000000FFFF00000100007F:0C38 01 00000000:00000000 00:00000000 00000000  1000        0 888 1
   2: B80D0120000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 999 1
`;

describe('parseProcNet', () => {
  test('IPv4 rows: addresses, ports, state, uid, inode', () => {
    expect(parseProcNet(TCP)).toEqual([
      { localAddress: '127.0.0.1', localPort: 3128, remoteAddress: '0.0.0.0', remotePort: 0, state: 10, uid: 0, inode: '4242' },
      { localAddress: '127.0.0.1', localPort: 0xa1b2, remoteAddress: '127.0.0.1', remotePort: 3128, state: 1, uid: 1000, inode: '5151' },
      { localAddress: '127.0.0.1', localPort: 3128, remoteAddress: '127.0.0.1', remotePort: 0xa1b2, state: 1, uid: 0, inode: '6161' },
      { localAddress: '127.0.0.1', localPort: 0xb000, remoteAddress: '127.0.0.1', remotePort: 3128, state: 6, uid: 0, inode: '0' },
    ]);
  });

  test('IPv6 rows, v4-mapped shown as IPv4', () => {
    expect(parseProcNet(TCP6).map((row) => [row.localAddress, row.localPort, row.remoteAddress])).toEqual([
      ['::1', 8080, '::'],
      ['127.0.0.1', 50000, '127.0.0.1'],
      ['2001:db8::1', 80, '::'],
    ]);
  });

  test('garbage, truncated and hostile lines are skipped', () => {
    const hostile = [
      'sl local rem',
      '   0: 0100007F:0C38',
      '   0: ZZZZZZZZ:0C38 00000000:0000 0A 0:0 0:0 0 0 0 1',
      '   0: 0100007F:0C38 00000000:0000 0A 0:0 0:0 0 -1 0 1',
      '   0: 0100007F:0C38 00000000:0000 0A 0:0 0:0 0 0 0 1e5',
      `   0: 0100007F:0C38 00000000:0000 0A 0:0 0:0 0 0 0 ${'9'.repeat(30)}`,
      'x'.repeat(100000),
      '\u0000\u0000',
    ].join('\n');
    expect(parseProcNet(hostile)).toEqual([]);
  });

  test('random noise never throws', () => {
    const random = rng(21);
    for (let round = 0; round < 3000; round++) {
      const chars = Array.from({ length: 200 }, () => ' 0123456789ABCDEF:\n'[Math.floor(random() * 19)]).join('');
      parseProcNet(TCP.slice(0, Math.floor(random() * TCP.length)) + chars);
    }
  });
});

describe('findClientSocket', () => {
  test('picks the client end, not the forwarder end or a TIME_WAIT row', () => {
    const rows = parseProcNet(TCP);
    expect(findClientSocket(rows, { clientPort: 0xa1b2, servicePort: 3128 })).toBe('5151');
    expect(findClientSocket(rows, { clientPort: 0xb000, servicePort: 3128 })).toBeNull();
    expect(findClientSocket(rows, { clientPort: 1, servicePort: 3128 })).toBeNull();
  });

  test('an unconnected UDP socket (remote port 0) is the fallback', () => {
    const udp = parseProcNet('  sl\n  10: 0100007F:D431 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 31337 2\n');
    expect(findClientSocket(udp, { clientPort: 0xd431, servicePort: 53 })).toBe('31337');
  });

  test('live: a loopback connection in this process is found in /proc/net/tcp', async () => {
    if (!readFileSync('/proc/net/tcp', 'utf8').includes('local_address')) throw new Error('/proc/net/tcp unreadable');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const client = connect({ host: '127.0.0.1', port });
    await new Promise((resolve) => client.once('connect', resolve));
    const inode = await socketInodeOf({ protocol: 'tcp', localPort: port, remotePort: client.localPort as number, remoteAddress: '127.0.0.1', localAddress: '127.0.0.1' });
    expect(inode).toMatch(/^\d+$/);
    client.destroy();
    server.close();
  });
});
