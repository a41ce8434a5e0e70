// The active-active drill's report (src/lab/aa-report.ts) from a made-up client log: each
// scenario counts only the events between its marks, the route time comes from the marks, and a
// real server's failure tells its own flows from the others'.
import { describe, expect, it } from 'vitest';
import { aaReport, formatAaReport, type ClientEvent } from '../../../src/lab/aa-report.js';

const marks = { drain: 1000, 'drain-withdrawn': 1300, 'drain-end': 2000, 'rs-fail': 2000, 'rs-end': 3000, kill: 3000, 'kill-withdrawn': 6500, 'kill-end': 9000, back: 9000, 'back-announced': 18000, end: 20000 };
const evs: ClientEvent[] = [
  { t: 10, k: 'long-up', id: 1, rs: 'r1' }, { t: 10, k: 'long-up', id: 2, rs: 'r4' }, { t: 10, k: 'long-up', id: 3, rs: 'r2' }, { t: 10, k: 'long-up', id: 4, rs: 'r3' },
  { t: 500, k: 'short', ok: false }, // before the drill: not counted
  { t: 1100, k: 'short', ok: true }, { t: 1200, k: 'short', ok: true },
  { t: 2100, k: 'long-moved', id: 2, from: 'r4', to: 'r1' }, { t: 2200, k: 'long-moved', id: 3, from: 'r2', to: 'r3' },
  { t: 3100, k: 'short', ok: false }, { t: 6000, k: 'short', ok: false }, { t: 7600, k: 'short', ok: false }, { t: 8000, k: 'short', ok: true },
  { t: 9500, k: 'long-broken', id: 4, why: 'ECONNRESET' },
];

describe('aaReport', () => {
  it('counts each scenario between its marks', () => {
    const r = aaReport(marks, evs);
    expect(r.longs).toBe(4);
    expect(r.drain).toEqual({ shortOpened: 2, shortFailed: 0, lastFailureMs: 0, longBroken: 0, longMoved: 0, movedPct: 0, routeMs: 300 });
    expect(r.rsFail).toMatchObject({ longMoved: 2, movedPct: 50, onFailed: 1, movedOthers: 1 });
    expect(r.rsFail.routeMs).toBeUndefined();
    expect(r.kill).toMatchObject({ shortOpened: 4, shortFailed: 3, lastFailureMs: 4600, routeMs: 3500, shortFailedAfterWithdraw: 1, shortFailedInStall: 0, stallsMs: [] });
    expect(r.back).toMatchObject({ longBroken: 1, routeMs: 9000 });
  });

  it('a failure after the drop that a stall of the client explains is counted apart', () => {
    const stalled: ClientEvent[] = [...evs, { t: 8200, k: 'stall', ms: 300 }, { t: 7700, k: 'short', ok: false }, { t: 8300, k: 'short', ok: false }, { t: 8950, k: 'short', ok: false }];
    const r = aaReport(marks, stalled);
    // the client did not run from 7900 to 8200: 8300 and 8950 fall in its reach (to 9200), 7600 and 7700 do not
    expect(r.kill).toMatchObject({ shortFailedAfterWithdraw: 2, shortFailedInStall: 2, stallsMs: [300] });
    expect(formatAaReport(r)).toContain('failed > 1 s after the drop: 2 (and 2 in a stall of the client)');
  });

  it('prints a row per scenario', () => {
    const text = formatAaReport(aaReport(marks, evs));
    expect(text).toContain('| director drained (SIGTERM) | path withdrawn after 300 ms | 0/2 | 0 | 0 (0 %) |');
    expect(text).toContain('| director killed (link down) | path dropped after 3500 ms | 3/4 (last 4600 ms in) | 0 | 0 (0 %); failed > 1 s after the drop: 1 |');
    expect(text).toContain("of other real servers' flows: 1 (1 were on r4)");
  });
});
