// The checker's answer to a metrics scrape (src/daemon/check-metrics.ts): the servers' text is
// kept while the state generation stands, with fresh counters each time; a rendering the
// scrape stopped waiting for runs to its end and serves the next scrape; one made while the
// state moved is not kept; scrapes that come together share one rendering; a scrape that cannot
// wait for a rendering gets the last text made, with its age.
import { describe, expect, it } from 'vitest';
import { CheckMetrics, type CheckMetricsSource } from '../../../src/daemon/check-metrics.js';
import { checkCountersText, checkMetricsText } from '../../../src/control/metrics.js';
import type { CheckView } from '../../../src/daemon/check-view.js';

function view(alive: boolean, probes: number): CheckView {
  return {
    configFile: '/etc/keepalived/keepalived.conf', pid: 7, startedAt: 0, reloads: 0,
    stats: { probes },
    virtualServers: [{
      name: '10.0.0.100:80', protocol: 'TCP', scheduler: 'rr', lbKind: 'DR', quorumUp: true, sorryActive: false, suspended: false,
      realServers: [{ name: '10.0.2.1:80', address: '10.0.2.1', port: 80, alive, inTable: alive, weight: 1, effectiveWeight: 1, checkers: [{ type: 'TCP_CHECK', up: alive, hasRun: true }] }],
    }],
  };
}

/** A checker whose state is `alive` at `stateGeneration`; its views take `slices` pauses to make. */
class FakeChecker implements CheckMetricsSource {
  stateGeneration = 1;
  alive = true;
  probes = 0;
  slices = 3;
  /** runs during the view's first pause (a probe result between two slices) */
  duringView: (() => void) | undefined;
  /** a view waits for it once made (a rendering slower than the scrape can wait) */
  hold: Promise<void> | undefined;

  async viewSliced(pause: () => Promise<void>): Promise<CheckView> {
    const v = view(this.alive, this.probes);
    await this.hold;
    for (let i = 0; i < this.slices; i++) {
      await pause();
      if (i === 0) this.duringView?.();
    }
    return v;
  }

