#!/usr/bin/env node
// bench/idle: the resident memory of an idle one-instance director (issue 22: <= 45 MB for the
// whole daemon), keepalived-ts beside keepalived 2.2.7 in one lab, runs alternating, with the
// floor node itself sets: a bare node, and a node that has loaded the ES module loader (the
// CLI is an ES module), both with the launcher's V8 flags and idle on a timer.
// Each daemon runs as the lab's directors do (-n -l -P; one VRRPv2 instance, one VIP), is
// MASTER, and is measured --settle seconds later: every process of the daemon (keepalived: its
// parent and its VRRP child), from /proc/PID/status (VmRSS, RssAnon, RssFile) and
// /proc/PID/smaps_rollup (Pss: the pages shared with other processes counted by their share).
// Printed: the best (smallest) run of each, the ratio to keepalived, and the target.
// Usage (root): npm run build && node bench/idle.mjs [--runs 3] [--settle 8]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { directorConf } from '../dist/src/lab/configs.js';
import { Director, ktsNodeFlags } from '../dist/src/lab/director.js';
import { NetLab, sh } from '../dist/src/lab/netlab.js';
import { sleep } from '../dist/src/lab/watch.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const runs = arg('runs', 3);
const settleMs = arg('settle', 8) * 1000;
const TARGET_MB = 45;

/** The pid and all its descendants (a daemon's processes). */
function tree(root) {
  const children = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // the command may hold spaces and parentheses: the fields start after the last ')'
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(d));
    } catch { /* gone */ }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]) ?? []));
  return out;
}

/** Summed memory of the processes, MB. */
function memory(pids) {
  const m = { processes: 0, rss: 0, anon: 0, file: 0, pss: 0 };
  const kb = (text, field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) / 1024;
  for (const pid of pids) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      m.processes++;
      m.rss += kb(status, 'VmRSS');
      m.anon += kb(status, 'RssAnon');
      m.file += kb(status, 'RssFile');
      m.pss += kb(rollup, 'Pss');
    } catch { /* gone */ }
  }
  return m;
}

/** A node process with the launcher's flags, idle on a timer; measured after --settle. */
async function nodeFloor(args) {
  const child = spawn(process.execPath, [...ktsNodeFlags(), ...args], { stdio: 'ignore' });
  try {
    await sleep(settleMs);
    return memory([child.pid]);
  } finally {
    child.kill('SIGKILL');
  }
}

async function daemon(lab, impl) {
  const conf = directorConf({ interface: 'eth0', vrid: 61, priority: 150, state: 'MASTER', advertInt: 1, vips: ['10.61.0.100/24'] });
  const d = new Director(lab, 'a', impl, conf);
  try {
    await d.state('MASTER', 15_000);
    await sleep(settleMs);
    return memory(tree(d.pid));
  } finally {
    d.cleanup();
    await d.exited(5_000);
  }
}

const lab = new NetLab('ktsidle');
// an ES module file: node's `-e` does not go through the ES module loader the CLI needs
const scratch = mkdtempSync(join(tmpdir(), `${lab.prefix}-`));
const esm = join(scratch, 'idle.mjs');
writeFileSync(esm, 'setInterval(() => {}, 1000);\n');
const results = { keepalived: [], kts: [], node: [], nodeEsm: [] };
try {
  lab.addHost({ name: 'a', addresses: ['10.61.0.11/24'] });
  const kaVersion = (sh('keepalived', ['-v']).stderr.split('\n')[0] ?? 'keepalived').trim();
  console.log(`idle director: ${runs} runs; ${kaVersion}; node ${process.version} ${ktsNodeFlags().join(' ')}; measured ${settleMs / 1000} s after MASTER`);
  for (let r = 0; r < runs; r++) {
    results.keepalived.push(await daemon(lab, 'keepalived'));
    results.kts.push(await daemon(lab, 'kts'));
    results.node.push(await nodeFloor(['-e', 'setInterval(() => {}, 1000)']));
    results.nodeEsm.push(await nodeFloor([esm]));
  }
} finally {
  lab.destroy();
  rmSync(scratch, { recursive: true, force: true });
}

const best = (xs) => xs.reduce((a, b) => (b.rss < a.rss ? b : a));
const f = (x) => x.toFixed(1).padStart(6);
const rows = [
  ['keepalived 2.2.7', best(results.keepalived)],
  ['keepalived-ts', best(results.kts)],
  ['node (floor)', best(results.node)],
  ['node, ES loader', best(results.nodeEsm)],
];
console.log('\n                   procs   VmRSS  RssAnon RssFile    Pss   (MB, best of the runs by VmRSS)');
for (const [name, m] of rows) console.log(`${name.padEnd(18)} ${String(m.processes).padStart(5)}  ${f(m.rss)}  ${f(m.anon)}  ${f(m.file)}  ${f(m.pss)}`);
const k = best(results.kts);
const ka = best(results.keepalived);
console.log(`\nkeepalived-ts VmRSS ${k.rss.toFixed(1)} MB (every run: ${results.kts.map((m) => m.rss.toFixed(1)).join(', ')}), ratio to keepalived ${(k.rss / ka.rss).toFixed(1)}; target <= ${TARGET_MB} MB`);
console.log(`above the ES-loader floor: ${(k.rss - best(results.nodeEsm).rss).toFixed(1)} MB VmRSS, ${(k.anon - best(results.nodeEsm).anon).toFixed(1)} MB anonymous`);
