// Guest side of test/uml/checkers.test.ts: keepalived-ts's checker process (-C) against real
// servers on a dummy interface inside the UML guest; servers fail and recover and the IPVS
// table must follow. Each step is recorded in $UML_OUT/steps.json for the host test.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { diagnose, ipvsTable, OUT, record, sh, sleep, start, waitFor } from './lib.mjs';

// a hang or a failed run says where the guest was (diag.txt) before the host's time limit
setTimeout(() => diagnose('the scenario is still running after 200 s'), 200_000).unref();
process.on('exit', (code) => { if (code !== 0) diagnose(`the scenario exits ${code}`); });

const CLI = join(process.cwd(), 'dist/src/cli.js');
const RUN = '/run/kts-chk';
sh(`mkdir -p ${RUN} && ip link add rs0 type dummy && ip link set rs0 up && ip link add vip0 type dummy && ip link set vip0 up`);
for (let i = 1; i <= 9; i++) sh(`ip addr add 10.9.1.${i}/32 dev rs0`);
writeFileSync(`${RUN}/weight`, '7\n');
writeFileSync(`${RUN}/misc.sh`, `#!/bin/sh\nexit $(cat ${RUN}/weight)\n`);
sh(`chmod 755 ${RUN}/misc.sh`);
writeFileSync(`${RUN}/quorum.sh`, `#!/bin/sh\necho "$1" >> ${RUN}/quorum.log\n`);
sh(`chmod 755 ${RUN}/quorum.sh`);
// the lvs_notify_fifo script gets the FIFO's path as its last argument and reads the lines
writeFileSync(`${RUN}/fifo-reader.sh`, `#!/bin/sh\nexec cat "$1" >> ${RUN}/fifo.log\n`);
sh(`chmod 755 ${RUN}/fifo-reader.sh`);

const conf = `global_defs {
  router_id uml
  lvs_notify_fifo ${RUN}/lvs.fifo
  lvs_notify_fifo_script "${RUN}/fifo-reader.sh"
  script_user root
  enable_script_security
}
virtual_server 10.9.0.1 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 10.9.1.1 80 {
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
  real_server 10.9.1.2 80 {
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
}
virtual_server 10.9.0.2 8080 {
  delay_loop 1
  lb_algo wrr
  lb_kind NAT
  protocol TCP
  inhibit_on_failure
  real_server 10.9.1.3 8080 {
    weight 3
    HTTP_GET {
      url {
        path /
        status_code 200
      }
      connect_timeout 1
      retry 0
    }
  }
  real_server 10.9.1.4 8080 {
    weight 2
    HTTP_GET {
      url {
        path /index.html
        digest DIGEST4
      }
      connect_timeout 1
      retry 0
    }
  }
}
virtual_server 10.9.0.3 81 {
  delay_loop 1
  lb_algo rr
  lb_kind DR
  protocol TCP
  quorum 2
  quorum_up "${RUN}/quorum.sh up"
  quorum_down "${RUN}/quorum.sh down"
  sorry_server 10.9.1.9 81
  real_server 10.9.1.5 81 {
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
  real_server 10.9.1.6 81 {
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
}
virtual_server 10.9.0.4 82 {
  delay_loop 1
  lb_algo wrr
  lb_kind NAT
  protocol TCP
  real_server 10.9.1.7 82 {
    weight 1
    MISC_CHECK {
      misc_path ${RUN}/misc.sh
      misc_timeout 2
      misc_dynamic
    }
  }
}
virtual_server 10.9.0.5 53 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol UDP
  real_server 10.9.1.7 53 {
    DNS_CHECK {
      type A
      name example.test
      connect_timeout 1
      retry 0
    }
  }
}
virtual_server 10.9.0.5 25 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 10.9.1.8 25 {
    SMTP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
}
virtual_server 10.9.0.6 84 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  alpha
  ha_suspend
  real_server 10.9.1.2 84 {
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
}
`;

// the digest the HTTP server's body for 10.9.1.4 has ("ok 10.9.1.4\n")
const { createHash } = await import('node:crypto');
const digest4 = createHash('md5').update('ok 10.9.1.4\n').digest('hex');
writeFileSync(`${RUN}/keepalived.conf`, conf.replace('DIGEST4', digest4));

