// TimerClock (src/io/clock.ts) on vitest's fake timers and a fake monotonic clock: it never
// fires before the deadline, sleeps in pieces of at most 50 ms, re-arming replaces the timer,
// and undefined disarms.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TimerClock } from '../../../src/io/clock.js';

describe('TimerClock', () => {
  let t = 0;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate'] });
    t = 0;
  });
  afterEach(() => vi.useRealTimers());

  /** advance fake timers and our clock together, in 0.25 ms steps */
  const advance = (ms: number): void => {
    for (let i = 0; i < ms * 4; i++) {
      t += 0.25;
      vi.advanceTimersByTime(0.25);
    }
  };

  it('fires at the deadline, never before, and only once', () => {
    const clock = new TimerClock(() => t);
    const fired: number[] = [];
    clock.arm(3609.375, () => fired.push(t));
    advance(3609);
    expect(fired).toEqual([]);
    advance(2);
    expect(fired.length).toBe(1);
    expect(fired[0]).toBeGreaterThanOrEqual(3609.375);
    expect(fired[0]! - 3609.375).toBeLessThan(1);
    advance(100);
    expect(fired.length).toBe(1);
  });

  it('not even a few microseconds early (the engine would find its timer not yet due)', () => {
    const clock = new TimerClock(() => t);
    const fired: number[] = [];
    clock.arm(10.01, () => fired.push(t));
    for (let i = 0; i < 3000 && fired.length === 0; i++) {
      t += 0.005;
      vi.advanceTimersByTime(0.005);
    }
    expect(fired.length).toBe(1);
    expect(fired[0]).toBeGreaterThanOrEqual(10.01);
  });

  it('sleeps in pieces of at most 50 ms (no long poll timeouts)', () => {
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const clock = new TimerClock(() => t);
    clock.arm(1000, () => undefined);
    advance(1001);
    const delays = spy.mock.calls.map((c) => c[1] as number);
    expect(Math.max(...delays)).toBeLessThanOrEqual(50);
    spy.mockRestore();
  });

  it('re-arming replaces the pending deadline; undefined disarms', () => {
    const clock = new TimerClock(() => t);
    const fired: string[] = [];
    clock.arm(100, () => fired.push('a'));
    clock.arm(200, () => fired.push('b'));
    advance(150);
    expect(fired).toEqual([]);
    advance(60);
    expect(fired).toEqual(['b']);
    clock.arm(300, () => fired.push('c'));
    clock.arm(undefined, () => fired.push('d'));
    advance(200);
    expect(fired).toEqual(['b']);
  });

  it('a deadline already past fires at once', () => {
    t = 500;
    const clock = new TimerClock(() => t);
    let n = 0;
    clock.arm(400, () => n++);
    expect(n).toBe(1);
  });

  it('a sleep that wakes late widens the wake-up margin (at most 2.5 ms); it narrows again', () => {
    const clock = new TimerClock(() => t);
    expect(clock.margin()).toBe(0.5);
    const fired: number[] = [];
    clock.arm(1000, () => fired.push(t));
    // the first 50 ms sleep wakes 2 ms late (a busy CPU)
    t += 52;
    vi.advanceTimersByTime(50);
    expect(clock.margin()).toBeCloseTo(2.25, 1);
    // the next sleeps stop that much before the deadline and the rest is waited out: on time
    advance(960);
    expect(fired.length).toBe(1);
    expect(fired[0]! - 1000).toBeLessThan(0.5);
    // a stall of a second widens it only to the cap
    clock.arm(5000, () => undefined);
    t += 1050;
    vi.advanceTimersByTime(50);
    expect(clock.margin()).toBe(2.5);
    t += 20_000;
    expect(clock.margin()).toBe(0.5);
  });

  it('the margin stays within 5% of the time between deadlines (many instances, short gaps)', () => {
    const clock = new TimerClock(() => t);
    let n = 0;
    const again = (): void => {
      n++;
      clock.arm(t + 10, again);
    };
    clock.arm(10, again);
    t += 55;
    vi.advanceTimersByTime(5); // a late wake-up of 50 ms
    advance(30);
    expect(n).toBeGreaterThanOrEqual(2);
    expect(clock.margin()).toBe(0.5);
  });

  it('tells the overdue watcher of a deadline met too late (a starved process), not of one met in time', () => {
    const clock = new TimerClock(() => t);
    const late: number[] = [];
    clock.watchOverdue({ afterMs: 1000, call: (ms) => late.push(ms) });
    clock.arm(10, () => undefined);
    advance(20);
    expect(late).toEqual([]);
    // the process was not run for 1.5 s past the deadline: the clock jumps, then the timer runs
    clock.arm(40, () => undefined);
    t += 1540;
    vi.advanceTimersByTime(100);
    expect(late).toHaveLength(1);
    expect(late[0]).toBeGreaterThan(1000);
    clock.watchOverdue(undefined);
  });
});
