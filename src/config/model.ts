/**
 * The typed configuration model: what keepalived.conf means, with keepalived's defaults
 * applied. Field names are keepalived keywords in camelCase; times are milliseconds with an
 * `Ms` suffix; every node carries the `loc` of the keyword that made it.
 */
import type { IpAddress, IpPrefix } from '../util/ip.js';
import type { Loc } from './loc.js';
import type { SslContextConfig, VirtualServer, VirtualServerGroup } from './model-lvs.js';

// the LVS side (virtual servers, real servers, checkers) is in model-lvs.ts
export type * from './model-lvs.js';

export interface Node {
  readonly loc: Loc;
}

export interface Script extends Node {
  /** argv after keepalived's quoting and escapes. */
  readonly argv: readonly string[];
  /** The command string as written (word 1 of the line). */
  readonly text: string;
  readonly user?: string;
  readonly group?: string;
}

export interface NotifyFifo extends Node {
  readonly path: string;
  readonly user?: string;
  readonly group?: string;
}

export interface GlobalDefs extends Node {
  readonly routerId?: string;
  readonly notificationEmail: readonly string[];
  readonly notificationEmailFrom?: string;
  /** `address`: a name's first address when it was read (keepalived resolves it then and shows that) */
  readonly smtpServer?: { readonly host: string; readonly port: number; readonly address?: string };
  readonly smtpHeloName?: string;
  readonly smtpConnectTimeoutMs: number;
  readonly enableScriptSecurity: boolean;
  readonly scriptUser?: { readonly user: string; readonly group?: string };
  readonly vrrpSkipCheckAdvAddr: boolean;
  readonly vrrpStrict: boolean;
  readonly vrrpGarpMasterDelayMs: number;
  readonly vrrpGarpMasterRepeat: number;
  readonly vrrpGarpMasterRefreshMs: number;
  /** vrrp_garp_extra_if [all] SECONDS */
  readonly vrrpGarpExtraIf?: GarpExtraIf;
  readonly vrrpGarpMasterRefreshRepeat: number;
  readonly vrrpGarpLowerPrioDelayMs?: number;
  readonly vrrpGarpLowerPrioRepeat?: number;
  readonly vrrpGarpIntervalMs: number;
  readonly vrrpGnaIntervalMs: number;
  readonly vrrpMinGarp: boolean;
  readonly vrrpHigherPrioSendAdvert: boolean;
  readonly vrrpLowerPrioNoAdvert: boolean;
  readonly vrrpVersion: 2 | 3;
  readonly vrrpMcastGroup4: IpAddress;
  readonly vrrpMcastGroup6: IpAddress;
  readonly vrrpCheckUnicastSrc: boolean;
  readonly vrrpStartupDelayMs: number;
  readonly vrrpDownTimerAdverts: number;
  readonly vrrpNotifyPriorityChanges: boolean;
  readonly v3ChecksumAsV2: boolean;
  readonly defaultInterface?: string;
  readonly dynamicInterfaces: boolean;
  /**
   * `dynamic_interfaces allow_if_changes`: shown in the data dump. keepalived-ts always follows
   * an interface whose type changes (docs/errors.md), which is what this asks keepalived to do.
   */
  readonly allowIfChanges?: boolean;
  readonly notifyFifo?: NotifyFifo;
  readonly vrrpNotifyFifo?: NotifyFifo;
  readonly lvsNotifyFifo?: NotifyFifo;
  /** started with the FIFO's path as last argument when the FIFO is opened */
  readonly notifyFifoScript?: Script;
  readonly vrrpNotifyFifoScript?: Script;
  readonly lvsNotifyFifoScript?: Script;
  readonly lvsSyncDaemon?: LvsSyncDaemon;
  /** lvs_flush: the whole IPVS table is flushed when the checker side starts (not at a reload) */
  readonly lvsFlush: boolean;
  /** lvs_flush_on_stop: at stop the whole table is flushed (full), or each virtual server removed whole (VS); else its real servers one by one */
  readonly lvsFlushOnStop?: 'full' | 'VS';
  /** lvs_timeouts in seconds; 0 or absent leaves the kernel's value (the kernel's own are put back at stop) */
  readonly lvsTimeouts?: { readonly tcpS?: number; readonly tcpfinS?: number; readonly udpS?: number };
  /** max_auto_priority: how high a late timer may raise the VRRP thread's SCHED_RR priority (-1, 0, unset: never) */
  readonly maxAutoPriority?: number;
  /** min_auto_priority_delay: how late (µs) a timer must fire for that (1 s) */
  readonly minAutoPriorityDelayUs?: number;
  readonly startupScript?: Script;
  readonly shutdownScript?: Script;
  /** how long the startup / shutdown script may run before it is killed (10 s once one is set) */
  readonly startupScriptTimeoutS?: number;
  readonly shutdownScriptTimeoutS?: number;
  readonly reloadCheckConfig: boolean;
  readonly umask?: number;
  readonly randomSeed?: number;
  /** vrrp_priority: the nice value of the VRRP process (-20..19) */
  readonly vrrpPriority?: number;
  /** checker_priority: the nice value of the checker process (keepalived-ts default 5) */
  readonly checkerPriority?: number;
  /** <p>_rt_priority: SCHED_RR 1..99, 0 normal scheduling; unset: the process's default (src/io/sched.ts) */
  readonly vrrpRtPriority?: number;
  readonly checkerRtPriority?: number;
  /** <p>_rlimit_rttime, µs */
  readonly vrrpRlimitRttimeUs?: number;
  readonly checkerRlimitRttimeUs?: number;
  /** <p>_cpu_affinity: CPU ids */
  readonly vrrpCpuAffinity?: readonly number[];
  readonly checkerCpuAffinity?: readonly number[];
  /**
   * The nftables table of instances without accept mode (`nftables [NAME]`, `vrrp_iptables`;
   * `keepalived` when such an instance has none, vrrp_complete_instance); unset: no firewall.
   */
  readonly vrrpNfTable?: string;
  /** nftables_priority: the base chains' priority (-1) */
  readonly vrrpNfPriority: number;
  /** nftables_ifindex: link-local IPv6 VIPs always matched by interface index */
  readonly vrrpNfIfindex: boolean;
  /** nftables_counters: a counter in every rule */
  readonly nfCounters: boolean;
  /** disable_local_igmp: no IGMP reports for link-local groups while running (src/daemon/local-igmp.ts) */
  readonly disableLocalIgmp?: boolean;
  /** child_wait_time (a top-level keyword): how long a stopping daemon waits for its checker child before killing it */
  readonly childWaitTimeMs: number;
  /** snmp_socket: the AgentX master's socket (net-snmp syntax); -A overrides it */
  readonly snmpSocket?: string;
  /** enable_traps: SNMP notifications on state changes */
  readonly enableTraps: boolean;
  /** enable_snmp_vrrp (enable_snmp_keepalived): KEEPALIVED-MIB's VRRP tables and global scalars */
  readonly enableSnmpVrrp: boolean;
  /** enable_snmp_rfcv2 / enable_snmp_rfcv3 (enable_snmp_rfc: both): VRRP-MIB, VRRPv3-MIB */
  readonly enableSnmpRfcv2: boolean;
  readonly enableSnmpRfcv3: boolean;
  /** enable_snmp_checker: KEEPALIVED-MIB's checker tables, served by the checker process (with the global scalars) */
  readonly enableSnmpChecker: boolean;
  readonly smtpAlert?: boolean;
  readonly smtpAlertVrrp?: boolean;
  readonly smtpAlertChecker?: boolean;
  /** no email when a VRRP instance enters FAULT */
  readonly noEmailFaults?: boolean;
  /** a checker emails only when its real server changes (not for every checker that changes) */
  readonly noCheckerEmails?: boolean;
  /** SIGUSR1 / SIGUSR2 / JSON dump paths (a path ending in / is a directory) */
  readonly stateDumpFile?: string;
  readonly statsDumpFile?: string;
  readonly jsonDumpFile?: string;
  readonly jsonVersion?: 1 | 2;
  /** keepalived-ts: the HTTP listener for /metrics and /status (off unless configured) */
  readonly metricsListen?: { readonly address: IpAddress; readonly port: number };
  /** keepalived-ts: the control socket for `status`, `handover`, `drill` (default /run/keepalived-ts/control.sock) */
  readonly controlSocket?: string;
  /** keepalived-ts: SIGTERM hands each MASTER over make-before-break before stopping */
  readonly handoverOnStop?: boolean;
  /**
   * keepalived-ts: the kernel routing table the announced VIPs' routes go in, for a routing
   * daemon to redistribute (FRR `ip import-table`, BIRD `kernel table ... learn`)
   */
  readonly announceTable?: number;
  /** keepalived-ts: the VIPs announced while their virtual servers have quorum */
  readonly announceVips?: readonly AnnounceVip[];
  /** keepalived-ts: at a clean stop, how long the routes are withdrawn before the services go */
  readonly announceWithdrawDelayMs?: number;
  /**
   * keepalived-ts: the routing daemon's process names, watched to log its stops and returns
   * (default src/io/routing-daemon.ts DEFAULT_ROUTING_DAEMONS; empty: not watched)
   */
  readonly announceDaemons?: readonly string[];
}

