/**
 * One VRRP instance: the state machine of RFC 3768 §6.4 / RFC 5798 §6.4 with keepalived
 * 2.2.7's behaviour (reference §d.3-d.4; keepalived vrrp.c `vrrp_state_backup`,
 * `vrrp_state_master_rx`, `vrrp_state_master_tx`, `vrrp_state_leave_master`,
 * `vrrp_state_leave_fault`, vrrp_scheduler.c `vrrp_init_instance_sands`).
 *
 * Sans-I/O: every method takes a `Ctx` carrying `now` and the effect list. Timers are
 * plain deadlines (`sands` and the GARP timers) that the engine turns into its next deadline.
 * Every state change goes through `changeState`.
 */
import { compareIp } from '../util/ip.js';
import type { ResolvedInstance } from './config.js';
import { AdvertTx } from './advert-tx.js';
import { AhSequence } from './ipsec-ah.js';
import { DECODE_REASONS, decodeAdvert, type RxAdvert, type RxExpect, type RxPacket } from './packet.js';
import type { SyncGroup } from './sync-group.js';
import { addMs, masterDownIntervalMs, skewTimeMs } from './timers.js';
import type { Effect, GarpReason, InstanceStats, NotifyState, TransitionReason, VrrpState } from './types.js';

export interface Ctx {
  readonly now: number;
  readonly out: Effect[];
}

const NEVER = Number.POSITIVE_INFINITY;

export class VrrpInstance {
  readonly r: ResolvedInstance;
  readonly name: string;
  state: VrrpState = 'INIT';
  /** keepalived `wantstate`: where the instance would be, ignoring its sync group */
  wantState: 'BACKUP' | 'MASTER' | 'FAULT';
  basePriority: number;
  /** sum of tracker adjustments, before clamping (keepalived total_priority - base) */
  adjustment = 0;
  effectivePriority: number;
  masterAdverIntervalMs: number;
  /** keepalived ms_down_timer: the timeout the BACKUP deadline is armed with */
  msDownTimerMs: number;
  /** keepalived sands: next advert (MASTER) or Master_Down expiry (BACKUP) */
  sands = NEVER;
  garpDelayedAt = NEVER;
  lowerPrioGarpAt = NEVER;
  garpRefreshAt = NEVER;
  /** garp_extra_if: the next GARP / NA on the VIPs' other interfaces */
  garpExtraIfAt = NEVER;
  /** end of vrrp_startup_delay (0 = none) */
  delayedStartAt = 0;
  /** preempt_delay expiry; 0 = not running */
  preemptTime = 0;
  masterSaddr: Uint8Array | undefined;
  masterPriority = 0;
  /** when the last valid advert was received (engine clock, ms); for failover timing */
  lastAdvertAtMs: number | undefined;
  vipSet = false;
  unicastChecksum: 'new' | 'old' | 'auto';
  /** auth_type AH: the sequence counter (kept over a reload, as keepalived keeps it) */
  readonly ahSeq = new AhSequence();
  /** keepalived num_script_if_fault / num_script_init */
  numFault = 0;
  numInit = 0;
  notifiesSent = false;
  /** planned handover: advertise priority 1 until told otherwise */
  yielded = false;
  /** MASTER after its handover advert: silent, VIPs kept, until the new master is heard */
  handingOver = false;
  /** after a handover: the VIPs are released at this time (the new master's GARPs are out) */
  releaseVipsAt = NEVER;
  sync: SyncGroup | undefined;
  /** the engine's deadline heap bookkeeping (src/util/deadline-heap.ts) */
  heapAt = NEVER;
  heapIndex = -1;
  heapSeq = 0;
  readonly stats: InstanceStats;
  private readonly tx: AdvertTx;
  private readonly expectAll: RxExpect;
  private readonly expectNoAddr: RxExpect;

