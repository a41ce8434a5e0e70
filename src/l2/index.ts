/** Layer-2 announcement frames (pure): gratuitous ARP for IPv4 VIPs, unsolicited NA for IPv6. */
export { buildGarp, BROADCAST_MAC, ETHERTYPE_ARP, GARP_FRAME_LEN } from './arp.js';
export { ALL_NODES_INET6, ALL_NODES_MAC, buildUnsolicitedNa, ETHERTYPE_IPV6, UNSOLICITED_NA_FRAME_LEN } from './ndisc.js';
