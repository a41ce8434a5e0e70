#!/usr/bin/env node
// bench/reliability: a VRRP pair under hostile packets, floods, link flaps and process faults
// (issue 23), keepalived-ts beside keepalived 2.2.7 in the same lab, one pair after the other.
//
// The pair: a (priority 150, MASTER) and b (priority 100, BACKUP), VRRPv3 at 0.1 s, VRID 72,
// one VIP; an attacker x on the same bridge sends from a raw socket (python3, the kernel writes
// the IP header). Scenarios, in order, each after the pair settled again:
//   hostile   the kinds keepalived drops, mixed, 2,000 packets/s for 5 s, as VRID 72: TTL 1, a
//             bad checksum, version 1, a short packet, an address count that does not match
//   foreign   valid VRRPv3 adverts of VRID 200 (nobody's), as fast as x can send, 10 s
//   random    random bytes of random length as protocol 112, as fast as x can send, 10 s
//   garbage   VRID 72 with a bad checksum, as fast as x can send, 10 s (keepalived's known
//             weakness: does every packet delay the master's next advert?)
//   flaps     a's link down 1 s / up 2 s, three times
//   stop      SIGSTOP a for 5 s, then SIGCONT
//   kill      SIGKILL a (then a fresh a)
// The faults go to every process of the daemon (keepalived: its parent and its VRRP child, as
// `pkill -STOP keepalived` would; a signal to keepalived's parent alone leaves the child that
// sends the adverts running, and a SIGKILLed parent makes the child stop cleanly).
// Printed per scenario and implementation: state changes on a and on b, the longest silence of
// a's adverts on the wire (tcpdump on the bridge, kernel timestamps), packets sent, and for
// the faults the backup's takeover time.
// Usage (root): npm run build && node bench/reliability.mjs [--impl kts,keepalived] [--seconds 10]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { directorConf } from '../dist/src/lab/configs.js';
import { Director } from '../dist/src/lab/director.js';
import { NetLab } from '../dist/src/lab/netlab.js';
import { sleep, waitUntil } from '../dist/src/lab/watch.js';
import { AdvertGaps } from '../dist/src/lab/advert-gaps.js';

/** Every process of the daemon: keepalived's parent and VRRP child (its -r pidfile), or keepalived-ts's one. */
function daemonSignal(d, sig) {
  const pids = [d.pid];
  if (d.impl === 'keepalived') {
    try { pids.push(Number(readFileSync(join(d.dir, 'v.pid'), 'utf8').trim())); } catch { /* not written */ }
  }
  for (const pid of pids) {
    try { process.kill(pid, sig); } catch { /* gone */ }
  }
}

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
};
const impls = arg('impl', 'kts,keepalived').split(',');
const floodS = Number(arg('seconds', 10));
const ADDR = { a: '10.72.0.11', b: '10.72.0.12', x: '10.72.0.99' };
const VRID = 72;

// kind, seconds, pps (0: as fast as it can): prints the number sent
const FLOOD = `
import os, random, socket, struct, sys, time
kind, dur, pps, src = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(src))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
def csum(b):
    if len(b) % 2: b += b'\\0'
    w = sum(struct.unpack('!%dH' % (len(b) // 2), b)); w = (w >> 16) + (w & 0xffff); w += w >> 16
    return (~w) & 0xffff
def v3(vrid, prio, count=1, good=True, version=3):
    body = struct.pack('!BBBBHH', (version << 4) | 1, vrid, prio, count, 10, 0) + socket.inet_aton('10.72.0.50')
    pseudo = socket.inet_aton(src) + socket.inet_aton('224.0.0.18') + struct.pack('!BBH', 0, 112, len(body))
    c = csum(pseudo + body) if good else 0x1234
    return body[:6] + struct.pack('!H', c) + body[8:]
hostile = [(1, v3(${VRID}, 50)), (255, v3(${VRID}, 50, good=False)), (255, v3(${VRID}, 50, version=1)), (255, v3(${VRID}, 50)[:6]), (255, v3(${VRID}, 50, count=3))]
def nxt(i):
    if kind == 'hostile': return hostile[i % len(hostile)]
    if kind == 'foreign': return (255, v3(200, 100))
    if kind == 'garbage': return (255, v3(${VRID}, 200, good=False))
    return (255, os.urandom(random.randint(1, 64)))
sent, t0, ttl = 0, time.monotonic(), 255
while time.monotonic() - t0 < dur:
    for i in range(100):
        t, pkt = nxt(sent)
        if t != ttl:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, t); ttl = t
        try: s.sendto(pkt, ('224.0.0.18', 0))
        except OSError: pass
        sent += 1
    if pps:
        d = t0 + sent / pps - time.monotonic()
        if d > 0: time.sleep(d)
print(sent)
`;

