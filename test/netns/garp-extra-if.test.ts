// garp_extra_if on a real kernel, keepalived 2.2.7 and keepalived-ts on the same configuration:
// a MASTER whose second VIP is on another interface (eth1, not a VMAC) refreshes it with a
// gratuitous ARP every second with `garp_extra_if all 1`, and never without `all` (keepalived
// then only refreshes its own VMACs). eth1 is a veth whose other end is in a namespace of the
// test's own, where tcpdump counts the ARPs. Needs root, tcpdump and keepalived; uses dist/.
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

describe.skipIf(skipUnless(isRoot, 'root'))('garp_extra_if: the VIPs on other interfaces are refreshed while MASTER (netns)', () => {
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

  const conf = (extra: string): string => directorConf({
    // no second burst (garp_master_delay 0): what is seen later is the refresh alone
    vrid: 98, advertInt: 1, priority: 150, garpMasterDelay: 0, vips: ['10.75.0.50/24', '10.76.0.50/24 dev eth1'],
    ...(extra ? { extra: [extra] } : {}),
  });

  /** Gratuitous ARPs for 10.76.0.50 seen on eth1 during `ms`, once the master's own burst is over. */
  async function refreshes(impl: Implementation, extra: string, ms: number): Promise<number> {
    const d = new Director(lab, 'd1', impl, conf(extra));
    let dump: LineWatch | undefined;
    try {
      await d.state('MASTER', 15_000);
      await sleep(1500);
      dump = new LineWatch(spawn('ip', ['netns', 'exec', sniff, 'tcpdump', '-l', '-n', '-i', 'x0', 'arp'], { stdio: ['ignore', 'pipe', 'pipe'] }));
      await dump.waitFor(/listening on/, 5000);
      await sleep(ms);
      return dump.lines.filter((l) => /ARP, Request who-has 10\.76\.0\.50 .*tell 10\.76\.0\.50/.test(l.text)).length;
    } finally {
      dump?.child.kill('SIGKILL');
      d.cleanup();
    }
  }

  for (const impl of ['keepalived', 'kts'] as Implementation[]) {
    it(`${impl}: every second with 'garp_extra_if all 1', never without 'all'`, async () => {
      expect(await refreshes(impl, 'garp_extra_if all 1', 3500)).toBeGreaterThanOrEqual(2);
      expect(await refreshes(impl, 'garp_extra_if 1', 3500)).toBe(0);
    });
  }
});

