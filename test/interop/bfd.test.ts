// BFD between keepalived-ts and two independent implementations, keepalived 2.2.7's BFD
// process and FRR's bfdd (Debian's frr), in namespaces (issue 20). With keepalived: the
// sessions come Up both ways; a track_bfd weight moves keepalived-ts's VRRP priority as the
// session goes Up and Down; a neighbour that dies (SIGKILL, so nothing says goodbye) is
// detected as "Control Detection Time Expired" by either side. Detection times are measured
// in bench/, not asserted here. Needs root and keepalived; uses dist/.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Bfdd } from '../../src/lab/bfdd.js';
import { directorConf } from '../../src/lab/configs.js';
import { Director } from '../../src/lab/director.js';
import { NetLab } from '../../src/lab/netlab.js';
import { skipUnless } from '../helpers/system.js';

const isRoot = process.getuid?.() === 0;
const A = '10.69.0.11';
const B = '10.69.0.12';

const bfd = (name: string, neighbor: string, extra = ''): string =>
  `bfd_instance ${name} {\n  neighbor_ip ${neighbor}\n  min_rx 100\n  min_tx 100\n  multiplier 5\n${extra}}\n`;

describe.skipIf(skipUnless(isRoot, 'root'))('BFD beside keepalived 2.2.7 (netns)', () => {
  let lab: NetLab;
  let running: Director[] = [];

  beforeAll(() => {
    lab = new NetLab('ktsbfd');
    lab.addHost({ name: 'a', addresses: [`${A}/24`] });
    lab.addHost({ name: 'b', addresses: [`${B}/24`] });
  });
  afterEach(() => {
    for (const d of running) d.cleanup();
    running = [];
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  /** keepalived 2.2.7 on b with these BFD sessions beside a VRRP instance of its own (its BFD pidfile apart) */
  let peers = 0;
  const ka = (sessions: string, vrrp = true): Director => {
    const conf = sessions + (vrrp ? directorConf({ vrid: 97, version: 3, advertInt: 1, priority: 100, vips: ['10.69.0.51/24'] }) : '');
    const d = new Director(lab, 'b', 'keepalived', conf, ['-b', join('/tmp', `ktsbfd-${process.pid}-${peers++}.pid`)]);
    running.push(d);
    return d;
  };
  const kts = (conf: string): Director => {
    const d = new Director(lab, 'a', 'kts', conf);
    running.push(d);
    return d;
  };

  it('sessions come Up both ways; track_bfd weighs on the priority; a killed keepalived is detected', async () => {
    const k = ka(bfd('to_kts', A));
    const t = kts(bfd('to_ka', B, '  weight -100\n') + directorConf({
      vrid: 98, version: 3, advertInt: 1, priority: 150, vips: ['10.69.0.52/24'], extra: ['track_bfd {', '  to_ka', '}'],
    }));
    await t.watch.waitFor(/\(to_ka\) Entering Up state/, 15_000);
    await k.watch.waitFor(/\(to_kts\) Entering Up state/, 15_000);
    // Down at start (keepalived's tracked BFD starts down): 150 - 100, then 150 once Up
    await t.watch.waitFor(/Changing effective priority from 50 to 150/, 5000);
    // killed while still at the slow rate of a new session, it would take 5 s to expire
    await t.watch.waitFor(/\(to_ka\) Detection time is 500000 us/, 10_000);
    const mark = t.watch.mark();
    k.signal('SIGKILL');
    await t.watch.waitFor(/\(to_ka\) Entering Down state \(Local diagnostic - Control Detection Time Expired/, 5000, mark);
    await t.watch.waitFor(/Changing effective priority from 150 to 50/, 5000, mark);
  });

  it('keepalived detects a killed keepalived-ts; a passive keepalived-ts comes Up with an active keepalived', async () => {
    const k = ka(bfd('to_kts', A));
    const t = kts(bfd('to_ka', B, '  passive\n') + directorConf({ vrid: 98, version: 3, advertInt: 1, priority: 150, vips: ['10.69.0.52/24'], extra: ['track_bfd {', '  to_ka', '}'] }));
    await t.watch.waitFor(/\(to_ka\) Entering Up state/, 15_000);
    await k.watch.waitFor(/\(to_kts\) Entering Up state/, 15_000);
    // keepalived names no session in this line; it has only this one
    await k.watch.waitFor(/Detection time is 500000 us/, 10_000);
    const mark = k.watch.mark();
    t.signal('SIGKILL');
    await k.watch.waitFor(/\(to_kts\) Entering Down state \(Local diagnostic - Control Detection Time Expired/, 5000, mark);
  });

  it('an IPv6 session with ttl 255 on both sides comes Up', async () => {
    lab.exec('a', 'ip', ['-6', 'addr', 'add', 'fd69::11/64', 'dev', 'eth0', 'nodad']);
    lab.exec('b', 'ip', ['-6', 'addr', 'add', 'fd69::12/64', 'dev', 'eth0', 'nodad']);
    const k = ka(bfd('to_kts6', 'fd69::11', '  hoplimit 255\n'));
    const t = kts(bfd('to_ka6', 'fd69::12', '  hoplimit 255\n') + directorConf({ vrid: 98, version: 3, advertInt: 1, priority: 150, vips: ['10.69.0.52/24'], extra: ['track_bfd {', '  to_ka6', '}'] }));
    await t.watch.waitFor(/\(to_ka6\) Entering Up state/, 15_000);
    await k.watch.waitFor(/\(to_kts6\) Entering Up state/, 15_000);
  });


  // FRR's bfdd on its own (no zebra), as user frr (its vty group), single hop with TTL 255
  it('FRR bfdd: a session comes Up with keepalived-ts; bfdd killed is Control Detection Time Expired', async () => {
    const frr = new Bfdd(lab, 'b', [{ address: A, rxMs: 100, txMs: 100, multiplier: 5 }]);
    try {
      await frr.started();
      const t = kts(bfd('to_frr', B) + directorConf({ vrid: 98, version: 3, advertInt: 1, priority: 150, vips: ['10.69.0.52/24'], extra: ['track_bfd {', '  to_frr weight -10', '}'] }));
      await t.watch.waitFor(/\(to_frr\) Entering Up state/, 15_000);
      await t.watch.waitFor(/Changing effective priority from 140 to 150/, 5000);
      // bfdd comes Up at the slow rate (1 s x 5) and only then polls down to 100 ms x 5:
      // killed before that poll ends, it would take 5 s to expire, not 0.5 s
      await t.watch.waitFor(/\(to_frr\) Detection time is 500000 us/, 10_000);
      const mark = t.watch.mark();
      frr.child.kill('SIGKILL');
      await t.watch.waitFor(/\(to_frr\) Entering Down state \(Local diagnostic - Control Detection Time Expired/, 5000, mark);
      await t.watch.waitFor(/Changing effective priority from 150 to 140/, 5000, mark);
    } finally {
      frr.stop();
    }
  });

  // bad input from the network (issue 20): malformed packets, a wrong TTL, unknown
  // discriminators and a flood are dropped (counted: test/unit/daemon/bfd-runner.test.ts) and
  // change nothing: the session stays Up, the VRRP instance stays MASTER
  it('hostile packets and a flood to port 3784: the session stays Up and VRRP does not move', async () => {
    const k = ka(bfd('to_kts', A), false);
    const t = kts(bfd('to_ka', B) + directorConf({ vrid: 99, version: 3, advertInt: 0.5, priority: 150, vips: ['10.69.0.53/24'], extra: ['track_bfd {', '  to_ka', '}'] }));
    await t.watch.waitFor(/\(to_ka\) Entering Up state/, 15_000);
    await t.state('MASTER', 10_000);
    const mark = t.watch.mark();
    const blaster = `
      const dgram = require('node:dgram');
      const s = dgram.createSocket('udp4');
      s.bind(49999, () => {
        const good = (v, len, discr) => { const b = Buffer.alloc(24); b[0] = (v << 5); b[1] = 0x40; b[2] = 3; b[3] = len; b.writeUInt32BE(7, 4); b.writeUInt32BE(discr, 8); b.writeUInt32BE(100000, 12); b.writeUInt32BE(100000, 16); return b; };
        const kinds = [Buffer.from([1, 2, 3]), good(0, 24, 0), good(1, 200, 0), good(1, 24, 0xdeadbeef), good(1, 10, 0), Buffer.alloc(1400, 0xff)];
        let n = 0;
        const burst = () => {
          for (let i = 0; i < 500; i++) s.send(kinds[n++ % kinds.length], 3784, '${A}');
          if (n < 20000) setImmediate(burst); else { s.setTTL(1); s.send(good(1, 24, 0), 3784, '${A}', () => s.close()); }
        };
        burst();
      });`;
    const r = spawnSync('ip', ['netns', 'exec', lab.host('b').ns, process.execPath, '-e', blaster], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`blaster: ${r.stderr}`);
    // a few detection times later: nothing moved
    await new Promise((res) => setTimeout(res, 2000));
    expect(t.watch.find(/\(to_ka\) Entering Down state/, mark)).toBeUndefined();
    expect(t.watch.find(/Entering (BACKUP|FAULT) STATE/, mark)).toBeUndefined();
    expect(t.watch.child.exitCode).toBeNull();
  });
});
