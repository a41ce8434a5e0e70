/**
 * Unsolicited Neighbour Advertisement frames (RFC 4861 §4.4, §7.2.6), byte for byte as
 * keepalived 2.2.7 sends them for an IPv6 VIP (reference §d.5, golden frames in
 * test/fixtures/l2/): Ethernet to 33:33:00:00:00:01, IPv6 from the VIP to ff02::1 with hop
 * limit 255 (traffic class and flow label 0), ICMPv6 type 136 with the Override flag, the
 * Router flag when IPv6 forwarding is on for the interface, target = the VIP, and one Target
 * Link-Layer Address option carrying the interface (or VMAC) MAC. 86 bytes.
 */
import { KtsError } from '../errors/index.js';
import { finishChecksum, pseudoHeaderSum, sumWords } from '../vrrp/checksum.js';
import { ETHER_HEADER_LEN } from './arp.js';

export const ETHERTYPE_IPV6 = 0x86dd;
export const IPPROTO_ICMPV6 = 58;
export const ND_NEIGHBOR_ADVERT = 136;
export const ND_NA_FLAG_ROUTER = 0x80;
export const ND_NA_FLAG_OVERRIDE = 0x20;
export const ND_OPT_TARGET_LINKADDR = 2;
export const NDISC_HOP_LIMIT = 255;
export const IPV6_HEADER_LEN = 40;
/** NA header (type, code, checksum, flags + reserved, target) + 8-byte TLLA option. */
export const NA_MESSAGE_LEN = 24 + 8;
export const UNSOLICITED_NA_FRAME_LEN = ETHER_HEADER_LEN + IPV6_HEADER_LEN + NA_MESSAGE_LEN;
/** ff02::1, all nodes (RFC 4291 §2.7.1). */
export const ALL_NODES_INET6: Uint8Array = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
/** 33:33:00:00:00:01, the Ethernet mapping of ff02::1 (RFC 2464 §7). */
export const ALL_NODES_MAC: Uint8Array = Uint8Array.of(0x33, 0x33, 0, 0, 0, 1);

/**
 * The full Ethernet frame of one unsolicited NA for `ip` (16 bytes) from `srcMac` (6 bytes).
 * `router`: set the Router flag (keepalived does when forwarding is on for the interface).
 */
export function buildUnsolicitedNa(srcMac: Uint8Array, ip: Uint8Array, router: boolean): Uint8Array {
  if (srcMac.length !== 6) throw new KtsError('INTERNAL', `buildUnsolicitedNa: MAC of ${srcMac.length} bytes, want 6`);
  if (ip.length !== 16) throw new KtsError('INTERNAL', `buildUnsolicitedNa: IPv6 address of ${ip.length} bytes, want 16`);
  const f = new Uint8Array(UNSOLICITED_NA_FRAME_LEN);
  // Ethernet
  f.set(ALL_NODES_MAC, 0);
  f.set(srcMac, 6);
  f[12] = ETHERTYPE_IPV6 >> 8;
  f[13] = ETHERTYPE_IPV6 & 0xff;
  // IPv6: version 6, traffic class 0, flow label 0, payload length, ICMPv6, hop limit 255.
  const ip6 = ETHER_HEADER_LEN;
  f[ip6] = 0x60;
  f[ip6 + 4] = NA_MESSAGE_LEN >> 8;
  f[ip6 + 5] = NA_MESSAGE_LEN & 0xff;
  f[ip6 + 6] = IPPROTO_ICMPV6;
  f[ip6 + 7] = NDISC_HOP_LIMIT;
  f.set(ip, ip6 + 8);
  f.set(ALL_NODES_INET6, ip6 + 24);
  // ICMPv6 Neighbour Advertisement; Solicited stays clear (unsolicited).
  const na = ip6 + IPV6_HEADER_LEN;
  f[na] = ND_NEIGHBOR_ADVERT;
  f[na + 4] = ND_NA_FLAG_OVERRIDE | (router ? ND_NA_FLAG_ROUTER : 0);
  f.set(ip, na + 8);
  f[na + 24] = ND_OPT_TARGET_LINKADDR;
  f[na + 25] = 1; // option length in units of 8 bytes
  f.set(srcMac, na + 26);
  const sum = finishChecksum(sumWords(f, na, na + NA_MESSAGE_LEN, pseudoHeaderSum(ip, ALL_NODES_INET6, IPPROTO_ICMPV6, NA_MESSAGE_LEN)));
  f[na + 2] = sum >> 8;
  f[na + 3] = sum & 0xff;
  return f;
}
