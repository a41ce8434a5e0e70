/**
 * SNMP of the VRRP side, as keepalived 2.2.7's VRRP process serves it: an AgentX subagent
 * (src/io/agentx-session.ts) registers the MIBs that `enable_snmp_vrrp` (`enable_snmp_keepalived`),
 * `enable_snmp_rfcv2`, `enable_snmp_rfcv3` (`enable_snmp_rfc`: both) or `-x` (all three) ask
 * for, at `-A`, else `snmp_socket`, else net-snmp's default socket, and answers from the
 * daemon's view (the state the dumps and metrics read: nothing is kept twice). With
 * `enable_traps` the state changes, and adverts dropped for their authentication or their
 * TTL, version or checksum, are sent as notifications (src/snmp/vrrp-traps.ts).
 *
 * As keepalived, the MIBs are chosen at start: a reload changes what they show, not which are
 * served. KEEPALIVED-MIB's global scalars go with the VRRP tables, unless the checker process
 * runs with its own SNMP (`enable_snmp_checker`, src/daemon/check-snmp.ts) and serves them.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { AddressEntry, KeepalivedConfig, Script, TrackProcess, TrackRef } from '../config/model.js';
import { matcherFor, type ProcessMatcher } from '../io/track-process.js';
import { AgentxSession } from '../io/agentx-session.js';
import { defaultEmailFrom } from '../io/smtp-alert.js';
import type { Varbind } from '../snmp/agentx.js';
import { parseAgentxSocket, type AgentxEndpoint } from '../snmp/endpoint.js';
import { buildMib, mibRegions, type SnmpAddress, type SnmpInstance, type SnmpProcess, type SnmpGlobals, type SnmpScripts, type SnmpSnapshot, type SnmpState, type SnmpTracked } from '../snmp/vrrp-mib.js';
import { dropTraps, groupTraps, instanceTraps, protoErrReason, type TrapDropInstance, type TrapSettings } from '../snmp/vrrp-traps.js';
import { KEEPALIVED_VERSION } from '../cli-args.js';
import { parseIp } from '../util/ip.js';
import type { Effect } from '../vrrp/types.js';
import { acceptMode, cmdStr, keepalivedCounters, vipPlace } from '../dump/common.js';
import type { HostLink, VrrpView } from './view.js';
import { routeRows } from './vrrp-snmp-routes.js';
import { snmpSelection, type SnmpCliOptions } from './snmp-selection.js';

export { snmpSelection, type SnmpCliOptions } from './snmp-selection.js';

/** how long one MIB view answers requests (counters may lag by this much; states never: a change drops it) */
const MIB_CACHE_MS = 500;
const TRAP_STATES = new Set(['MASTER', 'BACKUP', 'FAULT', 'STOP', 'DELETED']);
const RT_SCOPES: Record<string, number> = { global: 0, site: 200, link: 253, host: 254, nowhere: 255 };
const IFA_F_SECONDARY = 0x01;

function scriptText(s: Script | undefined, view: VrrpView): string | undefined {
  if (!s) return undefined;
  return cmdStr(view.host?.resolveScript(s).argv ?? s.argv);
}

