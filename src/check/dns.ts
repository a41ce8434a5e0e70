/**
 * DNS_CHECK (check_dns.c): one UDP query (RD set, one question of `type` for `name`, class IN);
 * success is a reply with our ID, QR set and RCODE 0. Replies with another ID, without QR or
 * shorter than a header are ignored (the wait goes on until connect_timeout).
 */
import type { Checker } from '../config/model.js';
import type { CheckerKind } from './kind.js';

type DnsChecker = Extract<Checker, { type: 'DNS_CHECK' }>;

export const DNS_TYPES: Readonly<Record<string, number>> = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28, RRSIG: 46, DNSKEY: 48,
};

/** The query datagram; `name` '.' or '' is the root. */
export function buildDnsQuery(id: number, qtype: number, name: string): Uint8Array {
  const labels = name.split('.').filter((l) => l.length > 0);
  const qname: number[] = [];
  for (const l of labels) {
    const bytes = new TextEncoder().encode(l.slice(0, 63));
    qname.push(bytes.length, ...bytes);
  }
  qname.push(0);
  const b = new Uint8Array(12 + qname.length + 4);
  b[0] = (id >> 8) & 0xff;
  b[1] = id & 0xff;
  b[2] = 0x01; // RD
  b[5] = 1; // QDCOUNT
  b.set(qname, 12);
  const o = 12 + qname.length;
  b[o] = qtype >> 8;
  b[o + 1] = qtype & 0xff;
  b[o + 3] = 1; // IN
  return b;
}

export type DnsVerdict = { readonly kind: 'ignore' } | { readonly kind: 'ok' } | { readonly kind: 'error'; readonly detail: string };

/** What a received datagram means for a query with `id`. */
export function judgeDnsReply(id: number, reply: Uint8Array): DnsVerdict {
  if (reply.length < 12) return { kind: 'ignore' };
  if (((reply[0]! << 8) | reply[1]!) !== id) return { kind: 'ignore' };
  if ((reply[2]! & 0x80) === 0) return { kind: 'ignore' };
  const rcode = reply[3]! & 0x0f;
  if (rcode !== 0) return { kind: 'error', detail: `read error occurred. (rcode = ${rcode})` };
  return { kind: 'ok' };
}

export const DNS_ERRORS = {
  readTimeout: 'read timeout from socket',
  writeFailure: 'failed to write socket.',
  connectionError: 'connection error.',
} as const;

export const dnsKind: CheckerKind = {
  defaultRetry: 3,
  defaultDelayBeforeRetryMs: undefined,
  retryWhileDown: false,
  plan: ({ checker, conn }) => {
    const c = checker as DnsChecker;
    return { type: 'DNS_CHECK', conn, qtype: DNS_TYPES[c.dnsType] ?? DNS_TYPES.SOA!, name: c.name };
  },
  successLog: () => undefined,
  failLog: (n, retry, hasRun, r) => `DNS_CHECK (${n.chk}) ${r.detail ?? 'failed'}${hasRun ? ` after ${retry} retries` : ''}`,
  attemptLog: (n, r) => `DNS_CHECK (${n.chk}) ${r.detail ?? 'failed'}`,
  alertBody: (up) => `=> DNS_CHECK: ${up ? 'succeed' : 'failed'} on service <=`,
};
