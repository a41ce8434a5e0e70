/**
 * IPVS values <-> attribute records of ./attr-spec.ts, and whole requests written with
 * ./frame.ts. This is where the kernel's conventions live: families and protocols as numbers,
 * the persistence netmask (IPv4: the mask's bytes in network order; IPv6: a prefix length),
 * forwarding methods and tunnel types as numbers, destination addresses with their own family.
 */
import type { Family, IpAddress } from '../util/ip.js';
import { err, ok, type Result } from '../util/result.js';
import { COMMAND, DAEMON, DEST, INFO, SERVICE } from './attr-spec.js';
import { encodeAttrs, isLittleEndian, type AttrRecord, type FlagsValue, type NlWriter } from './codec.js';
import * as C from './constants.js';
import { beginGenl, endMessage } from './frame.js';
import type { FwdMethod, IpvsDaemon, IpvsDest, IpvsDestCounters, IpvsInfo, IpvsOp, IpvsProtocol, IpvsService, IpvsCounters, IpvsTimeouts, ServiceKey, TunnelCsum, TunnelType } from './types.js';

const PROTO_NUM: Readonly<Record<IpvsProtocol, number>> = { TCP: C.IPPROTO_TCP, UDP: C.IPPROTO_UDP, SCTP: C.IPPROTO_SCTP };
const FWD_NUM: Readonly<Record<FwdMethod, number>> = { NAT: C.CONN_F_MASQ, LOCAL: C.CONN_F_LOCALNODE, TUN: C.CONN_F_TUNNEL, DR: C.CONN_F_DROUTE, BYPASS: C.CONN_F_BYPASS };
const TUN_NUM: Readonly<Record<TunnelType, number>> = { ipip: C.TUNNEL_TYPE_IPIP, gue: C.TUNNEL_TYPE_GUE, gre: C.TUNNEL_TYPE_GRE };
const CSUM_NUM: Readonly<Record<TunnelCsum, number>> = { nocsum: C.TUNNEL_ENCAP_NOCSUM, csum: C.TUNNEL_ENCAP_CSUM, remcsum: C.TUNNEL_ENCAP_REMCSUM };
const invert = <K extends string>(m: Readonly<Record<K, number>>): ReadonlyMap<number, K> => new Map(Object.entries(m).map(([k, v]) => [v as number, k as K]));
const PROTO_NAME = invert(PROTO_NUM);
const FWD_NAME = invert(FWD_NUM);
const TUN_NAME = invert(TUN_NUM);
const CSUM_NAME = invert(CSUM_NUM);

/** Every flag bit a service can carry, for SET_SERVICE's mask. */
const ALL_FLAGS: FlagsValue['mask'] = 0xffffffff;

export const familyNum = (f: Family): number => (f === 'inet' ? C.AF_INET : C.AF_INET6);
const familyOf = (n: number): Family | undefined => (n === C.AF_INET ? 'inet' : n === C.AF_INET6 ? 'inet6' : undefined);
const keyFamily = (k: ServiceKey): Family => (k.type === 'fwmark' ? k.family : k.address.family);

