#!/usr/bin/env node
// bench/ipvs-apply: keepalived-ts's IPVS client vs ipvsadm, side by side in one user-mode Linux
// guest (the host kernel has no IPVS), every figure timed with the guest's clock.
//   (a) 10,000 destinations over 100 services, from an empty table:
//       - keepalived-ts in process: dump (empty) + reconcile + apply, on an open client;
//       - keepalived-ts as a whole process: `node bench/ipvs-apply.mjs --apply-once` (node
//         start-up, module loading, socket, family lookup, dump, reconcile, apply, exit);
//       - `ipvsadm -R` of the same table (one process, one request + ack at a time).
//       The table is flushed before each run and checked after it.
//   (b) one change to that 10,000-destination table: reconcile against the client's kernel
//       view (kept with applyToTable) + apply, for one weight change and for one new
//       destination, vs `ipvsadm -e` / `ipvsadm -a` of that one destination; the reconcile
//       either walks the whole table or only the service that changed (`only`, what the
//       daemon can do since it knows which virtual server a checker event concerns).
// Repetitions alternate the implementations; medians are printed with the ratios.
// Targets (issue 5): ratio <= 1.0 for (a), a single change in < 5 ms.
// Usage (root): npm run build && node bench/ipvs-apply.mjs [--reps 5] [--changes 30]
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const SERVICES = 100;
const PER = 100;
const DIST = join(process.cwd(), 'dist/src');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const f = (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(2));

/** The benchmark table: 100 TCP wrr services 10.100.0.x:80, each with 100 NAT destinations 10.101.x.y:8080. */
async function desired() {
  const { tableOf } = await import(join(DIST, 'ipvs/table.js'));
  const v4 = (a, b, c, d) => ({ family: 'inet', bytes: Uint8Array.of(a, b, c, d) });
  const entries = [];
  for (let s = 0; s < SERVICES; s++) {
    const key = { type: 'addr', protocol: 'TCP', address: v4(10, 100, 0, s + 1), port: 80 };
    const dests = [];
    for (let d = 0; d < PER; d++) dests.push({ address: v4(10, 101, s, d + 1), port: 8080, fwd: 'NAT', weight: 1, uThreshold: 0, lThreshold: 0 });
    entries.push({ service: { key, scheduler: 'wrr', flags: 0, timeoutS: 0, netmaskPrefix: 32 }, dests });
  }
  return tableOf(entries);
}

function restoreText() {
  const lines = [];
  for (let s = 0; s < SERVICES; s++) {
    lines.push(`-A -t 10.100.0.${s + 1}:80 -s wrr`);
    for (let d = 0; d < PER; d++) lines.push(`-a -t 10.100.0.${s + 1}:80 -r 10.101.${s}.${d + 1}:8080 -m -w 1`);
  }
  return lines.join('\n') + '\n';
}

async function openClient() {
  const { IpvsClient } = await import(join(DIST, 'io/ipvs-genl.js'));
  const { createRootLogger } = await import(join(DIST, 'io/logger.js'));
  return IpvsClient.open({ log: createRootLogger({ level: 'error' }).child({ mod: 'ipvs' }) });
}

/** --apply-once: what a freshly started keepalived-ts does with this table. */
async function applyOnce() {
  const { reconcile } = await import(join(DIST, 'ipvs/reconcile.js'));
  const client = await openClient();
  const r = await client.apply(reconcile(await desired(), await client.dump()));
  client.close();
  if (r.errors.length) throw r.errors[0];
}

function countDests() {
  return execFileSync('ipvsadm', ['-Ln'], { encoding: 'utf8', maxBuffer: 64 << 20 }).split('\n').filter((l) => l.startsWith('  -> ') && !l.includes('RemoteAddress')).length;
}

