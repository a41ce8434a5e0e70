// Planned handover (keepalived-ts): make-before-break, the yielded priority, cancel, timeout.
import { describe, expect, it } from 'vitest';
import { HANDOVER_RELEASE_MS } from '../../../src/vrrp/engine.js';
import { cfg, Harness } from './harness.js';

function master(): Harness {
  const h = new Harness(cfg({ priority: 150 }));
  h.start();
  h.at(4000);
  expect(h.state()).toBe('MASTER');
  return h;
}

describe('handover', () => {
  it('sends one priority-0 advert, keeps the VIPs, goes silent, and releases them when the new master is heard', () => {
    const h = master();
    h.at(4200);
    const fx = h.feed({ type: 'handover', instance: 'VI_1', yield: true });
    expect(fx.filter((e) => e.type === 'sendAdvert').map((e) => (e as { priority: number }).priority)).toEqual([0]);
    expect(fx.some((e) => e.type === 'removeVips')).toBe(false);
    expect(h.engine.instance('VI_1')!.effectivePriority).toBe(1);
    // silent while the backup's skew time runs
    h.at(5500);
    expect(h.since(4201, 'sendAdvert')).toEqual([]);
    expect(h.state()).toBe('MASTER');
    const rx = h.advert({ priority: 100, src: '10.0.0.6' });
    expect(rx).toContainEqual(expect.objectContaining({ type: 'event', event: 'handover-done' }));
    expect(h.state()).toBe('BACKUP');
    // the VIPs stay while the new master's GARPs reach the clients, then go
    expect(rx.some((e) => e.type === 'removeVips')).toBe(false);
    h.at(5500 + HANDOVER_RELEASE_MS - 1);
    expect(h.since(5500, 'removeVips')).toEqual([]);
    h.at(5500 + HANDOVER_RELEASE_MS);
    expect(h.since(5500, 'removeVips')).toEqual([{ type: 'removeVips', instance: 'VI_1' }]);
  });

  it('a stop while still releasing removes the VIPs at once', () => {
    const h = master();
    h.feed({ type: 'handover', instance: 'VI_1', yield: true });
    h.at(4500).advert({ priority: 100, src: '10.0.0.6' });
    expect(h.feed({ type: 'shutdown' })).toContainEqual({ type: 'removeVips', instance: 'VI_1' });
  });

  it('stays BACKUP afterwards: a lower-priority master is accepted', () => {
    const h = master();
    h.feed({ type: 'handover', instance: 'VI_1', yield: true });
    h.at(4500).advert({ priority: 100, src: '10.0.0.6' });
    for (let t = 5500; t < 20_000; t += 1000) h.at(t).advert({ priority: 100, src: '10.0.0.6' });
    expect(h.state()).toBe('BACKUP');
  });

  it('cancel: the configured priority is back and preemption takes the VIP back', () => {
    const h = master();
    h.feed({ type: 'handover', instance: 'VI_1', yield: true });
    h.at(4500).advert({ priority: 100, src: '10.0.0.6' });
    h.feed({ type: 'handover', instance: 'VI_1', yield: false });
    expect(h.engine.instance('VI_1')!.effectivePriority).toBe(150);
    h.at(5500).advert({ priority: 100, src: '10.0.0.6' }); // lower: discarded, the down timer runs out
    h.at(10_000);
    expect(h.state()).toBe('MASTER');
  });

  it('nobody takes over: adverts resume after Master_Down_Interval and it stays MASTER', () => {
    const h = master();
    h.feed({ type: 'handover', instance: 'VI_1', yield: true });
    h.at(9000);
    expect(h.state()).toBe('MASTER');
    expect(h.since(4001, 'event').map((e) => e.event)).toContain('handover-timeout');
    expect(h.since(8000, 'sendAdvert').length).toBeGreaterThan(0);
  });

  it('an address owner does not hand over', () => {
    const h = new Harness(cfg({ priority: 255, state: 'MASTER' }));
    h.start();
    h.at(100);
    expect(h.feed({ type: 'handover', instance: 'VI_1', yield: true })).toEqual([]);
  });
});
