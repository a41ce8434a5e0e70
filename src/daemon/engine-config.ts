/**
 * Maps the configuration model onto the VRRP engine's input model (src/vrrp/config.ts),
 * applying what keepalived decides when it completes an instance and that needs the machine:
 * the advert source address (interface primary address unless mcast_src_ip /
 * unicast_src_ip), the own interface as a weight-0 tracker unless `dont_track_primary`,
 * trackers' default weights, global GARP / advert defaults, weighted trackers of
 * sync-group members dropped unless `sync_group_tracking_weight`, and the interfaces of static
 * entries whose track_group the instance is in (src/config/track-group.ts groupTracking).
 */
import type {
  AddressEntry, GarpExtraIf, KeepalivedConfig, TrackRef as ConfigTrackRef, VrrpInstance,
} from '../config/model.js';
import { groupTracking } from '../config/track-group.js';
import { KtsError } from '../errors/index.js';
import { formatIp, type Family, type IpAddress } from '../util/ip.js';
import type { EngineConfig, InstanceConfig, TrackRef } from '../vrrp/config.js';

/** What the daemon knows of each interface when it starts (rtnetlink dump). */
export interface InterfaceAddresses {
  /** first IPv4 address of the interface (keepalived's primary address) */
  readonly inet?: Uint8Array;
  /** IPv6 link-local address */
  readonly inet6?: Uint8Array;
}

export interface MappedInstance {
  readonly config: InstanceConfig;
  /** The configured interface (`config.interface` is the VMAC with use_vmac, src/daemon/vmac.ts). */
  readonly baseInterface: string;
  readonly model: VrrpInstance;
  /** VIPs of the instance's family carried in adverts, then eVIPs and VIPs of the other family */
  readonly addresses: readonly AddressEntry[];
  /** garp_extra_if: the interfaces (other than its own) a MASTER refreshes its VIPs on */
  readonly garpExtraIfDevs?: readonly string[];
  /** its interface, or the interface's address to send from, is not there yet: FAULT until it is */
  readonly waitingForSource?: true;
}

export interface MappedConfig {
  readonly engine: EngineConfig;
  readonly instances: ReadonlyMap<string, MappedInstance>;
}

const SOURCE_TRACK = '\u0000src\u0000';

/** The tracked "interface" of track_src_ip: up while `address` is on `ifname`. */
export function sourceTrackName(ifname: string, address: IpAddress): string {
  return `${ifname}${SOURCE_TRACK}${formatIp(address)}`;
}

/**
 * The interface name of the tracker a unicast instance's configured source has: up while the
 * address is on any interface (keepalived binds its unicast socket to it, and the instance is
 * FAULT when that bind fails: vrrp.c open_sockpool_socket, "src address not configured").
 */
export const ANY_INTERFACE = '*';

/** The interface and address of a track_src_ip name; undefined for a real interface. */
export function parseSourceTrack(name: string): { ifname: string; address: string } | undefined {
  const i = name.indexOf(SOURCE_TRACK);
  return i < 0 ? undefined : { ifname: name.slice(0, i), address: name.slice(i + SOURCE_TRACK.length) };
}