async function guest() {
  const reps = arg('reps', 5);
  const changes = arg('changes', 30);
  const { reconcile } = await import(join(DIST, 'ipvs/reconcile.js'));
  const { applyToTable } = await import(join(DIST, 'ipvs/table.js'));
  const want = await desired();
  const text = restoreText();
  const total = SERVICES * PER;
  const check = (what) => {
    const n = countDests();
    if (n !== total) throw new Error(`${what}: ${n} destinations in the table, want ${total}`);
  };
  const flush = () => execFileSync('ipvsadm', ['-C']);
  const client = await openClient();
  const a = { ktsInProcess: [], ktsProcess: [], ipvsadmR: [] };
  for (let i = 0; i < reps; i++) {
    flush();
    let t = performance.now();
    const r = await client.apply(reconcile(want, await client.dump()));
    a.ktsInProcess.push(performance.now() - t);
    if (r.errors.length) throw r.errors[0];
    check('keepalived-ts in process');

    flush();
    t = performance.now();
    const p = spawnSync(process.execPath, [process.argv[1], '--apply-once'], { stdio: ['ignore', 'inherit', 'inherit'] });
    a.ktsProcess.push(performance.now() - t);
    if (p.status !== 0) throw new Error(`--apply-once exited ${p.status}`);
    check('keepalived-ts process');

    flush();
    t = performance.now();
    const q = spawnSync('ipvsadm', ['-R'], { input: text, stdio: ['pipe', 'inherit', 'inherit'] });
    a.ipvsadmR.push(performance.now() - t);
    if (q.status !== 0) throw new Error(`ipvsadm -R exited ${q.status}`);
    check('ipvsadm -R');
  }

  // (b) one change to the 10,000-destination table (the last ipvsadm -R left it in place)
  const kernel = await client.dump();
  const b = { ktsWeight: [], ktsAdd: [], ktsWeightScoped: [], ktsAddScoped: [], reconcileOnly: [], ipvsadmE: [], ipvsadmA: [], opsPerChange: new Set() };
  const { serviceId } = await import(join(DIST, 'ipvs/keys.js'));
  const v = [...want.values()][42];
  const key = v.service.key;
  const firstId = [...v.dests.keys()][7];
  const first = v.dests.get(firstId);
  const keyText = '10.100.0.43:80';
  for (let i = 0; i < changes; i++) {
    const w = 100 + i; // ipvsadm -e below sets 500 + i, so every round is a real change
    v.dests.set(firstId, { ...first, weight: w });
    let t = performance.now();
    let ops = reconcile(want, kernel);
    b.reconcileOnly.push(performance.now() - t);
    let r = await client.apply(ops);
    applyToTable(kernel, ops, r.failed);
    b.ktsWeight.push(performance.now() - t);
    b.opsPerChange.add(ops.map((o) => o.type).join(','));
    if (r.errors.length) throw r.errors[0];

    // the same change again, reconciling only the service that changed (what the daemon does)
    v.dests.set(firstId, { ...first, weight: w + 1000 });
    t = performance.now();
    ops = reconcile(want, kernel, { only: [serviceId(key)] });
    r = await client.apply(ops);
    applyToTable(kernel, ops, r.failed);
    b.ktsWeightScoped.push(performance.now() - t);
    b.opsPerChange.add(ops.map((o) => o.type).join(','));

    t = performance.now();
    execFileSync('ipvsadm', ['-e', '-t', keyText, '-r', '10.101.42.8:8080', '-m', '-w', String(500 + i)]);
    b.ipvsadmE.push(performance.now() - t);

    const extra = { ...first, address: { family: 'inet', bytes: Uint8Array.of(10, 102, i >> 8, (i & 0xff) + 1) } };
    const extraId = `${extra.address.bytes.join('.')}:8080`;
    v.dests.set(extraId, extra);
    t = performance.now();
    ops = reconcile(want, kernel);
    r = await client.apply(ops);
    applyToTable(kernel, ops, r.failed);
    b.ktsAdd.push(performance.now() - t);
    b.opsPerChange.add(ops.map((o) => o.type).join(','));
    if (r.errors.length) throw r.errors[0];
    const extra2 = { ...extra, address: { family: 'inet', bytes: Uint8Array.of(10, 104, i >> 8, (i & 0xff) + 1) } };
    const extra2Id = `${extra2.address.bytes.join('.')}:8080`;
    v.dests.set(extra2Id, extra2);
    t = performance.now();
    ops = reconcile(want, kernel, { only: [serviceId(key)] });
    r = await client.apply(ops);
    applyToTable(kernel, ops, r.failed);
    b.ktsAddScoped.push(performance.now() - t);
    if (r.errors.length) throw r.errors[0];

    t = performance.now();
    execFileSync('ipvsadm', ['-a', '-t', keyText, '-r', `10.103.${i >> 8}.${(i & 0xff) + 1}:8080`, '-m', '-w', '1']);
    b.ipvsadmA.push(performance.now() - t);
    // keep the table at 10,000 (+1 transient): take both additions out again, untimed
    v.dests.delete(extraId);
    v.dests.delete(extra2Id);
    ops = reconcile(want, kernel);
    r = await client.apply(ops);
    applyToTable(kernel, ops, r.failed);
    execFileSync('ipvsadm', ['-d', '-t', keyText, '-r', `10.103.${i >> 8}.${(i & 0xff) + 1}:8080`]);
    // ipvsadm -e changed the weight behind the client's back: tell its view, as a resync would
    applyToTable(kernel, [{ type: 'SET_DEST', key, dest: { ...first, weight: 500 + i } }]);
  }
  client.close();
  const result = {
    reps,
    changes,
    a: Object.fromEntries(Object.entries(a).map(([k, xs]) => [k, { median: median(xs), all: xs }])),
    b: Object.fromEntries(Object.entries(b).map(([k, xs]) => [k, k === 'opsPerChange' ? [...xs] : { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) }])),
    uname: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(),
    ipvsadm: execFileSync('ipvsadm', ['--version'], { encoding: 'utf8' }).trim(),
    node: process.version,
  };
  writeFileSync(join(process.env.UML_OUT, 'result.json'), JSON.stringify(result, null, 1));
}

