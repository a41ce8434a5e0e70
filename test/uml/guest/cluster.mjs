// Guest side of test/uml/cluster.test.ts (and the topology of bench/guest/cluster-guest.mjs):
// a whole LVS cluster inside one UML guest, one network namespace per host:
//
//   cl 10.0.0.100 ──┐                    LAN br0 10.0.0.0/24, VIP 10.0.0.10
//   d1 10.0.0.2  ───┤  directors: keepalived-ts (VRRP + checker child) in their namespace
//   d2 10.0.0.3  ───┤
//   rs1, rs2     ───┘  DR / TUN: 10.0.0.11, 10.0.0.12 on the LAN
//   NAT: rs1 192.168.1.11, rs2 192.168.1.12 on br1 behind the directors (eth1 .2 / .3), default
//        route via the floating gateway VIP 192.168.1.1 (LVS-NAT howto), ip_forward=1
//
// Roles (argv[2]): `scenario nat|dr|tun` runs the checks and writes $UML_OUT/steps.json;
// `agent` is the client inside `cl` (JSON lines on stdin/stdout); `rs NAME` is a real server
// (HTTP on 80 answering its name, SIGUSR1 stops it, SIGUSR2 starts it again; echo on 9000).
// Everything lives in the guest's namespaces and /run (a tmpfs) and vanishes with the guest.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, get as httpGet } from 'node:http';
import { connect, createServer as createTcpServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { diagnose, sh, start } from './lib.mjs';

export const OUT = process.env.UML_OUT ?? '/tmp';
export const RUN = '/run/kts-cluster';
export const CLI = join(process.cwd(), 'dist/src/cli.js');
export const VIP = '10.0.0.10';
export const GW_VIP = '192.168.1.1';
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

export { sh };
const shOk = (cmd) => spawnSync('bash', ['-c', cmd], { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });

/** The real server's address as the directors see it. */
export const rip = (mode, i) => (mode === 'nat' ? `192.168.1.${10 + i}` : `10.0.0.${10 + i}`);

// ---------------------------------------------------------------- topology

export function setupCluster(mode) {
  mkdirSync(RUN, { recursive: true });
  const cmds = ['ip link add br0 type bridge', 'ip link set br0 up'];
  if (mode === 'nat') cmds.push('ip link add br1 type bridge', 'ip link set br1 up');
  const veth = (ns, dev, br, addr) => cmds.push(
    `ip link add ${ns}-${dev} type veth peer name ${dev} netns ${ns}`,
    `ip link set ${ns}-${dev} master ${br} up`,
    `ip -n ${ns} addr add ${addr} dev ${dev}`, `ip -n ${ns} link set ${dev} up`);
  for (const ns of ['cl', 'd1', 'd2', 'rs1', 'rs2']) cmds.push(`ip netns add ${ns}`, `ip -n ${ns} link set lo up`);
  veth('cl', 'eth0', 'br0', '10.0.0.100/24');
  veth('d1', 'eth0', 'br0', '10.0.0.2/24');
  veth('d2', 'eth0', 'br0', '10.0.0.3/24');
  if (mode === 'nat') {
    veth('d1', 'eth1', 'br1', '192.168.1.2/24');
    veth('d2', 'eth1', 'br1', '192.168.1.3/24');
    for (const i of [1, 2]) {
      veth(`rs${i}`, 'eth0', 'br1', `${rip(mode, i)}/24`);
      cmds.push(`ip -n rs${i} route add default via ${GW_VIP}`);
    }
    for (const d of ['d1', 'd2']) cmds.push(`ip netns exec ${d} sysctl -qw net.ipv4.ip_forward=1`);
  } else {
    for (const i of [1, 2]) veth(`rs${i}`, 'eth0', 'br0', `${rip(mode, i)}/24`);
  }
  sh(cmds.join(' && '));
}

/**
 * DR / TUN real servers: the VIP on lo (DR) or tunl0 (TUN), arp_ignore=1, arp_announce=2,
 * rp_filter 0 for TUN — by `keepalived-ts realserver`; the ip/sysctl fallback below is what the
 * LVS howtos do by hand and is only used (and reported) when the command fails.
 */
export function prepareRealServers(mode) {
  const results = [];
  for (const i of [1, 2]) {
    const r = shOk(`ip netns exec rs${i} ${process.execPath} ${CLI} realserver --mode ${mode} --vip ${VIP}/32 --state ${RUN}/rs${i}.state`);
    results.push({ rs: `rs${i}`, rc: r.status, out: (r.stdout + r.stderr).trim().slice(-400) });
    if (r.status === 0) continue;
    const dev = mode === 'dr' ? 'lo' : 'tunl0';
    sh([
      `ip netns exec rs${i} sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2`,
      ...(mode === 'tun' ? [`ip -n rs${i} link set tunl0 up`, `ip netns exec rs${i} sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.tunl0.rp_filter=0`] : []),
      `ip -n rs${i} addr add ${VIP}/32 dev ${dev}`,
    ].join(' && '));
  }
  return results;
}

export function directorConf({ mode, name, priority, state, sync, kts }) {
  const kind = mode.toUpperCase();
  const reals = (port, check) => [1, 2].map((i) => `  real_server ${rip(mode, i)} ${port} {\n    weight 1\n    ${check}\n  }`).join('\n');
  const http = 'HTTP_GET {\n      url {\n        path /\n        status_code 200\n      }\n      connect_timeout 1\n      retry 1\n      delay_before_retry 1\n    }';
  const tcp = 'TCP_CHECK {\n      connect_timeout 1\n    }';
  const vs = (port, check) => `virtual_server ${VIP} ${port} {\n  delay_loop 1\n  lb_algo rr\n  lb_kind ${kind}\n  protocol TCP\n${reals(port, check)}\n}\n`;
  return `global_defs {
  router_id ${name}
${sync ? '  lvs_sync_daemon eth0 VI_1\n' : ''}${kts ? `  control_socket ${RUN}/${name}.sock\n` : ''}}
vrrp_instance VI_1 {
  state ${state}
  interface eth0
  virtual_router_id 51
  priority ${priority}
  advert_int 1
  virtual_ipaddress {
    ${VIP}/32 dev eth0
${mode === 'nat' ? `    ${GW_VIP}/32 dev eth1\n` : ''}  }
}
${vs(80, http)}${vs(9000, tcp)}`;
}

/** A long-running process with its output in $UML_OUT/NAME.log (and a stdin to write to). */
export const startProc = (name, cmd, args) => start(name, cmd, args, 'pipe');

export async function stopProc(child, signal = 'SIGTERM', timeoutMs = 10_000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return true;
  const gone = new Promise((r) => child.on('exit', () => r(true)));
  child.kill(signal);
  return Promise.race([gone, sleep(timeoutMs).then(() => false)]);
}

/** keepalived-ts (`kts`) or keepalived 2.2.7 (`keepalived`) as director NAME in its namespace. */
export function startDirector(name, impl, conf) {
  writeFileSync(`${RUN}/${name}.conf`, conf);
  const pid = (s) => `${RUN}/${name}-${impl}${s}.pid`;
  const flags = ['-n', '-l', '-f', `${RUN}/${name}.conf`, '-p', pid(''), '-r', pid('-vrrp'), '-c', pid('-check')];
  const cmd = impl === 'kts' ? [process.execPath, CLI, ...flags] : ['/usr/sbin/keepalived', ...flags];
  return startProc(`${name}-${impl}`, 'ip', ['netns', 'exec', name, ...cmd]);
}

export function startRealServers() {
  return [1, 2].map((i) => startProc(`rs${i}`, 'ip', ['netns', 'exec', `rs${i}`, process.execPath, 'test/uml/guest/cluster.mjs', 'rs', `rs${i}`]));
}

/** `ipvsadm -Ln` in a namespace as { 'TCP 10.0.0.10:80': { sched, dests: { '10.0.0.11:80': { fwd, weight } } } }. */
export function ipvsTable(ns) {
  const table = {};
  let cur;
  for (const line of sh(`ip netns exec ${ns} ipvsadm -Ln`).split('\n')) {
    let m = /^(TCP|UDP|SCTP|FWM)\s+(\S+)\s+(\S+)/.exec(line);
    if (m) {
      cur = { sched: m[3], dests: {} };
      table[`${m[1]} ${m[2]}`] = cur;
      continue;
    }
    m = /^\s+->\s+(\S+)\s+(\S+)\s+(\d+)\s+\d+\s+\d+/.exec(line);
    if (m && cur) cur.dests[m[1]] = { fwd: m[2], weight: Number(m[3]) };
  }
  return table;
}

export const describeTable = (t) => Object.entries(t)
  .map(([k, s]) => `${k} ${s.sched}: ${Object.entries(s.dests).map(([d, v]) => `${d}/${v.fwd}/w${v.weight}`).sort().join(' ') || '(none)'}`)
  .sort().join('; ');

export const hasAddr = (ns, dev, addr) => sh(`ip -n ${ns} -4 -o addr show dev ${dev}`).includes(` ${addr}/`);

export async function until(pred, timeoutMs = 15_000, stepMs = 100) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    try {
      if (pred()) return { ok: true, ms: Date.now() - t0 };
    } catch {
      // not yet
    }
    await sleep(stepMs);
  }
  return { ok: false, ms: Date.now() - t0 };
}

