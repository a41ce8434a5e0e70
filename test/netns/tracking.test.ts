// Trackers of the running daemon against the real kernel and file system: the instance's own
// interface losing its address (FAULT and back), track_file weights moving the master, and
// track_process following a process that starts and stops. Needs root; uses dist/.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { directorConf } from '../../src/lab/configs.js';
import { Director } from '../../src/lab/director.js';
import { NetLab } from '../../src/lab/netlab.js';
import { waitUntil } from '../../src/lab/watch.js';
import { skipUnless } from '../helpers/system.js';

const isRoot = process.getuid?.() === 0;

describe.skipIf(skipUnless(isRoot, 'root'))('trackers in the running daemon (netns)', () => {
  let lab: NetLab;
  let tmp: string;
  let running: Director[] = [];

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'kts-track-'));
    lab = new NetLab('ktstr');
    lab.addHost({ name: 'd1', addresses: ['10.65.0.11/24'] });
    lab.addHost({ name: 'd2', addresses: ['10.65.0.12/24'] });
  });
  afterEach(() => {
    for (const d of running) d.cleanup();
    running = [];
  });
  afterAll(async () => {
    await lab?.destroy();
    rmSync(tmp, { recursive: true, force: true });
  });
  const hasVip = (host: string, vip: string): boolean => lab.hasAddress(host, vip);

  it('the own interface losing its address is a FAULT; the address back clears it', async () => {
    const d = new Director(lab, 'd1', 'kts', directorConf({ vrid: 91, version: 3, advertInt: 0.25, priority: 150, vips: ['10.65.0.50/24'] }));
    running.push(d);
    await d.state('MASTER', 10_000);
    const mark = d.watch.mark();
    lab.exec('d1', 'ip', ['addr', 'del', '10.65.0.11/24', 'dev', 'eth0']);
    try {
      await d.state('FAULT', 5000, mark);
      await waitUntil('VIP released', () => !hasVip('d1', '10.65.0.50'), 3000);
    } finally {
      lab.exec('d1', 'ip', ['addr', 'add', '10.65.0.11/24', 'dev', 'eth0']);
    }
    await d.state('BACKUP', 5000, mark);
    await d.state('MASTER', 5000, mark);
  });

  // keepalived vrrp_complete_instance: the interface of a VIP (and of a virtual route or rule)
  // is tracked without a weight, unless the address says no_track
  for (const impl of ['keepalived', 'kts'] as const) {
    it(`${impl}: a VIP's own interface going down is a FAULT, unless the VIP says no_track`, async () => {
      lab.exec('d1', 'ip', ['link', 'add', 'vx0', 'type', 'veth', 'peer', 'name', 'vx1']);
      lab.exec('d1', 'ip', ['link', 'set', 'vx1', 'up']);
      lab.exec('d1', 'ip', ['link', 'set', 'vx0', 'up']);
      try {
        const d = new Director(lab, 'd1', impl, directorConf({
          vrid: 92, version: 3, advertInt: 0.25, priority: 150, vips: ['10.65.0.52/24', '10.66.0.52/24 dev vx0', '10.66.1.52/24 dev vx1 no_track'],
        }));
        running.push(d);
        await d.state('MASTER', 10_000);
        let mark = d.watch.mark();
        lab.exec('d1', 'ip', ['link', 'set', 'vx1', 'down']); // no_track: nothing happens
        lab.exec('d1', 'ip', ['link', 'set', 'vx1', 'up']);
        lab.exec('d1', 'ip', ['link', 'set', 'vx0', 'down']);
        await d.state('FAULT', 5000, mark);
        expect(d.watch.find(/Entering \w+ STATE/, mark)?.text).toMatch(/FAULT/);
        mark = d.watch.mark();
        lab.exec('d1', 'ip', ['link', 'set', 'vx0', 'up']);
        await d.state('MASTER', 10_000, mark);
      } finally {
        lab.exec('d1', 'ip', ['link', 'del', 'vx0']);
      }
    });
  }

  // keepalived vrrp_if.c if_linkbeat_refresh_thread: a polled interface's carrier is read with
  // ETHTOOL_GLINK every second (a veth has no MII), and its rtnetlink reports are ignored
  for (const impl of ['keepalived', 'kts'] as const) {
    it(`${impl}: linkbeat_interfaces polls a tracked interface's carrier, not rtnetlink`, async () => {
      lab.exec('d1', 'ip', ['link', 'add', 'lb0', 'type', 'veth', 'peer', 'name', 'lb1']);
      lab.exec('d1', 'ip', ['link', 'set', 'lb1', 'up']);
      lab.exec('d1', 'ip', ['link', 'set', 'lb0', 'up']);
      try {
        const d = new Director(lab, 'd1', impl, 'linkbeat_interfaces {\n  lb0\n  eth0 MII\n}\n' + directorConf({
          vrid: 94, version: 3, advertInt: 0.25, priority: 150, vips: ['10.65.0.53/24'], extra: ['track_interface {', '  lb0', '}'],
        }));
        running.push(d);
        await d.state('MASTER', 10_000);
        // eth0 is tracked (the instance's own) but no veth has MII registers: polled with ETHTOOL
        expect(d.watch.find(/Configured linkbeat type MII not supported, using ETHTOOL/)).toBeDefined();
        let mark = d.watch.mark();
        lab.exec('d1', 'ip', ['link', 'set', 'lb1', 'down']); // lb0 loses its carrier
        await d.watch.waitFor(/Linkbeat reports lb0 down/, 5000, mark);
        await d.state('FAULT', 5000, mark);
        await waitUntil('VIP released', () => !hasVip('d1', '10.65.0.53'), 3000);
        mark = d.watch.mark();
        lab.exec('d1', 'ip', ['link', 'set', 'lb1', 'up']);
        await d.watch.waitFor(/Linkbeat reports lb0 up/, 5000, mark);
        await d.state('MASTER', 10_000, mark);
        expect(d.watch.find(/Netlink reports lb0/)).toBeUndefined();
      } finally {
        lab.exec('d1', 'ip', ['link', 'del', 'lb0']);
      }
    });
  }

  // keepalived vrrp_complete_instance: a multicast instance on a link without IFF_MULTICAST is
  // disabled (a configuration fault: FAULT from the start, whatever happens)
  for (const impl of ['keepalived', 'kts'] as const) {
    it(`${impl}: an instance on a link without multicast and no unicast peers stays in FAULT`, async () => {
      lab.exec('d1', 'ip', ['link', 'add', 'nm0', 'type', 'veth', 'peer', 'name', 'nm1']);
      lab.exec('d1', 'ip', ['link', 'set', 'nm1', 'up']);
      lab.exec('d1', 'ip', ['link', 'set', 'nm0', 'multicast', 'off', 'up']);
      lab.exec('d1', 'ip', ['addr', 'add', '10.67.0.11/24', 'dev', 'nm0']);
      try {
        const d = new Director(lab, 'd1', impl, directorConf({ vrid: 95, version: 3, advertInt: 0.25, priority: 150, interface: 'nm0', vips: ['10.67.0.50/24'] }));
        running.push(d);
        await d.watch.waitFor(/interface nm0 does not support multicast, specify unicast peers - disabling/, 10_000);
        // keepalived starts it in FAULT without a word; keepalived-ts says "Entering FAULT STATE (init)"
        if (impl === 'kts') await d.state('FAULT', 10_000);
        // many master-down intervals: never MASTER, no VIP
        await new Promise((r) => setTimeout(r, 2500));
        expect(d.watch.find(/Entering (MASTER|BACKUP) STATE/)).toBeUndefined();
        expect(hasVip('d1', '10.67.0.50')).toBe(false);
      } finally {
        lab.exec('d1', 'ip', ['link', 'del', 'nm0']);
      }
    });
  }

  // keepalived vrrp_complete_instance: unicast_fault_no_peer without peers is a configuration fault
  for (const impl of ['keepalived', 'kts'] as const) {
    it(`${impl}: unicast_fault_no_peer without peers logs why and stays in FAULT`, async () => {
      const d = new Director(lab, 'd1', impl, directorConf({ vrid: 96, version: 3, advertInt: 0.25, priority: 150, vips: ['10.65.0.54/24'], extra: ['unicast_fault_no_peer'] }));
      running.push(d);
      await d.watch.waitFor(/\(VI_1\) Cannot use unicast without any peers - going to fault state/, 10_000);
      await new Promise((r) => setTimeout(r, 2500));
      expect(d.watch.find(/Entering (MASTER|BACKUP) STATE/)).toBeUndefined();
      expect(hasVip('d1', '10.65.0.54')).toBe(false);
    });
  }

  it('track_file: a weight from the file lowers the master below the backup, and back', async () => {
    const file = join(tmp, 'weight');
    writeFileSync(file, '0\n');
    const extraGlobal = `vrrp_track_file tf {\n  file ${file}\n  weight 1\n}\n`;
    const conf = (prio: number, track: boolean) => extraGlobal + directorConf({
      vrid: 92, version: 3, advertInt: 0.25, priority: prio, vips: ['10.65.0.51/24'],
      ...(track ? { extra: ['track_file {', '  tf', '}'] } : {}),
    });
    const d1 = new Director(lab, 'd1', 'kts', conf(150, true));
    const d2 = new Director(lab, 'd2', 'kts', conf(100, false));
    running.push(d1, d2);
    await waitUntil('d1 master', () => d1.lastState() === 'MASTER' && d2.lastState() === 'BACKUP' && hasVip('d1', '10.65.0.51'), 15_000);
    const m2 = d2.watch.mark();
    writeFileSync(file, '-80\n');
    await d1.watch.waitFor(/Changing effective priority from 150 to 70/, 5000);
    await d2.state('MASTER', 5000, m2);
    await waitUntil('VIP on d2', () => hasVip('d2', '10.65.0.51') && !hasVip('d1', '10.65.0.51'), 5000);
    const m1 = d1.watch.mark();
    writeFileSync(file, '0\n');
    await d1.state('MASTER', 5000, m1);
    await waitUntil('VIP back on d1', () => hasVip('d1', '10.65.0.51') && !hasVip('d2', '10.65.0.51'), 5000);
    expect(d1.watch.find(/Entering FAULT STATE/)).toBeUndefined();
  });

  it('track_process: the instance is FAULT while the process is missing and recovers when it runs', async () => {
    // a uniquely named process: a copy of sleep under our own name
    const name = `ktssleep${process.pid % 10000}`;
    const bin = join(tmp, name);
    lab.exec('d1', 'cp', ['/bin/sleep', bin]);
    const conf = `vrrp_track_process proc {\n  process ${name}\n}\n` + directorConf({
      vrid: 93, version: 3, advertInt: 0.25, priority: 150, vips: ['10.65.0.52/24'], extra: ['track_process {', '  proc', '}'],
    });
    const d = new Director(lab, 'd1', 'kts', conf);
    running.push(d);
    await d.state('FAULT', 10_000);
    expect(hasVip('d1', '10.65.0.52')).toBe(false);
    const child = spawn(bin, ['30'], { stdio: 'ignore' });
    try {
      await d.state('MASTER', 10_000);
      await waitUntil('VIP', () => hasVip('d1', '10.65.0.52'), 3000);
      const mark = d.watch.mark();
      child.kill('SIGKILL');
      await d.state('FAULT', 10_000, mark);
      await waitUntil('VIP released', () => !hasVip('d1', '10.65.0.52'), 3000);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
