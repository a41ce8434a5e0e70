/**
 * UDP_CHECK's probe: the payload on a connected UDP socket (keepalived layer4.c
 * `udp_bind_connect`). On a connected socket the kernel reports an ICMP port unreachable as
 * ECONNREFUSED: a failure. A reply is judged by check/udp.ts; silence until conn.timeoutMs is
 * a success unless require_reply is set.
 */
import type { Socket } from 'node:dgram';
import type { ProbePlan, ProbeResult } from '../check/types.js';
import { udpReplyMatches } from '../check/udp.js';
import { connectUdp } from './probe-dns.js';

type UdpPlan = Extract<ProbePlan, { type: 'UDP_CHECK' }>;

export function udpProbe(p: UdpPlan): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    let sock: Socket | undefined;
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      try { sock?.close(); } catch { /* closed */ }
      resolve(r);
    };
    sock = connectUdp(p.conn, (msg) => {
      if (!p.requireReply) return finish({ ok: true });
      finish(udpReplyMatches(msg, p.requireReply, p.minReplyLength, p.maxReplyLength) ? { ok: true } : { ok: false, detail: 'reply mismatch' });
    }, (code) => finish({ ok: false, detail: code }), (s, failure) => {
      if (!s) return finish(failure!);
      timer = setTimeout(() => finish(p.requireReply ? { ok: false, detail: 'timeout' } : { ok: true }), p.conn.timeoutMs);
      s.send(p.payload, (e) => { if (e) finish({ ok: false, detail: (e as NodeJS.ErrnoException).code ?? 'send' }); });
    });
  });
}
