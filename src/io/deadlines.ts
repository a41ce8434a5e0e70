/**
 * Connect timeouts of thousands of probes a second without a timer each.
 *
 * A Node timer reads the clock when it is set (`getLibuvNow`). Under user-mode Linux, where the
 * IPVS benches run, a clock read is a system call like any other, and a timer for each TCP_CHECK
 * was a tenth of the checker's CPU. Here a probe's deadline is counted from the time its
 * caller already read (the checker engine's step, as keepalived counts from its thread loop's
 * `time_now`), and one timer stands for all of them.
 *
 * Probes with the same timeout start in time order, so each length is a queue whose deadlines
 * ascend: adding and cancelling cost O(1), and the one timer waits for the earliest live head.
 * A cancelled entry stays in its queue, emptied, until it reaches the head.
 */

export interface Deadline {
  readonly at: number;
  /** undefined once it ran or was cancelled */
  fire: (() => void) | undefined;
}

interface Lane {
  entries: Deadline[];
  head: number;
}

/** Entries gone by at a queue's front before it is compacted. */
const COMPACT_AT = 1024;

export class DeadlineQueue {
  private readonly lanes = new Map<number, Lane>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;

  /** `clock`: milliseconds on the scale of the `now` given to `add` (performance.now). */
  constructor(private readonly clock: () => number = () => performance.now()) {}

  /** `fire` runs once `ms` have passed since `now`, unless the entry is cancelled first. */
  add(now: number, ms: number, fire: () => void): Deadline {
    let lane = this.lanes.get(ms);
    if (!lane) {
      lane = { entries: [], head: 0 };
      this.lanes.set(ms, lane);
    }
    const at = now + ms;
    const lastAt = lane.entries.length > lane.head ? lane.entries[lane.entries.length - 1]!.at : -Infinity;
    // a `now` older than the last one's (a caller's stale time) would break the order: it then
    // waits as long as the last one does, never less than it was given
    const d: Deadline = { at: at < lastAt ? lastAt : at, fire };
    lane.entries.push(d);
    if (d.at < this.timerAt) this.arm(d.at, now);
    return d;
  }

  cancel(d: Deadline): void {
    d.fire = undefined;
  }

  /** Entries still waiting, cancelled ones not yet dropped included (tests). */
  get size(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.entries.length - lane.head;
    return n;
  }

  private arm(at: number, now: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.expire(), Math.max(0, at - now));
    // the probes hold the process up, not their deadlines
    this.timer.unref();
  }

  private expire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock();
    let next = Infinity;
    for (const [ms, lane] of this.lanes) {
      const { entries } = lane;
      while (lane.head < entries.length) {
        const d = entries[lane.head]!;
        if (d.fire !== undefined && d.at > now) break;
        lane.head++;
        const fire = d.fire;
        d.fire = undefined;
        fire?.();
      }
      if (lane.head === entries.length) {
        this.lanes.delete(ms);
        continue;
      }
      if (lane.head >= COMPACT_AT && lane.head * 2 >= entries.length) {
        lane.entries = entries.slice(lane.head);
        lane.head = 0;
      }
      next = Math.min(next, lane.entries[lane.head]!.at);
    }
    // a fire may have added (and armed) meanwhile
    if (next < this.timerAt) this.arm(next, now);
  }
}
