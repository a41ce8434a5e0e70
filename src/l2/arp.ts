/**
 * Gratuitous ARP frames, byte for byte as keepalived 2.2.7 sends them (reference §d.5,
 * golden frames in test/fixtures/l2/): an Ethernet broadcast carrying an ARP *request* whose
 * sender and target protocol addresses are both the VIP, sender hardware address the
 * interface (or VMAC) MAC and target hardware address the broadcast address. 42 bytes, no
 * padding (the NIC pads short frames on the wire).
 */
import { KtsError } from '../errors/index.js';

export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV4 = 0x0800;
export const ARPHRD_ETHER = 1;
export const ARPOP_REQUEST = 1;
export const ETHER_HEADER_LEN = 14;
export const ARP_PACKET_LEN = 28;
export const GARP_FRAME_LEN = ETHER_HEADER_LEN + ARP_PACKET_LEN;
export const BROADCAST_MAC: Uint8Array = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

/** The full Ethernet frame of one gratuitous ARP for `ip` (4 bytes) from `srcMac` (6 bytes). */
export function buildGarp(srcMac: Uint8Array, ip: Uint8Array): Uint8Array {
  if (srcMac.length !== 6) throw new KtsError('INTERNAL', `buildGarp: MAC of ${srcMac.length} bytes, want 6`);
  if (ip.length !== 4) throw new KtsError('INTERNAL', `buildGarp: IPv4 address of ${ip.length} bytes, want 4`);
  const f = new Uint8Array(GARP_FRAME_LEN);
  // Ethernet: broadcast destination, our MAC, ARP.
  f.set(BROADCAST_MAC, 0);
  f.set(srcMac, 6);
  f[12] = ETHERTYPE_ARP >> 8;
  f[13] = ETHERTYPE_ARP & 0xff;
  // ARP (RFC 826): Ethernet / IPv4, 6 + 4 byte addresses, request.
  f[15] = ARPHRD_ETHER;
  f[16] = ETHERTYPE_IPV4 >> 8;
  f[17] = ETHERTYPE_IPV4 & 0xff;
  f[18] = 6;
  f[19] = 4;
  f[21] = ARPOP_REQUEST;
  f.set(srcMac, 22); // sender hardware address
  f.set(ip, 28); // sender protocol address
  f.set(BROADCAST_MAC, 32); // target hardware address: keepalived puts the broadcast address
  f.set(ip, 38); // target protocol address
  return f;
}
