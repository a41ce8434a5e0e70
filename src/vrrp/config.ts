/**
 * The engine's own input model. The daemon maps the configuration model onto these types;
 * the engine never imports src/config. Field names are keepalived keywords in camelCase,
 * times are milliseconds (suffix Ms), addresses are parsed `IpAddress` values.
 *
 * `resolveInstance` fills keepalived's defaults and applies the adjustments keepalived makes
 * when it completes an instance (VRRP `vrrp_complete_instance`), so the engine can rely on
 * a consistent shape.
 */
import type { Family, IpAddress } from '../util/ip.js';
import type { VrrpVersion } from './packet.js';

export interface TrackRef {
  /** interface name, vrrp_script name, track_file name or vrrp_track_process name */
  readonly name: string;
  /** -253..253; 0 = failure puts the instance in FAULT */
  readonly weight: number;
  readonly reverse?: boolean;
  /** what the data dump shows instead of `weight` (config TrackRef.shownWeight) */
  readonly shownWeight?: number;
}

export interface UnicastPeerConfig {
  readonly address: IpAddress;
  readonly minTtl?: number;
  readonly maxTtl?: number;
}

export interface InstanceConfig {
  readonly name: string;
  /** The VRRP interface (used to route received packets to the instance). */
  readonly interface: string;
  readonly family: Family;
  readonly version: VrrpVersion;
  readonly virtualRouterId: number;
  /** base priority 1..255 (255 = address owner) */
  readonly priority: number;
  /** `state MASTER|BACKUP`: the initial wish (keepalived derives it from priority if unset). */
  readonly state: 'MASTER' | 'BACKUP';
  readonly advertIntervalMs: number;
  /** VIPs carried in adverts, in config order. */
  readonly virtualIpaddress: readonly IpAddress[];
  /** Source of adverts and the address used for the equal-priority tie-break:
   * mcast_src_ip / unicast_src_ip, else the interface's primary address (daemon supplies). */
  readonly sourceAddress: IpAddress;
  /** mcast_dst_ip; default 224.0.0.18 / ff02::12 */
  readonly mcastDstIp?: IpAddress;
  readonly unicastPeer?: readonly UnicastPeerConfig[];
  /** unicast_ttl; default 255 */
  readonly unicastTtl?: number;
  /** vrrp_check_unicast_src / check_unicast_src, also implied by a peer's min/max_ttl */
  readonly checkUnicastSrc?: boolean;
  /** old_unicast_checksum: 'auto' (default) detects pre-1.3.6 peers, 'never' does not */
  readonly oldUnicastChecksum?: 'auto' | 'never' | 'always';
  readonly authentication?: { readonly authType: 'PASS' | 'AH'; readonly authPass: string };
  readonly nopreempt?: boolean;
  readonly preemptDelayMs?: number;
  /** down_timer_adverts; default 3 */
  readonly downTimerAdverts?: number;
  readonly garpMasterDelayMs?: number;
  readonly garpMasterRepeat?: number;
  readonly garpMasterRefreshMs?: number;
  readonly garpMasterRefreshRepeat?: number;
  readonly garpLowerPrioDelayMs?: number;
  readonly garpLowerPrioRepeat?: number;
  /** garp_extra_if: a GARP / NA every this many ms on the VIPs' other interfaces while MASTER (0: none) */
  readonly garpExtraIfMs?: number;
  /** vrrp_min_garp: default to one GARP per VIP on becoming master and no second burst */
  readonly vrrpMinGarp?: boolean;
  readonly lowerPrioNoAdvert?: boolean;
  readonly higherPrioSendAdvert?: boolean;
  readonly skipCheckAdvAddr?: boolean;
  readonly v3ChecksumAsV2?: boolean;
  /** keepalived's num_config_faults: the instance never leaves FAULT (the reason, for the log) */
  readonly configFault?: string;
  /** FIFO / notify MASTER_PRIORITY / BACKUP_PRIORITY events */
  readonly notifyPriorityChanges?: boolean;
  readonly trackInterface?: readonly TrackRef[];
  readonly trackScript?: readonly TrackRef[];
  readonly trackFile?: readonly TrackRef[];
  readonly trackProcess?: readonly TrackRef[];
  /** track_bfd: down until the BFD side reports Up */
  readonly trackBfd?: readonly TrackRef[];
}