/** Both directors' tables hold both real servers on both services (with the expected method). */
export function fullTable(mode) {
  const fwd = { nat: 'Masq', dr: 'Route', tun: 'Tunnel' }[mode];
  return (t) => [80, 9000].every((p) => [1, 2].every((i) => t[`TCP ${VIP}:${p}`]?.dests[`${rip(mode, i)}:${p}`]?.fwd === fwd));
}

// ---------------------------------------------------------------- the client agent

/** Talks to the agent process in `cl`: `await agent.call('get', { n: 10 })`. */
export function startAgent() {
  const child = startProc('agent', 'ip', ['netns', 'exec', 'cl', process.execPath, 'test/uml/guest/cluster.mjs', 'agent']);
  const waiting = new Map();
  let seq = 0;
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    const m = JSON.parse(line);
    waiting.get(m.id)?.(m);
    waiting.delete(m.id);
  });
  return {
    child,
    call(cmd, args = {}) {
      const id = ++seq;
      return new Promise((res) => {
        waiting.set(id, res);
        child.stdin.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
      });
    },
  };
}

function get1(timeoutMs) {
  return new Promise((res) => {
    const t0 = Date.now();
    let done = false;
    const finish = (r) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      res({ ...r, t0, t1: Date.now() });
    };
    const req = httpGet({ host: VIP, port: 80, path: '/', agent: false }, (r) => {
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (d) => { body += d; });
      r.on('end', () => finish({ ok: r.statusCode === 200, name: body.trim() }));
      r.on('error', (e) => finish({ ok: false, err: e.code ?? e.message }));
    });
    const timer = setTimeout(() => { req.destroy(); finish({ ok: false, err: 'TIMEOUT' }); }, timeoutMs);
    req.on('error', (e) => finish({ ok: false, err: e.code ?? e.message }));
  });
}

