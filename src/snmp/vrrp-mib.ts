/**
 * The VRRP process's MIB objects as keepalived 2.2.7 fills them in (vrrp/vrrp_snmp.c,
 * core/snmp.c), from a snapshot of the process's state: KEEPALIVED-MIB's global scalars and
 * its VRRP tables (sync groups and their members, instances, tracked interfaces and scripts,
 * addresses, vrrp_scripts), VRRP-MIB (RFC 2787) and VRRPv3-MIB (RFC 6527). Pure: the snapshot in, the
 * varbinds sorted by OID out. The MIB files themselves come from Debian's keepalived package
 * (/usr/share/snmp/mibs/KEEPALIVED-MIB.txt, VRRP-MIB.txt, VRRPv3-MIB.txt).
 *
 * As keepalived: a column whose value is unset (no script, no sync group, a unicast
 * instance's multicast group...) has no instance at all; RFC 2787 lists VRRPv2 IPv4 instances
 * with at least one VIP, RFC 6527 every instance with a VIP (Debian's keepalived is built with
 * _SNMP_REPLY_V3_FOR_V2_); tables are indexed by position in the configuration, keepalived's.
 * The route, rule and next-hop tables are ./vrrp-route-mib.ts. Where keepalived 2.2.7 is wrong (RFC 2787 rows
 * after the first, vrrpAddressIsAdvertised after the first instance) the value is the right
 * one (docs/errors.md).
 */
import { compareOid, type Oid, type SnmpValue, type Varbind } from './agentx.js';
import { rfcv2, rfcv3 } from './rfc-mibs.js';
import { routeTables, type SnmpRoute, type SnmpRule } from './vrrp-route-mib.js';
import { Builder, bytes, gauge, GLOBAL_OID, inetType, int, kaState, RFCV2_OID, RFCV3_OID, scope, str, triState, truth, VRRP_OID, ZERO4 } from './values.js';

export type SnmpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP' | 'DELETED';

export interface SnmpAddress {
  readonly family: 'inet' | 'inet6';
  readonly address: Uint8Array;
  readonly prefix: number;
  /** IPv4 broadcast (0.0.0.0 when none) */
  readonly broadcast?: Uint8Array;
  /** rtnetlink scope (0 global, 200 site, 253 link, 254 host, 255 nowhere) */
  readonly scope: number;
  readonly ifindex: number;
  readonly ifname: string;
  readonly label?: string;
  readonly set: boolean;
  readonly peer?: Uint8Array;
}

export interface SnmpTracked {
  readonly name: string;
  readonly weight: number;
  readonly reverse: boolean;
}

/** notify scripts as keepalived's cmd_str writes them */
export interface SnmpScripts {
  readonly master?: string;
  readonly backup?: string;
  readonly fault?: string;
  readonly stop?: string;
  readonly generic?: string;
  readonly deleted?: string;
  readonly masterRxLowerPri?: string;
}

