/**
 * The VRRP engine of one node: every instance, sync group and tracker, driven sans-I/O as
 * `handle(now, input) -> { effects, deadline }`. It never reads a clock, opens a socket,
 * spawns a process or logs; `now` is milliseconds from any monotonic origin.
 *
 * Start-up, tracker and fault handling follow keepalived 2.2.7 (vrrp_scheduler.c
 * `vrrp_init_state`, `try_up_instance`, vrrp_track.c `down_instance`,
 * `process_script_update_priority`; reference §c.8, §d.4, §d.6, §d.7).
 */
import type { EngineConfig, TrackRef } from './config.js';
import { resolveInstance } from './config.js';
import { DeadlineHeap } from '../util/deadline-heap.js';
import { VrrpInstance, type Ctx } from './instance.js';
import { peekVrid, type RxPacket } from './packet.js';
import { SyncGroup } from './sync-group.js';
import { addMs, minSkewTimeMs } from './timers.js';
import { effectivePriority } from './track.js';
import { Trackers, type TrackKind } from './trackers.js';
import { downInstance, resumeInstance, tryUpInstance } from './fault-transitions.js';
import type { Effect, Input, Step, VrrpState } from './types.js';

/**
 * A master handing over keeps its VIPs this long after hearing the new master, whose advert
 * is followed at once by its GARPs: packets clients still send to the old MAC are answered
 * until their ARP entries have moved (keepalived-ts's make-before-break).
 */
export const HANDOVER_RELEASE_MS = 250;

export class VrrpEngine {
  readonly instances: readonly VrrpInstance[];
  readonly groups: readonly SyncGroup[];
  /** interface -> [family * 256 + VRID] -> instances */
  private readonly byIf = new Map<string, (VrrpInstance[] | undefined)[]>();
  private readonly byName = new Map<string, VrrpInstance>();
  private readonly trackers: Trackers;
  private readonly queue = new DeadlineHeap<VrrpInstance>();
  private started = false;
  private readonly startupDelayMs: number;
  /** adverts for a VRID no instance here uses (keepalived log_unknown_vrids) */
  unknownVrid = 0;

  /** vrrp_script results (status API, metrics): true GOOD, false BAD, undefined not known yet. */
  scriptResults(): { name: string; ok: boolean | undefined }[] {
    return this.trackers.scriptResults();
  }

  constructor(cfg: EngineConfig) {
    this.trackers = new Trackers(cfg.scripts);
    this.instances = cfg.instances.map((c) => new VrrpInstance(resolveInstance(c)));
    for (const inst of this.instances) {
      this.byName.set(inst.name, inst);
      const table = this.byIf.get(inst.r.cfg.interface) ?? new Array<VrrpInstance[] | undefined>(512);
      const slot = demuxSlot(inst.r.family, inst.r.vrid);
      (table[slot] ??= []).push(inst);
      this.byIf.set(inst.r.cfg.interface, table);
      const c = inst.r.cfg;
      // a configuration fault (unicast_fault_no_peer without peers) keeps the instance in FAULT
      if (c.configFault !== undefined) inst.numFault++;
      for (const [kind, refs] of [
        ['interface', c.trackInterface], ['script', c.trackScript], ['file', c.trackFile], ['process', c.trackProcess], ['bfd', c.trackBfd],
      ] as const) {
        for (const ref of refs ?? []) this.bind(kind, ref, inst);
      }
      this.refreshPriority(undefined, inst);
    }
    this.startupDelayMs = cfg.vrrpStartupDelayMs ?? 0;
    // group trackers are bound to each member before the group state is derived
    for (const g of cfg.syncGroups ?? []) {
      const weighted = g.syncGroupTrackingWeight ?? false;
      for (const n of g.group) {
        const inst = this.byName.get(n);
        if (!inst) continue;
        for (const [kind, refs] of [
          ['interface', g.trackInterface], ['script', g.trackScript], ['file', g.trackFile], ['process', g.trackProcess], ['bfd', g.trackBfd],
        ] as const) {
          for (const ref of refs ?? []) this.bind(kind, weighted ? ref : { ...ref, weight: 0 }, inst);
        }
        this.refreshPriority(undefined, inst);
      }
    }
    this.groups = (cfg.syncGroups ?? []).map((g) => this.makeGroup(g.name, g.group));
  }