const servers = new Map();
async function up(name, kind, addr, port, extra = []) {
  const c = start(`srv-${name}`, process.execPath, ['test/uml/guest/rs-server.mjs', kind, addr, String(port), ...extra]);
  servers.set(name, c);
  await c.ready;
}
async function down(name) {
  const c = servers.get(name);
  servers.delete(name);
  if (!c || c.exitCode !== null) return;
  const gone = new Promise((r) => c.on('exit', r));
  c.kill('SIGKILL');
  await gone;
}

await up('a1', 'tcp', '10.9.1.1', 80);
await up('a2', 'tcp', '10.9.1.2', 80);
await up('h3', 'http', '10.9.1.3', 8080, [`${RUN}/status3`]);
await up('h4', 'http', '10.9.1.4', 8080);
await up('q5', 'tcp', '10.9.1.5', 81);
await up('q6', 'tcp', '10.9.1.6', 81);
await up('dns', 'dns', '10.9.1.7', 53);
await up('smtp', 'smtp', '10.9.1.8', 25);
await up('misc', 'tcp', '10.9.1.7', 82);
// a service keepalived-ts does not own: must never be touched
sh('ipvsadm -A -t 10.9.0.99:80 -s rr && ipvsadm -a -t 10.9.0.99:80 -r 10.9.1.1:80 -m');

const args = ['-C', '-n', '-l', '-f', `${RUN}/keepalived.conf`];
let daemon = start('kts-1', process.execPath, [CLI, ...args]);
const svc = (t, k) => t[k] ?? { dests: {} };
const has = (t, k, d) => d in svc(t, k).dests;
const weight = (t, k, d) => svc(t, k).dests[d]?.weight;
const foreignIntact = (t) => has(t, 'TCP 10.9.0.99:80', '10.9.1.1:80');

record('start: every checked real server in the table', await waitFor('start', (t) =>
  has(t, 'TCP 10.9.0.1:80', '10.9.1.1:80') && has(t, 'TCP 10.9.0.1:80', '10.9.1.2:80') &&
  weight(t, 'TCP 10.9.0.2:8080', '10.9.1.3:8080') === 3 && weight(t, 'TCP 10.9.0.2:8080', '10.9.1.4:8080') === 2 &&
  has(t, 'TCP 10.9.0.3:81', '10.9.1.5:81') && has(t, 'TCP 10.9.0.3:81', '10.9.1.6:81') && !has(t, 'TCP 10.9.0.3:81', '10.9.1.9:81') &&
  weight(t, 'TCP 10.9.0.4:82', '10.9.1.7:82') === 5 &&
  has(t, 'UDP 10.9.0.5:53', '10.9.1.7:53') && has(t, 'TCP 10.9.0.5:25', '10.9.1.8:25') &&
  t['TCP 10.9.0.1:80']?.sched === 'rr' && t['TCP 10.9.0.2:8080']?.sched === 'wrr' && foreignIntact(t), 40_000));

record('alpha: a real server whose check has not passed stays out', await waitFor('alpha', (t) =>
  'TCP 10.9.0.6:84' in t && !has(t, 'TCP 10.9.0.6:84', '10.9.1.2:84'), 5000));

await down('a1');
record('TCP_CHECK failure removes the real server', await waitFor('tcp down', (t) =>
  !has(t, 'TCP 10.9.0.1:80', '10.9.1.1:80') && has(t, 'TCP 10.9.0.1:80', '10.9.1.2:80')));
await up('a1', 'tcp', '10.9.1.1', 80);
record('TCP_CHECK recovery adds it back', await waitFor('tcp up', (t) => weight(t, 'TCP 10.9.0.1:80', '10.9.1.1:80') === 1));
await sleep(300);
{
  const lines = existsSync(`${RUN}/fifo.log`) ? readFileSync(`${RUN}/fifo.log`, 'utf8').split('\n') : [];
  const down = lines.indexOf('RS [10.9.1.1]:tcp:80 [10.9.0.1]:tcp:80 DOWN');
  const up = lines.lastIndexOf('RS [10.9.1.1]:tcp:80 [10.9.0.1]:tcp:80 UP');
  record('lvs_notify_fifo: its script reads RS DOWN then UP lines', { ok: down !== -1 && up > down, lines: lines.slice(0, 40).join('\n') });
}

