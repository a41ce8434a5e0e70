// Transition rules of one instance, each tagged with its RFC section and the keepalived
// behaviour it reproduces (reference keepalived-features.md §d.3-d.5).
import { describe, expect, it } from 'vitest';
import { parseIp } from '../../../src/util/ip.js';
import { decodeAdvert } from '../../../src/vrrp/packet.js';
import { addMs, masterDownIntervalMs, skewTimeMs } from '../../../src/vrrp/timers.js';
import { cfg, Harness } from './harness.js';

const MDI_100 = masterDownIntervalMs(2, 3, 1000, 100); // 3609.375
const SKEW_100 = skewTimeMs(2, 100, 1000); // 609.375

/** A master: priority 100 with nobody around, MASTER at MDI_100. */
function master(extra: Parameters<typeof cfg>[0] = {}): Harness {
  const h = new Harness(cfg(extra));
  h.start();
  h.at(MDI_100);
  expect(h.state()).toBe('MASTER');
  return h;
}

describe('timers (RFC 3768 §6.1, RFC 5798 §6.1, keepalived VRRP_TIMER_SKEW)', () => {
  it.each([
    [2, 100, 1000, 609.375, 3609.375],
    [2, 150, 1000, 414.062, 3414.062],
    [2, 255, 3000, 3.906, 9003.906], // v2 skew ignores advert_int
    [3, 120, 250, 132.812, 882.812],
    [3, 100, 1000, 609.375, 3609.375],
    [3, 254, 10, 0.078, 30.078],
  ] as const)('v%i prio %i interval %i ms: skew %f, Master_Down %f', (v, p, i, skew, mdi) => {
    expect(skewTimeMs(v, p, i)).toBe(skew);
    expect(masterDownIntervalMs(v, 3, i, p)).toBe(mdi);
  });
});

describe('start (RFC 3768 §6.4.1, keepalived vrrp_init_state)', () => {
  it('BACKUP (init) with a full Master_Down_Interval and an INSTANCE notify', () => {
    const h = new Harness(cfg());
    const fx = h.start();
    expect(fx).toContainEqual({ type: 'stateChange', instance: 'VI_1', from: 'INIT', to: 'BACKUP', reason: 'init', quiet: false });
    expect(fx).toContainEqual({ type: 'notify', scope: 'INSTANCE', name: 'VI_1', state: 'BACKUP', priority: 100 });
    expect(h.deadline).toBe(MDI_100);
  });

  it('priority 255 + state MASTER: MASTER after 1 us, VIPs and GARPs before the advert (make-before-break), then notify', () => {
    const h = new Harness(cfg({ priority: 255, state: 'MASTER' }));
    h.start();
    h.at(1);
    expect(h.transitions()).toEqual(['INIT->BACKUP@0', 'BACKUP->MASTER@0.001']);
    expect(h.since(0.001).map((e) => e.type)).toEqual(['stateChange', 'addVips', 'sendGarp', 'sendAdvert', 'notify']);
    expect(h.since(0.001, 'sendGarp')).toEqual([{ type: 'sendGarp', instance: 'VI_1', repeat: 5, reason: 'master' }]);
    // the takeover's advert is marked to wait for GARPs that wait; the next one is not
    expect(h.since(0.001, 'sendAdvert').map((e) => (e as { afterGarp?: true }).afterGarp)).toEqual([true]);
    h.at(1001);
    expect(h.since(1.001, 'sendAdvert').map((e) => (e as { afterGarp?: true }).afterGarp)).toEqual([undefined]);
  });

  it('state MASTER below 255 behaves like BACKUP', () => {
    const h = new Harness(cfg({ state: 'MASTER', priority: 150 }));
    h.start();
    expect(h.state()).toBe('BACKUP');
    expect(h.deadline).toBe(masterDownIntervalMs(2, 3, 1000, 150));
  });

  it('an unweighted tracker already down puts the instance in FAULT (init), notified', () => {
    const h = new Harness(cfg({ trackInterface: [{ name: 'eth1', weight: 0 }] }));
    h.feed({ type: 'interface', name: 'eth1', up: false });
    const fx = h.start();
    expect(h.state()).toBe('FAULT');
    expect(fx).toContainEqual({ type: 'notify', scope: 'INSTANCE', name: 'VI_1', state: 'FAULT', priority: 100 });
    expect(h.deadline).toBeUndefined();
  });

  it('an unweighted script that has not run yet holds FAULT silently until its first success', () => {
    const h = new Harness({ instances: [cfg({ trackScript: [{ name: 'chk', weight: 0 }] })], scripts: [{ name: 'chk', rise: 2, fall: 2 }] });
    const fx = h.start();
    expect(h.state()).toBe('FAULT');
    expect(fx.filter((e) => e.type === 'notify')).toEqual([]);
    h.at(100);
    h.feed({ type: 'scriptResult', name: 'chk', success: true }); // one success is enough at start
    expect(h.state()).toBe('BACKUP');
    expect(h.deadline).toBe(addMs(100, MDI_100));
  });
});