/**
 * Counts, answers by real server, errors, and the outage: the longest gap between answered
 * requests, by completion time (or, `bySend`, by the time they were sent: for open-loop
 * probing, where a request's timeout is shorter than TCP's first SYN retransmission so that
 * only requests sent while the VIP answered can succeed).
 */
function summarise(results, bySend = false) {
  const names = {};
  const errors = {};
  let outageMs = 0;
  let lastOk;
  const at = (r) => (bySend ? r.t0 : r.t1);
  for (const r of [...results].sort((a, b) => at(a) - at(b))) {
    if (r.ok) {
      names[r.name] = (names[r.name] ?? 0) + 1;
      if (lastOk) outageMs = Math.max(outageMs, at(r) - at(lastOk));
      lastOk = r;
    } else errors[r.err] = (errors[r.err] ?? 0) + 1;
  }
  const ok = results.filter((r) => r.ok).length;
  return { requests: results.length, ok, failed: results.length - ok, names, errors, outageMs };
}

async function agent() {
  const reply = (id, obj) => process.stdout.write(`${JSON.stringify({ id, ...obj })}\n`);
  let loop;
  let conn;
  process.stdout.write('ready\n');
  for await (const line of createInterface({ input: process.stdin })) {
    const { id, cmd, ...a } = JSON.parse(line);
    if (cmd === 'get') {
      const results = [];
      for (let i = 0; i < a.n; i++) results.push(await get1(a.timeoutMs ?? 2000));
      reply(id, summarise(results));
    } else if (cmd === 'rate') {
      // a fixed number of keep-alive-less requests, `concurrency` at a time
      const results = [];
      let next = 0;
      const t0 = Date.now();
      await Promise.all(Array.from({ length: a.concurrency ?? 1 }, async () => {
        while (next < a.n) {
          next++;
          results.push(await get1(a.timeoutMs ?? 2000));
        }
      }));
      const s = summarise(results);
      reply(id, { ...s, elapsedMs: Date.now() - t0, rps: Math.round((s.ok * 1000) / (Date.now() - t0)) });
    } else if (cmd === 'loopStart') {
      // closed loop (default): one request at a time, `gapMs` after the previous one ended;
      // open loop (`everyMs`): a new request every `everyMs` whatever the others are doing
      loop = { stop: false, results: [], open: a.everyMs !== undefined };
      loop.done = loop.open
        ? new Promise((res) => {
          const pending = new Set();
          const timer = setInterval(() => {
            if (loop.stop) {
              clearInterval(timer);
              void Promise.all(pending).then(res);
              return;
            }
            const p = get1(a.timeoutMs ?? 300).then((r) => { loop.results.push(r); pending.delete(p); });
            pending.add(p);
          }, a.everyMs);
        })
        : (async () => {
          while (!loop.stop) {
            loop.results.push(await get1(a.timeoutMs ?? 500));
            await sleep(a.gapMs ?? 20);
          }
        })();
      reply(id, {});
    } else if (cmd === 'loopStop') {
      loop.stop = true;
      await loop.done;
      reply(id, summarise(loop.results, loop.open));
    } else if (cmd === 'connOpen') {
      conn = { sent: 0, echoed: 0, maxGapMs: 0, last: Date.now(), closed: false, buf: '' };
      const s = connect(9000, VIP);
      s.setNoDelay(true);
      s.setEncoding('utf8');
      s.on('data', (d) => {
        conn.buf += d;
        for (let i; (i = conn.buf.indexOf('\n')) >= 0;) {
          conn.buf = conn.buf.slice(i + 1);
          conn.echoed++;
          const now = Date.now();
          conn.maxGapMs = Math.max(conn.maxGapMs, now - conn.last);
          conn.last = now;
        }
      });
      s.on('error', (e) => { conn.err = e.code ?? e.message; });
      s.on('close', () => { conn.closed = true; clearInterval(conn.timer); });
      s.on('connect', () => { conn.timer = setInterval(() => { conn.sent++; s.write(`${conn.sent}\n`); }, a.everyMs ?? 100); });
      conn.sock = s;
      reply(id, {});
    } else if (cmd === 'connStatus' || cmd === 'connClose') {
      if (cmd === 'connClose') { clearInterval(conn.timer); conn.sock.end(); }
      const { sent, echoed, maxGapMs, closed, err, last } = conn;
      reply(id, { sent, echoed, maxGapMs, closed, err, lastEchoAgoMs: Date.now() - last });
    } else reply(id, { err: `unknown command ${cmd}` });
  }
}

