// Guest side of test/uml/lvs-globals.test.ts: the LVS globals (lvs_timeouts, lvs_flush,
// lvs_flush_on_stop full and VS, child_wait_time's neighbour lvs_flush_onstop) run by real
// keepalived 2.2.7 and by keepalived-ts, one after the other, through the same steps; after
// each step `ipvsadm -L --timeout` and `ipvsadm -Ln` are recorded per implementation in
// $UML_OUT/record.json, for the host test to compare.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { diagnose, OUT, settleOn, sh, sleep, start } from './lib.mjs';

setTimeout(() => diagnose('the scenario is still running after 170 s'), 170_000).unref();
process.on('exit', (code) => { if (code !== 0) diagnose(`the scenario exits ${code}`); });

const CLI = join(process.cwd(), 'dist/src/cli.js');
const RUN = '/run/kts-lvs';
sh(`mkdir -p ${RUN} && ip link add rs0 type dummy && ip link set rs0 up`);
sh('ip addr add 10.9.1.1/32 dev rs0 && ip addr add 10.9.1.2/32 dev rs0');

const timeouts = () => sh('ipvsadm -L --timeout').trim();
/** The table without the version header, lines as ipvsadm prints them. */
const table = () => sh('ipvsadm -Ln').split('\n').slice(3).map((l) => l.trimEnd()).filter((l) => l !== '').join('\n');
const snapshot = () => ({ timeouts: timeouts(), table: table() });
const foreign = () => sh('ipvsadm -A -t 192.168.99.1:80 -s rr && ipvsadm -a -t 192.168.99.1:80 -r 192.168.99.2:80 -m -w 4');

const conf = (globals) => `global_defs {
  router_id uml
${globals.map((g) => `  ${g}`).join('\n')}
}
virtual_server 10.9.0.1 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 10.9.1.1 80 {
    weight 2
  }
  real_server 10.9.1.2 80 {
  }
}
`;

function launch(impl, step) {
  const file = `${RUN}/${impl}.conf`;
  if (impl === 'keepalived') {
    return start(`${impl}-${step}`, 'keepalived', ['-n', '-l', '-D', '-C', '-f', file, '-p', `${RUN}/ka.pid`, '-c', `${RUN}/ka-check.pid`]);
  }
  return start(`${impl}-${step}`, process.execPath, [CLI, '-C', '-n', '-l', '-f', file, '-p', `${RUN}/kts.pid`]);
}

/** Poll until `pred(snapshot)` holds (or `ms` passes); returns the last snapshot. */
const settle = (pred, ms) => settleOn(snapshot, pred, ms);

const serving = (s) => /TCP  10\.9\.0\.1:80 rr\n  -> 10\.9\.1\.1:80 +Masq +2[\s\S]*10\.9\.1\.2:80/.test(s.table);

/** SIGHUP, saying so when the daemon is gone already (its exit is in its log). */
function reload(child, impl) {
  if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${impl} exited (${child.exitCode ?? child.signalCode}) before its reload`);
  process.kill(child.pid, 'SIGHUP');
}

async function stopped(child) {
  child.kill('SIGTERM');
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.on('exit', r)));
  await sleep(300);
}

async function scenario(impl) {
  const rec = {};
  const file = `${RUN}/${impl}.conf`;
  sh('ipvsadm -C && ipvsadm --set 900 120 300');
  foreign();
  rec.before = snapshot();

  // 1. lvs_flush at start, lvs_timeouts, lvs_flush_on_stop (full)
  writeFileSync(file, conf(['lvs_flush', 'lvs_timeouts tcp 7200 udp 60', 'lvs_flush_on_stop']));
  let d = launch(impl, 'full');
  rec.started = await settle((s) => serving(s) && !s.timeouts.includes(' 900 '));
  // a reload without lvs_timeouts puts the kernel's values back; one with another set applies it
  writeFileSync(file, conf(['lvs_flush', 'lvs_flush_on_stop']));
  reload(d, impl);
  rec.reloadedWithout = await settle((s) => s.timeouts.endsWith('900 120 300'));
  writeFileSync(file, conf(['lvs_flush', 'lvs_timeouts tcpfin 30', 'lvs_flush_on_stop']));
  reload(d, impl);
  rec.reloadedTcpfin = await settle((s) => s.timeouts.includes(' 30 '));
  // added after the start: the flush at stop takes it too
  foreign();
  await stopped(d);
  rec.stoppedFull = await settle((s) => s.table === '', 5000);

  // 2. no lvs_flush (the foreign service stays at start), lvs_flush_on_stop VS (each virtual
  //    server removed whole; the foreign service stays at stop)
  foreign();
  writeFileSync(file, conf(['lvs_timeouts udp 45', 'lvs_flush_on_stop VS']));
  d = launch(impl, 'vs');
  rec.startedVs = await settle((s) => serving(s) && s.timeouts.includes(' 45'));
  await stopped(d);
  rec.stoppedVs = await settle((s) => !s.table.includes('10.9.0.1:80'), 5000);

  // 3. neither: the timeouts stay the kernel's throughout
  writeFileSync(file, conf([]));
  d = launch(impl, 'none');
  rec.startedNone = await settle(serving);
  await stopped(d);
  rec.stoppedNone = await settle((s) => !s.table.includes('10.9.0.1:80'), 5000);
  sh('ipvsadm -C');
  return rec;
}

const record = {};
for (const impl of ['keepalived', 'keepalived-ts']) {
  record[impl] = await scenario(impl);
  writeFileSync(join(OUT, 'record.json'), JSON.stringify(record, null, 1));
}
writeFileSync(join(OUT, 'done'), 'ok\n');