describe('BACKUP receiving adverts (RFC 3768 §6.4.2, keepalived vrrp_state_backup)', () => {
  it('a higher or equal priority advert restarts the Master_Down timer', () => {
    const h = new Harness(cfg());
    h.start();
    h.at(1000).advert({ priority: 200 });
    expect(h.deadline).toBe(addMs(1000, MDI_100));
    h.at(2000).advert({ priority: 100 }); // equal priority is always accepted in BACKUP
    expect(h.deadline).toBe(addMs(2000, MDI_100));
    expect(h.state()).toBe('BACKUP');
  });

  it('no advert for Master_Down_Interval: MASTER (advert, VIPs, GARP burst, delayed burst)', () => {
    const h = new Harness(cfg());
    h.start();
    h.at(1000).advert({ priority: 200 });
    h.at(10_000);
    expect(h.transitions()).toContain(`BACKUP->MASTER@${addMs(1000, MDI_100)}`);
    expect(h.since(0, 'sendGarp').map((g) => g.reason)).toEqual(['master', 'master-delayed']);
    const garps = h.log.filter((e) => e.effect.type === 'sendGarp').map((e) => e.t);
    expect(garps[1]).toBe(addMs(garps[0]!, 5000)); // garp_master_delay
  });

  it('a lower priority advert is discarded and does not move the deadline (preempt)', () => {
    const h = new Harness(cfg({ priority: 150 }));
    h.start();
    const d = h.deadline;
    const fx = h.at(1000).advert({ priority: 100 });
    expect(fx).toContainEqual(expect.objectContaining({ type: 'event', event: 'rx-lower-prio-discard', priority: 100 }));
    expect(h.deadline).toBe(d);
  });

  it('nopreempt accepts a lower priority advert', () => {
    const h = new Harness(cfg({ priority: 150, nopreempt: true }));
    h.start();
    h.at(1000).advert({ priority: 100 });
    expect(h.deadline).toBe(addMs(1000, masterDownIntervalMs(2, 3, 1000, 150)));
  });

  it('preempt_delay: lower adverts are accepted until the delay runs out, then discarded', () => {
    const h = new Harness(cfg({ priority: 150, preemptDelayMs: 5000 }));
    h.start();
    expect(h.at(1000).advert({ priority: 100 })).toContainEqual(expect.objectContaining({ event: 'preempt-delay-start' }));
    for (let t = 2000; t <= 5000; t += 1000) h.at(t).advert({ priority: 100 });
    expect(h.deadline).toBe(addMs(5000, masterDownIntervalMs(2, 3, 1000, 150)));
    const d = h.deadline;
    // at 1000 + 5000 the delay has run out (keepalived compares strictly: expiry > now)
    expect(h.at(6000).advert({ priority: 100 })).toContainEqual(expect.objectContaining({ event: 'rx-lower-prio-discard' }));
    expect(h.deadline).toBe(d);
    expect(h.at(5000 + 3414.062).state()).toBe('MASTER');
  });

  it('a higher advert stops a running preempt_delay', () => {
    const h = new Harness(cfg({ priority: 150, preemptDelayMs: 5000 }));
    h.start();
    h.at(1000).advert({ priority: 100 });
    expect(h.at(2000).advert({ priority: 200 })).toContainEqual(expect.objectContaining({ event: 'preempt-delay-stop' }));
  });

  it('priority 0: Master_Down timer := Skew_Time', () => {
    const h = new Harness(cfg());
    h.start();
    h.at(1000).advert({ priority: 200 });
    h.at(1500).advert({ priority: 0 });
    expect(h.deadline).toBe(addMs(1500, SKEW_100));
  });

  it('an invalid advert does not refresh the timer and is counted by reason', () => {
    const h = new Harness(cfg());
    h.start();
    h.at(1000).advert({ priority: 200 });
    const d = h.deadline;
    const fx = h.at(2000).advert({ priority: 200, intervalMs: 2000 });
    expect(fx).toContainEqual(expect.objectContaining({ type: 'rxDrop', reason: 'interval' }));
    expect(h.deadline).toBe(d);
    expect(h.engine.instance('VI_1')!.stats.rxErrors.interval).toBe(1);
  });

  it('v3 learns Master_Adver_Interval from the master and times out with it', () => {
    const h = new Harness(cfg({ version: 3 }));
    h.start();
    h.at(1000).advert({ priority: 200, intervalMs: 2000 });
    expect(h.deadline).toBe(addMs(1000, masterDownIntervalMs(3, 3, 2000, 100)));
    h.at(20_000);
    expect(h.state()).toBe('MASTER');
    // a master advertises its own interval again
    const adv = h.since(0, 'sendAdvert')[0]!;
    const d = decodeAdvert({ family: 'inet', data: adv.data });
    expect(d.ok && d.value.adverIntervalMs).toBe(1000);
  });

  it('adverts of another VRID are not ours', () => {
    const h = new Harness(cfg());
    h.start();
    expect(h.advert({ priority: 200, vrid: 52 })).toEqual([]);
    expect(h.engine.unknownVrid).toBe(1);
  });
});

