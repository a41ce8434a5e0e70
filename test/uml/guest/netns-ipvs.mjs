// Guest side of test/uml/netns-ipvs.test.ts: a virtual server in a network namespace. keepalived
// 2.2.7 and keepalived-ts, one after the other, are started in the guest's root namespace with
// `net_namespace kts-lvs` (and once with `-s kts-lvs` instead); the IPVS table of the namespace
// and of the root namespace are recorded while each runs and after it stops, in
// $UML_OUT/record.json, for the host test to compare.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { diagnose, OUT, settleOn, sh, sleep, start } from './lib.mjs';

setTimeout(() => diagnose('the scenario is still running after 100 s'), 100_000).unref();
process.on('exit', (code) => { if (code !== 0) diagnose(`the scenario exits ${code}`); });

const CLI = join(process.cwd(), 'dist/src/cli.js');
const RUN = '/run/kts-netns';
const NS = 'kts-lvs';
sh(`mkdir -p ${RUN} && ip netns add ${NS}`);
sh(`ip -n ${NS} link set lo up && ip -n ${NS} link add rs0 type dummy && ip -n ${NS} link set rs0 up && ip -n ${NS} addr add 10.9.1.1/32 dev rs0`);

/** A table without the version header, lines as ipvsadm prints them. */
const table = (where) => sh(`${where === 'root' ? '' : `ip netns exec ${NS} `}ipvsadm -Ln`).split('\n').slice(3).map((l) => l.trimEnd()).filter((l) => l !== '').join('\n');
const snapshot = () => ({ root: table('root'), netns: table(NS) });

const conf = (inConfig) => `${inConfig ? `net_namespace ${NS}\n` : ''}global_defs {
  router_id uml
}
virtual_server 10.9.0.1 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 10.9.1.1 80 {
    weight 2
  }
}
`;

const settle = (pred, ms) => settleOn(snapshot, pred, ms);

async function scenario(impl, how) {
  const file = `${RUN}/${impl}-${how}.conf`;
  writeFileSync(file, conf(how === 'config'));
  const ns = how === 'config' ? [] : ['-s', NS];
  const d = impl === 'keepalived'
    ? start(`${impl}-${how}`, 'keepalived', ['-n', '-l', '-D', '-C', ...ns, '-f', file])
    : start(`${impl}-${how}`, process.execPath, [CLI, '-C', '-n', '-l', ...ns, '-f', file]);
  const running = await settle((s) => s.netns.includes('10.9.1.1:80'));
  const pidFile = `/run/keepalived/${NS}/checkers.pid`;
  const pidfile = sh(`test -f ${pidFile} && echo yes || echo no`).trim();
  d.kill('SIGTERM');
  await new Promise((r) => (d.exitCode !== null || d.signalCode !== null ? r() : d.on('exit', r)));
  await sleep(300);
  const stopped = await settle((s) => s.netns === '', 5000);
  return { running, stopped, pidfile };
}

const record = {};
for (const impl of ['keepalived', 'keepalived-ts']) {
  record[impl] = { config: await scenario(impl, 'config'), option: await scenario(impl, 'option') };
  writeFileSync(join(OUT, 'record.json'), JSON.stringify(record, null, 1));
}
writeFileSync(join(OUT, 'done'), 'ok\n');
