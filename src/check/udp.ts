/**
 * UDP_CHECK (check_udp.c, layer4.c `udp_bind_connect`, `udp_socket_state`): a datagram is
 * sent on a connected socket; an ICMP port unreachable (ECONNREFUSED) is a failure, silence
 * until connect_timeout a success unless `require_reply` is set. A reply must be
 * min..max_reply_length long and match require_reply's bytes, `X` nibbles being wildcards.
 */
import type { Checker } from '../config/model.js';
import type { CheckerKind } from './kind.js';
import type { UdpReplyPattern } from './types.js';

type UdpChecker = Extract<Checker, { type: 'UDP_CHECK' }>;

/** Without `payload` keepalived sends 32 bytes of "keepalived check - " repeated. */
export const DEFAULT_UDP_PAYLOAD: Uint8Array = (() => {
  const s = 'keepalived check - ';
  const b = new Uint8Array(32);
  for (let i = 0; i < b.length; i++) b[i] = s.charCodeAt(i % s.length);
  return b;
})();

function nibble(c: string, wildcard: boolean): number | 'X' | undefined {
  const v = parseInt(c, 16);
  if (!Number.isNaN(v) && /^[0-9a-fA-F]$/.test(c)) return v;
  if (wildcard && (c === 'x' || c === 'X')) return 'X';
  return undefined;
}

/**
 * keepalived's read_hex_str: hex digit pairs, blanks between octets allowed, a lone digit before
 * a blank is one octet; with `wildcards`, x/X nibbles match anything. Undefined when invalid
 * or empty.
 */
export function parseHexPattern(text: string, wildcards: boolean): UdpReplyPattern | undefined {
  const data: number[] = [];
  const mask: number[] = [];
  let i = 0;
  for (;;) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (i >= text.length) break;
    const a = nibble(text[i++]!, wildcards);
    if (a === undefined) return undefined;
    let v = a === 'X' ? 0 : a;
    let m = a === 'X' ? 0x0f : 0;
    if (i < text.length && text[i] !== ' ' && text[i] !== '\t') {
      const b = nibble(text[i++]!, wildcards);
      if (b === undefined) return undefined;
      v = (v << 4) | (b === 'X' ? 0 : b);
      m = (m << 4) | (b === 'X' ? 0x0f : 0);
    }
    data.push(v);
    mask.push(m);
  }
  if (data.length === 0) return undefined;
  return { data: Uint8Array.from(data), mask: Uint8Array.from(mask) };
}

/** Whether a reply passes: length within bounds and the pattern's bytes (up to the reply's length) equal. */
export function udpReplyMatches(reply: Uint8Array, pattern: UdpReplyPattern | undefined, minLen: number, maxLen: number): boolean {
  if (reply.length < minLen || reply.length > maxLen) return false;
  if (!pattern) return true;
  const n = Math.min(pattern.data.length, reply.length);
  for (let i = 0; i < n; i++) {
    if (((reply[i]! ^ pattern.data[i]!) & ~pattern.mask[i]! & 0xff) !== 0) return false;
  }
  return true;
}

export const udpKind: CheckerKind = {
  defaultRetry: 1,
  defaultDelayBeforeRetryMs: 1000,
  retryWhileDown: false,
  plan: ({ checker, conn }) => {
    const c = checker as UdpChecker;
    const payload = c.payload !== undefined ? parseHexPattern(c.payload, false)?.data : undefined;
    // `require_reply` alone: some reply is needed, of any content
    const requireReply = c.requireReply === undefined ? undefined
      : c.requireReply === '' ? { data: new Uint8Array(0), mask: new Uint8Array(0) }
        : parseHexPattern(c.requireReply, true);
    return {
      type: 'UDP_CHECK', conn, payload: payload ?? DEFAULT_UDP_PAYLOAD,
      ...(requireReply ? { requireReply } : {}),
      minReplyLength: c.minReplyLength, maxReplyLength: c.maxReplyLength,
    };
  },
  successLog: (n) => `UDP connection to ${n.chk} success.`,
  failLog: (n, retry, hasRun) =>
    retry && hasRun ? `UDP_CHECK on service ${n.chk} failed after ${retry} retries.` : `UDP_CHECK on service ${n.chk} failed.`,
  attemptLog: (n, r) => (r.detail === 'reply mismatch' ? `UDP check to ${n.chk} reply data mismatch.` : `UDP connection to ${n.chk} failed.`),
  alertBody: (up) => `=> UDP CHECK ${up ? 'succeed' : 'failed'} on service <=`,
};