describe('MASTER receiving adverts (RFC 3768 §6.4.3, keepalived vrrp_state_master_rx)', () => {
  it('sends an advert every advert_int', () => {
    const h = master();
    h.at(MDI_100 + 3000);
    const sends = h.log.filter((e) => e.effect.type === 'sendAdvert').map((e) => e.t);
    expect(sends).toEqual([MDI_100, MDI_100 + 1000, MDI_100 + 2000, MDI_100 + 3000]);
  });

  it('lower priority: "forcing new election" advert, lower-prio GARPs (+ delayed), MASTER_RX_LOWER_PRI', () => {
    const h = master({ garpLowerPrioRepeat: 2, garpLowerPrioDelayMs: 3000 });
    const t = MDI_100 + 500;
    const fx = h.at(t).advert({ priority: 50 });
    expect(fx.map((e) => e.type)).toEqual(['event', 'sendAdvert', 'sendGarp', 'notify']);
    expect(fx[0]).toMatchObject({ event: 'rx-lower-prio', priority: 50, ours: 100, forcingElection: true });
    expect(fx[3]).toMatchObject({ state: 'MASTER_RX_LOWER_PRI' });
    expect(h.deadline).toBe(addMs(t, 1000)); // advert timer restarted
    h.at(t + 3000);
    expect(h.since(t + 1, 'sendGarp')).toEqual([{ type: 'sendGarp', instance: 'VI_1', repeat: 2, reason: 'lower-prio-delayed' }]);
  });

  it('lower_prio_no_advert: no advert and the advert timer keeps running', () => {
    const h = master({ lowerPrioNoAdvert: true, garpLowerPrioRepeat: 0 });
    const d = h.deadline;
    const fx = h.at(MDI_100 + 500).advert({ priority: 50 });
    expect(fx.filter((e) => e.type === 'sendAdvert')).toEqual([]);
    expect(h.deadline).toBe(d);
  });

  it('equal priority from a lower address counts as lower priority', () => {
    const h = master();
    const fx = h.at(MDI_100 + 500).advert({ priority: 100, src: '10.0.0.4' });
    expect(fx[0]).toMatchObject({ event: 'rx-lower-prio' });
    expect(h.state()).toBe('MASTER');
  });

  it('equal priority from a higher address: BACKUP (no priority-0 advert), VIPs removed', () => {
    const h = master();
    const t = MDI_100 + 500;
    const fx = h.at(t).advert({ priority: 100, src: '10.0.0.6' });
    expect(h.state()).toBe('BACKUP');
    expect(fx.map((e) => e.type)).toEqual(['event', 'stateChange', 'removeVips', 'notify']);
    expect(fx[1]).toMatchObject({ reason: 'equal-priority-higher-ip' });
    expect(h.deadline).toBe(addMs(t, MDI_100));
  });

  it('higher priority: BACKUP; with higher_prio_send_advert one advert goes out first', () => {
    const h = master();
    const fx = h.at(MDI_100 + 500).advert({ priority: 200 });
    expect(fx.map((e) => e.type)).toEqual(['event', 'stateChange', 'removeVips', 'notify']);
    const h2 = master({ higherPrioSendAdvert: true });
    const fx2 = h2.at(MDI_100 + 500).advert({ priority: 200 });
    expect(fx2.map((e) => e.type)).toEqual(['sendAdvert', 'event', 'stateChange', 'removeVips', 'notify']);
  });

  it('priority 0: answers with an advert at once and stays MASTER', () => {
    const h = master();
    const fx = h.at(MDI_100 + 500).advert({ priority: 0 });
    expect(fx.map((e) => e.type)).toEqual(['sendAdvert']);
    expect(h.state()).toBe('MASTER');
  });

  it('two address owners: ours drops to 254 and steps down (keepalived 2.2.7)', () => {
    const h = new Harness(cfg({ priority: 255, state: 'MASTER' }));
    h.start();
    h.at(10);
    const fx = h.at(500).advert({ priority: 255, src: '10.0.0.9' });
    expect(fx[0]).toMatchObject({ event: 'owner-conflict' });
    expect(h.state()).toBe('BACKUP');
    expect(h.engine.instance('VI_1')!.effectivePriority).toBe(254);
  });

  it("'vrrp.master-timer-on-rx': a packet failing validation does not delay the master's next advert (keepalived's does)", () => {
    const h = master();
    // the master adverted at MDI_100; its next advert is due a second later, garbage or not
    h.at(MDI_100 + 500).advert({ priority: 50, vips: ['10.9.9.9'] });
    expect(h.deadline).toBe(addMs(MDI_100, 1000));
    // a flood of them still lets the adverts out on time
    for (let t = 600; t < 3000; t += 100) h.at(MDI_100 + t).advert({ priority: 50, vips: ['10.9.9.9'] });
    expect(h.since(MDI_100 + 1, 'sendAdvert').length).toBe(2);
  });

  it('a valid lower-priority advert is answered at once and the timer restarts from that answer', () => {
    const h = master();
    h.at(MDI_100 + 500).advert({ priority: 50 });
    expect(h.since(MDI_100 + 1, 'sendAdvert').length).toBe(1);
    expect(h.deadline).toBe(addMs(MDI_100, 1500));
  });

  it('garp_master_refresh: a refresh burst with the first advert after the refresh time', () => {
    const h = master({ garpMasterRefreshMs: 2500, garpMasterRefreshRepeat: 2, garpMasterDelayMs: 0 });
    h.at(MDI_100 + 5000);
    const refresh = h.log.filter((e) => e.effect.type === 'sendGarp' && e.effect.reason === 'refresh').map((e) => e.t);
    expect(refresh).toEqual([MDI_100 + 3000]);
  });

  it('vrrp_min_garp: one GARP and no delayed burst', () => {
    const h = master({ vrrpMinGarp: true });
    h.at(MDI_100 + 10_000);
    expect(h.since(0, 'sendGarp')).toEqual([{ type: 'sendGarp', instance: 'VI_1', repeat: 1, reason: 'master' }]);
  });

  it('IP ID counts from 1 per instance, one per advert', () => {
    const h = master();
    h.at(MDI_100 + 2000);
    expect(h.since(0, 'sendAdvert').map((a) => (a.data[4]! << 8) | a.data[5]!)).toEqual([1, 2, 3]);
  });

  it('unicast: one copy per peer with the same IP ID, each with its own checksum', () => {
    const peers = ['10.0.0.7', '10.0.0.8'].map((a) => ({ address: parseIp(a)! }));
    const h = master({ version: 3, unicastPeer: peers });
    const sends = h.since(0, 'sendAdvert');
    expect(sends.map((s) => s.dst.join('.'))).toEqual(['10.0.0.7', '10.0.0.8']);
    expect(sends[0]!.data[5]).toBe(sends[1]!.data[5]);
    expect(sends[0]!.data.subarray(26, 28)).not.toEqual(sends[1]!.data.subarray(26, 28));
  });
});

