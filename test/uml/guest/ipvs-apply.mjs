// Runs inside the UML guest (test/uml/ipvs.test.ts): applies keepalived.conf files to the real
// kernel's IPVS through the built client (dist/), one step after another, and writes after each
// step what `ipvsadm` shows plus a JSON record of the operations and errors to $UML_OUT.
//
//   node test/uml/guest/ipvs-apply.mjs
//
// Steps: full (every scheduler, flag, forwarding method, fwmark, IPv6, persistence) with a
// foreign service already present; change (add / remove / reweight / reschedule); restart (a
// fresh client, a smaller config and the previous owned set); errors (a refused service among
// good ones); misc (info, timeouts, sync daemon, flush).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const DIST = join(process.cwd(), 'dist/src');
const { loadConfig } = await import(join(DIST, 'config/load.js'));
const { desiredTable, ownedServiceIds } = await import(join(DIST, 'ipvs/from-config.js'));
const { reconcile } = await import(join(DIST, 'ipvs/reconcile.js'));
const { describeOp } = await import(join(DIST, 'ipvs/keys.js'));
const { tableOf } = await import(join(DIST, 'ipvs/table.js'));
const { IpvsClient } = await import(join(DIST, 'io/ipvs-genl.js'));
const { createRootLogger } = await import(join(DIST, 'io/logger.js'));
const { parseIp } = await import(join(DIST, 'util/ip.js'));

const OUT = process.env.UML_OUT;
const log = createRootLogger({ level: 'warn' }).child({ mod: 'ipvs' });
const sh = (...args) => execFileSync('ipvsadm', args, { encoding: 'utf8' });
const record = {};

function snapshot(step) {
  writeFileSync(join(OUT, `${step}.ln`), sh('-Ln'));
  writeFileSync(join(OUT, `${step}.exact`), sh('-Ln', '--exact', '--persistent-conn'));
  writeFileSync(join(OUT, `${step}.thresholds`), sh('-Ln', '--thresholds'));
  writeFileSync(join(OUT, `${step}.tun`), sh('-Ln', '--tun-info'));
}

function config(step, text) {
  const file = join(OUT, `${step}.conf`);
  writeFileSync(file, text);
  const r = loadConfig(file, { configId: 'uml' });
  return r.config;
}

/** Every configured real server (and sorry server) alive with its configured weight. */
const allLive = (cfg) => (i) => {
  const vs = cfg.virtualServers[i];
  return vs.realServers.map((rs) => ({ address: rs.address, port: rs.port, weight: rs.weight, lvsMethod: rs.lvsMethod, uthreshold: rs.uthreshold, lthreshold: rs.lthreshold }));
};

async function step(name, client, cfg, previouslyOwned, live = allLive(cfg)) {
  const desired = desiredTable(cfg, live);
  const kernel = await client.dump();
  const ops = reconcile(desired, kernel, { previouslyOwned });
  const r = await client.apply(ops);
  const again = reconcile(desired, await client.dump(), { previouslyOwned });
  record[name] = { ops: ops.map(describeOp), errors: r.errors.map((e) => `${e.message} [${e.code}]`), applied: r.applied, leftAfterApply: again.map(describeOp) };
  snapshot(name);
  return ownedServiceIds(cfg);
}

const RS = (list, extra = '') => list.map((x) => `  real_server ${x} {${extra}}`).join('\n');
const FULL = `
${['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'fo', 'ovf', 'sed', 'nq'].map((s, i) => `virtual_server 10.1.0.${i + 1} 80 {
  lb_algo ${s}
  lb_kind NAT
  protocol TCP
${RS([`10.2.${i}.1 8080`, `10.2.${i}.2 8081`], ' weight 2 ')}
}`).join('\n')}
virtual_server 10.1.1.1 80 {
  lb_algo sh
  sh-port
  sh-fallback
  lb_kind DR
  protocol TCP
${RS(['10.3.0.1 80', '10.3.0.2 80'])}
}
virtual_server 10.1.1.2 80 {
  lb_algo mh
  mh-port
  mh-fallback
  lb_kind DR
  protocol SCTP
${RS(['10.3.1.1 80'])}
}
virtual_server 10.1.1.3 53 {
  lb_algo rr
  ops
  lb_kind NAT
  protocol UDP
${RS(['10.3.2.1 5353'])}
}
virtual_server 10.1.2.1 80 {
  lb_algo wrr
  lb_kind TUN
  protocol TCP
${RS(['10.4.0.1 80'])}
}
virtual_server 10.1.2.2 80 {
  lb_algo wrr
  lb_kind TUN type gue port 6080 csum
  protocol TCP
${RS(['10.4.1.1 80'])}
}
virtual_server 10.1.2.3 80 {
  lb_algo wrr
  lb_kind TUN type gre csum
  protocol TCP
${RS(['10.4.2.1 80'])}
}
virtual_server fwmark 100 {
  lb_algo wlc
  lb_kind DR
  persistence_timeout 600
  persistence_granularity 255.255.255.0
${RS(['10.5.0.1', '10.5.0.2'])}
}
virtual_server fwmark 101 {
  lb_algo rr
  lb_kind NAT
${RS(['10.5.1.1 8080'], ' weight 7 ')}
}
virtual_server 2001:db8::100 443 {
  lb_algo rr
  lb_kind DR
  protocol TCP
  persistence_timeout 120
  persistence_granularity 64
${RS(['2001:db8::201 443', '2001:db8::202 443'])}
}
virtual_server fwmark 102 {
  lb_algo rr
  ip_family inet6
  lb_kind TUN
${RS(['2001:db8::301', '10.6.0.1'])}
}
virtual_server 10.1.3.1 80 {
  lb_algo wlc
  lb_kind NAT
  protocol TCP
  persistence_timeout
  persistence_engine sip
${RS(['10.7.0.1 80'], ' weight 3\n uthreshold 100\n lthreshold 10 ')}
${RS(['10.7.0.2 80'], ' weight 0 ')}
}
`;

