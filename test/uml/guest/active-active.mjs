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
import { diagnose, OUT, settleOn, sh, sleep } from './lib.mjs';
import { buildLab, D, lanIp, paths, prepareDirector, R, RUN, serve, startAllFrr, startDirector, startFrr, VIP, writeDirectorConf } from './aa-lab.mjs';

setTimeout(() => diagnose('the scenario is still running after 230 s'), 230_000).unref();
process.on('exit', (code) => { if (code !== 0) diagnose(`the scenario exits ${code}`); });

buildLab();
const servers = new Map();
await Promise.all(R.map((r) => {
  const p = serve(r);
  servers.set(r, p);
  return p.ready;
}));

// FRR: the router multipath over the three directors; each director imports table 250
const frr = await startAllFrr();

// the directors: VIP delivered locally (IPVS takes it in), sloppy TCP, keepalived-ts -C in the namespace
writeDirectorConf();
const kts = new Map();
for (const d of D) {
  prepareDirector(d);
  kts.set(d, startDirector(d));
}

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
kts.set('d2', startDirector('d2', 'kts-d2-back'));
const announcedByD2 = () => spawnSync('ip', ['-n', 'd2', 'route', 'show', 'table', '250'], { encoding: 'utf8' }).stdout;
// the dead run's route goes at start (alpha: no quorum yet), then comes back with the checks
record.backStaleWithdrawn = await settleOn(() => announcedByD2().includes(VIP), (v) => !v, 20_000) === false;
record.backChecked = await settleOn(() => announcedByD2().includes(VIP), (v) => v, 20_000);
// and every live real server checked: quorum comes with the first one, and mh with a partial
// table would send a flow the routers move to d2 to another real server than d3 does
await settleOn(() => ['r1', 'r2', 'r3'].every((r) => inTable('d2', r)), (v) => v, 20_000);
frr.set('d2', startFrr('d2', '-back'));
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
