#!/usr/bin/env node
// bench/reload-soak: SIGHUP after SIGHUP on a 20-instance VRRP configuration (VRRPv3, 0.05 s
// adverts, every instance MASTER), keepalived-ts and keepalived 2.2.7 side by side in one run,
// each alone in a namespace of the lab (different VRIDs, so they do not meet). The two
// configurations alternate: B drops an instance and moves one VIP, so each reload retires,
// starts and re-diffs instances, as an operator's edits would.
//   keepalived-ts runs under a capped heap (--max-old-space-size, 64 MB by default): a daemon
//   that kept its old generations dies of "heap out of memory" long before the end.
//   --reloads N    N reloads, each sent once the previous one finished ("Reload finished" /
//                  keepalived's "Reload complete"); default 10000
//   --rate R --duration S
//                  R HUPs a second for S seconds, whether or not a reload is still running
//                  (HUPs that arrive during a reload fold into the next one)
// Printed: reloads done, RSS at the start, once warm (after the first minute, or the first
// 1,000 reloads if sooner) and at the end, the RSS growth per 1,000 reloads once warm (least
// squares over the per-second samples; target < 1 MB), and the longest silence of an
// instance's adverts on the wire; keepalived's RSS is its VRRP child's (the process that reloads its VRRP
// configuration) and the parent's. At the end, a heap snapshot of keepalived-ts
// (--heapsnapshot-signal) counts the live VrrpEngine objects (target: 1). Files live in
// /dev/shm. Ctrl-C stops early and still reports and cleans up.
// Usage (root): npm run build && node bench/reload-soak.mjs [--reloads 10000] [--rate 1 --duration 3600] [--heap-mb 64]
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Director } from '../dist/src/lab/director.js';
import { NetLab, sh } from '../dist/src/lab/netlab.js';
import { sleep } from '../dist/src/lab/watch.js';
import { AdvertGaps } from '../dist/src/lab/advert-gaps.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
};
const rate = arg('rate') === undefined ? undefined : Number(arg('rate'));
const durationS = Number(arg('duration', 3600));
const reloads = Number(arg('reloads', 10_000));
const heapMb = Number(arg('heap-mb', 64));
/**
 * --rt-priority P: `vrrp_rt_priority P` in keepalived-ts's configuration (its default is
 * SCHED_RR 1; 0 is normal scheduling). keepalived keeps its default, normal scheduling: it
 * raises 0 to 1, and then its 10 ms RLIMIT_RTTIME kills its VRRP child in a reload.
 */
const rtPrio = arg('rt-priority');
/** --only kts|keepalived: one implementation (to look at one alone) */
const only = arg('only');
const INSTANCES = 20;
// the configuration files are rewritten at every reload: keep them (and the heap snapshot) in
// memory, a disk's write latency would otherwise pace the bench instead of the daemons
process.env.TMPDIR = '/dev/shm';
// Ctrl-C ends the run early and still prints the figures and removes the lab
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => { interrupted = true; });
const FIRST_MINUTE_MS = 60_000;
const WARM_RELOADS = 1000;

/** The soak's configuration: A has INSTANCES instances, B one fewer and a VIP moved. */
function conf(variant, vridBase, net, impl) {
  const n = variant === 'a' ? INSTANCES : INSTANCES - 1;
  const lines = ['global_defs {', `  router_id soak_${vridBase}`, ...(rtPrio !== undefined && impl === 'kts' ? [`  vrrp_rt_priority ${rtPrio}`] : []), '}'];
  for (let i = 1; i <= n; i++) {
    lines.push(`vrrp_instance VI_${i} {`, '  interface eth0', `  virtual_router_id ${vridBase + i}`, '  priority 150',
      '  advert_int 0.05', '  version 3', '  virtual_ipaddress {', `    10.${net}.1.${i}/16`,
      ...(i === 3 ? [`    10.${net}.2.${variant === 'a' ? 1 : 2}/16`] : []), '  }', '}');
  }
  return `${lines.join('\n')}\n`;
}

/** VmRSS of a pid, MB (0 once gone). */
function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}
const childrenOf = (pid) => sh('ps', ['-o', 'pid=', '--ppid', String(pid)]).stdout.split('\n').map((l) => Number(l.trim())).filter(Boolean);

/** Least-squares slope of y over x. */
function slope(points) {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  return sxx === 0 ? NaN : sxy / sxx;
}

/** Counts the nodes of a heap snapshot that are objects of class `name`, and the live heap. */
function countObjects(file, name) {
  const snap = JSON.parse(readFileSync(file, 'utf8'));
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const step = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const nameIdx = snap.strings.indexOf(name);
  const iSize = fields.indexOf('self_size');
  let n = 0;
  let bytes = 0;
  for (let i = 0; i < snap.nodes.length; i += step) {
    if (types[snap.nodes[i + iType]] === 'object' && snap.nodes[i + iName] === nameIdx) n++;
    bytes += snap.nodes[i + iSize];
  }
  return { n, bytes };
}