/** `announce_vip ADDRESS [instance NAME]` (keepalived-ts settings). */
export interface AnnounceVip extends Node {
  readonly address: IpAddress;
  /** announced only while this VRRP instance is MASTER too */
  readonly instance?: string;
}

export interface LvsSyncDaemon extends Node {
  readonly interface: string;
  readonly instance?: string;
  readonly syncId?: number;
  readonly maxLen?: number;
  readonly port?: number;
  readonly ttl?: number;
  readonly group?: IpAddress;
}

/** virtual_ipaddress / static_ipaddress entry (`ip addr` words). */
export interface AddressEntry extends Node {
  readonly address: IpPrefix;
  readonly dev?: string;
  readonly scope?: string;
  readonly broadcast?: string;
  readonly label?: string;
  readonly peer?: IpPrefix;
  readonly noDad: boolean;
  readonly noPrefixRoute: boolean;
  readonly home: boolean;
  readonly noTrack: boolean;
  readonly preferredLft?: number | 'forever';
  /** static addresses: the track_group whose instances track its interface (found when read) */
  readonly trackGroup?: string;
  readonly useVmac: boolean;
  /** a static address written without `dev`: it went on the default interface */
  readonly onDefaultInterface?: boolean;
}

/** virtual_routes / static_routes entry; `words` keeps the `ip route` arguments. */
export interface RouteEntry extends Node {
  readonly to: IpPrefix | 'default';
  readonly family: 'inet' | 'inet6';
  readonly via?: IpAddress;
  readonly src?: IpAddress;
  readonly dev?: string;
  readonly table?: string;
  readonly metric?: number;
  readonly scope?: string;
  readonly type?: string;
  readonly noTrack: boolean;
  /** static routes: the track_group whose instances track its `dev` (found when read) */
  readonly trackGroup?: string;
  readonly words: readonly string[];
}

