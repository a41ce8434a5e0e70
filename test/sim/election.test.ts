// Simulated LAN: elections timed to the microsecond against the RFC / keepalived formulas.
import { describe, expect, it } from 'vitest';
import { addMs, masterDownIntervalMs, skewTimeMs } from '../../src/vrrp/timers.js';
import { SimLan, vi } from './lan.js';

const A = '10.0.0.1';
const B = '10.0.0.2';

function pair(a: Parameters<typeof vi>[4] = {}, b: Parameters<typeof vi>[4] = {}, pa = 150, pb = 100): SimLan {
  const lan = new SimLan();
  lan.addNode('A', A, { instances: [vi('VI_1', 51, pa, A, a)] });
  lan.addNode('B', B, { instances: [vi('VI_1', 51, pb, B, b)] });
  return lan;
}

function firstMasterAt(lan: SimLan, node: string, after = -1): number | undefined {
  return lan.transitions(node).find((e) => e.t > after && e.effect.type === 'stateChange' && e.effect.to === 'MASTER')?.t;
}

function lastAdvertFrom(lan: SimLan, node: string, before: number): number {
  const sends = lan.trace.filter((e) => e.node === node && e.effect.type === 'sendAdvert' && e.t <= before);
  return sends[sends.length - 1]!.t;
}