async function host() {
  const { runUml } = await import(join(DIST, 'lab/uml.js'));
  const reps = arg('reps', 5);
  const changes = arg('changes', 30);
  const run = await runUml({
    script: `node bench/ipvs-apply.mjs --guest --reps ${reps} --changes ${changes}`,
    memMb: 2048,
    timeoutMs: 600_000,
    modules: ['ip_vs', 'ip_vs_wrr'],
  });
  if (!run.files.has('result.json')) {
    console.error(run.log, run.console.slice(-2000));
    process.exit(1);
  }
  const r = JSON.parse(run.files.get('result.json'));
  const { a, b } = r;
  console.log(`guest: Linux ${r.uname} (user-mode), ${r.ipvsadm}, node ${r.node}; ${reps} repetitions, ${changes} changes`);
  console.log('(a) 10,000 destinations over 100 services from empty (median ms)');
  console.log(`    keepalived-ts in process  ${f(a.ktsInProcess.median)}   [${a.ktsInProcess.all.map(f).join(' ')}]`);
  console.log(`    keepalived-ts process     ${f(a.ktsProcess.median)}   [${a.ktsProcess.all.map(f).join(' ')}]`);
  console.log(`    ipvsadm -R                ${f(a.ipvsadmR.median)}   [${a.ipvsadmR.all.map(f).join(' ')}]`);
  console.log(`    ratio in process / ipvsadm -R: ${(a.ktsInProcess.median / a.ipvsadmR.median).toFixed(3)}   whole process / ipvsadm -R: ${(a.ktsProcess.median / a.ipvsadmR.median).toFixed(3)}   (target <= 1.0)`);
  console.log('(b) one change to the 10,000-destination table (median [min..max] ms)');
  const line = (name, x) => console.log(`    ${name.padEnd(40)} ${f(x.median)}  [${f(x.min)}..${f(x.max)}]`);
  line('kts weight, reconcile all 10,000 + apply', b.ktsWeight);
  line('  (of which the reconcile)', b.reconcileOnly);
  line('kts weight, reconcile 1 service + apply', b.ktsWeightScoped);
  line('ipvsadm -e', b.ipvsadmE);
  line('kts new dest, reconcile all + apply', b.ktsAdd);
  line('kts new dest, reconcile 1 service + apply', b.ktsAddScoped);
  line('ipvsadm -a', b.ipvsadmA);
  console.log(`    ratio weight: ${(b.ktsWeight.median / b.ipvsadmE.median).toFixed(3)} (scoped ${(b.ktsWeightScoped.median / b.ipvsadmE.median).toFixed(3)})   add: ${(b.ktsAdd.median / b.ipvsadmA.median).toFixed(3)} (scoped ${(b.ktsAddScoped.median / b.ipvsadmA.median).toFixed(3)})   (target: < 5 ms)`);
  console.log(`    operations per change: ${b.opsPerChange.join(' | ')}`);
}

if (process.argv.includes('--apply-once')) await applyOnce();
else if (process.argv.includes('--guest')) await guest();
else await host();
