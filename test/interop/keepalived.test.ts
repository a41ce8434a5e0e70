// keepalived-ts and real keepalived 2.2.7 (Debian package) in one VRID, in network namespaces:
// for VRRPv2 and v3, with and without PASS or AH authentication, multicast and unicast, each side in
// both roles: the higher priority becomes MASTER, takeovers go both ways, a priority-0 handover
// (SIGTERM) works both ways, and once settled only one node holds the VIP.
// Needs root and keepalived on PATH; uses dist/ (run after `npm run build`).
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { directorConf, type DirectorConf } from '../../src/lab/configs.js';
import { Director, type Implementation } from '../../src/lab/director.js';
import { NetLab, sh } from '../../src/lab/netlab.js';
import { sleep, waitUntil } from '../../src/lab/watch.js';
import { skipUnless } from '../helpers/system.js';

const canRun = process.getuid?.() === 0 && sh('sh', ['-c', 'command -v keepalived']).rc === 0;

interface Variant {
  readonly name: string;
  readonly conf: Partial<DirectorConf> & { version: 2 | 3; advertInt: number };
  readonly unicast?: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'v2 multicast', conf: { version: 2, advertInt: 1 } },
  { name: 'v2 multicast PASS', conf: { version: 2, advertInt: 1, authPass: 'secret42' } },
  { name: 'v2 unicast PASS', conf: { version: 2, advertInt: 1, authPass: 'uni' }, unicast: true },
  { name: 'v2 multicast AH', conf: { version: 2, advertInt: 1, authType: 'AH', authPass: 'ah-key' } },
  { name: 'v2 unicast AH', conf: { version: 2, advertInt: 1, authType: 'AH', authPass: 'ah-uni' }, unicast: true },
  { name: 'v3 multicast 0.2 s', conf: { version: 3, advertInt: 0.2 } },
  { name: 'v3 unicast 0.2 s', conf: { version: 3, advertInt: 0.2 }, unicast: true },
];

const ADDR = { a: '10.62.0.11', b: '10.62.0.12' };