class Side {
  constructor(impl, lab, host, vridBase, net, diagDir) {
    this.impl = impl;
    this.confA = conf('a', vridBase, net, impl);
    this.confB = conf('b', vridBase, net, impl);
    this.director = new Director(lab, host, impl, this.confA, [],
      impl === 'kts' ? [`--max-old-space-size=${heapMb}`, '--heapsnapshot-signal=SIGPWR', `--diagnostic-dir=${diagDir}`,
        ...(process.env.SOAK_NODE_FLAGS ?? '').split(' ').filter(Boolean)] : []);
    this.file = join(this.director.dir, 'keepalived.conf');
    this.done = 0;
    this.samples = [];
    this.reloadMs = [];
    this.done$ = impl === 'kts' ? /Reload finished/ : /Reload complete/;
    /** reloads the daemon reported finished (the watch's lines are trimmed as the run goes) */
    this.completed = 0;
    this.director.watch.child.stdout?.on('data', (b) => { this.completed += (String(b).match(new RegExp(this.done$.source, 'g')) ?? []).length; });
    this.director.watch.child.stderr?.on('data', (b) => { this.completed += (String(b).match(new RegExp(this.done$.source, 'g')) ?? []).length; });
  }

  /** the pid whose configuration is reloaded, and keepalived's parent */
  pids() {
    if (this.impl === 'kts') return { vrrp: this.director.pid };
    const kids = childrenOf(this.director.pid);
    return { vrrp: kids[0], parent: this.director.pid };
  }

  rss() {
    const p = this.pids();
    return { vrrp: rssOf(p.vrrp), total: rssOf(p.vrrp) + (p.parent ? rssOf(p.parent) : 0) };
  }

  sample(t0) {
    this.samples.push({ t: performance.now() - t0, reloads: this.done, ...this.rss() });
  }

  alive() {
    return !this.director.watch.exited;
  }

  writeNext() {
    writeFileSync(this.file, this.done % 2 === 0 ? this.confB : this.confA);
  }
}

