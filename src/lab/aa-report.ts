/**
 * What the active-active lab's scenarios cost the client (issue 21), from the client's events
 * and the scenario's marks (test/uml/guest/active-active.mjs, aa-client.mjs): shared by
 * test/uml/active-active.test.ts, which judges it, and bench/aa-drill.mjs, which prints it as
 * a drill report. Times are the guest's clock (ms).
 */

/** One line of the client's output. */
export interface ClientEvent {
  readonly t: number;
  /** long-up | long-moved | long-broken | short */
  readonly k: string;
  readonly id?: number;
  readonly rs?: string;
  readonly from?: string;
  readonly to?: string;
  readonly ok?: boolean;
  readonly why?: string;
  /** a stall: how long the client did not run */
  readonly ms?: number;
}

/** One scenario: the client's view between its marks. */
export interface ScenarioCost {
  /** new (short) connections opened, and those not answered within 1 s */
  readonly shortOpened: number;
  readonly shortFailed: number;
  /** the last failed new connection, after the scenario's start (ms); 0 if none failed */
  readonly lastFailureMs: number;
  /** long connections broken (error, close, or 10 s silent) */
  readonly longBroken: number;
  /** long connections answered by another real server than before */
  readonly longMoved: number;
  /** longMoved over the long connections up at the start, in % */
  readonly movedPct: number;
  /** from the scenario's start until the router's path changed (ms), where the scenario has one */
  readonly routeMs?: number;
}

export interface AaReport {
  readonly longs: number;
  readonly drain: ScenarioCost;
  readonly rsFail: ScenarioCost & {
    /** the long connections on the failed real server (r4), whose move is expected */
    readonly onFailed: number;
    /** long connections of the other real servers that moved (the `mh` target: none) */
    readonly movedOthers: number;
  };
  readonly kill: ScenarioCost & {
    /**
     * new connections that failed more than 1 s after the router dropped the director, but for
     * those a stall of the client explains (one within the second before the failure: the guest
     * was not run, and its 1 s timer fired before the answer could be read)
     */
    readonly shortFailedAfterWithdraw: number;
    /** the failures a stall explains, and the stalls (ms) of the scenario */
    readonly shortFailedInStall: number;
    readonly stallsMs: readonly number[];
  };
  readonly back: ScenarioCost;
}

/** The scenarios and their marks: [start, route changed, end]. */
const SCENARIOS = {
  drain: ['drain', 'drain-withdrawn', 'drain-end'],
  rsFail: ['rs-fail', undefined, 'rs-end'],
  kill: ['kill', 'kill-withdrawn', 'kill-end'],
  back: ['back', 'back-announced', 'end'],
} as const;

export function aaReport(marks: Readonly<Record<string, number>>, evs: readonly ClientEvent[]): AaReport {
  const longs = new Set(evs.filter((e) => e.k === 'long-up').map((e) => e.id)).size;
  const cost = (name: keyof typeof SCENARIOS): ScenarioCost => {
    const [from, route, to] = SCENARIOS[name];
    const start = marks[from] ?? Infinity;
    const end = marks[to] ?? -Infinity;
    const inside = evs.filter((e) => e.t >= start && e.t < end);
    const shorts = inside.filter((e) => e.k === 'short');
    const failed = shorts.filter((e) => !e.ok);
    const moved = inside.filter((e) => e.k === 'long-moved').length;
    const routeAt = route !== undefined ? marks[route] : undefined;
    return {
      shortOpened: shorts.length,
      shortFailed: failed.length,
      lastFailureMs: Math.max(0, ...failed.map((e) => e.t - start)),
      longBroken: inside.filter((e) => e.k === 'long-broken').length,
      longMoved: moved,
      movedPct: longs ? Math.round((moved / longs) * 1000) / 10 : 0,
      ...(routeAt !== undefined ? { routeMs: routeAt - start } : {}),
    };
  };
  const rsFail = cost('rsFail');
  const kill = cost('kill');
  const withdrawnAt = marks['kill-withdrawn'];
  return {
    longs,
    drain: cost('drain'),
    rsFail: {
      ...rsFail,
      onFailed: new Set(evs.filter((e) => e.k === 'long-up' && e.rs === 'r4').map((e) => e.id)).size,
      movedOthers: evs.filter((e) => e.k === 'long-moved' && e.from !== 'r4' && e.t >= (marks['rs-fail'] ?? Infinity) && e.t < (marks['rs-end'] ?? -Infinity)).length,
    },
    kill: {
      ...kill,
      ...afterWithdraw(evs, withdrawnAt, marks['kill'] ?? Infinity, marks['kill-end'] ?? -Infinity),
    },
    back: cost('back'),
  };
}

/** A stall explains a failure during it or within the second after it (the 1 s timer of a connection in flight). */
const STALL_REACH_MS = 1000;

function afterWithdraw(evs: readonly ClientEvent[], withdrawnAt: number | undefined, start: number, end: number): Pick<AaReport['kill'], 'shortFailedAfterWithdraw' | 'shortFailedInStall' | 'stallsMs'> {
  const stalls = evs.filter((e) => e.k === 'stall' && e.t >= start && e.t < end);
  const late = withdrawnAt === undefined ? [] : evs.filter((e) => e.k === 'short' && !e.ok && e.t >= withdrawnAt + 1000 && e.t < end);
  // the stall is logged when the client runs again (t), having not run for `ms` before that
  const inStall = late.filter((e) => stalls.some((s) => e.t >= s.t - (s.ms ?? 0) && e.t <= s.t + STALL_REACH_MS)).length;
  return { shortFailedAfterWithdraw: late.length - inStall, shortFailedInStall: inStall, stallsMs: stalls.map((s) => s.ms ?? 0) };
}

/** The report as a Markdown table, a row per scenario. */
export function formatAaReport(r: AaReport): string {
  const row = (name: string, c: ScenarioCost, route: string, extra = ''): string =>
    `| ${name} | ${route} | ${c.shortFailed}/${c.shortOpened}${c.shortFailed ? ` (last ${c.lastFailureMs} ms in)` : ''} | ${c.longBroken} | ${c.longMoved} (${c.movedPct} %)${extra} |`;
  const ms = (c: ScenarioCost, what: string): string => (c.routeMs === undefined ? '-' : `${what} ${c.routeMs} ms`);
  return [
    `${r.longs} long connections; a new connection every 20 ms.`,
    '',
    '| scenario | router | new connections failed | long connections broken | flows that changed real server |',
    '|---|---|---|---|---|',
    row('director drained (SIGTERM)', r.drain, ms(r.drain, 'path withdrawn after')),
    row('real server failed (r4)', r.rsFail, '-', `; of other real servers' flows: ${r.rsFail.movedOthers} (${r.rsFail.onFailed} were on r4)`),
    row('director killed (link down)', r.kill, ms(r.kill, 'path dropped after'), `; failed > 1 s after the drop: ${r.kill.shortFailedAfterWithdraw}${r.kill.shortFailedInStall ? ` (and ${r.kill.shortFailedInStall} in a stall of the client)` : ''}`),
    row('director added back', r.back, ms(r.back, 'path back after')),
  ].join('\n');
}
