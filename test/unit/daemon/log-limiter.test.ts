// LogLimiter (src/daemon/log-limiter.ts) on a fake clock: the first occurrence of a key is
// written at once, the rest of its interval is counted and written as one summary line, keys
// are independent, and no occurrence is lost or counted twice.
import { describe, expect, it } from 'vitest';
import { LogLimiter } from '../../../src/daemon/log-limiter.js';

describe('LogLimiter', () => {
  it('writes the first occurrence, counts the rest of the interval, then one summary line', () => {
    const l = new LogLimiter<string>(1000);
    expect(l.hit('VI_1 ttl', 'a', 0)).toEqual({ key: 'VI_1 ttl', count: 1, payload: 'a' });
    expect(l.nextDueMs()).toBeUndefined();
    for (let t = 1; t < 1000; t += 10) expect(l.hit('VI_1 ttl', `p${t}`, t)).toBeUndefined();
    expect(l.nextDueMs()).toBe(1000);
    expect(l.due(999)).toEqual([]);
    // the summary carries the 100 counted occurrences and the latest payload
    expect(l.due(1000)).toEqual([{ key: 'VI_1 ttl', count: 100, payload: 'p991' }]);
    expect(l.nextDueMs()).toBeUndefined();
  });

  it('an occurrence after the interval with some still counted: one line for all of them', () => {
    const l = new LogLimiter<number>(1000);
    l.hit('k', 0, 0);
    l.hit('k', 1, 500);
    l.hit('k', 2, 600);
    expect(l.hit('k', 3, 1200)).toEqual({ key: 'k', count: 3, payload: 3 });
    expect(l.due(5000)).toEqual([]);
  });

  it('keys are independent: one line per key per interval', () => {
    const l = new LogLimiter<string>(1000);
    expect(l.hit('VI_1 ttl', 'x', 0)?.count).toBe(1);
    expect(l.hit('VI_1 auth', 'x', 1)?.count).toBe(1);
    expect(l.hit('VI_2 ttl', 'x', 2)?.count).toBe(1);
    expect(l.hit('VI_1 ttl', 'x', 3)).toBeUndefined();
    expect(l.due(1003).map((d) => [d.key, d.count])).toEqual([['VI_1 ttl', 1]]);
  });

  it('a steady flood: one line a second, and the counts add up to every packet', () => {
    const l = new LogLimiter<null>(1000);
    let lines = 0;
    let counted = 0;
    let sent = 0;
    for (let t = 0; t < 30_000; t += 0.5) {
      sent++;
      const now = l.hit('VI_1 checksum', null, t);
      if (now) { lines++; counted += now.count; }
      if (l.nextDueMs() !== undefined && t >= l.nextDueMs()!) for (const d of l.due(t)) { lines++; counted += d.count; }
    }
    for (const d of l.due(1e9)) { lines++; counted += d.count; }
    expect(counted).toBe(sent);
    expect(lines).toBeLessThanOrEqual(31);
    expect(lines).toBeGreaterThanOrEqual(30);
  });

  it('a key quiet for a whole interval is forgotten, and writes at once again', () => {
    const l = new LogLimiter<null>(1000);
    l.hit('k', null, 0);
    expect(l.due(2000)).toEqual([]);
    expect(l.hit('k', null, 2500)).toEqual({ key: 'k', count: 1, payload: null });
  });
});