export interface SnmpInstance {
  readonly name: string;
  readonly vrid: number;
  readonly version: 2 | 3;
  readonly family: 'inet' | 'inet6';
  readonly state: SnmpState;
  /** the configured `state` (keepalived's configured_state) */
  readonly initialState: SnmpState;
  readonly wantState: SnmpState;
  readonly basePriority: number;
  readonly effectivePriority: number;
  readonly vipSet: boolean;
  /** the interface the instance runs on (the VMAC with use_vmac); undefined: none */
  readonly ifname?: string;
  /** its index, and the index of the interface under a VMAC (the same without one) */
  readonly ifindex: number;
  readonly baseIfindex: number;
  readonly hwAddr: Uint8Array;
  /** the (base) interface's primary address of the instance's family */
  readonly primaryAddress?: Uint8Array;
  readonly trackPrimaryIf: boolean;
  readonly adverIntMs: number;
  readonly nopreempt: boolean;
  readonly preemptDelayMs: number;
  /** 0 none, 1 PASS, 2 AH */
  readonly authType: number;
  /** this instance runs the LVS sync daemon on this interface */
  readonly lvsSyncInterface?: string;
  readonly syncGroup?: string;
  readonly garpDelayMs: number;
  readonly smtpAlert: boolean;
  readonly notifyExec: boolean;
  readonly scripts: SnmpScripts;
  readonly accept: boolean;
  readonly promoteSecondaries: boolean;
  readonly linkbeatPolling: boolean;
  readonly notifyDeleted: boolean;
  /** undefined: unicast */
  readonly mcastGroup?: Uint8Array;
  /** the last master heard (undefined: none yet) */
  readonly masterAddress?: Uint8Array;
  readonly vips: readonly SnmpAddress[];
  readonly evips: readonly SnmpAddress[];
  /** virtual_routes / virtual_rules */
  readonly routes: readonly SnmpRoute[];
  readonly rules: readonly SnmpRule[];
  readonly trackedInterfaces: readonly SnmpTracked[];
  readonly trackedScripts: readonly SnmpTracked[];
  /** track_file entries: keepalived shows the track_file's own weight and reverse here */
  readonly trackedFiles: readonly SnmpTracked[];
  /** track_bfd and track_process entries: the bfd_instance's / vrrp_track_process's own weight and reverse, as for files */
  readonly trackedBfds: readonly SnmpTracked[];
  readonly trackedProcesses: readonly SnmpTracked[];
  /** keepalived's vrrp_stats */
  readonly stats: {
    readonly becomeMaster: number; readonly advertRcvd: number; readonly advertIntervalErr: number;
    readonly authFailure: number; readonly ipTtlErr: number; readonly priZeroRcvd: number; readonly priZeroSent: number;
    readonly invalidTypeRcvd: number; readonly addrListErr: number; readonly invalidAuthtype: number;
    readonly authtypeMismatch: number; readonly packetLenErr: number; readonly chkErr: number;
    readonly versErr: number; readonly vridErr: number;
    /** RFC 6527 vrrpStatisticsNewMasterReason: 0 notMaster, 1 priority, 2 preempted, 3 masterNoResponse */
    readonly masterReason: number;
    readonly protoErrReason: number;
  };
  /** when (ms, same clock as `nowMs`) it last entered BACKUP or MASTER; undefined: not since start */
  readonly upSinceMs?: number;
}

export interface SnmpSyncGroup {
  readonly name: string;
  readonly state: SnmpState;
  readonly members: readonly string[];
  readonly smtpAlert: boolean;
  readonly notifyExec: boolean;
  readonly scripts: SnmpScripts;
  readonly trackingWeight: boolean;
  readonly trackedInterfaces: readonly SnmpTracked[];
  readonly trackedScripts: readonly SnmpTracked[];
  readonly trackedFiles: readonly SnmpTracked[];
  readonly trackedBfds: readonly SnmpTracked[];
  readonly trackedProcesses: readonly SnmpTracked[];
}

/** a track_file in use */
export interface SnmpFile {
  readonly name: string;
  readonly path: string;
  /** the value last read from it */
  readonly value: number;
  readonly weight: number;
  readonly reverse: boolean;
}

/** a vrrp_script in use (keepalived drops the unused ones) */
export interface SnmpScript {
  readonly name: string;
  /** keepalived's cmd_str of the command */
  readonly command: string;
  readonly intervalS: number;
  readonly weight: number;
  readonly reverse: boolean;
  /** undefined: not run yet */
  readonly ok: boolean | undefined;
  readonly rise: number;
  readonly fall: number;
}

/** a bfd_instance the VRRP process hears of (keepalived's vrrp_tracked_bfd) */
export interface SnmpBfd {
  readonly name: string;
  readonly up: boolean;
  readonly weight: number;
  readonly reverse: boolean;
}

/** a vrrp_track_process */
export interface SnmpProcess {
  readonly name: string;
  readonly path: string;
  /** its parameters, space separated ('' when none) */
  readonly params: string;
  /** keepalived's param_match: none(0) exact(1) initial(2) partial(3) */
  readonly paramMatch: number;
  readonly weight: number;
  readonly reverse: boolean;
  readonly quorum: number;
  /** undefined: no limit (keepalived's UINT_MAX) */
  readonly quorumMax?: number;
  readonly forkDelayUs: number;
  readonly terminateDelayUs: number;
  readonly fullCommand: boolean;
  /** processes matching now, and whether that is within the quorum */
  readonly count: number;
  readonly haveQuorum: boolean;
}

export interface SnmpGlobals {
  readonly version: string;
  readonly routerId: string;
  readonly smtpServer?: { readonly family: 'inet' | 'inet6'; readonly address: Uint8Array; readonly port: number };
  readonly smtpTimeoutS: number;
  readonly emailFrom?: string;
  readonly emails: readonly string[];
  readonly emailFaults: boolean;
  /** undefined: not set */
  readonly smtpAlert?: boolean;
  readonly smtpAlertVrrp?: boolean;
  readonly smtpAlertChecker?: boolean;
  readonly traps: boolean;
  readonly linkbeatPolling: boolean;
  readonly lvsFlush: boolean;
  readonly lvsFlushOnStop?: 'full' | 'VS';
  readonly netNamespace?: string;
  readonly dynamicInterfaces: boolean;
}

