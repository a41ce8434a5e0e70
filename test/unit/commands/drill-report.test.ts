// The drill's figures from what a client saw.
import { describe, expect, it } from 'vitest';
import { formatDrill, phaseReport } from '../../../src/commands/drill-report.js';

const probes = (from: number, to: number, lost: [number, number][] = []): { sentAt: number; ok: boolean }[] => {
  const out = [];
  for (let t = from; t < to; t += 10) out.push({ sentAt: t, ok: !lost.some(([a, b]) => t >= a && t < b) });
  return out;
};

describe('drill report', () => {
  it('outage, takeover, GARPs and masters of a failover', () => {
    const r = phaseReport({
      name: 'failover', triggerAt: 1000, endAt: 3000, intervalMs: 10,
      probes: probes(0, 3000, [[1000, 1620]]),
      adverts: [{ at: 0, src: 'a', priority: 150 }, { at: 1000, src: 'a', priority: 0 }, { at: 1610, src: 'b', priority: 100 }, { at: 2610, src: 'b', priority: 100 }],
      garps: [1611, 1612, 500],
    });
    expect(r).toMatchObject({ masterBefore: 'a', masterAfter: 'b', takeoverMs: 610, probesLost: 62, outageMs: 620, garpsSeen: 2, firstGarpMs: 611, splitBrain: false });
    expect(formatDrill('10.0.0.1', [r])).toContain('client outage     620 ms, 62 of 200 probes lost');
  });

  it('restore: the current master\'s delayed GARP burst before the takeover is not the takeover\'s first GARP', () => {
    // b took over in the phase before; its garp_master_delay burst lands at 3055, a takes back at 3405
    const r = phaseReport({
      name: 'restore', triggerAt: 0, endAt: 6000, intervalMs: 10, probes: probes(0, 6000),
      adverts: [{ at: 0, src: 'b', priority: 100 }, { at: 3405, src: 'a', priority: 150 }],
      garps: [3055, 3055.2, 3405.3, 3405.4],
    });
    expect(r).toMatchObject({ masterBefore: 'b', masterAfter: 'a', takeoverMs: 3405, garpsSeen: 4, firstGarpMs: 3405.3 });
  });

  it('the old master still adverting after the new one is split brain', () => {
    const r = phaseReport({
      name: 'failover', triggerAt: 1000, endAt: 5000, intervalMs: 10, probes: probes(0, 5000), garps: [],
      adverts: [{ at: 0, src: 'a', priority: 150 }, { at: 1500, src: 'b', priority: 100 }, { at: 2000, src: 'a', priority: 150 }, { at: 3000, src: 'a', priority: 150 }],
    });
    expect(r).toMatchObject({ splitBrain: true, dualMasterMs: 1500 });
  });

  it('adverts after the end of a phase belong to the next one', () => {
    const r = phaseReport({
      name: 'failover', triggerAt: 1000, endAt: 3000, intervalMs: 10, probes: probes(0, 3000), garps: [4000],
      adverts: [{ at: 0, src: 'a', priority: 150 }, { at: 1500, src: 'b', priority: 100 }, { at: 3500, src: 'a', priority: 150 }],
    });
    expect(r).toMatchObject({ splitBrain: false, masterAfter: 'b', garpsSeen: 0 });
  });
});
