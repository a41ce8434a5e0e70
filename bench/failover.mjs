#!/usr/bin/env node
// bench/failover: unplanned failover (the master's link goes down) between two directors, a
// keepalived-ts pair and a keepalived 2.2.7 pair in the same lab, one run, trials alternating.
// Measured on the wire (tcpdump -tt on the lab's bridge, kernel timestamps):
//   limit    = 3 x advert interval + skew time (the protocol's Master_Down_Interval)
//   takeover = the old master's last advert -> the backup's first advert (and first GARP)
//   outage   = what a client sending an echo request to the VIP every 1 ms misses (longest
//              silence between two replies, less 1 ms; bench/icmp-probe.mjs, open loop: ping
//              paces itself when replies stop). The link goes down just after one of the
//              master's adverts, at the same phase for both implementations: a tcpdump in
//              immediate mode sees the advert and the bench hands "link set ... down" to an
//              `ip -batch` already running (no process start on that path)
//   cut      = the old master's last advert -> the client's last reply through it (the phase)
//   back     = the old master's last advert -> the client's first reply after the outage
//   jitter   = |interval - nominal| of the master's adverts in a steady-state window of each
//              trial (--jitter-s; 20 s at 1 s, 10 s below), pooled over the trials (p99, p50, max)
//   idle RSS = the master daemon's resident memory (keepalived: parent + VRRP child)
//   steal    = CPU time the hypervisor took from this machine during the case (/proc/stat)
// Both implementations run on their default configurations: keepalived-ts's VRRP thread is
// SCHED_RR priority 1 (src/io/sched.ts), keepalived's VRRP process normal scheduling.
//   --load N          N busy loops at normal priority on the host for the whole run (a busy director)
//   --keepalived-rt P keepalived with `vrrp_rt_priority P` (its own remedy, for a like-for-like row)
// Usage (root): npm run build && node bench/failover.mjs [--trials N] [--only v2-1|v3-0.1|v3-0.05] [--probe-ms 1] [--jitter-s S] [--load N] [--keepalived-rt P]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { directorConf } from '../dist/src/lab/configs.js';
import { Director } from '../dist/src/lab/director.js';
import { NetLab, sh } from '../dist/src/lab/netlab.js';
import { LineWatch, sleep } from '../dist/src/lab/watch.js';
import { longestGapMs, replyTimes } from '../dist/src/lab/lab.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
};
const trials = Number(arg('trials', 5));
const load = Number(arg('load', 0));
const kaRt = arg('keepalived-rt', undefined);
const only = arg('only', undefined);

const CASES = [
  { id: 'v2-1', version: 2, advertInt: 1 },
  { id: 'v3-0.1', version: 3, advertInt: 0.1 },
  { id: 'v3-0.05', version: 3, advertInt: 0.05 },
].filter((c) => !only || c.id === only);

const PRIO = { master: 150, backup: 100 };
const PROBE = fileURLToPath(new URL('./icmp-probe.mjs', import.meta.url));
const PROBE_MS = Number(arg('probe-ms', 1));
// the steady-state window of each trial whose advert intervals make the jitter figures: 20 s at
// 1 s (20 intervals a trial), 10 s at 0.1 and 0.05 s (100 and 200)
const jitterWindowMs = (c) => (arg('jitter-s') ? Number(arg('jitter-s')) : c.advertInt >= 1 ? 20 : 10) * 1000;
const VIP = '10.64.0.50';
const ADDR = { a: '10.64.0.11', b: '10.64.0.12' };

const skewMs = (c) => (c.version === 2 ? ((256 - PRIO.backup) / 256) * 1000 : ((256 - PRIO.backup) * c.advertInt * 1000) / 256);
const limitMs = (c) => 3 * c.advertInt * 1000 + skewMs(c);

function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}
const median = (xs) => pct(xs, 50);

function rssMb(pid, impl) {
  const pids = [pid];
  if (impl === 'keepalived') {
    // keepalived forks its VRRP child: count the whole process tree
    for (const line of sh('ps', ['-o', 'pid=', '--ppid', String(pid)]).stdout.split('\n')) if (line.trim()) pids.push(Number(line));
  }
  let kb = 0;
  for (const p of pids) {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch { /* gone */ }
  }
  return kb / 1024;
}