writeFileSync(`${RUN}/status3`, '503\n');
record('HTTP_GET wrong status with inhibit_on_failure: weight 0', await waitFor('http inhibit', (t) =>
  weight(t, 'TCP 10.9.0.2:8080', '10.9.1.3:8080') === 0 && weight(t, 'TCP 10.9.0.2:8080', '10.9.1.4:8080') === 2));
writeFileSync(`${RUN}/status3`, '200\n');
record('HTTP_GET recovery restores the weight', await waitFor('http restore', (t) => weight(t, 'TCP 10.9.0.2:8080', '10.9.1.3:8080') === 3));

await down('q5');
record('quorum lost: real servers out, sorry server in', await waitFor('quorum down', (t) =>
  has(t, 'TCP 10.9.0.3:81', '10.9.1.9:81') && !has(t, 'TCP 10.9.0.3:81', '10.9.1.5:81') && !has(t, 'TCP 10.9.0.3:81', '10.9.1.6:81')));
await up('q5', 'tcp', '10.9.1.5', 81);
record('quorum regained: sorry server out, real servers in', await waitFor('quorum up', (t) =>
  !has(t, 'TCP 10.9.0.3:81', '10.9.1.9:81') && has(t, 'TCP 10.9.0.3:81', '10.9.1.5:81') && has(t, 'TCP 10.9.0.3:81', '10.9.1.6:81')));
await sleep(500);
record('quorum_down then quorum_up scripts ran', { ok: existsSync(`${RUN}/quorum.log`) && sh(`cat ${RUN}/quorum.log`).trim().split('\n').slice(-2).join(',') === 'down,up' },
  { log: existsSync(`${RUN}/quorum.log`) ? sh(`cat ${RUN}/quorum.log`) : '(none)' });

writeFileSync(`${RUN}/weight`, '12\n');
record('misc_dynamic: exit 12 sets weight 10', await waitFor('misc weight', (t) => weight(t, 'TCP 10.9.0.4:82', '10.9.1.7:82') === 10));
writeFileSync(`${RUN}/weight`, '1\n');
record('misc_dynamic: exit 1 removes the real server', await waitFor('misc down', (t) => !has(t, 'TCP 10.9.0.4:82', '10.9.1.7:82')));
writeFileSync(`${RUN}/weight`, '0\n');
record('misc_dynamic: exit 0 brings it back at its configured weight', await waitFor('misc up', (t) => weight(t, 'TCP 10.9.0.4:82', '10.9.1.7:82') === 1));

await down('dns');
record('DNS_CHECK failure removes the real server', await waitFor('dns down', (t) => !has(t, 'UDP 10.9.0.5:53', '10.9.1.7:53')));
await up('dns', 'dns', '10.9.1.7', 53);
record('DNS_CHECK recovery', await waitFor('dns up', (t) => has(t, 'UDP 10.9.0.5:53', '10.9.1.7:53')));
await down('smtp');
record('SMTP_CHECK failure removes the real server', await waitFor('smtp down', (t) => !has(t, 'TCP 10.9.0.5:25', '10.9.1.8:25')));
await up('smtp', 'smtp', '10.9.1.8', 25);
record('SMTP_CHECK recovery', await waitFor('smtp up', (t) => has(t, 'TCP 10.9.0.5:25', '10.9.1.8:25')));

// ha_suspend: the VS address is not on the box, so its checker is suspended
await up('s84', 'tcp', '10.9.1.2', 84);
await sleep(3000);
record('ha_suspend: no checking while the VS address is absent', { ok: !has(ipvsTable(), 'TCP 10.9.0.6:84', '10.9.1.2:84') });
sh('ip addr add 10.9.0.6/32 dev vip0');
record('ha_suspend: checking resumes when the address appears', await waitFor('ha_suspend resume', (t) => has(t, 'TCP 10.9.0.6:84', '10.9.1.2:84')));

