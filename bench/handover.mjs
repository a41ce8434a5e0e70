#!/usr/bin/env node
// bench/handover: a planned handover of the master, as a client sees it, measured with
// `keepalived-ts drill` from a client namespace (ICMP echo to the VIP every 10 ms):
//   keepalived-ts: handover_on_stop, then SIGTERM on the master (make-before-break)
//   keepalived 2.2.7: SIGTERM on the master (its priority-0 stop: the VIP goes at once and the
//                     backup takes over after its skew time)
// Both pairs: VRRPv2, advert_int 1, priorities 150 / 100, the same lab; trials alternate.
// Printed per implementation: probes lost and client outage (median, max), takeover time.
// Usage (root): npm run build && node bench/handover.mjs [--trials N]
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { directorConf } from '../dist/src/lab/configs.js';
import { Director, ktsCli } from '../dist/src/lab/director.js';
import { NetLab } from '../dist/src/lab/netlab.js';
import { LineWatch, sleep } from '../dist/src/lab/watch.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
};
const trials = Number(arg('trials', 5));
const VIP = '10.66.0.50';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const max = (xs) => Math.max(...xs);

const lab = new NetLab('ktsbh');
const tmp = mkdtempSync(join(tmpdir(), 'kts-bench-handover-'));
const results = { kts: [], keepalived: [] };
try {
  lab.addHost({ name: 'd1', addresses: ['10.66.0.11/24'] });
  lab.addHost({ name: 'd2', addresses: ['10.66.0.12/24'] });
  lab.addHost({ name: 'c', addresses: ['10.66.0.30/24'] });
  for (let t = 0; t < trials; t++) {
    for (const impl of ['kts', 'keepalived']) {
      const globals = impl === 'kts' ? ['handover_on_stop'] : [];
      const conf = (priority) => directorConf({ vrid: 61, version: 2, advertInt: 1, priority, vips: [`${VIP}/24`], globals });
      const d1 = new Director(lab, 'd1', impl, conf(150));
      const d2 = new Director(lab, 'd2', impl, conf(100));
      try {
        await d1.state('MASTER', 15_000);
        await d2.state('BACKUP', 15_000);
        await sleep(1500);
        const json = join(tmp, `${impl}-${t}.json`);
        const w = new LineWatch(lab.spawn('c', process.execPath, [ktsCli(), 'drill', '--vip', VIP, '--vrid', '61', '--interface', 'eth0',
          '--trigger', `kill -TERM ${d1.pid}`, '--settle', '1', '--json', json]));
        const rc = await new Promise((res) => w.child.once('exit', (code) => res(code)));
        const p = JSON.parse(readFileSync(json, 'utf8')).phases[0];
        results[impl].push(p);
        console.log(`${impl.padEnd(10)} trial ${t + 1}: lost ${p.probesLost}/${p.probesSent} probes, outage ${p.outageMs} ms, takeover ${p.takeoverMs} ms, GARPs ${p.garpsSeen}, split brain ${p.splitBrain}${rc === 0 ? '' : ` (drill rc ${rc})`}`);
      } finally {
        d1.cleanup();
        d2.cleanup();
        await sleep(500);
      }
    }
  }
} finally {
  await lab.destroy();
  rmSync(tmp, { recursive: true, force: true });
}
const row = (impl) => {
  const r = results[impl];
  const lost = r.map((p) => p.probesLost);
  const out = r.map((p) => p.outageMs);
  const tk = r.map((p) => p.takeoverMs ?? NaN);
  return { lostMedian: median(lost), lostMax: max(lost), outageMedian: median(out), outageMax: max(out), takeoverMedian: median(tk) };
};
const k = row('kts');
const o = row('keepalived');
console.log('\nplanned handover, client probing every 10 ms (median / max over', trials, 'trials)');
console.log(`keepalived-ts (handover_on_stop): lost ${k.lostMedian} / ${k.lostMax} probes, outage ${k.outageMedian} / ${k.outageMax} ms, takeover ${k.takeoverMedian} ms`);
console.log(`keepalived 2.2.7 (SIGTERM):       lost ${o.lostMedian} / ${o.lostMax} probes, outage ${o.outageMedian} / ${o.outageMax} ms, takeover ${o.takeoverMedian} ms`);
console.log(`outage ratio keepalived-ts / keepalived: ${(k.outageMedian / Math.max(o.outageMedian, 1)).toFixed(2)}`);