/** tcpdump line -> { t (ms), srcMac, kind: 'vrrp' | 'garp', src } */
function parse(line) {
  const m = /^(\d+\.\d+) ([0-9a-f:]{17}) > [0-9a-f:]{17}, .*?: (.*)$/.exec(line);
  if (!m) return undefined;
  const t = Number(m[1]) * 1000;
  const rest = m[3];
  if (/VRRP/.test(rest)) return { t, mac: m[2], kind: 'vrrp', src: rest.split(' ')[0] };
  if (/Request who-has (\S+) (\(ff:ff:ff:ff:ff:ff\) )?tell \1/.test(rest)) return { t, mac: m[2], kind: 'garp' };
  return undefined;
}

async function trial(lab, impl, c) {
  const globals = impl === 'keepalived' && kaRt ? [`vrrp_rt_priority ${kaRt}`] : [];
  const conf = (prio) => directorConf({ vrid: 90, version: c.version, advertInt: c.advertInt, priority: prio, vips: [`${VIP}/24`], globals });
  const a = new Director(lab, 'a', impl, conf(PRIO.master));
  const b = new Director(lab, 'b', impl, conf(PRIO.backup));
  const dump = new LineWatch(lab.spawnSwitch('tcpdump', ['-i', 'br0', '-n', '-tt', '-e', '-l', 'ip proto 112 or arp']));
  let probe;
  let cutter;
  let sniff;
  try {
    await a.state('MASTER', 20_000);
    await b.state('BACKUP', 20_000);
    await sleep(Math.max(1500, c.advertInt * 1000 * 4));
    const rss = rssMb(a.pid, impl);
    // steady state for the jitter figure, with a client pinging every 10 ms
    const steadyFrom = dump.mark();
    const steady = lab.spawn('c', 'ping', ['-n', '-q', '-i', '0.01', VIP]);
    await sleep(jitterWindowMs(c));
    steady.kill('SIGKILL');
    const from = dump.mark();
    // the outage probe (open loop, every PROBE_MS); the cutter: an ip process waiting for its command
    probe = new LineWatch(lab.spawn('c', process.execPath, [PROBE, VIP, String(PROBE_MS)]));
    cutter = spawn('ip', ['-n', lab.sw, '-batch', '-'], { stdio: ['pipe', 'ignore', 'inherit'] });
    await sleep(300);
    const mark = b.watch.mark();
    // fail the link right after one of the master's adverts (same phase for both
    // implementations, so the client outages compare)
    sniff = new LineWatch(lab.spawnSwitch('tcpdump', ['-i', 'br0', '-n', '-l', '--immediate-mode', '-c', '1',
      'ether', 'src', lab.host('a').mac, 'and', 'ip', 'proto', '112']));
    await sniff.waitFor(/listening on/, 5000);
    await sniff.waitFor(/VRRP/, 5000);
    cutter.stdin.write(`link set ${lab.host('a').port} down\n`);
    await b.state('MASTER', 20_000, mark);
    await sleep(1500 + c.advertInt * 1000);
    probe.child.kill('SIGINT');
    await sleep(200);
    const pkts = dump.lines.map((l) => parse(l.text)).filter(Boolean);
    const before = dump.lines.slice(steadyFrom, from).map((l) => parse(l.text)).filter(Boolean);
    const aMac = lab.host('a').mac;
    const bMac = lab.host('b').mac;
    const masterAdverts = before.filter((p) => p.kind === 'vrrp' && p.mac === aMac).map((p) => p.t);
    const intervals = [];
    for (let i = 1; i < masterAdverts.length; i++) {
      intervals.push(Math.abs(masterAdverts[i] - masterAdverts[i - 1] - c.advertInt * 1000));
    }
    // the last advert that reached the bridge (a's later ones were lost with its link)
    if (process.env.FAILOVER_JITTER) console.error(impl, masterAdverts.slice(1).map((t, i) => (t - masterAdverts[i] - c.advertInt * 1000).toFixed(1)).join(' '));
    const lastA = pkts.filter((p) => p.kind === 'vrrp' && p.mac === aMac).at(-1).t;
    const afterA = pkts.filter((p) => p.t > lastA);
    const firstB = afterA.find((p) => p.kind === 'vrrp' && p.mac === bMac);
    const firstGarp = afterA.find((p) => p.kind === 'garp' && p.mac === bMac);
    if (process.env.FAILOVER_DEBUG) {
      const i = dump.lines.findIndex((l) => parse(l.text)?.t === lastA);
      console.error(dump.lines.slice(Math.max(0, i - 3), i + 6).map((l) => l.text).join('\n'));
    }
    // longest silence between two replies, less the probe spacing
    const replies = replyTimes(probe.lines.map((l) => l.text));
    const gap = longestGapMs(replies) - PROBE_MS;
    const lastReply = replies.filter((t) => t < lastA + c.advertInt * 1000).at(-1);
    const firstBack = replies.find((t) => t > lastA + c.advertInt * 1000);
    return {
      takeover: firstB ? firstB.t - lastA : NaN,
      garp: firstGarp ? firstGarp.t - lastA : NaN,
      outage: gap,
      cut: lastReply === undefined ? NaN : lastReply - lastA,
      back: firstBack === undefined ? NaN : firstBack - lastA,
      jitter: intervals,
      rss,
    };
  } finally {
    probe?.child.kill('SIGKILL');
    sniff?.child.kill('SIGKILL');
    cutter?.kill('SIGKILL');
    dump.child.kill('SIGKILL');
    a.cleanup();
    b.cleanup();
    lab.setCarrier('a', true);
    // the killed daemons leave their VIPs behind: clear them for the next trial
    for (const h of ['a', 'b']) lab.exec(h, 'ip', ['addr', 'del', `${VIP}/24`, 'dev', 'eth0']);
    await sleep(300);
  }
}

