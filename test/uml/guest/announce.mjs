// Guest side of test/uml/announce.test.ts: a director announcing its VIP over BGP through FRR
// (issue 21). A router namespace (`kts-rt`, AS 65000) peers with FRR on the director (root
// namespace, AS 65001, `ip import-table 250` + `redistribute table 250`); keepalived-ts (the
// whole daemon, whose checker child announces) runs with `announce_table 250` / `announce_vip
// 10.9.0.1`. A real server in namespace `kts-rs` answers TCP on port 80 while its listener
// runs. Recorded in $UML_OUT/record.json: the router learns the VIP once the virtual server has
// quorum, loses it when the real server fails and learns it again when it is back;
// `keepalived-ts handover VIP` withdraws it until `--cancel`; a reload (SIGHUP) keeps it; a restarted bgpd on the director
// announces it again with nothing done by keepalived-ts; at SIGTERM the route leaves the router
// before the service leaves IPVS. The routing daemon watch: keepalived-ts starts before the
// director's bgpd (the router's bgpd, in another namespace, is not taken for it), says so, and
// puts the route in the table all the same; it logs bgpd's arrival, its death and its return.
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { diagnose, OUT, settleOn, sh, sleep, start } from './lib.mjs';

setTimeout(() => diagnose('the scenario is still running after 170 s'), 170_000).unref();
process.on('exit', (code) => { if (code !== 0) diagnose(`the scenario exits ${code}`); });

const CLI = join(process.cwd(), 'dist/src/cli.js');
const RUN = '/run/kts-announce';
const VIP = '10.9.0.1';
sh(`mkdir -p ${RUN}/rt ${RUN}/dir && ip netns add kts-rt && ip netns add kts-rs`);
sh('ip link add up0 type veth peer name up1 && ip link set up1 netns kts-rt');
sh('ip addr add 10.9.6.2/24 dev up0 && ip link set up0 up && ip link set lo up && ip -n kts-rt addr add 10.9.6.1/24 dev up1 && ip -n kts-rt link set up1 up && ip -n kts-rt link set lo up');
sh('ip link add rs0 type veth peer name rs1 && ip link set rs1 netns kts-rs');
sh('ip addr add 10.9.4.1/24 dev rs0 && ip link set rs0 up && ip -n kts-rs addr add 10.9.4.2/24 dev rs1 && ip -n kts-rs link set rs1 up && ip -n kts-rs link set lo up');

const bgp = (asn, id, peer, peerAs, extra) => `${extra.zebra ?? ''}router bgp ${asn}
 bgp router-id ${id}
 no bgp ebgp-requires-policy
 neighbor ${peer} remote-as ${peerAs}
 neighbor ${peer} timers 3 9
 neighbor ${peer} timers connect 1
${extra.bgp ?? ''}!
`;
writeFileSync(`${RUN}/rt/frr.conf`, bgp(65000, '10.9.6.1', '10.9.6.2', 65001, {}));
writeFileSync(`${RUN}/dir/frr.conf`, bgp(65001, '10.9.6.2', '10.9.6.1', 65000, {
  zebra: 'ip import-table 250\n',
  bgp: ' address-family ipv4 unicast\n  redistribute table 250\n exit-address-family\n',
}));
sh(`chown -R frr:frr ${RUN}`);
const frr = (daemon, where, ns) => start(`${daemon}-${where}`, 'ip', ['netns', 'exec', ns, `/usr/lib/frr/${daemon}`,
  '-f', `${RUN}/${where}/frr.conf`, '-i', `${RUN}/${where}/${daemon}.pid`, '--vty_socket', `${RUN}/${where}`, '-z', `${RUN}/${where}/zserv.api`,
  '-u', 'frr', '-g', 'frr', '--log', 'stdout', ...(daemon === 'bgpd' ? ['-p', '179'] : [])]);
