// Reload (SIGHUP) at the engine: the new engine takes over the old one's state (reference §f.4).
import { describe, expect, it } from 'vitest';
import type { EngineConfig } from '../../../src/vrrp/config.js';
import { VrrpEngine } from '../../../src/vrrp/engine.js';
import type { Effect } from '../../../src/vrrp/types.js';
import { masterDownIntervalMs } from '../../../src/vrrp/timers.js';
import { cfg, Harness } from './harness.js';

/** Reload `h`'s engine into a new one built from `next`, at h.now; returns the new harness. */
function reload(h: Harness, next: EngineConfig, matches: Record<string, string>, regarp: string[] = []): { h2: Harness; fx: Effect[] } {
  const h2 = new Harness(next);
  h2.now = h.now;
  const fx = h2.feed({ type: 'reload', previous: h.engine, matches: new Map(Object.entries(matches)), regarp: new Set(regarp) });
  return { h2, fx };
}

function master(): Harness {
  const h = new Harness(cfg({ priority: 150 }));
  h.start();
  h.at(4000); // master-down timer expired: MASTER
  expect(h.state()).toBe('MASTER');
  return h;
}

describe('engine reload', () => {
  it('a MASTER stays MASTER, adverts at once, keeps its counters, and no transition or notify happens', () => {
    const h = master();
    const sent = h.engine.instance('VI_1')!.stats.advertsSent;
    h.at(4300);
    const { h2, fx } = reload(h, { instances: [cfg({ priority: 150 })] }, { VI_1: 'VI_1' });
    expect(h2.state()).toBe('MASTER');
    expect(fx.map((e) => e.type)).toEqual(['sendAdvert']);
    expect(h2.engine.instance('VI_1')!.stats.advertsSent).toBe(sent + 1);
    expect(h2.engine.instance('VI_1')!.vipSet).toBe(true);
    // the next advert one interval after the reload
    expect(h2.deadline).toBe(5300);
    h2.at(5300);
    expect(h2.since(5300, 'sendAdvert')).toHaveLength(1);
  });

  it('a MASTER with addresses added sends a GARP burst', () => {
    const h = master();
    const { fx } = reload(h, { instances: [cfg({ priority: 150 })] }, { VI_1: 'VI_1' }, ['VI_1']);
    expect(fx).toContainEqual({ type: 'sendGarp', instance: 'VI_1', repeat: 5, reason: 'master' });
  });

  it('a BACKUP keeps its running master-down timer and the master it heard', () => {
    const h = new Harness(cfg());
    h.start();
    h.at(1000).advert({ priority: 200 });
    const deadline = h.deadline!;
    h.at(1500);
    const { h2, fx } = reload(h, { instances: [cfg()] }, { VI_1: 'VI_1' });
    expect(fx).toEqual([]);
    expect(h2.state()).toBe('BACKUP');
    expect(h2.deadline).toBe(deadline);
    expect(h2.engine.instance('VI_1')!.masterPriority).toBe(200);
  });

  it('a renamed instance (same VRID and interface) is the same instance', () => {
    const h = master();
    const { h2 } = reload(h, { instances: [cfg({ name: 'WEB', priority: 150 })] }, { WEB: 'VI_1' });
    expect(h2.state('WEB')).toBe('MASTER');
  });

  it('a new instance starts from INIT as at start-up', () => {
    const h = master();
    const { h2, fx } = reload(h, { instances: [cfg({ priority: 150 }), cfg({ name: 'VI_2', virtualRouterId: 52 })] }, { VI_1: 'VI_1' });
    expect(h2.state('VI_2')).toBe('BACKUP');
    expect(fx).toContainEqual(expect.objectContaining({ type: 'stateChange', instance: 'VI_2', from: 'INIT', to: 'BACKUP' }));
    expect(fx).toContainEqual(expect.objectContaining({ type: 'notify', name: 'VI_2', state: 'BACKUP' }));
    expect(fx.filter((e) => e.type === 'stateChange' && e.instance === 'VI_1')).toEqual([]);
  });

  it('tracker results carry over: an interface down stays down, a script with the same definition keeps its result', () => {
    const h = new Harness({ instances: [cfg({ trackInterface: [{ name: 'up1', weight: -30 }], trackScript: [{ name: 'chk', weight: 20 }] })], scripts: [{ name: 'chk' }] });
    h.start();
    h.feed({ type: 'interface', name: 'up1', up: false });
    h.feed({ type: 'scriptResult', name: 'chk', success: true });
    expect(h.engine.instance('VI_1')!.effectivePriority).toBe(90);
    const next: EngineConfig = { instances: [cfg({ trackInterface: [{ name: 'up1', weight: -30 }], trackScript: [{ name: 'chk', weight: 20 }] })], scripts: [{ name: 'chk' }] };
    const { h2 } = reload(h, next, { VI_1: 'VI_1' });
    expect(h2.engine.instance('VI_1')!.effectivePriority).toBe(90);
    // a script whose definition changed starts again from its initial state
    const changed: EngineConfig = { ...next, scripts: [{ name: 'chk', rise: 3 }] };
    const { h2: h3 } = reload(h, changed, { VI_1: 'VI_1' });
    expect(h3.engine.instance('VI_1')!.effectivePriority).toBe(70);
  });

  it('a MASTER whose new configuration tracks a failed interface goes to FAULT with a priority-0 advert', () => {
    const h = master();
    h.feed({ type: 'interface', name: 'bond9', up: false });
    const { h2, fx } = reload(h, { instances: [cfg({ priority: 150, trackInterface: [{ name: 'bond9', weight: 0 }] })] }, { VI_1: 'VI_1' });
    expect(h2.state()).toBe('FAULT');
    expect(fx).toContainEqual(expect.objectContaining({ type: 'sendAdvert', priority: 0 }));
    expect(fx).toContainEqual({ type: 'removeVips', instance: 'VI_1' });
  });

  it('a FAULT instance whose fault left with the old configuration comes back as BACKUP', () => {
    const h = new Harness(cfg({ trackInterface: [{ name: 'bond9', weight: 0 }] }));
    h.start();
    h.feed({ type: 'interface', name: 'bond9', up: false });
    expect(h.state()).toBe('FAULT');
    const { h2 } = reload(h, { instances: [cfg()] }, { VI_1: 'VI_1' });
    expect(h2.state()).toBe('BACKUP');
    expect(h2.deadline).toBe(h.now + masterDownIntervalMs(2, 3, 1000, 100));
  });

  it('retire: a removed MASTER sends priority 0, drops its VIPs and is notified DELETED', () => {
    const h = master();
    const fx = h.feed({ type: 'retire', instances: ['VI_1'] });
    expect(fx).toContainEqual(expect.objectContaining({ type: 'sendAdvert', priority: 0 }));
    expect(fx).toContainEqual({ type: 'removeVips', instance: 'VI_1' });
    expect(fx).toContainEqual(expect.objectContaining({ type: 'notify', name: 'VI_1', state: 'DELETED' }));
    expect(h.deadline).toBeUndefined();
  });

  it('retire: a removed FAULT instance is notified only with notify_deleted', () => {
    const h = new Harness(cfg({ trackInterface: [{ name: 'bond9', weight: 0 }] }));
    h.start();
    h.feed({ type: 'interface', name: 'bond9', up: false });
    expect(h.feed({ type: 'retire', instances: ['VI_1'] }).filter((e) => e.type === 'notify')).toEqual([]);
    const h2 = new Harness(cfg({ trackInterface: [{ name: 'bond9', weight: 0 }] }));
    h2.start();
    h2.feed({ type: 'interface', name: 'bond9', up: false });
    expect(h2.feed({ type: 'retire', instances: ['VI_1'], notifyDeleted: new Set(['VI_1']) })).toContainEqual(expect.objectContaining({ type: 'notify', state: 'DELETED' }));
  });

  it('a sync group keeps its state across a reload', () => {
    const ecfg: EngineConfig = {
      instances: [cfg({ priority: 150 }), cfg({ name: 'VI_2', virtualRouterId: 52, priority: 150 })],
      syncGroups: [{ name: 'G', group: ['VI_1', 'VI_2'] }],
    };
    const h = new Harness(ecfg);
    h.start();
    h.at(5000);
    expect([h.state('VI_1'), h.state('VI_2')]).toEqual(['MASTER', 'MASTER']);
    const h2 = new Harness(ecfg);
    h2.now = h.now;
    const fx = h2.feed({ type: 'reload', previous: h.engine, matches: new Map([['VI_1', 'VI_1'], ['VI_2', 'VI_2']]), regarp: new Set() });
    expect(h2.engine.groups[0]!.state).toBe('MASTER');
    expect(fx.filter((e) => e.type !== 'sendAdvert')).toEqual([]);
  });

  it('100 reloads in a row leave a MASTER MASTER with one advert per reload and no VIP removal', () => {
    let h = master();
    for (let i = 0; i < 100; i++) {
      h.at(h.now + 100);
      const { h2, fx } = reload(h, { instances: [cfg({ priority: 150 })] }, { VI_1: 'VI_1' });
      expect(fx.map((e) => e.type)).toEqual(['sendAdvert']);
      h = h2;
    }
    expect(h.state()).toBe('MASTER');
    expect(h.engine.instance('VI_1')!.stats.becomeMaster).toBe(1);
  });

  it('a reload where nothing matches is a fresh start', () => {
    const h = master();
    const { h2, fx } = reload(h, { instances: [cfg({ name: 'VI_9', virtualRouterId: 9 })] }, {});
    expect(h2.state('VI_9')).toBe('BACKUP');
    expect(fx.some((e) => e.type === 'sendAdvert')).toBe(false);
    expect(VrrpEngine).toBeDefined();
  });
});
