/**
 * The checker process's MIB objects as keepalived 2.2.7 fills them in (check/check_snmp.c):
 * KEEPALIVED-MIB's virtual server groups and their members, virtual servers, real servers
 * (the sorry server first, as a row of its own), the LVS sync daemon and the LVS timeouts
 * (1.3.6.1.4.1.9586.100.5.3). Pure: a snapshot in, the varbinds sorted by OID out.
 *
 * As keepalived: tables are indexed by position in the configuration (a real server by its
 * virtual server's and its own, the sorry server being 1 when there is one); a column whose
 * value keepalived leaves unset (the address of a fwmark service, a threshold of 0, a script
 * not given, the tunnel of a server not tunnelled...) has no instance; times are shown both in
 * whole seconds and in microseconds, unset ones as 0. Where keepalived 2.2.7 is wrong (the
 * low 32 bits of the 64-bit rates, which it takes from the last 64-bit counter it answered)
 * the value is the right one (docs/errors.md).
 */
import { compareOid, type Oid, type SnmpValue, type Varbind } from './agentx.js';
import type { IpvsCounters } from '../ipvs/types.js';
import { Builder, bytes, counter, gauge as gaugeOf, inetType, int as intOf, KEEPALIVED_OID, str } from './values.js';

export const CHECK_OID: Oid = [...KEEPALIVED_OID, 3];

/** One value object for each small integer (most of the view's values are 0, 1, 2 and the like) */
const SMALL = 4096;
const ints: SnmpValue[] = [];
const gauges: SnmpValue[] = [];
const small = (n: number): boolean => Number.isInteger(n) && n >= 0 && n < SMALL;
const int = (n: number): SnmpValue => (small(n) ? (ints[n] ??= intOf(n)) : intOf(n));
const gauge = (n: number): SnmpValue => (small(n) ? (gauges[n] ??= gaugeOf(n)) : gaugeOf(n));
/** SNMPv2-TC TruthValue */
const truth = (b: boolean): SnmpValue => int(b ? 1 : 2);

/** IPVS counters and rates of a service or destination (0 before the kernel was read) */
export type CheckMibStats = IpvsCounters;

export interface CheckMibGroupEntry {
  readonly fwmark?: number;
  readonly family: 'inet' | 'inet6';
  /** an address range, `first` alone when it is one address */
  readonly first?: Uint8Array;
  readonly last?: Uint8Array;
  readonly port: number;
}

export interface CheckMibGroup {
  readonly name: string;
  /** keepalived's order: the fwmarks, then the addresses and ranges */
  readonly entries: readonly CheckMibGroupEntry[];
}

export type ForwardingKind = 'NAT' | 'DR' | 'TUN';

export interface CheckMibTunnel {
  readonly type: 'ipip' | 'gue' | 'gre';
  readonly port?: number;
  readonly csum?: 'nocsum' | 'csum' | 'remcsum';
}

/** What both tables show of a server's timing: undefined when unset (keepalived shows 0). */
export interface CheckMibTimes {
  readonly retry?: number;
  readonly delayBeforeRetryMs?: number;
  readonly warmupMs?: number;
  readonly delayLoopMs?: number;
  readonly connectTimeoutMs: number;
}

export interface CheckMibReal extends CheckMibTimes {
  readonly sorry: boolean;
  readonly family: 'inet' | 'inet6';
  readonly address: Uint8Array;
  readonly port: number;
  readonly kind: ForwardingKind;
  readonly tunnel?: CheckMibTunnel;
  readonly alive: boolean;
  readonly weight: number;
  readonly uthreshold: number;
  readonly lthreshold: number;
  readonly inhibit: boolean;
  readonly notifyUp?: string;
  readonly notifyDown?: string;
  readonly failedChecks: number;
  readonly stats: CheckMibStats;
  readonly activeConns: number;
  readonly inactConns: number;
  readonly persistConns: number;
  readonly virtualhost?: string;
  readonly alpha: boolean;
  readonly smtpAlert: boolean;
  readonly name?: string;
}

