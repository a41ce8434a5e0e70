// The checker's answer to a metrics scrape (src/daemon/check-metrics.ts): the servers' text is
// kept while the state generation stands, with fresh counters each time; a rendering the
// scrape stopped waiting for runs to its end and serves the next scrape; one made while the
// state moved is not kept; scrapes that come together share one rendering.
import { describe, expect, it } from 'vitest';
import { CheckMetrics, type CheckMetricsSource } from '../../../src/daemon/check-metrics.js';
import { checkMetricsText } from '../../../src/control/metrics.js';
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

  async viewSliced(pause: () => Promise<void>): Promise<CheckView> {
    const v = view(this.alive, this.probes);
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
/** The answer's pieces joined (as the VRRP process sends them on), or undefined. */
const joined = async (p: Promise<readonly Buffer[] | undefined>): Promise<string | undefined> => {
  const pieces = await p;
  return pieces && Buffer.concat(pieces).toString();
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
    expect(await joined(m.text(FAR))).toBe(checkMetricsText(view(true, 0)));
    expect(m.stats).toEqual({ rendered: 1, kept: 0 });
    await m.text(FAR);
    expect(m.stats).toEqual({ rendered: 2, kept: 1 });
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
