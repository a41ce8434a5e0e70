// Two (or three) keepalived-ts directors and a client on one bridge, in network namespaces:
// the VIP moves when the master is killed, frozen, loses its link or is stopped; tcpdump sees
// the GARP bursts; the client's ARP entry follows; unicast and IPv6 work; a broken or hung
// track script only changes priority. Needs root; run after `npm run build` (uses dist/).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { directorConf, type DirectorConf } from '../../src/lab/configs.js';
import { Director } from '../../src/lab/director.js';
import { NetLab } from '../../src/lab/netlab.js';
import { LineWatch, sleep, waitUntil } from '../../src/lab/watch.js';
import { skipUnless } from '../helpers/system.js';

const isRoot = process.getuid?.() === 0;

describe.skipIf(skipUnless(isRoot, 'root'))('failover between keepalived-ts directors (netns)', () => {
  let lab: NetLab;
  let running: Director[] = [];
  let tmp: string;

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'kts-failover-'));
    lab = new NetLab('ktsfo');
    lab.addHost({ name: 'd1', addresses: ['10.61.0.11/24', 'fd61::11/64'] });
    lab.addHost({ name: 'd2', addresses: ['10.61.0.12/24', 'fd61::12/64'] });
    lab.addHost({ name: 'd3', addresses: ['10.61.0.13/24'] });
    lab.addHost({ name: 'c', addresses: ['10.61.0.100/24', 'fd61::100/64'] });
  });

  afterEach(() => {
    for (const d of running) d.cleanup();
    running = [];
  });

  afterAll(async () => {
    await lab?.destroy();
    rmSync(tmp, { recursive: true, force: true });
  });

  const start = (host: string, c: DirectorConf): Director => {
    const d = new Director(lab, host, 'kts', directorConf(c));
    running.push(d);
    return d;
  };
  const hasVip = (host: string, vip: string): boolean => lab.hasAddress(host, vip);
  // VRRPv3 at 0.25 s: Master_Down_Interval about 0.9 s, fast but not at the mercy of a busy CI machine
  const v3fast = { version: 3 as const, advertInt: 0.25 };


  /** Wait until `master` is MASTER holding the VIP and every other one is BACKUP without it. */
  async function settle(master: Director, others: Director[], vip: string): Promise<void> {
    await waitUntil(`${master.host} settled as the only master`, () => master.lastState() === 'MASTER'
      && others.every((o) => o.lastState() === 'BACKUP')
      && hasVip(master.host, vip) && others.every((o) => !hasVip(o.host, vip)), 15_000,
    () => [master, ...others].map((d) => `${d.host}: ${d.lastState()} ${lab.addresses(d.host).join(' ')}\n${d.watch.tail(8)}`).join('\n'));
  }

  it('elects the higher priority, which alone holds the VIP; the client reaches it', async () => {
    const base = { vrid: 61, ...v3fast, vips: ['10.61.0.50/24'] };
    const d1 = start('d1', { ...base, priority: 150 });
    const d2 = start('d2', { ...base, priority: 100 });
    await settle(d1, [d2], '10.61.0.50');
    await waitUntil('VIP on d1', () => hasVip('d1', '10.61.0.50'), 5000);
    expect(hasVip('d2', '10.61.0.50')).toBe(false);
    const ping = lab.exec('c', 'ping', ['-c', '1', '-W', '2', '10.61.0.50']);
    expect(ping.rc).toBe(0);
    expect(lab.neighbour('c', '10.61.0.50')).toBe(lab.host('d1').mac);
    // and it stays that way
    const mark = d2.watch.mark();
    await sleep(1000);
    expect(d2.watch.find(/Entering MASTER STATE/, mark)).toBeUndefined();
    expect(hasVip('d2', '10.61.0.50')).toBe(false);
  });

  it('SIGKILL of the master: the backup takes over, GARPs twice with the configured count, the client ARP entry moves', async () => {
    const base = { vrid: 62, ...v3fast, vips: ['10.61.0.51/24'], garpMasterRepeat: 3, garpMasterDelay: 1 };
    const d1 = start('d1', { ...base, priority: 150 });
    const d2 = start('d2', { ...base, priority: 100 });
    await settle(d1, [d2], '10.61.0.51');
    expect(lab.exec('c', 'ping', ['-c', '1', '-W', '2', '10.61.0.51']).rc).toBe(0);
    expect(lab.neighbour('c', '10.61.0.51')).toBe(lab.host('d1').mac);
    const dump = new LineWatch(lab.spawn('c', 'tcpdump', ['-i', 'eth0', '-n', '-l', '-e', 'arp']));
    await dump.waitFor(/listening on/, 5000);
    const mark = d2.watch.mark();
    d1.signal('SIGKILL');
    await d2.state('MASTER', 5000, mark);
    await waitUntil('VIP on d2', () => hasVip('d2', '10.61.0.51'), 3000);
    const d2mac = lab.host('d2').mac;
    const garp = (l: string): boolean => l.includes(d2mac) && /Request who-has 10\.61\.0\.51 (\(ff:ff:ff:ff:ff:ff\) )?tell 10\.61\.0\.51/.test(l);
    // first burst at once, second after garp_master_delay (1 s)
    await waitUntil('6 GARPs', () => dump.count(garp) >= 6, 5000, () => `${d2mac}\n${dump.tail(20)}`);
    await sleep(500);
    expect(dump.count(garp)).toBe(6);
    const times = dump.lines.filter((l) => garp(l.text)).map((l) => l.at);
    expect(times[3]! - times[2]!).toBeGreaterThan(700);
    expect(lab.neighbour('c', '10.61.0.51')).toBe(d2mac);
    expect(lab.exec('c', 'ping', ['-c', '1', '-W', '2', '10.61.0.51']).rc).toBe(0);
    dump.child.kill('SIGKILL');
    // SIGKILL left the VIP on d1: a new start removes it before anything else, then preempts
    expect(hasVip('d1', '10.61.0.51')).toBe(true);
    const d1b = start('d1', { ...base, priority: 150 });
    await d1b.watch.waitFor(/removing address left behind by an earlier run/, 10_000);
    await settle(d1b, [d2], '10.61.0.51');
  });

  it('SIGSTOP then SIGCONT of the master: the backup takes over, then one master remains', async () => {
    const base = { vrid: 63, ...v3fast, vips: ['10.61.0.52/24'] };
    const d1 = start('d1', { ...base, priority: 150 });
    const d2 = start('d2', { ...base, priority: 100 });
    await settle(d1, [d2], '10.61.0.52');
    const mark = d2.watch.mark();
    const mark1 = d1.watch.mark();
    d1.signal('SIGSTOP');
    await d2.state('MASTER', 5000, mark);
    d1.signal('SIGCONT');
    // the higher priority wins again (it preempts); the lower one steps back
    await d2.state('BACKUP', 5000, mark);
    await sleep(1000);
    await waitUntil('VIP only on d1', () => hasVip('d1', '10.61.0.52') && !hasVip('d2', '10.61.0.52'), 3000,
      () => [d1, d2].map((d) => `${d.host}: ${d.lastState()} ${lab.addresses(d.host).join(' ')}\n${d.watch.tail(12)}`).join('\n'));
    const after = d2.watch.mark();
    await sleep(1000);
    expect(d2.watch.find(/Entering MASTER STATE/, after)).toBeUndefined();
    expect(d1.watch.find(/Entering (BACKUP|FAULT) STATE/, mark1)).toBeUndefined();
  });

  it('master loses its link: it enters FAULT, the backup takes over; link back: the master preempts again', async () => {
    const base = { vrid: 64, ...v3fast, vips: ['10.61.0.53/24'] };
    const d1 = start('d1', { ...base, priority: 150 });
    const d2 = start('d2', { ...base, priority: 100 });
    await settle(d1, [d2], '10.61.0.53');
    const m1 = d1.watch.mark();
    const m2 = d2.watch.mark();
    lab.setCarrier('d1', false);
    try {
      await d1.state('FAULT', 5000, m1);
      await d2.state('MASTER', 5000, m2);
      await waitUntil('VIP moved', () => hasVip('d2', '10.61.0.53') && !hasVip('d1', '10.61.0.53'), 3000);
    } finally {
      lab.setCarrier('d1', true);
    }
    await d1.state('BACKUP', 5000, m1);
    await d1.state('MASTER', 5000, m1);
    await d2.state('BACKUP', 5000, m2);
    await waitUntil('VIP back on d1', () => hasVip('d1', '10.61.0.53') && !hasVip('d2', '10.61.0.53'), 3000);
  });

  it('SIGTERM of the master: priority-0 advert, the backup takes over within the skew time, VIP released, exit 0', async () => {
    // v2 at 1 s: Master_Down would be 3.6 s; a priority-0 advert cuts it to the skew (0.6 s)
    const base = { vrid: 65, version: 2 as const, advertInt: 1, vips: ['10.61.0.54/24'] };
    const d1 = start('d1', { ...base, priority: 150 });
    const d2 = start('d2', { ...base, priority: 100 });
    await settle(d1, [d2], '10.61.0.54');
    await waitUntil('VIP on d1', () => hasVip('d1', '10.61.0.54'), 3000);
    const mark = d2.watch.mark();
    const t0 = performance.now();
    d1.signal('SIGTERM');
    const m = await d2.state('MASTER', 5000, mark);
    expect(m.at - t0).toBeLessThan(2500);
    expect(d2.watch.find(/Backup received priority 0 advertisement/, mark)).toBeDefined();
    expect(await d1.exited(5000)).toBe(0);
    expect(hasVip('d1', '10.61.0.54')).toBe(false);
    expect(d1.watch.find(/Entering STOP STATE|Stopped/)).toBeDefined();
  });

  it('unicast peers: three directors, the highest wins, the next takes over when it dies', async () => {
    const peers = ['10.61.0.11', '10.61.0.12', '10.61.0.13'];
    const conf = (self: string, priority: number): DirectorConf => ({
      vrid: 66, ...v3fast, vips: ['10.61.0.55/24'], priority,
      unicastSrc: self, unicastPeers: peers.filter((p) => p !== self),
    });
    // priorities far apart: the skew times differ by 58 ms, so d3 hears d2's first advert in time
    const d1 = start('d1', conf('10.61.0.11', 250));
    const d2 = start('d2', conf('10.61.0.12', 200));
    const d3 = start('d3', conf('10.61.0.13', 50));
    await settle(d1, [d2, d3], '10.61.0.55');
    const m2 = d2.watch.mark();
    const m3 = d3.watch.mark();
    d1.signal('SIGKILL');
    await d2.state('MASTER', 5000, m2);
    await sleep(800);
    expect(d3.watch.find(/Entering MASTER STATE/, m3)).toBeUndefined();
    await waitUntil('VIP on d2', () => hasVip('d2', '10.61.0.55'), 3000);
    expect(lab.exec('c', 'ping', ['-c', '1', '-W', '2', '10.61.0.55']).rc).toBe(0);
  });

  it('IPv6 (VRRPv3 over ff02::12): election, VIP without DAD, unsolicited NA on takeover', async () => {
    const base = { vrid: 67, ...v3fast, family: 'inet6' as const, vips: ['fd61::50/64'], garpMasterRepeat: 2, garpMasterDelay: 0 };
    const d1 = start('d1', { ...base, priority: 150 });
    const d2 = start('d2', { ...base, priority: 100 });
    await settle(d1, [d2], 'fd61::50');
    await waitUntil('VIP6 on d1', () => hasVip('d1', 'fd61::50'), 3000);
    expect(hasVip('d2', 'fd61::50')).toBe(false);
    const dump = new LineWatch(lab.spawn('c', 'tcpdump', ['-i', 'eth0', '-n', '-l', '-e', '-v', 'icmp6 and ip6[40] == 136']));
    await dump.waitFor(/listening on/, 5000);
    const mark = d2.watch.mark();
    d1.signal('SIGKILL');
    await d2.state('MASTER', 5000, mark);
    await dump.waitFor(/neighbor advertisement, length 32, tgt is fd61::50/, 3000);
    expect(lab.exec('c', 'ping', ['-6', '-c', '1', '-W', '2', 'fd61::50']).rc).toBe(0);
    const flags = lab.exec('d2', 'ip', ['-j', 'addr', 'show', 'dev', 'eth0']).stdout;
    expect(flags).toMatch(/"local":"fd61::50"/);
    expect(flags).not.toMatch(/"tentative":true/);
    dump.child.kill('SIGKILL');
  });

  it('a failing or hung track script only lowers priority: the backup takes over, nothing enters FAULT', async () => {
    const bad = join(tmp, 'check-bad.sh');
    writeFileSync(bad, '#!/bin/sh\nexit 1\n');
    const hung = join(tmp, 'check-hung.sh');
    writeFileSync(hung, '#!/bin/sh\nexec sleep 30\n');
    const good = join(tmp, 'check-good.sh');
    writeFileSync(good, '#!/bin/sh\nexit 0\n');
    for (const f of [bad, hung, good]) chmodSync(f, 0o755);
    for (const script of [bad, hung]) {
      const base = { vrid: 68, ...v3fast, vips: ['10.61.0.56/24'] };
      const d2 = start('d2', { ...base, priority: 100, trackScripts: [{ name: 'chk', script: good, interval: 1, weight: -60 }] });
      await d2.state('MASTER', 10_000);
      const d1 = start('d1', { ...base, priority: 150, trackScripts: [{ name: 'chk', script, interval: 1, timeout: 1, weight: -60 }] });
      // the script's failure takes d1 from 150 to 90, below d2's 100
      await d1.watch.waitFor(/Changing effective priority from 150 to 90/, 15_000);
      await sleep(1000);
      await waitUntil('VIP only on d2', () => hasVip('d2', '10.61.0.56') && !hasVip('d1', '10.61.0.56'), 5000);
      await sleep(1000);
      expect(hasVip('d2', '10.61.0.56') && !hasVip('d1', '10.61.0.56')).toBe(true);
      expect(d1.watch.find(/Entering FAULT STATE/)).toBeUndefined();
      expect(d2.watch.find(/Entering FAULT STATE/)).toBeUndefined();
      for (const d of running) d.cleanup();
      running = [];
      await sleep(300);
    }
  });
});
