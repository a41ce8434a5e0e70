// Guest side of test/uml/check-snmp.test.ts: the checker side's MIB and notifications of
// keepalived 2.2.7 and then keepalived-ts, on test/fixtures/snmp/check.conf, each under a
// fresh net-snmp snmpd (AgentX master on a socket of its own, SNMP on 127.0.0.1 only) and
// snmptrapd. For each implementation (-C -n -l, the checker side alone): once the IPVS table
// is applied and the checkers have settled, KEEPALIVED-MIB is walked (IMPL.walk); then the
// real server 10.9.1.2:80 stops answering, its virtual server loses its quorum, and the MIB is
// walked again (IMPL.walk2); a real server's weight is set through realServerWeight (and the
// sorry server's, which is refused: record.json); then the daemon is stopped. Before the first walk, three
// connections are made to the first virtual server, for its counters. The notifications snmptrapd received
// are in IMPL.traps. KTS_SNMP_IMPLS (comma-separated) runs only some of them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { diagnose, exited, ipvsTable, OUT, sh, sleep, start, stop, until } from './lib.mjs';

setTimeout(() => diagnose('the scenario is still running after 200 s'), 200_000).unref();
process.on('exit', (code) => { if (code !== 0) diagnose(`the scenario exits ${code}`); });

const CLI = join(process.cwd(), 'dist/src/cli.js');
const RUN = '/run/kts-cs';
const SOCK = `${RUN}/agentx.sock`;
const IMPLS = (process.env.KTS_SNMP_IMPLS ?? 'keepalived,keepalived-ts').split(',');
const SETTLE_MS = 8000;
const MIB_ENV = { ...process.env, MIBS: '', MIBDIRS: '/nonexistent' };

mkdirSync(RUN, { recursive: true });
sh('ip link add rs0 type dummy && ip link set rs0 up');
for (const i of [2, 4, 5, 7]) sh(`ip addr add 10.9.1.${i}/32 dev rs0`);
sh('ip -6 addr add fd00::11/128 dev rs0 nodad');
// ha_suspend: the virtual server's address is here; 10.9.0.1 too, so that connections made
// here go through IPVS (the counters the MIB shows)
sh('ip link add vip0 type dummy && ip link set vip0 up && ip addr add 10.9.0.2/32 dev vip0 && ip addr add 10.9.0.1/32 dev vip0');
writeFileSync(`${RUN}/snmpd.conf`, [
  'master agentx', `agentXSocket unix:${SOCK}`, 'agentaddress udp:127.0.0.1:16161',
  'rocommunity public 127.0.0.1', 'rwcommunity private 127.0.0.1', 'trap2sink 127.0.0.1:16162 public', 'agentXTimeout 5', '',
].join('\n'));
writeFileSync(`${RUN}/snmptrapd.conf`, 'disableAuthorization yes\n');

const servers = [];
async function serve(kind, addr, port) {
  const c = start(`srv-${kind}-${addr}-${port}`, process.execPath, ['test/uml/guest/rs-server.mjs', kind, addr, String(port)]);
  servers.push(c);
  await c.ready;
  return c;
}
await serve('http', '10.9.1.4', 80);
await serve('tcp', '10.9.1.5', 80);
await serve('dns', '10.9.1.7', 53);
await serve('tcp', 'fd00::11', 80);

function walk() {
  try {
    return sh('snmpwalk -v2c -c public -On -t 5 -r 1 127.0.0.1:16161 1.3.6.1.4.1.9586.100.5', 60_000);
  } catch (e) {
    return `walk failed: ${e.message}\n`;
  }
}

function walkOne(oid) {
  const r = spawnSync('snmpget', ['-v2c', '-c', 'public', '-On', '-t', '5', '-r', '1', '127.0.0.1:16161', oid], { encoding: 'utf8', env: MIB_ENV });
  return r.stdout.trim();
}

async function run(impl) {
  rmSync(SOCK, { force: true });
  const snmpd = start(`snmpd.${impl}`, 'snmpd', ['-f', '-Lf', `${OUT}/snmpd.${impl}.log`, '-C', '-c', `${RUN}/snmpd.conf`, '-p', `${RUN}/snmpd.pid`], 'ignore', MIB_ENV);
  const trapd = start(`trapd.${impl}`, 'snmptrapd', ['-f', '-Lo', '-On', '-C', '-c', `${RUN}/snmptrapd.conf`, '-p', `${RUN}/trapd.pid`, 'udp:127.0.0.1:16162'], 'ignore', MIB_ENV);
  await until(() => existsSync(SOCK), 10_000);
  const victim = await serve('tcp', '10.9.1.2', 80);
  sh('ipvsadm -C');
  const tmp = `${RUN}/${impl}-tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const env = { ...process.env, TMPDIR: tmp };
  const conf = 'test/fixtures/snmp/check.conf';
  const child = impl === 'keepalived'
    ? start(impl, 'keepalived', ['-n', '-l', '-D', '-C', '-A', SOCK, '-f', conf, '-p', `${RUN}/ka.pid`, '-c', `${RUN}/ka-check.pid`], 'ignore', env)
    : start(impl, process.execPath, [CLI, '-C', '-n', '-l', '-A', SOCK, '-f', conf, '-p', `${RUN}/kts.pid`], 'ignore', env);
  const rec = { applied: await until(() => exited(child) || Object.keys(ipvsTable()).length > 0, 30_000) };
  await sleep(SETTLE_MS);
  // three connections to the first virtual server: its counters and its real server's
  for (let i = 0; i < 3; i++) spawnSync('bash', ['-c', 'timeout 2 bash -c "echo > /dev/tcp/10.9.0.1/80"'], { timeout: 5000 });
  // the kernel publishes its counters every 2 s (its estimator)
  await sleep(3000);
  writeFileSync(join(OUT, `${impl}.walk`), walk());
  rec.table = sh('ipvsadm -Ln');
  victim.kill('SIGKILL');
  // a TCP_CHECK every second, no retry: down within a few seconds
  await sleep(5000);
  writeFileSync(join(OUT, `${impl}.walk2`), walk());
  rec.table2 = sh('ipvsadm -Ln');
  // realServerWeight written: the DNS real server's weight 3 -> 5, then the sorry server's row (refused)
  const set = (oid, v) => spawnSync('snmpset', ['-v2c', '-c', 'private', '-On', '-t', '5', '-r', '0', '127.0.0.1:16161', oid, 'i', String(v)], { encoding: 'utf8', env: MIB_ENV });
  const ok = set('.1.3.6.1.4.1.9586.100.5.3.4.1.7.4.1', 5);
  const sorry = set('.1.3.6.1.4.1.9586.100.5.3.4.1.7.1.1', 7);
  await sleep(1000);
  rec.set = { rc: ok.status, out: ok.stdout.trim(), sorryRc: sorry.status, table: sh('ipvsadm -Ln -u 10.9.0.2:53'), now: walkOne('.1.3.6.1.4.1.9586.100.5.3.4.1.7.4.1') };
  rec.exitedEarly = exited(child);
  await stop(child);
  await sleep(1500);
  await stop(trapd);
  await stop(snmpd);
  writeFileSync(join(OUT, `${impl}.traps`), existsSync(join(OUT, `trapd.${impl}.log`)) ? readFileSync(join(OUT, `trapd.${impl}.log`)) : '');
  return rec;
}

const record = {};
for (const impl of IMPLS) {
  record[impl] = await run(impl);
  writeFileSync(join(OUT, 'record.json'), JSON.stringify(record, null, 1));
}
for (const s of servers) s.kill('SIGKILL');
writeFileSync(join(OUT, 'done'), 'ok\n');
