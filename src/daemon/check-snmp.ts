/**
 * SNMP of the checker side, as keepalived 2.2.7's checker process serves it: with
 * `enable_snmp_checker` (or -x) an AgentX subagent (src/io/agentx-session.ts) registers
 * KEEPALIVED-MIB's checker subtree and the global scalars at -A, else `snmp_socket`, else
 * net-snmp's default socket, and answers from the checker's dump view (the state
 * keepalived_check.data shows) with the kernel's IPVS counters. With `enable_traps` a real
 * server going up or down, a quorum gained or lost, and each of them at stop, are sent as
 * realServerStateChange / virtualServerQuorumStateChange. As keepalived, SNMP is decided at
 * start: a reload changes what the MIB shows, not whether it is served.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { DEFAULT_TUNNEL } from '../config/lvs-values.js';
import type { KeepalivedConfig, Script, TunnelSpec, VirtualServer } from '../config/model.js';
import type { RsState, VsState } from '../check/servers.js';
import { realWeight } from '../check/servers.js';
import type { RsKey, VsKey } from '../check/types.js';
import { AgentxSession, type SetHandler } from '../io/agentx-session.js';
import { ZERO_COUNTERS, type VsCounters } from '../ipvs/counters.js';
import { schedFlags } from '../ipvs/from-config.js';
import { destId } from '../ipvs/keys.js';
import type { Varbind } from '../snmp/agentx.js';
import { buildCheckMib, CHECK_OID, RS_WEIGHT_COLUMN, weightTarget, type CheckMibReal, type CheckMibSnapshot, type CheckMibTunnel, type CheckMibVirtual } from '../snmp/check-mib.js';
import { quorumTrap, realServerTrap, type TrapMoment, type TrapReal, type TrapService } from '../snmp/check-traps.js';
import { AGENTX_ERROR, compareOid } from '../snmp/agentx.js';
import { GLOBAL_OID } from '../snmp/values.js';
import { globalVarbinds } from '../snmp/vrrp-mib.js';
import type { CheckDumpView } from './check-view.js';
import type { StateTrap } from './check-daemon.js';
import { cmdStr } from '../dump/common.js';
import { serviceProtocol, vsFamily } from '../dump/lvs.js';
import { agentxEndpoint, snmpGlobals, type SnmpCliOptions } from './vrrp-snmp.js';

/** keepalived's default connect_timeout of a virtual server (5 s) */
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** keepalived reads the kernel's counters again when they are this old (ipvswrapper.h STATS_REFRESH) */
const COUNTERS_REFRESH_MS = 5000;

/** Whether the checker process serves SNMP: enable_snmp_checker, or -x. */
export function checkSnmpWanted(cfg: KeepalivedConfig, cli: SnmpCliOptions): boolean {
  return cli.snmp === true || cfg.globalDefs.enableSnmpChecker;
}

const tunnelOf = (t: TunnelSpec | undefined): CheckMibTunnel => {
  const x = t ?? DEFAULT_TUNNEL;
  return { type: x.tunType, ...(x.tunPort !== undefined ? { port: x.tunPort } : {}), csum: x.tunCsum };
};

/** An IPv4 netmask of `prefix` bits. */
const mask4 = (prefix: number): Uint8Array => Uint8Array.from([0, 1, 2, 3], (i) => (0xff << (8 - Math.min(8, Math.max(0, prefix - 8 * i)))) & 0xff);

/** keepalived's vs->af once its group is known (ipwrapper.c: the group's one family, if it has one). */
function effectiveFamily(vs: VirtualServer, cfg: KeepalivedConfig): 'inet' | 'inet6' | undefined {
  const own = vsFamily(vs);
  if (own || vs.group === undefined) return own;
  const entries = cfg.virtualServerGroups.find((g) => g.name === vs.group)?.entries ?? [];
  const fams = new Set(entries.map((e) => (e.fwmark !== undefined ? e.family : e.first?.family)).filter((f) => f !== undefined));
  return fams.size === 1 ? [...fams][0] : undefined;
}

function scriptText(s: Script | undefined, view: CheckDumpView): string | undefined {
  if (!s) return undefined;
  return cmdStr(view.host?.resolveScript(s).argv ?? s.argv);
}

/** A real server's address and port as the MIB shows them (a fwmark service's have no port) */
function realAddress(rs: RsState): TrapReal {
  const c = rs.cfg;
  return { family: c.address.family, address: c.address.bytes, port: rs.vs.cfg.fwmark === undefined ? c.port ?? 0 : 0 };
}

