// Active-active directors behind a router with ECMP (issue 21), in user-mode Linux: three
// directors announce one VIP through FRR (announce_vip), forward with the `mh` scheduler in DR
// mode to four real servers, and a client keeps long connections and opens short ones all along
// (test/uml/guest/active-active.mjs). Judged here from the client's events:
// - steady: every director forwards flows;
// - drain (SIGTERM to a director): no connection is broken and no new one fails;
// - a real server fails: only its flows move, the others keep their real server;
// - a director dies: new connections fail at most until the router drops it (BGP hold time), and
//   the flows it carried go on through the others on the same real servers (IPVS's connection
//   sync, lvs_sync_daemon, has given each director the others' connections; mh with sloppy TCP
//   for any it has not);
// - the director comes back: flows spread over it again with no break or move.
import { describe, expect, it } from 'vitest';
import { IPVS_MODULES, umlUnavailable } from '../../src/lab/uml.js';
import { aaReport, formatAaReport, type ClientEvent } from '../../src/lab/aa-report.js';
import { describeRun, runGuestScenario } from '../helpers/uml-guest.js';
import { skipUnless } from '../helpers/system.js';

const why = umlUnavailable();

describe.skipIf(skipUnless(why === undefined, `user-mode Linux: ${why}`))('three active-active directors through FRR ECMP (UML)', () => {
  it('drain, a real server failing and a director dying cost what they should', { timeout: 400_000 }, async () => {
    const run = await runGuestScenario({ script: 'node test/uml/guest/active-active.mjs', timeoutMs: 280_000, memMb: 1536, modules: [...IPVS_MODULES, 'dummy', 'veth', 'bridge'] }, 'active-active');
    const rec = JSON.parse(run.files.get('record.json') ?? '{}') as { marks: Record<string, number>; [k: string]: unknown };
    const evs = (run.files.get('client.jsonl') ?? '').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as ClientEvent);
    const logs = [...run.files.entries()].filter(([n]) => n.endsWith('.log')).map(([n, t]) => `--- ${n}\n${t.slice(-1200)}`).join('\n');
    const story = describeRun(run, `record:\n${JSON.stringify(rec, null, 1)}\n${logs}`);
    expect(run.files.has('done'), story).toBe(true);
    const m = rec.marks;
    const report = aaReport(m, evs);
    const summary = {
      steadyConns: rec.steadyConns,
      syncDaemons: rec.syncDaemons,
      establishedHeld: rec.establishedHeld,
      ...report,
      broken: evs.filter((e) => e.k === 'long-broken').map((e) => `${e.id}@${e.t - m.drain!}:${e.why}`),
      shorts: evs.filter((e) => e.k === 'short').length,
    };
    console.log(`active-active drill:\n${formatAaReport(report)}`);
    console.log(`active-active: ${JSON.stringify({ marksFromDrain: Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v - m.drain!])), ...summary })}`);
    expect({ threePaths: rec.threePaths, drainPathsDown: rec.drainPathsDown, rsRemoved: rec.rsRemoved, killPathsDown: rec.killPathsDown, backStaleWithdrawn: rec.backStaleWithdrawn, backChecked: rec.backChecked, backPathsUp: rec.backPathsUp }, story)
      .toEqual({ threePaths: true, drainPathsDown: true, rsRemoved: true, killPathsDown: true, backStaleWithdrawn: true, backChecked: true, backPathsUp: true });
    expect(summary.longs, story).toBe(60);
    for (const d of ['d1', 'd2', 'd3']) expect((rec.steadyConns as Record<string, number>)[d], `${d} forwards flows`).toBeGreaterThan(0);
    // Until 2026-12-05 one long connection of 60 was reset in 2 of 4 runs, in the drain or the
    // kill step: IPVS's mh fills its table going through the real servers in the order they were
    // added, and with alpha each director added them in the order their first checks passed, so
    // two directors mapped a flow to different real servers. The real servers of a hashing
    // scheduler are now added in one canonical order (src/ipvs/reconcile.ts): a drain, before
    // any table changes, must break nothing.
    // One reset was still seen after that fix (1 run of 5, kill step, 0.6 s after the kill),
    // probably Maglev's own disruption: r4's removal rebuilt every director's mh table and moved
    // a few slots of the other real servers too, so a flow d3 had never seen could hash to
    // another real server than the one d2 held it on. The directors now run lvs_sync_daemon
    // (no instance: the checker process runs MASTER and BACKUP, as keepalived's does, -C
    // included), so each holds the others' connections and a moved flow keeps its real server.
    const syncBoth = ['backup sync daemon', 'master sync daemon'];
    expect(summary.syncDaemons, story).toEqual({ d1: syncBoth, d2: syncBoth, d3: syncBoth });
    for (const d of ['d1', 'd2', 'd3']) expect((summary.establishedHeld as Record<string, number>)[d], `${d} holds the other directors' connections`).toBeGreaterThanOrEqual(55);
    // a drain costs nothing: no failure, no break, no flow changes real server
    expect({ shortFailed: summary.drain.shortFailed, longBroken: summary.drain.longBroken, longMoved: summary.drain.longMoved }, story).toEqual({ shortFailed: 0, longBroken: 0, longMoved: 0 });
    // a real server failing moves only its own flows
    expect(summary.rsFail.movedOthers, story).toBe(0);
    // a director dying: new connections fail only until the router drops it, and the flows it
    // carried go on, on the same real servers, through the others. A failure that a stall of the
    // client explains is not the network's (on 2026-12-06 one CI run, under the load of the
    // whole suite, had 4 failures 1-3 s after the drop, not seen again alone): it is counted
    // apart and shown in the story, with the stalls.
    expect(summary.kill.shortFailedAfterWithdraw, story).toBe(0);
    expect({ longBroken: summary.kill.longBroken, longMoved: summary.kill.longMoved }, story).toEqual({ longBroken: 0, longMoved: 0 });
    // a director added back takes its share of the flows without breaking or moving one (the
    // new connections in flight while the router's ECMP group changes are measured, not judged)
    expect({ longBroken: summary.back.longBroken, longMoved: summary.back.longMoved }, story).toEqual({ longBroken: 0, longMoved: 0 });
  });
});
