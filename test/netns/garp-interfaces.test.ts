// Gratuitous ARPs on a MASTER's other interfaces, keepalived 2.2.7 and keepalived-ts on the same
// configurations. garp_extra_if: with a second VIP on eth1 (not a VMAC), a refresh every second
// with `garp_extra_if all 1`, never without `all` (keepalived then only refreshes its own
// VMACs). garp_group: an `interfaces { eth0 eth1 }` group spaces the takeover's GARPs across
// both interfaces (one queue), where vrrp_garp_interval spaces each interface on its own. eth1
// is a veth whose other end is in a namespace of the test's own, where tcpdump watches the
// ARPs. Needs root, tcpdump and keepalived; uses dist/.
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directorConf } from '../../src/lab/configs.js';
import { Director, type Implementation } from '../../src/lab/director.js';
import { NetLab } from '../../src/lab/netlab.js';
import { LineWatch, sleep } from '../../src/lab/watch.js';
import { skipUnless } from '../helpers/system.js';

const isRoot = process.getuid?.() === 0;
const must = (args: string[]): void => {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
};

describe.skipIf(skipUnless(isRoot, 'root'))('gratuitous ARPs on the other interfaces of a MASTER (netns)', () => {
  let lab: NetLab;
  let sniff: string;

  beforeAll(() => {
    lab = new NetLab('ktsgx');
    lab.addHost({ name: 'd1', addresses: ['10.75.0.11/24'] });
    sniff = `${lab.prefix}-x`;
    must(['netns', 'add', sniff]);
    must(['-n', lab.host('d1').ns, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'x0', 'netns', sniff]);
    must(['-n', lab.host('d1').ns, 'addr', 'add', '10.76.0.11/24', 'dev', 'eth1']);
    must(['-n', lab.host('d1').ns, 'link', 'set', 'eth1', 'up']);
    must(['-n', sniff, 'link', 'set', 'x0', 'up']);
  });
  afterAll(async () => {
    spawnSync('ip', ['netns', 'delete', sniff]);
    await lab?.destroy();
  });

  const conf = (extra: string, top = '', globals: string[] = []): string => top + directorConf({
    // no second burst (garp_master_delay 0): what is seen later is the refresh alone
    vrid: 98, advertInt: 1, priority: 150, garpMasterDelay: 0, garpMasterRepeat: 3, vips: ['10.75.0.50/24', '10.76.0.50/24 dev eth1'],
    ...(extra ? { extra: [extra] } : {}), globals,
  });
  const eth1Garp = /^(\d+\.\d+) ARP, Request who-has 10\.76\.0\.50 .*tell 10\.76\.0\.50/;

  /** The times (s) of the gratuitous ARPs for 10.76.0.50 seen on eth1: from the takeover on, or from `afterMs` after it for `ms`. */
  async function eth1Garps(impl: Implementation, config: string, ms: number, afterMs = 0): Promise<number[]> {
    let dump: LineWatch | undefined;
    let d: Director | undefined;
    try {
      if (afterMs === 0) {
        dump = new LineWatch(spawn('ip', ['netns', 'exec', sniff, 'tcpdump', '-l', '-n', '-tt', '-i', 'x0', 'arp'], { stdio: ['ignore', 'pipe', 'pipe'] }));
        await dump.waitFor(/listening on/, 5000);
      }
      d = new Director(lab, 'd1', impl, config);
      await d.state('MASTER', 15_000);
      if (afterMs > 0) {
        await sleep(afterMs);
        dump = new LineWatch(spawn('ip', ['netns', 'exec', sniff, 'tcpdump', '-l', '-n', '-tt', '-i', 'x0', 'arp'], { stdio: ['ignore', 'pipe', 'pipe'] }));
        await dump.waitFor(/listening on/, 5000);
      }
      await sleep(ms);
      return dump!.lines.flatMap((l) => {
        const m = eth1Garp.exec(l.text);
        return m ? [Number(m[1])] : [];
      });
    } finally {
      dump?.child.kill('SIGKILL');
      d?.cleanup();
    }
  }
  const refreshes = async (impl: Implementation, extra: string, ms: number): Promise<number> => (await eth1Garps(impl, conf(extra), ms, 1500)).length;

  for (const impl of ['keepalived', 'kts'] as Implementation[]) {
    it(`${impl}: every second with 'garp_extra_if all 1', never without 'all'`, async () => {
      expect(await refreshes(impl, 'garp_extra_if all 1', 3500)).toBeGreaterThanOrEqual(2);
      expect(await refreshes(impl, 'garp_extra_if 1', 3500)).toBe(0);
    });

    it(`${impl}: a garp_group over eth0 and eth1 spaces the takeover's GARPs across both; vrrp_garp_interval spaces each alone`, async () => {
      // garp_master_repeat 3, spaced 0.2 s: an address waits in its queue once, so the repeats
      // that find it waiting fold into it. One queue for both interfaces: eth0's VIP goes at
      // once and eth1's waits (its repeats fold), one frame on eth1 in all. A queue per
      // interface: eth1's goes at once too, then one more.
      const grouped = await eth1Garps(impl, conf('', 'garp_group {\n  garp_interval 0.2\n  interfaces {\n    eth0\n    eth1\n  }\n}\n'), 2500);
      expect(grouped.length).toBe(1);
      const alone = await eth1Garps(impl, conf('', '', ['vrrp_garp_interval 0.2']), 2500);
      expect(alone.length).toBe(2);
      expect(alone[1]! - alone[0]!).toBeGreaterThan(0.15);
    });
  }
});

