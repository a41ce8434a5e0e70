// Guest side of bench/checkers.mjs (runs inside the UML guest, from the repo root).
// One real server process answers TCP on port 80 of every address of a dummy interface; the
// config has VS x RS real servers with TCP_CHECK at delay_loop 1 and one VRRP instance that
// becomes MASTER on another dummy interface. keepalived 2.2.7 and keepalived-ts run the same
// config in turn; for each, after a warm-up, we sample the checker process's CPU time and RSS
// over a window and the VRRP adverts' intervals (tcpdump -tt on the VRRP interface).
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ktsNodeFlags } from '../../dist/src/lab/director.js';

const OUT = process.env.UML_OUT;
const [vsCount, rsPerVs, warmupS, windowS, delayLoop = 1, reloadTest = 0, snmpWalks = 0] = process.argv.slice(2).map(Number);
/** --snmp-walk: net-snmp's snmpd as the AgentX master, both processes' MIBs served, walked without pause during the window */
const AGENTX = '/run/bench-agentx.sock';
const MIB_ENV = { ...process.env, MIBS: '', MIBDIRS: '/nonexistent' };
/** The kernel's TCP counters (/proc/net/snmp), by name. */
function tcpCounters() {
  const [names, values] = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Tcp:')).map((l) => l.split(/\s+/).slice(1));
  return Object.fromEntries(names.map((n, i) => [n, Number(values[i])]));
}
/** /proc/net/netstat's TcpExt counters (ListenOverflows: connects the real server's full accept queue dropped) */
function tcpExtCounters() {
  const [names, values] = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:')).map((l) => l.split(/\s+/).slice(1));
  return Object.fromEntries(names.map((n, i) => [n, Number(values[i])]));
}
const TICK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
// keepalived-ts logs to this file too (-g): its lines are there when the pipe's are late
const KTS_FILE_LOG = '/run/kts.file.log';

/**
 * When keepalived's checker has applied a reload, from its console lines (this Debian build
 * has no log file): after the IPVS table is reconciled it registers its checkers again, one
 * "Activating healthchecker" (or "Deactivating") line each (check_daemon.c reload_check_thread,
 * start_check; check_api.c register_checkers_thread). After the HUP nothing else logs those
 * lines, so the one that completes the count is the end: its time is when it reached this
 * process (keepalived writes its console lines unbuffered; its own stamps are whole seconds).
 */
function kaReloadWatch(checkers) {
  let armed = false;
  let rest = '';
  let count = 0;
  let endAt;
  return {
    arm: () => { armed = true; },
    feed: (chunk) => {
      if (!armed || endAt !== undefined) return;
      const lines = (rest + chunk.toString('latin1')).split('\n');
      rest = lines.pop();
      for (const l of lines) if (l.includes('ctivating healthchecker for service') && ++count === checkers) endAt = Date.now();
    },
    end: () => endAt,
    count: () => count,
  };
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sh = (cmd) => {
  const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  return r.stdout;
};

const rsAddr = (i) => `10.8.${Math.floor(i / 250)}.${(i % 250) + 1}`;

function setup() {
  sh('ulimit -n 65536; ip link add rs0 type dummy && ip link set rs0 up && ip link add vr0 type dummy && ip link set vr0 multicast on up && ip addr add 10.7.0.1/24 dev vr0');
  const lines = [];
  for (let i = 0; i < vsCount * rsPerVs; i++) lines.push(`addr add ${rsAddr(i)}/32 dev rs0`);
  writeFileSync('/run/rs.batch', lines.join('\n') + '\n');
  sh('ip -batch /run/rs.batch');
}

function config() {
  const out = ['global_defs {', '  router_id bench', ...(snmpWalks ? ['  enable_snmp_vrrp', '  enable_snmp_checker'] : []), '}', 'vrrp_instance VI_1 {', '  interface vr0', '  state BACKUP',
    '  virtual_router_id 51', '  priority 150', '  advert_int 1', '  virtual_ipaddress {', '    10.7.0.100/32', '  }', '}'];
  for (let v = 0; v < vsCount; v++) {
    out.push(`virtual_server 10.6.${Math.floor(v / 250)}.${(v % 250) + 1} 80 {`, `  delay_loop ${delayLoop}`, '  lb_algo wrr', '  lb_kind DR', '  protocol TCP');
    for (let r = 0; r < rsPerVs; r++) {
      out.push(`  real_server ${rsAddr(v * rsPerVs + r)} 80 {`, '    weight 1', '    TCP_CHECK {', '      connect_timeout 3', '    }', '  }');
    }
    out.push('}');
  }
  writeFileSync('/run/bench.conf', out.join('\n') + '\n');
}

function cpuTicks(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
}
function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return NaN; // the process is gone
  }
}
// PSS: the process's share of its pages, each page shared by N processes counted 1/N in each
// (the node binary's pages in both of keepalived-ts's processes, libc in keepalived's three)
function pssKb(pid) {
  const m = /^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return m ? Number(m[1]) : 0;
}
function anonKb(pid) {
  const m = /^Pss_Anon:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return m ? Number(m[1]) : 0;
}
function children(pid) {
  return sh(`ps -o pid= --ppid ${pid} || true`).split('\n').map((s) => Number(s.trim())).filter(Boolean);
}