describe('FAULT and shutdown (keepalived down_instance / try_up_instance, §d.4)', () => {
  const tracked = () => cfg({ trackInterface: [{ name: 'eth1', weight: 0 }] });

  it('MASTER -> FAULT: priority-0 adverts (keepalived sends two), VIPs removed, FAULT notify', () => {
    const h = new Harness(tracked());
    h.start();
    h.at(MDI_100 + 100);
    const fx = h.feed({ type: 'interface', name: 'eth1', up: false });
    expect(h.state()).toBe('FAULT');
    expect(fx.filter((e) => e.type === 'sendAdvert').map((e) => e.priority)).toEqual([0, 0]);
    expect(fx).toContainEqual({ type: 'removeVips', instance: 'VI_1' });
    expect(fx).toContainEqual({ type: 'notify', scope: 'INSTANCE', name: 'VI_1', state: 'FAULT', priority: 100 });
    expect(h.deadline).toBeUndefined();
  });

  it('FAULT ignores adverts; leaving FAULT gives BACKUP with a fresh Master_Down timer', () => {
    const h = new Harness(tracked());
    h.start();
    h.feed({ type: 'interface', name: 'eth1', up: false });
    expect(h.at(500).advert({ priority: 200 })).toEqual([]);
    h.at(1000).feed({ type: 'interface', name: 'eth1', up: true });
    expect(h.state()).toBe('BACKUP');
    expect(h.deadline).toBe(addMs(1000, MDI_100));
  });

  it('a unicast instance leaving FAULT sends a GARP for its own source address', () => {
    const h = new Harness(cfg({ unicastPeer: [{ address: parseIp('10.0.0.7')! }], trackInterface: [{ name: 'eth1', weight: 0 }] }));
    h.start();
    h.feed({ type: 'interface', name: 'eth1', up: false });
    const fx = h.feed({ type: 'interface', name: 'eth1', up: true });
    expect(fx).toContainEqual(expect.objectContaining({ type: 'sendGarpSource', instance: 'VI_1' }));
  });

  it('shutdown: a master sends priority 0 and removes VIPs; every instance notifies STOP', () => {
    const h = master();
    const fx = h.feed({ type: 'shutdown' });
    expect(fx.map((e) => e.type)).toEqual(['sendAdvert', 'removeVips', 'stateChange', 'notify']);
    expect(fx[0]).toMatchObject({ priority: 0 });
    expect(fx[3]).toMatchObject({ state: 'STOP', priority: 100 });
    expect(h.deadline).toBeUndefined();
  });
});

