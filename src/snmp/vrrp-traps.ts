/**
 * The notifications keepalived 2.2.7's VRRP process sends (vrrp/vrrp_snmp.c): KEEPALIVED-MIB's
 * vrrpSyncGroupStateChange and vrrpInstanceStateChange (enable_traps with the KEEPALIVED-MIB
 * served), RFC 2787's vrrpTrapNewMaster and RFC 6527's vrrpv3NotifyNewMaster when an instance
 * becomes MASTER (enable_traps with that MIB served, for the instances that MIB lists). Pure:
 * snmpTrapOID.0 and the objects (the master agent puts its sysUpTime.0 first).
 */
import type { Oid, Varbind } from './agentx.js';
import { KEEPALIVED_OID, RFCV2_OID, RFCV3_OID, VRRP_OID, type MibSelection, type SnmpState } from './vrrp-mib.js';

export const SNMP_TRAP_OID: Oid = [1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0];
const ROUTER_ID: Oid = [...KEEPALIVED_OID, 1, 2, 0];

/** keepalived's trap state: INIT..FAULT 0..3, STOP 5, DELETED 6, anything else 4 */
const trapState = (s: SnmpState): number => ({ INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOP: 5, DELETED: 6 } as Record<string, number>)[s] ?? 4;
const text = (s: string): Varbind['value'] => ({ type: 'octets', value: new TextEncoder().encode(s) });
const trapOid = (o: Oid): Varbind => ({ oid: SNMP_TRAP_OID, value: { type: 'oid', value: o } });

export interface TrapInstance {
  readonly name: string;
  readonly state: SnmpState;
  readonly initialState: SnmpState;
  readonly version: 2 | 3;
  readonly family: 'inet' | 'inet6';
  readonly vrid: number;
  readonly baseIfindex: number;
  readonly hasVips: boolean;
  /** the advert source address */
  readonly sourceAddress: Uint8Array;
  /** RFC 6527 master reason at this change */
  readonly masterReason: number;
}

export interface TrapSettings {
  readonly traps: boolean;
  readonly sel: MibSelection;
  readonly routerId: string;
}

/** The notifications of an instance's state change, in keepalived's order. */
export function instanceTraps(i: TrapInstance, s: TrapSettings): Varbind[][] {
  if (!s.traps) return [];
  const out: Varbind[][] = [];
  if (s.sel.vrrp) {
    out.push([
      trapOid([...VRRP_OID, 10, 0, 2]),
      { oid: [...VRRP_OID, 3, 1, 2], value: text(i.name) },
      { oid: [...VRRP_OID, 3, 1, 4], value: { type: 'integer', value: trapState(i.state) } },
      { oid: [...VRRP_OID, 3, 1, 5], value: { type: 'integer', value: trapState(i.initialState) } },
      { oid: ROUTER_ID, value: text(s.routerId) },
    ]);
  }
  if (i.state !== 'MASTER' || !i.hasVips) return out;
  if (s.sel.rfcv2 && i.version === 2 && i.family === 'inet') {
    out.push([
      trapOid([...RFCV2_OID, 0, 1]),
      { oid: [...RFCV2_OID, 1, 3, 1, 7, i.baseIfindex, i.vrid], value: { type: 'ipAddress', value: i.sourceAddress.subarray(0, 4) } },
    ]);
  }
  if (s.sel.rfcv3) {
    const idx = [i.baseIfindex, i.vrid, i.family === 'inet' ? 1 : 2];
    out.push([
      trapOid([...RFCV3_OID, 0, 1]),
      { oid: [...RFCV3_OID, 1, 1, 1, 1, 3, ...idx], value: { type: 'octets', value: i.sourceAddress } },
      { oid: [...RFCV3_OID, 1, 2, 5, 1, 2, ...idx], value: { type: 'integer', value: i.masterReason } },
    ]);
  }
  return out;
}

/** vrrpSyncGroupStateChange */
export function groupTraps(name: string, state: SnmpState, s: TrapSettings): Varbind[][] {
  if (!s.traps || !s.sel.vrrp) return [];
  return [[
    trapOid([...VRRP_OID, 10, 0, 1]),
    { oid: [...VRRP_OID, 1, 1, 2], value: text(name) },
    { oid: [...VRRP_OID, 1, 1, 3], value: { type: 'integer', value: trapState(state) } },
    { oid: ROUTER_ID, value: text(s.routerId) },
  ]];
}

/** What an error notification tells of the instance that dropped the packet. */
export interface TrapDropInstance {
  readonly version: 2 | 3;
  readonly family: 'inet' | 'inet6';
  readonly vrid: number;
  /** the index of the interface it receives on (a VMAC's own with use_vmac) */
  readonly ifindex: number;
  readonly hasVips: boolean;
}

/** RFC 6527's vrrpv3ProtoErrReason of a drop: ipTtlError(1), versionError(2), checksumError(3); undefined: none */
export const protoErrReason = (reason: string): number | undefined => ({ ttl: 1, version: 2, checksum: 3 } as Record<string, number>)[reason];

/**
 * RFC 2787's vrrpTrapAuthFailure (an IPv4 VRRPv2 instance with a VIP dropped an advert for its
 * authentication: the source and the kind) and RFC 6527's vrrpv3NotifyProtoError (an instance
 * with a VIP dropped one for its TTL, version or checksum: the reason), as keepalived 2.2.7's
 * vrrp_check_packet sends them.
 */
export function dropTraps(i: TrapDropInstance, drop: { readonly reason: string; readonly authError?: number; readonly src?: Uint8Array }, s: TrapSettings): Varbind[][] {
  if (!s.traps || !i.hasVips) return [];
  const out: Varbind[][] = [];
  if (drop.authError !== undefined && s.sel.rfcv2 && i.version === 2 && i.family === 'inet') {
    out.push([
      trapOid([...RFCV2_OID, 0, 2]),
      { oid: [...RFCV2_OID, 1, 5, i.ifindex, i.vrid], value: { type: 'ipAddress', value: drop.src?.subarray(0, 4) ?? new Uint8Array(4) } },
      { oid: [...RFCV2_OID, 1, 6, i.ifindex, i.vrid], value: { type: 'integer', value: drop.authError } },
    ]);
  }
  const proto = protoErrReason(drop.reason);
  if (proto !== undefined && s.sel.rfcv3) {
    out.push([
      trapOid([...RFCV3_OID, 0, 2]),
      { oid: [...RFCV3_OID, 1, 2, 5, 1, 6, i.ifindex, i.vrid, i.family === 'inet' ? 1 : 2], value: { type: 'integer', value: proto } },
    ]);
  }
  return out;
}