describe.skipIf(skipUnless(canRun, 'root and keepalived on PATH'))('interop with keepalived 2.2.7 (netns)', () => {
  let lab: NetLab;
  let running: Director[] = [];

  beforeAll(() => {
    lab = new NetLab('ktsio');
    lab.addHost({ name: 'a', addresses: [`${ADDR.a}/24`] });
    lab.addHost({ name: 'b', addresses: [`${ADDR.b}/24`] });
  });
  afterEach(() => {
    for (const d of running) d.cleanup();
    running = [];
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  const hasVip = (host: string, vip: string): boolean => lab.hasAddress(host, vip);


  let vidx = 0;
  for (const v of VARIANTS) {
    const vrid = 70 + vidx;
    const vip = `10.62.0.${50 + vidx++}`;
    const slow = v.conf.version === 2;
    const settleMs = slow ? 15_000 : 8000;
    const conf = (host: 'a' | 'b', priority: number): string => directorConf({
      ...v.conf, vrid, priority, vips: [`${vip}/24`],
      ...(v.unicast ? { unicastSrc: ADDR[host], unicastPeers: [ADDR[host === 'a' ? 'b' : 'a']] } : {}),
    });
    const start = (host: 'a' | 'b', impl: Implementation, priority: number): Director => {
      const d = new Director(lab, host, impl, conf(host, priority));
      running.push(d);
      return d;
    };
    const settle = (master: Director, backup: Director): Promise<void> => waitUntil(
      `${master.impl} on ${master.host} settled as master`,
      () => master.lastState() === 'MASTER' && backup.lastState() === 'BACKUP' && hasVip(master.host, vip) && !hasVip(backup.host, vip),
      settleMs,
      () => [master, backup].map((d) => `${d.impl}@${d.host}: ${d.lastState()} ${lab.addresses(d.host).join(' ')}\n${d.watch.tail(10)}`).join('\n'),
    );
    /** once settled, nobody changes state for a while (no flapping, never two masters) */
    const steady = async (master: Director, backup: Director): Promise<void> => {
      const m1 = master.watch.mark();
      const m2 = backup.watch.mark();
      await sleep(slow ? 2500 : 800);
      expect(master.watch.find(/Entering \w+ STATE/, m1)).toBeUndefined();
      expect(backup.watch.find(/Entering \w+ STATE/, m2)).toBeUndefined();
      expect(hasVip(master.host, vip) && !hasVip(backup.host, vip)).toBe(true);
    };

    for (const [hi, lo] of [['kts', 'keepalived'], ['keepalived', 'kts']] as const) {
      it(`${v.name}: ${hi} (150) is master over ${lo} (100); SIGTERM hands over, restart takes back, SIGKILL fails over`, async () => {
        let master = start('a', hi, 150);
        const backup = start('b', lo, 100);
        await settle(master, backup);
        await steady(master, backup);
        // priority-0 handover: the backup takes over after its skew time, not Master_Down
        let mark = backup.watch.mark();
        master.signal('SIGTERM');
        expect(await master.exited(10_000)).toBe(0);
        await backup.state('MASTER', slow ? 3000 : 1500, mark);
        await waitUntil('VIP moved', () => hasVip('b', vip) && !hasVip('a', vip), 5000, () => backup.watch.tail(10));
        // the higher priority comes back and preempts
        mark = backup.watch.mark();
        master = start('a', hi, 150);
        await backup.state('BACKUP', settleMs, mark);
        await settle(master, backup);
        await steady(master, backup);
        // unplanned: the master dies, the backup takes over after Master_Down_Interval
        mark = backup.watch.mark();
        master.signal('SIGKILL');
        await backup.state('MASTER', slow ? 6000 : 2000, mark);
        await waitUntil('VIP on the backup', () => hasVip('b', vip), 5000, () => backup.watch.tail(10));
      });
    }
  }

  // keepalived's stock sample (vrrp_strict, auth_type PASS, state MASTER priority 100 on both),
  // read in place from the Debian package: strict mode drops the authentication and makes
  // both start as BACKUP. The first to start becomes master; the second, with the same
  // priority, hears it and stays BACKUP (RFC 3768 6.4.2: an equal priority resets its
  // Master_Down timer). Before keepalived-ts completed strict mode, it kept PASS, each side
  // dropped the other's adverts and both held the VIPs.
  const SAMPLE = '/etc/keepalived/keepalived.conf.sample';
  for (const [first, second] of [['kts', 'keepalived'], ['keepalived', 'kts']] as const) {
    it(`the stock strict sample (${SAMPLE}): ${first} on a, then ${second} on b, settle on one master`, async () => {
      const sample = readFileSync(SAMPLE, 'utf8');
      const vips = ['192.168.200.16', '192.168.200.17', '192.168.200.18'];
      const a = new Director(lab, 'a', first, sample);
      running.push(a);
      await a.state('MASTER', 10_000);
      const b = new Director(lab, 'b', second, sample);
      running.push(b);
      const mb0 = b.watch.mark();
      await b.state('BACKUP', 10_000, mb0);
      await waitUntil('a master, b backup, the VIPs on a only', () =>
        a.lastState() === 'MASTER' && b.lastState() === 'BACKUP' && vips.every((v) => hasVip('a', v) && !hasVip('b', v)),
      15_000, () => [a, b].map((d) => `${d.impl}@${d.host}: ${d.lastState()} ${lab.addresses(d.host).join(' ')}\n${d.watch.tail(8)}`).join('\n'));
      // and it stays that way: no flapping, never two masters
      const ma = a.watch.mark();
      const mb = b.watch.mark();
      // longer than b's Master_Down interval (3 x 1 s + skew): b would have taken over by now
      await sleep(4500);
      expect(a.watch.find(/Entering \w+ STATE/, ma)).toBeUndefined();
      expect(b.watch.find(/Entering \w+ STATE/, mb)).toBeUndefined();
      expect(vips.every((v) => hasVip('a', v) && !hasVip('b', v))).toBe(true);
    });
  }
});
