import { DnsFrameSplitter, frameDnsMessage } from './framing.js';
import { DNS_RCODE, DNS_TYPE, buildDnsErrorResponse, buildDnsQuery, buildDnsResponse, encodeDnsName, parseDnsAnswers, parseDnsQuery, qtypeName } from './message.js';
import { mutateMany, rng } from '../test-support/fuzz.js';

function header(id: number, flags: number, qdcount: number): Buffer {
  const bytes = Buffer.alloc(12);
  bytes.writeUInt16BE(id, 0);
  bytes.writeUInt16BE(flags, 2);
  bytes.writeUInt16BE(qdcount, 4);
  return bytes;
}

const typeClass = Buffer.from([0, 1, 0, 1]);

describe('parseDnsQuery', () => {
  test('reads a standard query', () => {
    const parsed = parseDnsQuery(buildDnsQuery(0x1234, 'abc.exfil.invalid', DNS_TYPE.A));
    expect(parsed).toEqual({
      ok: true,
      query: { id: 0x1234, flags: 0x0100, opcode: 0, isResponse: false, recursionDesired: true, questions: [{ name: 'abc.exfil.invalid', labels: ['abc', 'exfil', 'invalid'], qtype: 1, qclass: 1 }] },
    });
  });

  test('escapes non-printable and special octets in the presentation name, keeps raw labels', () => {
    const name = Buffer.concat([header(1, 0, 1), Buffer.from([4, 0x00, 0x2e, 0x5c, 0xff, 1, 0x41, 0]), typeClass]);
    const parsed = parseDnsQuery(name);
    expect(parsed.ok && parsed.query.questions[0]).toEqual({ name: '\\000\\.\\\\\\255.A', labels: ['\u0000.\\\u00ff', 'A'], qtype: 1, qclass: 1 });
  });

  test('follows a backward compression pointer', () => {
    // question 1: a.b ; question 2: x + pointer to "b" at offset 14
    const message = Buffer.concat([header(2, 0, 2), Buffer.from([1, 0x61, 1, 0x62, 0]), typeClass, Buffer.from([1, 0x78, 0xc0, 14]), typeClass]);
    const parsed = parseDnsQuery(message);
    expect(parsed.ok && parsed.query.questions.map((question) => question.name)).toEqual(['a.b', 'x.b']);
  });

  test.each([
    ['a pointer to itself', Buffer.concat([header(3, 0, 1), Buffer.from([0xc0, 12]), typeClass])],
    ['a pointer forwards', Buffer.concat([header(3, 0, 1), Buffer.from([0xc0, 20]), typeClass, Buffer.alloc(10)])],
    ['two pointers in a loop', Buffer.concat([header(3, 0, 1), Buffer.from([1, 0x61, 0xc0, 16, 1, 0x62, 0xc0, 12]), typeClass])],
    ['a truncated pointer', Buffer.concat([header(3, 0, 1), Buffer.from([0xc0])])],
    ['a label longer than 63', Buffer.concat([header(3, 0, 1), Buffer.from([64]), Buffer.alloc(64, 0x61), Buffer.from([0]), typeClass])],
    ['the extended label type', Buffer.concat([header(3, 0, 1), Buffer.from([0x41, 0]), typeClass])],
    ['a label past the end', Buffer.concat([header(3, 0, 1), Buffer.from([10, 0x61])])],
    ['a missing type and class', Buffer.concat([header(3, 0, 1), Buffer.from([1, 0x61, 0, 0])])],
    ['a count that cannot fit', Buffer.concat([header(3, 0, 0xffff), Buffer.from([0]), typeClass])],
    ['no question', header(3, 0, 0)],
  ])('refuses %s without throwing', (_, message) => {
    const parsed = parseDnsQuery(message);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.id).toBe(3);
  });

  test('refuses a name longer than 255 octets, even built from pointers', () => {
    // 5 labels of 63 octets = 320 octets
    const labels = Buffer.concat(Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x61)])));
    expect(parseDnsQuery(Buffer.concat([header(4, 0, 1), labels, Buffer.from([0]), typeClass])).ok).toBe(false);
  });

  test('a message shorter than a header', () => {
    expect(parseDnsQuery(Buffer.from([1]))).toEqual({ ok: false, reason: 'shorter than a DNS header' });
    expect(parseDnsQuery(Buffer.from([0, 9, 1]))).toMatchObject({ ok: false, id: 9 });
  });

  test('random mutations of real queries never throw and stay bounded', () => {
    const random = rng(5);
    const seeds = [buildDnsQuery(1, 'a.b.c.example', DNS_TYPE.A), buildDnsQuery(2, `${'ab'.repeat(30)}.${'cd'.repeat(30)}.exfil.invalid`, DNS_TYPE.TXT), Buffer.concat([header(2, 0, 2), Buffer.from([1, 0x61, 1, 0x62, 0]), typeClass, Buffer.from([1, 0x78, 0xc0, 14]), typeClass])];
    const started = Date.now();
    for (let round = 0; round < 20000; round++) {
      const input = mutateMany(seeds[round % seeds.length] as Buffer, random, 1 + (round % 4));
      const parsed = parseDnsQuery(input);
      if (parsed.ok) {
        for (const question of parsed.query.questions) {
          expect(question.labels.join('').length).toBeLessThanOrEqual(255);
          // Whatever parses can be answered.
          expect(() => buildDnsResponse(parsed.query, 0)).not.toThrow();
        }
      }
    }
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('responses', () => {
  test('an A answer points at the given address, with the question echoed', () => {
    const parsed = parseDnsQuery(buildDnsQuery(77, 'collect.test', DNS_TYPE.A));
    if (!parsed.ok) throw new Error('parse');
    const response = buildDnsResponse(parsed.query, DNS_RCODE.NOERROR, [{ type: DNS_TYPE.A, ttl: 60, data: Uint8Array.from([127, 10, 0, 1]) }]);
    expect(response.readUInt16BE(0)).toBe(77);
    expect(response.readUInt16BE(2) & 0x8000).toBe(0x8000);
    expect(parseDnsAnswers(response)).toEqual({ rcode: 0, answers: [{ type: 1, data: Buffer.from([127, 10, 0, 1]) }] });
    const echoed = parseDnsQuery(response);
    expect(echoed.ok && echoed.query.questions[0]?.name).toBe('collect.test');
  });

  test('an error response is a bare header with the rcode', () => {
    const response = buildDnsErrorResponse(5, 0x0100, DNS_RCODE.FORMERR);
    expect(response.length).toBe(12);
    expect(response.readUInt16BE(2)).toBe(0x8000 | 0x0100 | 0x0080 | 1);
  });

  test('names: labels over 63 octets or names over 255 cannot be encoded', () => {
    expect(() => encodeDnsName(['a'.repeat(64)])).toThrow(RangeError);
    expect(() => encodeDnsName(Array.from({ length: 5 }, () => 'a'.repeat(60)))).toThrow(RangeError);
  });

  test('type names', () => {
    expect([1, 28, 16, 65, 999].map(qtypeName)).toEqual(['A', 'AAAA', 'TXT', 'HTTPS', 'TYPE999']);
  });
});

describe('framing', () => {
  test('splits frames across arbitrary chunk boundaries', () => {
    const messages = [Buffer.from('first'), Buffer.alloc(0), Buffer.alloc(700, 7)];
    const stream = Buffer.concat(messages.map(frameDnsMessage));
    for (const size of [1, 2, 3, 100, stream.length]) {
      const splitter = new DnsFrameSplitter();
      const out: Buffer[] = [];
      for (let offset = 0; offset < stream.length; offset += size) out.push(...splitter.push(stream.subarray(offset, offset + size)));
      expect(out).toEqual(messages);
      expect(splitter.pendingBytes).toBe(0);
    }
  });

  test('a lying length holds at most one partial frame', () => {
    const splitter = new DnsFrameSplitter();
    expect(splitter.push(Buffer.from([0xff, 0xff, 1, 2, 3]))).toEqual([]);
    expect(splitter.pendingBytes).toBe(5);
    expect(() => frameDnsMessage(Buffer.alloc(70000))).toThrow(RangeError);
  });
});