/** Counts the live VrrpEngine objects of keepalived-ts with a heap snapshot (--heapsnapshot-signal). */
async function engineCount(kts, diagDir) {
  if (!kts.alive()) return { n: NaN, bytes: NaN };
  const before = new Set(readdirSync(diagDir));
  kts.director.signal('SIGPWR');
  for (let i = 0; i < 600; i++) {
    await sleep(500);
    const file = readdirSync(diagDir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    if (file && statSync(join(diagDir, file)).size > 0) {
      // the snapshot is complete once its size stops changing
      let size = -1;
      while (size !== statSync(join(diagDir, file)).size) { size = statSync(join(diagDir, file)).size; await sleep(1000); }
      return countObjects(join(diagDir, file), 'VrrpEngine');
    }
  }
  return { n: NaN, bytes: NaN };
}

/** Sends the HUPs to one side until its count or the time is up; samples its RSS every second. */
async function runSide(s, t0) {
  let last = performance.now();
  for (;;) {
    const elapsed = performance.now() - t0;
    if (interrupted || (rate === undefined ? s.done >= reloads : elapsed >= durationS * 1000)) break;
    if (!s.alive()) { console.log(`${s.impl}: exited after ${s.done} reloads:\n${s.director.watch.tail(5)}`); break; }
    s.writeNext();
    const mark = s.director.watch.mark();
    const sent = performance.now();
    s.director.signal('SIGHUP');
    if (rate === undefined) {
      try {
        await s.director.watch.waitFor(s.done$, 30_000, mark);
      } catch (e) {
        console.log(`${s.impl}: reload ${s.done + 1} did not finish: ${e.message}`);
        break;
      }
      s.reloadMs.push(performance.now() - sent);
    } else {
      await sleep(Math.max(0, 1000 / rate - (performance.now() - sent)));
    }
    s.done++;
    // the watch keeps every line: drop those read, the soak would otherwise grow the bench
    if (s.director.watch.lines.length > 5000) s.director.watch.lines.splice(0, s.director.watch.lines.length - 100);
    if (performance.now() - last >= 1000) { s.sample(t0); last = performance.now(); }
  }
  s.sample(t0);
}

/** Starts the sides, runs them together, stops them; the results stay on the Side objects. */
async function phase(lab, sides, diagDir) {
  for (const s of sides) await s.director.state('MASTER', 20_000, 0, `VI_${INSTANCES}`);
  // the last instance leaves and comes back with every reload: its silence is by design
  const gaps = new AdvertGaps(lab, (vrid) => vrid % 100 === INSTANCES);
  try {
    await sleep(2000);
    gaps.start();
    const t0 = performance.now();
    for (const s of sides) s.sample(t0);
    const progress = setInterval(() => {
      console.log(`  ${((performance.now() - t0) / 1000).toFixed(0)} s: ${sides.map((s) => `${s.impl} ${s.done} reloads, RSS ${s.samples.at(-1)?.vrrp.toFixed(1)} MB`).join('; ')}`);
    }, 60_000);
    await Promise.all(sides.map((s) => runSide(s, t0)));
    clearInterval(progress);
    for (const s of sides) {
      s.gap = gaps.of(s.src);
      // in the HUP-rate mode count what the daemon says it did
      if (s.impl === 'kts') s.engines = await engineCount(s, diagDir);
    }
    for (const s of sides) s.director.signal('SIGTERM');
    await Promise.all(sides.map((s) => s.director.exited(10_000)));
  } finally {
    gaps.stop();
    for (const s of sides) s.director.cleanup();
  }
}

function report(sides) {
  console.log('');
  console.log('| | reloads | RSS start | RSS warm (1 min or 1,000 reloads) | RSS end | growth / 1,000 reloads once warm | HUP -> done p50 / max | longest advert gap |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const s of sides) {
    const first = s.samples[0];
    // warmed up after the first minute, or after the first 1,000 reloads for a daemon that
    // gets through them in less (keepalived-ts does 10,000 in about 30 s)
    const warm = (p) => p.t >= FIRST_MINUTE_MS || p.reloads >= WARM_RELOADS;
    const minute = s.samples.find(warm) ?? s.samples.at(-1);
    const end = s.samples.at(-1);
    const after = s.samples.filter(warm).map((p) => ({ x: p.reloads, y: p.vrrp }));
    const perK = slope(after) * 1000;
    const sorted = [...s.reloadMs].sort((a, b) => a - b);
    const timing = sorted.length ? `${sorted[Math.floor(sorted.length / 2)].toFixed(1)} / ${sorted.at(-1).toFixed(1)} ms` : '-';
    const name = s.impl === 'kts' ? 'keepalived-ts' : 'keepalived 2.2.7 (VRRP child; + parent)';
    const mb = (p) => (s.impl === 'kts' ? `${p.vrrp.toFixed(1)}` : `${p.vrrp.toFixed(1)} (${p.total.toFixed(1)})`);
    // back to back, each reload is waited for; at a rate, HUPs during a reload fold into one
    const count = rate === undefined ? `${s.done}` : `${s.done} HUPs, ${s.completed} reloads`;
    const gapText = s.gap ? `${s.gap.gap.toFixed(1)} ms (VRID ${s.gap.vrid})` : '-';
    console.log(`| ${name} | ${count} | ${mb(first)} MB | ${mb(minute)} MB | ${mb(end)} MB | ${Number.isFinite(perK) ? perK.toFixed(3) : '-'} MB | ${timing} | ${gapText} |`);
  }
  const kts = sides.find((s) => s.impl === 'kts');
  if (kts) {
    const e = kts.engines ?? { n: NaN, bytes: NaN };
    console.log(`\nkeepalived-ts at the end (heap snapshot): ${Number.isNaN(e.n) ? 'no snapshot' : `${e.n} live VrrpEngine, live heap ${(e.bytes / 1048576).toFixed(1)} MB`}`);
  }
}

async function main() {
  const diagDir = mkdtempSync(join(tmpdir(), 'kts-soak-heap-'));
  const lab = new NetLab('ktssoak');
  const sides = [];
  try {
    lab.addHost({ name: 'k', addresses: ['10.70.0.11/16'] });
    lab.addHost({ name: 'a', addresses: ['10.71.0.11/16'] });
    const make = (impl) => {
      const s = impl === 'kts' ? new Side('kts', lab, 'k', 0, 70, diagDir) : new Side('keepalived', lab, 'a', 100, 71, diagDir);
      s.src = impl === 'kts' ? '10.70.0.11' : '10.71.0.11';
      sides.push(s);
      return s;
    };
    const impls = ['kts', 'keepalived'].filter((i) => !only || i === only);
    const mode = rate === undefined ? `${reloads} reloads, each after the previous finished, one implementation after the other`
      : `${rate} HUP/s for ${durationS} s, both implementations at once`;
    console.log(`reload-soak: ${INSTANCES} instances at 0.05 s, ${mode}; keepalived-ts heap capped at ${heapMb} MB`);
    // Back to back, each implementation runs alone: keepalived-ts reloads this configuration
    // ~20 times faster than keepalived, and the two address churns at once on this 2-vCPU VM
    // put the kernel's softirq into 20 s soft lockups (dmesg), which stalled both daemons.
    if (rate === undefined) for (const impl of impls) await phase(lab, [make(impl)], diagDir);
    else await phase(lab, impls.map(make), diagDir);
    report(sides);
  } finally {
    for (const s of sides) s.director.cleanup();
    await lab.destroy();
    rmSync(diagDir, { recursive: true, force: true });
  }
}

await main();
