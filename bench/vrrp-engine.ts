// Benchmark of the sans-I/O VRRP engine (targets from issue 3):
//   1. decode + handle of one advert by a BACKUP instance: < 2 us
//   2. 1,000 instances (2 nodes x 500 VRIDs, adverts every second) for 1 hour of virtual
//      time on the simulated LAN: < 5 s of wall time
// keepalived has no in-process equivalent to run beside it, so the figures are printed
// against the targets only. Build and run (see bench/RESULTS.md):
//   npx tsc -p bench/tsconfig.vrrp.json && node bench/out/bench/vrrp-engine.js
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseIp } from '../src/util/ip.js';
import { VrrpEngine } from '../src/vrrp/engine.js';
import { decodeAdvert, encodeAdvert, VRRP_GROUP_INET, type RxExpect } from '../src/vrrp/packet.js';
import { SimLan, vi } from '../test/sim/lan.js';

function advertBench(): { handleNs: number; decodeNs: number } {
  const engine = new VrrpEngine({ instances: [vi('VI_1', 51, 100, '10.0.0.5')] });
  engine.handle(0, { type: 'start' });
  const data = encodeAdvert(
    { version: 2, vrid: 51, priority: 150, adverIntervalMs: 1000, addrs: [parseIp('10.0.51.1')!.bytes], authType: 0, authData: new Uint8Array(8) },
    { family: 'inet', src: parseIp('10.0.0.9')!.bytes, dst: VRRP_GROUP_INET, ipId: 1 },
  );
  const input = { type: 'packet' as const, interface: 'eth0', packet: { family: 'inet' as const, data } };
  const expect: RxExpect = {
    family: 'inet', version: 2, vrid: 51, authType: 0, authData: undefined, adverIntervalMs: 1000,
    vips: [parseIp('10.0.51.1')!.bytes], unicast: false, unicastPeers: [], checkUnicastSrc: false, checksumAsV2: false, unicastChecksum: 'new',
  };
  const n = 2_000_000;
  let now = 1;
  for (let i = 0; i < 200_000; i++) engine.handle((now += 1000), input); // warm-up
  let t0 = performance.now();
  for (let i = 0; i < n; i++) engine.handle((now += 1000), input);
  const handleNs = ((performance.now() - t0) * 1e6) / n;
  if (engine.instance('VI_1')!.state !== 'BACKUP') throw new Error('bench instance left BACKUP');
  let ok = 0;
  for (let i = 0; i < 200_000; i++) ok += decodeAdvert(input.packet, expect).ok ? 1 : 0;
  t0 = performance.now();
  for (let i = 0; i < n; i++) ok += decodeAdvert(input.packet, expect).ok ? 1 : 0;
  const decodeNs = ((performance.now() - t0) * 1e6) / n;
  if (ok !== n + 200_000) throw new Error('decode failed');
  return { handleNs, decodeNs };
}

function lanBench(perNode: number, hours: number): { seconds: number; cpuSeconds: number; adverts: number; masters: number } {
  const lan = new SimLan({ trace: false });
  for (const [name, addr, prio] of [['A', '10.0.0.1', 150], ['B', '10.0.0.2', 100]] as const) {
    const instances = Array.from({ length: perNode }, (_, i) =>
      vi(`VI_${i}`, (i % 250) + 1, prio, addr, { interface: `eth${Math.floor(i / 250)}` }));
    lan.addNode(name, addr, { instances });
  }
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  lan.startAll();
  lan.runUntil(hours * 3_600_000);
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const cpuSeconds = (c.user + c.system) / 1e6;
  const masters = lan.node('A').engine.instances.filter((i) => i.state === 'MASTER').length;
  return { seconds, cpuSeconds, adverts: lan.delivered, masters };
}

const a = advertBench();
console.log(`decode + handle of one advert (BACKUP): ${a.handleNs.toFixed(0)} ns  (target < 2000 ns)  ${a.handleNs < 2000 ? 'OK' : 'OVER'}`);
console.log(`decode alone:                           ${a.decodeNs.toFixed(0)} ns`);
const l = lanBench(500, 1);
console.log(`1,000 instances x 1 h virtual time:     ${l.seconds.toFixed(2)} s wall, ${l.cpuSeconds.toFixed(2)} s CPU  (target < 5 s)  ${l.seconds < 5 ? 'OK' : 'OVER'}`
  + `  [${l.adverts} adverts delivered, ${l.masters}/500 masters on A]`);
console.log(`load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} on ${os.cpus().length} CPUs`);
console.log(`node ${process.version}, ${process.arch}`);
