/**
 * The DNS sink. Every question is recorded; A queries are answered with the sink address, so that a
 * client ignoring the proxy settings still connects to the gateway; every other type gets an empty
 * answer (NODATA), which keeps clients on IPv4. Nothing is ever forwarded to a real resolver, not
 * even for allowed names: the gateway resolves those itself when it connects.
 */
import { isHostAllowed } from '../egress/allow.js';
import { DnsFrameSplitter, frameDnsMessage } from '../dns/framing.js';
import { DNS_RCODE, DNS_TYPE, buildDnsErrorResponse, buildDnsResponse, ipv4Octets, parseDnsQuery, qtypeName } from '../dns/message.js';
import { recordDecoys, type ClientConnection, type GatewayContext } from './context.js';

const ANSWER_TTL = 60;

/** The answer to one query message, after recording it; null when nothing should be sent back. */
export function answerDnsMessage(context: GatewayContext, connection: ClientConnection, message: Buffer): Buffer | null {
  const client = connection.header.client;
  const parsed = parseDnsQuery(message);
  if (!parsed.ok) {
    const event = context.events.emit(client, { type: 'dns', name: '', qtype: 'INVALID', answered: 'sinked' });
    recordDecoys(context, client, context.matcher.scan(message, 'dns'), event.id);
    return parsed.id === undefined ? null : buildDnsErrorResponse(parsed.id, parsed.flags ?? 0, DNS_RCODE.FORMERR);
  }
  const { query } = parsed;
  for (const question of query.questions) {
    const allowed = isHostAllowed(context.allowlist, question.name, client.package?.name);
    const event = context.events.emit(client, { type: 'dns', name: question.name, qtype: qtypeName(question.qtype), answered: allowed ? 'allowed' : 'sinked' });
    recordDecoys(context, client, context.matcher.scanDnsLabels(question.labels), event.id);
  }
  if (query.isResponse) return null; // answers sent to us: recorded, never answered
  if (query.opcode !== 0) return buildDnsResponse(query, DNS_RCODE.NOTIMP);
  if (query.questions.length !== 1) return buildDnsResponse(query, DNS_RCODE.FORMERR);
  const question = query.questions[0] as (typeof query.questions)[number];
  if (question.qtype === DNS_TYPE.A && (question.qclass === 1 || question.qclass === 255)) {
    return buildDnsResponse(query, DNS_RCODE.NOERROR, [{ type: DNS_TYPE.A, ttl: ANSWER_TTL, data: ipv4Octets(context.config.sinkAddress) as Uint8Array }]);
  }
  return buildDnsResponse(query, DNS_RCODE.NOERROR);
}

export async function serveDns(context: GatewayContext, connection: ClientConnection): Promise<void> {
  const { socket, reader } = connection;
  const splitter = new DnsFrameSplitter();
  for (;;) {
    const chunk = await reader.take(64 * 1024);
    if (chunk.length === 0) break;
    for (const message of splitter.push(chunk)) {
      const answer = answerDnsMessage(context, connection, message);
      if (answer && !socket.destroyed) socket.write(frameDnsMessage(answer));
    }
  }
  socket.end();
}