export interface CheckMibVirtual extends CheckMibTimes {
  readonly group?: string;
  readonly fwmark?: number;
  /** keepalived's vs->af (undefined: neither, shown as IPv6) */
  readonly family?: 'inet' | 'inet6';
  /** the family of the service's own address (undefined for a group or a fwmark) */
  readonly addressFamily?: 'inet' | 'inet6';
  readonly address?: Uint8Array;
  readonly port?: number;
  /** undefined for a fwmark service */
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP' | 'none';
  readonly scheduler: string;
  readonly kind: ForwardingKind;
  readonly tunnel?: CheckMibTunnel;
  readonly alive: boolean;
  readonly virtualhost?: string;
  readonly persistenceTimeoutS: number;
  /** the IPv4 netmask (keepalived keeps 0xffffffff when none is set) */
  readonly granularity4: Uint8Array;
  /** the IPv6 prefix length, 0xffffffff when none is set */
  readonly granularity6: number;
  readonly haSuspend: boolean;
  /** IPVS service flags (ip_vs.h: HASHED 0x2, ONEPACKET 0x4, SCHED1-3 0x8-0x20) */
  readonly flags: number;
  readonly alpha: boolean;
  readonly omega: boolean;
  readonly quorum: number;
  readonly quorumUp: boolean;
  readonly quorumUpScript?: string;
  readonly quorumDownScript?: string;
  readonly hysteresis: number;
  readonly stats: CheckMibStats;
  readonly inhibit: boolean;
  readonly weight: number;
  readonly smtpAlert: boolean;
  readonly name?: string;
  /** the sorry server first, when there is one, then the real servers */
  readonly reals: readonly CheckMibReal[];
}

export interface CheckMibSyncDaemon {
  readonly interface: string;
  readonly instance?: string;
  readonly syncId: number;
  readonly maxLen: number;
  readonly port: number;
  readonly ttl: number;
  readonly group?: { readonly family: 'inet' | 'inet6'; readonly address: Uint8Array };
}

export interface CheckMibSnapshot {
  readonly groups: readonly CheckMibGroup[];
  readonly virtuals: readonly CheckMibVirtual[];
  readonly syncDaemon?: CheckMibSyncDaemon;
  /** lvs_timeouts in seconds (0: not set) */
  readonly timeouts: { readonly tcp: number; readonly tcpfin: number; readonly udp: number };
}

const F_ONEPACKET = 0x4;
const F_SCHED1 = 0x8;
const F_SCHED2 = 0x10;
const F_SCHED3 = 0x20;
const F_HASHED = 0x2;

const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos'];
const scheduler = (s: string): number => SCHEDULERS.indexOf(s) + 1 || 99;
const KIND: Record<ForwardingKind, number> = { NAT: 1, DR: 2, TUN: 3 };
const PROTOCOL = { TCP: 1, UDP: 2, SCTP: 3, none: 4 } as const;
const TUN_TYPE = { ipip: 1, gue: 2, gre: 3 } as const;
const TUN_CSUM = { nocsum: 1, csum: 2, remcsum: 3 } as const;

const secs = (ms: number | undefined): number => Math.floor((ms ?? 0) / 1000);
const usecs = (ms: number | undefined): number => Math.round((ms ?? 0) * 1000);
const u32 = (v: bigint): SnmpValue => gauge(Number(v & 0xffffffffn));
const high = (v: bigint): SnmpValue => gauge(Number((v >> 32n) & 0xffffffffn));
const big = (v: bigint): SnmpValue => ({ type: 'counter64', value: v });
const cnt = (v: bigint): SnmpValue => counter(Number(v & 0xffffffffn));

/** The tunnel columns of a tunnelled server: its type, its GUE port, its checksum (`n` 0, 1, 2). */
function tunnelValue(n: 0 | 1 | 2, kind: ForwardingKind, t: CheckMibTunnel | undefined): SnmpValue | undefined {
  if (kind !== 'TUN') return undefined;
  const type = t?.type ?? 'ipip';
  if (n === 0) return int(TUN_TYPE[type]);
  if (n === 1) return type === 'gue' ? gauge(t?.port ?? 0) : undefined;
  return type !== 'ipip' ? int(TUN_CSUM[t?.csum ?? 'nocsum']) : undefined;
}

/**
 * A varbind whose OID is a table's shared prefix and its own last numbers (column and index):
 * at 1,000 real servers the view has some 45,000 varbinds, which full OID arrays would make
 * mostly OIDs (400 bytes a varbind). Its OID is put together when asked for (the responder's
 * binary search asks a few times per request).
 */
class TailVarbind implements Varbind {
  constructor(private readonly head: Oid, private readonly tail: readonly number[], readonly value: SnmpValue) {}
  get oid(): Oid {
    return this.head.concat(this.tail);
  }
}