function realRow(rs: RsState, view: CheckDumpView, counters: VsCounters | undefined): CheckMibReal {
  const c = rs.cfg;
  const vs = rs.vs.cfg;
  const g = view.config.globalDefs;
  const at = realAddress(rs);
  const kind = c.lvsMethod ?? vs.lbKind;
  const k = counters?.dests.get(destId({ address: c.address, port: at.port })) ?? ZERO_COUNTERS;
  const up = scriptText(c.notifyUp, view);
  const down = scriptText(c.notifyDown, view);
  return {
    sorry: false, ...at, kind,
    ...(kind === 'TUN' ? { tunnel: tunnelOf(c.tunnel ?? vs.tunnel) } : {}),
    alive: rs.alive, weight: realWeight(rs.effWeight), uthreshold: c.uthreshold ?? 0, lthreshold: c.lthreshold ?? 0, inhibit: rs.inhibit,
    ...(up !== undefined ? { notifyUp: up } : {}), ...(down !== undefined ? { notifyDown: down } : {}),
    failedChecks: rs.numFailed, stats: k, activeConns: k.activeConns, inactConns: k.inactConns, persistConns: k.persistConns,
    ...(c.virtualhost !== undefined ? { virtualhost: c.virtualhost } : {}),
    alpha: c.alpha ?? vs.alpha,
    ...optional('retry', c.retry ?? vs.retry), ...optional('delayBeforeRetryMs', c.delayBeforeRetryMs ?? vs.delayBeforeRetryMs),
    ...optional('warmupMs', c.warmupMs ?? vs.warmupMs), ...optional('delayLoopMs', c.delayLoopMs ?? vs.delayLoopMs),
    connectTimeoutMs: c.connectTimeoutMs ?? vs.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    // a real server alerts unless told not to (keepalived's backward-compatible default)
    smtpAlert: c.smtpAlert ?? g.smtpAlertChecker ?? g.smtpAlert ?? true,
    ...(c.snmpName !== undefined ? { name: c.snmpName } : {}),
  };
}

function optional<K extends string>(key: K, v: number | undefined): Partial<Record<K, number>> {
  return v === undefined ? {} : ({ [key]: v } as Partial<Record<K, number>>);
}

/** The sorry server's row: its address and forwarding, no state, no timing (keepalived's zeros). */
function sorryRow(state: VsState, counters: VsCounters | undefined): CheckMibReal | undefined {
  const s = state.sorry;
  const vs = state.cfg;
  if (!s) return undefined;
  const port = s.port ?? 0;
  const kind = vs.sorryServerLvsMethod ?? vs.lbKind;
  const k = counters?.dests.get(destId({ address: s.address, port })) ?? ZERO_COUNTERS;
  return {
    sorry: true, family: s.address.family, address: s.address.bytes, port, kind,
    ...(kind === 'TUN' ? { tunnel: tunnelOf(vs.sorryServerTunnel ?? vs.tunnel) } : {}),
    alive: false, weight: 0, uthreshold: 0, lthreshold: 0, inhibit: vs.sorryServerInhibit, failedChecks: 0,
    stats: k, activeConns: k.activeConns, inactConns: k.inactConns, persistConns: k.persistConns,
    alpha: false, connectTimeoutMs: 0, smtpAlert: false,
  };
}

/** How the MIB and its notifications name a virtual server (group, fwmark or address), and its quorum */
function serviceOf(vs: VirtualServer, cfg: KeepalivedConfig): TrapService {
  return {
    ...(vs.group !== undefined ? { group: vs.group } : {}), ...(vs.fwmark !== undefined ? { fwmark: vs.fwmark } : {}),
    ...(vs.address ? { addressFamily: vs.address.family, address: vs.address.bytes, port: vs.port ?? 0 } : {}),
    ...(vs.fwmark === undefined ? { protocol: serviceProtocol(vs, cfg.virtualServerGroups) ?? 'none' } : {}),
    quorum: vs.quorum,
  };
}