/** virtual_rules / static_rules entry; `words` keeps the `ip rule` arguments. */
export interface RuleEntry extends Node {
  readonly family: 'inet' | 'inet6';
  readonly from?: IpPrefix | 'all';
  readonly to?: IpPrefix | 'all';
  readonly table?: string;
  readonly preference?: number;
  readonly fwmark?: string;
  readonly iif?: string;
  readonly oif?: string;
  readonly noTrack: boolean;
  /** static rules: the track_group whose instances track its `iif` / `dev` (found when read) */
  readonly trackGroup?: string;
  readonly words: readonly string[];
}

/**
 * `track_group NAME { group { INSTANCE ... } }`: the VRRP instances that track the interface
 * of each static address, route and rule naming the group (keepalived vrrp_static_track.c).
 */
export interface StaticTrackGroup extends Node {
  readonly name: string;
  /** undefined: no `group` block (keepalived then removes the group at start) */
  readonly group?: readonly { readonly name: string; readonly loc: Loc }[];
}

export interface TrackRef extends Node {
  readonly name: string;
  /** as written; after completion a track_script / file / process entry carries its object's
   * weight when it sets none (complete-vrrp.ts resolveTrackRefs) */
  readonly weight?: number;
  /** as written; after completion, the entry's, else its object's, else false */
  readonly reverse?: boolean;
  /**
   * The weight keepalived's data dump shows for the entry when it is not the one it runs: a
   * sync-group member's weighted track_interface, whose weight keepalived says it ignores (and
   * zeroes in the instance's list) after it has given it to the interface, where it applies.
   */
  readonly shownWeight?: number;
}

export interface UnicastPeer extends Node {
  readonly address: IpAddress;
  readonly minTtl?: number;
  readonly maxTtl?: number;
}

export type VrrpState = 'MASTER' | 'BACKUP';