  constructor(r: ResolvedInstance) {
    this.r = r;
    this.name = r.name;
    this.wantState = r.wantMaster ? 'MASTER' : 'BACKUP';
    this.basePriority = r.basePriority;
    this.effectivePriority = r.basePriority;
    this.masterAdverIntervalMs = r.adverIntervalMs;
    this.unicastChecksum = r.unicastChecksum;
    this.tx = new AdvertTx(r);
    this.msDownTimerMs = this.masterDownInterval();
    const rxErrors = Object.fromEntries(DECODE_REASONS.map((k) => [k, 0])) as InstanceStats['rxErrors'];
    this.stats = {
      advertsSent: 0, advertsReceived: 0, priZeroSent: 0, priZeroReceived: 0,
      becomeMaster: 0, releaseMaster: 0, transitions: 0, rxErrors,
    };
    this.expectAll = {
      family: r.family, version: r.version, vrid: r.vrid, authType: r.authType, authData: r.authData,
      adverIntervalMs: r.adverIntervalMs, vips: r.vips, unicast: r.unicast, unicastPeers: r.peers,
      checkUnicastSrc: r.checkUnicastSrc, checksumAsV2: r.checksumAsV2, unicastChecksum: r.unicastChecksum,
    };
    this.expectNoAddr = { ...this.expectAll, vips: undefined };
  }

  /**
   * Reload (keepalived restore_vrrp_state): take over the state of the same instance of the
   * previous configuration, its counters, the master it has seen and its advert IP ID. Timers
   * and sync-group effects are the engine's business.
   */
  adoptFrom(old: VrrpInstance): void {
    this.state = old.state;
    this.wantState = old.wantState === 'FAULT' ? (this.r.wantMaster ? 'MASTER' : 'BACKUP') : old.wantState;
    if (old.state === 'MASTER') this.wantState = 'MASTER';
    this.vipSet = old.vipSet;
    this.masterSaddr = old.masterSaddr;
    this.masterPriority = old.masterPriority;
    if (old.r.version === this.r.version && old.state === 'BACKUP') this.masterAdverIntervalMs = old.masterAdverIntervalMs;
    this.msDownTimerMs = this.masterDownInterval();
    this.sands = old.sands;
    this.tx.ipId = old.tx.ipId;
    this.ahSeq.seq = old.ahSeq.seq;
    this.ahSeq.cycled = old.ahSeq.cycled;
    this.prepareAdvert();
    this.notifiesSent = old.notifiesSent;
    this.yielded = old.yielded;
    this.handingOver = old.handingOver;
    const s = this.stats;
    const o = old.stats;
    s.advertsSent = o.advertsSent;
    s.advertsReceived = o.advertsReceived;
    s.priZeroSent = o.priZeroSent;
    s.priZeroReceived = o.priZeroReceived;
    s.becomeMaster = o.becomeMaster;
    s.releaseMaster = o.releaseMaster;
    s.transitions = o.transitions;
    for (const k of Object.keys(s.rxErrors) as (keyof typeof s.rxErrors)[]) s.rxErrors[k] = o.rxErrors[k];
  }

  skewTimeMs(): number {
    return skewTimeMs(this.r.version, this.effectivePriority, this.masterAdverIntervalMs);
  }

  masterDownInterval(): number {
    return masterDownIntervalMs(this.r.version, this.r.downTimerAdverts, this.masterAdverIntervalMs, this.effectivePriority);
  }

  /** Earliest of this instance's timers. */
  nextDeadline(): number {
    return Math.min(this.sands, this.garpDelayedAt, this.lowerPrioGarpAt, this.releaseVipsAt);
  }

  /** The choke point: every state change is recorded here (RFC 3768 §6.4 / keepalived logs). */
  changeState(ctx: Ctx, to: VrrpState, reason: TransitionReason, quiet = false): void {
    const from = this.state;
    if (from === to) return;
    this.state = to;
    this.stats.transitions++;
    this.prepareAdvert();
    ctx.out.push({ type: 'stateChange', instance: this.name, from, to, reason, quiet });
  }

  /** keepalived send_instance_notifies, including its sync-group suppression. */
  notify(ctx: Ctx, state: NotifyState = this.state as NotifyState): void {
    if (this.notifiesSent && this.sync && this.state === this.sync.state) return;
    this.notifiesSent = true;
    ctx.out.push({ type: 'notify', scope: 'INSTANCE', name: this.name, state, priority: this.effectivePriority });
  }

  /** vrrp_init_instance_sands; during vrrp_startup_delay a BACKUP counts from its end. */
  initSands(now: number): void {
    if (this.state === 'MASTER') this.sands = addMs(now, this.r.adverIntervalMs);
    else if (this.state === 'BACKUP') this.sands = addMs(now < this.delayedStartAt ? this.delayedStartAt : now, this.msDownTimerMs);
    else this.sands = NEVER;
  }