export interface SnmpSnapshot {
  readonly globals: SnmpGlobals;
  readonly groups: readonly SnmpSyncGroup[];
  readonly instances: readonly SnmpInstance[];
  readonly scripts: readonly SnmpScript[];
  readonly files: readonly SnmpFile[];
  readonly bfds: readonly SnmpBfd[];
  readonly processes: readonly SnmpProcess[];
  /** static_ipaddress (vrrpAddressTable rows 0.N) */
  readonly staticAddresses: readonly SnmpAddress[];
  /** static_routes / static_rules (rows 0.N of the route and rule tables) */
  readonly staticRoutes: readonly SnmpRoute[];
  readonly staticRules: readonly SnmpRule[];
  readonly nowMs: number;
  /** when the SNMP agent started (RFC 2787's vrrpOperVirtualRouterUpTime is counted from it) */
  readonly agentStartMs: number;
}

/** Which MIBs are served: keepalived's enable_snmp_vrrp (with the global scalars), _rfcv2, _rfcv3. */
export interface MibSelection {
  readonly global: boolean;
  readonly vrrp: boolean;
  readonly rfcv2: boolean;
  readonly rfcv3: boolean;
}

export { GLOBAL_OID, KEEPALIVED_OID, RFCV2_OID, RFCV3_OID, VRRP_OID } from './values.js';
export type { SnmpRoute, SnmpRule } from './vrrp-route-mib.js';

/** The subtrees registered with the master, with the name keepalived gives each in sysORTable. */
export function mibRegions(sel: MibSelection): { readonly oid: Oid; readonly name: string }[] {
  return [
    ...(sel.global ? [{ oid: GLOBAL_OID, name: 'Keepalived' }] : []),
    ...(sel.vrrp ? [{ oid: VRRP_OID, name: 'KEEPALIVED-VRRP' }] : []),
    ...(sel.rfcv2 ? [{ oid: RFCV2_OID, name: 'VRRP' }] : []),
    ...(sel.rfcv3 ? [{ oid: RFCV3_OID, name: 'VRRPV3' }] : []),
  ];
}

function globals(b: Builder, g: SnmpGlobals): void {
  const o = (...s: number[]): Oid => [...GLOBAL_OID, ...s, 0];
  b.add(o(1), str(g.version));
  b.add(o(2), str(g.routerId));
  b.add(o(3, 1), int(inetType(g.smtpServer?.family)));
  b.add(o(3, 2), bytes(g.smtpServer?.address ?? ZERO4));
  b.add(o(3, 3), gauge(g.smtpTimeoutS));
  if (g.emailFrom !== undefined) b.add(o(3, 4), str(g.emailFrom));
  g.emails.forEach((e, i) => b.add([...GLOBAL_OID, 3, 5, 1, 2, i + 1], str(e)));
  b.add(o(3, 6), gauge(g.smtpServer?.port ?? 0));
  b.add(o(3, 7), truth(g.emailFaults));
  b.add(o(3, 8), triState(g.smtpAlert));
  b.add(o(3, 9), triState(g.smtpAlertVrrp));
  b.add(o(3, 10), triState(g.smtpAlertChecker));
  b.add(o(4), truth(g.traps));
  b.add(o(5), int(g.linkbeatPolling ? 2 : 1));
  b.add(o(6), truth(g.lvsFlush));
  b.add(o(7), int(1));
  b.add(o(8), str(g.netNamespace ?? ''));
  b.add(o(9), int(2));
  b.add(o(10), truth(g.dynamicInterfaces));
  b.add(o(11), int(g.lvsFlushOnStop === 'full' ? 1 : g.lvsFlushOnStop === 'VS' ? 3 : 2));
}

function scriptColumns(b: Builder, base: Oid, idx: number, s: SnmpScripts, cols: Readonly<Partial<Record<keyof SnmpScripts, number>>>): void {
  for (const [k, col] of Object.entries(cols) as [keyof SnmpScripts, number][]) {
    const v = s[k];
    if (v !== undefined) b.add([...base, col, idx], str(v));
  }
}