describe('simulated LAN elections (RFC 3768 §6.4, keepalived §d.3-d.4)', () => {
  it('both start BACKUP; the higher priority takes over after its own Master_Down_Interval', () => {
    const lan = pair();
    lan.startAll();
    expect(lan.inState('VI_1', 'BACKUP')).toEqual(['A', 'B']);
    lan.runUntil(10_000);
    // v2: 3 x 1 s + (256 - 150) / 256 s = 3414.062 ms (keepalived truncates to microseconds)
    expect(firstMasterAt(lan, 'A')).toBe(masterDownIntervalMs(2, 3, 1000, 150));
    expect(firstMasterAt(lan, 'A')).toBe(3414.062);
    expect(lan.inState('VI_1', 'MASTER')).toEqual(['A']);
    expect(firstMasterAt(lan, 'B')).toBeUndefined();
  });

  it('takeover happens exactly 3 x interval + skew after the last advert heard', () => {
    const lan = pair();
    lan.startAll();
    lan.runUntil(20_000);
    lan.partition(['A'], ['B']);
    const cut = lan.now;
    lan.runUntil(30_000);
    const last = lastAdvertFrom(lan, 'A', cut);
    expect(firstMasterAt(lan, 'B', cut)).toBe(addMs(last, masterDownIntervalMs(2, 3, 1000, 100)));
    expect(lan.inState('VI_1', 'MASTER').sort()).toEqual(['A', 'B']); // split brain while cut
    lan.heal();
    lan.runFor(5000);
    expect(lan.inState('VI_1', 'MASTER')).toEqual(['A']);
  });

  it('a priority-0 advert (master shutdown) lets the backup take over after Skew_Time', () => {
    const lan = pair();
    lan.startAll();
    lan.runUntil(10_500);
    lan.input('A', { type: 'shutdown' });
    const t = lan.now;
    lan.runFor(5000);
    expect(lan.state('A', 'VI_1')).toBe('STOP');
    expect(firstMasterAt(lan, 'B', t - 1)).toBe(addMs(t, skewTimeMs(2, 100, 1000)));
  });

  it('v3 with 250 ms adverts: takeover and priority-0 timings use the advert interval', () => {
    const v3 = { version: 3 as const, advertIntervalMs: 250 };
    const lan = pair(v3, v3, 120, 100);
    lan.startAll();
    lan.runUntil(5000);
    // v3: 3 x 250 + 136 x 25 cs x 625 / 16 us = 750 + 132.812 ms
    expect(firstMasterAt(lan, 'A')).toBe(882.812);
    lan.input('A', { type: 'shutdown' });
    const t = lan.now;
    lan.runFor(2000);
    expect(firstMasterAt(lan, 'B', t - 1)).toBe(addMs(t, skewTimeMs(3, 100, 250)));
  });

  it('preemption: a higher priority node joining later takes over; the old master steps down', () => {
    const lan = pair();
    lan.input('B', { type: 'start' });
    lan.runUntil(10_000);
    expect(lan.state('B', 'VI_1')).toBe('MASTER');
    lan.input('A', { type: 'start' });
    lan.runFor(10_000);
    // A discards B's lower adverts and times out from its own start
    expect(firstMasterAt(lan, 'A')).toBe(addMs(10_000, masterDownIntervalMs(2, 3, 1000, 150)));
    expect(lan.inState('VI_1', 'MASTER')).toEqual(['A']);
    const discards = lan.trace.filter((e) => e.node === 'A' && e.effect.type === 'event' && e.effect.event === 'rx-lower-prio-discard');
    expect(discards.length).toBe(3);
  });

  it('nopreempt on the higher priority node keeps the running master', () => {
    const lan = pair({ nopreempt: true });
    lan.input('B', { type: 'start' });
    lan.runUntil(10_000);
    lan.input('A', { type: 'start' });
    lan.runFor(30_000);
    expect(lan.inState('VI_1', 'MASTER')).toEqual(['B']);
    expect(lan.state('A', 'VI_1')).toBe('BACKUP');
  });

  it('preempt_delay holds the higher priority node back, then it preempts', () => {
    const lan = pair({ preemptDelayMs: 10_000 });
    lan.input('B', { type: 'start' });
    lan.runUntil(10_000);
    lan.input('A', { type: 'start' });
    lan.runFor(30_000);
    const t = firstMasterAt(lan, 'A')!;
    // the delay starts at the first lower advert heard (t0 < 11 s); then lower adverts are
    // discarded and the Master_Down timer from the last accepted one runs out
    expect(t).toBeGreaterThan(20_000);
    expect(t).toBeLessThan(20_000 + 1000 + 3415);
    expect(lan.inState('VI_1', 'MASTER')).toEqual(['A']);
  });

  it('equal priorities: both time out together, the higher source address keeps MASTER', () => {
    const lan = pair({}, {}, 100, 100);
    lan.startAll();
    lan.runUntil(10_000);
    expect(lan.inState('VI_1', 'MASTER')).toEqual(['B']);
    const stepDown = lan.trace.find((e) => e.node === 'A' && e.effect.type === 'stateChange' && e.effect.to === 'BACKUP' && e.t > 0);
    expect(stepDown?.effect).toMatchObject({ reason: 'equal-priority-higher-ip' });
  });

  it('priority 255 with state MASTER takes over at once', () => {
    const lan = pair({ state: 'MASTER' }, {}, 255, 100);
    lan.startAll();
    lan.runUntil(100);
    expect(firstMasterAt(lan, 'A')).toBe(0.001);
  });

  it('state MASTER below 255 waits a full Master_Down_Interval like BACKUP', () => {
    const lan = pair({ state: 'MASTER' }, {}, 150, 100);
    lan.startAll();
    lan.runUntil(10_000);
    expect(firstMasterAt(lan, 'A')).toBe(3414.062);
  });

  it('IPv6 / v3 pair elects with link-local sources', () => {
    const lan = new SimLan();
    lan.addNode('A', 'fe80::1', { instances: [vi('VI_6', 60, 200, 'fe80::1', { advertIntervalMs: 500 })] });
    lan.addNode('B', 'fe80::2', { instances: [vi('VI_6', 60, 100, 'fe80::2', { advertIntervalMs: 500 })] });
    lan.startAll();
    lan.runUntil(5000);
    expect(lan.inState('VI_6', 'MASTER')).toEqual(['A']);
    expect(firstMasterAt(lan, 'A')).toBe(masterDownIntervalMs(3, 3, 500, 200));
    expect(lan.node('B').engine.instance('VI_6')!.stats.advertsReceived).toBeGreaterThan(0);
  });

  it('v3 backups adopt the master\'s advert interval for their Master_Down_Interval', () => {
    const lan = new SimLan();
    lan.addNode('A', A, { instances: [vi('VI_1', 51, 200, A, { version: 3, advertIntervalMs: 1000 })] });
    lan.addNode('B', B, { instances: [vi('VI_1', 51, 100, B, { version: 3, advertIntervalMs: 100 })] });
    lan.startAll();
    lan.runUntil(20_000);
    // B's 100 ms timers expire first; A discards its lower adverts and preempts
    expect(firstMasterAt(lan, 'B')).toBe(masterDownIntervalMs(3, 3, 100, 100));
    expect(firstMasterAt(lan, 'A')).toBe(masterDownIntervalMs(3, 3, 1000, 200));
    expect(lan.inState('VI_1', 'MASTER')).toEqual(['A']);
    expect(lan.node('B').engine.instance('VI_1')!.masterAdverIntervalMs).toBe(1000);
    lan.partition(['A'], ['B']);
    const cut = lan.now;
    lan.runFor(10_000);
    expect(firstMasterAt(lan, 'B', cut)).toBe(addMs(lastAdvertFrom(lan, 'A', cut), masterDownIntervalMs(3, 3, 1000, 100)));
  });

  it('healing a split brain: higher_prio_send_advert makes the real master re-announce itself (issue #1)', () => {
    const opts = { higherPrioSendAdvert: true, garpLowerPrioRepeat: 3 };
    const lan = pair(opts, opts);
    lan.startAll();
    lan.runUntil(10_000);
    lan.partition(['A'], ['B']);
    lan.runUntil(20_000);
    expect(lan.inState('VI_1', 'MASTER').sort()).toEqual(['A', 'B']);
    lan.heal();
    lan.runFor(3000);
    expect(lan.inState('VI_1', 'MASTER')).toEqual(['A']);
    const garps = lan.trace.filter((e) => e.t >= 20_000 && e.node === 'A' && e.effect.type === 'sendGarp');
    expect(garps.map((g) => (g.effect as { reason: string }).reason)).toContain('lower-prio');
  });
});
