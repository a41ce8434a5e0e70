/**
 * DNS_CHECK's probe: one query on a connected UDP socket (check/dns.ts builds and judges);
 * replies that are not ours are ignored until conn.timeoutMs. An ICMP error (ECONNREFUSED)
 * ends it at once (probe-udp.ts `udpExchange`).
 */
import { randomInt } from 'node:crypto';
import { buildDnsQuery, DNS_ERRORS, judgeDnsReply } from '../check/dns.js';
import type { ConnPlan, ProbeResult } from '../check/types.js';
import { udpExchange } from './probe-udp.js';

export function dnsProbe(conn: ConnPlan, qtype: number, name: string): Promise<ProbeResult> {
  const id = randomInt(0, 0x10000);
  return udpExchange(conn, {
    payload: buildDnsQuery(id, qtype, name),
    onReply: (msg) => {
      const v = judgeDnsReply(id, msg);
      return v.kind === 'ok' ? { ok: true } : v.kind === 'error' ? { ok: false, detail: v.detail } : undefined;
    },
    onSocketError: () => ({ ok: false, detail: DNS_ERRORS.connectionError }),
    onSendError: () => ({ ok: false, detail: DNS_ERRORS.writeFailure }),
    onTimeout: { ok: false, detail: DNS_ERRORS.readTimeout },
  });
}
