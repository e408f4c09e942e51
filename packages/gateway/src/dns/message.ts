/**
 * A DNS message codec, just large enough for a sink: parse the question section of a query, build
 * an answer. Queries come from code we do not trust, so parsing never throws and is bounded: names
 * are at most 255 octets, labels at most 63, compression pointers may only point backwards (which
 * rules out loops), and section counts are checked against the bytes actually present.
 */

/** One question of a query. */
export interface DnsQuestion {
  /** Presentation form (`a.example.`-style without the final dot), non-printables escaped as `\DDD`. */
  name: string;
  /** The labels' raw octets, one latin1 character per octet (what canary matching decodes). */
  labels: string[];
  qtype: number;
  qclass: number;
}

/** The parts of a query the sink needs. */
export interface DnsQuery {
  id: number;
  /** The header's flag word (QR, opcode, AA, TC, RD, RA, Z, rcode). */
  flags: number;
  opcode: number;
  /** True when the message is a response, not a query. */
  isResponse: boolean;
  recursionDesired: boolean;
  questions: DnsQuestion[];
}

export type DnsParseResult =
  | { ok: true; query: DnsQuery }
  /** `id` is present when at least the header could be read, so an error response can be sent. */
  | { ok: false; reason: string; id?: number; flags?: number };

export const DNS_RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export const DNS_TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, SVCB: 64, HTTPS: 65, ANY: 255 } as const;

const TYPE_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(DNS_TYPE).map(([name, code]) => [code, name]));

/** `A`, `AAAA`, ... or `TYPE<n>` (RFC 3597) for types without a mnemonic here. */
export function qtypeName(qtype: number): string {
  return TYPE_NAMES.get(qtype) ?? `TYPE${qtype}`;
}

const MAX_NAME_OCTETS = 255;
const MAX_LABEL_OCTETS = 63;
/** A real query has one question; a few more are parsed so that they can be recorded, never more. */
const MAX_QUESTIONS = 8;
const HEADER_BYTES = 12;

function escapeLabel(octets: Uint8Array): string {
  let out = '';
  for (const octet of octets) {
    if ((octet >= 0x30 && octet <= 0x39) || (octet >= 0x41 && octet <= 0x5a) || (octet >= 0x61 && octet <= 0x7a) || octet === 0x2d || octet === 0x5f) {
      out += String.fromCharCode(octet);
    } else if (octet === 0x2e || octet === 0x5c) {
      out += `\\${String.fromCharCode(octet)}`;
    } else {
      out += `\\${String(octet).padStart(3, '0')}`;
    }
  }
  return out;
}

type NameResult = { ok: true; labels: Uint8Array[]; next: number } | { ok: false; reason: string };

/** Reads a possibly compressed name starting at `start`; `next` is the offset after it in place. */
function readName(message: Uint8Array, start: number): NameResult {
  const labels: Uint8Array[] = [];
  let offset = start;
  let next = -1;
  let octets = 0;
  // Every pointer must go strictly backwards from the previous one: a loop is impossible, and the
  // number of jumps is bounded by the message length.
  let lowestPointer = start;
  for (;;) {
    if (offset >= message.length) return { ok: false, reason: 'name runs past the end' };
    const length = message[offset] as number;
    const tag = length & 0xc0;
    if (tag === 0xc0) {
      if (offset + 1 >= message.length) return { ok: false, reason: 'truncated compression pointer' };
      const target = ((length & 0x3f) << 8) | (message[offset + 1] as number);
      if (target >= lowestPointer) return { ok: false, reason: 'compression pointer does not point backwards' };
      if (next < 0) next = offset + 2;
      lowestPointer = target;
      offset = target;
      continue;
    }
    if (tag !== 0) return { ok: false, reason: 'unsupported label type' };
    if (length === 0) {
      octets += 1;
      if (octets > MAX_NAME_OCTETS) return { ok: false, reason: 'name longer than 255 octets' };
      return { ok: true, labels, next: next < 0 ? offset + 1 : next };
    }
    if (length > MAX_LABEL_OCTETS) return { ok: false, reason: 'label longer than 63 octets' };
    if (offset + 1 + length > message.length) return { ok: false, reason: 'label runs past the end' };
    octets += 1 + length;
    if (octets > MAX_NAME_OCTETS) return { ok: false, reason: 'name longer than 255 octets' };
    labels.push(message.subarray(offset + 1, offset + 1 + length));
    offset += 1 + length;
  }
}

/** Parses a DNS message's header and question section. Never throws. */
export function parseDnsQuery(message: Uint8Array): DnsParseResult {
  if (message.length < HEADER_BYTES) {
    return message.length >= 2 ? { ok: false, reason: 'shorter than a DNS header', id: ((message[0] as number) << 8) | (message[1] as number) } : { ok: false, reason: 'shorter than a DNS header' };
  }
  const view = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  const id = view.readUInt16BE(0);
  const flags = view.readUInt16BE(2);
  const qdcount = view.readUInt16BE(4);
  const opcode = (flags >> 11) & 0x0f;
  if (qdcount === 0) return { ok: false, reason: 'no question', id, flags };
  // Each question takes at least 5 bytes (root name + type + class): a count that cannot fit is a lie.
  if (qdcount * 5 > message.length - HEADER_BYTES) return { ok: false, reason: 'question count exceeds message', id, flags };
  const questions: DnsQuestion[] = [];
  let offset = HEADER_BYTES;
  for (let index = 0; index < Math.min(qdcount, MAX_QUESTIONS); index++) {
    const name = readName(message, offset);
    if (!name.ok) return { ok: false, reason: name.reason, id, flags };
    if (name.next + 4 > message.length) return { ok: false, reason: 'question truncated', id, flags };
    questions.push({
      name: name.labels.map(escapeLabel).join('.'),
      labels: name.labels.map((label) => Buffer.from(label).toString('latin1')),
      qtype: view.readUInt16BE(name.next),
      qclass: view.readUInt16BE(name.next + 2),
    });
    offset = name.next + 4;
  }
  return {
    ok: true,
    query: { id, flags, opcode, isResponse: (flags & 0x8000) !== 0, recursionDesired: (flags & 0x0100) !== 0, questions },
  };
}

