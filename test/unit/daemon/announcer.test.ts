// The announcer (src/daemon/announcer.ts) on a fake table: routes follow quorum and VRRP
// state, a clean stop withdraws first and waits, leftovers of an earlier run go, and a failed
// netlink request is tried again.
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AnnounceRoutes } from '../../../src/announce/plan.js';
import type { KeepalivedConfig } from '../../../src/config/model.js';
import { Announcer } from '../../../src/daemon/announcer.js';
import type { RoutingDaemonChange, RoutingDaemonSeen } from '../../../src/io/routing-daemon.js';
import { parseIp } from '../../../src/util/ip.js';

const loc = { file: 's.conf', line: 1, col: 1 };
const cfg = (vips: [string, string?][], table = 250, delayMs?: number): KeepalivedConfig => ({
  globalDefs: {
    announceTable: table,
    announceVips: vips.map(([a, instance]) => ({ address: parseIp(a)!, loc, ...(instance ? { instance } : {}) })),
    ...(delayMs !== undefined ? { announceWithdrawDelayMs: delayMs } : {}),
  },
}) as unknown as KeepalivedConfig;

function rig(initial: string[] = []) {
  const table = new Set(initial);
  const ops: string[] = [];
  let failNext = 0;
  const routes: AnnounceRoutes = {
    present: async () => [...table],
    add: async (p, _f, t) => {
      if (failNext > 0) { failNext--; throw new Error('ENOBUFS'); }
      ops.push(`add ${p} table ${t}`);
      table.add(p);
    },
    remove: async (p, _f, t) => {
      ops.push(`del ${p} table ${t}`);
      table.delete(p);
    },
  };
  const quorum: Record<string, boolean> = {};
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push((JSON.parse(s) as { msg: string }).msg) });
  // the routing daemon watch, driven by hand
  let onChange: RoutingDaemonChange = () => undefined;
  let names: readonly string[] = [];
  let seen: RoutingDaemonSeen | undefined;
  const watch = { running: false, setNames: (n: readonly string[]) => { names = n; }, current: () => seen, watched: () => names,
    start: () => { watch.running = true; }, stop: () => { watch.running = false; } };
  const a = new Announcer(routes, { quorums: (addr) => (addr in quorum ? [{ name: `[${addr}]:tcp:80`, up: quorum[addr]! }] : []) }, log,
    (f) => { onChange = f; return watch; });
  const daemon = (now: RoutingDaemonSeen | undefined, first = false) => { const was = seen; seen = now; onChange(now, was, first); };
  return { a, table, ops, quorum, lines, watch, daemon, failOnce: () => { failNext = 1; } };
}

