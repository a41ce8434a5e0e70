// The active-active lab's pieces (issue 21), shared by test/uml/guest/active-active.mjs and
// bench/guest/scale-out-guest.mjs: one bridged LAN (br-lan, 10.10.0.0/24) with a router `rt`
// (FRR, ECMP with an L4 hash), three directors d1-d3 and four real servers r1-r4, one network
// namespace each, and a client `cl` behind the router (10.20.0.0/24).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sh, sleep, start } from './lib.mjs';

export const CLI = join(process.cwd(), 'dist/src/cli.js');
export const RUN = '/run/kts-aa';
/** the VIP the directors announce over BGP */
export const VIP = '10.30.0.1';
export const D = ['d1', 'd2', 'd3'];
export const R = ['r1', 'r2', 'r3', 'r4'];
export const lanIp = (ns) => (ns === 'rt' ? '10.10.0.1' : ns.startsWith('d') ? `10.10.0.1${ns[1]}` : `10.10.0.2${ns[1]}`);
const asn = (ns) => (ns === 'rt' ? 65000 : 65000 + Number(ns[1]));

/** The namespaces and links; the real servers prepared for VIPS (DR) with the router as gateway. */
export function buildLab(vips = [VIP]) {
  sh(`mkdir -p ${RUN} && ip link add br-lan type bridge && ip link set br-lan up`);
  for (const ns of ['rt', ...D, ...R]) {
    sh(`ip netns add ${ns} && ip link add ${ns}-lan type veth peer name eth0 netns ${ns} && ip link set ${ns}-lan master br-lan && ip link set ${ns}-lan up`);
    sh(`ip -n ${ns} link set lo up && ip -n ${ns} link set eth0 up && ip -n ${ns} addr add ${lanIp(ns)}/24 dev eth0`);
  }
  sh('ip netns add cl && ip link add cl0 type veth peer name eth1 netns rt && ip link set cl0 netns cl');
  sh('ip -n cl link set lo up && ip -n cl link set cl0 up && ip -n cl addr add 10.20.0.2/24 dev cl0 && ip -n cl route add default via 10.20.0.1');
  sh('ip -n rt link set eth1 up && ip -n rt addr add 10.20.0.1/24 dev eth1');
  sh('ip netns exec rt sysctl -qw net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.conf.all.rp_filter=0');
  // real servers: the VIPs on lo with ARP quiet (keepalived-ts realserver), replies via the router
  for (const r of R) {
    sh(`ip netns exec ${r} ${process.execPath} ${CLI} realserver --mode dr --vip ${vips.join(',')} --state ${RUN}/${r}-rs.json`);
    sh(`ip -n ${r} route add default via 10.10.0.1`);
  }
}

/** Real server R's TCP service on port 80: every line it reads is answered by its name. */
export function serve(r) {
  return start(`srv-${r}`, 'ip', ['netns', 'exec', r, process.execPath, '-e', `require('node:net').createServer((s) => { s.on('error', () => {}); let b = ''; s.setEncoding('utf8'); s.on('data', (d) => { b += d; for (let i = b.indexOf('\\n'); i >= 0; i = b.indexOf('\\n')) { b = b.slice(i + 1); s.write('${r}\\n'); } }); }).listen(80, '0.0.0.0', () => console.log('ready'))`]);
}

/** FRR's configuration: the router multipath over the three directors; each director imports table 250. */
function frrConf(ns) {
  if (ns === 'rt') {
    return `router bgp 65000\n bgp router-id 10.10.0.1\n no bgp ebgp-requires-policy\n bgp bestpath as-path multipath-relax\n${D.map((d) => ` neighbor ${lanIp(d)} remote-as ${asn(d)}\n neighbor ${lanIp(d)} timers 1 3\n neighbor ${lanIp(d)} timers connect 1\n`).join('')} address-family ipv4 unicast\n  maximum-paths 8\n exit-address-family\n!\n`;
  }
  return `ip import-table 250\nrouter bgp ${asn(ns)}\n bgp router-id ${lanIp(ns)}\n no bgp ebgp-requires-policy\n neighbor 10.10.0.1 remote-as 65000\n neighbor 10.10.0.1 timers 1 3\n neighbor 10.10.0.1 timers connect 1\n address-family ipv4 unicast\n  redistribute table 250\n exit-address-family\n!\n`;
}

/** zebra and bgpd in namespace NS (logs named with SUFFIX); the first start writes the configuration. */
export function startFrr(ns, suffix = '') {
  sh(`mkdir -p ${RUN}/${ns}`);
  writeFileSync(`${RUN}/${ns}/frr.conf`, frrConf(ns));
  sh(`chown -R frr:frr ${RUN}/${ns}`);
  return ['zebra', 'bgpd'].map((daemon) => start(`${daemon}-${ns}${suffix}`, 'ip', ['netns', 'exec', ns, `/usr/lib/frr/${daemon}`,
    '-f', `${RUN}/${ns}/frr.conf`, '-i', `${RUN}/${ns}/${daemon}.pid`, '--vty_socket', `${RUN}/${ns}`, '-z', `${RUN}/${ns}/zserv.api`,
    '-u', 'frr', '-g', 'frr', '--log', 'stdout', ...(daemon === 'bgpd' ? ['-p', '179'] : [])]));
}

/** FRR on the router, then on every director. */
export async function startAllFrr() {
  const frr = new Map();
  for (const ns of ['rt', ...D]) {
    frr.set(ns, startFrr(ns));
    await sleep(300);
  }
  return frr;
}

/** The four real servers of a virtual server on port 80, each with a TCP_CHECK. */
export const realServersConf = () => R.map((r) => `  real_server ${lanIp(r)} 80 {\n    TCP_CHECK {\n      connect_timeout 1\n      retry 0\n    }\n  }\n`).join('');

/** The directors' keepalived.conf and keepalived-ts settings: VIP:80 over the four real servers. */
export function writeDirectorConf() {
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
${realServersConf()}}
`);
  writeFileSync(`${RUN}/keepalived-ts.conf`, `announce_table 250\nannounce_vip ${VIP}\nannounce_withdraw_delay 2\n`);
}

/** Director D takes the VIP in (a local route), with sloppy TCP for flows moved to it mid-stream. */
export function prepareDirector(d) {
  // a local route, not an address: an address would give FRR a connected route to the VIP,
  // which it prefers to the imported one, and nothing would be announced
  sh(`ip -n ${d} route add local ${VIP}/32 dev lo table local && ip -n ${d} route add default via 10.10.0.1 && ip netns exec ${d} sysctl -qw net.ipv4.vs.sloppy_tcp=1`);
}

/** keepalived-ts -C in director D's namespace, announcing the VIP. */
export const startDirector = (d, logName = `kts-${d}`) => start(logName, process.execPath,
  [CLI, '-n', '-l', '-C', '-s', d, '-f', `${RUN}/keepalived.conf`, '--settings', `${RUN}/keepalived-ts.conf`]);

/** The router's next hops for the VIP. */
export const paths = () => (sh(`ip -n rt route show ${VIP}/32`).match(/nexthop via|via 10\.10/g) ?? []).length;