/** Varbinds added in OID order (the tables are built column by column, row by row). */
class Rows {
  readonly out: Varbind[] = [];
  add(head: Oid, tail: readonly number[], v: SnmpValue | undefined): void {
    if (v !== undefined) this.out.push(new TailVarbind(head, tail, v));
  }
}

const GROUP_NAME: Oid = [...CHECK_OID, 1, 1];
const GROUP_MEMBER: Oid = [...CHECK_OID, 2, 1];
const VIRTUAL: Oid = [...CHECK_OID, 3, 1];
const REAL: Oid = [...CHECK_OID, 4, 1];

function groupTables(b: Rows, groups: readonly CheckMibGroup[]): void {
  groups.forEach((g, gi) => b.add(GROUP_NAME, [2, gi + 1], str(g.name)));
  const rows: [number, number, CheckMibGroupEntry][] = groups.flatMap((g, gi) => g.entries.map((e, ei): [number, number, CheckMibGroupEntry] => [gi + 1, ei + 1, e]));
  const col = (c: number, f: (e: CheckMibGroupEntry) => SnmpValue | undefined): void => {
    for (const [gi, ei, e] of rows) b.add(GROUP_MEMBER, [c, gi, ei], f(e));
  };
  const range = (e: CheckMibGroupEntry): boolean => e.last !== undefined && e.first !== undefined && !e.last.every((x, i) => x === e.first![i]);
  col(2, (e) => int(e.fwmark !== undefined ? 1 : range(e) ? 3 : 2));
  col(3, (e) => (e.fwmark !== undefined ? gauge(e.fwmark) : undefined));
  col(4, (e) => (e.fwmark === undefined ? int(inetType(e.family)) : undefined));
  col(5, (e) => (e.fwmark === undefined && !range(e) && e.first ? bytes(e.first) : undefined));
  col(6, (e) => (e.fwmark === undefined && range(e) ? bytes(e.first!) : undefined));
  col(7, (e) => (e.fwmark === undefined && range(e) ? bytes(e.last!) : undefined));
  col(8, (e) => (e.fwmark === undefined ? gauge(e.port) : undefined));
}

