#!/usr/bin/env node
// bench/rx-flood-log: how much log a flood of bad VRRP adverts writes with -D (issue 23: one
// line per bad packet, 108 MB in a 30 s flood), keepalived-ts beside keepalived 2.2.7 in the
// same lab, one after the other.
//
// One director (VRRPv2, VRID 71, alone, so MASTER) in a namespace, started with -D and logging
// to its console (keepalived -l -D; keepalived-ts JSON lines on stderr). From a second
// namespace a raw socket sends adverts for VRID 71 at a fixed rate for `--seconds`, two kinds
// alternating: TTL 1 (keepalived "invalid TTL/HL") and TTL 255 with a wrong checksum ("Invalid
// VRRPv2 checksum"). Printed per implementation: packets sent, log lines and bytes the
// director wrote during the flood, and its receive counters where it has them.
// On a console keepalived writes a line per bad packet (it leaves the rate limiting to syslog).
// Usage (root): npm run build && node bench/rx-flood-log.mjs [--seconds 30] [--pps 5000]
import { spawn } from 'node:child_process';
import { directorConf } from '../dist/src/lab/configs.js';
import { Director } from '../dist/src/lab/director.js';
import { NetLab } from '../dist/src/lab/netlab.js';
import { sleep } from '../dist/src/lab/watch.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
};
const seconds = Number(arg('seconds', 30));
const pps = Number(arg('pps', 5000));
const impls = (arg('impl', 'kts,keepalived')).split(',');

// VRRPv2 adverts for VRID 71 from a raw socket (the kernel writes the IP header), paced in
// 10 ms batches; prints the number sent
const FLOOD = `
import socket, struct, sys, time
dur, pps = float(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(sys.argv[3]))
def adv(good_sum):
    body = struct.pack('!BBBBBBH', 0x21, 71, 90, 1, 0, 1, 0) + socket.inet_aton('10.71.0.100') + bytes(8)
    w = sum(struct.unpack('!%dH' % (len(body) // 2), body)); w = (w >> 16) + (w & 0xffff); w += w >> 16
    c = (~w) & 0xffff if good_sum else 0x1234
    return body[:6] + struct.pack('!H', c) + body[8:]
kinds = [(1, adv(True)), (255, adv(False))]
sent, t0, per = 0, time.monotonic(), max(1, pps // 100)
while time.monotonic() - t0 < dur:
    for i in range(per):
        ttl, pkt = kinds[sent % 2]
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
        s.sendto(pkt, ('224.0.0.18', 0))
        sent += 1
    nxt = t0 + sent / pps
    d = nxt - time.monotonic()
    if d > 0: time.sleep(d)
print(sent)
`;

function run(cmd, args) {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    c.on('close', () => resolve(out.trim()));
  });
}

const lab = new NetLab('ktsrf');
const rows = [];
try {
  lab.addHost({ name: 'd1', addresses: ['10.71.0.11/24'] });
  lab.addHost({ name: 'a', addresses: ['10.71.0.66/24'] });
  for (const impl of impls) {
    const d = new Director(lab, 'd1', impl, directorConf({ vrid: 71, version: 2, advertInt: 1, priority: 150, vips: ['10.71.0.100/24'] }), impl === 'kts' ? ['-D'] : []);
    try {
      await d.state('MASTER', 15_000);
      await sleep(1000);
      const from = d.watch.lines.length;
      const sent = Number(await run('ip', ['netns', 'exec', lab.host('a').ns, 'python3', '-c', FLOOD, String(seconds), String(pps), '10.71.0.66']));
      await sleep(2000); // summary lines of the last second
      const lines = d.watch.lines.slice(from);
      const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l.text) + 1, 0);
      rows.push({ impl, sent, lines: lines.length, bytes });
    } finally {
      d.cleanup();
      await sleep(500);
    }
  }
} finally {
  await lab.destroy();
}
console.log(`bad-advert flood, ${seconds} s at ${pps} packets/s (TTL 1 and bad checksum alternating), director at -D, ${new Date().toISOString()}`);
for (const r of rows) {
  console.log(`  ${r.impl.padEnd(10)} sent ${r.sent}  log lines ${r.lines}  log bytes ${r.bytes} (${(r.bytes / 1e6).toFixed(2)} MB)  bytes/packet ${(r.bytes / r.sent).toFixed(2)}`);
}