// a crash leaves the table behind; the next start must reconcile it (no stale entries)
daemon.kill('SIGKILL');
await new Promise((r) => daemon.on('exit', r));
sh('ipvsadm -a -t 10.9.0.1:80 -r 10.9.1.200:80 -m -w 1 && ipvsadm -e -t 10.9.0.2:8080 -r 10.9.1.4:8080 -m -w 9');
daemon = start('kts-2', process.execPath, [CLI, ...args]);
record('restart after a crash: stale destination removed, weights reset', await waitFor('restart', (t) =>
  !has(t, 'TCP 10.9.0.1:80', '10.9.1.200:80') && weight(t, 'TCP 10.9.0.2:8080', '10.9.1.4:8080') === 2 &&
  has(t, 'TCP 10.9.0.1:80', '10.9.1.1:80') && foreignIntact(t)));

daemon.kill('SIGTERM');
await new Promise((r) => daemon.on('exit', r));
record('clean stop removes the owned services, keeps the foreign one', await waitFor('stop', (t) =>
  Object.keys(t).length === 1 && foreignIntact(t), 3000));

// the whole daemon (no -C): the VRRP side in the main process, the checkers in a child that the
// parent starts again when it dies
const childOf = (pid) => sh(`ps -o pid= --ppid ${pid} || true`).split('\n').map((x) => Number(x.trim())).filter(Boolean);
daemon = start('kts-3', process.execPath, [CLI, '-n', '-l', '-f', `${RUN}/keepalived.conf`, '-p', `${RUN}/kts.pid`]);
record('daemon: the checker child builds the table', await waitFor('daemon start', (t) =>
  has(t, 'TCP 10.9.0.1:80', '10.9.1.1:80') && weight(t, 'TCP 10.9.0.2:8080', '10.9.1.3:8080') === 3, 40_000));
const first = childOf(daemon.pid)[0];
if (first) process.kill(first, 'SIGKILL');
await sleep(300);
const killedTable = ipvsTable();
let second;
for (let i = 0; i < 50 && !(second = childOf(daemon.pid).find((p) => p !== first)); i++) await sleep(200);
await down('a2');
// the new child starts node, reconciles and checks inside the guest: 30 s, since a UML guest
// under CI load has been seen to take more than 15 s for that (what is tested is that it does)
record('daemon: a killed checker child is restarted and goes on checking', await waitFor('child restart', (t) =>
  second !== undefined && !has(t, 'TCP 10.9.0.1:80', '10.9.1.2:80') && has(t, 'TCP 10.9.0.1:80', '10.9.1.1:80'), 30_000),
  { first, second, killedTableKept: has(killedTable, 'TCP 10.9.0.1:80', '10.9.1.1:80') });

// SIGHUP: the failed real server stays out, a changed weight applies, a removed virtual server
// is deleted, and the destinations of unchanged services stay (same table, no re-add)
const before = ipvsTable();
const reloaded = conf.replace('DIGEST4', digest4).replace('    weight 3\n', '    weight 4\n')
  .replace(/virtual_server 10\.9\.0\.4 82 \{[\s\S]*?\n\}\n/, '');
writeFileSync(`${RUN}/keepalived.conf`, reloaded);
process.kill(daemon.pid, 'SIGHUP');
record('reload: failed server stays out, new weight applies, removed virtual server deleted', await waitFor('reload', (t) =>
  weight(t, 'TCP 10.9.0.2:8080', '10.9.1.3:8080') === 4 && !('TCP 10.9.0.4:82' in t) &&
  !has(t, 'TCP 10.9.0.1:80', '10.9.1.2:80') && has(t, 'TCP 10.9.0.1:80', '10.9.1.1:80')),
  { before: JSON.stringify(before['TCP 10.9.0.1:80']) });
await sleep(2500);
record('reload: the failed server is still out until its check passes, then comes back', await (async () => {
  const still = !has(ipvsTable(), 'TCP 10.9.0.1:80', '10.9.1.2:80');
  await up('a2', 'tcp', '10.9.1.2', 80);
  const back = await waitFor('a2 back', (t) => has(t, 'TCP 10.9.0.1:80', '10.9.1.2:80'));
  return { ...back, ok: still && back.ok };
})());
daemon.kill('SIGTERM');
await new Promise((r) => daemon.on('exit', r));
record('daemon: stopping the parent stops the child and clears its services', await waitFor('daemon stop', (t) =>
  Object.keys(t).length === 1 && foreignIntact(t) && childOf(daemon.pid).length === 0, 5000));

for (const name of [...servers.keys()]) await down(name);
writeFileSync(join(OUT, 'done'), 'ok\n');

