/**
 * What goes into and comes out of the sans-I/O VRRP engine. The engine is driven as
 * `engine.handle(now, input)` and answers `{ effects, deadline }`; the daemon performs the
 * effects and calls `handle(deadline, { type: 'tick' })` when the deadline is reached.
 */
import type { Family } from '../util/ip.js';
import type { AuthErrorType, DecodeReason, RxPacket } from './packet.js';

export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';

export type Input =
  /** Leave INIT (keepalived `vrrp_init_state`). Tracker states should be reported first. */
  | { readonly type: 'start' }
  /** Run every timer that is due at `now`. */
  | { readonly type: 'tick' }
  /** A VRRP packet received on `interface` (raw socket payload, see RxPacket). */
  | { readonly type: 'packet'; readonly interface: string; readonly packet: RxPacket }
  | { readonly type: 'interface'; readonly name: string; readonly up: boolean }
  /** One completed run of a vrrp_script: exit status 0 = success; timeout/signal = failure. */
  | { readonly type: 'scriptResult'; readonly name: string; readonly success: boolean }
  /** The integer read from a track_file. */
  | { readonly type: 'fileValue'; readonly name: string; readonly value: number }
  | { readonly type: 'process'; readonly name: string; readonly up: boolean }
  /** A BFD session (bfd_instance) went Up or Down, as the BFD side reports it. */
  | { readonly type: 'bfd'; readonly name: string; readonly up: boolean }
  /** SIGTERM: masters send priority 0 and drop their VIPs, every instance enters STOP. */
  | { readonly type: 'shutdown' }
  /**
   * SIGHUP, on the new engine instead of `start`: take over `previous`'s tracker results and,
   * for each instance of `matches` (new name -> old name), its state, counters and master
   * seen; masters advert at once, and send a GARP burst when they are in `regarp` (addresses
   * were added). The other instances start as at `start`.
   */
  | {
    readonly type: 'reload'; readonly previous: import('./engine.js').VrrpEngine;
    readonly matches: ReadonlyMap<string, string>; readonly regarp: ReadonlySet<string>;
  }
  /**
   * Planned handover (keepalived-ts): `yield` makes the instance give way and stay out of the
   * way (it advertises priority 1 until `yield: false`); a MASTER hands over make-before-break:
   * one priority-0 advert (a backup takes over after its skew time), no more adverts, and it
   * keeps serving its VIPs until it hears the new master; if nobody takes over within
   * Master_Down_Interval it adverts again and stays MASTER.
   */
  | { readonly type: 'handover'; readonly instance: string; readonly yield: boolean }
  /** SIGHUP, on the old engine: these instances left the configuration (masters release). */
  | { readonly type: 'retire'; readonly instances: readonly string[]; readonly notifyDeleted?: ReadonlySet<string> };

export type TransitionReason =
  | 'init' // leaving INIT at start
  | 'owner-start' // priority 255 with state MASTER: immediate takeover (not logged by keepalived)
  | 'master-down-timer' // no advert for Master_Down_Interval
  | 'higher-priority' // master heard a higher priority
  | 'equal-priority-higher-ip' // master heard its priority from a higher address
  | 'fault' // a tracker without weight failed
  | 'fault-cleared'
  | 'sync-group' // moved by its vrrp_sync_group
  | 'shutdown'
  | 'reload' // its state after a reload differs from before (a tracker changed with the config)
  | 'deleted'; // left the configuration at a reload

export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'DELETED'
  | 'MASTER_RX_LOWER_PRI' | 'MASTER_PRIORITY' | 'BACKUP_PRIORITY';

/** Why a GARP / unsolicited NA burst is sent (reference §d.5). */
export type GarpReason = 'master' | 'master-delayed' | 'refresh' | 'lower-prio' | 'lower-prio-delayed' | 'extra-if';