function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
}

/** snmpd as the AgentX master of this run (SNMP on 127.0.0.1:16161 only) */
async function startSnmpd() {
  writeFileSync('/run/bench-snmpd.conf', ['master agentx', `agentXSocket unix:${AGENTX}`, 'agentaddress udp:127.0.0.1:16161',
    'rocommunity public 127.0.0.1', 'agentXTimeout 5', ''].join('\n'));
  sh(`rm -f ${AGENTX}`);
  const snmpd = spawn('snmpd', ['-f', '-Lf', '/dev/null', '-C', '-c', '/run/bench-snmpd.conf', '-p', '/run/bench-snmpd.pid'], { stdio: 'ignore', env: MIB_ENV });
  for (let i = 0; i < 100 && spawnSync('test', ['-S', AGENTX]).status !== 0; i++) await sleep(100);
  return snmpd;
}

/**
 * Walks KEEPALIVED-MIB (GetBulk, 50 a time) one after the other until stop(), which ends the
 * walk under way: each walk's time and objects (the last one cut short: `whole` false).
 */
function walkLoop() {
  let stopped = false;
  let current;
  const walks = [];
  const loop = (async () => {
    while (!stopped) {
      const t = Date.now();
      const r = await new Promise((res) => {
        current = spawn('snmpbulkwalk', ['-v2c', '-c', 'public', '-On', '-Cr50', '-t', '10', '-r', '0', '127.0.0.1:16161', '1.3.6.1.4.1.9586.100.5'], { stdio: ['ignore', 'pipe', 'pipe'], env: MIB_ENV });
        let lines = 0;
        let last = '';
        current.stdout.on('data', (d) => { for (const c of d) if (c === 10) lines++; last = String(d).slice(-300); });
        // why a walk failed: its last output and its error, in $UML_OUT/snmpwalk.err
        current.stderr.on('data', (d) => appendFileSync(join(OUT, 'snmpwalk.err'), `${new Date().toISOString()} after ${lines} objects (${last.split('\n').slice(-2).join(' | ')}): ${d}`));
        current.on('exit', (code, signal) => res({ code, signal, lines }));
      });
      walks.push({ ms: Date.now() - t, objects: r.lines, ok: r.code === 0, whole: r.signal === null });
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      current?.kill('SIGKILL');
      await loop;
      return walks;
    },
  };
}

async function measure(impl) {
  sh('ipvsadm -C');
  const snmpd = snmpWalks ? await startSnmpd() : undefined;
  const agentx = snmpWalks ? ['-A', AGENTX] : [];
  const args = impl === 'keepalived'
    ? ['keepalived', ['-n', '-l', '-f', '/run/bench.conf', '-p', '/run/k.pid', '-r', '/run/kv.pid', '-c', '/run/kc.pid', ...agentx]]
    // with the launcher's node flags, as the installed command runs (its #! line)
    // KTS_EXTRA_FLAGS: node flags for both processes (e.g. --cpu-prof --cpu-prof-dir=DIR)
    : [process.execPath, [...ktsNodeFlags(), ...(process.env.KTS_EXTRA_FLAGS?.split(' ').filter(Boolean) ?? []), join(process.cwd(), 'dist/src/cli.js'), '-n', '-l', '-f', '/run/bench.conf', '-p', '/run/kts.pid', `-g${KTS_FILE_LOG}`, ...agentx]];
  const logPath = join(OUT, `${impl}.log`);
  const metricsText = [];
  const daemon = spawn(args[0], args[1], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logChunks = [];
  // keepalived-ts's log, whole: its checker's 'reloaded' line is read from it
  const kaWatch = kaReloadWatch(vsCount * rsPerVs);
  const onLog = (d) => {
    if (logChunks.length < 2000 || impl === 'kts') logChunks.push(d);
    if (impl === 'keepalived') kaWatch.feed(d);
  };
  let exited;
  daemon.once('exit', (code, signal) => { exited = { code, signal, afterS: (Date.now() - t0) / 1000 }; });
  daemon.stdout.on('data', onLog);
  daemon.stderr.on('data', onLog);
  const t0 = Date.now();
  let checker;
  while (!checker && Date.now() - t0 < 30_000) {
    await sleep(500);
    // keepalived: parent -> VRRP child + checker child (pidfile); keepalived-ts: parent (VRRP) -> checker child
    if (impl === 'keepalived') {
      try { checker = Number(readFileSync('/run/kc.pid', 'utf8').trim()); } catch { /* not yet */ }
    } else {
      checker = children(daemon.pid)[0];
    }
  }
  if (!checker) throw new Error(`${impl}: no checker process`);
  await sleep(warmupS * 1000);
  // at nice 19: listing 50,000 destinations is seconds of the guest's only CPU, which the
  // checker (nice 5) would otherwise give up to it while reloading
  // the listing's destinations, without blocking this process (its reading of the daemon's
  // log, its timers); one that comes out short is kept (its services, ipvsadm's exit status
  // and stderr), to tell a table that lost destinations from a listing that failed
  let short;
  let destsBefore;
  // each listing's start and end (Date.now()), for the VRRP process's samples (KTS_SCHED_SAMPLE)
  const listingTimes = [];
  const dests = () => new Promise((resolve) => {
    // KTS_NO_LISTINGS=1: no listing at all (NaN): what the guest does without them (the reload's
    // end is still taken from the checker's state file)
    if (process.env.KTS_NO_LISTINGS) return resolve(Number.NaN);
    const listing = [Date.now()];
    listingTimes.push(listing);
    const p = spawn('nice', ['-n', '19', 'ipvsadm', '-Ln'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let n = 0;
    let services = 0;
    let rest = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d) => {
      const lines = (rest + d).split('\n');
      rest = lines.pop();
      for (const l of lines) {
        if (/-> [0-9]/.test(l)) n++;
        else if (/^(TCP|UDP|FWM)/.test(l)) services++;
      }
    });
    p.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    p.on('close', (status) => {
      listing.push(Date.now());
      if (destsBefore !== undefined && n < destsBefore && !short) short = { dests: n, services, status, stderr: stderr.slice(0, 500), atMs: Date.now() };
      resolve(n);
    });
  });
  destsBefore = await dests();
  const adverts = captureAdverts();
  const walking = snmpWalks ? walkLoop() : undefined;
  // the TCP connects the guest made over the window (/proc/net/snmp ActiveOpens): only the
  // checker connects, so this is its TCP_CHECK rate, to set against the one configured
  const opens0 = tcpCounters();
  const ext0 = tcpExtCounters();
  const c0 = cpuTicks(checker);
  const w0 = Date.now();
  const rss = [];
  for (let i = 0; i < windowS; i++) {
    await sleep(1000);
    rss.push(rssKb(checker));
  }
  const cpuS = (cpuTicks(checker) - c0) / TICK;
  const wallS = (Date.now() - w0) / 1000;
  const opens1 = tcpCounters();
  const connectsPerS = (opens1.ActiveOpens - opens0.ActiveOpens) / wallS;
  const connectFailsPerS = (opens1.AttemptFails - opens0.AttemptFails) / wallS;
  const ext1 = tcpExtCounters();
  // the real server fell behind: its accept queue was full and a connect's SYN or ACK was dropped
  const listenOverflows = ext1.ListenOverflows - ext0.ListenOverflows;
  const walks = await walking?.stop();
  if (impl === 'kts' && process.env.KTS_SNAPSHOT_SIGNAL) {
    // with KTS_EXTRA_FLAGS=--heapsnapshot-signal=SIG: the checker's heap now, in the daemon's cwd
    process.kill(checker, process.env.KTS_SNAPSHOT_SIGNAL);
    await sleep(20_000);
  }
  const vrrpPid = impl === 'keepalived' ? Number(readFileSync('/run/kv.pid', 'utf8').trim()) : daemon.pid;
  // the whole daemon at the end of the window (before any reload), and its VRRP process
  const memory = () => {
    const pids = [daemon.pid, ...children(daemon.pid)];
    const sum = (f) => pids.reduce((a, p) => { try { return a + (f(p) || 0); } catch { return a; } }, 0) / 1024;
    return { totalRssMb: sum(rssKb), totalPssMb: sum(pssKb), totalAnonMb: sum(anonKb), vrrpRssMb: (rssKb(vrrpPid) || 0) / 1024 };
  };
  const inWindow = memory();
  // KTS_SCHED_SAMPLE=1: the VRRP process's CPU from here to the end, every 250 ms (sched.log):
  // its run time, and its voluntary and forced context switches, to tell a process that ran
  // from a guest that stalled around a SIGXCPU
  const schedSamples = [];
  const schedSampler = process.env.KTS_SCHED_SAMPLE ? setInterval(() => {
    try {
      const t = readFileSync(`/proc/${vrrpPid}/sched`, 'utf8');
      const f = (k) => Number(new RegExp(`^${k.replace(/\./g, '\\.')}\\s*:\\s*(\\S+)`, 'm').exec(t)?.[1]);
      schedSamples.push(`${Date.now()} run_ms=${f('se.sum_exec_runtime').toFixed(1)} vol=${f('nr_voluntary_switches')} invol=${f('nr_involuntary_switches')}`);
    } catch (e) {
      schedSamples.push(`${Date.now()} ${e.code ?? e.message}`);
    }
  }, 250) : undefined;
  const threads = () => {
    // each thread of the checker: its name, state, kernel wait channel and current syscall
    if (impl !== 'kts') return;
    const out = [];
    for (const tid of sh(`ls /proc/${checker}/task`).split(/\s+/).filter(Boolean)) {
      const r = (f) => { try { return readFileSync(`/proc/${checker}/task/${tid}/${f}`, 'utf8').trim(); } catch (e) { return e.code; } };
      out.push(`${tid} ${r('comm')} state=${r('stat').split(') ')[1]?.split(' ')[0]} wchan=${r('wchan')} syscall=${r('syscall')}`);
    }
    out.push(sh(`ls -l /proc/${checker}/fd | head -20`));
    metricsText.push(out.join('\n'));
  };
  threads();
  if (impl === 'kts' && process.env.KTS_STRACE) {
    // KTS_STRACE=SECONDS: what the checker's threads do, system call by system call (strace.log)
    const st = spawn('timeout', [process.env.KTS_STRACE, 'strace', '-f', '-tt', '-T', '-s', '64', '-o', join(OUT, 'strace.log'), '-p', String(checker)], { stdio: 'ignore' });
    await new Promise((r) => st.on('exit', r));
    threads();
  }
  // each scrape with the time it took (whether the checker's part came within the daemon's wait)
  const metrics = () => {
    if (impl !== 'kts') return;
    const t0 = performance.now();
    const text = spawnSync('curl', ['-s', '-m', '20', '--unix-socket', '/run/keepalived-ts/control.sock', 'http://kts/metrics'], { encoding: 'utf8' }).stdout ?? '';
    const ms = Math.round(performance.now() - t0);
    metricsText.push(`# scrape took ${ms} ms\n${text}`);
    const age = /^keepalived_ts_checker_servers_age_seconds (\S+)$/m.exec(text)?.[1];
    scrapes.push({ ms, checkerPart: /^keepalived_ts_checker_process_up 1$/m.test(text), ...(age !== undefined ? { ageS: Number(age) } : {}) });
  };
  // after the window (out of its CPU figure): two scrapes 10 s apart, as a Prometheus would make
  // them; whether each had the checker's part (its process answered within the daemon's wait)
  const scrapes = [];
  metrics();
  if (impl === 'kts') await sleep(10_000);
  metrics();
  const stamps = await adverts.stop();
  const jitterMs = [];
  for (let i = 1; i < stamps.length; i++) jitterMs.push(Math.abs((stamps[i] - stamps[i - 1]) * 1000 - 1000));
  let reload;
  if (reloadTest) {
    // the adverts while both processes reload: the longest gap between two
    const during = captureAdverts();
    // the HUP once tcpdump is capturing and the last scrape's and listing's processes are done:
    // the reload alone on the CPU. (Sent with tcpdump still starting, the checker at nice 5
    // began its reload 0.45-0.7 s after its signal at 50,000.)
    await during.ready;
    await sleep(1000);
    // keepalived-ts: until its checker has applied the reloaded table (it writes its state file
    // then), at most 2 min; the time is the file's own mtime (when it was written, whatever the
    // moment this process looks), of the first write after the HUP (looked for every 100 ms: a
    // later change writes it again)
    const stateFile = '/run/keepalived-ts/ipvs-services.json';
    const mtime = () => { try { return statSync(stateFile).mtimeMs; } catch { return 0; } };
    const before = mtime();
    let written;
    const poll = setInterval(() => { const m = mtime(); if (written === undefined && m > before) written = m; }, 100);
    // keepalived: its checker's console lines say when its reload is done (kaReloadWatch)
    kaWatch.arm();
    const done = impl === 'kts' ? () => written !== undefined : () => kaWatch.end() !== undefined;
    reload = await reloadSame(daemon, destsBefore, dests, done);
    // KTS_HOLD_S: the daemon kept running this long after the reload (what comes a minute after it)
    if (process.env.KTS_HOLD_S) await sleep(Number(process.env.KTS_HOLD_S) * 1000);
    clearInterval(poll);
    if (written !== undefined) reload.doneMs = Math.round(written - reload.t0);
    if (impl === 'keepalived') {
      reload.activatedAfterHup = kaWatch.count();
      if (kaWatch.end() !== undefined) reload.doneMs = reload.loggedMs = kaWatch.end() - reload.t0;
    }
    if (short) reload.shortListing = { ...short, atMs: short.atMs - reload.t0 };
    const st = await during.stop();
    let gap = 0;
    for (let i = 1; i < st.length; i++) gap = Math.max(gap, (st[i] - st[i - 1]) * 1000);
    reload.longestAdvertGapMs = gap;
  }
  metrics();
  const result = {
    impl, checkerPid: checker, cpuS, wallS, cpuPct: (100 * cpuS) / wallS, connectsPerS, connectFailsPerS, listenOverflows, scrapes,
    checkerRssMb: Math.max(...rss) / 1024, ...inWindow,
    ...(reload ? { reload: { ...reload, after: memory() } } : {}),
    destsBefore, destsAfter: await dests(), adverts: stamps.length,
    jitterP99Ms: pct(jitterMs, 99), jitterP50Ms: pct(jitterMs, 50), jitterMaxMs: Math.max(...jitterMs),
    ...(walks ? {
      snmp: {
        walks: walks.filter((w) => w.whole).length, failed: walks.filter((w) => w.whole && !w.ok).length,
        objects: Math.max(0, ...walks.filter((w) => w.whole).map((w) => w.objects)),
        objectsPerS: walks.reduce((a, w) => a + w.objects, 0) / wallS,
        walkP50Ms: pct(walks.filter((w) => w.whole).map((w) => w.ms), 50), walkMaxMs: Math.max(0, ...walks.filter((w) => w.whole).map((w) => w.ms)),
      },
    } : {}),
  };
  if (exited) result.exited = exited; // it stopped on its own during the run
  if (schedSampler) {
    clearInterval(schedSampler);
    writeFileSync(join(OUT, 'sched.log'), [...schedSamples, ...listingTimes.map(([a, b]) => `listing ${a} ${b ?? 'unfinished'}`)].join('\n') + '\n');
  }
  daemon.kill('SIGTERM');
  if (!exited) await new Promise((r) => { const t = setTimeout(() => { daemon.kill('SIGKILL'); r(); }, 15_000); daemon.on('exit', () => { clearTimeout(t); r(); }); });
  snmpd?.kill('SIGTERM');
  writeFileSync(logPath, Buffer.concat(logChunks));
  let fileLog = '';
  if (impl === 'kts') {
    // its checker's threads as the window ended; its metrics (log lines dropped, whether the
    // checker answered) then and after the reload
    writeFileSync(join(OUT, 'kts-metrics.log'), metricsText.join('\n----\n'));
    // its log file, without the start's line per checker
    try {
      fileLog = readFileSync(KTS_FILE_LOG, 'latin1');
      const all = fileLog.split('\n');
      const starts = all.filter((l) => l.includes('Activating healthchecker'));
      const head = `# ${all.length} lines, ${starts.length} "Activating healthchecker" (left out here), the last of them: ${starts.at(-1) ?? 'none'}`;
      writeFileSync(join(OUT, 'kts-file.log'), [head, ...all.filter((l) => !l.includes('Activating healthchecker'))].join('\n'));
    } catch { /* none written */ }
  }
  if (impl === 'kts' && result.reload) {
    // the checker's 'reloaded' line, read once the log is whole (its lines can reach the pipe
    // late): its time (the guest's clock, as t0) and its own phases
    // (or from its log file, which a stalled pipe does not hold up)
    const line = (Buffer.concat(logChunks).toString('latin1') + fileLog).split('\n').find((l) => l.includes('"checker configuration reloaded"'));
    const j = line ? JSON.parse(line) : undefined;
    if (j) Object.assign(result.reload, { loggedMs: j.time - result.reload.t0, checkerMs: j.ms, readMs: j.readMs, checkersMs: j.checkersMs, ipvsMs: j.ipvsMs, flushWaitMs: j.flushWaitMs, prepareMs: j.prepareMs, engineMs: j.engineMs, carryMs: j.carryMs });
  }
  return result;
}

/** The VRRP adverts on vr0 from now until stop(): their times (s). */
function captureAdverts() {
  const tcpdump = spawn('tcpdump', ['-i', 'vr0', '-tt', '-n', '-l', 'ip proto 112'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let dump = '';
  tcpdump.stdout.on('data', (d) => { dump += d; });
  // tcpdump says "listening on" once its capture is open (its start is a good part of a second
  // of the guest's only CPU, at nice 0)
  let said = '';
  const ready = new Promise((resolve) => {
    tcpdump.stderr.on('data', (d) => { said += d; if (said.includes('listening on')) resolve(); });
    tcpdump.on('exit', () => resolve());
  });
  return {
    ready,
    stop: async () => {
      tcpdump.kill('SIGINT');
      await sleep(300);
      return dump.split('\n').map((l) => parseFloat(l)).filter((x) => Number.isFinite(x));
    },
  };
}

/**
 * SIGHUP with the same file: the fewest real servers in the table over 15 s, or until `done`
 * (a settled reload of the same file never has fewer than before), and the table after.
 * keepalived-ts's checker writes its state file when its reload is applied, and logs it;
 * keepalived's end is read from its checker's lines (kaReloadWatch).
 */
async function reloadSame(daemon, expected, dests, done) {
  const t0 = Date.now();
  daemon.kill('SIGHUP');
  let fewest = expected;
  const listings = [];
  // RELOAD_WAIT_S: how long to wait for the reload's end (keepalived's checker at 50,000 real
  // servers takes longer than the default 120 s)
  const waitMs = Number(process.env.RELOAD_WAIT_S ?? 120) * 1000;
  while (Date.now() - t0 < waitMs) {
    const n = await dests();
    listings.push([Date.now() - t0, n]);
    fewest = Math.min(fewest, n);
    if (done() && Date.now() - t0 >= 15_000) break;
    await sleep(500);
  }
  return { t0, fewestDests: fewest, destsAfter: await dests(), listings };
}

setup();
config();
const server = spawn(process.execPath, ['test/uml/guest/rs-server.mjs', 'tcp', '0.0.0.0', '80'], { stdio: 'ignore' });
await sleep(1000);
const results = [];
for (const impl of (process.env.BENCH_ORDER ?? 'keepalived,kts').split(',')) {
  results.push(await measure(impl));
  writeFileSync(join(OUT, 'result.json'), JSON.stringify(results, null, 1));
}
server.kill();
