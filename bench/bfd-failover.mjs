#!/usr/bin/env node
// bench/bfd-failover: how long a BFD-driven VRRP takeover takes (issue 20), keepalived 2.2.7
// and keepalived-ts side by side in one run, on the scenario of src/lab/bfd-failover.ts: a pair
// tracking its BFD sessions to a router running FRR's bfdd, whose link to the master dies
// silently. Each implementation runs on both directors, --runs times, alternating. Printed per
// implementation, in ms from the cut (p50 / max over the runs):
//   bfd down   the master's "(to_r) Entering Down state" line (detection: multiplier x interval)
//   takeover   the backup's "Entering MASTER STATE" line (the FAULT advert of priority 0, then
//              the backup's skew time)
// Line times are taken where the lines are read, so they include the log pipe.
// Usage (root): npm run build && node bench/bfd-failover.mjs [--runs 10] [--interval 50] [--multiplier 3]
import { addFailoverHosts, bfdFailover } from '../dist/src/lab/bfd-failover.js';
import { NetLab } from '../dist/src/lab/netlab.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
};
const RUNS = Number(arg('runs', 10));
const timers = { intervalMs: Number(arg('interval', 50)), multiplier: Number(arg('multiplier', 3)) };

const lab = new NetLab('ktsbfob');
process.on('SIGINT', () => void lab.destroy().then(() => process.exit(130)));
const pct = (xs, p) => xs.slice().sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

try {
  addFailoverHosts(lab);
  const runs = { keepalived: [], kts: [] };
  for (let i = 0; i < RUNS; i++) {
    for (const impl of ['keepalived', 'kts']) runs[impl].push(await bfdFailover(lab, impl, timers, `ktsbfob-${process.pid}-${impl}`));
  }
  const detection = timers.intervalMs * timers.multiplier;
  console.log(`bfd-failover: ${RUNS} runs each, BFD ${timers.intervalMs} ms x ${timers.multiplier} (detection ${detection} ms), VRRPv3 advert 1 s, backup priority 100`);
  console.log('impl        bfd down p50   max   takeover p50   max   VIP moved');
  const row = {};
  for (const [impl, rs] of Object.entries(runs)) {
    const down = rs.map((r) => r.bfdDownMs);
    const take = rs.map((r) => r.takeoverMs);
    row[impl] = { downP50: pct(down, 0.5), takeP50: pct(take, 0.5) };
    console.log(`${impl.padEnd(10)}  ${String(Math.round(pct(down, 0.5))).padStart(12)}  ${String(Math.round(Math.max(...down))).padStart(4)}  ${String(Math.round(pct(take, 0.5))).padStart(12)}  ${String(Math.round(Math.max(...take))).padStart(4)}  ${rs.filter((r) => r.vipMoved).length}/${rs.length}`);
  }
  console.log(`ratio kts/keepalived: bfd down p50 ${(row.kts.downP50 / row.keepalived.downP50).toFixed(2)}, takeover p50 ${(row.kts.takeP50 / row.keepalived.takeP50).toFixed(2)}`);
} finally {
  await lab.destroy();
}