export interface VrrpScriptConfig {
  readonly name: string;
  /** rise / fall: consecutive results needed to change state (default 1 / 1) */
  readonly rise?: number;
  readonly fall?: number;
  /** init_fail: start as failed instead of "one success from OK" */
  readonly initFail?: boolean;
}

export interface SyncGroupConfig {
  readonly name: string;
  /** member instance names */
  readonly group: readonly string[];
  /** Trackers of the group apply to every member. Their weights are dropped (forced to 0)
   * unless syncGroupTrackingWeight, as keepalived does (reference §c.2). */
  readonly trackInterface?: readonly TrackRef[];
  readonly trackScript?: readonly TrackRef[];
  readonly trackFile?: readonly TrackRef[];
  readonly trackProcess?: readonly TrackRef[];
  /** track_bfd: down until the BFD side reports Up */
  readonly trackBfd?: readonly TrackRef[];
  readonly syncGroupTrackingWeight?: boolean;
}

export interface EngineConfig {
  readonly instances: readonly InstanceConfig[];
  readonly syncGroups?: readonly SyncGroupConfig[];
  readonly scripts?: readonly VrrpScriptConfig[];
  /** global vrrp_startup_delay: BACKUP timers count from the end of the delay */
  readonly vrrpStartupDelayMs?: number;
}

/** An instance with every default filled in and keepalived's adjustments applied. */
export interface ResolvedInstance {
  readonly cfg: InstanceConfig;
  readonly name: string;
  readonly version: VrrpVersion;
  readonly family: Family;
  readonly vrid: number;
  readonly basePriority: number;
  readonly wantMaster: boolean;
  readonly adverIntervalMs: number;
  readonly vips: readonly Uint8Array[];
  readonly src: Uint8Array;
  readonly mcastDst: Uint8Array;
  readonly unicast: boolean;
  readonly peers: readonly { readonly address: Uint8Array; readonly minTtl: number; readonly maxTtl: number }[];
  readonly unicastTtl: number;
  readonly checkUnicastSrc: boolean;
  readonly unicastChecksum: 'new' | 'old' | 'auto';
  /** 0 none, 1 PASS, 2 AH (IPv4 v2 only) */
  readonly authType: 0 | 1 | 2;
  /** the 8-byte password (PASS) or HMAC-MD5 key (AH), zero padded */
  readonly authData: Uint8Array | undefined;
  readonly nopreempt: boolean;
  readonly preemptDelayMs: number;
  readonly downTimerAdverts: number;
  readonly garpDelayMs: number;
  readonly garpRepeat: number;
  readonly garpRefreshMs: number;
  readonly garpRefreshRepeat: number;
  readonly garpExtraIfMs: number;
  readonly garpLowerPrioDelayMs: number;
  readonly garpLowerPrioRepeat: number;
  readonly lowerPrioNoAdvert: boolean;
  readonly higherPrioSendAdvert: boolean;
  readonly skipCheckAdvAddr: boolean;
  readonly checksumAsV2: boolean;
  readonly notifyPriorityChanges: boolean;
}

const GROUP4 = Uint8Array.of(224, 0, 0, 18);
const GROUP6 = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12);

/** keepalived defaults: VH VRRP_GARP_DELAY 5 s, VRRP_GARP_REP 5, refresh off, refresh_rep 1. */
export const GARP_DEFAULTS = { delayMs: 5000, repeat: 5, refreshMs: 0, refreshRepeat: 1 } as const;

