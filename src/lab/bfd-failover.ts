/**
 * The BFD failover scenario of issue 20, shared by test/interop/bfd-failover.test.ts and
 * bench/bfd-failover.mjs: a VRRP pair (a: priority 150, b: 100) on one LAN with a router r
 * that runs FRR's bfdd. Each director has a BFD session to r and tracks it (`track_bfd`,
 * weight 0: the instance goes to FAULT while the session is down). The link between the master
 * and r then dies silently (r drops everything to and from a with nftables, so no carrier
 * changes and nothing says goodbye): a's session expires, a enters FAULT and b takes over.
 * Nothing else notices the cut: VRRP between a and b still works, so the takeover is BFD's.
 */
import { Bfdd } from './bfdd.js';
import { directorConf } from './configs.js';
import { Director, type Implementation } from './director.js';
import type { NetLab } from './netlab.js';
import { waitUntil } from './watch.js';

export const FAILOVER_NET = '10.69.2';
export const R = `${FAILOVER_NET}.1`;
export const A = `${FAILOVER_NET}.11`;
export const B = `${FAILOVER_NET}.12`;
export const VIP = `${FAILOVER_NET}.50`;

export interface BfdTimersMs {
  readonly intervalMs: number;
  readonly multiplier: number;
}

/** The three hosts on one bridge (call once per lab). */
export function addFailoverHosts(lab: NetLab): void {
  lab.addHost({ name: 'r', addresses: [`${R}/24`] });
  lab.addHost({ name: 'a', addresses: [`${A}/24`] });
  lab.addHost({ name: 'b', addresses: [`${B}/24`] });
}

const directorText = (priority: number, t: BfdTimersMs): string =>
  `bfd_instance to_r {\n  neighbor_ip ${R}\n  min_rx ${t.intervalMs}\n  min_tx ${t.intervalMs}\n  multiplier ${t.multiplier}\n}\n`
  + directorConf({ vrid: 60, version: 3, advertInt: 1, priority, vips: [`${VIP}/24`], extra: ['track_bfd {', '  to_r', '}'] });

/** r drops all traffic to and from a (`up`: removes the rule). */
export function cutLink(lab: NetLab, cut: boolean): void {
  if (!cut) {
    lab.exec('r', 'nft', ['delete', 'table', 'inet', 'ktscut']);
    return;
  }
  const script = `table inet ktscut {\n chain in { type filter hook input priority 0; ip saddr ${A} drop; }\n`
    + ` chain out { type filter hook output priority 0; ip daddr ${A} drop; }\n}\n`;
  const r = lab.exec('r', 'sh', ['-c', `printf '%s' "$1" | nft -f -`, 'sh', script]);
  if (r.rc !== 0) throw new Error(`nft: ${r.stderr}`);
}

export interface FailoverRun {
  /** ms from the cut to a's "(to_r) Entering Down state" line */
  readonly bfdDownMs: number;
  /** ms from the cut to a's "Entering FAULT STATE" */
  readonly faultMs: number;
  /** ms from the cut to b's "Entering MASTER STATE" */
  readonly takeoverMs: number;
  /** the VIP was on b and no longer on a once b was master */
  readonly vipMoved: boolean;
  /** ms from the heal to a's "Entering MASTER STATE" again */
  readonly recoveredMs: number;
}

/**
 * One run with `impl` on both directors. Rejects (with the logs' story) when a step does not
 * happen within its generous timeout; timing is measured, not judged, here.
 */
export async function bfdFailover(lab: NetLab, impl: Implementation, t: BfdTimersMs, pidTag: string): Promise<FailoverRun> {
  const bfdd = new Bfdd(lab, 'r', [A, B].map((address) => ({ address, rxMs: t.intervalMs, txMs: t.intervalMs, multiplier: t.multiplier })));
  const dirs: Director[] = [];
  const start = (host: 'a' | 'b', prio: number): Director => {
    const extra = impl === 'keepalived' ? ['-b', `/tmp/${pidTag}-${host}-bfd.pid`] : [];
    const d = new Director(lab, host, impl, directorText(prio, t), extra);
    dirs.push(d);
    return d;
  };
  try {
    await bfdd.started();
    const a = start('a', 150);
    const b = start('b', 100);
    await a.state('MASTER', 20_000);
    await b.watch.waitFor(/\(to_r\) Entering Up state/, 20_000);
    await b.state('BACKUP', 20_000);
    const am = a.watch.mark();
    const bm = b.watch.mark();
    cutLink(lab, true);
    const t0 = performance.now();
    const down = await a.watch.waitFor(/\(to_r\) Entering Down state/, 10_000, am);
    const fault = await a.state('FAULT', 10_000, am);
    const master = await b.state('MASTER', 10_000, bm);
    const vipMoved = await waitUntil('the VIP on b only', () => lab.hasAddress('b', VIP) && !lab.hasAddress('a', VIP), 5000)
      .then(() => true, () => false);
    const am2 = a.watch.mark();
    cutLink(lab, false);
    const t1 = performance.now();
    const back = await a.state('MASTER', 20_000, am2);
    return {
      bfdDownMs: down.at - t0, faultMs: fault.at - t0, takeoverMs: master.at - t0, vipMoved, recoveredMs: back.at - t1,
    };
  } finally {
    for (const d of dirs) d.cleanup();
    bfdd.stop();
    try { cutLink(lab, false); } catch { /* not cut */ }
  }
}