function virtualTable(b: Rows, vss: readonly CheckMibVirtual[]): void {
  const col = (c: number, f: (v: CheckMibVirtual) => SnmpValue | undefined): void => {
    vss.forEach((v, i) => b.add(VIRTUAL, [c, i + 1], f(v)));
  };
  const plain = (v: CheckMibVirtual): boolean => v.group === undefined && v.fwmark === undefined;
  col(2, (v) => int(v.group !== undefined ? 3 : v.fwmark !== undefined ? 1 : 2));
  col(3, (v) => (v.group !== undefined ? str(v.group) : undefined));
  col(4, (v) => (v.fwmark !== undefined ? gauge(v.fwmark) : undefined));
  col(5, (v) => int(inetType(v.family)));
  col(6, (v) => (plain(v) && v.address ? bytes(v.address) : undefined));
  col(7, (v) => (plain(v) ? gauge(v.port ?? 0) : undefined));
  col(8, (v) => (v.fwmark === undefined ? int(PROTOCOL[v.protocol ?? 'none']) : undefined));
  col(9, (v) => int(scheduler(v.scheduler)));
  col(10, (v) => int(KIND[v.kind]));
  col(11, (v) => truth(v.alive));
  col(12, (v) => (v.virtualhost !== undefined ? str(v.virtualhost) : undefined));
  col(13, (v) => truth(v.persistenceTimeoutS > 0));
  col(14, (v) => (v.persistenceTimeoutS > 0 ? gauge(v.persistenceTimeoutS) : undefined));
  col(15, (v) => (v.addressFamily !== 'inet6' ? bytes(v.granularity4) : undefined));
  col(16, (v) => gauge(secs(v.delayLoopMs)));
  col(17, (v) => truth(v.haSuspend));
  col(18, (v) => truth(v.alpha));
  col(19, (v) => truth(v.omega));
  col(20, (v) => gauge(v.reals.filter((r) => !r.sorry).length));
  col(21, (v) => gauge(v.reals.filter((r) => !r.sorry && r.alive).length));
  col(22, (v) => gauge(v.quorum));
  col(23, (v) => truth(v.quorumUp));
  col(24, (v) => (v.quorumUpScript !== undefined ? str(v.quorumUpScript) : undefined));
  col(25, (v) => (v.quorumDownScript !== undefined ? str(v.quorumDownScript) : undefined));
  col(26, (v) => gauge(v.hysteresis));
  col(27, (v) => u32(v.stats.conns));
  col(28, (v) => cnt(v.stats.inpkts));
  col(29, (v) => cnt(v.stats.outpkts));
  col(30, (v) => big(v.stats.inbytes));
  col(31, (v) => big(v.stats.outbytes));
  col(32, (v) => u32(v.stats.cps));
  col(33, (v) => u32(v.stats.inpps));
  col(34, (v) => u32(v.stats.outpps));
  col(35, (v) => u32(v.stats.inbps));
  col(36, (v) => u32(v.stats.outbps));
  col(37, (v) => truth((v.flags & F_ONEPACKET) !== 0));
  col(38, (v) => big(v.stats.conns));
  col(39, (v) => big(v.stats.inpkts));
  col(40, (v) => big(v.stats.outpkts));
  const rates = ['cps', 'inpps', 'outpps', 'inbps', 'outbps'] as const;
  rates.forEach((r, k) => {
    col(41 + 2 * k, (v) => u32(v.stats[r]));
    col(42 + 2 * k, (v) => high(v.stats[r]));
  });
  col(51, (v) => (v.addressFamily !== 'inet' ? gauge(v.granularity6) : undefined));
  col(52, (v) => truth((v.flags & F_HASHED) !== 0));
  col(53, (v) => truth((v.flags & F_SCHED1) !== 0));
  col(54, (v) => truth((v.flags & F_SCHED2) !== 0));
  col(55, (v) => truth((v.flags & F_SCHED3) !== 0));
  col(56, (v) => truth(!v.inhibit));
  col(57, (v) => gauge(v.retry ?? 0));
  col(58, (v) => gauge(secs(v.delayBeforeRetryMs)));
  col(59, (v) => gauge(secs(v.warmupMs)));
  col(60, (v) => int(v.weight));
  col(61, (v) => truth(v.smtpAlert));
  col(62, (v) => truth((v.flags & F_SCHED1) !== 0));
  col(63, (v) => truth((v.flags & F_SCHED2) !== 0));
  col(64, (v) => gauge(usecs(v.delayLoopMs)));
  col(65, (v) => gauge(usecs(v.delayBeforeRetryMs)));
  col(66, (v) => gauge(usecs(v.warmupMs)));
  col(67, (v) => gauge(usecs(v.connectTimeoutMs)));
  col(68, (v) => tunnelValue(0, v.kind, v.tunnel));
  col(69, (v) => tunnelValue(1, v.kind, v.tunnel));
  col(70, (v) => tunnelValue(2, v.kind, v.tunnel));
  col(71, (v) => (v.name !== undefined ? str(v.name) : undefined));
}

function realTable(b: Rows, vss: readonly CheckMibVirtual[]): void {
  const rows = vss.flatMap((v, vi) => v.reals.map((r, ri) => ({ r, idx: [vi + 1, ri + 1] })));
  const col = (c: number, f: (r: CheckMibReal) => SnmpValue | undefined): void => {
    for (const { r, idx } of rows) b.add(REAL, [c, idx[0]!, idx[1]!], f(r));
  };
  /** a column the sorry server's row does not have */
  const reg = (c: number, f: (r: CheckMibReal) => SnmpValue | undefined): void => col(c, (r) => (r.sorry ? undefined : f(r)));
  col(2, (r) => truth(!r.sorry));
  col(3, (r) => int(inetType(r.family)));
  col(4, (r) => bytes(r.address));
  col(5, (r) => gauge(r.port));
  reg(6, (r) => truth(r.alive));
  reg(7, (r) => int(r.weight));
  reg(8, (r) => (r.uthreshold ? gauge(r.uthreshold) : undefined));
  reg(9, (r) => (r.lthreshold ? gauge(r.lthreshold) : undefined));
  reg(10, (r) => truth(!r.inhibit));
  reg(11, (r) => (r.notifyUp !== undefined ? str(r.notifyUp) : undefined));
  reg(12, (r) => (r.notifyDown !== undefined ? str(r.notifyDown) : undefined));
  reg(13, (r) => gauge(r.failedChecks));
  col(14, (r) => u32(r.stats.conns));
  col(15, (r) => gauge(r.activeConns));
  col(16, (r) => gauge(r.inactConns));
  col(17, (r) => gauge(r.persistConns));
  col(18, (r) => cnt(r.stats.inpkts));
  col(19, (r) => cnt(r.stats.outpkts));
  col(20, (r) => big(r.stats.inbytes));
  col(21, (r) => big(r.stats.outbytes));
  col(22, (r) => u32(r.stats.cps));
  col(23, (r) => u32(r.stats.inpps));
  col(24, (r) => u32(r.stats.outpps));
  col(25, (r) => u32(r.stats.inbps));
  col(26, (r) => u32(r.stats.outbps));
  col(27, (r) => big(r.stats.conns));
  col(28, (r) => big(r.stats.inpkts));
  col(29, (r) => big(r.stats.outpkts));
  const rates = ['cps', 'inpps', 'outpps', 'inbps', 'outbps'] as const;
  rates.forEach((k, n) => {
    col(30 + 2 * n, (r) => u32(r.stats[k]));
    col(31 + 2 * n, (r) => high(r.stats[k]));
  });
  col(40, (r) => int(KIND[r.kind]));
  col(41, (r) => (r.virtualhost !== undefined ? str(r.virtualhost) : undefined));
  col(42, (r) => truth(r.alpha));
  col(43, (r) => gauge(r.retry ?? 0));
  col(44, (r) => gauge(secs(r.delayBeforeRetryMs)));
  col(45, (r) => gauge(secs(r.warmupMs)));
  col(46, (r) => gauge(secs(r.delayLoopMs)));
  col(47, (r) => truth(r.smtpAlert));
  col(48, (r) => gauge(usecs(r.delayBeforeRetryMs)));
  col(49, (r) => gauge(usecs(r.warmupMs)));
  col(50, (r) => gauge(usecs(r.delayLoopMs)));
  col(51, (r) => gauge(usecs(r.connectTimeoutMs)));
  col(52, (r) => tunnelValue(0, r.kind, r.tunnel));
  col(53, (r) => tunnelValue(1, r.kind, r.tunnel));
  col(54, (r) => tunnelValue(2, r.kind, r.tunnel));
  col(55, (r) => (r.name !== undefined ? str(r.name) : undefined));
}