export interface VrrpInstance extends Node {
  readonly name: string;
  /** the state it starts in (keepalived's wantstate), completed from the priority when not set */
  readonly state: VrrpState;
  readonly interface?: string;
  readonly virtualRouterId?: number;
  readonly priority: number;
  readonly advertIntMs: number;
  readonly version: 2 | 3;
  readonly family: 'inet' | 'inet6';
  readonly authentication?: { readonly authType: 'PASS' | 'AH'; readonly authPass?: string; readonly loc: Loc };
  readonly virtualIpaddress: readonly AddressEntry[];
  readonly virtualIpaddressExcluded: readonly AddressEntry[];
  readonly virtualRoutes: readonly RouteEntry[];
  readonly virtualRules: readonly RuleEntry[];
  readonly unicastSrcIp?: IpAddress;
  readonly unicastPeer: readonly UnicastPeer[];
  readonly unicastTtl?: number;
  readonly mcastSrcIp?: IpAddress;
  readonly mcastDstIp?: IpAddress;
  readonly nopreempt: boolean;
  readonly preemptDelayMs: number;
  readonly trackInterface: readonly TrackRef[];
  readonly trackScript: readonly TrackRef[];
  readonly trackFile: readonly TrackRef[];
  readonly trackProcess: readonly TrackRef[];
  readonly trackBfd: readonly TrackRef[];
  readonly dontTrackPrimary: boolean;
  /** `debug`: 0..4, shown in the data dump ("Debug level"), nothing else (as keepalived 2.2.7) */
  readonly debug?: number;
  /** linkbeat_use_polling in the instance (deprecated): its interface polled */
  readonly linkbeatUsePolling: boolean;
  readonly notifyMaster?: Script;
  readonly notifyBackup?: Script;
  readonly notifyFault?: Script;
  readonly notifyStop?: Script;
  /** `true`: a bare notify_deleted (DELETED is notified, with no script of its own) */
  readonly notifyDeleted?: Script | true;
  readonly notify?: Script;
  readonly notifyMasterRxLowerPri?: Script;
  /** instance, else sync group, else vrrp_notify_priority_changes */
  readonly notifyPriorityChanges: boolean;
  /** instance, else smtp_alert_vrrp, else smtp_alert, else off */
  readonly smtpAlert: boolean;
  readonly useVmac?: { readonly name?: string; readonly mac?: string; readonly loc: Loc };
  readonly vmacXmitBase: boolean;
  // The effective values (src/config/complete-vrrp.ts): the instance's, else global_defs', with
  // keepalived's adjustments (strict mode forces several of them).
  readonly garpMasterDelayMs: number;
  readonly garpMasterRepeat: number;
  readonly garpMasterRefreshMs: number;
  readonly garpMasterRefreshRepeat: number;
  /** garp_extra_if [all] SECONDS (unset: vrrp_garp_extra_if's) */
  readonly garpExtraIf?: GarpExtraIf;
  readonly garpLowerPrioDelayMs: number;
  readonly garpLowerPrioRepeat: number;
  readonly downTimerAdverts: number;
  readonly lowerPrioNoAdvert: boolean;
  readonly higherPrioSendAdvert: boolean;
  /** accept mode: on unless strict mode (the address owner always) */
  readonly accept: boolean;
  /** strict_mode, else vrrp_strict */
  readonly strictMode: boolean;
  readonly skipCheckAdvAddr: boolean;
  readonly checkUnicastSrc: boolean;
  readonly unicastFaultNoPeer: boolean;
  /** a unicast_peer block or unicast_src_ip was written, even one left empty or refused (keepalived's VRRP_FLAG_UNICAST_CONFIGURED, shown in the data dump) */
  readonly unicastKeyword?: true;
  readonly promoteSecondaries: boolean;
  readonly trackSrcIp: boolean;
  readonly v3ChecksumAsV2: boolean;
  readonly syncGroup?: string;
  /** a configuration fault keepalived keeps the instance in FAULT for (unicast_fault_no_peer without peers) */
  readonly configFault?: string;
}

export interface VrrpSyncGroup extends Node {
  readonly name: string;
  readonly group: readonly { readonly name: string; readonly loc: Loc }[];
  readonly trackInterface: readonly TrackRef[];
  readonly trackScript: readonly TrackRef[];
  readonly trackFile: readonly TrackRef[];
  readonly trackProcess: readonly TrackRef[];
  readonly trackBfd: readonly TrackRef[];
  readonly notifyMaster?: Script;
  readonly notifyBackup?: Script;
  readonly notifyFault?: Script;
  readonly notifyStop?: Script;
  readonly notify?: Script;
  readonly smtpAlert?: boolean;
  readonly syncGroupTrackingWeight: boolean;
  readonly notifyPriorityChanges?: boolean;
}

export interface VrrpScript extends Node {
  readonly name: string;
  readonly script?: Script;
  readonly intervalMs: number;
  readonly timeoutMs?: number;
  readonly weight: number;
  readonly weightReverse: boolean;
  readonly rise: number;
  readonly fall: number;
  readonly user?: { readonly user: string; readonly group?: string };
  readonly initFail: boolean;
}

export interface TrackFile extends Node {
  readonly name: string;
  readonly file?: string;
  readonly weight: number;
  readonly weightReverse: boolean;
  readonly initFile?: { readonly value: number; readonly overwrite: boolean };
}

