// Engine-level rules: tracker inputs, sync-group trackers, startup delay, demultiplexing.
import { describe, expect, it } from 'vitest';
import { parseIp } from '../../../src/util/ip.js';
import { addMs, masterDownIntervalMs } from '../../../src/vrrp/timers.js';
import { cfg, Harness } from './harness.js';

const MDI_100 = masterDownIntervalMs(2, 3, 1000, 100);

describe('trackers (reference §c.4, §c.8)', () => {
  it('track_file: weighted value moves the priority; -254 or below is FAULT until it recovers', () => {
    const h = new Harness(cfg({ trackFile: [{ name: 'f', weight: 10 }] }));
    h.start();
    expect(h.feed({ type: 'fileValue', name: 'f', value: 3 })).toContainEqual({ type: 'priorityChange', instance: 'VI_1', from: 100, to: 130 });
    h.feed({ type: 'fileValue', name: 'f', value: -30 });
    expect(h.state()).toBe('FAULT');
    h.at(500).feed({ type: 'fileValue', name: 'f', value: 0 });
    expect(h.state()).toBe('BACKUP');
    expect(h.engine.instance('VI_1')!.effectivePriority).toBe(100);
    expect(h.deadline).toBe(addMs(500, MDI_100));
  });

  it('track_process: unweighted process down is FAULT, up again is BACKUP', () => {
    const h = new Harness(cfg({ trackProcess: [{ name: 'haproxy', weight: 0 }] }));
    h.start();
    h.feed({ type: 'process', name: 'haproxy', up: false });
    expect(h.state()).toBe('FAULT');
    h.feed({ type: 'process', name: 'haproxy', up: true });
    expect(h.state()).toBe('BACKUP');
  });

  it('two faults need two recoveries (keepalived num_script_if_fault)', () => {
    const h = new Harness(cfg({ trackInterface: [{ name: 'a', weight: 0 }, { name: 'b', weight: 0 }] }));
    h.start();
    h.feed({ type: 'interface', name: 'a', up: false });
    h.feed({ type: 'interface', name: 'b', up: false });
    h.feed({ type: 'interface', name: 'a', up: true });
    expect(h.state()).toBe('FAULT');
    h.feed({ type: 'interface', name: 'b', up: true });
    expect(h.state()).toBe('BACKUP');
  });

  it('vrrp_script weight with fall 2: two failures lower the priority, rise 2 restores it', () => {
    const h = new Harness({ instances: [cfg({ priority: 150, trackScript: [{ name: 'chk', weight: -60 }] })], scripts: [{ name: 'chk', rise: 2, fall: 2 }] });
    h.start();
    h.feed({ type: 'scriptResult', name: 'chk', success: true });
    h.feed({ type: 'scriptResult', name: 'chk', success: false });
    expect(h.engine.instance('VI_1')!.effectivePriority).toBe(150);
    expect(h.feed({ type: 'scriptResult', name: 'chk', success: false })).toContainEqual({ type: 'priorityChange', instance: 'VI_1', from: 150, to: 90 });
    h.feed({ type: 'scriptResult', name: 'chk', success: true });
    expect(h.feed({ type: 'scriptResult', name: 'chk', success: true })).toContainEqual({ type: 'priorityChange', instance: 'VI_1', from: 90, to: 150 });
  });

  it('sync-group trackers apply to every member, unweighted unless sync_group_tracking_weight', () => {
    const h = new Harness({
      instances: [cfg(), cfg({ name: 'VI_2', virtualRouterId: 52 })],
      syncGroups: [{ name: 'G', group: ['VI_1', 'VI_2'], trackInterface: [{ name: 'up1', weight: -20 }] }],
    });
    h.start();
    h.feed({ type: 'interface', name: 'up1', up: false });
    expect([h.state('VI_1'), h.state('VI_2')]).toEqual(['FAULT', 'FAULT']);
    expect(h.since(0, 'notify').filter((n) => n.scope === 'GROUP').map((n) => n.state)).toEqual(['BACKUP', 'FAULT']);
  });
});

