// FailoverTiming (src/daemon/failover-timing.ts): what the daemon measures of a failover, on
// a fake clock (plain numbers): detection from the last advert or the Master_Down timer start,
// VIPs installed and first GARP once per MASTER entry, nothing pending after leaving MASTER.
import { describe, expect, it } from 'vitest';
import { FAILOVER_BUCKETS_MS, FailoverTiming } from '../../../src/daemon/failover-timing.js';

const last = (t: FailoverTiming, inst = 'VI_1') => t.observe()[inst]!;

describe('FailoverTiming', () => {
  it('detection: last advert heard -> MASTER', () => {
    const t = new FailoverTiming();
    t.backupEntered('VI_1', 0);
    for (let at = 100; at <= 10_000; at += 1000) t.advertReceived('VI_1', at);
    t.enteredMaster('VI_1', 9100 + 3650);
    const d = last(t).detection;
    expect(d.count).toBe(1);
    expect(d.sum).toBe(3650);
    expect(d.buckets.find((b) => b.le === 2500)!.count).toBe(0);
    expect(d.buckets.find((b) => b.le === 5000)!.count).toBe(1);
  });

  it('detection: from the Master_Down timer start when no advert was heard since', () => {
    const t = new FailoverTiming();
    t.advertReceived('VI_1', 50); // heard while MASTER, before stepping down
    t.backupEntered('VI_1', 100);
    t.enteredMaster('VI_1', 3700);
    expect(last(t).detection.sum).toBe(3600);
  });

  it('detection: the engine may pass the last advert time itself', () => {
    const t = new FailoverTiming();
    t.backupEntered('VI_1', 0);
    t.enteredMaster('VI_1', 4000, 500);
    expect(last(t).detection.sum).toBe(3500);
  });

  it('no detection figure without an advert or a BACKUP before (address owner at start)', () => {
    const t = new FailoverTiming();
    t.enteredMaster('VI_1', 10);
    expect(last(t).detection.count).toBe(0);
    // nor a second one from the same start point
    t.leftMaster('VI_1');
    t.enteredMaster('VI_1', 20);
    expect(last(t).detection.count).toBe(0);
  });

  it('VIPs installed and first GARP: once per MASTER entry, the first event only', () => {
    const t = new FailoverTiming();
    t.backupEntered('VI_1', 0);
    t.enteredMaster('VI_1', 1000);
    t.garpSent('VI_1', 1002);
    t.garpSent('VI_1', 1500); // later frames of the burst, and the refresh, are not "first"
    t.vipsInstalled('VI_1', 1007);
    t.vipsInstalled('VI_1', 2000);
    const h = last(t);
    expect([h.firstGarp.count, h.firstGarp.sum]).toEqual([1, 2]);
    expect([h.vipsInstalled.count, h.vipsInstalled.sum]).toEqual([1, 7]);
  });

  it('a takeover\'s GARP performed before its state change (the wire goes first) is its first GARP, not the delayed burst a second later', () => {
    const t = new FailoverTiming();
    t.backupEntered('VI_1', 0);
    // the driver's step at 1000: advert and GARP out at 1000.3, then the state change
    t.garpSent('VI_1', 1000.25);
    t.enteredMaster('VI_1', 1000);
    t.garpSent('VI_1', 2000); // garp_master_delay's burst
    expect([last(t).firstGarp.count, last(t).firstGarp.sum]).toEqual([1, 0.25]);
    // a GARP of an earlier MASTER period does not count for the next takeover
    t.leftMaster('VI_1');
    t.backupEntered('VI_1', 3000);
    t.garpSent('VI_1', 3500);
    t.enteredMaster('VI_1', 4000);
    t.garpSent('VI_1', 4001);
    expect([last(t).firstGarp.count, last(t).firstGarp.sum]).toEqual([2, 1.25]);
  });

  it('leaving MASTER before the VIPs are in drops the pending figures', () => {
    const t = new FailoverTiming();
    t.backupEntered('VI_1', 0);
    t.enteredMaster('VI_1', 1000);
    t.leftMaster('VI_1');
    t.vipsInstalled('VI_1', 1500);
    t.garpSent('VI_1', 1500);
    expect(last(t).vipsInstalled.count).toBe(0);
    expect(last(t).firstGarp.count).toBe(0);
    t.enteredMaster('VI_1', 2000);
    t.backupEntered('VI_1', 2001); // straight back to BACKUP also cancels
    t.vipsInstalled('VI_1', 2002);
    expect(last(t).vipsInstalled.count).toBe(0);
  });

  it('buckets are cumulative and end at the count; values past the last bound only count in +Inf', () => {
    const t = new FailoverTiming();
    const values = [0, 1, 3, 40, 700, 29_000, 120_000];
    for (const v of values) {
      t.backupEntered('VI_1', 0);
      t.enteredMaster('VI_1', v);
    }
    const d = last(t).detection;
    expect(d.buckets.map((b) => b.le)).toEqual(FAILOVER_BUCKETS_MS);
    for (let i = 1; i < d.buckets.length; i++) expect(d.buckets[i]!.count).toBeGreaterThanOrEqual(d.buckets[i - 1]!.count);
    expect(d.buckets.at(-1)!.count).toBe(values.length - 1);
    expect(d.count).toBe(values.length);
    expect(d.sum).toBe(values.reduce((a, b) => a + b, 0));
  });

  it('instances are separate; unknown instances are ignored; forget() drops one', () => {
    const t = new FailoverTiming();
    t.vipsInstalled('nobody', 5);
    t.garpSent('nobody', 5);
    t.leftMaster('nobody');
    expect(t.observe()).toEqual({});
    t.backupEntered('A', 0);
    t.backupEntered('B', 0);
    t.enteredMaster('A', 100);
    expect(last(t, 'A').detection.count).toBe(1);
    expect(last(t, 'B').detection.count).toBe(0);
    t.forget('A');
    expect(Object.keys(t.observe())).toEqual(['B']);
  });

  it('a clock going backwards is not observed', () => {
    const t = new FailoverTiming();
    t.advertReceived('VI_1', 5000);
    t.enteredMaster('VI_1', 4000);
    expect(last(t).detection.count).toBe(0);
  });
});