describe('Announcer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('announces with quorum, withdraws on its loss, and says why', async () => {
    const r = rig();
    r.quorum['10.0.0.1'] = true;
    r.a.configure(cfg([['10.0.0.1']]));
    await vi.runAllTimersAsync();
    expect([...r.table]).toEqual(['10.0.0.1/32']);
    r.quorum['10.0.0.1'] = false;
    r.a.update();
    await vi.runAllTimersAsync();
    expect([...r.table]).toEqual([]);
    expect(r.lines).toEqual(['Announcing 10.0.0.1/32 (quorum on [10.0.0.1]:tcp:80)', 'Withdrawing 10.0.0.1/32 (no quorum on [10.0.0.1]:tcp:80)']);
  });

  it('with an instance, follows its VRRP state too', async () => {
    const r = rig();
    r.quorum['10.0.0.1'] = true;
    r.a.configure(cfg([['10.0.0.1', 'VI_1']]));
    await vi.runAllTimersAsync();
    expect([...r.table]).toEqual([]);
    r.a.vrrpState('VI_1', 'MASTER');
    await vi.runAllTimersAsync();
    expect([...r.table]).toEqual(['10.0.0.1/32']);
    r.a.vrrpState('VI_1', 'FAULT');
    await vi.runAllTimersAsync();
    expect([...r.table]).toEqual([]);
  });

  it('removes what an earlier run left in the table that is not announced now', async () => {
    const r = rig(['10.0.0.9/32', '10.0.0.1/32']);
    r.quorum['10.0.0.1'] = true;
    r.a.configure(cfg([['10.0.0.1']]));
    await vi.runAllTimersAsync();
    expect(r.ops).toEqual(['del 10.0.0.9/32 table 250']);
    expect([...r.table]).toEqual(['10.0.0.1/32']);
  });

  it('a clean stop withdraws every route, then waits announce_withdraw_delay before returning', async () => {
    const r = rig();
    r.quorum['10.0.0.1'] = true;
    r.a.configure(cfg([['10.0.0.1']], 250, 1500));
    await vi.runAllTimersAsync();
    let done = false;
    const w = r.a.withdraw().then(() => { done = true; });
    await vi.advanceTimersByTimeAsync(10);
    expect([...r.table]).toEqual([]);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1500);
    await w;
    expect(done).toBe(true);
  });

  it('a failed route change is logged, counted and tried again', async () => {
    const r = rig();
    r.quorum['10.0.0.1'] = true;
    r.failOnce();
    r.a.configure(cfg([['10.0.0.1']]));
    await vi.advanceTimersByTimeAsync(10);
    expect([...r.table]).toEqual([]);
    expect(r.a.failures).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect([...r.table]).toEqual(['10.0.0.1/32']);
  });

  it('handover withdraws a VIP until cancel, answering after the withdraw delay; an unknown VIP is said so', async () => {
    const r = rig();
    r.quorum['10.0.0.1'] = true;
    r.a.configure(cfg([['10.0.0.1']], 250, 500));
    await vi.runAllTimersAsync();
    const h = r.a.handover('10.0.0.1', false);
    await vi.advanceTimersByTimeAsync(10);
    expect([...r.table]).toEqual([]);
    await vi.advanceTimersByTimeAsync(500);
    expect(await h).toMatchObject({ result: 'withdrawn', announced: false });
    // held across a quorum change and a reload
    r.a.update();
    r.a.configure(cfg([['10.0.0.1']], 250, 500));
    await vi.runAllTimersAsync();
    expect([...r.table]).toEqual([]);
    const c = r.a.handover('10.0.0.1', true);
    await vi.runAllTimersAsync();
    expect(await c).toMatchObject({ result: 'released', announced: true });
    expect([...r.table]).toEqual(['10.0.0.1/32']);
    expect(await r.a.handover('10.0.0.9', false)).toMatchObject({ result: 'unknown-vip' });
  });

  it('a reload to another table moves the routes', async () => {
    const r = rig();
    r.quorum['10.0.0.1'] = true;
    r.a.configure(cfg([['10.0.0.1']], 250));
    await vi.runAllTimersAsync();
    r.a.configure(cfg([['10.0.0.1']], 251));
    await vi.runAllTimersAsync();
    expect(r.ops).toEqual(['add 10.0.0.1/32 table 250', 'del 10.0.0.1/32 table 250', 'add 10.0.0.1/32 table 251']);
  });

  it('watches the routing daemon: its absence, stop and return are logged, and its return reads the table again', async () => {
    const r = rig();
    r.quorum['10.0.0.1'] = true;
    r.a.configure(cfg([['10.0.0.1']]));
    expect(r.watch.running).toBe(true);
    r.daemon(undefined, true);
    await vi.runAllTimersAsync();
    expect(r.a.routingDaemonView()).toEqual({ watching: ['bgpd', 'bird', 'gobgpd'] });
    r.daemon({ name: 'bgpd', pid: 7 });
    r.daemon(undefined);
    expect(r.a.routingDaemonStops).toBe(1);
    // meanwhile somebody flushes the table: the daemon's return puts the route back
    r.table.clear();
    r.daemon({ name: 'bgpd', pid: 8 });
    await vi.runAllTimersAsync();
    expect([...r.table]).toEqual(['10.0.0.1/32']);
    expect(r.a.routingDaemonView()).toEqual({ watching: ['bgpd', 'bird', 'gobgpd'], running: { name: 'bgpd', pid: 8 } });
    expect(r.lines.slice(1)).toEqual([
      'No routing daemon (bgpd, bird, gobgpd) runs in this network namespace: the announcements wait in table 250 until one reads it',
      'Routing daemon bgpd (pid 7) runs again: it reads table 250, where 10.0.0.1/32 is announced',
      'Routing daemon bgpd (pid 7) stopped: the routers lose the announcements at their hold time; they wait in table 250 for its return',
      'Routing daemon bgpd (pid 8) runs again: it reads table 250, where 10.0.0.1/32 is announced',
    ]);
  });

  it('announce_daemon none watches nothing', async () => {
    const r = rig();
    r.quorum['10.0.0.1'] = true;
    r.a.configure({ ...cfg([['10.0.0.1']]), globalDefs: { ...cfg([['10.0.0.1']]).globalDefs, announceDaemons: [] } } as KeepalivedConfig);
    expect(r.watch.running).toBe(false);
    expect(r.a.routingDaemonView()).toBeUndefined();
  });
});