function run(lab, host, cmd, args) {
  return new Promise((resolve) => {
    const c = lab.spawn(host, cmd, args);
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    c.on('close', () => resolve(out.trim()));
  });
}

const conf = (priority) => directorConf({ vrid: VRID, version: 3, advertInt: 0.1, priority, vips: ['10.72.0.50/24'] });
const changes = (d, mark) => d.watch.count(/Entering \w+ STATE/, mark);

async function pair(lab, impl) {
  const a = new Director(lab, 'a', impl, conf(150));
  const b = new Director(lab, 'b', impl, conf(100));
  await a.state('MASTER', 15_000);
  await b.state('BACKUP', 15_000);
  await sleep(1000);
  return { a, b };
}

async function settled(lab, p) {
  await waitUntil('a master, b backup', () => p.a.lastState() === 'MASTER' && p.b.lastState() === 'BACKUP' && lab.hasAddress('a', '10.72.0.50'), 20_000,
    () => `${p.a.watch.tail(5)}\n${p.b.watch.tail(5)}`);
  await sleep(1000);
}

async function scenarios(lab, impl) {
  const rows = [];
  const gaps = new AdvertGaps(lab);
  let p = await pair(lab, impl);
  try {
    for (const [kind, seconds, pps] of [['hostile', 5, 2000], ['foreign', floodS, 0], ['random', floodS, 0], ['garbage', floodS, 0]]) {
      await settled(lab, p);
      const ma = p.a.watch.mark();
      const mb = p.b.watch.mark();
      gaps.start();
      const sent = await run(lab, 'x', 'python3', ['-c', FLOOD, kind, String(seconds), String(pps), ADDR.x]);
      await sleep(500);
      rows.push({ scenario: kind, sent: Number(sent), a: changes(p.a, ma), b: changes(p.b, mb), gap: gaps.of(ADDR.a)?.gap });
    }
    // link flaps
    await settled(lab, p);
    let ma = p.a.watch.mark();
    let mb = p.b.watch.mark();
    for (let i = 0; i < 3; i++) {
      lab.setCarrier('a', false);
      await sleep(1000);
      lab.setCarrier('a', true);
      await sleep(2000);
    }
    await settled(lab, p);
    rows.push({ scenario: 'flaps x3', a: changes(p.a, ma), b: changes(p.b, mb), note: 'a master again at the end' });
    // SIGSTOP 5 s
    ma = p.a.watch.mark();
    mb = p.b.watch.mark();
    const t0 = performance.now();
    daemonSignal(p.a, 'SIGSTOP');
    const took = await p.b.state('MASTER', 5000, mb).then((l) => l.at - t0, () => undefined);
    await sleep(Math.max(0, 5000 - (performance.now() - t0)));
    daemonSignal(p.a, 'SIGCONT');
    await settled(lab, p);
    rows.push({ scenario: 'SIGSTOP 5 s', a: changes(p.a, ma), b: changes(p.b, mb), takeover: took, note: 'a master again after SIGCONT' });
    // SIGKILL
    mb = p.b.watch.mark();
    const t1 = performance.now();
    daemonSignal(p.a, 'SIGKILL');
    const took2 = await p.b.state('MASTER', 5000, mb).then((l) => l.at - t1, () => undefined);
    rows.push({ scenario: 'SIGKILL', b: changes(p.b, mb), takeover: took2, note: `VIP on b: ${await waitUntil('VIP on b', () => lab.hasAddress('b', '10.72.0.50'), 3000).then(() => 'yes', () => 'no')}` });
  } finally {
    gaps.stop();
    p.a.cleanup();
    p.b.cleanup();
  }
  return rows;
}

const lab = new NetLab('ktsrel');
const results = {};
try {
  for (const [h, ip] of Object.entries(ADDR)) lab.addHost({ name: h, addresses: [`${ip}/24`] });
  for (const impl of impls) {
    results[impl] = await scenarios(lab, impl);
    await sleep(1000);
  }
} finally {
  await lab.destroy();
}
const fmt = (v, unit = '') => (v === undefined ? '-' : typeof v === 'number' ? `${v.toFixed(unit ? 1 : 0)}${unit}` : v);
console.log('| scenario | implementation | packets sent | state changes a / b | longest silence of a\'s adverts | takeover | note |');
console.log('|---|---|---|---|---|---|---|');
for (const [i, rows] of Object.entries(results)) {
  for (const r of rows) {
    console.log(`| ${r.scenario} | ${i === 'kts' ? 'keepalived-ts' : 'keepalived 2.2.7'} | ${fmt(r.sent)} | ${fmt(r.a)} / ${fmt(r.b)} | ${fmt(r.gap, ' ms')} | ${fmt(r.takeover, ' ms')} | ${r.note ?? ''} |`);
  }
}