// the director's daemons in the root namespace (`ip netns exec` needs a name: run them directly)
const frrHere = (daemon) => start(`${daemon}-dir`, `/usr/lib/frr/${daemon}`,
  ['-f', `${RUN}/dir/frr.conf`, '-i', `${RUN}/dir/${daemon}.pid`, '--vty_socket', `${RUN}/dir`, '-z', `${RUN}/dir/zserv.api`,
    '-u', 'frr', '-g', 'frr', '--log', 'stdout', ...(daemon === 'bgpd' ? ['-p', '179'] : [])]);

/** the real server: a TCP listener on 10.9.4.2:80 in kts-rs */
const listener = () => start('rs', 'ip', ['netns', 'exec', 'kts-rs', process.execPath, '-e',
  "require('node:net').createServer((s) => s.destroy()).listen(80, '10.9.4.2', () => console.log('ready'))"]);
const stopped = (p) => new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.on('exit', r)));

const routerHasVip = () => spawnSync('ip', ['-n', 'kts-rt', 'route', 'show', `${VIP}/32`], { encoding: 'utf8' }).stdout.includes('proto bgp');
const ipvsHasVip = () => sh('ipvsadm -Ln').includes(`${VIP}:80`);

writeFileSync(`${RUN}/keepalived.conf`, `global_defs {
  router_id uml
}
virtual_server ${VIP} 80 {
  delay_loop 1
  lb_algo mh
  lb_kind DR
  protocol TCP
  real_server 10.9.4.2 80 {
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
}
`);
writeFileSync(`${RUN}/keepalived-ts.conf`, `announce_table 250\nannounce_vip ${VIP}\nannounce_withdraw_delay 1\n`);

const record = {};
const save = () => writeFileSync(join(OUT, 'record.json'), JSON.stringify(record, null, 1));

const procs = [frr('zebra', 'rt', 'kts-rt'), frr('bgpd', 'rt', 'kts-rt'), frrHere('zebra')];
await sleep(500);
let rs = listener();
await rs.ready;
// the whole daemon (its checker child announces), with its control socket for `handover`,
// started before the director's bgpd
const kts = start('kts', process.execPath, [CLI, '-n', '-l', '-f', `${RUN}/keepalived.conf`, '--settings', `${RUN}/keepalived-ts.conf`, '-p', `${RUN}/kts.pid`]);
const ktsLogHas = (text) => { try { return readFileSync(join(OUT, 'kts.log'), 'utf8').includes(text); } catch { return false; } };
const scrape = (path) => new Promise((resolve) => {
  const req = request({ socketPath: '/run/keepalived-ts/control.sock', path }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c) => { body += c; });
    res.on('end', () => resolve(body));
  });
  req.on('error', (e) => resolve(`error: ${e.message}`));
  req.end();
});
const status = () => spawnSync(process.execPath, [CLI, 'status'], { encoding: 'utf8', timeout: 10_000 }).stdout;
record.absentLogged = await settleOn(() => ktsLogHas('No routing daemon (bgpd, bird, gobgpd) runs in this network namespace'), (v) => v, 30_000);
record.tableWithoutDaemon = await settleOn(() => sh('ip route show table 250').includes(VIP), (v) => v, 40_000);
record.statusNoDaemon = status().includes('Routing daemon: none running (watching bgpd, bird, gobgpd)');
save();
let bgpd = frrHere('bgpd');
record.announced = await settleOn(routerHasVip, (v) => v, 40_000);
record.arrivalLogged = await settleOn(() => ktsLogHas(`Routing daemon bgpd (pid ${bgpd.pid}) runs again`), (v) => v, 10_000);
const st = status();
record.statusShows = st.includes(`Announced to the routing daemon: ${VIP}/32`) && st.includes(`Routing daemon: bgpd (pid ${bgpd.pid})`);
// the checker child's series, rendered there and sent on unparsed (src/daemon/bulk-frames.ts)
const metrics = await scrape('/metrics');
record.metricsShow = metrics.includes('keepalived_ts_checker_process_up 1\n') && metrics.includes(`keepalived_ts_announced{prefix="${VIP}/32"} 1\n`)
  && metrics.includes(`keepalived_ts_real_server_up{vs="[${VIP}]:tcp:80",rs="10.9.4.2:80"} 1\n`);
