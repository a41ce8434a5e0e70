#!/usr/bin/env node
// bench/checkers: 5,000 real servers with TCP_CHECK at delay_loop 1 (50 virtual servers x 100),
// keepalived 2.2.7's checker and keepalived-ts's checker on the same config, one after the
// other in one user-mode Linux guest (the host kernel has no IPVS, and keepalived's checker
// exits without it). Per implementation: CPU time of the checker process over the window,
// its peak RSS, and the jitter of the VRRP adverts the same daemon sends meanwhile.
// Targets (issue 5): CPU ratio <= 1.0, RSS <= 250 MB, advert jitter p99 <= 2 ms.
// Usage (root): npm run build && node bench/checkers.mjs [--vs 50] [--rs 100] [--warmup 20] [--window 30]
//   [--delay-loop 1] [--reload] [--snmp-walk]
// Environment: BENCH_ORDER=keepalived,kts (which, in order); RELOAD_WAIT_S (the longest wait for
// a reload's end, default 120)
// --snmp-walk (issue 19): both processes serve their MIBs to net-snmp's snmpd, and KEEPALIVED-MIB
// is walked (GetBulk) without pause through the window: the advert jitter under it, the walks'
// number and time.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runUml } from '../dist/src/lab/uml.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const vs = arg('vs', 50);
const rs = arg('rs', 100);
const warmup = arg('warmup', 20);
const windowS = arg('window', 30);
const delayLoop = arg('delay-loop', 1);
// --reload: after the window, SIGHUP with the same file (the time to a settled table)
const reload = process.argv.includes('--reload') ? 1 : 0;
const snmpWalk = process.argv.includes('--snmp-walk') ? 1 : 0;

const run = await runUml({
  script: `ulimit -n 65536; node bench/guest/checkers-guest.mjs ${vs} ${rs} ${warmup} ${windowS} ${delayLoop} ${reload} ${snmpWalk}`,
  memMb: 4096,
  timeoutMs: (2 * (warmup + windowS) + 240 + (vs * rs) / 100 + reload * 2 * (30 + Number(process.env.RELOAD_WAIT_S ?? 120))) * 1000,
  modules: ['ip_vs', 'ip_vs_wrr', 'dummy'],
  env: Object.fromEntries(['BENCH_ORDER', 'KTS_EXTRA_FLAGS', 'KTS_SNAPSHOT_SIGNAL', 'KTS_STRACE', 'KTS_SCHED_SAMPLE', 'KTS_NO_LISTINGS', 'KTS_HOLD_S', 'RELOAD_WAIT_S'].filter((k) => process.env[k]).map((k) => [k, process.env[k]])),
});
if (!run.files.has('result.json')) {
  console.error(run.log, run.console.slice(-2000));
  process.exit(1);
}
const results = JSON.parse(run.files.get('result.json'));
// --logs DIR: the daemons' logs of this run
const logs = process.argv.indexOf('--logs');
if (logs !== -1) {
  mkdirSync(process.argv[logs + 1], { recursive: true });
  for (const [name, text] of run.files) if (name.endsWith('.log') || name === 'result.json') writeFileSync(join(process.argv[logs + 1], name), text);
}
const by = Object.fromEntries(results.map((r) => [r.impl, r]));
const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : String(x));
console.log(`${vs * rs} real servers (${vs} VS x ${rs} RS), TCP_CHECK delay_loop ${delayLoop}, window ${windowS} s after ${warmup} s warm-up`);
console.log('impl        cpu%   cpu s  checker RSS MB  total RSS MB  dests  adverts  jitter p50/p99/max ms');
for (const r of results) {
  console.log(`${r.impl.padEnd(10)} ${f(r.cpuPct).padStart(5)} ${f(r.cpuS, 2).padStart(7)} ${f(r.checkerRssMb).padStart(15)} ${f(r.totalRssMb).padStart(13)} ${String(r.destsAfter).padStart(6)} ${String(r.adverts).padStart(8)}  ${f(r.jitterP50Ms, 2)}/${f(r.jitterP99Ms, 2)}/${f(r.jitterMaxMs, 2)}`);
}
console.log('impl        VRRP proc RSS MB  total PSS MB  total anon MB');
for (const r of results) console.log(`${r.impl.padEnd(10)} ${f(r.vrrpRssMb).padStart(16)} ${f(r.totalPssMb).padStart(13)} ${f(r.totalAnonMb).padStart(14)}`);
if (snmpWalk) {
  console.log('impl        SNMP objects/s  whole walks  failed  objects/walk  walk p50/max ms');
  for (const r of results) console.log(`${r.impl.padEnd(10)} ${f(r.snmp?.objectsPerS, 0).padStart(15)} ${String(r.snmp?.walks).padStart(12)} ${String(r.snmp?.failed).padStart(7)} ${String(r.snmp?.objects).padStart(13)}  ${f(r.snmp?.walkP50Ms, 0)}/${f(r.snmp?.walkMaxMs, 0)}`);
}
if (reload) {
  console.log('impl        after the reload: total RSS MB  VRRP proc RSS MB');
  for (const r of results) console.log(`${r.impl.padEnd(10)} ${f(r.reload?.after?.totalRssMb).padStart(28)} ${f(r.reload?.after?.vrrpRssMb).padStart(17)}`);
  console.log('impl        reload: HUP -> table applied / "reloaded" line ms (its own: read + checkers + ipvs)  fewest dests  dests after  longest advert gap ms');
  for (const r of results) {
    const own = r.reload?.checkerMs !== undefined ? `(${r.reload.checkerMs}: ${r.reload.readMs} + ${r.reload.checkersMs} + ${r.reload.ipvsMs}; checkers: flush wait ${r.reload.flushWaitMs}, prepare ${r.reload.prepareMs}, engine ${r.reload.engineMs}, carry-over ${r.reload.carryMs})` : '(no line)';
    console.log(`${r.impl.padEnd(10)} ${`${f(r.reload?.doneMs, 0)} / ${f(r.reload?.loggedMs, 0)}`.padStart(26)} ${own.padEnd(34)} ${String(r.reload?.fewestDests).padStart(13)} ${String(r.reload?.destsAfter).padStart(12)} ${f(r.reload?.longestAdvertGapMs, 0).padStart(22)}`);
    if (r.reload?.shortListing) console.log(`${r.impl.padEnd(10)} the first short listing: ${JSON.stringify(r.reload.shortListing)}`);
  }
}
for (const r of results) if (r.exited) console.log(`${r.impl}: the daemon stopped on its own ${r.exited.afterS} s after its start (code ${r.exited.code}, signal ${r.exited.signal})`);
console.log(`impl        TCP connects/s (the configuration asks ${f((vs * rs) / delayLoop, 0)})  failed connects/s  real server's accept queue overflows`);
for (const r of results) console.log(`${r.impl.padEnd(10)} ${f(r.connectsPerS, 0).padStart(37)} ${f(r.connectFailsPerS, 0).padStart(18)} ${String(r.listenOverflows ?? '-').padStart(37)}`);
for (const r of results) {
  if (r.scrapes?.length) console.log(`${r.impl.padEnd(10)} /metrics after the window: ${r.scrapes.map((x) => `${x.ms} ms, checker's part ${x.checkerPart ? `in${x.ageS ? ` (its servers' series ${x.ageS.toFixed(1)} s old)` : ''}` : 'missing'}`).join('; ')}`);
}
if (by.kts && by.keepalived) console.log(`CPU ratio keepalived-ts / keepalived = ${(by.kts.cpuS / by.keepalived.cpuS).toFixed(2)}`);