export interface TrackProcess extends Node {
  readonly name: string;
  readonly process?: readonly string[];
  readonly paramMatch?: 'initial' | 'partial';
  readonly weight: number;
  readonly weightReverse: boolean;
  readonly quorum: number;
  readonly quorumMax?: number;
  /** fork_delay, or the last `delay` (which sets both) */
  readonly forkDelayMs?: number;
  /** terminate_delay, or the last `delay` */
  readonly terminateDelayMs?: number;
  readonly fullCommand: boolean;
}

export interface Unsupported {
  readonly keyword: string;
  readonly loc: Loc;
}

export interface KeepalivedConfig {
  readonly globalDefs: GlobalDefs;
  readonly staticIpaddress: readonly AddressEntry[];
  readonly staticRoutes: readonly RouteEntry[];
  readonly staticRules: readonly RuleEntry[];
  /** track_group blocks, in configuration order */
  readonly staticTrackGroups: readonly StaticTrackGroup[];
  readonly vrrpScripts: readonly VrrpScript[];
  readonly trackFiles: readonly TrackFile[];
  readonly trackProcesses: readonly TrackProcess[];
  readonly vrrpInstances: readonly VrrpInstance[];
  readonly vrrpSyncGroups: readonly VrrpSyncGroup[];
  readonly virtualServerGroups: readonly VirtualServerGroup[];
  readonly virtualServers: readonly VirtualServer[];
  /** The top-level `SSL` block: SSL_GET's client credentials (file paths as written). */
  readonly ssl?: SslContextConfig;
  /** Root-level `net_namespace`, `instance`, `use_pid_dir` (src/daemon/run-identity.ts) */
  readonly netNamespace?: string;
  readonly instance?: string;
  readonly usePidDir?: boolean;
  /** Interfaces named by linkbeat_interfaces / interface_up_down_delays / garp groups: they must exist (validate.ts) */
  readonly interfaceChecks?: readonly { readonly name: string; readonly what: string; readonly loc: Loc }[];
  /** garp_group blocks: GARP / NA spacing shared by their interfaces */
  readonly garpGroups?: readonly GarpGroup[];
  /** interface_up_down_delays: how long a link change must last before it counts (ms; 0: at once) */
  readonly interfaceDelays?: readonly InterfaceDelay[];
  /** bfd_instance blocks that keepalived keeps (src/config/keywords-bfd.ts) */
  readonly bfdInstances: readonly BfdInstance[];
  /** linkbeat_interfaces: interfaces whose link state is polled (src/daemon/linkbeat.ts) */
  readonly linkbeatInterfaces?: readonly LinkbeatInterface[];
  /** root-level linkbeat_use_polling: every instance's interface polled */
  readonly linkbeatUsePolling?: boolean;
}

/** One `bfd_instance`: a BFD session to a neighbour (intervals in microseconds). */
export interface BfdInstance {
  readonly name: string;
  readonly neighborIp: IpAddress;
  readonly sourceIp?: IpAddress;
  readonly minRxUs: number;
  readonly minTxUs: number;
  readonly idleTxUs: number;
  readonly multiplier: number;
  readonly passive: boolean;
  /** ttl / hoplimit sent with (default 255 for IPv4, 64 for IPv6, as keepalived) */
  readonly ttl: number;
  /** -1: no check of the received TTL; otherwise the hops it may have come over */
  readonly maxHops: number;
  /** the weight and direction a track_bfd entry without its own takes */
  readonly weight: number;
  readonly weightReverse: boolean;
  /** the VRRP process / the checkers hear of it (`vrrp`, `checker`; neither written: both) */
  readonly vrrp: boolean;
  readonly checker: boolean;
  readonly loc: Loc;
}

export interface LinkbeatInterface {
  readonly name: string;
  /** the configured way to read the link; absent: the first that works (MII, ETHTOOL, then IOCTL) */
  readonly method?: 'MII' | 'ETHTOOL' | 'IOCTL';
  readonly loc: Loc;
}

export interface GarpGroup {
  /** unset: back to back (a group does not take vrrp_garp_interval) */
  readonly garpIntervalMs?: number;
  readonly gnaIntervalMs?: number;
  readonly interfaces: readonly { readonly name: string; readonly loc: Loc; readonly inBlock: boolean }[];
  readonly loc: Loc;
}

export interface GarpExtraIf {
  readonly intervalMs: number;
  /** `all`: every other interface of the VIPs, not only keepalived's VMACs */
  readonly all: boolean;
}

export interface InterfaceDelay {
  readonly name: string;
  readonly downMs: number;
  readonly upMs: number;
  readonly loc: Loc;
}