  /** A backup's advert, encoded when it becomes BACKUP or its priority changes, not at Master_Down. */
  private prepareAdvert(): void {
    if (this.state === 'BACKUP') this.tx.prepare(this.effectivePriority, this.unicastChecksum === 'old');
  }

  /**
   * vrrp_send_adv: one IP ID per advert, one copy per unicast peer (reference §d.1, §d.8).
   * `afterGarp`: a takeover's first advert, which goes after the GARPs of the same step.
   */
  sendAdvert(ctx: Ctx, priority: number, afterGarp = false): void {
    const r = this.r;
    this.tx.send(priority, this.unicastChecksum === 'old', (dst, data) => {
      ctx.out.push({
        type: 'sendAdvert', instance: this.name, interface: r.cfg.interface, family: r.family, dst, priority, data,
        ...(afterGarp ? { afterGarp } : {}),
      });
    }, r.authType === 2 ? this.ahSeq.next() : 0);
    this.stats.advertsSent++;
    if (priority === 0) this.stats.priZeroSent++;
  }

  sendGarp(ctx: Ctx, repeat: number, reason: GarpReason): void {
    // vrrp_send_link_update: nothing unless the VIPs are set
    if (repeat > 0 && this.vipSet) ctx.out.push({ type: 'sendGarp', instance: this.name, repeat, reason });
  }

  /**
   * vrrp_state_become_master (RFC 5798 §6.4.1 / §6.4.2 transition to Master), make-before-break:
   * the VIPs and their GARPs go out before the advert. keepalived sends the advert first, so a
   * live lower-priority master (one being preempted) drops its copy of the VIPs while the
   * clients still send to it, until our GARPs reach them: a packet in flight then is lost
   * (test/netns/migrating.test.ts saw it under load). In this order the clients follow the
   * GARPs to us while the old master still answers, and it lets the VIPs go on our advert.
   */
  private becomeMaster(ctx: Ctx): void {
    this.stats.becomeMaster++;
    this.masterAdverIntervalMs = this.r.adverIntervalMs;
    ctx.out.push({ type: 'addVips', instance: this.name });
    this.vipSet = true;
    this.sendGarp(ctx, this.r.garpRepeat, 'master');
    this.sendAdvert(ctx, this.effectivePriority, true);
    if (this.r.garpRefreshMs > 0) this.garpRefreshAt = addMs(ctx.now, this.r.garpRefreshMs);
    if (this.r.garpExtraIfMs > 0) this.garpExtraIfAt = addMs(ctx.now, this.r.garpExtraIfMs);
    this.notify(ctx);
  }

  /** vrrp_state_master_tx: the advert timer fired, or we just became master. */
  masterTx(ctx: Ctx): void {
    this.releaseVipsAt = NEVER;
    if (!this.vipSet) {
      this.becomeMaster(ctx);
      // second GARP burst after garp_master_delay (reference §d.5)
      if (this.r.garpDelayMs > 0) this.garpDelayedAt = addMs(ctx.now, this.r.garpDelayMs);
    } else {
      this.sendAdvert(ctx, this.effectivePriority);
      if (this.r.garpRefreshMs > 0 && ctx.now > this.garpRefreshAt) {
        this.sendGarp(ctx, this.r.garpRefreshRepeat, 'refresh');
        this.garpRefreshAt = addMs(ctx.now, this.r.garpRefreshMs);
      }
      // vrrp_send_vmac_update: the other interfaces, checked at the adverts as the refresh is
      if (this.r.garpExtraIfMs > 0 && ctx.now > this.garpExtraIfAt) {
        this.sendGarp(ctx, 1, 'extra-if');
        this.garpExtraIfAt = addMs(ctx.now, this.r.garpExtraIfMs);
      }
    }
  }

  /** vrrp_state_goto_master */
  gotoMaster(ctx: Ctx, reason: TransitionReason): void {
    if (this.sync && !this.sync.canGotoMaster(ctx, this)) {
      this.wantState = 'MASTER';
      return;
    }
    this.ahSeq.becomingMaster();
    this.changeState(ctx, 'MASTER', reason);
    this.initSands(ctx.now);
    this.masterTx(ctx);
  }

