// use_vmac in the running daemon: keepalived-ts directors on one bridge in network namespaces
// create vrrp.<VRID> (private macvlan, MAC 00:00:5e:00:01:<VRID>) at start, hold the VIP on it,
// advertise and GARP from the virtual MAC (or advertise from the base with vmac_xmit_base),
// hear each other (so exactly one is MASTER), keep the client's ARP entry across a failover,
// and delete the VMAC and put the sysctls back at SIGTERM. Then real keepalived 2.2.7 with
// use_vmac in the same VRID, both roles. Needs root; run after `npm run build` (uses dist/).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { directorConf, type DirectorConf } from '../../src/lab/configs.js';
import { Director, type Implementation } from '../../src/lab/director.js';
import { NetLab, sh } from '../../src/lab/netlab.js';
import { LineWatch, sleep, waitUntil } from '../../src/lab/watch.js';
import { skipUnless } from '../helpers/system.js';

const isRoot = process.getuid?.() === 0;
const haveKeepalived = sh('sh', ['-c', 'command -v keepalived']).rc === 0;

interface LinkJson {
  ifname: string;
  address: string;
  flags: string[];
  link?: string;
  linkinfo?: { info_kind?: string; info_data?: { mode?: string } };
}

describe.skipIf(skipUnless(isRoot, 'root'))('use_vmac (netns)', () => {
  let lab: NetLab;
  let running: Director[] = [];
  let dumps: LineWatch[] = [];

  beforeAll(() => {
    lab = new NetLab('ktsvm');
    lab.addHost({ name: 'd1', addresses: ['10.71.0.11/24', 'fd71::11/64'] });
    lab.addHost({ name: 'd2', addresses: ['10.71.0.12/24', 'fd71::12/64'] });
    const c = lab.addHost({ name: 'c', addresses: ['10.71.0.100/24', 'fd71::100/64'] });
    // A director replying from the VIP reaches the client through eth0 (its connected route comes
    // first), so an ARP request of its own would say "10.71.0.50 is at <eth0 MAC>" and the client
    // would believe it (keepalived behaves the same). The directors know the client already, so
    // the client's entry for the VIP only ever comes from the VMAC's ARP replies and GARPs.
    for (const h of ['d1', 'd2']) lab.exec(h, 'ip', ['neigh', 'replace', '10.71.0.100', 'lladdr', c.mac, 'dev', 'eth0', 'nud', 'permanent']);
  });

  afterEach(() => {
    for (const d of running) d.cleanup();
    running = [];
    for (const t of dumps) t.child.kill('SIGKILL');
    dumps = [];
    // a SIGKILLed daemon leaves its VMACs behind: remove them so the next test starts clean
    for (const h of ['d1', 'd2']) {
      for (const l of links(h)) if (l.linkinfo?.info_kind === 'macvlan') lab.exec(h, 'ip', ['link', 'del', l.ifname]);
    }
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  const start = (host: string, c: DirectorConf, impl: Implementation = 'kts'): Director => {
    const d = new Director(lab, host, impl, directorConf(c));
    running.push(d);
    return d;
  };
  const links = (host: string): LinkJson[] => JSON.parse(lab.exec(host, 'ip', ['-d', '-j', 'link', 'show']).stdout || '[]') as LinkJson[];
  const link = (host: string, name: string): LinkJson | undefined => links(host).find((l) => l.ifname === name);
  const hasVip = (host: string, vip: string, dev: string): boolean => lab.hasAddress(host, vip, dev);
  const sysctl = (host: string, path: string): string => lab.exec(host, 'cat', [`/proc/sys/${path}`]).stdout.trim();
  const tcpdump = async (filter: string): Promise<LineWatch> => {
    const t = new LineWatch(lab.spawn('c', 'tcpdump', ['-i', 'eth0', '-n', '-l', '-e', filter]));
    dumps.push(t);
    await t.waitFor(/listening on/, 5000);
    return t;
  };
  const v3fast = { version: 3 as const, advertInt: 0.25 };


  /** `master` MASTER with the VIP on `dev`, `backup` BACKUP without it, and so for a second. */
  async function settle(master: Director, backup: Director, vip: string, dev: string): Promise<void> {
    const explain = (): string => [master, backup].map((d) => `${d.host}: ${d.lastState()}\n${d.watch.tail(10)}`).join('\n');
    await waitUntil(`${master.host} the only master`, () => master.lastState() === 'MASTER' && backup.lastState() === 'BACKUP'
      && hasVip(master.host, vip, dev) && !hasVip(backup.host, vip, dev), 15_000, explain);
    const m = backup.watch.mark();
    await sleep(1000);
    // the backup hears the master's adverts on its own VMAC: it never takes over
    expect(backup.watch.find(/Entering MASTER STATE/, m), explain()).toBeUndefined();
    expect(backup.lastState()).toBe('BACKUP');
  }

  it('vrrp.VRID with the virtual MAC holds the VIP; adverts and GARPs come from the virtual MAC; the ARP entry survives a failover; SIGTERM removes the VMAC', async () => {
    const vmacMac = '00:00:5e:00:01:47'; // VRID 71
    const base = { vrid: 71, ...v3fast, vips: ['10.71.0.50/24'], garpMasterRepeat: 2, garpMasterDelay: 1, extra: ['use_vmac'] };
    const dump = await tcpdump('vrrp or arp');
    const d1 = start('d1', { ...base, priority: 150 });
    const d2 = start('d2', { ...base, priority: 100 });
    await settle(d1, d2, '10.71.0.50', 'vrrp.71');

    // the VMAC on both: private macvlan on eth0 with the virtual MAC, up (also on the backup)
    for (const h of ['d1', 'd2']) {
      const l = link(h, 'vrrp.71');
      expect(l, h).toBeDefined();
      expect(l!.address).toBe(vmacMac);
      expect(l!.link).toBe('eth0');
      expect(l!.linkinfo?.info_kind).toBe('macvlan');
      expect(l!.linkinfo?.info_data?.mode).toBe('private');
      expect(l!.flags).toContain('UP');
      expect(l!.flags).toContain('LOWER_UP');
      expect(hasVip(h, '10.71.0.50', 'eth0')).toBe(false);
    }
    // keepalived's sysctls
    expect(sysctl('d1', 'net/ipv4/conf/eth0/arp_ignore')).toBe('1');
    expect(sysctl('d1', 'net/ipv4/conf/eth0/arp_filter')).toBe('1');
    expect(sysctl('d1', 'net/ipv4/conf/vrrp.71/arp_ignore')).toBe('1');
    expect(sysctl('d1', 'net/ipv4/conf/vrrp.71/accept_local')).toBe('1');
    expect(sysctl('d1', 'net/ipv4/conf/vrrp.71/rp_filter')).toBe('0');
    expect(sysctl('d1', 'net/ipv6/conf/vrrp.71/disable_ipv6')).toBe('1');

    // adverts from the virtual MAC only; GARPs for the VIP from the virtual MAC
    const advert = (l: string): boolean => /VRRPv3, Advertisement, vrid 71/.test(l);
    await waitUntil('adverts seen', () => dump.count(advert) >= 5, 3000, () => dump.tail(10));
    const adverts = dump.lines.filter((l) => advert(l.text)).map((l) => l.text);
    expect(adverts.every((l) => l.includes(`${vmacMac} > 01:00:5e:00:00:12`)), adverts.slice(0, 3).join('\n')).toBe(true);
    const garp = (mac: string) => (l: string): boolean => l.includes(`${mac} > ff:ff:ff:ff:ff:ff`)
      && /Request who-has 10\.71\.0\.50 (\(ff:ff:ff:ff:ff:ff\) )?tell 10\.71\.0\.50/.test(l);
    await waitUntil('GARPs from the virtual MAC', () => dump.count(garp(vmacMac)) >= 2, 5000, () => dump.tail(10));
    expect(dump.count((l) => /who-has 10\.71\.0\.50/.test(l) && !l.includes(vmacMac))).toBe(0);

    // the client reaches the VIP at the virtual MAC: the VMAC answers its ARP request, eth0 does not
    expect(lab.exec('c', 'ping', ['-c', '1', '-W', '2', '10.71.0.50']).rc).toBe(0);
    expect(lab.neighbour('c', '10.71.0.50')).toBe(vmacMac);
    const reply = (l: string): boolean => /Reply 10\.71\.0\.50 is-at/.test(l);
    await dump.waitFor(reply, 2000);
    expect(dump.lines.filter((l) => reply(l.text)).every((l) => l.text.includes(`${vmacMac} > ${lab.host('c').mac}`) && l.text.includes(`is-at ${vmacMac}`))).toBe(true);

    // SIGTERM of the master: priority 0, the backup takes over on its own VMAC
    const m2 = d2.watch.mark();
    const mDump = dump.mark();
    d1.signal('SIGTERM');
    await d2.state('MASTER', 5000, m2);
    expect(d2.watch.find(/Backup received priority 0 advertisement/, m2)).toBeDefined();
    expect(await d1.exited(5000)).toBe(0);
    await waitUntil('VIP on d2 vrrp.71', () => hasVip('d2', '10.71.0.50', 'vrrp.71'), 3000);
    await waitUntil('GARPs after takeover', () => dump.count(garp(vmacMac), mDump) >= 2, 5000, () => dump.tail(10));
    // same MAC, so the client's entry did not have to change; traffic now reaches d2
    expect(lab.neighbour('c', '10.71.0.50')).toBe(vmacMac);
    expect(lab.exec('c', 'ping', ['-c', '1', '-W', '2', '10.71.0.50']).rc).toBe(0);
    const rx = (): number => Number(lab.exec('d2', 'cat', ['/sys/class/net/vrrp.71/statistics/rx_packets']).stdout.trim());
    const before = rx();
    expect(lab.exec('c', 'ping', ['-c', '3', '-i', '0.2', '-W', '2', '10.71.0.50']).rc).toBe(0);
    expect(rx() - before).toBeGreaterThanOrEqual(3);

    // d1 deleted its VMAC and put the base interface's sysctls back
    expect(link('d1', 'vrrp.71')).toBeUndefined();
    expect(sysctl('d1', 'net/ipv4/conf/eth0/arp_ignore')).toBe('0');
    expect(sysctl('d1', 'net/ipv4/conf/eth0/arp_filter')).toBe('0');
    expect(d1.watch.find(/Success removing VMAC interface vrrp\.71/)).toBeDefined();
    // the VMAC going away after the stop does not move the instance out of STOP
    expect(d1.watch.find(/Entering FAULT STATE/)).toBeUndefined();

    // d2 too, at its SIGTERM
    d2.signal('SIGTERM');
    expect(await d2.exited(5000)).toBe(0);
    expect(link('d2', 'vrrp.71')).toBeUndefined();
  });

  it('vmac_xmit_base: adverts from the base interface MAC, VIP and GARPs on the VMAC', async () => {
    const vmacMac = '00:00:5e:00:01:48'; // VRID 72
    const base = { vrid: 72, ...v3fast, vips: ['10.71.0.51/24'], garpMasterRepeat: 1, extra: ['use_vmac', 'vmac_xmit_base'] };
    const dump = await tcpdump('vrrp or arp');
    const d1 = start('d1', { ...base, priority: 150 });
    const d2 = start('d2', { ...base, priority: 100 });
    await settle(d1, d2, '10.71.0.51', 'vrrp.72');
    // only the settled master's adverts: d2 may have been master for a moment at start-up
    const from = dump.mark();
    const advert = (l: string): boolean => /VRRPv3, Advertisement, vrid 72/.test(l);
    await waitUntil('adverts seen', () => dump.count(advert, from) >= 5, 3000);
    const d1mac = lab.host('d1').mac;
    const adverts = dump.lines.slice(from).filter((l) => advert(l.text)).map((l) => l.text);
    expect(adverts.every((l) => l.includes(`${d1mac} > 01:00:5e:00:00:12`)), adverts.slice(0, 3).join('\n')).toBe(true);
    await waitUntil('GARP from the virtual MAC', () => dump.count((l) => l.includes(`${vmacMac} > ff:ff:ff:ff:ff:ff`) && l.includes('who-has 10.71.0.51')) >= 1, 3000, () => dump.tail(10));
    expect(lab.exec('c', 'ping', ['-c', '1', '-W', '2', '10.71.0.51']).rc).toBe(0);
    expect(lab.neighbour('c', '10.71.0.51')).toBe(vmacMac);
  });

  it('a configured name and a SIGKILL leftover: the name is used; a restart adopts the leftover VMAC', async () => {
    const base = { vrid: 73, ...v3fast, vips: ['10.71.0.52/24'], extra: ['use_vmac vmac73'] };
    const d1 = start('d1', { ...base, priority: 150 });
    await d1.state('MASTER', 10_000);
    await waitUntil('VIP on vmac73', () => hasVip('d1', '10.71.0.52', 'vmac73'), 3000);
    expect(link('d1', 'vmac73')?.address).toBe('00:00:5e:00:01:49');
    d1.signal('SIGKILL');
    await d1.exited(3000);
    expect(link('d1', 'vmac73')).toBeDefined();
    const again = start('d1', { ...base, priority: 150 });
    await again.watch.waitFor(/Found matching interface vmac73/, 10_000);
    await again.state('MASTER', 10_000);
    await waitUntil('VIP on vmac73', () => hasVip('d1', '10.71.0.52', 'vmac73'), 3000);
    again.signal('SIGTERM');
    expect(await again.exited(5000)).toBe(0);
    expect(link('d1', 'vmac73')).toBeUndefined();
  });

  it('IPv6: vrrp.VRID with 00:00:5e:00:02:VRID and the link-local source; one master; NA from the virtual MAC', async () => {
    const vmacMac = '00:00:5e:00:02:4a'; // VRID 74
    const base = { vrid: 74, ...v3fast, family: 'inet6' as const, vips: ['fd71::50/64'], garpMasterRepeat: 1, extra: ['use_vmac'] };
    const dump = await tcpdump('icmp6 and ip6[40] == 136 or ip6 proto 112');
    const d1 = start('d1', { ...base, priority: 150 });
    const d2 = start('d2', { ...base, priority: 100 });
    await settle(d1, d2, 'fd71::50', 'vrrp.74');
    expect(link('d1', 'vrrp.74')?.address).toBe(vmacMac);
    expect(lab.addresses('d1', 'vrrp.74').some((a) => a.startsWith('fe80::') && a.endsWith('/64'))).toBe(true);
    await waitUntil('adverts and NA from the virtual MAC', () => dump.count((l) => l.includes(`${vmacMac} > 33:33:00:00:00:12`)) >= 3
      && dump.count((l) => l.includes(vmacMac) && /neighbor advertisement.*tgt is fd71::50/.test(l)) >= 1, 5000, () => dump.tail(10));
    expect(lab.exec('c', 'ping', ['-6', '-c', '1', '-W', '2', 'fd71::50']).rc).toBe(0);
  });

  describe.skipIf(skipUnless(haveKeepalived, 'keepalived on PATH'))('with real keepalived 2.2.7 (use_vmac) in the same VRID', () => {
    for (const [high, low] of [['keepalived', 'kts'], ['kts', 'keepalived']] as const) {
      it(`${high} MASTER, ${low} BACKUP; the backup takes over at the master's SIGTERM`, async () => {
        const base = { vrid: 75, version: 2 as const, advertInt: 1, vips: ['10.71.0.53/24'], extra: ['use_vmac'] };
        const d1 = start('d1', { ...base, priority: 150 }, high);
        await d1.state('MASTER', 10_000);
        const d2 = start('d2', { ...base, priority: 100 }, low);
        await settle(d1, d2, '10.71.0.53', 'vrrp.75');
        expect(link('d2', 'vrrp.75')?.address).toBe('00:00:5e:00:01:4b');
        const m2 = d2.watch.mark();
        d1.signal('SIGTERM');
        await d2.state('MASTER', 5000, m2);
        await waitUntil('VIP on d2 vrrp.75', () => hasVip('d2', '10.71.0.53', 'vrrp.75'), 3000);
        expect(lab.exec('c', 'ping', ['-c', '1', '-W', '2', '10.71.0.53']).rc).toBe(0);
        expect(lab.neighbour('c', '10.71.0.53')).toBe('00:00:5e:00:01:4b');
        await d1.exited(5000);
        expect(link('d1', 'vrrp.75')).toBeUndefined();
      });
    }
  });

  it('a VMAC someone else deletes is created again, with the VIP on it, as keepalived does', async () => {
    const seen: Record<string, string[]> = {};
    for (const impl of ['keepalived', 'kts'] as Implementation[]) {
      const d = start('d1', { vrid: 76, ...v3fast, priority: 150, vips: ['10.71.0.56/24'], extra: ['use_vmac'] }, impl);
      await waitUntil(`${impl} MASTER with the VIP on vrrp.76`, () => d.lastState() === 'MASTER' && hasVip('d1', '10.71.0.56', 'vrrp.76'), 15_000, () => d.watch.tail(8));
      const before = link('d1', 'vrrp.76');
      lab.exec('d1', 'ip', ['link', 'del', 'vrrp.76']);
      await waitUntil(`${impl}: vrrp.76 back, up, with the VIP`, () => {
        const l = link('d1', 'vrrp.76');
        return l !== undefined && l.flags.includes('UP') && hasVip('d1', '10.71.0.56', 'vrrp.76') && d.lastState() === 'MASTER';
      }, 15_000, () => `${JSON.stringify(link('d1', 'vrrp.76'))}\n${d.watch.tail(10)}`);
      const after = link('d1', 'vrrp.76')!;
      seen[impl] = [after.address, after.linkinfo?.info_kind ?? '?', after.link ?? '?', String(before?.address === after.address), d.lastState()];
      d.signal('SIGTERM');
      await d.exited(10_000);
    }
    expect(seen.kts).toEqual(['00:00:5e:00:01:4c', 'macvlan', 'eth0', 'true', 'MASTER']);
    expect(seen.kts).toEqual(seen.keepalived);
  });
});
