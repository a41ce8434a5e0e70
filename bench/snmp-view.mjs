#!/usr/bin/env node
// bench/snmp-view: the size and build time of the checker's SNMP view (src/snmp/check-mib.ts) at
// a scale, on the host (no IPVS needed): a configuration of VS x RS real servers with
// TCP_CHECK is loaded, its checker engine started, and the view built from it; the heap after
// a full GC, before and after, gives the view's size. Issue 19's cost of SNMP at scale.
// Usage: npm run build && node --expose-gc bench/snmp-view.mjs [--vs 10] [--rs 100]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckerEngine } from '../dist/src/check/engine.js';
import { loadConfig } from '../dist/src/config/load.js';
import { checkSnapshot } from '../dist/src/daemon/check-snmp.js';
import { hostMachine } from '../dist/src/io/host-machine.js';
import { buildCheckMib } from '../dist/src/snmp/check-mib.js';

if (typeof gc !== 'function') {
  console.error('run with node --expose-gc');
  process.exit(2);
}
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const vsN = arg('vs', 10);
const rsN = arg('rs', 100);
const out = ['global_defs {\n  router_id bench\n}'];
for (let v = 0; v < vsN; v++) {
  out.push(`virtual_server 10.6.${Math.floor(v / 250)}.${(v % 250) + 1} 80 {\n  delay_loop 1\n  lb_algo wrr\n  lb_kind DR\n  protocol TCP`);
  for (let r = 0; r < rsN; r++) {
    const i = v * rsN + r;
    out.push(`  real_server 10.8.${Math.floor(i / 250)}.${(i % 250) + 1} 80 {\n    weight 1\n    TCP_CHECK {\n      connect_timeout 3\n    }\n  }`);
  }
  out.push('}');
}
const dir = mkdtempSync(join(tmpdir(), 'kts-snmp-view-'));
try {
  writeFileSync(join(dir, 'keepalived.conf'), `${out.join('\n')}\n`);
  const { config } = loadConfig(join(dir, 'keepalived.conf'), { configId: 'bench', machine: hostMachine() });
  const engine = new CheckerEngine(config, {});
  engine.handle(0, { type: 'start' });
  const view = { config, engine, serviceUp: () => true };
  gc();
  const before = process.memoryUsage().heapUsed;
  const mib = buildCheckMib(checkSnapshot(view, undefined));
  gc();
  const size = process.memoryUsage().heapUsed - before;
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) buildCheckMib(checkSnapshot(view, undefined));
  const ms = (performance.now() - t0) / 5;
  console.log(`${vsN * rsN} real servers: ${mib.length} varbinds, view ${(size / 1048576).toFixed(1)} MB of heap (${(size / mib.length).toFixed(0)} bytes each), built in ${ms.toFixed(1)} ms`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