function virtualRow(idx: number, view: CheckDumpView, counters: VsCounters | undefined): CheckMibVirtual | undefined {
  const cfg = view.config;
  const vs = cfg.virtualServers[idx];
  const state = view.engine?.virtualServers[idx];
  if (!vs || !state) return undefined;
  const gran = vs.persistenceGranularity;
  const sorry = sorryRow(state, counters);
  const up = scriptText(vs.quorumUp, view);
  const down = scriptText(vs.quorumDown, view);
  const family = effectiveFamily(vs, cfg);
  return {
    ...serviceOf(vs, cfg), ...(family ? { family } : {}),
    scheduler: vs.lbAlgo, kind: vs.lbKind, ...(vs.lbKind === 'TUN' ? { tunnel: tunnelOf(vs.tunnel) } : {}),
    alive: view.serviceUp(idx), ...(vs.virtualhost !== undefined ? { virtualhost: vs.virtualhost } : {}),
    persistenceTimeoutS: vs.persistenceTimeoutS ?? 0,
    granularity4: gran?.family === 'inet' ? mask4(gran.prefix) : mask4(32),
    granularity6: gran?.family === 'inet6' ? gran.prefix : 0xffffffff,
    haSuspend: vs.haSuspend, flags: schedFlags(vs, true), alpha: vs.alpha, omega: vs.omega,
    quorumUp: state.quorumUp, ...(up !== undefined ? { quorumUpScript: up } : {}), ...(down !== undefined ? { quorumDownScript: down } : {}),
    hysteresis: vs.hysteresis, stats: counters?.stats ?? ZERO_COUNTERS, inhibit: vs.inhibitOnFailure, weight: vs.weight, smtpAlert: vs.smtpAlert === true,
    ...optional('retry', vs.retry), ...optional('delayBeforeRetryMs', vs.delayBeforeRetryMs), ...optional('warmupMs', vs.warmupMs),
    delayLoopMs: vs.delayLoopMs, connectTimeoutMs: vs.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    ...(vs.snmpName !== undefined ? { name: vs.snmpName } : {}),
    reals: [...(sorry ? [sorry] : []), ...state.rss.map((rs) => realRow(rs, view, counters))],
  };
}

/** What the checker MIB shows of the checker process now. */
export function checkSnapshot(view: CheckDumpView, counters: readonly VsCounters[] | undefined): CheckMibSnapshot {
  const cfg = view.config;
  const g = cfg.globalDefs;
  const d = g.lvsSyncDaemon;
  return {
    groups: cfg.virtualServerGroups.map((grp) => ({
      name: grp.name,
      // keepalived keeps a group's fwmarks and its addresses in two lists, fwmarks first
      entries: [...grp.entries.filter((e) => e.fwmark !== undefined), ...grp.entries.filter((e) => e.fwmark === undefined)].map((e) => ({
        ...(e.fwmark !== undefined ? { fwmark: e.fwmark } : {}), family: (e.fwmark !== undefined ? e.family : e.first?.family) ?? 'inet',
        ...(e.first ? { first: e.first.bytes, last: (e.last ?? e.first).bytes } : {}), port: e.port ?? 0,
      })),
    })),
    virtuals: cfg.virtualServers.flatMap((_vs, i) => virtualRow(i, view, counters?.[i]) ?? []),
    ...(d ? {
      syncDaemon: {
        interface: d.interface, ...(d.instance !== undefined ? { instance: d.instance } : {}), syncId: d.syncId ?? 0,
        maxLen: d.maxLen ?? 0, port: d.port ?? 0, ttl: d.ttl ?? 0, ...(d.group ? { group: { family: d.group.family, address: d.group.bytes } } : {}),
      },
    } : {}),
    timeouts: { tcp: g.lvsTimeouts?.tcpS ?? 0, tcpfin: g.lvsTimeouts?.tcpfinS ?? 0, udp: g.lvsTimeouts?.udpS ?? 0 },
  };
}

/** The notification of one state change, from the virtual server as it is now and the moment's counts. */
export function trapOf(e: StateTrap, view: CheckDumpView, host: string): Varbind[] | undefined {
  const state = view.engine?.server(e.vs);
  if (!state) return undefined;
  const vs = state.cfg;
  const v = serviceOf(vs, view.config);
  const routerId = view.config.globalDefs.routerId ?? host;
  const moment: TrapMoment = { realUp: e.realUp, realTotal: state.rss.length, quorumUp: e.quorumUp, ...(e.alive !== undefined ? { alive: e.alive } : {}) };
  if (e.rs === undefined) return quorumTrap(v, moment, e.stopping, routerId);
  const rs = state.rss.find((r) => r.name === e.rs);
  return rs ? realServerTrap(v, realAddress(rs), moment, routerId) : undefined;
}

/** The largest weight IPVS takes (keepalived's IPVS_WEIGHT_LIMIT) */
const WEIGHT_LIMIT = 2147483647;

/**
 * realServerWeight, writable as in keepalived 2.2.7 (check_snmp_realserver_weight): an integer
 * sets the real server's effective weight, as a MISC_CHECK's dynamic weight does (the table
 * follows if it is in it and alive, and the quorum is weighed again). Any other object is not
 * writable, the sorry server's row neither, a row that is not there cannot be made.
 */
