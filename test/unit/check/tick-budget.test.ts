// TickBudget: how many probes a checker tick starts, from what starting them has cost. A tick of
// 256 starts held the loop of a one-CPU guest's checker 100-270 ms (bench/RESULTS.md, footprint,
// eighth session); the budget keeps a tick's starts near TICK_BUDGET_MS.
import { describe, expect, it } from 'vitest';
import { PROBES_PER_TICK } from '../../../src/check/engine.js';
import { MIN_PROBES_PER_TICK, TICK_BUDGET_MS, TickBudget } from '../../../src/check/tick-budget.js';

describe('TickBudget', () => {
  it('starts with the engine limit, and keeps it where starts are cheap (a host)', () => {
    const b = new TickBudget();
    expect(b.maxProbes).toBe(PROBES_PER_TICK);
    // 256 starts in 5 ms: 20 us each, 1,000 would fit in the budget
    for (let i = 0; i < 10; i++) b.record(256, 5);
    expect(b.maxProbes).toBe(PROBES_PER_TICK);
  });

  it('where a start costs 0.55 ms (the guest), a tick starts what fits in the budget', () => {
    const b = new TickBudget();
    b.record(256, 140.8);
    expect(b.perProbeStartMs).toBeCloseTo(0.55, 5);
    expect(b.maxProbes).toBe(Math.floor(TICK_BUDGET_MS / 0.55));
    // the next ticks, at that size, take about the budget
    expect(b.maxProbes * 0.55).toBeLessThanOrEqual(TICK_BUDGET_MS);
    expect((b.maxProbes + 1) * 0.55).toBeGreaterThan(TICK_BUDGET_MS);
  });

  it('never fewer than MIN_PROBES_PER_TICK, however slow a start', () => {
    const b = new TickBudget();
    b.record(16, 16 * 50);
    expect(b.maxProbes).toBe(MIN_PROBES_PER_TICK);
  });

  it('follows the cost as it changes, a quarter of the way per tick', () => {
    const b = new TickBudget();
    b.record(100, 100); // 1 ms each
    expect(b.maxProbes).toBe(20);
    b.record(100, 20); // 0.2 ms: the average moves to 0.8
    expect(b.perProbeStartMs).toBeCloseTo(0.8, 5);
    expect(b.maxProbes).toBe(25);
    // and comes to the new cost (0.2 ms: 100 a tick) from above
    for (let i = 0; i < 40; i++) b.record(100, 20);
    expect(b.perProbeStartMs).toBeCloseTo(0.2, 4);
    expect(b.maxProbes).toBeGreaterThanOrEqual(99);
    expect(b.maxProbes).toBeLessThanOrEqual(100);
  });

  it('a tick with few starts, or a bad time, changes nothing', () => {
    const b = new TickBudget();
    b.record(3, 30);
    b.record(0, 0);
    b.record(100, Number.NaN);
    b.record(100, -1);
    expect(b.perProbeStartMs).toBeUndefined();
    expect(b.maxProbes).toBe(PROBES_PER_TICK);
  });
});
