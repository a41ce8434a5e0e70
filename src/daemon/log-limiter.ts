/**
 * At most one log line per key (an instance and a drop reason) per interval, each carrying the
 * number of occurrences since the previous line. Received adverts are dropped (or discarded)
 * once per packet, and a flood of bad packets must not turn into a flood of log lines:
 * keepalived logs each one and leaves the rate limiting to syslog (journald); keepalived-ts
 * writes the first occurrence at once, stays quiet for `intervalMs`, then writes one line for
 * whatever came in the meantime. The counters (metrics, stats dump) are the engine's, exact;
 * this only decides which occurrences get a line. Sans-I/O: the caller passes the time and
 * runs `due` at `nextDueMs`.
 */

interface Entry<P> {
  /** when the last line of this key was written */
  lastLineAtMs: number;
  /** occurrences since that line */
  pending: number;
  /** the latest occurrence's payload, for the summary line */
  payload: P;
}

export interface LogLine<P> {
  readonly key: string;
  /** occurrences this line stands for (itself included) */
  readonly count: number;
  readonly payload: P;
}

export class LogLimiter<P> {
  private readonly entries = new Map<string, Entry<P>>();

  constructor(readonly intervalMs = 1000) {}

  /** One occurrence: the line to write now, or undefined (counted for a later line). */
  hit(key: string, payload: P, nowMs: number): LogLine<P> | undefined {
    const e = this.entries.get(key);
    if (!e || nowMs - e.lastLineAtMs >= this.intervalMs) {
      const count = (e?.pending ?? 0) + 1;
      this.entries.set(key, { lastLineAtMs: nowMs, pending: 0, payload });
      return { key, count, payload };
    }
    e.pending++;
    e.payload = payload;
    return undefined;
  }

  /** The summary lines whose interval is over; keys quiet for a whole interval are forgotten. */
  due(nowMs: number): LogLine<P>[] {
    const out: LogLine<P>[] = [];
    for (const [key, e] of this.entries) {
      if (nowMs - e.lastLineAtMs < this.intervalMs) continue;
      if (e.pending === 0) {
        this.entries.delete(key);
        continue;
      }
      out.push({ key, count: e.pending, payload: e.payload });
      e.pending = 0;
      e.lastLineAtMs = nowMs;
    }
    return out;
  }

  /** When `due` has a line to give (undefined: nothing pending). */
  nextDueMs(): number | undefined {
    let next: number | undefined;
    for (const e of this.entries.values()) {
      if (e.pending > 0 && (next === undefined || e.lastLineAtMs + this.intervalMs < next)) next = e.lastLineAtMs + this.intervalMs;
    }
    return next;
  }
}
