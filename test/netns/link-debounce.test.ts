// interface_up_down_delays on a real kernel, keepalived 2.2.7 and keepalived-ts on the same
// configuration: the master's link is cut for 0.5 s (shorter than its 1.5 s down delay:
// nothing happens, the VIP stays, the backup stays a backup), then for good (FAULT, but only
// once the delay is over, and the backup takes over). The carrier is cut on the switch side
// of the master's veth, as a pulled cable would. Needs root and keepalived; uses dist/.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { directorConf } from '../../src/lab/configs.js';
import { Director, type Implementation } from '../../src/lab/director.js';
import { NetLab } from '../../src/lab/netlab.js';
import { sleep, waitUntil } from '../../src/lab/watch.js';
import { skipUnless } from '../helpers/system.js';

const isRoot = process.getuid?.() === 0;
const VIP = '10.69.0.50';
const FAULT = /\(VI_1\) entering FAULT STATE/i;

describe.skipIf(skipUnless(isRoot, 'root'))('interface_up_down_delays: link flaps shorter than the delay do not count (netns)', () => {
  let lab: NetLab;
  let running: Director[] = [];

  beforeAll(() => {
    lab = new NetLab('ktsdb');
    lab.addHost({ name: 'd1', addresses: ['10.69.0.11/24'] });
    lab.addHost({ name: 'd2', addresses: ['10.69.0.12/24'] });
  });
  afterEach(() => {
    lab.setCarrier('d1', true);
    for (const d of running) d.cleanup();
    running = [];
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  for (const impl of ['keepalived', 'kts'] as Implementation[]) {
    it(`${impl}: a 0.5 s flap changes nothing; a cut that lasts is a FAULT after the 1.5 s delay`, async () => {
      const base = { vrid: 96, advertInt: 1, vips: [`${VIP}/24`] };
      const d1 = new Director(lab, 'd1', impl, `interface_up_down_delays {\n  eth0 1.5\n}\n${directorConf({ ...base, priority: 150 })}`);
      running.push(d1);
      const d2 = new Director(lab, 'd2', impl, directorConf({ ...base, priority: 100 }));
      running.push(d2);
      await d1.state('MASTER', 15_000);
      await waitUntil('d2 BACKUP', () => d2.lastState() === 'BACKUP', 10_000);
      await waitUntil('the VIP on d1', () => lab.hasAddress('d1', VIP), 5000);

      // a flap: 0.5 s without carrier
      let m1 = d1.watch.mark();
      let m2 = d2.watch.mark();
      lab.setCarrier('d1', false);
      await sleep(500);
      lab.setCarrier('d1', true);
      await sleep(2500);
      expect(d1.watch.find(FAULT, m1), d1.watch.tail(10)).toBeUndefined();
      expect(d2.watch.find(/Entering MASTER STATE/, m2)).toBeUndefined();
      expect(lab.hasAddress('d1', VIP)).toBe(true);

      // a cut that lasts: FAULT, once the 1.5 s are over
      m1 = d1.watch.mark();
      m2 = d2.watch.mark();
      const t0 = performance.now();
      lab.setCarrier('d1', false);
      const fault = await d1.watch.waitFor(FAULT, 10_000, m1);
      expect(fault.at - t0).toBeGreaterThan(1300);
      await d2.state('MASTER', 10_000, m2);
      // the link back: at once (no up delay), and d1 preempts
      m1 = d1.watch.mark();
      lab.setCarrier('d1', true);
      await d1.state('MASTER', 15_000, m1);
    });
  }
});