const bswap32 = (v: number): number => (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;

/** The IPVS_SVC_ATTR_NETMASK value for a prefix length. */
export function netmaskWire(family: Family, prefix: number): number {
  if (family === 'inet6') return prefix;
  const mask = prefix <= 0 ? 0 : (0xffffffff << (32 - Math.min(prefix, 32))) >>> 0;
  return isLittleEndian ? bswap32(mask) : mask; // the mask's bytes in network order, read as a host u32
}

/** The prefix length of an IPVS_SVC_ATTR_NETMASK value (IPv4: its leading one bits). */
export function netmaskPrefix(family: Family, wire: number): number {
  if (family === 'inet6') return wire;
  let mask = isLittleEndian ? bswap32(wire) : wire;
  let n = 0;
  while (n < 32 && mask & 0x80000000) {
    n++;
    mask = (mask << 1) >>> 0;
  }
  return n;
}

export function serviceKeyRecord(k: ServiceKey): AttrRecord {
  if (k.type === 'fwmark') return { af: familyNum(k.family), fwmark: k.fwmark };
  return { af: familyNum(k.address.family), protocol: PROTO_NUM[k.protocol], addr: k.address.bytes, port: k.port };
}

export function serviceRecord(s: IpvsService): AttrRecord {
  const fam = keyFamily(s.key);
  return {
    ...serviceKeyRecord(s.key),
    schedName: s.scheduler,
    flags: { flags: s.flags, mask: ALL_FLAGS },
    timeout: s.timeoutS,
    netmask: netmaskWire(fam, s.netmaskPrefix),
    peName: s.persistenceEngine,
  };
}

export function destKeyRecord(d: { readonly address: IpAddress; readonly port: number }): AttrRecord {
  return { addr: d.address.bytes, port: d.port, addrFamily: familyNum(d.address.family) };
}

export function destRecord(d: IpvsDest): AttrRecord {
  const tun = d.fwd === 'TUN';
  return {
    ...destKeyRecord(d),
    fwdMethod: FWD_NUM[d.fwd],
    weight: d.weight,
    uThresh: d.uThreshold,
    lThresh: d.lThreshold,
    tunType: tun ? TUN_NUM[d.tunType ?? 'ipip'] : undefined,
    tunPort: tun && d.tunType === 'gue' ? d.tunPort ?? 0 : undefined,
    tunFlags: tun ? CSUM_NUM[d.tunCsum ?? 'nocsum'] : undefined,
  };
}

function address(family: Family, bytes: Uint8Array): IpAddress {
  return { family, bytes: family === 'inet' ? bytes.subarray(0, 4) : bytes };
}

const missing = (set: string, name: string) => err(`${set}: attribute ${name} missing`);

export function serviceFromRecord(r: AttrRecord): Result<IpvsService, string> {
  const family = familyOf(r.af as number);
  if (family === undefined) return err(`service: address family ${String(r.af)}`);
  let key: ServiceKey;
  if (typeof r.fwmark === 'number' && r.fwmark !== 0) key = { type: 'fwmark', fwmark: r.fwmark, family };
  else {
    const protocol = PROTO_NAME.get(r.protocol as number);
    if (protocol === undefined) return err(`service: protocol ${String(r.protocol)}`);
    if (!(r.addr instanceof Uint8Array) || r.addr.length < (family === 'inet' ? 4 : 16)) return missing('service', 'ADDR');
    if (typeof r.port !== 'number') return missing('service', 'PORT');
    key = { type: 'addr', protocol, address: address(family, r.addr), port: r.port };
  }
  if (typeof r.schedName !== 'string') return missing('service', 'SCHED_NAME');
  const flags = r.flags as FlagsValue | undefined;
  if (flags === undefined || typeof flags.flags !== 'number') return missing('service', 'FLAGS');
  if (typeof r.timeout !== 'number') return missing('service', 'TIMEOUT');
  if (typeof r.netmask !== 'number') return missing('service', 'NETMASK');
  return ok({
    key,
    scheduler: r.schedName,
    flags: flags.flags,
    timeoutS: r.timeout,
    netmaskPrefix: netmaskPrefix(family, r.netmask),
    ...(typeof r.peName === 'string' && r.peName !== '' ? { persistenceEngine: r.peName } : {}),
  });
}

/** `serviceFamily` is used when the kernel sends no ADDR_FAMILY (before mixed-family services). */
export function destFromRecord(r: AttrRecord, serviceFamily: Family): Result<IpvsDest, string> {
  const family = r.addrFamily === undefined ? serviceFamily : familyOf(r.addrFamily as number);
  if (family === undefined) return err(`dest: address family ${String(r.addrFamily)}`);
  if (!(r.addr instanceof Uint8Array) || r.addr.length < (family === 'inet' ? 4 : 16)) return missing('dest', 'ADDR');
  if (typeof r.port !== 'number') return missing('dest', 'PORT');
  const fwd = FWD_NAME.get(((r.fwdMethod as number | undefined) ?? -1) & C.CONN_F_FWD_MASK);
  if (r.fwdMethod === undefined || fwd === undefined) return err(`dest: forwarding method ${String(r.fwdMethod)}`);
  if (typeof r.weight !== 'number') return missing('dest', 'WEIGHT');
  const d: IpvsDest = {
    address: address(family, r.addr),
    port: r.port,
    fwd,
    weight: r.weight | 0,
    uThreshold: (r.uThresh as number | undefined) ?? 0,
    lThreshold: (r.lThresh as number | undefined) ?? 0,
  };
  if (fwd !== 'TUN') return ok(d);
  const tunType = TUN_NAME.get((r.tunType as number | undefined) ?? 0);
  const tunCsum = CSUM_NAME.get((r.tunFlags as number | undefined) ?? 0);
  if (tunType === undefined) return err(`dest: tunnel type ${String(r.tunType)}`);
  if (tunCsum === undefined) return err(`dest: tunnel flags ${String(r.tunFlags)}`);
  return ok({ ...d, tunType, tunCsum, ...(tunType === 'gue' ? { tunPort: (r.tunPort as number | undefined) ?? 0 } : {}) });
}

/** A service's or destination's counters: STATS64 when the kernel sends it, else STATS; 0 when neither. */
export function statsFromRecord(r: AttrRecord): IpvsCounters {
  const s = (r.stats64 ?? r.stats) as AttrRecord | undefined;
  const n = (v: unknown): bigint => (typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : 0n);
  return {
    conns: n(s?.conns), inpkts: n(s?.inpkts), outpkts: n(s?.outpkts), inbytes: n(s?.inbytes), outbytes: n(s?.outbytes),
    cps: n(s?.cps), inpps: n(s?.inpps), outpps: n(s?.outpps), inbps: n(s?.inbps), outbps: n(s?.outbps),
  };
}

/** A destination's counters and connection counts. */
export function destStatsFromRecord(r: AttrRecord): IpvsDestCounters {
  const n = (v: unknown): number => (typeof v === 'number' ? v : 0);
  return { ...statsFromRecord(r), activeConns: n(r.activeConns), inactConns: n(r.inactConns), persistConns: n(r.persistConns) };
}

export function infoFromRecord(r: AttrRecord): Result<IpvsInfo, string> {
  if (typeof r.version !== 'number') return missing('info', 'VERSION');
  if (typeof r.connTabSize !== 'number') return missing('info', 'CONN_TAB_SIZE');
  const v = r.version;
  return ok({ version: `${(v >> 16) & 0xff}.${(v >> 8) & 0xff}.${v & 0xff}`, versionCode: v, connTableSize: r.connTabSize });
}

export function timeoutsFromRecord(r: AttrRecord): Result<IpvsTimeouts, string> {
  if (typeof r.timeoutTcp !== 'number' || typeof r.timeoutTcpFin !== 'number' || typeof r.timeoutUdp !== 'number') return missing('config', 'TIMEOUT_*');
  return ok({ tcpS: r.timeoutTcp, tcpFinS: r.timeoutTcpFin, udpS: r.timeoutUdp });
}

export function daemonRecord(d: IpvsDaemon): AttrRecord {
  const g = d.mcastGroup;
  return {
    state: d.state === 'MASTER' ? C.IPVS_STATE_MASTER : C.IPVS_STATE_BACKUP,
    mcastIfn: d.mcastIfn,
    syncId: d.syncId,
    syncMaxLen: d.syncMaxLen,
    mcastGroup: g?.family === 'inet' ? g.bytes : undefined,
    mcastGroup6: g?.family === 'inet6' ? g.bytes : undefined,
    mcastPort: d.mcastPort,
    mcastTtl: d.mcastTtl,
  };
}

export function daemonFromRecord(r: AttrRecord): Result<IpvsDaemon, string> {
  const state = r.state === C.IPVS_STATE_MASTER ? 'MASTER' : r.state === C.IPVS_STATE_BACKUP ? 'BACKUP' : undefined;
  if (state === undefined) return err(`daemon: state ${String(r.state)}`);
  if (typeof r.mcastIfn !== 'string') return missing('daemon', 'MCAST_IFN');
  if (typeof r.syncId !== 'number') return missing('daemon', 'SYNC_ID');
  const g6 = r.mcastGroup6 instanceof Uint8Array && r.mcastGroup6.some((b) => b !== 0) ? r.mcastGroup6 : undefined;
  const g4 = r.mcastGroup instanceof Uint8Array ? r.mcastGroup : undefined;
  const group: IpAddress | undefined = g6 ? { family: 'inet6', bytes: g6 } : g4 ? { family: 'inet', bytes: g4 } : undefined;
  return ok({
    state,
    mcastIfn: r.mcastIfn,
    syncId: r.syncId,
    ...(typeof r.syncMaxLen === 'number' ? { syncMaxLen: r.syncMaxLen } : {}),
    ...(group ? { mcastGroup: group } : {}),
    ...(typeof r.mcastPort === 'number' ? { mcastPort: r.mcastPort } : {}),
    ...(typeof r.mcastTtl === 'number' ? { mcastTtl: r.mcastTtl } : {}),
  });
}

/** Writes one IPVS request with the given top-level attributes. */
export function writeRequest(w: NlWriter, family: number, seq: number, flags: number, cmd: number, attrs: AttrRecord): void {
  const start = beginGenl(w, family, flags, seq, cmd, C.IPVS_GENL_VERSION);
  encodeAttrs(w, COMMAND, attrs);
  endMessage(w, start);
}

/** The top-level attributes of an operation. */
export function opAttrs(op: IpvsOp): AttrRecord {
  switch (op.type) {
    case 'NEW_SERVICE':
    case 'SET_SERVICE':
      return { service: serviceRecord(op.service) };
    case 'DEL_SERVICE':
      return { service: serviceKeyRecord(op.key) };
    case 'DEL_DEST':
      return { service: serviceKeyRecord(op.key), dest: destKeyRecord(op.dest) };
    default:
      return { service: serviceKeyRecord(op.key), dest: destRecord(op.dest) };
  }
}

export function writeOp(w: NlWriter, family: number, seq: number, flags: number, op: IpvsOp): void {
  writeRequest(w, family, seq, flags, C.IpvsCmd[op.type], opAttrs(op));
}

export { COMMAND, DAEMON, DEST, INFO, SERVICE };