// change: 10.1.0.1 loses .2 and gains .3, 10.1.0.2 reweights, 10.1.0.3 becomes sh with a flag,
// the fwmark 100 persistence gets shorter, 2001:db8::100 loses a server, 10.1.2.1 becomes DR
const CHANGED = FULL
  .replace('10.2.0.2 8081 { weight 2 }', '10.2.0.3 8082 { weight 2 }')
  .replace('10.2.1.2 8081 { weight 2 }', '10.2.1.2 8081 { weight 9 }')
  .replace(/(virtual_server 10\.1\.0\.3 80 \{\n  lb_algo) lc/, '$1 sh\n  sh-port')
  .replace('persistence_timeout 600', 'persistence_timeout 300')
  .replace("  real_server 2001:db8::202 443 {}\n", '')
  .replace(/(virtual_server 10\.1\.2\.1 80 \{\n  lb_algo wrr\n  lb_kind) TUN/, '$1 DR');

// restart: only the first three virtual servers remain
const SMALL = FULL.split(/\n(?=virtual_server )/).slice(0, 4).join('\n');

// a foreign service (ipvsadm, not in any config) that must survive everything but the flush
sh('-A', '-t', '192.168.99.1:80', '-s', 'rr');
sh('-a', '-t', '192.168.99.1:80', '-r', '192.168.99.2:80', '-m', '-w', '4');
// a service at a configured address under another protocol is foreign too
sh('-A', '-u', '10.1.0.1:80', '-s', 'rr');

let client = await IpvsClient.open({ log });
const fullCfg = config('full', FULL);
let owned = await step('full', client, fullCfg, []);
owned = await step('change', client, config('change', CHANGED), owned);
client.close();

client = await IpvsClient.open({ log }); // as a restarted daemon: a fresh socket, the owned set from its state file
owned = await step('restart', client, config('restart', SMALL), owned);

// errors: an unknown scheduler is refused with its dests, the rest of the batch applies
const ip = (s) => parseIp(s);
const svc = (a, sched) => ({ key: { type: 'addr', protocol: 'TCP', address: ip(a), port: 80 }, scheduler: sched, flags: 0, timeoutS: 0, netmaskPrefix: 32 });
const dest = (a, w = 1) => ({ address: ip(a), port: 80, fwd: 'NAT', weight: w, uThreshold: 0, lThreshold: 0 });
{
  const desired = tableOf([
    { service: svc('10.9.0.1', 'rr'), dests: [dest('10.9.1.1')] },
    { service: svc('10.9.0.2', 'nosuchsched'), dests: [dest('10.9.2.1'), dest('10.9.2.2')] },
    { service: svc('10.9.0.3', 'wrr'), dests: [dest('10.9.3.1', 5)] },
  ]);
  const ops = reconcile(desired, await client.dump(), {});
  // and a destination the kernel refuses: lower threshold above the upper one
  const bad = { type: 'NEW_DEST', key: svc('10.9.0.3', 'wrr').key, dest: { ...dest('10.9.3.2'), uThreshold: 5, lThreshold: 50 } };
  const r = await client.apply([...ops, bad]);
  record.errors = { ops: [...ops, bad].map(describeOp), errors: r.errors.map((e) => ({ message: e.message, code: e.code, index: e.index, errno: e.errno })), applied: r.applied, failed: [...r.failed] };
  snapshot('errors');
}

// misc: info, timeouts, the sync daemon, flush
{
  const info = await client.getInfo();
  const before = await client.getTimeouts();
  await client.setTimeouts({ tcpS: 1000, tcpFinS: 0, udpS: 200 });
  const after = await client.getTimeouts();
  const timeoutText = sh('-Ln', '--timeout');
  execFileSync('ip', ['link', 'add', 'ktsipvs0', 'type', 'dummy']);
  execFileSync('ip', ['link', 'set', 'ktsipvs0', 'up', 'multicast', 'on']);
  let daemons, daemonText, daemonErr;
  try {
    await client.startDaemon({ state: 'MASTER', mcastIfn: 'ktsipvs0', syncId: 42, syncMaxLen: 1400, mcastGroup: ip('224.0.0.81'), mcastPort: 8850, mcastTtl: 2 });
    daemons = await client.getDaemons();
    daemonText = sh('-Ln', '--daemon');
    await client.stopDaemon('MASTER');
  } catch (e) {
    daemonErr = `${e.message} [${e.code}]`;
  }
  const daemonsAfter = await client.getDaemons();
  await client.flush();
  const flushed = await client.dump();
  record.misc = { info, before, after, timeoutText, daemons, daemonText, daemonErr, daemonsAfter, flushedSize: flushed.size, stats: client.stats };
  snapshot('flushed');
}
client.close();

writeFileSync(join(OUT, 'record.json'), JSON.stringify(record, (_k, v) => (typeof v === 'bigint' ? String(v) : v), 2));