/** Wire form of a name given as raw labels (latin1, one char per octet). */
export function encodeDnsName(labels: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  for (const label of labels) {
    const octets = Buffer.from(label, 'latin1');
    if (octets.length === 0 || octets.length > MAX_LABEL_OCTETS) throw new RangeError('label must have 1 to 63 octets');
    parts.push(Buffer.from([octets.length]), octets);
  }
  parts.push(Buffer.from([0]));
  const name = Buffer.concat(parts);
  if (name.length > MAX_NAME_OCTETS) throw new RangeError('name longer than 255 octets');
  return name;
}

/** One resource record of an answer, owned by the (first) question's name. */
export interface DnsAnswer {
  type: number;
  ttl: number;
  data: Uint8Array;
}

/**
 * A response to a parsed query: same id and opcode, RD copied, RA set, the first question echoed
 * (re-encoded from its labels, never copied from the query's bytes) and the given answers.
 */
export function buildDnsResponse(query: DnsQuery, rcode: number, answers: readonly DnsAnswer[] = []): Buffer {
  const question = query.questions[0];
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt16BE(query.id, 0);
  header.writeUInt16BE(0x8000 | (query.opcode << 11) | 0x0400 | (query.recursionDesired ? 0x0100 : 0) | 0x0080 | (rcode & 0x0f), 2);
  if (!question) return header;
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  const qname = encodeDnsName(question.labels);
  const qtail = Buffer.alloc(4);
  qtail.writeUInt16BE(question.qtype, 0);
  qtail.writeUInt16BE(question.qclass, 2);
  const records = answers.map((answer) => {
    const record = Buffer.alloc(12 + answer.data.length);
    record.writeUInt16BE(0xc000 | HEADER_BYTES, 0); // the owner is the question's name
    record.writeUInt16BE(answer.type, 2);
    record.writeUInt16BE(1, 4); // IN
    record.writeUInt32BE(answer.ttl >>> 0, 6);
    record.writeUInt16BE(answer.data.length, 10);
    record.set(answer.data, 12);
    return record;
  });
  return Buffer.concat([header, qname, qtail, ...records]);
}

/** An error response when the query could not be parsed: just the header, no question. */
export function buildDnsErrorResponse(id: number, requestFlags: number, rcode: number): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt16BE(id & 0xffff, 0);
  header.writeUInt16BE(0x8000 | (requestFlags & 0x7800) | (requestFlags & 0x0100) | 0x0080 | (rcode & 0x0f), 2);
  return header;
}

/** A standard query for one name (dotted, ASCII), as a stub resolver would send it. */
export function buildDnsQuery(id: number, name: string, qtype: number): Buffer {
  const labels = name.split('.').filter((label) => label !== '');
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt16BE(id & 0xffff, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(qtype, 0);
  tail.writeUInt16BE(1, 2);
  return Buffer.concat([header, encodeDnsName(labels), tail]);
}

/** The 4 octets of a dotted IPv4 address, or null. */
export function ipv4Octets(address: string): Uint8Array | null {
  const parts = address.split('.');
  if (parts.length !== 4) return null;
  const octets = parts.map((part) => (/^\d{1,3}$/.test(part) ? Number(part) : NaN));
  if (octets.some((octet) => !(octet >= 0 && octet <= 255))) return null;
  return Uint8Array.from(octets);
}

/** Parsed answer records of a response, for tests and diagnostics: type and raw data. */
export function parseDnsAnswers(message: Uint8Array): { rcode: number; answers: Array<{ type: number; data: Buffer }> } | null {
  const parsed = parseDnsQuery(message);
  if (!parsed.ok) return null;
  const view = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  let offset = HEADER_BYTES;
  for (let index = 0; index < parsed.query.questions.length; index++) {
    const name = readName(message, offset);
    if (!name.ok) return null;
    offset = name.next + 4;
  }
  const ancount = view.readUInt16BE(6);
  const answers: Array<{ type: number; data: Buffer }> = [];
  for (let index = 0; index < ancount; index++) {
    const name = readName(message, offset);
    if (!name.ok || name.next + 10 > view.length) return null;
    const type = view.readUInt16BE(name.next);
    const length = view.readUInt16BE(name.next + 8);
    if (name.next + 10 + length > view.length) return null;
    answers.push({ type, data: Buffer.from(view.subarray(name.next + 10, name.next + 10 + length)) });
    offset = name.next + 10 + length;
  }
  return { rcode: parsed.query.flags & 0x0f, answers };
}