export function mapConfig(
  cfg: KeepalivedConfig,
  /** the primary addresses of an interface; undefined: no such interface (yet) */
  interfaces: (name: string) => InterfaceAddresses | undefined,
  /** vrrp_scripts that will not run: references to them are dropped, as keepalived does */
  disabledScripts: ReadonlySet<string> = new Set(),
  /** use_vmac: the instance's VMAC (src/daemon/vmac.ts) */
  vmacOf: (instance: string) => { readonly name: string; readonly xmitBase: boolean } | undefined = () => undefined,
): MappedConfig {
  const g = cfg.globalDefs;
  const scriptWeight = new Map(cfg.vrrpScripts.map((s) => [s.name, { weight: s.weight, reverse: s.weightReverse }]));
  const fileWeight = new Map(cfg.trackFiles.map((f) => [f.name, { weight: f.weight, reverse: f.weightReverse }]));
  const procWeight = new Map(cfg.trackProcesses.map((p) => [p.name, { weight: p.weight, reverse: p.weightReverse }]));
  // the bfd_instances the VRRP process hears of (bfd_parser.c: `vrrp`, or neither `vrrp` nor `checker`)
  const bfdWeight = new Map((cfg.bfdInstances ?? []).filter((b) => b.vrrp).map((b) => [b.name, { weight: b.weight, reverse: b.weightReverse }]));
  const knownBfd = (list: readonly ConfigTrackRef[]): ConfigTrackRef[] => list.filter((r) => bfdWeight.has(r.name));
  // the VMACs keepalived creates (its `is_ours` interfaces), for garp_extra_if
  const ourVmacs = new Set(cfg.vrrpInstances.map((v) => vmacOf(v.name)?.name).filter((n): n is string => n !== undefined));
  const groupOf = new Map<string, (typeof cfg.vrrpSyncGroups)[number]>();
  for (const sg of cfg.vrrpSyncGroups) for (const m of sg.group) groupOf.set(m.name, sg);

  const refs = (
    list: readonly ConfigTrackRef[],
    defaults: Map<string, { weight: number; reverse: boolean }> | undefined,
    keepWeight: boolean,
  ): TrackRef[] =>
    list.map((r) => {
      const d = defaults?.get(r.name);
      const weight = keepWeight ? r.weight ?? d?.weight ?? 0 : 0;
      return { name: r.name, weight, reverse: r.reverse ?? d?.reverse ?? false, ...(r.shownWeight !== undefined ? { shownWeight: r.shownWeight } : {}) };
    });

  const runnable = (list: readonly ConfigTrackRef[]): ConfigTrackRef[] => list.filter((r) => !disabledScripts.has(r.name));
  const byGroups = groupTracking(cfg);
  const instances = new Map<string, MappedInstance>();
  const configs: InstanceConfig[] = [];
  for (const vi of cfg.vrrpInstances) {
    const ifname = vi.interface ?? g.defaultInterface;
    if (ifname === undefined) throw new KtsError('DAEMON_CONFIG', `(${vi.name}) has no interface`);
    if (vi.virtualRouterId === undefined) throw new KtsError('DAEMON_CONFIG', `(${vi.name}) has no virtual_router_id`);
    const family: Family = vi.family;
    const unicast = vi.unicastPeer.length > 0;
    const explicitSrc = unicast ? vi.unicastSrcIp ?? vi.mcastSrcIp : vi.mcastSrcIp ?? vi.unicastSrcIp;
    const own = interfaces(ifname);
    let source: IpAddress | undefined = explicitSrc;
    if (!source) {
      const bytes = own?.[family];
      if (bytes) source = { family, bytes };
    }
    // keepalived starts without it and waits: the instance is FAULT, tracking its interface
    // (even with dont_track_primary) until the interface and an address are there; the daemon
    // then maps the configuration again with the address (VrrpDaemon.rebind)
    const waiting = !source || own === undefined;
    source ??= { family, bytes: new Uint8Array(family === 'inet' ? 4 : 16) };
    const sg = groupOf.get(vi.name);
    const keepWeight = sg === undefined || sg.syncGroupTrackingWeight;
    // a sync member's interface weight applies in keepalived all the same (complete.ts unweightedTrackers)
    const trackInterface = refs(vi.trackInterface, undefined, true);
    if ((!vi.dontTrackPrimary || waiting) && !trackInterface.some((t) => t.name === ifname)) {
      trackInterface.push({ name: ifname, weight: 0 });
    }
    // use_vmac: the VMAC is tracked too; same-family (e)VIPs without dev, or on the configured
    // interface, go on the VMAC; adverts use it unless vmac_xmit_base (keepalived vrrp_complete_instance)
    const vmac = vmacOf(vi.name);
    if (vmac && !vi.dontTrackPrimary && !trackInterface.some((t) => t.name === vmac.name)) {
      trackInterface.push({ name: vmac.name, weight: 0 });
    }
    // track_src_ip (with a configured source only): the instance is FAULT while its source
    // address is not on its interface (keepalived_netlink.c, VRRP_FLAG_TRACK_SADDR)
    if (vi.trackSrcIp && explicitSrc) trackInterface.push({ name: sourceTrackName(ifname, explicitSrc), weight: 0 });
    // a unicast instance's configured source must be a local address: keepalived's socket
    // bind fails otherwise and the instance is FAULT (keepalived stays so until its interface
    // is created again; here it leaves FAULT once the address is there)
    if (unicast && explicitSrc) trackInterface.push({ name: sourceTrackName(ANY_INTERFACE, explicitSrc), weight: 0 });
    // static entries' track groups: unweighted, over a weight the instance gave that interface
    for (const t of byGroups) {
      if (t.instance !== vi.name) continue;
      const had = trackInterface.findIndex((x) => x.name === t.ifname);
      if (had < 0) trackInterface.push({ name: t.ifname, weight: 0 });
      else trackInterface[had] = { name: t.ifname, weight: 0 };
    }
    const onVmac = (a: AddressEntry): AddressEntry =>
      vmac && a.address.family === family && (a.dev === undefined || a.dev === ifname) ? { ...a, dev: vmac.name } : a;
    const vipsOwn = vi.virtualIpaddress.filter((a) => a.address.family === family).map(onVmac);
    const others = [
      ...vi.virtualIpaddress.filter((a) => a.address.family !== family),
      ...vi.virtualIpaddressExcluded.map(onVmac),
    ];
    trackPlaces(trackInterface, vi, [...vipsOwn, ...others], vmac?.name ?? ifname, ifname);
    const extra = garpExtraIf(vi, g.vrrpGarpExtraIf, [...vipsOwn, ...others], ifname, vmac, ourVmacs);
    const ic: InstanceConfig = {
      name: vi.name,
      interface: vmac && !vmac.xmitBase ? vmac.name : ifname,
      family,
      version: vi.version,
      virtualRouterId: vi.virtualRouterId,
      priority: vi.priority,
      state: vi.state,
      advertIntervalMs: vi.advertIntMs,
      virtualIpaddress: vipsOwn.map((a) => ({ family: a.address.family, bytes: a.address.bytes })),
      sourceAddress: source,
      ...(vi.mcastDstIp ? { mcastDstIp: vi.mcastDstIp } : {}),
      ...(unicast ? { unicastPeer: vi.unicastPeer.map((p) => ({ address: p.address, ...(p.minTtl !== undefined ? { minTtl: p.minTtl } : {}), ...(p.maxTtl !== undefined ? { maxTtl: p.maxTtl } : {}) })) } : {}),
      ...(vi.unicastTtl !== undefined ? { unicastTtl: vi.unicastTtl } : {}),
      checkUnicastSrc: vi.checkUnicastSrc,
      ...(vi.authentication?.authPass
        ? { authentication: { authType: vi.authentication.authType, authPass: vi.authentication.authPass } } : {}),
      nopreempt: vi.nopreempt,
      preemptDelayMs: vi.preemptDelayMs,
      downTimerAdverts: vi.downTimerAdverts,
      garpMasterDelayMs: vi.garpMasterDelayMs,
      garpMasterRepeat: vi.garpMasterRepeat,
      garpMasterRefreshMs: vi.garpMasterRefreshMs,
      garpMasterRefreshRepeat: vi.garpMasterRefreshRepeat,
      garpExtraIfMs: extra.intervalMs,
      garpLowerPrioDelayMs: vi.garpLowerPrioDelayMs,
      garpLowerPrioRepeat: vi.garpLowerPrioRepeat,
      lowerPrioNoAdvert: vi.lowerPrioNoAdvert,
      higherPrioSendAdvert: vi.higherPrioSendAdvert,
      skipCheckAdvAddr: vi.skipCheckAdvAddr,
      v3ChecksumAsV2: vi.v3ChecksumAsV2,
      notifyPriorityChanges: vi.notifyPriorityChanges,
      ...(vi.configFault !== undefined ? { configFault: vi.configFault } : {}),
      trackInterface,
      trackScript: refs(runnable(vi.trackScript), scriptWeight, keepWeight),
      trackFile: refs(vi.trackFile, fileWeight, keepWeight),
      trackProcess: refs(vi.trackProcess, procWeight, keepWeight),
      trackBfd: refs(knownBfd(vi.trackBfd), bfdWeight, keepWeight),
    };
    configs.push(ic);
    instances.set(vi.name, {
      config: ic, baseInterface: ifname, model: vi, addresses: [...vipsOwn, ...others],
      ...(extra.intervalMs > 0 ? { garpExtraIfDevs: extra.devs } : {}), ...(waiting ? { waitingForSource: true } : {}),
    });
  }

  const engine: EngineConfig = {
    instances: configs,
    syncGroups: cfg.vrrpSyncGroups.map((sg) => ({
      name: sg.name,
      group: sg.group.map((m) => m.name),
      trackInterface: refs(sg.trackInterface, undefined, sg.syncGroupTrackingWeight),
      trackScript: refs(runnable(sg.trackScript), scriptWeight, sg.syncGroupTrackingWeight),
      trackFile: refs(sg.trackFile, fileWeight, sg.syncGroupTrackingWeight),
      trackProcess: refs(sg.trackProcess, procWeight, sg.syncGroupTrackingWeight),
      trackBfd: refs(knownBfd(sg.trackBfd), bfdWeight, sg.syncGroupTrackingWeight),
      syncGroupTrackingWeight: sg.syncGroupTrackingWeight,
    })),
    // a disabled script is gone, as keepalived frees it (vrrp.c check_vrrp_script_security)
    scripts: cfg.vrrpScripts.filter((s) => !disabledScripts.has(s.name)).map((s) => ({ name: s.name, rise: s.rise, fall: s.fall, initFail: s.initFail })),
    vrrpStartupDelayMs: g.vrrpStartupDelayMs,
  };
  return { engine, instances };
}

