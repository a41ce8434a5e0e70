/**
 * A route's or a nexthop's lightweight tunnel encapsulation (src/config/route-encap.ts) as
 * rtnetlink carries it: RTA_ENCAP_TYPE (u16 LWTUNNEL_ENCAP_*) and RTA_ENCAP, whose nested
 * attributes are those keepalived 2.2.7 sends (vrrp_iproute.c add_encap_mpls / _ip / _ip6 /
 * _ila) in its order:
 *
 *   mpls  MPLS_IPTUNNEL_DST: the label stack entries, big-endian, bottom of stack on the last
 *   ip    LWTUNNEL_IP_ID (u64 big-endian), _DST, _SRC, _TOS (u8), _TTL (u8), _FLAGS (u16 host order)
 *   ip6   LWTUNNEL_IP6_ID, _DST, _SRC, _TC, _HOPLIMIT, _FLAGS (the same forms)
 *   ila   ILA_ATTR_LOCATOR: the locator's 8 bytes in network order
 *
 * Like keepalived, RTA_ENCAP does not carry NLA_F_NESTED (the kernel takes it either way).
 */
import type { Encap } from '../config/route-encap.js';
import { attr, attrs, u16, u8 } from './attrs.js';

export const RTA_ENCAP_TYPE = 21;
export const RTA_ENCAP = 22;
/** LWTUNNEL_ENCAP_* */
export const LWTUNNEL_ENCAP: Readonly<Record<Encap['kind'], number>> = { mpls: 1, ip: 2, ila: 3, ip6: 4 };
const MPLS_IPTUNNEL_DST = 1;
/** LWTUNNEL_IP_* and LWTUNNEL_IP6_* (the same numbers: TTL / HOPLIMIT 4, TOS / TC 5) */
const LWT_IP = { id: 1, dst: 2, src: 3, hops: 4, dsfield: 5, flags: 6 } as const;
const ILA_ATTR_LOCATOR = 1;
/** MPLS_LS_LABEL_SHIFT, MPLS_LS_S_SHIFT */
const LABEL_SHIFT = 12;
const BOTTOM_OF_STACK = 1 << 8;

/** The label stack entries of MPLS_IPTUNNEL_DST as numbers (label << 12, S bit on the last). */
export function mplsEntries(labels: readonly number[]): number[] {
  return labels.map((l, k) => ((l << LABEL_SHIFT) | (k === labels.length - 1 ? BOTTOM_OF_STACK : 0)) >>> 0);
}

/** The payload of RTA_ENCAP: the encapsulation's own attributes. */
export function encapPayload(e: Encap): Buffer {
  switch (e.kind) {
    case 'mpls': {
      const stack = Buffer.alloc(4 * e.labels.length);
      mplsEntries(e.labels).forEach((v, k) => stack.writeUInt32BE(v, 4 * k));
      return attr(MPLS_IPTUNNEL_DST, stack);
    }
    case 'ila':
      return attr(ILA_ATTR_LOCATOR, e.locator);
    case 'ip':
    case 'ip6': {
      const dsfield = e.kind === 'ip' ? e.tos : e.tc;
      const hops = e.kind === 'ip' ? e.ttl : e.hoplimit;
      const id = e.id === undefined ? undefined : Buffer.alloc(8);
      if (id) id.writeBigUInt64BE(e.id!);
      return attrs(
        ...(id ? [attr(LWT_IP.id, id)] : []),
        ...(e.dst ? [attr(LWT_IP.dst, e.dst.bytes)] : []),
        ...(e.src ? [attr(LWT_IP.src, e.src.bytes)] : []),
        ...(dsfield !== undefined ? [attr(LWT_IP.dsfield, u8(dsfield))] : []),
        ...(hops !== undefined ? [attr(LWT_IP.hops, u8(hops))] : []),
        ...(e.flags !== undefined ? [attr(LWT_IP.flags, u16(e.flags))] : []),
      );
    }
  }
}

/** RTA_ENCAP then RTA_ENCAP_TYPE, as attributes (the form they take inside a nexthop). */
export function encapAttrs(e: Encap): Buffer {
  return attrs(attr(RTA_ENCAP, encapPayload(e)), attr(RTA_ENCAP_TYPE, u16(LWTUNNEL_ENCAP[e.kind])));
}

/**
 * What to say when the kernel refused a route with encapsulation: EOPNOTSUPP is its answer
 * when it has no lightweight tunnel of that type (it asked for module `rtnl-lwt-TYPE`:
 * mpls_iptunnel, ila, ...). undefined when the errno says nothing more.
 */
export function encapRefusal(errno: string, kinds: readonly Encap['kind'][]): string | undefined {
  if (kinds.length === 0 || (errno !== 'EOPNOTSUPP' && errno !== 'ENOTSUP')) return undefined;
  const names = [...new Set(kinds)].map((k) => `'encap ${k}' (module rtnl-lwt-${k.toUpperCase()})`).join(', ');
  return `${errno} (this kernel has no lightweight tunnel for ${names})`;
}
