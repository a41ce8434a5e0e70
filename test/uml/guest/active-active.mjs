// Guest side of test/uml/active-active.test.ts (issue 21): three directors announce one VIP
// over BGP to a router that spreads the flows with ECMP (FRR, `maximum-paths`, L4 hash). Each
// director runs keepalived-ts (-C, in its namespace) with `announce_vip`, IPVS with the `mh`
// scheduler (mh-port) in DR mode over four real servers prepared with `keepalived-ts
// realserver`, `lvs_sync_daemon` on the directors' LAN (each director learns the others'
// connections), and `net.ipv4.vs.sloppy_tcp=1` so that a flow moved to it mid-stream keeps its
// real server (the synced connection, or mh maps it to the same one). A client (aa-client.mjs) keeps long connections and
// opens short ones all along. The scenario, with its times in $UML_OUT/record.json:
//   steady     every director forwards some of the flows
//   drain      SIGTERM to d1: its route is withdrawn, then its services go
//   rs-fail    r4's server stops: its flows move, no other flow does
//   kill       d2 dies (its link down, its processes killed): the router drops it at the BGP
//              hold time (3 s here)
//   back       d2 comes back (link, FRR, keepalived-ts): the router spreads the flows again
// The client's events are in $UML_OUT/client.jsonl; the host test judges them.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { diagnose, OUT, settleOn, sh, sleep, start } from './lib.mjs';

setTimeout(() => diagnose('the scenario is still running after 230 s'), 230_000).unref();
process.on('exit', (code) => { if (code !== 0) diagnose(`the scenario exits ${code}`); });

const CLI = join(process.cwd(), 'dist/src/cli.js');
const RUN = '/run/kts-aa';
const VIP = '10.30.0.1';
const D = ['d1', 'd2', 'd3'];
const R = ['r1', 'r2', 'r3', 'r4'];
const lanIp = (ns) => (ns === 'rt' ? '10.10.0.1' : ns.startsWith('d') ? `10.10.0.1${ns[1]}` : `10.10.0.2${ns[1]}`);
const asn = (ns) => (ns === 'rt' ? 65000 : 65000 + Number(ns[1]));

sh(`mkdir -p ${RUN} && ip link add br-lan type bridge && ip link set br-lan up`);
for (const ns of ['rt', ...D, ...R]) {
  sh(`ip netns add ${ns} && ip link add ${ns}-lan type veth peer name eth0 netns ${ns} && ip link set ${ns}-lan master br-lan && ip link set ${ns}-lan up`);
  sh(`ip -n ${ns} link set lo up && ip -n ${ns} link set eth0 up && ip -n ${ns} addr add ${lanIp(ns)}/24 dev eth0`);
}
sh('ip netns add cl && ip link add cl0 type veth peer name eth1 netns rt && ip link set cl0 netns cl');
sh('ip -n cl link set lo up && ip -n cl link set cl0 up && ip -n cl addr add 10.20.0.2/24 dev cl0 && ip -n cl route add default via 10.20.0.1');
sh('ip -n rt link set eth1 up && ip -n rt addr add 10.20.0.1/24 dev eth1');
sh('ip netns exec rt sysctl -qw net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.conf.all.rp_filter=0');

// real servers: the VIP on lo with ARP quiet (keepalived-ts realserver), replies via the router
for (const r of R) {
  sh(`ip netns exec ${r} ${process.execPath} ${CLI} realserver --mode dr --vip ${VIP} --state ${RUN}/${r}-rs.json`);
  sh(`ip -n ${r} route add default via 10.10.0.1`);
}
const servers = new Map();
const serve = (r) => {
  const p = start(`srv-${r}`, 'ip', ['netns', 'exec', r, process.execPath, '-e', `require('node:net').createServer((s) => { s.on('error', () => {}); let b = ''; s.setEncoding('utf8'); s.on('data', (d) => { b += d; for (let i = b.indexOf('\\n'); i >= 0; i = b.indexOf('\\n')) { b = b.slice(i + 1); s.write('${r}\\n'); } }); }).listen(80, '0.0.0.0', () => console.log('ready'))`]);
  servers.set(r, p);
  return p.ready;
};
await Promise.all(R.map(serve));

