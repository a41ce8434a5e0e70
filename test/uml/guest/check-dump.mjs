// Guest side of test/uml/check-dump-oracle.test.ts: for each configuration of
// test/fixtures/dumps/check, real keepalived 2.2.7 and then keepalived-ts run the checker side
// alone (-C -n -l) against the same real servers; once the IPVS table is applied and every
// checker has had time to run and settle, the process that handles the checkers gets SIGUSR1
// (keepalived: its checker child, from the -c pidfile; keepalived-ts -C: the process itself) and
// its keepalived_check.data is copied to $UML_OUT as CONF.IMPL.data, its log as CONF.IMPL.log.
// Then the same configuration is reloaded (SIGHUP) and dumped again as CONF.IMPL.reload.data.
// Each implementation has its own $TMPDIR, so neither can read the other's file.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { diagnose, exited, ipvsTable, OUT, sh, sleep, start, stop, until } from './lib.mjs';

setTimeout(() => diagnose('the scenario is still running after 300 s'), 300_000).unref();
process.on('exit', (code) => { if (code !== 0) diagnose(`the scenario exits ${code}`); });

const CLI = join(process.cwd(), 'dist/src/cli.js');
const FIXTURES = 'test/fixtures/dumps/check';
const RUN = '/run/kts-cd';
/** how long checkers run before the dump: every delay_loop is 1-2 s, the longest round (five URLs) about 6 s */
const SETTLE_MS = Number(process.env.CHECK_DUMP_SETTLE_MS ?? 12_000);
/** after a reload: the checkers carry on where they were */
const RELOAD_SETTLE_MS = 6000;

mkdirSync(RUN, { recursive: true });
sh('ip link add rs0 type dummy && ip link set rs0 up');
for (let i = 1; i <= 9; i++) sh(`ip addr add 10.9.1.${i}/32 dev rs0`);
sh('ip addr add 10.9.2.1/32 dev rs0 && ip -6 addr add fd00::11/128 dev rs0 nodad');
writeFileSync(`${RUN}/misc.sh`, '#!/bin/sh\nexit "$1"\n');
writeFileSync(`${RUN}/notify.sh`, `#!/bin/sh\necho "$*" >> ${RUN}/notify.log\n`);
sh(`chmod 755 ${RUN}/misc.sh ${RUN}/notify.sh`);
writeFileSync(`${RUN}/tf_weight`, '2\n');
writeFileSync(`${RUN}/tf_down`, '0\n');
sh(`mkfifo ${RUN}/global.fifo`);

const servers = [];
async function serve(kind, addr, port) {
  const c = start(`srv-${kind}-${addr}-${port}`, process.execPath, ['test/uml/guest/rs-server.mjs', kind, addr, String(port)]);
  servers.push(c);
  await c.ready;
}
await serve('http', '10.9.1.1', 80);
await serve('tcp', '10.9.1.2', 80);
await serve('dns', '10.9.1.7', 53);
await serve('udp', '10.9.1.6', 9000);
await serve('smtp', '10.9.1.8', 25);
await serve('tcp', 'fd00::11', 80);

/** the configuration as the guest runs it: digests of what rs-server.mjs answers filled in */
function configText(file) {
  return readFileSync(file, 'utf8').replace(/DIGEST_(\d+)_(\d+)_(\d+)_(\d+)/g, (_m, a, b, c, d) =>
    createHash('md5').update(`ok ${a}.${b}.${c}.${d}\n`).digest('hex'));
}

async function run(id, file, impl) {
  const tmp = `${RUN}/${impl}-tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const conf = `${RUN}/${id}.conf`;
  writeFileSync(conf, configText(file));
  sh('ipvsadm -C');
  const env = { ...process.env, TMPDIR: tmp };
  const child = impl === 'keepalived'
    ? start(`${id}.${impl}`, 'keepalived', ['-n', '-l', '-D', '-C', '-f', conf, '-p', `${RUN}/ka.pid`, '-c', `${RUN}/ka-check.pid`], 'ignore', env)
    : start(`${id}.${impl}`, process.execPath, [CLI, '-C', '-n', '-l', '-f', conf, '-p', `${RUN}/kts.pid`], 'ignore', env);
  const applied = await until(() => exited(child) || Object.keys(ipvsTable()).length > 0, 30_000);
  const rec = { applied, table: sh('ipvsadm -Ln') };
  /** SIGUSR1 to the process that handles the checkers; its file copied to $UML_OUT/NAME */
  const dump = async (name) => {
    const pid = impl === 'keepalived' ? Number(readFileSync(`${RUN}/ka-check.pid`, 'utf8').trim()) : child.pid;
    const data = join(tmp, 'keepalived_check.data');
    rmSync(data, { force: true });
    process.kill(pid, 'SIGUSR1');
    await until(() => existsSync(data) && readFileSync(data, 'utf8').length > 0, 10_000);
    // the file is written in one go by both; give a slow guest a moment to finish it
    await sleep(500);
    if (existsSync(data)) writeFileSync(join(OUT, name), readFileSync(data));
  };
  if (!exited(child)) {
    await sleep(SETTLE_MS);
    await dump(`${id}.${impl}.data`);
    rec.tableAtDump = sh('ipvsadm -Ln');
    // a reload of the same configuration: what carried over says so (reloaded, previous weights)
    process.kill(child.pid, 'SIGHUP');
    await sleep(RELOAD_SETTLE_MS);
    if (!exited(child)) await dump(`${id}.${impl}.reload.data`);
  }
  rec.exitedEarly = exited(child);
  await stop(child);
  return rec;
}

const record = {};
for (const f of readdirSync(FIXTURES).filter((n) => n.endsWith('.conf')).sort()) {
  const id = basename(f, '.conf');
  record[id] = {};
  for (const impl of ['keepalived', 'keepalived-ts']) {
    record[id][impl] = await run(id, join(FIXTURES, f), impl);
    writeFileSync(join(OUT, 'record.json'), JSON.stringify(record, null, 1));
  }
}
for (const s of servers) s.kill('SIGKILL');
writeFileSync(join(OUT, 'done'), 'ok\n');
