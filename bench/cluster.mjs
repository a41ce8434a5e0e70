#!/usr/bin/env node
// bench/cluster: an LVS-DR cluster (client, two directors, two real servers; one network
// namespace each, one bridged LAN) in one user-mode Linux guest, keepalived-ts and keepalived
// 2.2.7 as the directors in turn, the same configs, each with lvs_sync_daemon off and on.
// Per run: keep-alive-less HTTP requests per second through the master director (sequential,
// and CONCURRENCY at a time), then the master's LAN link goes down while the client sends a
// request every 10 ms (open loop, 300 ms timeout each) with a long-lived TCP connection open:
// takeover time (until the backup holds the VIP, polled every 20 ms), client-observed outage
// (longest gap between the send times of answered requests),
// failed requests, and whether the connection survived. Each trial runs all four cases, the
// order of the implementations swapped on every other trial; the summary gives medians.
// Guest side: bench/guest/cluster-guest.mjs.
// Usage (root): npm run build && node bench/cluster.mjs [--n 300] [--concurrency 8] [--trials 3] [--order kts,keepalived]
import { IPVS_MODULES, runUml } from '../dist/src/lab/uml.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
};
const n = Number(arg('n', '300'));
const concurrency = Number(arg('concurrency', '8'));
const trials = Number(arg('trials', '3'));
const order = arg('order', 'kts,keepalived');

const t0 = Date.now();
const run = await runUml({
  script: `node bench/guest/cluster-guest.mjs ${n} ${concurrency} ${order} ${trials}`,
  memMb: 1024,
  timeoutMs: 300_000 * trials,
  modules: [...IPVS_MODULES, 'veth', 'bridge'],
});
if (!run.files.has('result.json')) {
  console.error(run.log, run.console.slice(-2000));
  process.exit(1);
}
const results = JSON.parse(run.files.get('result.json'));
const f = (x) => (x === undefined || x === null ? '-' : String(x));
const label = (impl) => (impl === 'kts' ? 'keepalived-ts' : 'keepalived 2.2.7');
console.log(`LVS-DR, ${n} keep-alive-less HTTP requests per rate figure, concurrency 1 and ${concurrency}; ${trials} trial(s); guest run ${Math.round((Date.now() - t0) / 1000)} s`);
console.log('| trial | implementation | lvs_sync_daemon | req/s seq | req/s x' + concurrency + ' | takeover ms | client outage ms | failed requests | long-lived connection |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const conn = r.error ? `error: ${r.error}` : r.connSurvived ? `survived (max gap ${r.connMaxGapMs} ms)`
    : `lost (${f(r.connErr)}; ${r.backupHadConn ? 'the backup had it before' : 'not on the backup before'})`;
  console.log(`| ${r.trial + 1} | ${label(r.impl)} | ${r.sync ? 'on' : 'off'} | ${f(r.rpsSeq)} | ${f(r.rpsPar)} | ${f(r.takeoverMs)} | ${f(r.outageMs)} | ${f(r.failed)}/${f(r.requests)} | ${conn} |`);
}
const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
console.log('\nMedians over the trials:\n');
console.log(`| implementation | lvs_sync_daemon | req/s seq | req/s x${concurrency} | takeover ms | client outage ms | connection survived |`);
console.log('|---|---|---|---|---|---|---|');
const summary = {};
for (const sync of [false, true]) {
  for (const impl of ['kts', 'keepalived']) {
    const rs = results.filter((r) => r.impl === impl && r.sync === sync);
    if (rs.length === 0) continue;
    const m = {
      rpsSeq: median(rs.map((r) => r.rpsSeq)), rpsPar: median(rs.map((r) => r.rpsPar)),
      takeoverMs: median(rs.map((r) => r.takeoverMs)), outageMs: median(rs.map((r) => r.outageMs)),
      survived: rs.filter((r) => r.connSurvived).length,
    };
    summary[`${impl}/${sync}`] = m;
    console.log(`| ${label(impl)} | ${sync ? 'on' : 'off'} | ${f(m.rpsSeq)} | ${f(m.rpsPar)} | ${f(m.takeoverMs)} | ${f(m.outageMs)} | ${m.survived}/${rs.length} |`);
  }
}
const ratio = (a, b) => (a && b ? (a / b).toFixed(2) : '-');
for (const sync of [false, true]) {
  const k = summary[`kts/${sync}`];
  const c = summary[`keepalived/${sync}`];
  if (!k || !c) continue;
  console.log(`sync ${sync ? 'on' : 'off'}: keepalived-ts / keepalived (medians): req/s seq ${ratio(k.rpsSeq, c.rpsSeq)}, req/s x${concurrency} ${ratio(k.rpsPar, c.rpsPar)}, takeover ${ratio(k.takeoverMs, c.takeoverMs)}, outage ${ratio(k.outageMs, c.outageMs)}`);
}
if (run.rc !== 0) console.error(`guest exited ${run.rc}:\n${run.log.slice(-2000)}`);