function weightSetter(src: CheckSnmpSource, slog: Logger): SetHandler {
  const rows = (): { sorry: boolean; reals: number }[] => src.config.virtualServers.map((vs) => ({ sorry: vs.sorryServer !== undefined, reals: vs.realServers.length }));
  return {
    test: (vbs) => {
      const r = rows();
      for (const [i, vb] of vbs.entries()) {
        const fail = (error: number): { error: number; index: number } => ({ error, index: i + 1 });
        if (compareOid(vb.oid.slice(0, RS_WEIGHT_COLUMN.length), RS_WEIGHT_COLUMN) !== 0) return fail(AGENTX_ERROR.notWritable);
        const t = weightTarget(vb.oid, r);
        if (!t) return fail(AGENTX_ERROR.noCreation);
        if (vb.type !== 2 || vb.integer === undefined) return fail(AGENTX_ERROR.wrongType);
        if (vb.integer < 0 || vb.integer > WEIGHT_LIMIT) return fail(AGENTX_ERROR.wrongValue);
      }
      return { error: 0, index: 0 };
    },
    commit: (vbs) => {
      const r = rows();
      for (const vb of vbs) {
        const t = weightTarget(vb.oid, r);
        if (!t || vb.integer === undefined) continue;
        // the MIB's rows are the configuration's order; the engine is told the servers' keys
        const state = src.dumpView().engine?.virtualServers[t.vs];
        const rs = state?.rss[t.rs];
        if (!state || !rs) continue;
        slog.info({ vs: state.name, rs: rs.name, weight: vb.integer }, 'SNMP set a real server\'s weight');
        src.setWeight(state.key, rs.name, vb.integer);
      }
    },
  };
}

export interface CheckSnmp {
  /** a state change of the engine: sent when enable_traps is on */
  trap(e: StateTrap): void;
  stop(): Promise<void>;
  readonly session: AgentxSession;
}

export interface CheckSnmpSource {
  /** the configuration running now */
  readonly config: KeepalivedConfig;
  /** realServerWeight written: the real server's effective weight */
  setWeight(vs: VsKey, rs: RsKey, weight: number): void;
  /** changes with every change of the servers' state */
  readonly stateGeneration: number;
  dumpView(): CheckDumpView;
  ipvsCounters(): Promise<readonly VsCounters[] | undefined>;
}

/** Starts the checker's SNMP when enable_snmp_checker or -x asks for it; undefined otherwise. */
export function startCheckSnmp(src: CheckSnmpSource, cfg: KeepalivedConfig, log: Logger, cli: SnmpCliOptions): CheckSnmp | undefined {
  if (!checkSnmpWanted(cfg, cli)) return undefined;
  const slog = log.child({ mod: 'snmp' });
  const ep = agentxEndpoint(cfg, cli, slog);
  if (!ep) return undefined;
  const host = hostname();
  const regions = [{ oid: GLOBAL_OID, name: 'Keepalived' }, { oid: CHECK_OID, name: 'Healthchecker' }];
  slog.info({ mibs: regions.map((r) => r.name) }, 'Starting SNMP subagent');
  /** one view answers every request until the servers' state, the counters or the configuration change */
  let cached: { generation: number; mib: readonly Varbind[] } | undefined;
  /** the counters, and the configuration whose virtual servers they are of (a reload makes them stale) */
  let counters: { at: number; config: KeepalivedConfig; value: readonly VsCounters[] | undefined } | undefined;
  let reading: Promise<void> | undefined;
  /** the kernel's counters, read again when older than keepalived's refresh (one read at a time) */
  const readCounters = (): Promise<void> => {
    const config = src.config;
    const read = async (): Promise<void> => {
      try {
        counters = { at: Date.now(), config, value: await src.ipvsCounters() };
      } catch (e) {
        counters = { at: Date.now(), config, value: undefined };
        slog.warn({ err: (e as Error).message }, 'SNMP: the IPVS counters could not be read');
      } finally {
        reading = undefined;
        cached = undefined;
      }
    };
    return (reading ??= read());
  };
  const build = (): readonly Varbind[] => {
    const generation = src.stateGeneration;
    if (cached?.generation === generation) return cached.mib;
    const v = src.dumpView();
    // the global scalars (…5.1) come before the checker's tables (…5.3): in OID order as they are
    const mib = v.engine === undefined ? [] : [...globalVarbinds(snmpGlobals(v.config, host)), ...buildCheckMib(checkSnapshot(v, counters?.config === v.config ? counters.value : undefined))];
    cached = { generation, mib };
    return mib;
  };
  const session = new AgentxSession({
    endpoint: ep, regions, description: 'keepalived-ts checker', log: slog, set: weightSetter(src, slog),
    // as keepalived's ipvs_update_stats: counters older than 5 s are read before answering
    mib: () => (!counters || counters.config !== src.config || Date.now() - counters.at >= COUNTERS_REFRESH_MS ? readCounters().then(build) : build()),
  });
  session.start();
  return {
    session,
    trap: (e) => {
      cached = undefined;
      if (!src.config.globalDefs.enableTraps) return;
      const t = trapOf(e, src.dumpView(), host);
      if (t) session.notify(t);
    },
    stop: () => session.stop(),
  };
}
