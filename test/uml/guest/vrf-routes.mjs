// Guest side of test/uml/vrf-routes.test.ts: routes with `vrf NAME` on a kernel with VRF devices.
// A VRF `blue` (table 1001) with a dummy `vd1` enslaved, and a veth `vr0` for the instance;
// keepalived 2.2.7 and keepalived-ts, one after the other: `-t` on the configuration and on one
// naming a missing VRF and a link that is not one, then the daemon, with the routes of tables
// 1001 and 100 recorded while it runs and after it stops, in $UML_OUT/record.json.
import { writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { diagnose, OUT, settleOn, sh, sleep, start } from './lib.mjs';

setTimeout(() => diagnose('the scenario is still running after 100 s'), 100_000).unref();
process.on('exit', (code) => { if (code !== 0) diagnose(`the scenario exits ${code}`); });

const CLI = join(process.cwd(), 'dist/src/cli.js');
const RUN = '/run/kts-vrf';
sh(`mkdir -p ${RUN}`);
sh('ip link add blue type vrf table 1001 && ip link set blue up');
sh('ip link add vd1 type dummy && ip link set vd1 master blue && ip link set vd1 up && ip addr add 10.61.255.1/24 dev vd1');
sh('ip link add vr0 type veth peer name vr1 && ip link set vr1 up && ip link set vr0 up && ip addr add 10.60.0.1/24 dev vr0');

const good = `global_defs {
  router_id uml
}
static_routes {
  10.61.0.0/16 dev vd1 vrf blue
  10.62.0.0/16 dev vd1 vrf blue table 100
  10.63.0.0/16 dev vd1 table 100 vrf blue
}
vrrp_instance VI_1 {
  state MASTER
  interface vr0
  virtual_router_id 51
  priority 255
  advert_int 1
  virtual_ipaddress {
    10.60.0.100/24
  }
  virtual_routes {
    10.64.0.0/16 dev vd1 vrf blue
  }
}
`;
const bad = good.replace('10.62.0.0/16 dev vd1 vrf blue table 100', '10.62.0.0/16 dev vd1 vrf red').replace('10.63.0.0/16 dev vd1 table 100 vrf blue', '10.63.0.0/16 dev vd1 vrf vr0');
writeFileSync(`${RUN}/good.conf`, good);
writeFileSync(`${RUN}/bad.conf`, bad);

// a table exists once a route is in it: until the daemon has installed one, none ("FIB table does not exist")
const table = (id) => sh(`ip route show table ${id} proto 18 2>/dev/null || true`).trim();
const routes = () => ({ t1001: table(1001), t100: table(100) });
const test = (impl, file) => {
  const r = impl === 'keepalived'
    ? spawnSync('keepalived', ['-t', '-f', file], { encoding: 'utf8' })
    : spawnSync(process.execPath, [CLI, '-t', '-f', file], { encoding: 'utf8' });
  return { rc: r.status, stderr: r.stderr };
};

async function scenario(impl) {
  const out = { testGood: test(impl, `${RUN}/good.conf`), testBad: test(impl, `${RUN}/bad.conf`) };
  const d = impl === 'keepalived'
    ? start(impl, 'keepalived', ['-n', '-l', '-D', '-P', '-f', `${RUN}/good.conf`, '-p', `${RUN}/k.pid`, '-r', `${RUN}/v.pid`, '-c', `${RUN}/c.pid`])
    : start(impl, process.execPath, [CLI, '-n', '-l', '-P', '-f', `${RUN}/good.conf`, '-p', `${RUN}/kts.pid`]);
  out.running = await settleOn(routes, (s) => s.t1001.includes('10.64.0.0/16') && s.t100.includes('10.62.0.0/16'));
  d.kill('SIGTERM');
  await new Promise((r) => (d.exitCode !== null || d.signalCode !== null ? r() : d.on('exit', r)));
  await sleep(300);
  out.stopped = routes();
  sh('ip route flush table 1001 proto 18; ip route flush table 100 proto 18');
  return out;
}

const sysfs = (name) => ({ type: sh(`cat /sys/class/net/${name}/type`), flags: sh(`cat /sys/class/net/${name}/flags`), bonding: sh(`test -e /sys/class/net/${name}/bonding && echo yes || echo no`).trim() === 'yes' });
const record = { sysfs: { blue: sysfs('blue'), vd1: sysfs('vd1'), vr0: sysfs('vr0') } };
for (const impl of ['keepalived', 'keepalived-ts']) {
  record[impl] = await scenario(impl);
  writeFileSync(join(OUT, 'record.json'), JSON.stringify(record, null, 1));
}
writeFileSync(join(OUT, 'done'), 'ok\n');
