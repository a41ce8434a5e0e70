// bench/footprint: where the checker side's bytes go (issue 22). For each size, a fresh node
// (the launcher's V8 flags plus --expose-gc) loads a VS x RS TCP_CHECK configuration and builds
// what the checker process builds from it (the IPVS services, the checker engine, its start),
// printing the live heap after a full GC at each step and, with --snapshot, the largest kinds
// of object in a heap snapshot. Host only: no IPVS, no probes are sent.
//
//   npm run build && node bench/footprint.mjs [--sizes 50x100,500x100] [--snapshot]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { ktsNodeFlags } from '../dist/src/lab/director.js';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};

if (argv[0] === '--inner') {
  await inner(argv[1], argv[2] === 'snapshot');
} else {
  const sizes = opt('--sizes', '50x100,500x100').split(',').map((s) => s.split('x').map(Number));
  const dir = mkdtempSync(join(tmpdir(), 'kts-footprint-'));
  try {
    for (const [vs, rs] of sizes) {
      const file = join(dir, `${vs}x${rs}.conf`);
      writeFileSync(file, generate(vs, rs));
      const r = spawnSync(process.execPath, [...ktsNodeFlags(), '--expose-gc', new URL(import.meta.url).pathname, '--inner', file, argv.includes('--snapshot') ? 'snapshot' : ''], { encoding: 'utf8', maxBuffer: 64 << 20 });
      if (r.status !== 0) throw new Error(r.stderr);
      console.log(`\n${vs * rs} real servers (${vs} VS x ${rs} RS, TCP_CHECK)\n${r.stdout}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function generate(vsCount, rsPerVs) {
  const rsAddr = (i) => `10.8.${Math.floor(i / 250) % 256}.${(i % 250) + 1}`;
  const out = ['global_defs {', '  router_id bench', '}', 'vrrp_instance VI_1 {', '  interface lo', '  state BACKUP',
    '  virtual_router_id 51', '  priority 150', '  advert_int 1', '  virtual_ipaddress {', '    10.7.0.100/32', '  }', '}'];
  for (let v = 0; v < vsCount; v++) {
    out.push(`virtual_server 10.6.${Math.floor(v / 250)}.${(v % 250) + 1} 80 {`, '  delay_loop 5', '  lb_algo wrr', '  lb_kind DR', '  protocol TCP');
    for (let r = 0; r < rsPerVs; r++) {
      out.push(`  real_server ${rsAddr(v * rsPerVs + r)} 80 {`, '    weight 1', '    TCP_CHECK {', '      connect_timeout 3', '    }', '  }');
    }
    out.push('}');
  }
  return out.join('\n') + '\n';
}

async function inner(file, snapshot) {
  const mb = (n) => `${(n / 1048576).toFixed(1)} MB`;
  const live = () => {
    globalThis.gc();
    globalThis.gc();
    return process.memoryUsage();
  };
  const rows = [];
  let last = live();
  const step = (what, t0) => {
    const m = live();
    rows.push([what, mb(m.heapUsed), mb(m.heapUsed - last.heapUsed), mb(m.rss), t0 === undefined ? '' : `${(performance.now() - t0).toFixed(0)} ms`]);
    last = m;
  };
  step('node');
  const { loadConfig } = await import('../dist/src/config/load.js');
  const { servicesFor } = await import('../dist/src/ipvs/from-config.js');
  const { CheckerEngine } = await import('../dist/src/check/engine.js');
  step('modules');
  let t0 = performance.now();
  const res = loadConfig(file, { process: 'checker' });
  const cfg = res.config;
  step('config model', t0);
  t0 = performance.now();
  const services = cfg.virtualServers.map((vs) => servicesFor(cfg, vs));
  step('IPVS services', t0);
  t0 = performance.now();
  const engine = new CheckerEngine(cfg, { random: Math.random });
  const now = performance.now();
  engine.handle(now, { type: 'start' });
  // the start's effects (a log line per checker) are the driver's: a tick before the first
  // deadline lets them go, as the daemon's next input does
  engine.handle(now, { type: 'tick' });
  step('checker engine + start', t0);
  const width = [24, 10, 10, 10, 8];
  console.log(['step', 'heap', '+', 'rss', 'time'].map((s, i) => s.padEnd(width[i])).join(' '));
  for (const r of rows) console.log(r.map((s, i) => String(s).padEnd(width[i])).join(' '));
  if (snapshot) histogram();
  // keep them alive to here
  void [res, services, engine];
}

function histogram() {
  const dir = mkdtempSync(join(tmpdir(), 'kts-heap-'));
  try {
    const path = writeHeapSnapshot(join(dir, 'h.heapsnapshot'));
    const snap = JSON.parse(readFileSync(path, 'utf8'));
    const f = snap.snapshot.meta.node_fields;
    const types = snap.snapshot.meta.node_types[0];
    const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((k) => f.indexOf(k));
    const by = new Map();
    const nodes = snap.nodes;
    for (let i = 0; i < nodes.length; i += f.length) {
      const type = types[nodes[i + iType]];
      const name = type === 'object' || type === 'closure' ? snap.strings[nodes[i + iName]] : `(${type})`;
      const e = by.get(name) ?? { n: 0, bytes: 0 };
      e.n++;
      e.bytes += nodes[i + iSize];
      by.set(name, e);
    }
    const top = [...by].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 18);
    console.log('\nlargest kinds in the heap snapshot (self size):');
    for (const [name, e] of top) console.log(`  ${name.slice(0, 40).padEnd(40)} ${String(e.n).padStart(9)}  ${(e.bytes / 1048576).toFixed(1).padStart(7)} MB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
