/**
 * The checker process's notifications as keepalived 2.2.7 sends them (check/check_snmp.c
 * check_snmp_rs_trap, check_snmp_quorum_trap): realServerStateChange and
 * virtualServerQuorumStateChange, with the virtual server named by type, group, fwmark or
 * address, and the live real servers counted at the moment of the change. Pure: snmpTrapOID.0
 * and the objects (the master agent puts its sysUpTime.0 first).
 */
import type { Oid, SnmpValue, Varbind } from './agentx.js';
import { CHECK_OID, type CheckMibReal, type CheckMibVirtual } from './check-mib.js';
import { bytes, gauge, inetType, int, KEEPALIVED_OID, str, truth } from './values.js';
import { SNMP_TRAP_OID } from './vrrp-traps.js';

/** keepalived's notification values of a virtual server: its type, how it is named, its protocol. */
/** What a notification names a virtual server by, and its quorum */
export type TrapService = Pick<CheckMibVirtual, 'group' | 'fwmark' | 'addressFamily' | 'address' | 'port' | 'protocol' | 'quorum'>;
/** What a notification names a real server by */
export type TrapReal = Pick<CheckMibReal, 'family' | 'address' | 'port'>;

function serviceVarbinds(v: TrapService): Varbind[] {
  const at = (c: number, value: SnmpValue): Varbind => ({ oid: [...CHECK_OID, 3, 1, c], value });
  const out = [at(2, int(v.group !== undefined ? 3 : v.fwmark !== undefined ? 1 : 2))];
  if (v.group !== undefined) out.push(at(3, str(v.group)));
  else if (v.fwmark !== undefined) out.push(at(4, gauge(v.fwmark)));
  else {
    out.push(at(5, int(inetType(v.addressFamily))), at(6, bytes(v.address ?? new Uint8Array(4))), at(7, gauge(v.port ?? 0)));
  }
  // keepalived sends TruthValue(protocol is TCP) here, not the protocol
  out.push(at(8, truth(v.protocol === 'TCP')));
  return out;
}

const ROUTER_ID: Oid = [...KEEPALIVED_OID, 1, 2, 0];

/** What a notification tells of the moment it was sent (keepalived counts the live real servers then). */
export interface TrapMoment {
  readonly realUp: number;
  /** the real servers of the virtual server (its sorry server not counted) */
  readonly realTotal: number;
  readonly quorumUp: boolean;
  /** the real server's state (realServerStateChange) */
  readonly alive?: boolean;
}

/**
 * realServerStateChange (a real server went up or down; at stop, each live one), as keepalived
 * 2.2.7's check_snmp_rs_trap sends it: snmpTrapOID.0 and the objects, the master agent puts
 * sysUpTime.0 first.
 */
export function realServerTrap(v: TrapService, r: TrapReal, m: TrapMoment, routerId: string): Varbind[] {
  const at = (c: number, value: SnmpValue): Varbind => ({ oid: [...CHECK_OID, 4, 1, c], value });
  return [
    { oid: SNMP_TRAP_OID, value: { type: 'oid', value: [...CHECK_OID, 5, 0, 1] } },
    at(3, int(inetType(r.family))), at(4, bytes(r.address)), at(5, gauge(r.port)), at(6, truth(m.alive === true)),
    ...serviceVarbinds(v),
    { oid: [...CHECK_OID, 3, 1, 21], value: gauge(m.realUp) },
    { oid: [...CHECK_OID, 3, 1, 20], value: gauge(m.realTotal) },
    { oid: ROUTER_ID, value: str(routerId) },
  ];
}

/** virtualServerQuorumStateChange: quorum gained or lost, or (`stopping`) the service going away. */
export function quorumTrap(v: TrapService, m: TrapMoment, stopping: boolean, routerId: string): Varbind[] {
  return [
    { oid: SNMP_TRAP_OID, value: { type: 'oid', value: [...CHECK_OID, 5, 0, 2] } },
    ...serviceVarbinds(v),
    { oid: [...CHECK_OID, 3, 1, 23], value: int(stopping ? 3 : m.quorumUp ? 1 : 2) },
    { oid: [...CHECK_OID, 3, 1, 22], value: gauge(v.quorum) },
    { oid: [...CHECK_OID, 3, 1, 21], value: gauge(m.realUp) },
    { oid: [...CHECK_OID, 3, 1, 20], value: gauge(m.realTotal) },
    { oid: ROUTER_ID, value: str(routerId) },
  ];
}