/** CPU time stolen by the hypervisor so far, in ms (the 8th value of /proc/stat's cpu line, in USER_HZ ticks) */
const stealMs = () => Number(readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)[8]) * 10;

const lab = new NetLab('ktsbf');
const results = [];
const loops = [];
try {
  for (let i = 0; i < load; i++) loops.push(spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
  lab.addHost({ name: 'a', addresses: [`${ADDR.a}/24`] });
  lab.addHost({ name: 'b', addresses: [`${ADDR.b}/24`] });
  lab.addHost({ name: 'c', addresses: ['10.64.0.100/24'] });
  const kaVersion = (sh('keepalived', ['-v']).stderr.split('\n')[0] ?? 'keepalived').trim();
  console.log(`failover benchmark: ${trials} trials per case and implementation; ${kaVersion}; node ${process.version}; probe every ${PROBE_MS} ms`);
  console.log(`  load: ${load} busy loop(s); keepalived: ${kaRt ? `vrrp_rt_priority ${kaRt}` : 'default scheduling'}; keepalived-ts: default (SCHED_RR 1)`);
  for (const c of CASES) {
    const steal0 = stealMs();
    const acc = { kts: [], keepalived: [] };
    const failed = { kts: 0, keepalived: 0 };
    for (let i = 0; i < trials; i++) {
      for (const impl of ['kts', 'keepalived']) {
        let r;
        try {
          r = await trial(lab, impl, c);
        } catch (e) {
          // a trial that could not be measured (no advert seen, no takeover) is counted and
          // printed, and the run goes on
          failed[impl]++;
          process.stderr.write(`  ${c.id} ${impl} #${i + 1}: FAILED: ${e.message.split('\n')[0]}\n`);
          continue;
        }
        acc[impl].push(r);
        process.stderr.write(`  ${c.id} ${impl} #${i + 1}: takeover ${r.takeover.toFixed(1)} ms, GARP ${r.garp.toFixed(1)} ms, outage ${r.outage.toFixed(1)} ms, cut ${r.cut.toFixed(1)} ms, back ${r.back.toFixed(1)} ms\n`);
      }
    }
    if (!acc.kts.length || !acc.keepalived.length) {
      console.log(`\n${c.id}: no trial measured for ${!acc.kts.length ? 'keepalived-ts' : 'keepalived'} (${failed.kts} / ${failed.keepalived} failed)`);
      continue;
    }
    const sum = (impl) => {
      const rs = acc[impl];
      return {
        takeover: median(rs.map((r) => r.takeover)),
        garp: median(rs.map((r) => r.garp)),
        outage: median(rs.map((r) => r.outage)),
        outageMean: rs.reduce((a, r) => a + r.outage, 0) / rs.length,
        cut: median(rs.map((r) => r.cut)),
        back: median(rs.map((r) => r.back)),
        jitterP99: pct(rs.flatMap((r) => r.jitter), 99),
        jitterP50: pct(rs.flatMap((r) => r.jitter), 50),
        jitterMax: Math.max(...rs.flatMap((r) => r.jitter)),
        jitterN: rs.flatMap((r) => r.jitter).length,
        rss: median(rs.map((r) => r.rss)),
      };
    };
    const k = sum('keepalived');
    const t = sum('kts');
    const lim = limitMs(c);
    results.push({ c, k, t, lim });
    console.log(`\n${c.id} (VRRPv${c.version}, advert_int ${c.advertInt} s): protocol limit 3 x interval + skew = ${lim.toFixed(1)} ms`);
    console.log('                     keepalived   keepalived-ts');
    console.log(`  takeover (median)  ${k.takeover.toFixed(1).padStart(9)} ms ${t.takeover.toFixed(1).padStart(11)} ms   kts - limit ${(t.takeover - lim).toFixed(1)} ms (target |x| <= 3)`);
    console.log(`  first GARP         ${k.garp.toFixed(1).padStart(9)} ms ${t.garp.toFixed(1).padStart(11)} ms   kts - limit ${(t.garp - lim).toFixed(1)} ms (target |x| <= 3)`);
    console.log(`  client outage      ${k.outage.toFixed(1).padStart(9)} ms ${t.outage.toFixed(1).padStart(11)} ms   ratio ${(t.outage / k.outage).toFixed(3)} (target <= 1.0)`);
    console.log(`  client outage mean ${k.outageMean.toFixed(1).padStart(9)} ms ${t.outageMean.toFixed(1).padStart(11)} ms   ratio ${(t.outageMean / k.outageMean).toFixed(3)} (the expected cost of a failover)`);
    console.log(`  cut (same phase)   ${k.cut.toFixed(1).padStart(9)} ms ${t.cut.toFixed(1).padStart(11)} ms   last advert -> last reply through the old master`);
    console.log(`  client back        ${k.back.toFixed(1).padStart(9)} ms ${t.back.toFixed(1).padStart(11)} ms   last advert -> first reply through the new master, ratio ${(t.back / k.back).toFixed(3)}`);
    console.log(`  advert jitter p99  ${k.jitterP99.toFixed(2).padStart(9)} ms ${t.jitterP99.toFixed(2).padStart(11)} ms   (target <= 2 ms)`);
    console.log(`  advert jitter p50  ${k.jitterP50.toFixed(2).padStart(9)} ms ${t.jitterP50.toFixed(2).padStart(11)} ms   max ${k.jitterMax.toFixed(2)} / ${t.jitterMax.toFixed(2)} ms, over ${k.jitterN} / ${t.jitterN} intervals`);
    console.log(`  idle RSS (master)  ${k.rss.toFixed(1).padStart(9)} MB ${t.rss.toFixed(1).padStart(11)} MB   (target <= 60 MB)`);
    if (failed.kts + failed.keepalived > 0) console.log(`  failed trials      ${String(failed.keepalived).padStart(9)}    ${String(failed.kts).padStart(11)}      (not measured, left out of the figures)`);
    console.log(`  steal              ${stealMs() - steal0} ms taken by the hypervisor during the case`);
  }
} finally {
  for (const l of loops) l.kill('SIGKILL');
  await lab.destroy();
}