/** An address as KEEPALIVED-MIB's vrrpAddressTable shows it, on `dev`, installed or not. */
function address(a: AddressEntry, dev: string, set: boolean, links: readonly HostLink[]): SnmpAddress {
  const link = links.find((l) => l.link.name === dev)?.link;
  const bytes = a.address.bytes;
  let broadcast: Uint8Array | undefined;
  if (a.address.family === 'inet' && a.broadcast !== undefined) {
    if (a.broadcast === '+' || a.broadcast === '-') {
      const n = (((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0);
      const host = a.address.prefixLen >= 32 ? 0 : (0xffffffff >>> a.address.prefixLen);
      const b = a.broadcast === '+' ? (n | host) >>> 0 : (n & ~host) >>> 0;
      broadcast = Uint8Array.of(b >>> 24, (b >>> 16) & 255, (b >>> 8) & 255, b & 255);
    } else broadcast = parseIp(a.broadcast)?.bytes;
  }
  const scope = a.scope === undefined ? 0 : RT_SCOPES[a.scope] ?? (Number.isInteger(Number(a.scope)) ? Number(a.scope) : 0);
  return {
    family: a.address.family, address: bytes, prefix: a.address.prefixLen, ...(broadcast ? { broadcast } : {}),
    scope, ifindex: link?.index ?? 0, ifname: dev, ...(a.label !== undefined ? { label: a.label } : {}),
    set, ...(a.peer ? { peer: a.peer.bytes } : {}),
  };
}

/** static_ipaddress: installed when the interface holds it */
function staticAddress(a: AddressEntry, links: readonly HostLink[]): SnmpAddress {
  const dev = a.dev ?? '';
  const held = links.find((l) => l.link.name === dev)?.addresses
    .some((x) => x.prefixLen === a.address.prefixLen && x.address.length === a.address.bytes.length && x.address.every((b, i) => b === a.address.bytes[i])) ?? false;
  return address(a, dev, held, links);
}

/** keepalived's ifp->sin_addr / sin6_addr: the interface's primary IPv4, or its link-local IPv6 address. */
function primaryAddress(link: HostLink | undefined, family: 'inet' | 'inet6', vips: readonly AddressEntry[]): Uint8Array | undefined {
  const isVip = (b: Uint8Array): boolean => vips.some((v) => v.address.bytes.every((x, i) => x === b[i]) && v.address.bytes.length === b.length);
  const found = link?.addresses.find((a) => a.family === family && (family === 'inet' ? (a.flags & IFA_F_SECONDARY) === 0 : a.scope === 253) && !isVip(a.address));
  return found?.address;
}

const PARAM_MATCH: Readonly<Record<ProcessMatcher['mode'], number>> = { none: 0, exact: 1, initial: 2, partial: 3 };

/** a vrrp_track_process as keepalived's vrrpTrackProcessTable shows it */
function snmpProcess(p: TrackProcess, status: { readonly count: number; readonly up: boolean } | undefined): SnmpProcess {
  const m = matcherFor(p);
  const [path = '', ...params] = p.process ?? [];
  return {
    name: p.name, path, params: params.join(' '), paramMatch: PARAM_MATCH[m?.mode ?? 'none'], weight: p.weight, reverse: p.weightReverse,
    quorum: p.quorum, ...(p.quorumMax !== undefined ? { quorumMax: p.quorumMax } : {}),
    forkDelayUs: (p.forkDelayMs ?? 0) * 1000, terminateDelayUs: (p.terminateDelayMs ?? 0) * 1000, fullCommand: m?.full ?? p.fullCommand,
    count: status?.count ?? 0, haveQuorum: status?.up ?? false,
  };
}

/** What the SNMP side keeps of its own: RFC 6527's master reason and last protocol error per instance. */
export class MasterReasons {
  private readonly next = new Map<string, number>();
  private readonly now = new Map<string, number>();
  private readonly protoErr = new Map<string, number>();
  observe(e: Effect): void {
    if (e.type === 'rxDrop') {
      const r = protoErrReason(e.reason);
      if (r !== undefined) this.protoErr.set(e.instance, r);
      return;
    }
    if (e.type === 'stateChange') {
      if (e.to === 'MASTER') this.now.set(e.instance, e.reason === 'owner-start' ? 2 : this.next.get(e.instance) ?? 3);
      // after any change, a master that stops answering is the next reason (keepalived's default)
      this.next.set(e.instance, 3);
    } else if (e.type === 'event' && 'instance' in e) {
      if (e.event === 'rx-prio-zero') this.next.set(e.instance, 1);
      else if (e.event === 'rx-lower-prio-discard') this.next.set(e.instance, 2);
    }
  }
  reason(name: string): number {
    return this.now.get(name) ?? 0;
  }
  /** RFC 6527's vrrpv3StatisticsProtoErrReason: the last TTL, version or checksum error (0: none yet) */
  protoError(name: string): number {
    return this.protoErr.get(name) ?? 0;
  }
}

/** KEEPALIVED-MIB's global scalars (core/snmp.c), from the configuration: the same in both processes. */
export function snmpGlobals(cfg: KeepalivedConfig, host: string): SnmpGlobals {
  const g = cfg.globalDefs;
  // a name: the address it was resolved to when read, as keepalived keeps it
  const smtpIp = g.smtpServer ? parseIp(g.smtpServer.host) ?? parseIp(g.smtpServer.address ?? '') : undefined;
  return {
    version: `Keepalived ${KEEPALIVED_VERSION}`, routerId: g.routerId ?? host,
    ...(g.smtpServer ? { smtpServer: { family: smtpIp?.family ?? 'inet', address: smtpIp?.bytes ?? new Uint8Array(4), port: g.smtpServer.port } } : {}),
    smtpTimeoutS: g.smtpServer ? Math.floor(g.smtpConnectTimeoutMs / 1000) : 0,
    ...(g.notificationEmailFrom !== undefined ? { emailFrom: g.notificationEmailFrom } : g.smtpServer ? { emailFrom: defaultEmailFrom(host) } : {}),
    emails: g.notificationEmail, emailFaults: g.noEmailFaults !== true,
    ...(g.smtpAlert !== undefined ? { smtpAlert: g.smtpAlert } : {}), ...(g.smtpAlertVrrp !== undefined ? { smtpAlertVrrp: g.smtpAlertVrrp } : {}),
    ...(g.smtpAlertChecker !== undefined ? { smtpAlertChecker: g.smtpAlertChecker } : {}),
    traps: g.enableTraps, linkbeatPolling: cfg.linkbeatUsePolling === true, lvsFlush: g.lvsFlush,
    ...(g.lvsFlushOnStop !== undefined ? { lvsFlushOnStop: g.lvsFlushOnStop } : {}),
    ...(cfg.netNamespace !== undefined ? { netNamespace: cfg.netNamespace } : {}), dynamicInterfaces: g.dynamicInterfaces,
  };
}

export function snapshot(view: VrrpView, reasons: MasterReasons, agentStartMs: number, nowMs: number, host: string): SnmpSnapshot {
  const cfg = view.config;
  const g = cfg.globalDefs;
  const links = view.host?.links() ?? [];
  const linkByName = (n: string): HostLink | undefined => links.find((l) => l.link.name === n);
  const scripts = (m: { notifyMaster?: Script; notifyBackup?: Script; notifyFault?: Script; notifyStop?: Script; notify?: Script }, extra: SnmpScripts = {}): SnmpScripts => {
    const out: Record<string, string> = {};
    const put = (k: string, s: Script | undefined): void => {
      const t = scriptText(s, view);
      if (t !== undefined) out[k] = t;
    };
    put('master', m.notifyMaster); put('backup', m.notifyBackup); put('fault', m.notifyFault); put('stop', m.notifyStop); put('generic', m.notify);
    return { ...out, ...extra };
  };
  const asTracked = (t: TrackRef): SnmpTracked => ({ name: t.name, weight: t.weight ?? 0, reverse: t.reverse === true });
  // keepalived shows the tracked object's own weight and reverse (the track_file's, the
  // bfd_instance's, the vrrp_track_process's) in the tracked file, BFD and process tables
  const ownWeights = (objects: readonly { name: string; weight: number; weightReverse: boolean }[]) => (refs: readonly TrackRef[]): SnmpTracked[] => refs.flatMap((t) => {
    const o = objects.find((x) => x.name === t.name);
    return o ? [{ name: o.name, weight: o.weight, reverse: o.weightReverse }] : [];
  });
  const vrrpBfds = (cfg.bfdInstances ?? []).filter((b) => b.vrrp);
  const fileRefs = ownWeights(cfg.trackFiles);
  const bfdRefs = ownWeights(vrrpBfds);
  const processRefs = ownWeights(cfg.trackProcesses);
  const rows = routeRows(links, view.rtNames, [...cfg.staticRules, ...cfg.vrrpInstances.flatMap((i) => i.virtualRules)]);
  const usedFiles = new Set([...cfg.vrrpInstances.flatMap((i) => i.trackFile), ...cfg.vrrpSyncGroups.flatMap((g) => g.trackFile)].map((t) => t.name));
  const instances: SnmpInstance[] = view.instances.map((iv) => {
    const m = iv.model;
    const live = iv.live;
    const r = live.r;
    const dev = r.cfg.interface;
    const link = linkByName(dev);
    const base = linkByName(iv.baseInterface);
    const c = keepalivedCounters(live.stats);
    const e = live.stats.rxErrors;
    const deleted = m.notifyDeleted !== undefined && m.notifyDeleted !== true ? scriptText(m.notifyDeleted, view) : undefined;
    const rxLower = scriptText(m.notifyMasterRxLowerPri, view);
    const configuredTracks = new Set(m.trackInterface.map((t) => t.name));
    const lvs = g.lvsSyncDaemon?.instance === iv.name ? g.lvsSyncDaemon.interface : undefined;
    return {
      name: iv.name, vrid: r.vrid, version: r.version, family: r.family,
      state: live.state, initialState: m.state, wantState: live.wantState,
      basePriority: live.basePriority, effectivePriority: live.effectivePriority, vipSet: live.vipSet,
      ifname: dev, ifindex: link?.link.index ?? 0, baseIfindex: base?.link.index ?? link?.link.index ?? 0,
      hwAddr: link?.link.mac ?? new Uint8Array(6), primaryAddress: primaryAddress(base ?? link, r.family, [...m.virtualIpaddress, ...m.virtualIpaddressExcluded]) ?? iv.sourceAddress,
      trackPrimaryIf: m.trackInterface.length > 0, adverIntMs: r.adverIntervalMs, nopreempt: r.nopreempt, preemptDelayMs: r.preemptDelayMs,
      authType: r.authType, ...(lvs !== undefined ? { lvsSyncInterface: lvs } : {}), ...(live.sync ? { syncGroup: live.sync.name } : {}),
      garpDelayMs: r.garpDelayMs, smtpAlert: m.smtpAlert,
      notifyExec: [m.notifyMaster, m.notifyBackup, m.notifyFault, m.notifyStop, m.notify, m.notifyMasterRxLowerPri, m.notifyDeleted === true ? undefined : m.notifyDeleted].some((s) => s !== undefined),
      scripts: scripts(m, { ...(deleted !== undefined ? { deleted } : {}), ...(rxLower !== undefined ? { masterRxLowerPri: rxLower } : {}) }),
      accept: acceptMode(iv, view), promoteSecondaries: m.promoteSecondaries, linkbeatPolling: m.linkbeatUsePolling,
      notifyDeleted: m.notifyDeleted !== undefined, ...(r.unicast ? {} : { mcastGroup: r.mcastDst }),
      ...(live.masterSaddr ? { masterAddress: live.masterSaddr } : {}),
      vips: m.virtualIpaddress.map((a) => address(a, vipPlace(a, iv).dev, live.vipSet, links)),
      evips: m.virtualIpaddressExcluded.map((a) => address(a, vipPlace(a, iv).dev, live.vipSet, links)),
      routes: rows.routes(m.virtualRoutes, live.vipSet), rules: rows.rules(m.virtualRules, live.vipSet),
      trackedInterfaces: (r.cfg.trackInterface ?? []).filter((t) => configuredTracks.has(t.name) && t.name !== iv.baseInterface).map((t) => ({ name: t.name, weight: t.shownWeight ?? t.weight, reverse: t.reverse === true })),
      trackedScripts: (r.cfg.trackScript ?? []).map((t) => ({ name: t.name, weight: t.weight, reverse: t.reverse === true })),
      trackedFiles: fileRefs(m.trackFile), trackedBfds: bfdRefs(m.trackBfd), trackedProcesses: processRefs(m.trackProcess),
      stats: {
        becomeMaster: c.become_master, advertRcvd: c.advert_rcvd, advertIntervalErr: c.advert_interval_err, authFailure: c.auth_failure,
        ipTtlErr: c.ip_ttl_err, priZeroRcvd: c.pri_zero_rcvd, priZeroSent: c.pri_zero_sent, invalidTypeRcvd: c.invalid_type_rcvd,
        addrListErr: c.addr_list_err, invalidAuthtype: c.invalid_authtype, authtypeMismatch: c.authtype_mismatch, packetLenErr: c.packet_len_err,
        chkErr: e.checksum, versErr: e.version, vridErr: e.vrid, masterReason: reasons.reason(iv.name), protoErrReason: reasons.protoError(iv.name),
      },
      ...((iv.lastTransitionAt ?? view.startedAt) !== undefined ? { upSinceMs: iv.lastTransitionAt ?? view.startedAt } : {}),
    };
  });
  return {
    globals: snmpGlobals(cfg, host),
    groups: view.groups.map((sg) => {
      const m = cfg.vrrpSyncGroups.find((x) => x.name === sg.name);
      const sc = m ? scripts(m) : {};
      return {
        name: sg.name, state: sg.state as SnmpState, members: sg.members.map((i) => i.name), smtpAlert: m?.smtpAlert ?? false,
        notifyExec: Object.keys(sc).length > 0, scripts: sc, trackingWeight: m?.syncGroupTrackingWeight ?? false,
        trackedInterfaces: (m?.trackInterface ?? []).map(asTracked), trackedScripts: (m?.trackScript ?? []).map(asTracked),
        trackedFiles: fileRefs(m?.trackFile ?? []), trackedBfds: bfdRefs(m?.trackBfd ?? []), trackedProcesses: processRefs(m?.trackProcess ?? []),
      };
    }),
    instances, nowMs, agentStartMs, staticAddresses: cfg.staticIpaddress.map((a) => staticAddress(a, links)),
    staticRoutes: rows.routes(cfg.staticRoutes, true), staticRules: rows.rules(cfg.staticRules, true),
    // the scripts the engine runs (those no instance or group tracks are dropped, as keepalived drops them)
    files: cfg.trackFiles.filter((f) => usedFiles.has(f.name)).map((f) => ({
      name: f.name, path: f.file !== undefined ? view.host?.trackFilePath(f.file) ?? f.file : '', value: (f.file !== undefined ? view.host?.trackFileValue(f.file) : undefined) ?? 0, weight: f.weight, reverse: f.weightReverse,
    })),
    bfds: vrrpBfds.map((b) => ({ name: b.name, up: view.host?.bfdUp?.(b.name) ?? false, weight: b.weight, reverse: b.weightReverse })),
    processes: cfg.trackProcesses.map((p) => snmpProcess(p, view.host?.processStatus?.(p.name))),
    scripts: cfg.vrrpScripts.flatMap((m) => {
      const sv = view.scripts?.find((x) => x.name === m.name);
      if (!sv) return [];
      return [{
        name: m.name, command: scriptText(m.script, view) ?? '', intervalS: Math.floor(m.intervalMs / 1000), weight: m.weight,
        reverse: m.weightReverse, ok: sv.ok, rise: m.rise, fall: m.fall,
      }];
    }),
  };
}

/** The AgentX master's socket: -A, else snmp_socket, else net-snmp's default; undefined (logged) when it cannot be used. */
export function agentxEndpoint(cfg: KeepalivedConfig, cli: SnmpCliOptions, slog: Logger): AgentxEndpoint | undefined {
  const spec = cli.snmpSocket ?? cfg.globalDefs.snmpSocket;
  const ep = parseAgentxSocket(spec);
  if (ep.ok) return ep.value;
  slog.error({ socket: spec, err: ep.error }, 'SNMP not started: the AgentX socket cannot be used');
  return undefined;
}

export interface VrrpSnmp {
  stop(): Promise<void>;
  readonly session: AgentxSession;
}

/** Starts SNMP when the configuration or -x asks for it; undefined otherwise (or when the socket cannot be read). */
export function startVrrpSnmp(
  daemon: { view(): VrrpView; onEffect(listener: (e: Effect) => void): () => void },
  cfg: KeepalivedConfig,
  log: Logger,
  cli: SnmpCliOptions,
  checkerRuns = false,
): VrrpSnmp | undefined {
  const sel = snmpSelection(cfg, cli, checkerRuns);
  if (!sel) return undefined;
  const slog = log.child({ mod: 'snmp' });
  const ep = agentxEndpoint(cfg, cli, slog);
  if (!ep) return undefined;
  slog.info({ mibs: mibRegions(sel).map((r) => r.name) }, 'Starting SNMP subagent');
  const host = hostname();
  const reasons = new MasterReasons();
  const startedAt = Date.now();
  // a walk is hundreds of GetNext requests: one view serves them for a moment (a state change drops it)
  let cached: { at: number; mib: readonly Varbind[] } | undefined;
  const session = new AgentxSession({
    endpoint: ep, regions: mibRegions(sel), description: 'keepalived-ts', log: slog,
    mib: () => {
      const now = Date.now();
      if (cached && now - cached.at < MIB_CACHE_MS) return cached.mib;
      const v = daemon.view();
      // before the daemon has started there is nothing to show yet
      const mib = (v.config as KeepalivedConfig | undefined) === undefined ? [] : buildMib(snapshot(v, reasons, startedAt, now, host), sel);
      cached = { at: now, mib };
      return mib;
    },
  });
  const settings = (c: KeepalivedConfig): TrapSettings => ({ traps: c.globalDefs.enableTraps, sel, routerId: c.globalDefs.routerId ?? host });
  // a flood of bad adverts notifies once per advert, as keepalived does: what the notification
  // says of the instance is read from the daemon's view once a moment, not once an advert
  let drops: { at: number; settings: TrapSettings; instances: Map<string, TrapDropInstance | undefined> } | undefined;
  const dropFacts = (name: string): { settings: TrapSettings; instance: TrapDropInstance } | undefined => {
    const now = Date.now();
    if (!drops || now - drops.at >= MIB_CACHE_MS) {
      const view = daemon.view();
      const links = view.host?.links() ?? [];
      drops = {
        at: now, settings: settings(view.config),
        instances: new Map(view.instances.map((iv) => [iv.name, {
          version: iv.live.r.version, family: iv.live.r.family, vrid: iv.live.r.vrid,
          ifindex: links.find((l) => l.link.name === iv.live.r.cfg.interface)?.link.index ?? 0, hasVips: iv.model.virtualIpaddress.length > 0,
        }])),
      };
    }
    const instance = drops.instances.get(name);
    return drops.settings.traps && instance ? { settings: drops.settings, instance } : undefined;
  };
  const off = daemon.onEffect((e) => {
    reasons.observe(e);
    if (e.type === 'stateChange' || e.type === 'groupStateChange' || e.type === 'priorityChange') {
      cached = undefined;
      drops = undefined;
    }
    if (e.type === 'rxDrop') {
      // only drops keepalived notifies, with the MIB that carries them served: the others cost nothing here
      if (!((e.authError !== undefined && sel.rfcv2) || (protoErrReason(e.reason) !== undefined && sel.rfcv3))) return;
      const d = dropFacts(e.instance);
      if (d) for (const t of dropTraps(d.instance, e, d.settings)) session.notify(t);
      return;
    }
    // sent where keepalived sends them: with the state notifications (send_instance_notifies, send_group_notifies)
    if (e.type !== 'notify' || !TRAP_STATES.has(e.state)) return;
    const view = daemon.view();
    const s = settings(view.config);
    if (!s.traps) return;
    let traps;
    if (e.scope === 'GROUP') traps = groupTraps(e.name, e.state as SnmpState, s);
    else {
      const iv = view.instances.find((i) => i.name === e.name);
      if (!iv) return;
      const links = view.host?.links() ?? [];
      const base = links.find((l) => l.link.name === iv.baseInterface) ?? links.find((l) => l.link.name === iv.live.r.cfg.interface);
      traps = instanceTraps({
        name: iv.name, state: e.state as SnmpState, initialState: iv.model.state, version: iv.live.r.version, family: iv.live.r.family, vrid: iv.live.r.vrid,
        baseIfindex: base?.link.index ?? 0, hasVips: iv.model.virtualIpaddress.length > 0, sourceAddress: iv.sourceAddress,
        masterReason: reasons.reason(iv.name),
      }, s);
    }
    for (const t of traps) session.notify(t);
  });
  session.start();
  return {
    session,
    stop: async () => {
      off();
      await session.stop();
    },
  };
}