export type VrrpEvent =
  | 'rx-prio-zero' // BACKUP: master left, Master_Down timer := Skew_Time
  | 'rx-lower-prio-discard' // BACKUP: "received lower priority (N) advert from X - discarding"
  | 'rx-lower-prio' // MASTER: "Received advert from X with lower priority N, ours M[, forcing new election]"
  | 'rx-higher-prio' // MASTER: "Master received advert from X with higher priority N, ours M"
  | 'rx-equal-prio-higher-ip' // MASTER: "... same priority N but higher IP address than ours"
  | 'rx-equal-prio-own-ip' // MASTER: equal priority advert from our own address
  | 'owner-conflict' // two address owners: ours reduced to 254
  | 'preempt-delay-start'
  | 'preempt-delay-stop'
  | 'interval-learnt' // v3 BACKUP adopted the master's interval
  | 'handover-start' // MASTER sent priority 0 and waits for the new master, VIPs kept
  | 'handover-done' // the new master was heard: VIPs released
  | 'handover-timeout' // nobody took over: adverts again
  | 'yield-end'; // the instance competes with its own priority again

export type Effect =
  | {
    readonly type: 'stateChange'; readonly instance: string;
    readonly from: VrrpState; readonly to: VrrpState; readonly reason: TransitionReason;
    /** keepalived prints no "Entering ... STATE" line for this change */
    readonly quiet: boolean;
  }
  | {
    readonly type: 'groupStateChange'; readonly group: string;
    readonly from: VrrpState; readonly to: VrrpState;
  }
  | {
    readonly type: 'sendAdvert'; readonly instance: string; readonly interface: string;
    readonly family: Family; readonly dst: Uint8Array; readonly priority: number;
    /** IPv4: full datagram (send with IP_HDRINCL); IPv6: VRRP message (hop limit 255). */
    readonly data: Uint8Array;
    /** a takeover's first advert: not before the GARPs of the same step, if those wait */
    readonly afterGarp?: true;
  }
  /** Add VIPs, eVIPs, virtual routes and rules (and accept-mode firewall) of the instance. */
  | { readonly type: 'addVips'; readonly instance: string }
  | { readonly type: 'removeVips'; readonly instance: string }
  /** `repeat` GARPs / NAs for every VIP and eVIP of the instance. */
  | { readonly type: 'sendGarp'; readonly instance: string; readonly repeat: number; readonly reason: GarpReason }
  /** Unicast instance leaving FAULT: one GARP / NA for its own source address. */
  | { readonly type: 'sendGarpSource'; readonly instance: string; readonly address: Uint8Array }
  /** Scripts and FIFO: `INSTANCE name STATE priority` or `GROUP name STATE 0`. */
  | {
    readonly type: 'notify'; readonly scope: 'INSTANCE' | 'GROUP'; readonly name: string;
    readonly state: NotifyState; readonly priority: number;
  }
  | { readonly type: 'priorityChange'; readonly instance: string; readonly from: number; readonly to: number }
  /** An advert was rejected (count it per reason, log rate-limited). */
  | {
    readonly type: 'rxDrop'; readonly instance: string; readonly reason: DecodeReason; readonly message: string;
    /** an authentication failure's kind (RFC 2787 vrrpTrapAuthErrorType) */
    readonly authError?: AuthErrorType;
    /** the packet's source (IPv4: from its header), when it had one */
    readonly src?: Uint8Array;
  }
  | {
    readonly type: 'event'; readonly instance: string; readonly event: VrrpEvent;
    readonly from?: Uint8Array; readonly priority?: number; readonly ours?: number;
    readonly forcingElection?: boolean; readonly intervalMs?: number;
  };

export interface Step {
  readonly effects: Effect[];
  /** When to call `handle(deadline, { type: 'tick' })`; undefined = no timer pending. */
  readonly deadline: number | undefined;
}

export interface InstanceStats {
  advertsSent: number;
  advertsReceived: number;
  priZeroSent: number;
  priZeroReceived: number;
  becomeMaster: number;
  releaseMaster: number;
  transitions: number;
  readonly rxErrors: Record<DecodeReason, number>;
}
