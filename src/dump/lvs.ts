/**
 * The "LVS Topology" of keepalived_check.data, as keepalived 2.2.7's checker process writes it
 * (check/check_data.c dump_vsg, dump_vs, dump_rs, dump_forwarding_method): virtual server groups,
 * then each virtual server with its real servers, every field in keepalived's order, words and
 * units (times in seconds with six decimals). Values are those keepalived-ts runs with: the
 * configuration as completed (complete-lvs.ts, with keepalived's inheritance of real server
 * settings from the virtual server applied here) and the checker engine's state (alive, weights,
 * quorum, what is in the IPVS table).
 */
import { formatVs, trio as trioOf } from '../check/format.js';
import { realWeight, type RsState, type VsState } from '../check/servers.js';
import { DEFAULT_TUNNEL } from '../config/lvs-values.js';
import type { KeepalivedConfig, LbKind, Protocol, TunnelSpec, VirtualServer, VirtualServerGroup } from '../config/model.js';
import * as C from '../ipvs/constants.js';
import { schedFlags } from '../ipvs/from-config.js';
import { formatIp, type IpAddress } from '../util/ip.js';
import type { CheckDumpView } from '../daemon/check-view.js';
import { scriptWithUser, secUsec } from './common.js';

/** keepalived's default connect_timeout of a virtual server (5 s). */
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

const onOff = (b: boolean): string => (b ? 'ON' : 'OFF');
const abled = (b: boolean): string => (b ? 'enabled' : 'disabled');
const bit = (b: boolean): number => (b ? 1 : 0);

/** keepalived format_decimal(µs, 6) of a time in ms: "2.000000" (the same text as a timestamp's). */
const usDecimal = secUsec;

/** keepalived's vs->service_type: none for a fwmark service (a group of fwmarks only included). */
export function serviceProtocol(vs: VirtualServer, groups: readonly VirtualServerGroup[]): Protocol | undefined {
  if (vs.fwmark !== undefined) return undefined;
  if (vs.group !== undefined) {
    const entries = groups.find((g) => g.name === vs.group)?.entries ?? [];
    if (entries.every((e) => e.fwmark !== undefined) && entries.length > 0) return undefined;
  }
  return vs.protocol;
}

/** keepalived's inet_sockaddrtotrio: "[ip]:proto:port", proto "none" for a fwmark service. */
export const trio = (a: IpAddress, protocol: Protocol | undefined, port: number | undefined): string =>
  trioOf(a, protocol ?? 'none', port);

/**
 * keepalived's vs->af: the address's family; else ip_family (or persistence_granularity's);
 * else the first real server, then the sorry server, not forwarded by TUN; else, for a fwmark
 * service, any of them, or IPv4. A group of tunnelled servers only has none.
 */
export function vsFamily(vs: VirtualServer): 'inet' | 'inet6' | undefined {
  if (vs.address) return vs.address.family;
  if (vs.ipFamily) return vs.ipFamily;
  const first = vs.realServers.find((rs) => rs.lvsMethod !== 'TUN');
  if (first) return first.address.family;
  if (vs.sorryServer && (vs.sorryServerLvsMethod ?? vs.lbKind) !== 'TUN') return vs.sorryServer.address.family;
  if (vs.group !== undefined) return undefined;
  const all = [...(vs.sorryServer ? [vs.sorryServer.address.family] : []), ...vs.realServers.map((rs) => rs.address.family)];
  return all.length > 0 && all.every((f) => f === all[0]) ? all[0] : 'inet';
}

/** keepalived dump_forwarding_method; GUE and GRE lines lose the prefix, as keepalived's do. */
export function forwardingLine(prefix: string, method: LbKind, tunnel: TunnelSpec | undefined): string {
  const fwd = 'forwarding method = ';
  if (method !== 'TUN') return `   ${prefix}${fwd}${method}`;
  const t = tunnel ?? DEFAULT_TUNNEL;
  if (t.tunType === 'ipip') return `   ${prefix}${fwd}TUN, type = IPIP`;
  const csum = t.tunCsum === 'nocsum' ? ', no checksum' : t.tunCsum === 'csum' ? ', checksum' : ', remote checksum';
  return t.tunType === 'gue' ? `   ${fwd}TUN, type = GUE, port = ${t.tunPort ?? 0}${csum}` : `   ${fwd}TUN, type = GRE${csum}`;
}