  /** vrrp_restore_interface: optional priority-0 advert, then drop the VIPs. */
  restoreInterface(ctx: Ctx, sendPriorityZero: boolean): void {
    if (sendPriorityZero) this.sendAdvert(ctx, 0);
    if (this.vipSet) {
      ctx.out.push({ type: 'removeVips', instance: this.name });
      this.vipSet = false;
    }
    // keepalived lets pending GARP threads fire and send nothing (VIPs unset); dropping them
    // is the same on the wire unless the instance is MASTER again before they would fire.
    this.garpDelayedAt = this.lowerPrioGarpAt = this.garpRefreshAt = this.garpExtraIfAt = this.releaseVipsAt = NEVER;
  }

  /** vrrp_state_leave_master: to wantState BACKUP or FAULT (FAULT sends priority 0). */
  leaveMaster(ctx: Ctx, sendPriorityZero: boolean, reason: TransitionReason, keepVipsMs = 0): void {
    const to = this.wantState;
    if (to === 'MASTER') return;
    this.changeState(ctx, to, reason);
    if (to === 'BACKUP') this.preemptTime = 0;
    else this.sendAdvert(ctx, 0);
    if (keepVipsMs > 0 && to === 'BACKUP' && this.vipSet) {
      // a handover: keep answering on the VIPs while the new master's GARPs reach the clients
      if (sendPriorityZero) this.sendAdvert(ctx, 0);
      this.garpDelayedAt = this.lowerPrioGarpAt = this.garpRefreshAt = this.garpExtraIfAt = NEVER;
      this.releaseVipsAt = addMs(ctx.now, keepVipsMs);
    } else this.restoreInterface(ctx, sendPriorityZero);
    this.notify(ctx);
    this.msDownTimerMs = this.masterDownInterval();
    this.initSands(ctx.now);
    this.stats.releaseMaster++;
  }

  /** vrrp_state_leave_fault: to wantState (MASTER goes through gotoMaster). */
  leaveFault(ctx: Ctx, reason: TransitionReason): void {
    if (this.wantState === 'MASTER') {
      this.gotoMaster(ctx, reason);
    } else {
      if (this.wantState === 'FAULT' && this.state === 'MASTER') {
        this.sendAdvert(ctx, 0);
        this.restoreInterface(ctx, false);
      }
      this.changeState(ctx, this.wantState, reason);
      this.notify(ctx);
      if (this.state === 'BACKUP') this.preemptTime = 0;
    }
    this.masterAdverIntervalMs = this.r.adverIntervalMs;
    this.msDownTimerMs = this.masterDownInterval();
    this.initSands(ctx.now);
  }

  private decode(ctx: Ctx, pkt: RxPacket, checkAddr: boolean): RxAdvert | undefined {
    const res = decodeAdvert(pkt, checkAddr ? this.expectAll : this.expectNoAddr, this.ahSeq.seq);
    if (!res.ok) {
      if (res.error.ahSeq !== undefined) this.ahSeq.seq = res.error.ahSeq;
      if (res.error.quiet) return undefined;
      this.stats.rxErrors[res.error.reason]++;
      const src = pkt.family === 'inet' ? (pkt.data.length >= 20 ? pkt.data.subarray(12, 16) : undefined) : pkt.src;
      ctx.out.push({
        type: 'rxDrop', instance: this.name, reason: res.error.reason, message: res.error.message,
        ...(res.error.authError !== undefined ? { authError: res.error.authError } : {}), ...(src ? { src } : {}),
      });
      return undefined;
    }
    const adv = res.value;
    if (adv.ahSeq !== undefined) this.ahSeq.accepted(adv.ahSeq, this.state === 'BACKUP');
    this.stats.advertsReceived++;
    this.lastAdvertAtMs = ctx.now;
    if (adv.priority === 0) this.stats.priZeroReceived++;
    if (adv.legacyUnicastChecksum && this.unicastChecksum === 'auto') this.unicastChecksum = 'old';
    return adv;
  }

