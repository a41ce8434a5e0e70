#!/usr/bin/env node
// bench/aa-drill (issue 21): the active-active drill, with numbers. Boots the lab of
// test/uml/active-active.test.ts in user-mode Linux (a router running FRR with ECMP over three
// directors running keepalived-ts -C with announce_vip, four real servers in DR mode, mh with
// lvs_sync_daemon; a client keeping 60 long connections and opening a new one every 20 ms),
// runs its scenarios (a director drained, a real server failing, a director killed, the
// director added back) and prints what each cost the client: new connections failed, long
// connections broken, flows that changed real server, and when the router's path changed
// (polled every 200 ms). The test judges the same figures (src/lab/aa-report.ts).
// Usage (root): npm run build && node bench/aa-drill.mjs [--runs 1] [--json FILE]
import { writeFileSync } from 'node:fs';
import { aaReport, formatAaReport } from '../dist/src/lab/aa-report.js';
import { IPVS_MODULES, runUml } from '../dist/src/lab/uml.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
};
const runs = Number(arg('runs', '1'));
const all = [];
for (let i = 0; i < runs; i++) {
  const t0 = Date.now();
  const run = await runUml({ script: 'node test/uml/guest/active-active.mjs', memMb: 1536, timeoutMs: 300_000, modules: [...IPVS_MODULES, 'dummy', 'veth', 'bridge'] });
  if (!run.files.has('done')) {
    console.error(`run ${i + 1}: the lab did not finish (guest rc ${run.rc})\n${run.log.slice(-3000)}`);
    process.exit(1);
  }
  const rec = JSON.parse(run.files.get('record.json'));
  const evs = run.files.get('client.jsonl').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const report = aaReport(rec.marks, evs);
  all.push({ record: { ...rec, setup: undefined }, report });
  console.log(`\nRun ${i + 1} of ${runs} (guest run ${Math.round((Date.now() - t0) / 1000)} s); BGP timers 1/3 s:\n`);
  console.log(formatAaReport(report));
}
const jsonAt = arg('json', undefined);
if (jsonAt) writeFileSync(jsonAt, JSON.stringify(all, null, 1));