function vrrpTables(b: Builder, snap: SnmpSnapshot): void {
  const T = (t: number): Oid => [...VRRP_OID, t, 1];
  snap.groups.forEach((g, i) => {
    const x = i + 1;
    b.add([...T(1), 2, x], str(g.name));
    b.add([...T(1), 3, x], int(kaState(g.state)));
    b.add([...T(1), 4, x], truth(g.smtpAlert));
    b.add([...T(1), 5, x], truth(g.notifyExec));
    scriptColumns(b, T(1), x, g.scripts, { master: 6, backup: 7, fault: 8, generic: 9, stop: 11 });
    b.add([...T(1), 10, x], truth(g.trackingWeight));
    g.members.forEach((m, j) => b.add([...T(2), 2, x, j + 1], str(m)));
  });
  snap.instances.forEach((v, i) => {
    const x = i + 1;
    const c = (col: number, val: SnmpValue | undefined): void => b.add([...T(3), col, x], val);
    c(2, str(v.name));
    c(3, gauge(v.vrid));
    c(4, int(kaState(v.state)));
    c(5, int(kaState(v.initialState)));
    c(6, int(kaState(v.wantState)));
    c(7, int(v.basePriority));
    c(8, int(v.effectivePriority));
    c(9, truth(v.vipSet));
    if (v.ifname !== undefined) c(10, str(v.ifname));
    c(11, truth(v.trackPrimaryIf));
    c(12, gauge(v.version === 2 ? Math.floor(v.adverIntMs / 1000) : Math.floor(v.adverIntMs / 10)));
    c(13, truth(!v.nopreempt));
    c(14, gauge(Math.floor(v.preemptDelayMs / 1000)));
    c(15, int(v.version === 2 ? v.authType : 0));
    c(16, truth(v.lvsSyncInterface !== undefined));
    if (v.lvsSyncInterface !== undefined) c(17, str(v.lvsSyncInterface));
    if (v.syncGroup !== undefined) c(18, str(v.syncGroup));
    c(19, gauge(Math.floor(v.garpDelayMs / 1000)));
    c(20, truth(v.smtpAlert));
    c(21, truth(v.notifyExec));
    scriptColumns(b, T(3), x, v.scripts, { master: 22, backup: 23, fault: 24, stop: 25, generic: 26, masterRxLowerPri: 31, deleted: 32 });
    c(27, int(v.version === 3 ? (v.accept ? 1 : 2) : 0));
    c(28, truth(v.promoteSecondaries));
    c(29, truth(v.linkbeatPolling));
    c(30, int(v.version));
    c(33, truth(v.notifyDeleted));
    if (v.mcastGroup !== undefined) {
      c(34, int(inetType(v.family)));
      c(35, bytes(v.mcastGroup));
    }
    v.trackedInterfaces.forEach((t, j) => {
      b.add([...T(4), 1, x, j + 1], str(t.name));
      b.add([...T(4), 2, x, j + 1], int(t.weight));
      b.add([...T(4), 3, x, j + 1], truth(t.reverse));
    });
    v.trackedScripts.forEach((t, j) => {
      b.add([...T(5), 2, x, j + 1], str(t.name));
      b.add([...T(5), 3, x, j + 1], int(t.weight));
      b.add([...T(5), 4, x, j + 1], truth(t.reverse));
    });
    [...v.vips.map((a) => ({ a, adv: true })), ...v.evips.map((a) => ({ a, adv: false }))].forEach(({ a, adv }, j) => addressRow(b, x, j + 1, a, adv));
  });
  // static addresses: instance index 0, never advertised
  snap.staticAddresses.forEach((a, j) => addressRow(b, 0, j + 1, a, false));
}

function addressRow(b: Builder, x: number, y: number, a: SnmpAddress, adv: boolean): void {
  const col = (n: number, val: SnmpValue): void => b.add([...VRRP_OID, 6, 1, n, x, y], val);
  col(2, int(inetType(a.family)));
  col(3, bytes(a.address));
  if (a.family === 'inet') col(4, bytes(a.broadcast ?? ZERO4));
  col(5, gauge(a.prefix));
  col(6, int(scope(a.scope)));
  col(7, int(a.ifindex));
  col(8, str(a.ifname));
  if (a.label !== undefined) col(9, str(a.label));
  col(10, truth(a.set));
  col(11, truth(adv));
  if (a.peer !== undefined) col(12, bytes(a.peer));
}

/** a table of tracked things indexed by (owner, position): name, weight, reverse from column `first` */
function trackedTable(b: Builder, table: number, first: number, owners: readonly (readonly SnmpTracked[])[]): void {
  const T: Oid = [...VRRP_OID, table, 1];
  owners.forEach((list, i) => list.forEach((t, j) => {
    b.add([...T, first, i + 1, j + 1], str(t.name));
    b.add([...T, first + 1, i + 1, j + 1], int(t.weight));
    b.add([...T, first + 2, i + 1, j + 1], truth(t.reverse));
  }));
}

