// SIGHUP reload on a real kernel (reference §f.4, keepalived-issues #4 / #15): VIPs present in
// both configurations are never removed, added ones are installed and GARPed, removed ones
// deleted, states kept, a broken configuration refused with the old one running on, and a
// storm of 100 HUPs in 10 s costs a client probing the VIP nothing while a backup watches.
// Needs root; uses dist/ (run after `npm run build`).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { directorConf, type DirectorConf } from '../../src/lab/configs.js';
import { Director } from '../../src/lab/director.js';
import { NetLab } from '../../src/lab/netlab.js';
import { LineWatch, sleep, waitUntil } from '../../src/lab/watch.js';
import { skipUnless } from '../helpers/system.js';

const isRoot = process.getuid?.() === 0;

describe.skipIf(skipUnless(isRoot, 'root'))('SIGHUP reload (netns)', () => {
  let lab: NetLab;
  let tmp: string;
  let running: Director[] = [];
  const children: ChildProcess[] = [];

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'kts-reload-'));
    lab = new NetLab('ktsrl');
    lab.addHost({ name: 'd1', addresses: ['10.64.0.11/24'] });
    lab.addHost({ name: 'd2', addresses: ['10.64.0.12/24'] });
    lab.addHost({ name: 'c', addresses: ['10.64.0.30/24'] });
  });
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    for (const d of running) d.cleanup();
    running = [];
  });
  afterAll(async () => {
    await lab?.destroy();
    rmSync(tmp, { recursive: true, force: true });
  });

  const start = (host: string, conf: string): Director => {
    const d = new Director(lab, host, 'kts', conf);
    running.push(d);
    return d;
  };
  const rewrite = (d: Director, conf: string): void => writeFileSync(join(d.dir, 'keepalived.conf'), conf);
  /** `ip monitor address` in a host: every address added or deleted from now on. */
  const monitor = (host: string): LineWatch => {
    const m = new LineWatch(lab.spawn(host, 'ip', ['monitor', 'address']));
    children.push(m.child);
    return m;
  };
  const base = (extra: Partial<DirectorConf> = {}): DirectorConf => ({ vrid: 91, version: 3, advertInt: 0.5, priority: 150, vips: ['10.64.0.50/24', '10.64.0.51/24'], ...extra });

  it('keeps the MASTER and the VIPs both configurations have; adds, GARPs and removes the rest; starts a new instance', async () => {
    const d = start('d1', directorConf(base()));
    await d.state('MASTER', 10_000);
    await waitUntil('VIPs', () => lab.hasAddress('d1', '10.64.0.50') && lab.hasAddress('d1', '10.64.0.51'), 3000);
    const mon = monitor('d1');
    await sleep(300);
    const arp = new LineWatch(lab.spawn('c', 'tcpdump', ['-l', '-n', '-i', 'eth0', 'arp']));
    children.push(arp.child);
    await sleep(500);
    const mark = d.watch.mark();
    // .51 leaves, .52 arrives, and a second instance appears
    rewrite(d, directorConf(base({ vips: ['10.64.0.50/24', '10.64.0.52/24'] }))
      + directorConf({ instance: 'VI_2', vrid: 92, version: 3, advertInt: 0.5, priority: 100, vips: ['10.64.0.60/24'] }).replace(/^global_defs \{[\s\S]*?\n\}\n/, ''));
    d.signal('SIGHUP');
    await d.watch.waitFor(/VRRP configuration reloaded/, 5000, mark);
    await waitUntil('.52 added', () => lab.hasAddress('d1', '10.64.0.52'), 3000);
    await waitUntil('.51 removed', () => !lab.hasAddress('d1', '10.64.0.51'), 3000);
    expect(lab.hasAddress('d1', '10.64.0.50')).toBe(true);
    // GARPs for the added VIP (keepalived re-sends them for every VIP when one was added)
    await arp.waitFor(/10\.64\.0\.52/, 3000);
    // VI_1 changed no state; VI_2 starts from INIT and, alone on its VRID, becomes MASTER
    await d.state('MASTER', 10_000, mark, 'VI_2');
    expect(d.watch.lines.slice(mark).filter((l) => /\(VI_1\) Entering/.test(l.text))).toEqual([]);
    await waitUntil('VI_2 VIP', () => lab.hasAddress('d1', '10.64.0.60'), 3000);
    // the kernel never saw .50 deleted
    expect(mon.lines.filter((l) => /Deleted.*10\.64\.0\.50\//.test(l.text))).toEqual([]);
    expect(mon.lines.some((l) => /Deleted.*10\.64\.0\.51\//.test(l.text))).toBe(true);

    // VI_2 leaves again: it drops its VIP
    const mark2 = d.watch.mark();
    rewrite(d, directorConf(base({ vips: ['10.64.0.50/24', '10.64.0.52/24'] })));
    d.signal('SIGHUP');
    await d.watch.waitFor(/VRRP configuration reloaded/, 5000, mark2);
    await waitUntil('VI_2 VIP removed', () => !lab.hasAddress('d1', '10.64.0.60'), 3000);
    expect(lab.hasAddress('d1', '10.64.0.50') && lab.hasAddress('d1', '10.64.0.52')).toBe(true);
    d.signal('SIGTERM');
    expect(await d.exited(10_000)).toBe(0);
  });

  it('virtual routes and rules: kept ones untouched, added ones installed, removed ones deleted', async () => {
    const routes = (list: string[]): string[] => ['virtual_routes {', ...list.map((r) => `  ${r}`), '}'];
    const rules = (list: string[]): string[] => ['virtual_rules {', ...list.map((r) => `  ${r}`), '}'];
    const d = start('d1', directorConf(base({
      extra: [...routes(['10.81.0.0/16 via 10.64.0.1 dev eth0 table 101', '10.82.0.0/16 via 10.64.0.1 dev eth0 table 101']),
        ...rules(['from 10.64.0.50/32 table 101'])],
    })));
    await d.state('MASTER', 10_000);
    const table = (): string => lab.exec('d1', 'ip', ['route', 'show', 'table', '101']).stdout;
    await waitUntil('routes', () => table().includes('10.81.0.0/16') && table().includes('10.82.0.0/16'), 3000);
    const mon = new LineWatch(lab.spawn('d1', 'ip', ['monitor', 'route', 'rule']));
    children.push(mon.child);
    await sleep(300);
    const mark = d.watch.mark();
    rewrite(d, directorConf(base({
      extra: [...routes(['10.81.0.0/16 via 10.64.0.1 dev eth0 table 101', '10.83.0.0/16 via 10.64.0.1 dev eth0 table 101']),
        ...rules(['from 10.64.0.50/32 table 101', 'from 10.64.0.51/32 table 101'])],
    })));
    d.signal('SIGHUP');
    await d.watch.waitFor(/VRRP configuration reloaded/, 5000, mark);
    await waitUntil('10.83 added, 10.82 removed', () => table().includes('10.83.0.0/16') && !table().includes('10.82.0.0/16'), 3000);
    await waitUntil('rule added', () => /from 10\.64\.0\.51 lookup 101/.test(lab.exec('d1', 'ip', ['rule']).stdout), 3000);
    await sleep(300);
    const deleted = mon.lines.filter((l) => l.text.startsWith('Deleted')).map((l) => l.text);
    expect(deleted.some((t) => t.includes('10.82.0.0/16'))).toBe(true);
    expect(deleted.filter((t) => t.includes('10.81.0.0/16') || /from 10\.64\.0\.50 /.test(t))).toEqual([]);
    expect(table()).toContain('10.81.0.0/16');
    d.signal('SIGTERM');
    expect(await d.exited(10_000)).toBe(0);
    expect(table().trim()).toBe('');
  });

  it('refuses a broken configuration and runs on with the old one', async () => {
    const d = start('d1', directorConf(base()));
    await d.state('MASTER', 10_000);
    const mark = d.watch.mark();
    rewrite(d, directorConf(base()).replace('interface eth0', 'interface nosuchif0'));
    d.signal('SIGHUP');
    await d.watch.waitFor(/reload refused|reload failed/, 5000, mark);
    await sleep(1500);
    expect(d.lastState()).toBe('MASTER');
    expect(lab.hasAddress('d1', '10.64.0.50')).toBe(true);
    // and a good configuration afterwards still reloads
    rewrite(d, directorConf(base({ vips: ['10.64.0.50/24'] })));
    d.signal('SIGHUP');
    await d.watch.waitFor(/VRRP configuration reloaded/, 5000, mark);
    await waitUntil('.51 removed', () => !lab.hasAddress('d1', '10.64.0.51'), 3000);
    expect(d.watch.child.exitCode).toBeNull();
  });

  it('100 HUPs in 10 s: no probe lost, no state change on either director, no VIP removed', async () => {
    const d1 = start('d1', directorConf(base()));
    const d2 = start('d2', directorConf(base({ priority: 100 })));
    await d1.state('MASTER', 10_000);
    await d2.state('BACKUP', 10_000);
    await sleep(1000);
    const mon = monitor('d1');
    const m1 = d1.watch.mark();
    const m2 = d2.watch.mark();
    // the client pings the VIP every 10 ms for the whole storm
    const ping = spawn('ip', ['netns', 'exec', lab.host('c').ns, 'ping', '-n', '-q', '-i', '0.01', '-W', '1', '-w', '15', '10.64.0.50'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(ping);
    let out = '';
    ping.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const pingDone = new Promise<void>((res) => ping.once('exit', () => res()));
    await sleep(500);
    for (let i = 0; i < 100; i++) {
      d1.signal('SIGHUP');
      await sleep(100);
    }
    await pingDone;
    const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
    expect(m, out).not.toBeNull();
    const [sent, got] = [Number(m![1]), Number(m![2])];
    expect(sent).toBeGreaterThan(500);
    expect(sent - got).toBe(0);
    expect(d1.watch.lines.slice(m1).filter((l) => /Entering/.test(l.text))).toEqual([]);
    expect(d2.watch.lines.slice(m2).filter((l) => /Entering/.test(l.text))).toEqual([]);
    expect(mon.lines.filter((l) => /Deleted/.test(l.text))).toEqual([]);
    // the HUPs that arrived during a reload were folded into the next one, none was lost for good
    expect(d1.watch.lines.slice(m1).filter((l) => /VRRP configuration reloaded/.test(l.text)).length).toBeGreaterThan(10);
  });

  it('keeps one generation alive across 100 reloads (issue 23: each reload kept the one before it)', () => {
    // 20 instances, a sync group, a tracked script and a notify script; B drops an instance,
    // moves a VIP and changes the notify script, so each reload retires, starts, re-diffs and
    // re-opens the notifier. The child counts live objects after a full GC (v8.queryObjects).
    const conf = (variant: 'a' | 'b'): string => {
      const n = variant === 'a' ? 20 : 19;
      const lines = ['global_defs {', '  router_id census', '  enable_script_security', '  script_user root', '}',
        'vrrp_script chk_ok {', '  script "/bin/true"', '  interval 1', '  weight -10', '}',
        'vrrp_sync_group G1 {', '  group {', '    CE_1', '    CE_2', '  }', '}'];
      for (let i = 1; i <= n; i++) {
        lines.push(`vrrp_instance CE_${i} {`, '  interface eth0', `  virtual_router_id ${200 + i}`, '  priority 120', '  advert_int 0.05', '  version 3',
          `  virtual_ipaddress {`, `    10.64.0.${100 + i}/24`, ...(i === 3 ? [`    10.64.0.${variant === 'a' ? 150 : 151}/24`] : []), '  }',
          ...(i === 1 ? ['  track_script {', '    chk_ok', '  }', `  notify "/bin/${variant === 'a' ? 'true' : 'false'}"`] : []), '}');
      }
      return `${lines.join('\n')}\n`;
    };
    writeFileSync(join(tmp, 'census-a.conf'), conf('a'));
    writeFileSync(join(tmp, 'census-b.conf'), conf('b'));
    const child = 'test/netns/reload-census-child.mjs';
    const r = lab.exec('d1', 'node', ['--no-warnings', child, join(tmp, 'census-a.conf'), join(tmp, 'census-b.conf'), '100', tmp], 120_000);
    expect(r.rc, r.stderr).toBe(0);
    const { before, after } = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<'before' | 'after', Record<string, number>>;
    expect(before).toEqual({ engines: 1, instances: 20, runners: 1, drivers: 1 });
    // after an even number of reloads configuration A (20 instances) runs again
    expect(after).toEqual({ engines: 1, instances: 20, runners: 1, drivers: 1 });
  });
});