// FRR: the router multipath over the three directors; each director imports table 250
const frrConf = (ns) => {
  if (ns === 'rt') {
    return `router bgp 65000\n bgp router-id 10.10.0.1\n no bgp ebgp-requires-policy\n bgp bestpath as-path multipath-relax\n${D.map((d) => ` neighbor ${lanIp(d)} remote-as ${asn(d)}\n neighbor ${lanIp(d)} timers 1 3\n neighbor ${lanIp(d)} timers connect 1\n`).join('')} address-family ipv4 unicast\n  maximum-paths 8\n exit-address-family\n!\n`;
  }
  return `ip import-table 250\nrouter bgp ${asn(ns)}\n bgp router-id ${lanIp(ns)}\n no bgp ebgp-requires-policy\n neighbor 10.10.0.1 remote-as 65000\n neighbor 10.10.0.1 timers 1 3\n neighbor 10.10.0.1 timers connect 1\n address-family ipv4 unicast\n  redistribute table 250\n exit-address-family\n!\n`;
};
const frr = new Map();
for (const ns of ['rt', ...D]) {
  sh(`mkdir -p ${RUN}/${ns}`);
  writeFileSync(`${RUN}/${ns}/frr.conf`, frrConf(ns));
  sh(`chown -R frr:frr ${RUN}/${ns}`);
  frr.set(ns, ['zebra', 'bgpd'].map((daemon) => start(`${daemon}-${ns}`, 'ip', ['netns', 'exec', ns, `/usr/lib/frr/${daemon}`,
    '-f', `${RUN}/${ns}/frr.conf`, '-i', `${RUN}/${ns}/${daemon}.pid`, '--vty_socket', `${RUN}/${ns}`, '-z', `${RUN}/${ns}/zserv.api`,
    '-u', 'frr', '-g', 'frr', '--log', 'stdout', ...(daemon === 'bgpd' ? ['-p', '179'] : [])])));
  await sleep(300);
}

// the directors: VIP delivered locally (IPVS takes it in), sloppy TCP, keepalived-ts -C in the namespace
writeFileSync(`${RUN}/keepalived.conf`, `global_defs {
  router_id aa
  # IPVS's connection sync over the directors' LAN: without an instance both the MASTER and the
  # BACKUP sync daemon run, so each director learns the others' connections, and a flow the
  # router moves finds its real server already chosen
  lvs_sync_daemon eth0
}
virtual_server ${VIP} 80 {
  delay_loop 1
  # a director that (re)starts announces only once its real servers passed a check: without
  # alpha they count as up at start, and a failed one would take flows until its first check
  alpha
  lb_algo mh
  lb_kind DR
  protocol TCP
  mh-port
${R.map((r) => `  real_server ${lanIp(r)} 80 {\n    TCP_CHECK {\n      connect_timeout 1\n      retry 0\n    }\n  }\n`).join('')}}
`);
writeFileSync(`${RUN}/keepalived-ts.conf`, `announce_table 250\nannounce_vip ${VIP}\nannounce_withdraw_delay 2\n`);
const kts = new Map();
for (const d of D) {
  // a local route, not an address: an address would give FRR a connected route to the VIP,
  // which it prefers to the imported one, and nothing would be announced
  sh(`ip -n ${d} route add local ${VIP}/32 dev lo table local && ip -n ${d} route add default via 10.10.0.1 && ip netns exec ${d} sysctl -qw net.ipv4.vs.sloppy_tcp=1`);
  kts.set(d, start(`kts-${d}`, process.execPath, [CLI, '-n', '-l', '-C', '-s', d, '-f', `${RUN}/keepalived.conf`, '--settings', `${RUN}/keepalived-ts.conf`]));
}

const paths = () => (spawnSync('ip', ['-n', 'rt', 'route', 'show', `${VIP}/32`], { encoding: 'utf8' }).stdout.match(/nexthop via|via 10\.10/g) ?? []).length;
const conns = (d) => {
  const m = /TCP\s+\S+\s+(\d+)/.exec(spawnSync('ip', ['netns', 'exec', d, 'ipvsadm', '-Ln', '--stats'], { encoding: 'utf8' }).stdout);
  return m ? Number(m[1]) : 0;
};
const inTable = (d, r) => spawnSync('ip', ['netns', 'exec', d, 'ipvsadm', '-Ln'], { encoding: 'utf8' }).stdout.includes(`${lanIp(r)}:80`);
const stopped = (p) => new Promise((res) => (p.exitCode !== null || p.signalCode !== null ? res() : p.on('exit', res)));

const record = { marks: {} };
const save = () => writeFileSync(join(OUT, 'record.json'), JSON.stringify(record, null, 1));
record.threePaths = (await settleOn(paths, (n) => n === 3, 60_000)) === 3;
// what the set-up looks like, for a failure's story
const look = (args) => spawnSync(args[0], args.slice(1), { encoding: 'utf8', timeout: 5000 });
record.setup = {
  rtRoute: look(['ip', '-n', 'rt', 'route', 'show', `${VIP}/32`]).stdout,
  d1Ipvs: look(['ip', 'netns', 'exec', 'd1', 'ipvsadm', '-Ln']).stdout,
  d1Table: look(['ip', '-n', 'd1', 'route', 'show', 'table', '250']).stdout,
  d1Zebra: look(['ip', 'netns', 'exec', 'd1', 'vtysh', '--vty_socket', `${RUN}/d1`, '-c', 'show ip route', '-c', 'show ip bgp']).stdout,
  probeFromClient: look(['ip', 'netns', 'exec', 'cl', process.execPath, '-e',
    `const s = require('node:net').connect(80, '${VIP}'); s.setTimeout(2000, () => { console.log('timeout'); process.exit(0); }); s.on('connect', () => s.write('q\\n')); s.on('data', (d) => { console.log('answer ' + d); process.exit(0); }); s.on('error', (e) => { console.log(e.code); process.exit(0); });`]).stdout.trim(),
};
save();
if (process.env.AA_SETUP_ONLY) {
  writeFileSync(join(OUT, 'done'), 'setup\n');
  process.exit(0);
}

