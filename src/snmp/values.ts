/**
 * The MIBs' roots, SNMP values as the VRRP MIBs write them, and the list they are collected in. Pure.
 */
import type { Oid, SnmpValue, Varbind } from './agentx.js';
import type { SnmpState } from './vrrp-mib.js';

export const KEEPALIVED_OID: Oid = [1, 3, 6, 1, 4, 1, 9586, 100, 5];
export const GLOBAL_OID: Oid = [...KEEPALIVED_OID, 1];
export const VRRP_OID: Oid = [...KEEPALIVED_OID, 2];
export const RFCV2_OID: Oid = [1, 3, 6, 1, 2, 1, 68];
export const RFCV3_OID: Oid = [1, 3, 6, 1, 2, 1, 207];

export const int = (value: number): SnmpValue => ({ type: 'integer', value });
export const gauge = (value: number): SnmpValue => ({ type: 'gauge32', value });
export const counter = (value: number): SnmpValue => ({ type: 'counter32', value });
export const c64 = (value: number): SnmpValue => ({ type: 'counter64', value: BigInt(value) });
export const ticks = (value: number): SnmpValue => ({ type: 'timeTicks', value: Math.max(0, Math.floor(value)) });
/** a string as an OCTET STRING: the configuration is read byte for byte (latin1), so its words go back as the bytes written */
export const str = (s: string): SnmpValue => ({ type: 'octets', value: Uint8Array.from(Buffer.from(s, 'latin1')) });
export const bytes = (value: Uint8Array): SnmpValue => ({ type: 'octets', value });
export const ip = (value: Uint8Array): SnmpValue => ({ type: 'ipAddress', value });
/** SNMPv2-TC TruthValue */
export const truth = (b: boolean): SnmpValue => int(b ? 1 : 2);
/** keepalived's SNMP_InetAddressType: ipv4(1), else ipv6(2) */
export const inetType = (f: 'inet' | 'inet6' | undefined): number => (f === 'inet' ? 1 : 2);
/** 1 on, 2 off, 3 not set (keepalived's -1) */
export const triState = (b: boolean | undefined): SnmpValue => int(b === undefined ? 3 : b ? 1 : 2);
export const ZERO4 = new Uint8Array(4);

/** KEEPALIVED-MIB's state enumeration: init(0) backup(1) master(2) fault(3) unknown(4) */
export const kaState = (s: SnmpState): number => ({ INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3 } as Record<string, number>)[s] ?? 4;
/** RFC 2787 / 6527 vrrpOperState: initialize(1) backup(2) master(3) */
export const rfcState = (s: SnmpState): number => (s === 'BACKUP' ? 2 : s === 'MASTER' ? 3 : 1);
/** keepalived's snmp_scope: rtnetlink scope -> KEEPALIVED-MIB's */
export const scope = (s: number): number => ({ 0: 14, 254: 1, 253: 2, 200: 5 } as Record<number, number>)[s] ?? 0;

export class Builder {
  readonly out: Varbind[] = [];
  add(oid: Oid, v: SnmpValue | undefined): void {
    if (v !== undefined) this.out.push({ oid, value: v });
  }
}