  counterView(): CheckView {
    return { ...view(this.alive, this.probes), virtualServers: [] };
  }
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
const AGE = /^# HELP keepalived_ts_checker_servers_age_seconds .*\n# TYPE keepalived_ts_checker_servers_age_seconds gauge\nkeepalived_ts_checker_servers_age_seconds (\S+)\n/m;

/**
 * The answer's pieces joined (as the VRRP process sends them on), or undefined; without the
 * servers' age, which `age` gets (the age of the servers' series said in the answer).
 */
const joined = async (p: Promise<readonly Buffer[] | undefined>, age?: { s?: number }): Promise<string | undefined> => {
  const pieces = await p;
  if (!pieces) return undefined;
  const text = Buffer.concat(pieces).toString();
  const m = AGE.exec(text);
  if (!m) throw new Error(`no servers' age in ${text}`);
  if (age) age.s = Number(m[1]);
  else expect(Number(m[1])).toBe(0);
  return text.replace(AGE, '');
};
const FAR = Date.now() + 60_000;

describe('CheckMetrics', () => {
  it('the servers\' text is made once while the state stands; the counters are fresh each time', async () => {
    const c = new FakeChecker();
    const m = new CheckMetrics(c, turn);
    expect(await joined(m.text(FAR))).toBe(checkMetricsText(view(true, 0)));
    c.probes = 500;
    expect(await joined(m.text(FAR))).toBe(checkMetricsText(view(true, 500)));
    expect(m.stats).toEqual({ rendered: 1, kept: 1 });
    // a real server went down: made again
    c.alive = false;
    c.stateGeneration++;
    expect(await joined(m.text(FAR))).toBe(checkMetricsText(view(false, 500)));
    expect(m.stats).toEqual({ rendered: 2, kept: 2 });
  });

  it('a scrape that stops waiting gets nothing; the rendering goes on and answers the next one at once', async () => {
    const c = new FakeChecker();
    c.slices = 500;
    const m = new CheckMetrics(c, turn);
    expect(await m.text(Date.now() - 1)).toBeUndefined();
    expect(m.stats.rendered).toBe(0);
    // the next scrape, shortly after: waits for the same rendering, not a new one
    expect(await joined(m.text(FAR))).toBe(checkMetricsText(view(true, 0)));
    expect(m.stats).toEqual({ rendered: 1, kept: 1 });
    c.slices = 1000; // a new rendering would be slow: the kept text answers at once
    expect(await joined(m.text(Date.now() + 5))).toBe(checkMetricsText(view(true, 0)));
    expect(m.stats.rendered).toBe(1);
  });

  it('a text made while the state moved is given but not kept', async () => {
    const c = new FakeChecker();
    c.duringView = () => {
      c.stateGeneration++;
      c.duringView = undefined;
    };
    const m = new CheckMetrics(c, turn);
    const age: { s?: number } = {};
    expect(await joined(m.text(FAR), age)).toBe(checkMetricsText(view(true, 0)));
    // the state moved while it was made: not the current state's, though the newest there is
    expect(age.s).toBeGreaterThanOrEqual(0);
    expect(m.stats).toEqual({ rendered: 1, kept: 0 });
    await m.text(FAR);
    expect(m.stats).toEqual({ rendered: 2, kept: 1 });
  });

  it('a scrape a rendering would make wait past its deadline gets the last text, and its age', async () => {
    const c = new FakeChecker();
    const m = new CheckMetrics(c, turn);
    // before the first rendering starts: the age counts from its start
    const before = Date.now();
    expect(await joined(m.text(FAR))).toBe(checkMetricsText(view(true, 0)));
    // a real server went down, and the new rendering is slow
    c.alive = false;
    c.stateGeneration++;
    let release = (): void => undefined;
    c.hold = new Promise((r) => (release = r));
    const age: { s?: number } = {};
    const t0 = Date.now();
    // fresh counters, the servers' series from before
    c.probes = 9;
    const counters = (probes: number): string => checkCountersText({ ...view(true, probes), virtualServers: [] });
    expect(await joined(m.text(Date.now() + 400), age)).toBe(checkMetricsText(view(true, 0)).replace(counters(0), counters(9)));
    // answered before the deadline, with the margin the answer needs to reach the asker
    expect(Date.now() - t0).toBeLessThan(400);
    expect(age.s).toBeGreaterThan(0);
    expect(age.s! * 1000).toBeLessThanOrEqual(Date.now() - before + 1);
    expect(m.stats.rendered).toBe(1);
    // the new text, once made, is the current state's
    release();
    expect(await joined(m.text(FAR))).toBe(checkMetricsText(view(false, 9)));
    expect(m.stats).toEqual({ rendered: 2, kept: 2 });
  });

  it('when the last rendering took longer than a scrape can wait, the scrape gets the last text at once', async () => {
    const c = new FakeChecker();
    // the first rendering takes 300 ms
    c.hold = new Promise((r) => setTimeout(r, 300));
    const m = new CheckMetrics(c, turn);
    expect(await joined(m.text(FAR))).toBe(checkMetricsText(view(true, 0)));
    c.alive = false;
    c.stateGeneration++;
    c.hold = new Promise(() => undefined);
    const t0 = Date.now();
    const age: { s?: number } = {};
    expect(await joined(m.text(Date.now() + 400), age)).toBe(checkMetricsText(view(true, 0)));
    expect(Date.now() - t0).toBeLessThan(100);
    expect(age.s).toBeGreaterThan(0);
  });

  it('before any text is made, a scrape that cannot wait gets nothing', async () => {
    const c = new FakeChecker();
    c.hold = new Promise(() => undefined);
    const m = new CheckMetrics(c, turn);
    expect(await m.text(Date.now() + 50)).toBeUndefined();
  });

  it('scrapes that come together share one rendering', async () => {
    const c = new FakeChecker();
    const m = new CheckMetrics(c, turn);
    const texts = await Promise.all([joined(m.text(FAR)), joined(m.text(FAR)), joined(m.text(FAR))]);
    expect(new Set(texts).size).toBe(1);
    expect(m.stats.rendered).toBe(1);
  });
});

describe('CheckMetrics, a failing view', () => {
  it('fails the scrapes that wait for it, and one nobody waits for is no unhandled rejection', async () => {
    const c = new FakeChecker();
    c.viewSliced = async () => {
      await turn();
      throw new Error('view broke');
    };
    const m = new CheckMetrics(c, turn);
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      expect(await m.text(Date.now() - 1)).toBeUndefined();
      await new Promise((r) => setTimeout(r, 20));
      await expect(m.text(FAR)).rejects.toThrow('view broke');
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
