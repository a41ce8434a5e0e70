// Guest side of bench/scale-out.mjs (issue 21): requests per second through IPVS from one VRRP
// pair (keepalived-ts, then keepalived 2.2.7: the MASTER forwards, the BACKUP waits) and from
// three active-active directors (keepalived-ts announcing over BGP through FRR, the router
// spreading flows with ECMP), on the lab of test/uml/guest/aa-lab.mjs: same namespaces, same
// four real servers, same client, same mh scheduler.
//
// Each setup is loaded twice: as is, and with every director's capacity set by a token bucket
// on its LAN port (`tc tbf rate RATE`, the traffic from the router into the director). This
// guest is one single-CPU kernel: unshaped, every namespace's forwarding shares that one CPU,
// so three directors cannot do more than one, and the figure is the machine's ceiling. Shaped,
// each director has the capacity RATE gives it, well under that ceiling, so the real servers
// and the machine are not the bottleneck and the figure is what the directors can carry.
// Results in $UML_OUT/result.json. Usage: node bench/guest/scale-out-guest.mjs SECONDS CONCURRENCY RATE REQ_BYTES
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { diagnose, OUT, settleOn, sh, sleep, start } from '../../test/uml/guest/lib.mjs';
import {
  buildLab, CLI, D, lanIp, paths, prepareDirector, R, realServersConf, RUN, serve, startAllFrr, startDirector, VIP, writeDirectorConf,
} from '../../test/uml/guest/aa-lab.mjs';

const [secs = '10', conc = '24', rate = '4mbit', reqBytes = '4096'] = process.argv.slice(2);
setTimeout(() => diagnose('the bench is still running after 400 s'), 400_000).unref();

/** the VRRP pair's VIP, on the LAN: the router reaches it through the MASTER's ARP answer */
const PAIR_VIP = '10.10.0.100';
buildLab([VIP, PAIR_VIP]);
const servers = R.map(serve);
await Promise.all(servers.map((s) => s.ready));

const results = [];
const save = () => writeFileSync(join(OUT, 'result.json'), JSON.stringify({ secs: Number(secs), conc: Number(conc), rate, reqBytes: Number(reqBytes), results }, null, 1));
const stopped = (p) => new Promise((res) => (p.exitCode !== null || p.signalCode !== null ? res() : p.on('exit', res)));

function shape(on) {
  for (const d of D) {
    if (on) sh(`tc qdisc replace dev ${d}-lan root tbf rate ${rate} burst 32kb latency 400ms`);
    else sh(`tc qdisc del dev ${d}-lan root 2>/dev/null || true`);
  }
}

/** connections the director's IPVS scheduled so far (all its virtual servers) */
function conns(d) {
  const out = spawnSync('ip', ['netns', 'exec', d, 'ipvsadm', '-Ln', '--stats'], { encoding: 'utf8' }).stdout;
  return [...out.matchAll(/^TCP\s+\S+\s+(\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
}
const fullTable = (d, vip) => {
  const t = spawnSync('ip', ['netns', 'exec', d, 'ipvsadm', '-Ln'], { encoding: 'utf8' }).stdout;
  return t.includes(`${vip}:80`) && R.every((r) => t.includes(`${lanIp(r)}:80`));
};

async function load(setup, vip) {
  for (const shaped of [false, true]) {
    shape(shaped);
    const before = Object.fromEntries(D.map((d) => [d, conns(d)]));
    const run = spawnSync('ip', ['netns', 'exec', 'cl', process.execPath, 'bench/guest/scale-out-client.mjs', vip, conc, secs, reqBytes],
      { encoding: 'utf8', timeout: (Number(secs) + 30) * 1000 });
    let r;
    try {
      r = JSON.parse(run.stdout.trim().split('\n').at(-1));
    } catch {
      r = { error: `client: ${run.stderr.slice(-500) || run.error?.message || 'no output'}` };
    }
    results.push({ setup, shaped, ...r, perDirector: Object.fromEntries(D.map((d) => [d, conns(d) - before[d]])) });
    save();
  }
  shape(false);
}

// 1. a VRRP pair on d1 and d2, keepalived-ts then keepalived 2.2.7 (the same configuration)
const pairConf = (d, priority) => `global_defs {
  router_id ${d}
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority ${priority}
  advert_int 1
  virtual_ipaddress {
    ${PAIR_VIP}/32 dev eth0
  }
}
virtual_server ${PAIR_VIP} 80 {
  delay_loop 1
  lb_algo mh
  lb_kind DR
  protocol TCP
  mh-port
${realServersConf()}}
`;
for (const impl of ['kts', 'keepalived']) {
  const pair = ['d1', 'd2'].map((d, i) => {
    writeFileSync(`${RUN}/pair-${d}.conf`, pairConf(d, i === 0 ? 150 : 100));
    const pid = (s) => `${RUN}/${d}-${impl}${s}.pid`;
    const flags = ['-n', '-l', '-f', `${RUN}/pair-${d}.conf`, '-p', pid(''), '-r', pid('-vrrp'), '-c', pid('-check')];
    return start(`pair-${impl}-${d}`, 'ip', ['netns', 'exec', d, ...(impl === 'kts' ? [process.execPath, CLI] : ['/usr/sbin/keepalived']), ...flags]);
  });
  const up = await settleOn(() => sh('ip -n d1 -4 -o addr show dev eth0').includes(` ${PAIR_VIP}/`) && fullTable('d1', PAIR_VIP), (v) => v, 60_000);
  if (!up) results.push({ setup: `pair-${impl}`, error: 'the pair did not come up (d1 MASTER with a full table)' });
  else await load(`pair-${impl}`, PAIR_VIP);
  for (const p of pair) p.kill('SIGTERM');
  await Promise.all(pair.map(stopped));
  await settleOn(() => sh('ip -n d1 -4 -o addr show dev eth0').includes(` ${PAIR_VIP}/`) || fullTable('d1', PAIR_VIP), (v) => !v, 20_000);
  save();
}

// 2. three active-active directors announcing the VIP over BGP (keepalived-ts -C and FRR)
const frr = await startAllFrr();
writeDirectorConf();
const kts = D.map((d) => {
  prepareDirector(d);
  return startDirector(d);
});
const ready = await settleOn(() => paths() === 3 && D.every((d) => fullTable(d, VIP)), (v) => v, 90_000);
if (!ready) results.push({ setup: 'aa-kts', error: `not ready: ${paths()} paths; ${sh(`ip -n rt route show ${VIP}/32`)}` });
else await load('aa-kts', VIP);
save();
for (const p of [...kts, ...[...frr.values()].flat(), ...servers]) p.kill('SIGKILL');
writeFileSync(join(OUT, 'done'), 'ok\n');
