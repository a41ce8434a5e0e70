#!/usr/bin/env node
// bench/control-abuse: how fast `keepalived-ts status` answers while the control socket and the
// metrics listener are under attack (issue 23: "status must keep answering within 100 ms").
//
// keepalived has no control socket or HTTP listener (its status comes from signals and dump
// files), so there is no side-by-side peer here: the figures are keepalived-ts quiet vs under
// attack, against the 100 ms target.
//
// One director (keepalived-ts, VRRPv3, one instance, MASTER) in a network namespace with
// `metrics_listen 127.0.0.1 PORT` and a control socket. The attack (src/lab/control-attack.ts,
// run inside the namespace): on each listener 64 slow-loris connections (a header line a
// second, reopened when closed) and a burst of 1,000 silent connections every 2 s.
// Measured, quiet first, then under attack:
//   - `status` request: GET /status on the control socket as the CLI makes it (controlRequest),
//     from this process, one after the other;
//   - `status` CLI: `node dist/src/cli.js status --socket S`, spawn to exit (includes Node's
//     start-up, ~50-100 ms on this VM, which no server change can remove);
//   - /healthz: curl inside the namespace, time_total.
// Printed: count, failures, p50, p99 and max (ms) of each; the daemon's CPU use and refusal
// counters.
// Usage (root): npm run build && node bench/control-abuse.mjs [--seconds 20]
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { directorConf } from '../dist/src/lab/configs.js';
import { Director, ktsCli } from '../dist/src/lab/director.js';
import { NetLab } from '../dist/src/lab/netlab.js';
import { sleep } from '../dist/src/lab/watch.js';
import { controlRequest } from '../dist/src/commands/status.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : process.argv[i + 1];
};
const seconds = Number(arg('seconds', 20));
// one connection per request, as the CLI makes it (Node's default agent keeps connections
// alive, and an idle kept-alive connection is the first one a full listener evicts)
http.globalAgent = new http.Agent({ keepAlive: false });
const ATTACKER = join(ktsCli(), '..', 'lab', 'control-attack.js');

const pct = (xs, p) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const fmt = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');

/** Run `cmd` to exit; its wall time in ms, exit status and stdout. */
function timed(cmd, args) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    c.on('close', (code) => resolve({ ms: performance.now() - t0, code, out }));
  });
}

/** CPU seconds (user + system) used so far by process `pid`. */
function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

/** Measure the three probes for `ms`, each in its own loop. */
async function measure(lab, sock, port, ms) {
  const r = { request: [], cli: [], healthz: [], fail: { request: 0, cli: 0, healthz: 0 }, errors: new Set() };
  const until = performance.now() + ms;
  const requests = (async () => {
    while (performance.now() < until) {
      const t0 = performance.now();
      try {
        const a = await controlRequest(sock, '/status', { timeoutMs: 10_000 });
        if (a.status !== 200) throw new Error(String(a.status));
        r.request.push(performance.now() - t0);
      } catch (e) {
        r.fail.request++;
        r.errors.add(e.code ?? e.message);
      }
      await sleep(20);
    }
  })();
  const cli = (async () => {
    while (performance.now() < until) {
      const a = await timed(process.execPath, [ktsCli(), 'status', '--socket', sock]);
      if (a.code === 0 && a.out.includes('VI_1')) r.cli.push(a.ms);
      else r.fail.cli++;
      await sleep(50);
    }
  })();
  const healthz = (async () => {
    while (performance.now() < until) {
      const a = await timed('ip', ['netns', 'exec', lab.host('d1').ns, 'curl', '-s', '-o', '/dev/null', '-m', '10', '-w', '%{http_code} %{time_total}', `http://127.0.0.1:${port}/healthz`]);
      const [code, t] = a.out.split(' ');
      if (code === '200') r.healthz.push(Number(t) * 1000);
      else r.fail.healthz++;
      await sleep(50);
    }
  })();
  await Promise.all([requests, cli, healthz]);
  return r;
}

function report(name, r) {
  console.log(`${name}:`);
  for (const k of ['request', 'cli', 'healthz']) {
    console.log(`  ${k.padEnd(8)} n=${String(r[k].length).padStart(4)} failed=${r.fail[k]} p50=${fmt(pct(r[k], 0.5))} ms p99=${fmt(pct(r[k], 0.99))} ms max=${fmt(Math.max(...r[k]))} ms`);
  }
  if (r.errors.size) console.log(`  request errors: ${[...r.errors].join(', ')}`);
}

const lab = new NetLab('ktsca');
const tmp = mkdtempSync(join(tmpdir(), 'kts-bench-control-'));
let d1;
try {
  lab.addHost({ name: 'd1', addresses: ['10.67.0.11/24'] });
  const port = 20_000 + Math.floor(Math.random() * 40_000);
  const sock = join(tmp, 'control.sock');
  d1 = new Director(lab, 'd1', 'kts', directorConf({
    vrid: 67, version: 3, advertInt: 1, priority: 150, vips: ['10.67.0.100/24'],
    globals: [`metrics_listen 127.0.0.1 ${port}`, `control_socket ${sock}`],
  }));
  await d1.state('MASTER', 15_000);
  await sleep(500);

  let cpu0 = cpuSeconds(d1.pid);
  let t0 = performance.now();
  const quiet = await measure(lab, sock, port, Math.min(10, seconds) * 1000);
  const quietCpu = (cpuSeconds(d1.pid) - cpu0) / ((performance.now() - t0) / 1000);
  const attacker = lab.spawn('d1', process.execPath, [ATTACKER, '--unix', sock, '--tcp', `127.0.0.1:${port}`,
    '--slow', '64', '--burst', '1000', '--burst-every-ms', '2000', '--seconds', String(seconds + 3)]);
  let counts = '';
  attacker.stdout.on('data', (d) => { counts += d; });
  const attackerDone = new Promise((r) => attacker.once('exit', r));
  await sleep(2000);
  cpu0 = cpuSeconds(d1.pid);
  t0 = performance.now();
  const load = await measure(lab, sock, port, seconds * 1000);
  const loadCpu = (cpuSeconds(d1.pid) - cpu0) / ((performance.now() - t0) / 1000);
  await attackerDone;
  const metrics = await controlRequest(sock, '/metrics');
  console.log(`keepalived-ts control listeners, ${new Date().toISOString()}, node ${process.version}`);
  report('quiet', quiet);
  report('under attack (64 slow-loris + 1,000-connection bursts every 2 s, on both listeners)', load);
  console.log(`daemon CPU: quiet ${(quietCpu * 100).toFixed(0)}%, under attack ${(loadCpu * 100).toFixed(0)}% of one core`);
  console.log('attacker:');
  for (const line of counts.trim().split('\n')) console.log(`  ${line}`);
  console.log('daemon refusals (keepalived_ts_control_bad_requests_total):');
  for (const line of metrics.body.split('\n')) if (line.startsWith('keepalived_ts_control_bad_requests_total')) console.log(`  ${line}`);
} finally {
  d1?.cleanup();
  await lab.destroy();
  rmSync(tmp, { recursive: true, force: true });
}
