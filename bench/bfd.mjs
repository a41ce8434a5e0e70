#!/usr/bin/env node
// bench/bfd: 100 BFD sessions at 50 ms x 3 (issue 20), keepalived-ts and keepalived 2.2.7 side
// by side in one run. Host `a` runs the implementation under test with N bfd_instances, one to
// each of N addresses of host `b`; `b` runs keepalived 2.2.7 as the peer of every session (its
// bfd_instances sourced from those addresses). Each implementation takes its turn on `a`.
// Printed per implementation:
//   up       ms from the start until every session logged "Entering Up state"
//   cpu      CPU ms per second of the process that runs the sessions, over --seconds once all
//            are Up (keepalived: its BFD child, keepalived-ts: the VRRP process)
//   up       sessions Up (the peer, keepalived, may not keep them all Up), flaps: Down lines
//            while the peer ran (a late peer), down: sessions that saw the peer die
//   detect   ms from SIGKILL of the peer to each session's "Entering Down state" line
//            (p50 / max), against multiplier x interval = 150 ms; the lines' arrival times
//            are taken where they are read, so they include the log pipe
// With --peer same, b runs the implementation under test as well (each against itself).
// Usage (root): npm run build && node bench/bfd.mjs [--sessions 100] [--seconds 20] [--rt-priority 0] [--peer same]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Director } from '../dist/src/lab/director.js';
import { NetLab } from '../dist/src/lab/netlab.js';
import { sleep, waitUntil } from '../dist/src/lab/watch.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
};
const N = Number(arg('sessions', 100));
const SECONDS = Number(arg('seconds', 20));
/** --rt-priority P: keepalived-ts's vrrp_rt_priority (its default is SCHED_RR 1; 0 is keepalived's normal scheduling) */
const RT = arg('rt-priority');
/** --peer same: host b runs the implementation under test too (default: keepalived 2.2.7 for both) */
const PEER = arg('peer', 'keepalived');
const A = '10.72.0.1';
const peerAddr = (i) => `10.72.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
const timers = '  min_rx 50\n  min_tx 50\n  multiplier 3\n';

const lab = new NetLab('ktsbfdb');
const running = [];
const cleanup = async () => {
  for (const d of running) d.cleanup();
  await lab.destroy();
};
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

const cpuMs = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
const pct = (xs, p) => xs.slice().sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

try {
  lab.addHost({ name: 'a', addresses: [`${A}/16`] });
  lab.addHost({ name: 'b', addresses: [`${peerAddr(0)}/16`] });
  for (let i = 1; i < N; i++) lab.exec('b', 'ip', ['addr', 'add', `${peerAddr(i)}/16`, 'dev', 'eth0']);
  const ktsGlobals = RT !== undefined ? `global_defs {\n  vrrp_rt_priority ${RT}\n}\n` : '';
  const underTest = Array.from({ length: N }, (_, i) => `bfd_instance s${i} {\n  neighbor_ip ${peerAddr(i)}\n${timers}}\n`).join('');
  const peerConf = Array.from({ length: N }, (_, i) => `bfd_instance p${i} {\n  neighbor_ip ${A}\n  source_ip ${peerAddr(i)}\n${timers}}\n`).join('');
  const results = {};
  for (const impl of ['keepalived', 'kts']) {
    const peerImpl = PEER === 'same' ? impl : 'keepalived';
    const peer = new Director(lab, 'b', peerImpl, peerConf, peerImpl === 'keepalived' ? ['-b', join('/tmp', `ktsbfdb-${process.pid}-peer.pid`)] : []);
    running.push(peer);
    const t0 = performance.now();
    const bfdPid = join('/tmp', `ktsbfdb-${process.pid}-a.pid`);
    const d = new Director(lab, 'a', impl, impl === 'kts' ? ktsGlobals + underTest : underTest, impl === 'keepalived' ? ['-b', bfdPid] : []);
    running.push(d);
    const ups = () => d.watch.count(/\(s\d+\) Entering Up state/);
    // keepalived's own BFD process does not always bring every session Up on this machine:
    // measured as it is, with the count reported
    await waitUntil(`${impl}: ${N} sessions Up`, () => ups() >= N, 60_000).catch(() => undefined);
    const upMs = performance.now() - t0;
    await sleep(1000);
    const pid = impl === 'keepalived' ? Number(readFileSync(bfdPid, 'utf8').trim()) : d.pid;
    const c0 = cpuMs(pid);
    const w0 = performance.now();
    await sleep(SECONDS * 1000);
    const cpu = (cpuMs(pid) - c0) / ((performance.now() - w0) / 1000);
    const mark = d.watch.mark();
    const flapped = d.watch.count(/\(s\d+\) Entering Down state/);
    const killedAt = performance.now();
    peer.signal('SIGKILL');
    await waitUntil(`${impl}: ${N} sessions Down`, () => d.watch.count(/\(s\d+\) Entering Down state/, mark) >= N, 10_000).catch(() => undefined);
    const detect = d.watch.lines.slice(mark).filter((l) => /\(s\d+\) Entering Down state/.test(l.text)).map((l) => l.at - killedAt);
    results[impl] = { up: ups(), down: detect.length, upMs: Math.round(upMs), cpuMsPerS: Math.round(cpu * 10) / 10, detectP50: Math.round(pct(detect, 0.5)), detectMax: Math.round(Math.max(...detect)), flapsBeforeKill: flapped };
    d.cleanup();
    peer.cleanup();
    running.length = 0;
    await sleep(1000);
  }
  console.log(`bfd: ${N} sessions at 50 ms x 3 (detection 150 ms), CPU over ${SECONDS} s, peer ${PEER === 'same' ? 'the same implementation' : 'keepalived'}`);
  console.log('impl        up  up(ms)  cpu(ms/s)  flaps  down  detect p50  detect max');
  for (const [impl, r] of Object.entries(results)) {
    console.log(`${impl.padEnd(10)}  ${String(r.up).padStart(3)}  ${String(r.upMs).padStart(6)}  ${String(r.cpuMsPerS).padStart(9)}  ${String(r.flapsBeforeKill).padStart(5)}  ${String(r.down).padStart(4)}  ${String(r.detectP50).padStart(10)}  ${String(r.detectMax).padStart(10)}`);
  }
  const k = results.keepalived;
  const t = results.kts;
  console.log(`ratio kts/keepalived: cpu ${(t.cpuMsPerS / k.cpuMsPerS).toFixed(2)}, detect p50 ${(t.detectP50 / k.detectP50).toFixed(2)}`);
} finally {
  await cleanup();
}
