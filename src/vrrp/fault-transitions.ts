/**
 * The transitions trackers and reloads cause on one instance (and its sync group), apart from
 * the engine that decides when they happen (engine.ts): keepalived 2.2.7's `down_instance`
 * and `try_up_instance` (vrrp_track.c, vrrp_scheduler.c; reference §c.8, §d.6), and the
 * resumption of an instance a reload kept (reference §f.4).
 */
import type { Ctx, VrrpInstance } from './instance.js';
import { addMs } from './timers.js';

/** A kept instance after a reload: advert at once if MASTER; trackers that changed act now. */
export function resumeInstance(ctx: Ctx, inst: VrrpInstance, regarp: boolean): void {
  const faulty = inst.numFault > 0 || inst.numInit > 0;
  if (inst.state === 'MASTER') {
    if (faulty) {
      inst.wantState = 'FAULT';
      inst.leaveMaster(ctx, true, 'reload');
      if (inst.sync && inst.sync.numMemberFault++ === 0) inst.sync.syncFault(ctx, inst);
      return;
    }
    inst.masterTx(ctx);
    inst.sendGarp(ctx, regarp ? inst.r.garpRepeat : 0, 'master');
    if (inst.r.garpRefreshMs > 0) inst.garpRefreshAt = addMs(ctx.now, inst.r.garpRefreshMs);
    inst.initSands(ctx.now);
  } else if (inst.state === 'BACKUP') {
    if (inst.numFault > 0) {
      inst.wantState = 'FAULT';
      inst.leaveFault(ctx, 'reload');
      return;
    }
    // the Master_Down timer keeps running: never later than a full interval from now
    const sands = inst.sands;
    inst.initSands(ctx.now);
    if (sands < inst.sands) inst.sands = sands;
  } else if (!faulty) {
    // FAULT, and what held it there is gone with the old configuration
    inst.wantState = inst.r.wantMaster && inst.basePriority === 255 ? 'MASTER' : 'BACKUP';
    inst.leaveFault(ctx, 'reload');
    inst.initSands(ctx.now);
  }
}

/** down_instance: the first fault takes the instance (and its sync group) to FAULT. */
export function downInstance(ctx: Ctx, inst: VrrpInstance): void {
  if (inst.numFault++ !== 0 && inst.state !== 'INIT') return;
  inst.wantState = 'FAULT';
  if (inst.state === 'MASTER') inst.leaveMaster(ctx, true, 'fault');
  else inst.leaveFault(ctx, 'fault');
  if (inst.sync && inst.sync.numMemberFault++ === 0) inst.sync.syncFault(ctx, inst);
}

/** try_up_instance: the last fault cleared (or the last initial script reported). */
export function tryUpInstance(ctx: Ctx, inst: VrrpInstance, leavingInit: boolean): void {
  const g = inst.sync;
  if (leavingInit) {
    if (inst.numFault > 0) return;
  } else if (--inst.numFault > 0 || inst.numInit > 0) {
    return;
  }
  const owner = inst.basePriority === 255;
  if (!(inst.wantState === 'MASTER' && owner)) inst.wantState = 'BACKUP';
  inst.masterAdverIntervalMs = inst.r.adverIntervalMs;
  inst.msDownTimerMs = inst.wantState === 'MASTER' && owner
    ? addMs(inst.masterAdverIntervalMs, inst.skewTimeMs())
    : inst.masterDownInterval();
  if (g) {
    if (leavingInit ? g.numMemberFault > 0 : --g.numMemberFault > 0 || g.numMemberInit > 0) return;
  }
  const want = inst.wantState;
  if (g && want === 'MASTER' && !g.canGotoMaster(ctx, inst)) inst.wantState = 'BACKUP';
  inst.leaveFault(ctx, 'fault-cleared');
  // unicast: refresh the master's ARP / neighbour entry for us (reference §d.4)
  if (inst.r.unicast) ctx.out.push({ type: 'sendGarpSource', instance: inst.name, address: inst.r.src });
  inst.initSands(ctx.now);
  inst.wantState = want;
  if (g) {
    if (inst.state === 'MASTER') g.syncMaster(ctx, inst);
    else g.syncBackup(ctx, inst);
  }
}
