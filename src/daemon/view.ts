/**
 * What the running daemon shows of itself: the read-only views the state dumps (SIGUSR1,
 * SIGUSR2, the JSON signal), the metrics, the status API and `keepalived-ts status` are made
 * from. A view is taken at the moment it is asked for (after a reload it shows the new
 * configuration); formatters never keep one.
 */
import type { KeepalivedConfig, VrrpInstance as InstanceModel } from '../config/model.js';
import type { AddrInfo, LinkInfo } from '../io/rtnl.js';
import type { InetConf } from '../io/rtnl-sysctl.js';
import type { ScriptSpec } from '../io/script-runner.js';
import type { VrrpInstance } from '../vrrp/instance.js';
import type { SyncGroup } from '../vrrp/sync-group.js';
import type { FailoverSnapshot } from './failover-timing.js';
import type { RtNames } from '../netlink/names.js';

export interface InstanceView {
  readonly name: string;
  /** the instance as configured */
  readonly model: InstanceModel;
  /** the engine's live instance: state, wantState, priorities, masterSaddr, stats, timers */
  readonly live: VrrpInstance;
  /** the configured interface; `live.r.cfg.interface` is the VMAC with use_vmac */
  readonly baseInterface: string;
  /** the advert source address */
  readonly sourceAddress: Uint8Array;
  /** adverts the socket refused */
  readonly sendErrors: number;
  /** wall-clock time (ms since the epoch) of the last state change, if any */
  readonly lastTransitionAt?: number;
  /** use_vmac: the VMAC the instance runs on */
  readonly vmac?: string;
}

export interface VrrpView {
  readonly config: KeepalivedConfig;
  readonly configFile: string;
  readonly pid: number;
  /** wall clock (ms since the epoch) */
  readonly startedAt: number;
  readonly reloads: number;
  readonly lastReloadAt?: number;
  readonly instances: readonly InstanceView[];
  readonly groups: readonly SyncGroup[];
  /** adverts for a VRID no instance here uses */
  readonly unknownVrid: number;
  /** netlink address operations that failed; VIPs someone else deleted that were put back */
  readonly addressFailures: number;
  readonly addressesRestored: number;
  /** the BFD sessions (bfd_instance) and what the BFD receiver dropped, by reason */
  readonly bfd?: {
    readonly sessions: readonly { readonly name: string; readonly state: string; readonly detectionTimeUs: number }[];
    readonly dropped: Readonly<Record<string, number>>;
  };
  /** the VRRP thread's SCHED_RR priority (0: normal scheduling), SIGXCPU signals at its RLIMIT_RTTIME soft limit, the times it left SCHED_RR there */
  readonly sched?: { readonly rtPriority: number; readonly rtLimitSignals: number; readonly rtLimitDemotions?: number };
  /**
   * Failover timing histograms (src/daemon/failover-timing.ts). To be filled by
   * VrrpDaemon.view() with `this.timing.observe()`; absent until then (no series exported).
   */
  readonly failover?: FailoverSnapshot;
  /**
   * vrrp_script results, for keepalived_script_status / _state and the data dump's VRRP Script
   * blocks. Filled by VrrpDaemon.view() from the engine's script states (`scriptOk()`: true
   * GOOD, false BAD, undefined not yet run) and the trackers' runs in progress.
   */
  readonly scripts?: readonly ScriptView[];
  /** the iproute2 names (tables, realms, groups, ...) the daemon reads routes and rules with; absent: keepalived's built-in ones */
  readonly rtNames?: RtNames;
  /** host facts the data dump shows (interfaces, sockets, script users); absent in unit views */
  readonly host?: HostView;
}

/** An interface of the namespace and its addresses, in the kernel's order. */
export interface HostLink {
  readonly link: LinkInfo;
  readonly addresses: readonly AddrInfo[];
  /** its IPv4 sysctls, read when asked (VMACs change them) */
  readonly inetConf?: InetConf;
}

/** A script as the daemon runs it: argv[0] resolved (PATH search, realpath), its uid:gid. */
export interface ResolvedScript {
  readonly argv: readonly string[];
  readonly uid: number;
  readonly gid: number;
  /** refused at start-up (not found, not executable, unsafe, unknown user) */
  readonly refused: boolean;
}

/** Read on demand: a view is taken for every metrics scrape and status request too. */
export interface HostView {
  /** the namespace's interfaces by index */
  links(): readonly HostLink[];
  /** the VRRP socket of an interface and family: its descriptor (when known), receive buffer */
  socket(ifname: string, family: 'inet' | 'inet6', ah?: boolean): { readonly fd?: number; readonly rxBufSize: number } | undefined;
  resolveScript(script: ScriptSpec): ResolvedScript;
  /** a track_file's value now (keepalived's last read); undefined when it cannot be read */
  trackFileValue(path: string): number | undefined;
  /** keepalived's "Reset promote_secondaries counter" of an interface */
  promoteSecondaries?(ifname: string): number;
  /** a track_file's path as the tracker watches it (keepalived's realpath of it, or of its directory) */
  trackFilePath(path: string): string;
  /** the default script user's uid:gid; undefined when there is none (keepalived_script missing) */
  defaultScriptUser(): { readonly uid: number; readonly gid: number } | undefined;
  /** whether a bfd_instance's session is Up, as the VRRP process last heard */
  bfdUp?(name: string): boolean;
  /** a vrrp_track_process's matching processes and quorum now (undefined: not tracked) */
  processStatus?(name: string): { readonly count: number; readonly up: boolean } | undefined;
  /** how a polled interface's link is read (linkbeat); undefined: from rtnetlink */
  linkbeat?(ifname: string): 'MII' | 'ETHTOOL' | 'IOCTL' | 'unknown' | undefined;
}

/** The host facts a process without links or VRRP sockets shows (the checker process). */
export type ScriptHost = Pick<HostView, 'resolveScript' | 'defaultScriptUser' | 'trackFileValue' | 'trackFilePath'>;

export interface ScriptView {
  readonly name: string;
  /** undefined: no result yet */
  readonly ok: boolean | undefined;
  /** a run is in progress (keepalived's script state "running", else "idle") */
  readonly running?: boolean;
}
