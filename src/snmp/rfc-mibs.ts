/**
 * VRRP-MIB (RFC 2787) and VRRPv3-MIB (RFC 6527) as keepalived 2.2.7's VRRP process fills them
 * in (vrrp/vrrp_snmp.c), from the same snapshot as KEEPALIVED-MIB (./vrrp-mib.ts). Pure.
 */
import type { SnmpValue } from './agentx.js';
import { Builder, bytes, c64, counter, gauge, int, ip, rfcState, RFCV2_OID, RFCV3_OID, ticks, truth, ZERO4 } from './values.js';
import type { SnmpInstance, SnmpSnapshot } from './vrrp-mib.js';

const ipv4Index = (a: Uint8Array): number[] => Array.from(a.subarray(0, 4));

export function rfcv2(b: Builder, snap: SnmpSnapshot): void {
  const R = RFCV2_OID;
  b.add([...R, 1, 1, 0], int(2));
  b.add([...R, 1, 2, 0], int(snap.globals.traps ? 1 : 2));
  // Debian's keepalived has RFC 6527 too: only VRRPv2 IPv4 instances with a VIP here
  const list = snap.instances.filter((v) => v.version === 2 && v.family === 'inet' && v.vips.length > 0);
  for (const v of list) {
    const idx = [v.baseIfindex, v.vrid];
    const c = (col: number, val: SnmpValue | undefined): void => b.add([...R, 1, 3, 1, col, ...idx], val);
    c(2, bytes(v.hwAddr));
    c(3, int(rfcState(v.state)));
    c(4, int(1));
    c(5, int(v.basePriority));
    c(6, int(v.vips.length));
    c(7, ip(v.masterAddress ?? ZERO4));
    c(8, ip(v.primaryAddress ?? ZERO4));
    c(9, int(v.authType + 1));
    c(11, int(Math.floor(v.adverIntMs / 1000)));
    c(12, truth(!v.nopreempt));
    const up = (v.state === 'BACKUP' || v.state === 'MASTER') && v.upSinceMs !== undefined ? (v.upSinceMs - snap.agentStartMs) / 10 : 0;
    c(13, ticks(up));
    c(14, int(1));
    c(15, int(1));
    for (const a of v.vips) b.add([...R, 1, 4, 1, 2, ...idx, ...ipv4Index(a.address)], int(1));
    const s = v.stats;
    const st = (col: number, n: number): void => b.add([...R, 2, 4, 1, col, ...idx], counter(n));
    st(1, s.becomeMaster); st(2, s.advertRcvd); st(3, s.advertIntervalErr); st(4, s.authFailure);
    st(5, s.ipTtlErr); st(6, s.priZeroRcvd); st(7, s.priZeroSent); st(8, s.invalidTypeRcvd);
    st(9, s.addrListErr); st(10, s.invalidAuthtype); st(11, s.authtypeMismatch); st(12, s.packetLenErr);
  }
  const sum = (f: (v: SnmpInstance) => number): number => list.reduce((n, v) => n + f(v), 0);
  b.add([...R, 2, 1, 0], counter(sum((v) => v.stats.chkErr)));
  b.add([...R, 2, 2, 0], counter(sum((v) => v.stats.versErr)));
  b.add([...R, 2, 3, 0], counter(sum((v) => v.stats.vridErr)));
}

export function rfcv3(b: Builder, snap: SnmpSnapshot): void {
  const R = RFCV3_OID;
  const list = snap.instances.filter((v) => v.vips.length > 0);
  for (const v of list) {
    const idx = [v.baseIfindex, v.vrid, v.family === 'inet' ? 1 : 2];
    const c = (col: number, val: SnmpValue | undefined): void => b.add([...R, 1, 1, 1, 1, col, ...idx], val);
    const primary = v.primaryAddress ?? new Uint8Array(v.family === 'inet' ? 4 : 16);
    // a MASTER shows its own (primary) address as the master's
    c(3, bytes(v.state === 'MASTER' ? primary : v.masterAddress ?? new Uint8Array(v.family === 'inet' ? 4 : 16)));
    c(4, bytes(primary));
    c(5, bytes(v.hwAddr));
    c(6, int(rfcState(v.state)));
    c(7, gauge(v.basePriority));
    c(8, int(v.vips.length));
    c(9, int(Math.floor(v.adverIntMs / 10)));
    c(10, truth(!v.nopreempt));
    c(11, truth(v.accept));
    const up = (v.state === 'BACKUP' || v.state === 'MASTER') && v.upSinceMs !== undefined ? (snap.nowMs - v.upSinceMs) / 10 : 0;
    c(12, ticks(up));
    c(13, int(1));
    for (const a of v.vips) {
      // keepalived writes the address's bytes without the InetAddress length before them
      b.add([...R, 1, 1, 2, 1, 2, ...idx, ...Array.from(a.address)], int(1));
    }
    const s = v.stats;
    const st = (col: number, val: SnmpValue): void => b.add([...R, 1, 2, 5, 1, col, ...idx], val);
    st(1, counter(s.becomeMaster)); st(2, int(s.masterReason)); st(3, c64(s.advertRcvd)); st(4, c64(s.advertIntervalErr));
    st(5, c64(s.ipTtlErr)); st(6, int(s.protoErrReason)); st(7, c64(s.priZeroRcvd)); st(8, c64(s.priZeroSent));
    st(9, c64(s.invalidTypeRcvd)); st(10, c64(s.addrListErr)); st(11, c64(s.packetLenErr)); st(12, ticks(0));
    st(13, gauge(Math.floor(v.adverIntMs / 10) * 10));
  }
  const sum = (f: (v: SnmpInstance) => number): number => list.reduce((n, v) => n + f(v), 0);
  b.add([...R, 1, 2, 1, 0], c64(sum((v) => v.stats.chkErr)));
  b.add([...R, 1, 2, 2, 0], c64(sum((v) => v.stats.versErr)));
  b.add([...R, 1, 2, 3, 0], c64(sum((v) => v.stats.vridErr)));
  b.add([...R, 1, 2, 4, 0], ticks(0));
}