// ---------------------------------------------------------------- a real server

function realServer(name) {
  const answer = (req, res) => { res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' }); res.end(`${name}\n`); };
  let http;
  const listen = () => new Promise((res) => { http = createHttpServer(answer); http.listen(80, '0.0.0.0', res); });
  const echo = createTcpServer((c) => { c.on('error', () => undefined); c.pipe(c); });
  process.on('SIGUSR1', () => { http.close(); http.closeAllConnections(); process.stdout.write('http stopped\n'); });
  process.on('SIGUSR2', () => { void listen().then(() => process.stdout.write('http started\n')); });
  process.on('SIGTERM', () => process.exit(0));
  void Promise.all([listen(), new Promise((res) => echo.listen(9000, '0.0.0.0', res))]).then(() => process.stdout.write('ready\n'));
}

// ---------------------------------------------------------------- the scenario

const steps = [];
function record(name, ok, extra = {}) {
  steps.push({ name, ...extra, ok });
  writeFileSync(join(OUT, 'steps.json'), JSON.stringify(steps, null, 1));
}

async function scenario(mode) {
  const P = `${mode}: `;
  setupCluster(mode);
  if (mode !== 'nat') {
    const rs = prepareRealServers(mode);
    record(`${P}real servers prepared by keepalived-ts realserver`, rs.every((r) => r.rc === 0), { detail: rs });
  }
  const servers = startRealServers();
  await Promise.all(servers.map((s) => s.ready));
  const d = {
    d1: startDirector('d1', 'kts', directorConf({ mode, name: 'd1', priority: 150, state: 'MASTER', sync: true, kts: true })),
    d2: startDirector('d2', 'kts', directorConf({ mode, name: 'd2', priority: 100, state: 'BACKUP', sync: true, kts: true })),
  };
  const agent = startAgent();
  await agent.child.ready;
  const full = fullTable(mode);
  let r = await until(() => hasAddr('d1', 'eth0', VIP) && full(ipvsTable('d1')) && full(ipvsTable('d2')), 90_000, 250);
  record(`${P}start: the master holds the VIP, both directors built the table`, r.ok, { ms: r.ms, d1: describeTable(ipvsTable('d1')), d2: describeTable(ipvsTable('d2')) });
  if (mode === 'nat') {
    r = await until(() => hasAddr('d1', 'eth1', GW_VIP), 5_000);
    record(`${P}start: the master holds the internal gateway VIP`, r.ok);
  }

  let g = await agent.call('get', { n: 8 });
  record(`${P}rr: the client gets answers from both real servers`, g.failed === 0 && g.names.rs1 > 0 && g.names.rs2 > 0, g);

  // a real server's HTTP service stops: the checker removes it; the client sees no error
  servers[1].kill('SIGUSR1');
  const gone = (t) => t[`TCP ${VIP}:80`] && !(`${rip(mode, 2)}:80` in t[`TCP ${VIP}:80`].dests) && `${rip(mode, 1)}:80` in t[`TCP ${VIP}:80`].dests;
  r = await until(() => gone(ipvsTable('d1')), 20_000);
  record(`${P}checker: a stopped HTTP service leaves the master's table`, r.ok, { ms: r.ms, d1: describeTable(ipvsTable('d1')) });
  g = await agent.call('get', { n: 10 });
  record(`${P}checker: no client error after the removal`, g.failed === 0 && g.names.rs1 === 10, g);
  servers[1].kill('SIGUSR2');
  r = await until(() => full(ipvsTable('d1')) && full(ipvsTable('d2')), 20_000);
  record(`${P}checker: the service is back in both tables`, r.ok, { ms: r.ms });

  // connection sync: the master's daemon is MASTER, the backup's BACKUP; a long-lived
  // connection opened through the master reaches the backup's connection table
  const syncd = (ns) => sh(`ip netns exec ${ns} ipvsadm -Ln --daemon`).trim();
  r = await until(() => /master sync daemon.*eth0.*syncid=51/.test(syncd('d1')) && /backup sync daemon.*eth0.*syncid=51/.test(syncd('d2')), 10_000);
  record(`${P}sync: MASTER sync daemon on the master, BACKUP on the backup`, r.ok, { d1: syncd('d1'), d2: syncd('d2') });
  await agent.call('connOpen', { everyMs: 100 });
  const synced = () => /ESTABLISHED\s+10\.0\.0\.100:\d+\s+10\.0\.0\.10:9000/.test(sh('ip netns exec d2 ipvsadm -Lnc'));
  r = await until(synced, 15_000, 200);
  record(`${P}sync: the backup director holds the long-lived connection`, r.ok, { ms: r.ms, d2conns: sh('ip netns exec d2 ipvsadm -Lnc').split('\n').filter((l) => l.includes(':9000')).join('\n') });

  // the master loses its LAN link under a steady request loop
  const before = describeTable(ipvsTable('d1'));
  await agent.call('loopStart', { timeoutMs: 500, gapMs: 20 });
  await sleep(1000);
  const connBefore = await agent.call('connStatus');
  const t0 = Date.now();
  sh('ip -n d1 link set eth0 down');
  r = await until(() => hasAddr('d2', 'eth0', VIP) && (mode !== 'nat' || hasAddr('d2', 'eth1', GW_VIP)), 20_000, 50);
  const takeoverMs = Date.now() - t0;
  record(`${P}failover: the backup takes the VIP${mode === 'nat' ? ' and the internal gateway VIP' : ''}`, r.ok, { ms: takeoverMs });
  const after = describeTable(ipvsTable('d2'));
  record(`${P}failover: the new master has the same IPVS table`, after === before, { before, after });
  r = await until(() => /master sync daemon/.test(syncd('d2')) && !/backup sync daemon/.test(syncd('d2')), 10_000);
  record(`${P}sync: the new master's sync daemon is MASTER`, r.ok, { d2: syncd('d2') });
  // the loop must see a few seconds of service from the new master
  await sleep(3000);
  const loop = await agent.call('loopStop');
  const recovered = loop.ok > 0 && loop.outageMs < 15_000;
  record(`${P}failover: the client loop recovers`, recovered, { outageMs: loop.outageMs, failed: loop.failed, requests: loop.requests, errors: loop.errors, names: loop.names, takeoverMs });
  // the connection's next retransmission reaches the new master, which knows where it goes
  let conn;
  const t1 = Date.now();
  for (;;) {
    conn = await agent.call('connStatus');
    if (conn.closed || conn.err || conn.echoed >= connBefore.echoed + 30 || Date.now() - t1 > 15_000) break;
    await sleep(250);
  }
  record(`${P}sync: the long-lived connection survives the takeover`, !conn.closed && !conn.err && conn.echoed >= connBefore.echoed + 30,
    { before: connBefore, after: conn });
  await agent.call('connClose');

  if (mode === 'dr') {
    // the failure mode the howtos warn about: a DR real server without arp_ignore answers ARP
    // for the VIP it holds on lo, and the client may send to it directly
    const rsMac = JSON.parse(sh('ip -n rs1 -j link show eth0'))[0].address.toLowerCase();
    const arping = () => shOk(`ip netns exec cl arping -c 2 -w 3 -I eth0 ${VIP}`).stdout.toLowerCase();
    const quiet = arping();
    sh('ip netns exec rs1 sysctl -qw net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.eth0.arp_ignore=0 net.ipv4.conf.lo.arp_ignore=0');
    const noisy = arping();
    sh('ip netns exec rs1 sysctl -qw net.ipv4.conf.all.arp_ignore=1');
    record(`${P}arp: with arp_ignore=1 only the director answers; without it the real server answers ARP for the VIP`,
      !quiet.includes(rsMac) && noisy.includes(rsMac), { rsMac, quiet: quiet.trim(), noisy: noisy.trim() });
  }

  // a clean stop of keepalived-ts stops the sync daemon it started
  const okStop = await stopProc(d.d2, 'SIGTERM', 15_000);
  record(`${P}stop: the new master stops and its sync daemon is gone`, okStop && syncd('d2') === '', { d2: syncd('d2') });
  await Promise.all([stopProc(d.d1), stopProc(agent.child), ...servers.map((s) => stopProc(s))]);
  writeFileSync(join(OUT, 'done'), 'ok\n');
}

const isMain = process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const [role, arg] = process.argv.slice(2);
  if (role === 'agent') await agent();
  else if (role === 'rs') realServer(arg);
  else if (role === 'scenario') {
    // the guest is killed at the host's time limit: say first where everything was
    setTimeout(() => diagnose('the scenario is still running after 200 s'), 200_000).unref();
    try {
      await scenario(arg);
    } catch (e) {
      diagnose(`the scenario aborted: ${String(e?.message ?? e)}`);
      record(`${arg}: scenario aborted`, false, { err: String(e?.stack ?? e) });
      process.exitCode = 1;
    }
    process.exit();
  } else {
    process.stderr.write('usage: cluster.mjs scenario nat|dr|tun | agent | rs NAME\n');
    process.exit(2);
  }
}