  private bind(kind: TrackKind, ref: TrackRef, inst: VrrpInstance): void {
    const b = this.trackers.bind(kind, ref, inst);
    if (b.fault) inst.numFault++;
    if (b.init) inst.numInit++;
  }

  private makeGroup(name: string, memberNames: readonly string[]): SyncGroup {
    const g = new SyncGroup(name);
    for (const n of memberNames) {
      const inst = this.byName.get(n);
      if (!inst || inst.sync) continue; // unknown or already grouped: keepalived ignores it
      inst.sync = g;
      g.members.push(inst);
    }
    // vrrp_complete_init: if some members want MASTER and some cannot, none start as MASTER
    const wantMaster = g.members.some((m) => m.wantState === 'MASTER');
    const cannot = g.members.some((m) => m.wantState === 'BACKUP' || m.basePriority !== 255);
    if (wantMaster && cannot) for (const m of g.members) if (m.wantState === 'MASTER') m.wantState = 'BACKUP';
    groupStartState(g);
    return g;
  }

  instance(name: string): VrrpInstance | undefined {
    return this.byName.get(name);
  }

  /** Current deadline (also returned by every `handle`). */
  deadline(): number | undefined {
    return this.queue.peek();
  }

  handle(now: number, input: Input): Step {
    const out: Effect[] = [];
    const ctx: Ctx = { now, out };
    switch (input.type) {
      case 'start': this.start(ctx); break;
      case 'tick': this.tick(ctx); break;
      case 'packet': this.packet(ctx, input.interface, input.packet); break;
      case 'interface': this.trackers.setInterface(input.name, input.up); this.trackerChanged(ctx, 'interface', input.name); break;
      case 'process': this.trackers.setProcess(input.name, input.up); this.trackerChanged(ctx, 'process', input.name); break;
      case 'bfd': this.trackers.setBfd(input.name, input.up); this.trackerChanged(ctx, 'bfd', input.name); break;
      case 'fileValue': this.trackers.setFile(input.name, input.value); this.trackerChanged(ctx, 'file', input.name); break;
      case 'scriptResult': if (this.trackers.scriptRan(input.name, input.success)) this.trackerChanged(ctx, 'script', input.name); break;
      case 'shutdown': this.shutdown(ctx); break;
      case 'reload': this.reload(ctx, input.previous, input.matches, input.regarp); break;
      case 'retire': this.retire(ctx, input.instances, input.notifyDeleted); break;
      case 'handover': this.handover(ctx, input.instance, input.yield); break;
    }
    return { effects: out, deadline: this.queue.peek() };
  }

  private requeue(inst: VrrpInstance): void {
    if (inst.sync) for (const m of inst.sync.members) this.queue.schedule(m, m.nextDeadline());
    else this.queue.schedule(inst, inst.nextDeadline());
  }

  /** vrrp_init_state (RFC 3768 §6.4.1 Initialize; reference §d.4 "Start"). */
  private start(ctx: Ctx): void {
    if (this.started) return;
    this.started = true;
    if (this.startupDelayMs > 0) for (const inst of this.instances) inst.delayedStartAt = addMs(ctx.now, this.startupDelayMs);
    for (const g of this.groups) if (g.state === 'FAULT' || g.state === 'BACKUP') g.notify(ctx);
    for (const inst of this.instances) this.startInstance(ctx, inst);
    for (const inst of this.instances) {
      inst.initSands(ctx.now);
      this.queue.schedule(inst, inst.nextDeadline());
    }
  }

