import { ChunkedDecoder } from './chunked.js';
import { findHeadEnd, headerRecord, headerValue, keepsAlive, parseAuthority, parseRequestHead, parseRequestTarget, requestBodyFraming, type RequestHead } from './request-head.js';
import { isTlsRegistry, registryAliasesFor, routeRequest, selfAuthoritiesFor } from './route.js';
import { withoutConfiguredToken } from '../gateway/http-session.js';
import { mutateMany, rng } from '../test-support/fuzz.js';

const head = (text: string): RequestHead => {
  const parsed = parseRequestHead(Buffer.from(text, 'latin1'));
  if (parsed.status !== 'ok') throw new Error(`not ok: ${JSON.stringify(parsed)}`);
  return parsed.head;
};

describe('parseRequestHead', () => {
  test('a request with headers; consumed stops at the empty line', () => {
    const text = 'POST /x?y=1 HTTP/1.1\r\nHost: collect.test\r\nContent-Length: 3\r\nX-A:  spaced  \r\n\r\nabc';
    const parsed = parseRequestHead(Buffer.from(text));
    expect(parsed).toEqual({
      status: 'ok',
      consumed: text.length - 3,
      head: { method: 'POST', target: '/x?y=1', version: '1.1', headers: [['Host', 'collect.test'], ['Content-Length', '3'], ['X-A', 'spaced']] },
    });
  });

  test('bare LF line endings and leading empty lines are accepted', () => {
    expect(parseRequestHead(Buffer.from('\r\n\nGET / HTTP/1.0\nHost: a\n\n'))).toMatchObject({ status: 'ok', head: { method: 'GET', version: '1.0' } });
  });

  test('incomplete heads ask for more; too long ones are refused', () => {
    expect(parseRequestHead(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n'))).toEqual({ status: 'need-more' });
    expect(parseRequestHead(Buffer.from(`GET / HTTP/1.1\r\nX: ${'a'.repeat(100)}`), 50)).toEqual({ status: 'too-large' });
  });

  test.each([
    ['obs-fold', 'GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n'],
    ['a bare CR', 'GET / HTTP/1.1\r\nA: b\rc\r\n\r\n'],
    ['NUL in a value', 'GET / HTTP/1.1\r\nA: b\u0000\r\n\r\n'],
    ['space before the colon', 'GET / HTTP/1.1\r\nHost : a\r\n\r\n'],
    ['HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\n'],
    ['two spaces', 'GET  / HTTP/1.1\r\n\r\n'],
    ['a method with a slash', 'G/T / HTTP/1.1\r\n\r\n'],
    ['a target with a control char', 'GET /\u0001 HTTP/1.1\r\n\r\n'],
  ])('%s is invalid', (_, text) => {
    expect(parseRequestHead(Buffer.from(text, 'latin1')).status).toBe('invalid');
  });

  test('findHeadEnd resumes from an offset', () => {
    const bytes = Buffer.from('GET / HTTP/1.1\r\nA: b\r\n\r\nrest');
    expect(findHeadEnd(bytes)).toBe(bytes.length - 4);
    expect(findHeadEnd(bytes, 10)).toBe(bytes.length - 4);
    expect(findHeadEnd(Buffer.from('abc\r\n'))).toBe(-1);
  });

  test('random mutations never throw', () => {
    const random = rng(3);
    const seed = Buffer.from('POST http://collect.test:8080/a?b=c HTTP/1.1\r\nHost: collect.test\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n');
    for (let round = 0; round < 20000; round++) {
      const parsed = parseRequestHead(mutateMany(seed, random, 1 + (round % 5)));
      if (parsed.status === 'ok') {
        expect(parsed.head.headers.every(([name, value]) => !/[\r\n]/.test(name + value))).toBe(true);
        requestBodyFraming(parsed.head);
        keepsAlive(parsed.head);
        routeRequest({ kind: 'sink', servicePort: 80, head: parsed.head, selfAuthorities: new Set() });
      }
    }
  });
});

describe('body framing', () => {
  test.each([
    ['GET / HTTP/1.1\r\n\r\n', { type: 'none' }],
    ['POST / HTTP/1.1\r\nContent-Length: 12\r\n\r\n', { type: 'length', length: 12 }],
    ['POST / HTTP/1.1\r\nContent-Length: 12\r\nContent-Length: 12\r\n\r\n', { type: 'length', length: 12 }],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n', { type: 'chunked' }],
    ['POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', { type: 'invalid', reason: 'conflicting Content-Length' }],
    ['POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n', { type: 'invalid', reason: 'bad Content-Length' }],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n', { type: 'invalid', reason: 'both Transfer-Encoding and Content-Length' }],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n', { type: 'invalid', reason: 'transfer coding other than chunked' }],
    ['POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n', { type: 'invalid', reason: 'Transfer-Encoding in HTTP/1.0' }],
  ])('%j', (text, framing) => {
    expect(requestBodyFraming(head(text))).toEqual(framing);
  });

  test('keep-alive defaults by version', () => {
    expect(keepsAlive(head('GET / HTTP/1.1\r\n\r\n'))).toBe(true);
    expect(keepsAlive(head('GET / HTTP/1.1\r\nConnection: Close\r\n\r\n'))).toBe(false);
    expect(keepsAlive(head('GET / HTTP/1.0\r\n\r\n'))).toBe(false);
    expect(keepsAlive(head('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n'))).toBe(true);
  });

  test('header helpers join repeats', () => {
    const parsed = head('GET / HTTP/1.1\r\nX-A: 1\r\nx-a: 2\r\n\r\n');
    expect(headerValue(parsed, 'X-a')).toBe('1, 2');
    expect(headerRecord(parsed)).toEqual({ 'x-a': '1, 2' });
  });
});

describe('targets and authorities', () => {
  test.each([
    ['GET', '/r/0/x', { form: 'origin', path: '/r/0/x' }],
    ['GET', 'http://Collect.Test/a', { form: 'absolute', scheme: 'http', host: 'collect.test', port: 80, path: '/a' }],
    ['GET', 'http://a.test:8080', { form: 'absolute', scheme: 'http', host: 'a.test', port: 8080, path: '/' }],
    ['GET', 'http://a.test?x', { form: 'absolute', scheme: 'http', host: 'a.test', port: 80, path: '/?x' }],
    ['CONNECT', 'evil.test:443', { form: 'authority', host: 'evil.test', port: 443 }],
    ['CONNECT', '[2001:db8::1]:443', { form: 'authority', host: '2001:db8::1', port: 443 }],
    ['CONNECT', 'evil.test', { form: 'invalid', reason: 'CONNECT needs host:port' }],
    ['GET', 'http://user@a.test/', { form: 'invalid', reason: 'bad authority' }],
    ['GET', 'ftp://a.test/', { form: 'invalid', reason: 'unsupported scheme ftp' }],
    ['OPTIONS', '*', { form: 'asterisk' }],
  ])('%s %s', (method, target, expected) => {
    expect(parseRequestTarget(method, target)).toEqual(expected);
  });

  test.each(['a.test:0', 'a.test:65536', 'a.test:x', '', 'a b', '::1', '[::1', 'a.test:80:80'])('authority %j is malformed', (authority) => {
    expect(parseAuthority(authority, 80)).toBeNull();
  });
});

describe('routeRequest', () => {
  const self = selfAuthoritiesFor('http://127.0.0.1:3128');
  test('origin-form on the proxy port is a registry request', () => {
    expect(routeRequest({ kind: 'proxy', servicePort: 3128, head: head('GET /r/0/x HTTP/1.1\r\n\r\n'), selfAuthorities: self })).toEqual({ type: 'registry', path: '/r/0/x' });
  });
  test('absolute-form to the proxy itself (localhost too) is a registry request', () => {
    expect(routeRequest({ kind: 'proxy', servicePort: 3128, head: head('GET http://localhost:3128/r/0/x HTTP/1.1\r\n\r\n'), selfAuthorities: self })).toEqual({ type: 'registry', path: '/r/0/x' });
  });
  test('absolute-form elsewhere is egress; https absolute-form is refused', () => {
    expect(routeRequest({ kind: 'proxy', servicePort: 3128, head: head('GET http://a.test/p HTTP/1.1\r\n\r\n'), selfAuthorities: self })).toEqual({ type: 'egress', host: 'a.test', port: 80, path: '/p' });
    expect(routeRequest({ kind: 'proxy', servicePort: 3128, head: head('GET https://a.test/p HTTP/1.1\r\n\r\n'), selfAuthorities: self }).type).toBe('invalid');
  });
  test('on the sink, the Host header decides; two Hosts are refused', () => {
    expect(routeRequest({ kind: 'sink', servicePort: 80, head: head('POST / HTTP/1.1\r\nHost: collect.test\r\n\r\n'), selfAuthorities: self })).toEqual({ type: 'egress', host: 'collect.test', port: 80, path: '/' });
    expect(routeRequest({ kind: 'sink', servicePort: 80, head: head('POST / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n'), selfAuthorities: self }).type).toBe('invalid');
    expect(routeRequest({ kind: 'sink', servicePort: 80, head: head('POST / HTTP/1.1\r\n\r\n'), selfAuthorities: self })).toEqual({ type: 'invalid', reason: 'no Host header' });
  });
  test('CONNECT is a tunnel request', () => {
    expect(routeRequest({ kind: 'proxy', servicePort: 3128, head: head('CONNECT a.test:22 HTTP/1.1\r\n\r\n'), selfAuthorities: self })).toEqual({ type: 'connect', host: 'a.test', port: 22 });
  });

  describe('a registry the sandbox knows by its own host and path (advertised)', () => {
    const registryAliases = registryAliasesFor([
      { prefix: '/r/0/', advertised: 'http://registry.example/' },
      { prefix: '/r/1/', advertised: 'http://corp.example:8080/api/npm/' },
      { prefix: '/r/2/' },
    ]);
    const route = (kind: 'proxy' | 'sink', text: string, servicePort = kind === 'proxy' ? 3128 : 80) =>
      routeRequest({ kind, servicePort, head: head(text), selfAuthorities: self, registryAliases });

    test('absolute-form through the proxy goes to its registry prefix, the longest path first', () => {
      expect(route('proxy', 'GET http://registry.example/express HTTP/1.1\r\n\r\n')).toEqual({ type: 'registry', path: '/r/0/express' });
      expect(route('proxy', 'GET http://REGISTRY.example:80/@s%2fx HTTP/1.1\r\n\r\n')).toEqual({ type: 'registry', path: '/r/0/@s%2fx' });
      expect(route('proxy', 'GET http://corp.example:8080/api/npm/x/-/x-1.tgz HTTP/1.1\r\n\r\n')).toEqual({ type: 'registry', path: '/r/1/x/-/x-1.tgz' });
      // The registry's API stays a registry request, refused there with the rest of its rules.
      expect(route('proxy', 'GET http://registry.example/-/whoami HTTP/1.1\r\n\r\n')).toEqual({ type: 'registry', path: '/r/0/-/whoami' });
    });

    test('a client that ignores the proxy reaches it through the sink by its Host', () => {
      expect(route('sink', 'GET /express HTTP/1.1\r\nHost: registry.example\r\n\r\n')).toEqual({ type: 'registry', path: '/r/0/express' });
    });

    test('another port, another path or another host is not the registry: egress, as before', () => {
      expect(route('proxy', 'GET http://registry.example:8080/express HTTP/1.1\r\n\r\n')).toEqual({ type: 'egress', host: 'registry.example', port: 8080, path: '/express' });
      expect(route('proxy', 'GET http://corp.example:8080/other/x HTTP/1.1\r\n\r\n')).toEqual({ type: 'egress', host: 'corp.example', port: 8080, path: '/other/x' });
      expect(route('proxy', 'GET http://registry.example.evil.test/x HTTP/1.1\r\n\r\n').type).toBe('egress');
      expect(route('sink', 'GET /x HTTP/1.1\r\nHost: registry.example:81\r\n\r\n').type).toBe('egress');
      expect(route('proxy', 'GET https://registry.example/x HTTP/1.1\r\n\r\n').type).toBe('invalid');
    });
  });

  describe('a registry the sandbox knows by an https URL', () => {
    const registryAliases = registryAliasesFor([
      { prefix: '/r/0/', advertised: 'https://registry.example/' },
      { prefix: '/r/1/', advertised: 'https://corp.example:8443/api/npm/' },
      { prefix: '/r/2/', advertised: 'http://plain.example/' },
    ]);
    test('its TLS is the gateway\'s to end, on its own port only', () => {
      expect(isTlsRegistry(registryAliases, 'registry.example', 443)).toBe(true);
      expect(isTlsRegistry(registryAliases, 'REGISTRY.example', 443)).toBe(true);
      expect(isTlsRegistry(registryAliases, 'corp.example', 8443)).toBe(true);
      expect(isTlsRegistry(registryAliases, 'registry.example', 8443)).toBe(false);
      expect(isTlsRegistry(registryAliases, 'corp.example', 443)).toBe(false);
      expect(isTlsRegistry(registryAliases, 'plain.example', 443)).toBe(false);
      expect(isTlsRegistry(registryAliases, 'plain.example', 80)).toBe(false);
      expect(isTlsRegistry(registryAliases, 'registry.example.evil.test', 443)).toBe(false);
    });
    test('inside that TLS, requests go by Host to the registry; plain http to its name is not the registry', () => {
      const route = (text: string, servicePort: number) => routeRequest({ kind: 'sink', servicePort, head: head(text), selfAuthorities: self, registryAliases });
      expect(route('GET /express HTTP/1.1\r\nHost: registry.example\r\n\r\n', 443)).toEqual({ type: 'registry', path: '/r/0/express' });
      expect(route('GET /api/npm/x HTTP/1.1\r\nHost: corp.example:8443\r\n\r\n', 8443)).toEqual({ type: 'registry', path: '/r/1/x' });
      expect(route('GET /x HTTP/1.1\r\nHost: other.example\r\n\r\n', 443)).toEqual({ type: 'egress', host: 'other.example', port: 443, path: '/x' });
      expect(route('GET /express HTTP/1.1\r\nHost: registry.example\r\n\r\n', 80).type).toBe('egress');
    });
  });
});

describe('withoutConfiguredToken', () => {
  const tokens = new Set(['npm_decoy0123456789abcdef0123456789abcd']);
  test('drops the Authorization npm sends from its config, only that one', () => {
    const headers: Array<[string, string]> = [
      ['Host', 'registry.example'],
      ['authorization', 'Bearer npm_decoy0123456789abcdef0123456789abcd'],
      ['X-Copy', 'Bearer npm_decoy0123456789abcdef0123456789abcd'],
    ];
    expect(withoutConfiguredToken(headers, tokens)).toEqual([headers[0], headers[2]]);
  });
  test('keeps any other Authorization: another token, another scheme, the token with more around it', () => {
    for (const value of ['Bearer npm_other', 'Basic bnBtX2RlY295', 'Bearer npm_decoy0123456789abcdef0123456789abcd extra', 'Bearer']) {
      expect(withoutConfiguredToken([['Authorization', value]], tokens)).toEqual([['Authorization', value]]);
    }
  });
});

describe('ChunkedDecoder', () => {
  const encoded = Buffer.from('5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\nNEXT');
  test('decodes across any chunk boundary and returns the bytes after the body', () => {
    for (const size of [1, 2, 3, 7, encoded.length]) {
      const decoder = new ChunkedDecoder();
      const data: Buffer[] = [];
      let rest: Buffer | undefined;
      for (let offset = 0; offset < encoded.length && rest === undefined; offset += size) {
        const result = decoder.push(encoded.subarray(offset, offset + size));
        data.push(...result.data);
        if (result.done) rest = Buffer.concat([result.rest ?? Buffer.alloc(0), encoded.subarray(offset + size)]);
      }
      expect(Buffer.concat(data).toString()).toBe('hello world');
      expect(rest?.toString()).toBe('NEXT');
    }
  });

  test.each([
    ['a bad size', 'zz\r\n'],
    ['data longer than its size', '2\r\nabc\r\n'],
    ['a size line without end', `${'1'.repeat(5000)}`],
    ['a size too large', 'fffffffffffffff\r\n'],
  ])('%s is an error', (_, text) => {
    const result = new ChunkedDecoder().push(Buffer.from(text));
    expect(result.error).toBeDefined();
  });

  test('random mutations never throw', () => {
    const random = rng(8);
    for (let round = 0; round < 10000; round++) {
      const decoder = new ChunkedDecoder();
      const input = mutateMany(encoded, random, 1 + (round % 4));
      let total = 0;
      for (let offset = 0; offset < input.length; offset += 5) {
        const result = decoder.push(input.subarray(offset, offset + 5));
        total += result.data.reduce((sum, chunk) => sum + chunk.length, 0);
        if (result.done || result.error) break;
      }
      expect(total).toBeLessThanOrEqual(input.length);
    }
  });
});