  private learnInterval(ctx: Ctx, adv: RxAdvert): void {
    // RFC 5798 §6.4.2: a v3 backup sets Master_Adver_Interval from the advert.
    if (this.r.version === 3 && adv.adverIntervalMs !== this.masterAdverIntervalMs) {
      this.masterAdverIntervalMs = adv.adverIntervalMs;
      ctx.out.push({ type: 'event', instance: this.name, event: 'interval-learnt', intervalMs: adv.adverIntervalMs });
    }
  }

  /** vrrp_state_backup (RFC 3768 §6.4.2, RFC 5798 §6.4.2, reference §d.4). */
  backupRx(ctx: Ctx, pkt: RxPacket): void {
    // skip_check_adv_addr: the address checks are skipped only for the master we know.
    const checkAddr = !this.r.skipCheckAdvAddr || !this.fromKnownMaster(pkt);
    const adv = this.decode(ctx, pkt, checkAddr);
    let ignore = adv === undefined;
    if (adv === undefined) {
      // fall through to the timer bookkeeping below
    } else if (adv.priority === 0) {
      // RFC 3768 §6.4.2: Master_Down_Timer := Skew_Time
      this.msDownTimerMs = this.skewTimeMs();
      ctx.out.push({ type: 'event', instance: this.name, event: 'rx-prio-zero', from: adv.src.slice() });
    } else if (
      this.r.nopreempt || adv.priority >= this.effectivePriority
      || (this.r.preemptDelayMs > 0 && (this.preemptTime === 0 || this.preemptTime > ctx.now))
    ) {
      this.learnInterval(ctx, adv);
      this.msDownTimerMs = this.masterDownInterval();
      this.rememberMaster(adv);
      this.masterPriority = adv.priority;
      if (this.r.preemptDelayMs > 0) {
        if (adv.priority >= this.effectivePriority) {
          if (this.preemptTime !== 0) {
            this.preemptTime = 0;
            ctx.out.push({ type: 'event', instance: this.name, event: 'preempt-delay-stop' });
          }
        } else if (this.preemptTime === 0) {
          this.preemptTime = addMs(ctx.now, this.r.preemptDelayMs);
          ctx.out.push({ type: 'event', instance: this.name, event: 'preempt-delay-start' });
        }
      }
      // held in BACKUP by a sync group: having heard a master we no longer want MASTER
      this.wantState = 'BACKUP';
    } else {
      // lower priority and preemption allowed: let the Master_Down timer run out
      ctx.out.push({
        type: 'event', instance: this.name, event: 'rx-lower-prio-discard', from: adv.src.slice(), priority: adv.priority,
      });
      ignore = true;
      this.rememberMaster(adv);
    }
    if (ignore) {
      // keep the running deadline: the engine re-arms sands from msDownTimer after this
      this.msDownTimerMs = Math.max(0, Math.round((this.sands - ctx.now) * 1000) / 1000);
    }
  }

  private rememberMaster(adv: RxAdvert): void {
    this.masterSaddr ??= new Uint8Array(this.r.src.length);
    adv.copySrc(this.masterSaddr);
  }

  private fromKnownMaster(pkt: RxPacket): boolean {
    const m = this.masterSaddr;
    if (!m) return false;
    if (pkt.family === 'inet6') return pkt.src !== undefined && compareIp(pkt.src, m) === 0;
    for (let i = 0; i < 4; i++) if (pkt.data[12 + i] !== m[i]) return false;
    return true;
  }

