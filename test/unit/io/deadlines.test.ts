// DeadlineQueue (src/io/deadlines.ts), the connect timeouts of TCP_CHECK's lean probes, on
// vitest's fake timers and a fake clock: an entry fires once its time has passed since the
// `now` it was given, never before and only once; a cancelled one never fires; lengths of
// their own keep their order; a thousand entries wait on one timer.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeadlineQueue } from '../../../src/io/deadlines.js';

describe('DeadlineQueue', () => {
  let t = 0;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    t = 1000;
  });
  afterEach(() => vi.useRealTimers());

  /** our clock and the fake timers, moved together in 0.5 ms steps */
  const advance = (ms: number): void => {
    for (let i = 0; i < ms * 2; i++) {
      t += 0.5;
      vi.advanceTimersByTime(0.5);
    }
  };

  it('fires once its time has passed since the given now, not before, and once only', () => {
    const q = new DeadlineQueue(() => t);
    const fired: number[] = [];
    // the caller read its time 2 ms ago: the deadline counts from then, and the timer (which
    // reads no clock of ours) from the present, so it may find it up to those 2 ms late
    q.add(t - 2, 100, () => fired.push(t));
    advance(97.5);
    expect(fired).toEqual([]);
    advance(2.5);
    expect(fired).toEqual([1100]);
    advance(200);
    expect(fired.length).toBe(1);
    expect(q.size).toBe(0);
  });

  it('a cancelled entry never fires, and the ones behind it still do', () => {
    const q = new DeadlineQueue(() => t);
    const fired: string[] = [];
    const a = q.add(t, 50, () => fired.push('a'));
    q.add(t, 50, () => fired.push('b'));
    q.cancel(a);
    advance(60);
    expect(fired).toEqual(['b']);
    expect(q.size).toBe(0);
  });

  it('lengths of their own: each fires at its time, the one timer following the earliest', () => {
    const q = new DeadlineQueue(() => t);
    const fired: [string, number][] = [];
    q.add(t, 300, () => fired.push(['long', t]));
    advance(10);
    q.add(t, 20, () => fired.push(['short', t]));
    advance(400);
    expect(fired).toEqual([['short', 1030], ['long', 1300]]);
  });

  it('a now older than the last entry of its length waits as long as that one', () => {
    const q = new DeadlineQueue(() => t);
    const fired: string[] = [];
    q.add(t, 100, () => fired.push('first'));
    q.add(t - 50, 100, () => fired.push('stale'));
    advance(60);
    expect(fired).toEqual([]);
    advance(50);
    expect(fired).toEqual(['first', 'stale']);
  });

  it('a thousand entries wait on one timer; those cancelled are dropped as the queue moves', () => {
    const q = new DeadlineQueue(() => t);
    let fired = 0;
    const ds = [];
    for (let i = 0; i < 3000; i++) {
      ds.push(q.add(t, 100, () => fired++));
      if (i % 100 === 99) advance(1);
    }
    expect(vi.getTimerCount()).toBe(1);
    // all but the last ten completed in time
    for (const d of ds.slice(0, -10)) q.cancel(d);
    advance(400);
    expect(fired).toBe(10);
    expect(q.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