  /** One instance leaves INIT (its sands are set by the caller). */
  private startInstance(ctx: Ctx, inst: VrrpInstance): void {
    // keepalived vrrp_init_state: FAULT is wanted when a tracker put the instance there; a
    // configuration fault (unicast_fault_no_peer) keeps it in FAULT with BACKUP still wanted
    if (inst.numFault > (inst.r.cfg.configFault !== undefined ? 1 : 0)) inst.wantState = 'FAULT';
    const newState = inst.sync ? inst.sync.state : inst.wantState;
    const up = inst.numFault === 0;
    const noInit = inst.numInit === 0 && (!inst.sync || inst.sync.numMemberInit === 0);
    if (up && newState === 'MASTER' && noInit && inst.basePriority === 255 && inst.wantState === 'MASTER') {
      // keepalived times out of BACKUP after 1 us: the owner takes over at once
      inst.changeState(ctx, 'BACKUP', 'owner-start', true);
      inst.msDownTimerMs = 0.001;
    } else {
      inst.msDownTimerMs = newState === 'BACKUP' && inst.wantState === 'MASTER'
        ? addMs(inst.masterAdverIntervalMs, minSkewTimeMs(inst.r.version, inst.masterAdverIntervalMs))
        : inst.masterDownInterval();
      const to: VrrpState = up && newState !== 'FAULT' && noInit ? 'BACKUP' : 'FAULT';
      inst.changeState(ctx, to, 'init');
      // a FAULT caused only by scripts still in their initial state is not notified
      if (to !== 'FAULT' || inst.numFault > 0) inst.notify(ctx);
    }
  }

  /**
   * SIGHUP (keepalived clear_diff_vrrp / restore_vrrp_state, reference §f.4): this engine was
   * built from the new configuration and replaces `prev`. Tracker results carry over (a script
   * only if its definition is unchanged); a matched instance keeps its state without a
   * transition or notification, its counters and the master it has seen; a MASTER adverts at
   * once (no gap) and keeps its VIPs (the daemon adds and removes only the difference), with a
   * GARP burst when addresses were added. New instances start as at start-up.
   */
  private reload(ctx: Ctx, prev: VrrpEngine, matches: ReadonlyMap<string, string>, regarp: ReadonlySet<string>): void {
    if (this.started) return;
    for (const [kind, name] of this.trackers.adopt(prev.trackers)) this.trackerChanged(ctx, kind, name);
    this.unknownVrid = prev.unknownVrid;
    this.started = true;
    const kept = new Set<VrrpInstance>();
    for (const inst of this.instances) {
      const oldName = matches.get(inst.name);
      const old = oldName === undefined ? undefined : prev.byName.get(oldName);
      if (old && (old.state === 'MASTER' || old.state === 'BACKUP' || old.state === 'FAULT')) {
        inst.adoptFrom(old);
        kept.add(inst);
      }
    }
    for (const g of this.groups) {
      const old = prev.groups.find((o) => o.name === g.name);
      const members = g.members.filter((m) => kept.has(m));
      if (members.length === 0) continue;
      // a kept group keeps its state; otherwise the kept members' state decides
      g.state = old && old.state !== 'INIT' && old.state !== 'STOP' ? old.state
        : members.some((m) => m.state === 'FAULT') ? 'FAULT' : members.every((m) => m.state === 'MASTER') ? 'MASTER' : 'BACKUP';
    }
    for (const inst of this.instances) {
      if (!kept.has(inst)) {
        this.startInstance(ctx, inst);
        inst.initSands(ctx.now);
      } else resumeInstance(ctx, inst, regarp.has(inst.name));
      this.queue.schedule(inst, inst.nextDeadline());
    }
  }

  /** SIGHUP: instances that left the configuration; masters send priority 0 and drop their VIPs. */
  private retire(ctx: Ctx, names: readonly string[], notifyDeleted: ReadonlySet<string> = new Set()): void {
    for (const name of names) {
      const inst = this.byName.get(name);
      if (!inst || inst.state === 'STOP') continue;
      if (inst.state === 'MASTER') inst.restoreInterface(ctx, true);
      const wasFault = inst.state === 'FAULT';
      inst.changeState(ctx, 'STOP', 'deleted', true);
      // keepalived notifies FAULT (DELETED with notify_deleted) unless it was in FAULT already;
      // the notifier turns DELETED into FAULT for instances without notify_deleted
      if (!wasFault || notifyDeleted.has(inst.name)) {
        ctx.out.push({ type: 'notify', scope: 'INSTANCE', name: inst.name, state: 'DELETED', priority: inst.effectivePriority });
      }
      inst.sands = inst.garpDelayedAt = inst.lowerPrioGarpAt = Number.POSITIVE_INFINITY;
      this.queue.schedule(inst, Number.POSITIVE_INFINITY);
    }
  }