const client = spawn('ip', ['netns', 'exec', 'cl', process.execPath, 'test/uml/guest/aa-client.mjs', VIP, '60'], { stdio: ['pipe', 'pipe', 'pipe'] });
const chunks = [];
client.stdout.on('data', (c) => chunks.push(c));
client.stderr.on('data', (c) => chunks.push(c));
const mark = (name) => { record.marks[name] = Date.now(); save(); };

await sleep(8000);
const before = Object.fromEntries(D.map((d) => [d, conns(d)]));
await sleep(4000);
record.steadyConns = Object.fromEntries(D.map((d) => [d, conns(d) - before[d]]));
// the sync daemons each director runs, and the established connections it holds: its own and
// those the others synced to it (without sync, about a third of the long ones each)
record.syncDaemons = Object.fromEntries(D.map((d) => [d, (spawnSync('ip', ['netns', 'exec', d, 'ipvsadm', '-L', '--daemon'], { encoding: 'utf8' }).stdout.match(/^(master|backup) sync daemon/gm) ?? []).sort()]));
record.establishedHeld = Object.fromEntries(D.map((d) => [d, (spawnSync('ip', ['netns', 'exec', d, 'ipvsadm', '-Lnc'], { encoding: 'utf8' }).stdout.match(/ESTABLISHED/g) ?? []).length]));
mark('steady-end');

// drain d1
mark('drain');
kts.get('d1').kill('SIGTERM');
record.drainPathsDown = (await settleOn(paths, (n) => n === 2, 15_000)) === 2;
mark('drain-withdrawn');
await stopped(kts.get('d1'));
mark('drain-stopped');
await sleep(4000);
mark('drain-end');

// r4 fails
mark('rs-fail');
servers.get('r4').kill('SIGKILL');
record.rsRemoved = await settleOn(() => !inTable('d2', 'r4') && !inTable('d3', 'r4'), (v) => v, 15_000);
mark('rs-removed');
await sleep(4000);
mark('rs-end');

// d2 dies: its processes, then its link
mark('kill');
// the link first, so that nothing it runs says goodbye (no BGP notification, no FIN)
sh('ip -n d2 link set eth0 down');
kts.get('d2').kill('SIGKILL');
for (const p of frr.get('d2')) p.kill('SIGKILL');
record.killPathsDown = (await settleOn(paths, (n) => n === 1, 20_000)) === 1;
mark('kill-withdrawn');
await sleep(4000);
mark('kill-end');

// d2 comes back: its link, keepalived-ts, then FRR (the order systemd gives them: the routing
// daemon must not advertise what the dead run left in the table before keepalived-ts has
// checked the real servers); the router spreads the flows again
mark('back');
sh('ip -n d2 link set eth0 up');
kts.set('d2', start('kts-d2-back', process.execPath, [CLI, '-n', '-l', '-C', '-s', 'd2', '-f', `${RUN}/keepalived.conf`, '--settings', `${RUN}/keepalived-ts.conf`]));
const announcedByD2 = () => spawnSync('ip', ['-n', 'd2', 'route', 'show', 'table', '250'], { encoding: 'utf8' }).stdout;
// the dead run's route goes at start (alpha: no quorum yet), then comes back with the checks
record.backStaleWithdrawn = await settleOn(() => announcedByD2().includes(VIP), (v) => !v, 20_000) === false;
record.backChecked = await settleOn(() => announcedByD2().includes(VIP), (v) => v, 20_000);
// and every live real server checked: quorum comes with the first one, and mh with a partial
// table would send a flow the routers move to d2 to another real server than d3 does
await settleOn(() => ['r1', 'r2', 'r3'].every((r) => inTable('d2', r)), (v) => v, 20_000);
frr.set('d2', ['zebra', 'bgpd'].map((daemon) => start(`${daemon}-d2-back`, 'ip', ['netns', 'exec', 'd2', `/usr/lib/frr/${daemon}`,
  '-f', `${RUN}/d2/frr.conf`, '-i', `${RUN}/d2/${daemon}.pid`, '--vty_socket', `${RUN}/d2`, '-z', `${RUN}/d2/zserv.api`,
  '-u', 'frr', '-g', 'frr', '--log', 'stdout', ...(daemon === 'bgpd' ? ['-p', '179'] : [])])));
record.backPathsUp = (await settleOn(paths, (n) => n === 2, 40_000)) === 2;
mark('back-announced');
await sleep(4000);
mark('end');

client.stdin.end();
await stopped(client);
writeFileSync(join(OUT, 'client.jsonl'), Buffer.concat(chunks));
for (const p of [...kts.values(), ...[...frr.values()].flat(), ...servers.values()]) p.kill('SIGKILL');
save();
writeFileSync(join(OUT, 'done'), 'ok\n');
