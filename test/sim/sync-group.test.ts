// vrrp_sync_group on the simulated LAN (reference §d.7, keepalived vrrp_sync.c).
import { describe, expect, it } from 'vitest';
import type { InstanceConfig } from '../../src/vrrp/config.js';
import { addMs, masterDownIntervalMs, skewTimeMs } from '../../src/vrrp/timers.js';
import { SimLan, vi } from './lan.js';

const A = '10.0.0.1';
const B = '10.0.0.2';

function groupNode(lan: SimLan, name: string, addr: string, prio: number, extra: Partial<InstanceConfig> = {}, prio2 = prio): void {
  lan.addNode(name, addr, {
    instances: [vi('VI_1', 51, prio, addr, extra), vi('VI_2', 52, prio2, addr, extra)],
    syncGroups: [{ name: 'G', group: ['VI_1', 'VI_2'] }],
  });
}

function mastersAt(lan: SimLan, node: string): number[] {
  return lan.transitions(node).filter((e) => e.effect.type === 'stateChange' && e.effect.to === 'MASTER').map((e) => e.t);
}

describe('sync groups move together', () => {
  it('the group becomes MASTER together once every member wants MASTER (the last to time out)', () => {
    const lan = new SimLan();
    groupNode(lan, 'A', A, 150, {}, 120);
    lan.startAll();
    lan.runUntil(10_000);
    expect(lan.inState('VI_1', 'MASTER')).toEqual(['A']);
    expect(lan.inState('VI_2', 'MASTER')).toEqual(['A']);
    // VI_1 (150) times out first but is held back (VI_2 still wants BACKUP) and re-armed;
    // VI_2 (120) times out next, everyone now wants MASTER, and both go together.
    const t = masterDownIntervalMs(2, 3, 1000, 120);
    expect(masterDownIntervalMs(2, 3, 1000, 150)).toBeLessThan(t);
    expect(mastersAt(lan, 'A')).toEqual([t, t]);
    const notes = lan.trace.filter((e) => e.effect.type === 'notify' && e.effect.scope === 'GROUP').map((e) => e.effect);
    expect(notes).toContainEqual({ type: 'notify', scope: 'GROUP', name: 'G', state: 'MASTER', priority: 0 });
  });

  it('a member FAULT on the master takes the group to FAULT; the peer group takes over together', () => {
    const lan = new SimLan();
    groupNode(lan, 'A', A, 150, { trackInterface: [{ name: 'eth1', weight: 0 }] });
    groupNode(lan, 'B', B, 100);
    lan.startAll();
    lan.runUntil(10_000);
    expect(lan.inState('VI_1', 'MASTER')).toEqual(['A']);
    lan.input('A', { type: 'interface', name: 'eth1', up: false });
    const t = lan.now;
    lan.runFor(10_000);
    expect(lan.state('A', 'VI_1')).toBe('FAULT');
    expect(lan.state('A', 'VI_2')).toBe('FAULT');
    expect(lan.inState('VI_1', 'MASTER')).toEqual(['B']);
    expect(lan.inState('VI_2', 'MASTER')).toEqual(['B']);
    // priority-0 adverts from A: B's members take over after Skew_Time, together
    expect(mastersAt(lan, 'B')).toEqual([addMs(t, skewTimeMs(2, 100, 1000)), addMs(t, skewTimeMs(2, 100, 1000))]);
    // A comes back: BACKUP, then preempts as a group
    lan.input('A', { type: 'interface', name: 'eth1', up: true });
    lan.runFor(10_000);
    expect(lan.inState('VI_1', 'MASTER')).toEqual(['A']);
    expect(lan.inState('VI_2', 'MASTER')).toEqual(['A']);
  });

  it('one member hearing a higher priority takes the whole group to BACKUP', () => {
    const lan = new SimLan();
    groupNode(lan, 'B', B, 100);
    // A only runs VI_2, at a higher priority
    lan.addNode('A', A, { instances: [vi('VI_2', 52, 200, A)] });
    lan.input('B', { type: 'start' });
    lan.runUntil(10_000);
    expect(lan.state('B', 'VI_1')).toBe('MASTER');
    lan.input('A', { type: 'start' });
    lan.runFor(10_000);
    expect(lan.state('A', 'VI_2')).toBe('MASTER');
    // VI_1 is dragged to BACKUP and cannot become MASTER alone: no one else wants MASTER
    expect(lan.state('B', 'VI_2')).toBe('BACKUP');
    expect(lan.state('B', 'VI_1')).toBe('BACKUP');
    lan.runFor(60_000);
    expect(lan.state('B', 'VI_1')).toBe('BACKUP');
  });
});
