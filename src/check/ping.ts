/** PING_CHECK: one ICMP / ICMPv6 echo answered within connect_timeout (check_ping.c). */
import type { CheckerKind } from './kind.js';

export const pingKind: CheckerKind = {
  defaultRetry: 1,
  defaultDelayBeforeRetryMs: 1000,
  retryWhileDown: false,
  plan: ({ conn }) => ({ type: 'PING_CHECK', conn: { ...conn, port: 0 } }),
  successLog: (n) => `ICMP connection to ${n.chk} success.`,
  failLog: (n, retry, hasRun) =>
    retry && hasRun ? `ICMP CHECK on service ${n.chk} of ${n.vs} failed after ${retry} retries.` : `ICMP CHECK on service ${n.chk} failed.`,
  attemptLog: (n, r) =>
    r.detail === 'timeout' ? `ICMP connection to address ${n.chk} timeout.` : `ICMP connection to ${n.chk} of ${n.vs} failed.`,
  alertBody: (up) => `=> ICMP CHECK ${up ? 'succeed' : 'failed'} on service <=`,
};

/** An ICMP (type 8) or ICMPv6 (type 128) echo request; the IPv4 checksum is filled in, the
 * kernel computes the ICMPv6 one. */
export function buildEchoRequest(family: 'inet' | 'inet6', id: number, seq: number, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(8 + payload.length);
  b[0] = family === 'inet' ? 8 : 128;
  b[4] = (id >> 8) & 0xff;
  b[5] = id & 0xff;
  b[6] = (seq >> 8) & 0xff;
  b[7] = seq & 0xff;
  b.set(payload, 8);
  if (family === 'inet') {
    const c = inetChecksum(b);
    b[2] = c >> 8;
    b[3] = c & 0xff;
  }
  return b;
}

/** The id and sequence of an echo reply (IPv4: with its IP header), or undefined. */
export function parseEchoReply(family: 'inet' | 'inet6', data: Uint8Array): { id: number; seq: number } | undefined {
  let off = 0;
  if (family === 'inet') {
    if (data.length < 20) return undefined;
    off = (data[0]! & 0x0f) * 4;
  }
  if (data.length < off + 8) return undefined;
  if (data[off] !== (family === 'inet' ? 0 : 129) || data[off + 1] !== 0) return undefined;
  return { id: (data[off + 4]! << 8) | data[off + 5]!, seq: (data[off + 6]! << 8) | data[off + 7]! };
}

export function inetChecksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (b.length & 1) sum += b[b.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
