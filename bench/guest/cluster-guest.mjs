// Guest side of bench/cluster.mjs: the DR cluster of test/uml/guest/cluster.mjs (client, two
// directors, two real servers, one namespace each, one bridged LAN), built afresh for every
// run. Per implementation (keepalived-ts, keepalived 2.2.7) and per lvs_sync_daemon off / on:
// requests per second through the master director (keep-alive-less HTTP from the client,
// sequential and `concurrency` at a time), then the master's LAN link goes down under a steady
// request loop with a long-lived TCP connection open: the time until the backup holds the VIP,
// the client-observed outage, the failed requests and whether the connection survived.
// Usage (in the guest): node bench/guest/cluster-guest.mjs N CONCURRENCY ORDER TRIALS
// (each trial runs both implementations, the order swapped on every other trial)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  directorConf, fullTable, hasAddr, ipvsTable, OUT, prepareRealServers, setupCluster, sh, startAgent, startDirector, startRealServers, stopProc, until, VIP,
} from '../../test/uml/guest/cluster.mjs';

const [nText = '300', concText = '8', order = 'kts,keepalived', trialsText = '1'] = process.argv.slice(2);
const N = Number(nText);
const CONCURRENCY = Number(concText);
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
const results = [];
const save = () => writeFileSync(join(OUT, 'result.json'), JSON.stringify(results, null, 1));

/** Removes the cluster and waits until its links are gone (a namespace's devices go asynchronously). */
async function teardown() {
  const hosts = ['cl', 'd1', 'd2', 'rs1', 'rs2'];
  for (const ns of hosts) sh(`ip link del ${ns}-eth0 2>/dev/null || true; ip netns del ${ns} 2>/dev/null || true`);
  sh('ip link del br0 2>/dev/null || true');
  const gone = await until(() => !/\b(br0|(cl|d1|d2|rs1|rs2)-eth0)\b/.test(sh('ip -o link show')) && sh('ip netns list').trim() === '', 20_000, 200);
  if (!gone.ok) throw new Error(`the previous cluster is still there: ${sh('ip -o link show')}`);
}

async function once(impl, sync, trial) {
  setupCluster('dr');
  prepareRealServers('dr');
  const servers = startRealServers();
  await Promise.all(servers.map((s) => s.ready));
  const d1 = startDirector('d1', impl, directorConf({ mode: 'dr', name: 'd1', priority: 150, state: 'MASTER', sync, kts: impl === 'kts' }));
  const d2 = startDirector('d2', impl, directorConf({ mode: 'dr', name: 'd2', priority: 100, state: 'BACKUP', sync, kts: impl === 'kts' }));
  const agent = startAgent();
  await agent.child.ready;
  const r = { impl, sync, trial };
  try {
    const full = fullTable('dr');
    const up = await until(() => hasAddr('d1', 'eth0', VIP) && full(ipvsTable('d1')) && full(ipvsTable('d2')), 60_000, 250);
    r.startMs = up.ms;
    if (!up.ok) throw new Error('cluster did not come up');
    await agent.call('get', { n: 10 }); // warm-up
    const seq = await agent.call('rate', { n: N, concurrency: 1 });
    const par = await agent.call('rate', { n: N, concurrency: CONCURRENCY });
    Object.assign(r, { rpsSeq: seq.rps, failedSeq: seq.failed, rpsPar: par.rps, failedPar: par.failed, namesPar: par.names });
    await agent.call('connOpen', { everyMs: 100 });
    await sleep(3000); // the connection reaches the backup's table (sync flush: 2 s)
    // open-loop probing: a request every 10 ms, 300 ms timeout (below the 1 s SYN retransmission)
    await agent.call('loopStart', { everyMs: 10, timeoutMs: 300 });
    await sleep(1000);
    const connBefore = await agent.call('connStatus');
    const syncd = (ns) => sh(`ip netns exec ${ns} ipvsadm -Ln --daemon`).trim().replace(/\s+/g, ' ');
    Object.assign(r, {
      syncdBefore: sync ? { d1: syncd('d1'), d2: syncd('d2') } : undefined,
      backupHadConn: /ESTABLISHED\s+10\.0\.0\.100:\d+\s+10\.0\.0\.10:9000/.test(sh('ip netns exec d2 ipvsadm -Lnc')),
    });
    const t0 = Date.now();
    sh('ip -n d1 link set eth0 down');
    const took = await until(() => hasAddr('d2', 'eth0', VIP), 20_000, 20);
    r.takeoverMs = took.ok ? Date.now() - t0 : undefined;
    await sleep(4000);
    const loop = await agent.call('loopStop');
    Object.assign(r, { outageMs: loop.outageMs, failed: loop.failed, requests: loop.requests });
    let conn;
    for (const t1 = Date.now(); ;) {
      conn = await agent.call('connStatus');
      if (conn.closed || conn.err || conn.echoed >= connBefore.echoed + 30 || Date.now() - t1 > 12_000) break;
      await sleep(250);
    }
    Object.assign(r, { connSurvived: !conn.closed && !conn.err && conn.echoed >= connBefore.echoed + 30, connErr: conn.err, connMaxGapMs: conn.maxGapMs });
  } catch (e) {
    r.error = String(e?.message ?? e);
  }
  await Promise.all([stopProc(d1, 'SIGTERM', 15_000), stopProc(d2, 'SIGTERM', 15_000), stopProc(agent.child), ...servers.map((s) => stopProc(s))]);
  await teardown();
  results.push(r);
  save();
}

for (let trial = 0; trial < Number(trialsText); trial++) {
  const impls = order.split(',');
  if (trial % 2 === 1) impls.reverse();
  for (const sync of [false, true]) {
    for (const impl of impls) await once(impl, sync, trial);
  }
}
writeFileSync(join(OUT, 'done'), 'ok\n');
