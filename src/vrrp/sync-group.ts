/**
 * vrrp_sync_group: members move together (reference §d.7; keepalived vrrp_sync.c and the
 * VRRP_TSM table of vrrp_scheduler.c). A member may only become MASTER when every other
 * member wants MASTER too; one member dropping to BACKUP or FAULT takes the others along.
 */
import type { Ctx, VrrpInstance } from './instance.js';
import type { VrrpState } from './types.js';

export class SyncGroup {
  readonly name: string;
  readonly members: VrrpInstance[] = [];
  state: VrrpState = 'INIT';
  numMemberFault = 0;
  numMemberInit = 0;

  constructor(name: string) {
    this.name = name;
  }

  private setState(ctx: Ctx, to: VrrpState): void {
    const from = this.state;
    this.state = to;
    if (from !== to) ctx.out.push({ type: 'groupStateChange', group: this.name, from, to });
    this.notify(ctx);
  }

  /** send_group_notifies: `GROUP name STATE 0` */
  notify(ctx: Ctx): void {
    if (this.state === 'INIT') return;
    ctx.out.push({ type: 'notify', scope: 'GROUP', name: this.name, state: this.state as 'MASTER', priority: 0 });
  }

  /** vrrp_sync_can_goto_master: prefer BACKUP unless every member wants MASTER. */
  canGotoMaster(ctx: Ctx, inst: VrrpInstance): boolean {
    if (this.state === 'MASTER') return true;
    for (const m of this.members) {
      if (m !== inst && m.wantState !== 'MASTER') {
        // give the others time to be ready; re-armed with a full Master_Down_Interval
        inst.msDownTimerMs = inst.masterDownInterval();
        inst.initSands(ctx.now);
        return false;
      }
    }
    return true;
  }

  /** vrrp_sync_backup */
  syncBackup(ctx: Ctx, inst: VrrpInstance): void {
    if (this.state === 'BACKUP') return;
    for (const m of this.members) {
      if (m === inst || m.state === 'BACKUP') continue;
      m.wantState = 'BACKUP';
      if (m.state === 'FAULT' || m.state === 'INIT') m.leaveFault(ctx, 'sync-group');
      else m.leaveMaster(ctx, false, 'sync-group');
    }
    this.setState(ctx, 'BACKUP');
  }

  /** vrrp_sync_master */
  syncMaster(ctx: Ctx, inst: VrrpInstance): void {
    if (this.state === 'MASTER') return;
    if (!this.canGotoMaster(ctx, inst)) return;
    for (const m of this.members) {
      if (m === inst || m.state === 'MASTER') continue;
      m.wantState = 'MASTER';
      m.gotoMaster(ctx, 'sync-group');
    }
    this.setState(ctx, 'MASTER');
  }

  /** vrrp_sync_fault: the others leave MASTER (with a priority-0 advert) or BACKUP for FAULT. */
  syncFault(ctx: Ctx, inst: VrrpInstance): void {
    if (this.state === 'FAULT') return;
    for (const m of this.members) {
      if (m === inst || m.state === 'FAULT') continue;
      m.wantState = 'FAULT';
      if (m.state === 'MASTER') m.leaveMaster(ctx, false, 'sync-group');
      else if (m.state === 'BACKUP' || m.state === 'INIT') m.leaveFault(ctx, 'sync-group');
    }
    this.setState(ctx, 'FAULT');
  }

  /** The VRRP_TSM table: after a member moved from `prev` to its current state. */
  afterTransition(ctx: Ctx, prev: VrrpState, inst: VrrpInstance): void {
    const now = inst.state;
    if (now === 'MASTER' && (prev === 'BACKUP' || prev === 'MASTER' || prev === 'FAULT')) this.syncMaster(ctx, inst);
    else if (prev === 'MASTER' && now === 'BACKUP') this.syncBackup(ctx, inst);
  }
}