if (!record.metricsShow) record.metricsText = metrics.slice(-3000);
save();
// the real server fails: quorum lost, withdrawn
rs.kill('SIGKILL');
await stopped(rs);
record.withdrawnOnQuorumLoss = !(await settleOn(routerHasVip, (v) => !v, 20_000));
save();
rs = listener();
await rs.ready;
record.announcedAgain = await settleOn(routerHasVip, (v) => v, 20_000);
save();
// keepalived-ts handover VIP: withdrawn until --cancel
const handover = (...args) => spawnSync(process.execPath, [CLI, 'handover', ...args], { encoding: 'utf8', timeout: 30_000 });
const h1 = handover(VIP);
record.handoverSays = h1.stdout.trim();
record.withdrawnByHandover = h1.status === 0 && !routerHasVip();
const h2 = handover('--cancel', VIP);
record.cancelSays = h2.stdout.trim();
record.announcedAfterCancel = h2.status === 0 && await settleOn(routerHasVip, (v) => v, 20_000);
save();
// a reload of the same files (SIGHUP): the VRRP process reads it without the virtual servers
// (the checker's), so it must not judge announce_vip's virtual server; each process says it
// reloaded, nothing is refused, and the route stays in the table and on the router throughout
kts.kill('SIGHUP');
const hup = Date.now();
let keptThroughReload = true;
let reloaded = false;
while (Date.now() - hup < 30_000 && !reloaded) {
  if (!sh('ip route show table 250').includes(VIP) || !routerHasVip()) keptThroughReload = false;
  reloaded = ktsLogHas('Reload finished') && ktsLogHas('checker configuration reloaded');
  await sleep(50);
}
await sleep(2_000);
record.reloaded = reloaded && !ktsLogHas('reload refused') && kts.exitCode === null;
record.keptThroughReload = keptThroughReload && routerHasVip() && sh('ip route show table 250').includes(VIP);
save();
// the director's bgpd dies and comes back: the router loses the VIP, then learns it again
const deadPid = bgpd.pid;
bgpd.kill('SIGKILL');
await stopped(bgpd);
record.lostWithBgpd = !(await settleOn(routerHasVip, (v) => !v, 20_000));
record.stopLogged = await settleOn(() => ktsLogHas(`Routing daemon bgpd (pid ${deadPid}) stopped`), (v) => v, 10_000);
record.tableKeptWithoutDaemon = sh('ip route show table 250').includes(VIP);
bgpd = frrHere('bgpd');
record.reannouncedAfterBgpdRestart = await settleOn(routerHasVip, (v) => v, 40_000);
record.returnLogged = await settleOn(() => ktsLogHas(`Routing daemon bgpd (pid ${bgpd.pid}) runs again`), (v) => v, 10_000);
save();
// a clean stop: the route leaves the router before the service leaves IPVS
kts.kill('SIGTERM');
const t0 = Date.now();
let routeGoneMs;
let serviceGoneMs;
while (Date.now() - t0 < 20_000 && (routeGoneMs === undefined || serviceGoneMs === undefined)) {
  if (routeGoneMs === undefined && !routerHasVip()) routeGoneMs = Date.now() - t0;
  if (serviceGoneMs === undefined && !ipvsHasVip()) serviceGoneMs = Date.now() - t0;
  await sleep(20);
}
Object.assign(record, { routeGoneMs, serviceGoneMs });
await stopped(kts);
record.tableEmptyAfterStop = !sh('ip route show table 250').includes(VIP);
save();
for (const p of [...procs, bgpd, rs]) p.kill('SIGKILL');
writeFileSync(join(OUT, 'done'), 'ok\n');