  /** vrrp_dispatcher_read_timeout plus the delayed GARP threads. */
  private tick(ctx: Ctx): void {
    for (let inst = this.queue.peekDue(ctx.now); inst; inst = this.queue.peekDue(ctx.now)) {
      const due = inst.heapAt;
      inst.runGarpTimers(ctx);
      if (inst.sands <= ctx.now) {
        const prev = inst.state;
        if (inst.state === 'BACKUP') {
          inst.wantState = 'MASTER';
          inst.gotoMaster(ctx, 'master-down-timer');
        } else if (inst.state === 'MASTER') {
          if (inst.handingOver) {
            inst.handingOver = false;
            ctx.out.push({ type: 'event', instance: inst.name, event: 'handover-timeout' });
          }
          inst.masterTx(ctx);
        }
        inst.sync?.afterTransition(ctx, prev, inst);
        inst.initSands(ctx.now);
      }
      this.requeue(inst); // moves it down the heap in place
      // a timer that did not move would be due again at once (only a zero interval can do that)
      if (inst.heapAt === due) this.queue.schedule(inst, Number.POSITIVE_INFINITY);
    }
  }

  /** vrrp_dispatcher_read: route by interface, family and VRID, then by unicast peer. */
  private packet(ctx: Ctx, ifname: string, pkt: RxPacket): void {
    const vrid = peekVrid(pkt);
    const list = vrid === undefined ? undefined : this.byIf.get(ifname)?.[demuxSlot(pkt.family, vrid)];
    if (!list) {
      this.unknownVrid++;
      return;
    }
    let inst = list[0]!;
    if (list.length > 1) {
      // the same VRID with disjoint unicast peer sets: pick the instance that knows the sender
      const src = pkt.family === 'inet' ? pkt.data.subarray(12, 16) : pkt.src;
      if (src) inst = list.find((i) => i.r.peers.some((p) => sameBytes(p.address, src))) ?? inst;
    }
    // FAULT / INIT / STOP instances ignore adverts
    if (inst.state !== 'BACKUP' && inst.state !== 'MASTER') return;
    const prev = inst.state;
    const sentBefore = inst.stats.advertsSent;
    if (inst.state === 'BACKUP') inst.backupRx(ctx, pkt);
    else if (inst.masterRx(ctx, pkt)) {
      inst.leaveMaster(ctx, false, inst.masterPriority > inst.effectivePriority ? 'higher-priority' : 'equal-priority-higher-ip',
        inst.handingOver ? HANDOVER_RELEASE_MS : 0);
      if (inst.handingOver) {
        inst.handingOver = false;
        const from = pkt.family === 'inet' ? pkt.data.subarray(12, 16) : pkt.src;
        ctx.out.push({ type: 'event', instance: inst.name, event: 'handover-done', ...(from ? { from: from.slice() } : {}), priority: inst.masterPriority });
      }
    }
    inst.sync?.afterTransition(ctx, prev, inst);
    // A master's advert timer restarts only when it has just sent an advert (answering a lower
    // priority or a priority 0). keepalived restarts it after every packet of its VRID, valid
    // or not, so a flood of garbage for the VRID keeps a healthy master silent until its
    // backups take over (a known trap, issue 23; docs/semantics.md vrrp.master-timer-on-rx).
    // A backup's deadline is re-armed as before (an ignored packet keeps the running one).
    // A master handing over stays silent until its handover deadline.
    // row: vrrp.master-timer-on-rx
    const resetsMaster = inst.state === 'MASTER' && prev === 'MASTER' ? inst.stats.advertsSent !== sentBefore : true;
    if (resetsMaster && !inst.handingOver) inst.initSands(ctx.now);
    this.requeue(inst);
  }

  /** Planned handover (keepalived-ts; see the `handover` input). */
  private handover(ctx: Ctx, name: string, on: boolean): void {
    const inst = this.byName.get(name);
    if (!inst || inst.basePriority === 255 || inst.yielded === on) return;
    inst.yielded = on;
    this.refreshPriority(ctx, inst);
    if (!on) {
      ctx.out.push({ type: 'event', instance: inst.name, event: 'yield-end' });
      if (inst.handingOver) {
        inst.handingOver = false;
        if (inst.state === 'MASTER') inst.masterTx(ctx);
        inst.initSands(ctx.now);
      }
    } else if (inst.state === 'MASTER') {
      // make-before-break: backups take over after their skew time; we keep the VIPs meanwhile
      inst.sendAdvert(ctx, 0);
      inst.handingOver = true;
      inst.sands = addMs(ctx.now, inst.masterDownInterval());
      ctx.out.push({ type: 'event', instance: inst.name, event: 'handover-start' });
    }
    this.requeue(inst);
  }