/**
 * garp_extra_if (keepalived vrrp_complete_instance, vrrp_send_vmac_update): the instance's
 * interval, else vrrp_garp_extra_if's; none when no VIP is on another interface, or when the
 * others are not keepalived's VMACs and `all` is not given. The interfaces refreshed: each other
 * interface of a VIP or eVIP that is a VMAC of ours (any, with `all`); the instance's own too
 * when its adverts go out on the base interface (vmac_xmit_base).
 */
export function garpExtraIf(
  vi: Pick<VrrpInstance, 'garpExtraIf'>, global: GarpExtraIf | undefined, addresses: readonly AddressEntry[], ifname: string,
  vmac: { readonly name: string; readonly xmitBase: boolean } | undefined, ourVmacs: ReadonlySet<string>,
): { intervalMs: number; devs: string[] } {
  const setting = vi.garpExtraIf ?? global;
  if (!setting || setting.intervalMs <= 0) return { intervalMs: 0, devs: [] };
  const own = vmac?.name ?? ifname;
  let extraIf = false;
  let extraVmac = false;
  const devs: string[] = [];
  for (const a of addresses) {
    const dev = a.dev ?? ifname;
    if (dev !== own) {
      if (ourVmacs.has(dev)) extraVmac = true;
      else extraIf = true;
    }
    if ((ourVmacs.has(dev) || setting.all) && (dev !== own || vmac?.xmitBase) && !devs.includes(dev)) devs.push(dev);
  }
  if ((!extraIf && !extraVmac) || (!extraVmac && !setting.all)) return { intervalMs: 0, devs: [] };
  return { intervalMs: setting.intervalMs, devs };
}