function groupLines(g: VirtualServerGroup, view: CheckDumpView): string[] {
  const users = (view.engine?.virtualServers ?? []).filter((v) => v.cfg.group === g.name);
  /** keepalived's per-entry alive counts: the destinations in the table of each service using it */
  const alive = (pick: (vs: VsState) => boolean): number =>
    users.filter(pick).reduce((n, vs) => n + vs.liveDests().length, 0);
  const reloaded = users.some((v) => v.reloaded) ? 'True' : 'False';
  const v4 = g.entries.some((e) => (e.fwmark !== undefined ? e.family === 'inet' : e.first?.family === 'inet'));
  const v6 = g.entries.some((e) => (e.fwmark !== undefined ? e.family === 'inet6' : e.first?.family === 'inet6'));
  const out = [' ------< Virtual server group >------', ` Virtual Server Group = ${g.name}, IPv4 = ${v4 ? 'yes' : 'no'}, IPv6 = ${v6 ? 'yes' : 'no'}`];
  for (const e of g.entries) {
    if (e.fwmark !== undefined || !e.first) continue;
    const last = e.last ?? e.first;
    const same = formatIp(last) === formatIp(e.first);
    out.push(
      same ? `   VIP = ${formatIp(e.first)}, VPORT = ${e.port ?? 0}` : `   VIP Range = ${formatIp(e.first)}-${formatIp(last)}, VPORT = ${e.port ?? 0}`,
      `     Alive: ${alive((v) => v.cfg.protocol === 'TCP')} tcp, ${alive((v) => v.cfg.protocol === 'UDP')} udp, ${alive((v) => v.cfg.protocol === 'SCTP')} sctp`,
      `     reloaded = ${reloaded}`,
    );
  }
  for (const e of g.entries) {
    if (e.fwmark === undefined) continue;
    out.push(
      `   FWMARK = ${e.fwmark}${e.family === 'inet' ? ' IPv4' : e.family === 'inet6' ? ' IPv6' : ''}`,
      `     Alive: ${alive((v) => vsFamily(v.cfg) === 'inet')} IPv4, ${alive((v) => vsFamily(v.cfg) !== 'inet')} IPv6`,
      `     reloaded = ${reloaded}`,
    );
  }
  return out;
}

function schedulerLines(vs: VirtualServer): string[] {
  const f = schedFlags(vs, true);
  const on = (flag: number): string => abled((f & flag) !== 0);
  const out = [`   Hashed = ${on(C.SVC_F_HASHED)}`];
  if (vs.lbAlgo === 'sh') out.push(`   sh-port = ${on(C.SVC_F_SCHED_SH_PORT)}`, `   sh-fallback = ${on(C.SVC_F_SCHED_SH_FALLBACK)}`);
  else if (vs.lbAlgo === 'mh') out.push(`   mh-port = ${on(C.SVC_F_SCHED_MH_PORT)}`, `   mh-fallback = ${on(C.SVC_F_SCHED_MH_FALLBACK)}`);
  else out.push(`   flag-1 = ${on(C.SVC_F_SCHED1)}`, `   flag-2 = ${on(C.SVC_F_SCHED2)}`, `   flag-3 = ${on(C.SVC_F_SCHED3)}`);
  return out;
}

/** An IPv4 netmask of `prefix` bits, dotted. */
const netmask = (prefix: number): string =>
  [0, 1, 2, 3].map((i) => (0xff << (8 - Math.min(8, Math.max(0, prefix - 8 * i)))) & 0xff).join('.');