  /** A tracked object changed: re-evaluate every instance bound to it. */
  private trackerChanged(ctx: Ctx, kind: TrackKind, name: string): void {
    for (const b of this.trackers.bound(kind, name)) {
      const inst = b.inst;
      const v = this.trackers.evaluate(b);
      const wasFault = b.fault;
      const wasInit = b.init;
      b.contribution = v.contribution;
      b.fault = v.fault;
      b.init = v.init;
      if (!this.started) {
        // before start only the counters move (keepalived initialise_tracking_priorities)
        inst.numFault += Number(v.fault) - Number(wasFault);
        inst.numInit += Number(v.init) - Number(wasInit);
        this.refreshPriority(undefined, inst);
        continue;
      }
      this.refreshPriority(ctx, inst);
      let leftInit = false;
      if (wasInit && !v.init) {
        inst.numInit--;
        if (inst.numInit === 0) {
          leftInit = true;
          if (inst.sync) inst.sync.numMemberInit--;
        }
      }
      if (v.fault && !wasFault) downInstance(ctx, inst);
      else if (!v.fault && (wasFault || leftInit)) {
        if (inst.numInit === 0 && (!inst.sync || inst.sync.numMemberInit === 0)) tryUpInstance(ctx, inst, leftInit && !wasFault);
        else if (wasFault) inst.numFault--;
      }
      this.requeue(inst);
    }
    if (!this.started) for (const g of this.groups) groupStartState(g);
  }

  private refreshPriority(ctx: Ctx | undefined, inst: VrrpInstance): void {
    const adj = this.trackers.adjustment(inst);
    inst.adjustment = adj;
    const prio = inst.yielded ? 1 : effectivePriority(inst.basePriority, adj);
    if (ctx) inst.setEffectivePriority(ctx, prio);
    else if (inst.basePriority !== 255) {
      inst.effectivePriority = prio;
      inst.msDownTimerMs = inst.masterDownInterval();
    }
  }

  /** SIGTERM (reference §d.4 "Shutdown"): priority-0 advert from masters, then STOP. */
  private shutdown(ctx: Ctx): void {
    for (const inst of this.instances) {
      if (inst.state === 'MASTER') inst.restoreInterface(ctx, true);
      else if (inst.vipSet) inst.restoreInterface(ctx, false); // still releasing after a handover
    }
    for (const inst of this.instances) {
      if (inst.state === 'STOP') continue;
      inst.changeState(ctx, 'STOP', 'shutdown');
      ctx.out.push({ type: 'notify', scope: 'INSTANCE', name: inst.name, state: 'STOP', priority: inst.effectivePriority });
      inst.sands = inst.garpDelayedAt = inst.lowerPrioGarpAt = Number.POSITIVE_INFINITY;
      this.queue.schedule(inst, Number.POSITIVE_INFINITY);
    }
    for (const g of this.groups) {
      g.state = 'STOP';
      g.notify(ctx);
    }
  }
}

function demuxSlot(family: string, vrid: number): number {
  return (family === 'inet' ? 0 : 256) + vrid;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A sync group's state before start, from its members' trackers (vrrp_sync_set_group, then
 * initialise_tracking_priorities): FAULT when a member is down, INIT while a member waits for
 * its scripts' first results (so that the first member to come up brings the others along:
 * vrrp_sync_backup does nothing for a group already BACKUP), else MASTER when every member is
 * an owner wanting MASTER, else BACKUP.
 */
function groupStartState(g: SyncGroup): void {
  g.numMemberFault = g.members.filter((m) => m.numFault > 0).length;
  g.numMemberInit = g.members.filter((m) => m.numInit > 0).length;
  const allOwners = g.members.length > 0 && g.members.every((m) => m.wantState === 'MASTER' && m.basePriority === 255);
  g.state = g.numMemberFault > 0 ? 'FAULT' : g.numMemberInit > 0 ? 'INIT' : allOwners ? 'MASTER' : 'BACKUP';
}