describe('effective priority (keepalived vrrp_set_effective_priority, §c.8, §d.6)', () => {
  it('a weighted failure lowers the priority and shifts the BACKUP deadline by the skew change', () => {
    const h = new Harness(cfg({ priority: 150, trackInterface: [{ name: 'eth1', weight: -60 }], notifyPriorityChanges: true }));
    h.start();
    h.at(1000).advert({ priority: 200 });
    const before = h.deadline!;
    const fx = h.at(1500).feed({ type: 'interface', name: 'eth1', up: false });
    expect(fx).toContainEqual({ type: 'priorityChange', instance: 'VI_1', from: 150, to: 90 });
    expect(fx).toContainEqual({ type: 'notify', scope: 'INSTANCE', name: 'VI_1', state: 'BACKUP_PRIORITY', priority: 90 });
    expect(h.deadline).toBe(addMs(before, skewTimeMs(2, 90, 1000) - skewTimeMs(2, 150, 1000)));
  });

  it('is clamped to 1..254 and never changes for an owner', () => {
    const h = new Harness(cfg({ priority: 250, trackInterface: [{ name: 'up', weight: -10, reverse: true }, { name: 'dn', weight: -253 }] }));
    h.feed({ type: 'interface', name: 'up', up: false });
    h.start();
    expect(h.engine.instance('VI_1')!.effectivePriority).toBe(254);
    h.feed({ type: 'interface', name: 'up', up: true });
    h.feed({ type: 'interface', name: 'dn', up: false });
    expect(h.engine.instance('VI_1')!.effectivePriority).toBe(1);
    const o = new Harness(cfg({ priority: 255, trackInterface: [{ name: 'dn', weight: -50 }] }));
    o.start();
    o.feed({ type: 'interface', name: 'dn', up: false });
    expect(o.engine.instance('VI_1')!.effectivePriority).toBe(255);
  });

  it("'vrrp.track-weight-reverse': `track_interface { lo weight 20 reverse }` with lo up runs at 80, as keepalived", () => {
    const h = new Harness(cfg({ priority: 100, trackInterface: [{ name: 'lo', weight: 20, reverse: true }] }));
    h.feed({ type: 'interface', name: 'lo', up: true });
    h.start();
    expect(h.engine.instance('VI_1')!.effectivePriority).toBe(80);
    h.feed({ type: 'interface', name: 'lo', up: false });
    expect(h.engine.instance('VI_1')!.effectivePriority).toBe(100);
  });

  it('adverts carry the effective priority', () => {
    const h = master({ trackInterface: [{ name: 'eth1', weight: -30 }] });
    h.feed({ type: 'interface', name: 'eth1', up: false });
    h.at(MDI_100 + 1000);
    expect(h.since(MDI_100 + 1, 'sendAdvert').map((a) => a.priority)).toEqual([70]);
  });
});