function fileTable(b: Builder, files: readonly SnmpFile[]): void {
  const T: Oid = [...VRRP_OID, 13, 1];
  files.forEach((f, i) => {
    b.add([...T, 2, i + 1], str(f.name));
    b.add([...T, 3, i + 1], str(f.path));
    b.add([...T, 4, i + 1], int(f.value));
    b.add([...T, 5, i + 1], int(f.weight));
    b.add([...T, 6, i + 1], truth(f.reverse));
  });
}

function scriptTable(b: Builder, scripts: readonly SnmpScript[]): void {
  const T: Oid = [...VRRP_OID, 9, 1];
  scripts.forEach((s, i) => {
    const x = i + 1;
    b.add([...T, 2, x], str(s.name));
    b.add([...T, 3, x], str(s.command));
    b.add([...T, 4, x], int(s.intervalS));
    b.add([...T, 5, x], int(s.weight));
    // vrrpScriptResult: init(1) bad(2) good(3)
    b.add([...T, 6, x], int(s.ok === undefined ? 1 : s.ok ? 3 : 2));
    b.add([...T, 7, x], gauge(s.rise));
    b.add([...T, 8, x], gauge(s.fall));
    b.add([...T, 9, x], truth(s.reverse));
  });
}

function bfdTable(b: Builder, bfds: readonly SnmpBfd[]): void {
  const T: Oid = [...VRRP_OID, 18, 1];
  bfds.forEach((f, i) => {
    b.add([...T, 2, i + 1], str(f.name));
    // keepalived's bfd_up itself, 0 or 1 (not a TruthValue)
    b.add([...T, 3, i + 1], int(f.up ? 1 : 0));
    b.add([...T, 4, i + 1], int(f.weight));
    b.add([...T, 5, i + 1], truth(f.reverse));
  });
}

function processTable(b: Builder, processes: readonly SnmpProcess[]): void {
  const T: Oid = [...VRRP_OID, 21, 1];
  processes.forEach((p, i) => {
    const c = (col: number, v: SnmpValue): void => b.add([...T, col, i + 1], v);
    c(2, str(p.name));
    c(3, str(p.path));
    c(4, str(p.params));
    c(5, int(p.paramMatch));
    c(6, int(p.weight));
    c(7, truth(p.reverse));
    c(8, gauge(p.quorum));
    // keepalived's UINT_MAX for no limit, in an INTEGER column
    c(9, int(p.quorumMax ?? 0xffffffff));
    c(10, gauge(p.forkDelayUs));
    c(11, gauge(p.terminateDelayUs));
    c(12, truth(p.fullCommand));
    c(13, int(p.count));
    c(14, truth(p.haveQuorum));
  });
}

/** KEEPALIVED-MIB's global scalars alone (the checker process serves them when its SNMP is on). */
export function globalVarbinds(g: SnmpGlobals): Varbind[] {
  const b = new Builder();
  globals(b, g);
  return b.out.sort((x, y) => compareOid(x.oid, y.oid));
}

/** The MIB view of `snap`, sorted by OID, with only the selected MIBs. */
export function buildMib(snap: SnmpSnapshot, sel: MibSelection): Varbind[] {
  const b = new Builder();
  if (sel.global) globals(b, snap.globals);
  if (sel.vrrp) {
    vrrpTables(b, snap);
    scriptTable(b, snap.scripts);
    routeTables(b, [{ routes: snap.staticRoutes, rules: snap.staticRules }, ...snap.instances]);
    trackedTable(b, 12, 2, snap.instances.map((v) => v.trackedFiles));
    fileTable(b, snap.files);
    trackedTable(b, 14, 1, snap.groups.map((g) => g.trackedInterfaces));
    trackedTable(b, 15, 2, snap.groups.map((g) => g.trackedScripts));
    trackedTable(b, 16, 2, snap.groups.map((g) => g.trackedFiles));
    trackedTable(b, 17, 2, snap.instances.map((v) => v.trackedBfds));
    bfdTable(b, snap.bfds);
    trackedTable(b, 19, 2, snap.groups.map((g) => g.trackedBfds));
    trackedTable(b, 20, 2, snap.instances.map((v) => v.trackedProcesses));
    processTable(b, snap.processes);
    trackedTable(b, 22, 2, snap.groups.map((g) => g.trackedProcesses));
  }
  if (sel.rfcv2) rfcv2(b, snap);
  if (sel.rfcv3) rfcv3(b, snap);
  return b.out.sort((x, y) => compareOid(x.oid, y.oid));
}