describe('sync group waiting for a script at start (keepalived 2.2.7 in a netns)', () => {
  it('a member whose script has not answered holds the group in INIT; its first result brings every member up together', () => {
    const h = new Harness({
      instances: [cfg({ trackScript: [{ name: 'slow', weight: 0 }] }), cfg({ name: 'VI_3', virtualRouterId: 53 })],
      syncGroups: [{ name: 'G', group: ['VI_1', 'VI_3'] }],
      scripts: [{ name: 'slow', rise: 1, fall: 1 }],
    });
    h.start();
    expect([h.state('VI_1'), h.state('VI_3')]).toEqual(['FAULT', 'FAULT']);
    h.at(300).feed({ type: 'scriptResult', name: 'slow', success: true });
    expect([h.state('VI_1'), h.state('VI_3')]).toEqual(['BACKUP', 'BACKUP']);
    h.at(300 + MDI_100 + 10);
    expect([h.state('VI_1'), h.state('VI_3')]).toEqual(['MASTER', 'MASTER']);
  });
});

describe('sync group FAULT on the wire (observed with keepalived 2.2.7 in a netns)', () => {
  it('the failing member sends two priority-0 adverts, its sibling one', () => {
    const h = new Harness({
      instances: [cfg({ name: 'S1', priority: 200, trackInterface: [{ name: 'trk0', weight: 0 }] }), cfg({ name: 'S2', virtualRouterId: 52, priority: 200 })],
      syncGroups: [{ name: 'G', group: ['S1', 'S2'] }],
    });
    h.start();
    h.at(5000);
    expect([h.state('S1'), h.state('S2')]).toEqual(['MASTER', 'MASTER']);
    const fx = h.feed({ type: 'interface', name: 'trk0', up: false });
    expect(fx.filter((e) => e.type === 'sendAdvert').map((e) => `${e.instance}:${e.priority}`)).toEqual(['S1:0', 'S1:0', 'S2:0']);
    expect(fx.filter((e) => e.type === 'groupStateChange')).toEqual([{ type: 'groupStateChange', group: 'G', from: 'MASTER', to: 'FAULT' }]);
  });
});

describe('vrrp_startup_delay', () => {
  it('BACKUP timers count from the end of the delay, even after adverts', () => {
    const h = new Harness({ instances: [cfg()], vrrpStartupDelayMs: 10_000 });
    h.start();
    expect(h.deadline).toBe(addMs(10_000, MDI_100));
    h.at(2000).advert({ priority: 200 });
    expect(h.deadline).toBe(addMs(10_000, MDI_100));
    h.at(12_000).advert({ priority: 200 });
    expect(h.deadline).toBe(addMs(12_000, MDI_100));
  });
});

describe('demultiplexing (reference §d.8)', () => {
  it('the same VRID with disjoint unicast peers goes to the instance that lists the sender', () => {
    const peer = (a: string) => [{ address: parseIp(a)! }];
    const h = new Harness({ instances: [
      cfg({ name: 'U1', unicastPeer: peer('10.0.0.9') }),
      cfg({ name: 'U2', unicastPeer: peer('10.0.0.8') }),
    ] });
    h.start();
    h.at(1000).feed({ type: 'packet', interface: 'eth0', packet: h.packet({ priority: 200, src: '10.0.0.8', dst: '10.0.0.5' }) });
    expect(h.engine.instance('U2')!.stats.advertsReceived).toBe(1);
    expect(h.engine.instance('U1')!.stats.advertsReceived).toBe(0);
  });

  it('another interface is another VRID space', () => {
    const h = new Harness(cfg());
    h.start();
    expect(h.feed({ type: 'packet', interface: 'eth1', packet: h.packet({ priority: 200 }) })).toEqual([]);
    expect(h.engine.unknownVrid).toBe(1);
  });
});