function rsLines(rs: RsState, view: CheckDumpView, inTable: boolean): string[] {
  const c = rs.cfg;
  const vs = rs.vs.cfg;
  const g = view.config.globalDefs;
  const host = view.host;
  const retry = c.retry ?? vs.retry;
  const dbr = c.delayBeforeRetryMs ?? vs.delayBeforeRetryMs;
  const warmup = c.warmupMs ?? vs.warmupMs;
  const method = c.lvsMethod ?? vs.lbKind;
  const out = [
    '   ------< Real server >------',
    `   RIP = ${formatIp(c.address)}, RPORT = ${c.port ?? 0}, WEIGHT = ${realWeight(rs.effWeight)} EFF WEIGHT = ${rs.effWeight}`,
    forwardingLine('', method, c.tunnel ?? vs.tunnel),
    `   Alpha is ${onOff(c.alpha ?? vs.alpha)}`,
    `   connection timeout = ${usDecimal(c.connectTimeoutMs ?? vs.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS)}`,
    `   connection limit range = ${c.lthreshold ?? 0} -> ${c.uthreshold ?? 0}`,
    `   Delay loop = ${usDecimal(c.delayLoopMs ?? vs.delayLoopMs)}`,
  ];
  if (retry !== undefined) out.push(`   Retry count = ${retry}`);
  if (dbr !== undefined) out.push(`   Retry delay = ${usDecimal(dbr)}`);
  if (warmup !== undefined) out.push(`   Warmup = ${usDecimal(warmup)}`);
  out.push(`   Inhibit on failure is ${onOff(rs.inhibit)}`);
  if (c.notifyUp) out.push(`     RS up notify script = ${scriptWithUser(c.notifyUp, host)}`);
  if (c.notifyDown) out.push(`     RS down notify script = ${scriptWithUser(c.notifyDown, host)}`);
  if (c.virtualhost !== undefined) out.push(`    VirtualHost = '${c.virtualhost}'`);
  if (c.snmpName !== undefined) out.push(`   SNMP name = ${c.snmpName}`);
  // a real server alerts unless told not to (keepalived's backward-compatible default)
  out.push(`   Using smtp notification = ${c.smtpAlert ?? g.smtpAlertChecker ?? g.smtpAlert ?? true ? 'yes' : 'no'}`);
  out.push(
    `   initial weight = ${rs.iweight}`,
    `   effective weight = ${rs.effWeight}`,
    `   previous effective_weight = ${rs.prevEffWeight}`,
    `   alive = ${bit(rs.alive)}`,
    `   num failed checkers = ${rs.numFailed}`,
    `   RS set = ${bit(inTable)}`,
    `   reloaded = ${bit(rs.reloaded)}`,
  );
  const files = c.checkers.flatMap((k) => (k.type === 'FILE_CHECK' ? [k] : []));
  const tracked = files.flatMap((k) => {
    const tf = view.config.trackFiles.find((t) => t.name === k.trackFile);
    if (!tf) return [];
    const [weight, reverse] = k.weight !== undefined ? [k.weight, k.weightReverse] : [tf.weight, tf.weightReverse];
    return [`     ${tf.name}, weight ${weight}${reverse ? ' reverse' : ''}`];
  });
  if (tracked.length) out.push('   Tracked Files', ...tracked);
  return out;
}