/**
 * keepalived vrrp_complete_instance (TRACK_ADDR / TRACK_ROUTE / TRACK_RULE): the interfaces of
 * an instance's VIPs, eVIPs, virtual routes and rules are tracked without a weight (the
 * instance goes FAULT while one is down) unless `no_track`; under dont_track_primary its own
 * interface is not added this way. A weight given to the same interface by track_interface
 * gives way (add_vrrp_to_interface).
 */
function trackPlaces(track: TrackRef[], vi: VrrpInstance, addresses: readonly AddressEntry[], own: string, base: string): void {
  const unweighted = (name: string): void => {
    const had = track.findIndex((t) => t.name === name);
    if (had < 0) track.push({ name, weight: 0 });
    else if (track[had]!.weight !== 0) track[had] = { name, weight: 0 };
  };
  for (const a of addresses) {
    const dev = a.dev ?? own;
    if (!a.noTrack && (!vi.dontTrackPrimary || (dev !== own && dev !== base))) unweighted(dev);
  }
  for (const r of vi.virtualRoutes) if (!r.noTrack && r.dev !== undefined) unweighted(r.dev);
  for (const r of vi.virtualRules) {
    if (r.noTrack) continue;
    if (r.iif !== undefined) unweighted(r.iif);
    if (r.oif !== undefined) unweighted(r.oif);
  }
}