  /**
   * vrrp_state_master_rx (RFC 3768 §6.4.3, RFC 5798 §6.4.3, reference §d.4).
   * Returns true when the instance must leave MASTER for BACKUP.
   */
  masterRx(ctx: Ctx, pkt: RxPacket): boolean {
    const adv = this.decode(ctx, pkt, true);
    if (!adv) return false;
    const ours = this.effectivePriority;
    const prio = adv.priority;
    const addrCmp = adv.compareSrc(this.r.src);
    if (prio === 0 || (this.r.higherPrioSendAdvert && (prio > ours || (prio === ours && addrCmp > 0)))) {
      this.sendAdvert(ctx, ours);
      if (prio === 0) return false;
    }
    if (prio === ours) {
      if (addrCmp === 0) {
        ctx.out.push({ type: 'event', instance: this.name, event: 'rx-equal-prio-own-ip', from: adv.src.slice(), priority: prio });
      } else if (ours === 255) {
        // two address owners: keepalived 2.2.7 reduces its own priority to 254
        this.effectivePriority = 254;
        this.basePriority = 254;
        ctx.out.push({ type: 'event', instance: this.name, event: 'owner-conflict', from: adv.src.slice(), priority: prio });
      }
    }
    const eff = this.effectivePriority;
    if (prio < eff || (prio === eff && addrCmp < 0)) {
      ctx.out.push({
        type: 'event', instance: this.name, event: 'rx-lower-prio', from: adv.src.slice(), priority: prio, ours: eff,
        forcingElection: !this.r.lowerPrioNoAdvert,
      });
      if (adv.ahSeq !== undefined) this.ahSeq.syncAbove(adv.ahSeq);
      if (!this.r.lowerPrioNoAdvert) this.sendAdvert(ctx, eff);
      this.lowerPrioGarp(ctx);
      if (this.sync) for (const m of this.sync.members) if (m !== this) m.lowerPrioGarp(ctx);
      ctx.out.push({ type: 'notify', scope: 'INSTANCE', name: this.name, state: 'MASTER_RX_LOWER_PRI', priority: eff });
      return false;
    }
    if (prio > eff || (prio === eff && addrCmp > 0)) {
      ctx.out.push({
        type: 'event', instance: this.name, event: prio > eff ? 'rx-higher-prio' : 'rx-equal-prio-higher-ip',
        from: adv.src.slice(), priority: prio, ours: eff,
      });
      this.ahSeq.cycled = false;
      this.learnInterval(ctx, adv);
      this.msDownTimerMs = this.masterDownInterval();
      this.masterPriority = prio;
      this.wantState = 'BACKUP';
      return true;
    }
    return false;
  }

  /** garp_lower_prio_repeat burst now, and again after garp_lower_prio_delay. */
  lowerPrioGarp(ctx: Ctx): void {
    if (this.r.garpLowerPrioRepeat <= 0) return;
    this.sendGarp(ctx, this.r.garpLowerPrioRepeat, 'lower-prio');
    if (this.r.garpLowerPrioDelayMs > 0) this.lowerPrioGarpAt = addMs(ctx.now, this.r.garpLowerPrioDelayMs);
  }

  /** Delayed GARP timers (vrrp_gratuitous_arp_thread / vrrp_lower_prio_gratuitous_arp_thread). */
  runGarpTimers(ctx: Ctx): void {
    if (this.releaseVipsAt <= ctx.now) {
      this.releaseVipsAt = NEVER;
      if (this.state !== 'MASTER' && this.vipSet) {
        ctx.out.push({ type: 'removeVips', instance: this.name });
        this.vipSet = false;
      }
    }
    if (this.garpDelayedAt <= ctx.now) {
      this.garpDelayedAt = NEVER;
      this.sendGarp(ctx, this.r.garpRepeat, 'master-delayed');
    }
    if (this.lowerPrioGarpAt <= ctx.now) {
      this.lowerPrioGarpAt = NEVER;
      this.sendGarp(ctx, this.r.garpLowerPrioRepeat, 'lower-prio-delayed');
    }
  }

  /**
   * vrrp_set_effective_priority (reference §d.6): clamp, and in BACKUP shift the pending
   * Master_Down deadline by the change in the down timer.
   */
  setEffectivePriority(ctx: Ctx, newPrio: number): void {
    if (this.basePriority === 255 || newPrio === this.effectivePriority) return;
    ctx.out.push({ type: 'priorityChange', instance: this.name, from: this.effectivePriority, to: newPrio });
    this.effectivePriority = newPrio;
    const old = this.msDownTimerMs;
    this.msDownTimerMs = this.masterDownInterval();
    if (this.state === 'BACKUP') this.sands = addMs(this.sands, this.msDownTimerMs - old);
    this.prepareAdvert();
    if (this.r.notifyPriorityChanges && (this.state === 'MASTER' || this.state === 'BACKUP')) {
      ctx.out.push({
        type: 'notify', scope: 'INSTANCE', name: this.name,
        state: this.state === 'MASTER' ? 'MASTER_PRIORITY' : 'BACKUP_PRIORITY', priority: newPrio,
      });
    }
  }
}