function scalars(b: Builder, s: CheckMibSnapshot): void {
  const o = (...sub: number[]): Oid => [...CHECK_OID, ...sub, 0];
  const d = s.syncDaemon;
  b.add(o(6, 1), truth(d !== undefined));
  if (d) {
    b.add(o(6, 2), str(d.interface));
    if (d.instance !== undefined) b.add(o(6, 3), str(d.instance));
    b.add(o(6, 4), int(d.syncId));
    b.add(o(6, 5), int(d.maxLen));
    b.add(o(6, 6), int(d.port));
    b.add(o(6, 7), int(d.ttl));
    if (d.group) {
      b.add(o(6, 8), int(inetType(d.group.family)));
      b.add(o(6, 9), bytes(d.group.address));
    }
  }
  if (s.timeouts.tcp) b.add(o(7, 1), int(s.timeouts.tcp));
  if (s.timeouts.tcpfin) b.add(o(7, 2), int(s.timeouts.tcpfin));
  if (s.timeouts.udp) b.add(o(7, 3), int(s.timeouts.udp));
}

/** The checker MIB, in OID order (built so: no sort). */
export function buildCheckMib(s: CheckMibSnapshot): Varbind[] {
  const b = new Rows();
  groupTables(b, s.groups);
  virtualTable(b, s.virtuals);
  realTable(b, s.virtuals);
  const sc = new Builder();
  scalars(sc, s);
  return [...b.out, ...sc.out];
}

/** realServerWeight, the one column a manager may write */
export const RS_WEIGHT_COLUMN: Oid = [...CHECK_OID, 4, 1, 7];

/**
 * The real server a realServerWeight instance names: the virtual server's and the real
 * server's positions (0-based, the sorry server's row not counted); undefined when it names
 * another object, no row, or the sorry server's row (whose weight keepalived does not let be set).
 */
export function weightTarget(oid: Oid, virtuals: readonly { readonly sorry: boolean; readonly reals: number }[]): { readonly vs: number; readonly rs: number } | undefined {
  if (oid.length !== RS_WEIGHT_COLUMN.length + 2 || compareOid(oid.slice(0, RS_WEIGHT_COLUMN.length), RS_WEIGHT_COLUMN) !== 0) return undefined;
  const vi = oid[RS_WEIGHT_COLUMN.length]! - 1;
  const v = virtuals[vi];
  if (!v) return undefined;
  const ri = oid[RS_WEIGHT_COLUMN.length + 1]! - 1 - (v.sorry ? 1 : 0);
  return ri >= 0 && ri < v.reals ? { vs: vi, rs: ri } : undefined;
}