function vsLines(vs: VirtualServer, idx: number, view: CheckDumpView): string[] {
  const cfg = view.config;
  const state = view.engine?.virtualServers[idx];
  const proto = serviceProtocol(vs, cfg.virtualServerGroups);
  const family = vsFamily(vs);
  const out = [' ------< Virtual server >------'];
  if (vs.group !== undefined) out.push(` VS GROUP = ${formatVs(vs)}`);
  else if (vs.fwmark !== undefined) out.push(` VS FWMARK = ${vs.fwmark}`);
  else out.push(` VS VIP = ${formatIp(vs.address!)}, VPORT = ${vs.port ?? 0}`);
  if (vs.virtualhost !== undefined) out.push(`   VirtualHost = ${vs.virtualhost}`);
  if (vs.snmpName !== undefined) out.push(`   SNMP name = '${vs.snmpName}'`);
  if (family) out.push(`   Address family = inet${family === 'inet' ? '' : '6'}`);
  else {
    const entries = cfg.virtualServerGroups.find((g) => g.name === vs.group)?.entries ?? [];
    const fam = (e: (typeof entries)[number]): string | undefined => (e.fwmark !== undefined ? e.family : e.first?.family);
    const both = entries.some((e) => fam(e) === 'inet') && entries.some((e) => fam(e) === 'inet6');
    out.push(`   Address family = ${both ? 'IPv4 & IPv6' : 'unknown'}`);
  }
  const ops = vs.schedFlags.includes('ops');
  out.push(
    `   connection timeout = ${usDecimal(vs.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS)}`,
    `   delay_loop = ${usDecimal(vs.delayLoopMs)}`,
    `   lvs_sched = ${vs.lbAlgo}`,
    ...schedulerLines(vs),
    `   One packet scheduling = ${abled(ops)}${ops && proto !== 'UDP' ? ' (inactive due to not UDP)' : ''}`,
  );
  if (vs.persistenceTimeoutS) out.push(`   persistence timeout = ${vs.persistenceTimeoutS}`);
  const gran = vs.persistenceGranularity;
  if (gran) out.push(`   persistence granularity = ${family === 'inet6' ? gran.prefix : netmask(gran.prefix)}`);
  out.push(
    `   protocol = ${proto ?? 'none'}`,
    `   alpha is ${onOff(vs.alpha)}`,
    `   omega is ${onOff(vs.omega)}`,
  );
  if (vs.retry !== undefined) out.push(`   Retry count = ${vs.retry}`);
  if (vs.delayBeforeRetryMs !== undefined) out.push(`   Retry delay = ${usDecimal(vs.delayBeforeRetryMs)}`);
  if (vs.warmupMs !== undefined) out.push(`   Warmup = ${usDecimal(vs.warmupMs)}`);
  out.push(`   Inhibit on failure is ${onOff(vs.inhibitOnFailure)}`, `   quorum = ${vs.quorum}, hysteresis = ${vs.hysteresis}`);
  if (vs.quorumUp) out.push(`   Quorum up notify script = ${scriptWithUser(vs.quorumUp, view.host)}`);
  if (vs.quorumDown) out.push(`   Quorum down notify script = ${scriptWithUser(vs.quorumDown, view.host)}`);
  if (vs.haSuspend) out.push('   Using HA suspend');
  out.push(`   Using smtp notification = ${vs.smtpAlert ? 'yes' : 'no'}`, forwardingLine('default ', vs.lbKind, vs.tunnel));
  const sorry = vs.sorryServer;
  if (sorry) {
    const port = state?.sorry?.port ?? sorry.port;
    const duplicates = vs.realServers.some((rs) => formatIp(rs.address) === formatIp(sorry.address) && (rs.port ?? 0) === (port ?? 0));
    out.push(
      `   sorry server ${duplicates ? '(duplicates rs) ' : ''}= ${trio(sorry.address, proto, port)}`,
      forwardingLine('  ', vs.sorryServerLvsMethod ?? vs.lbKind, vs.sorryServerTunnel ?? vs.tunnel),
      `     Inhibit on failure is ${onOff(vs.sorryServerInhibit)}`,
    );
  }
  out.push(`   alive = ${bit(view.serviceUp(idx))}`, `   quorum_state_up = ${bit(state?.quorumUp ?? true)}`, `   reloaded = ${bit(state?.reloaded ?? false)}`);
  if (state) {
    const live = state.liveDests();
    const inTable = (rs: RsState): boolean =>
      live.some((d) => formatIp(d.address) === formatIp(rs.cfg.address) && (d.port ?? 0) === (vs.fwmark === undefined ? rs.cfg.port ?? 0 : 0));
    for (const rs of state.rss) out.push(...rsLines(rs, view, inTable(rs)));
  }
  return out;
}

/** "------< LVS Topology >------" and everything under it; nothing without virtual servers. */
export function lvsTopologyLines(view: CheckDumpView): string[] {
  const cfg: KeepalivedConfig = view.config;
  if (cfg.virtualServers.length === 0) return [];
  return [
    '------< LVS Topology >------',
    // keepalived 2.2.7 as Debian builds it: the kernel headers' IP_VS_VERSION_CODE
    ' System is compiled with LVS v1.2.1',
    ...cfg.virtualServerGroups.flatMap((g) => groupLines(g, view)),
    ...cfg.virtualServers.flatMap((vs, i) => vsLines(vs, i, view)),
  ];
}