export function resolveInstance(cfg: InstanceConfig): ResolvedInstance {
  const owner = cfg.priority === 255;
  const wantMaster = cfg.state === 'MASTER';
  // VRRP vrrp_complete_instance: owners and initial-MASTER instances cannot be nopreempt,
  // nor use preempt_delay; nopreempt disables preempt_delay.
  const nopreempt = (cfg.nopreempt ?? false) && !owner && !wantMaster;
  const preemptDelayMs = wantMaster || nopreempt ? 0 : cfg.preemptDelayMs ?? 0;
  const peers = (cfg.unicastPeer ?? []).map((p) => ({
    address: p.address.bytes, minTtl: p.minTtl ?? 0, maxTtl: p.maxTtl ?? 255,
  }));
  const ttlCheck = (cfg.unicastPeer ?? []).some((p) => p.minTtl !== undefined || p.maxTtl !== undefined);
  // PASS and AH are v2 features; keepalived ignores them for v3 (with an error), AH for IPv6.
  const auth = cfg.version === 2 && cfg.authentication?.authPass ? cfg.authentication.authType : undefined;
  const authType = auth === 'PASS' ? 1 : auth === 'AH' && cfg.family === 'inet' ? 2 : 0;
  let authData: Uint8Array | undefined;
  if (authType !== 0) {
    authData = new Uint8Array(8);
    // the configuration is read byte for byte (latin1): the password's bytes are those written
    authData.set(Buffer.from(cfg.authentication!.authPass, 'latin1').subarray(0, 8));
  }
  const minGarp = cfg.vrrpMinGarp ?? false;
  // vrrp_min_garp only changes the defaults, never an explicit setting (GP vrrp_min_garp_handler).
  const garpDelayMs = cfg.garpMasterDelayMs ?? (minGarp ? 0 : GARP_DEFAULTS.delayMs);
  const garpRepeat = cfg.garpMasterRepeat ?? (minGarp ? 1 : GARP_DEFAULTS.repeat);
  const unicastChecksum = cfg.oldUnicastChecksum === 'never' ? 'new' : cfg.oldUnicastChecksum === 'always' ? 'old' : 'auto';
  return {
    cfg,
    name: cfg.name,
    version: cfg.version,
    family: cfg.family,
    vrid: cfg.virtualRouterId,
    basePriority: cfg.priority,
    wantMaster,
    adverIntervalMs: wireInterval(cfg.version, cfg.advertIntervalMs),
    vips: cfg.virtualIpaddress.map((a) => a.bytes),
    src: cfg.sourceAddress.bytes,
    mcastDst: cfg.mcastDstIp?.bytes ?? (cfg.family === 'inet' ? GROUP4 : GROUP6),
    unicast: peers.length > 0,
    peers,
    unicastTtl: cfg.unicastTtl ?? 255,
    checkUnicastSrc: (cfg.checkUnicastSrc ?? false) || ttlCheck,
    unicastChecksum,
    authType,
    authData,
    nopreempt,
    preemptDelayMs,
    downTimerAdverts: cfg.downTimerAdverts ?? 3,
    garpDelayMs,
    garpRepeat,
    garpRefreshMs: cfg.garpMasterRefreshMs ?? GARP_DEFAULTS.refreshMs,
    garpRefreshRepeat: cfg.garpMasterRefreshRepeat ?? (minGarp ? 0 : GARP_DEFAULTS.refreshRepeat),
    garpExtraIfMs: cfg.garpExtraIfMs ?? 0,
    // garp_lower_prio_* default to the master values (VRRP vrrp_complete_instance)
    garpLowerPrioDelayMs: cfg.garpLowerPrioDelayMs ?? garpDelayMs,
    garpLowerPrioRepeat: cfg.garpLowerPrioRepeat ?? garpRepeat,
    lowerPrioNoAdvert: cfg.lowerPrioNoAdvert ?? false,
    higherPrioSendAdvert: cfg.higherPrioSendAdvert ?? false,
    skipCheckAdvAddr: cfg.skipCheckAdvAddr ?? false,
    checksumAsV2: cfg.v3ChecksumAsV2 ?? false,
    notifyPriorityChanges: cfg.notifyPriorityChanges ?? false,
  };
}

/**
 * advert_int as it can travel on the wire (reference §c.1): v2 whole seconds 1..255, v3
 * whole centiseconds 1..4095. The config layer reports the rounding; this keeps the engine's
 * timers and the encoded field consistent whatever it is given.
 */
export function wireInterval(version: VrrpVersion, ms: number): number {
  if (version === 2) return Math.min(255, Math.max(1, Math.round(ms / 1000))) * 1000;
  return Math.min(4095, Math.max(1, Math.round(ms / 10))) * 10;
}
