/**
 * The real clock of the daemon: performance.now() (monotonic milliseconds) and one
 * setTimeout, re-armed as the engine's deadline moves.
 */
export interface Clock {
  /** monotonic milliseconds (fractions allowed) */
  now(): number;
  /** Arm the one timer to call `fire` at `at` (clock time); undefined = disarm. */
  arm(at: number | undefined, fire: () => void): void;
}

const MAX_SLEEP_MS = 50;
/** The wake-up margin before a deadline (see arm): from MIN_MARGIN_MS up to MAX_MARGIN_MS. */
const MIN_MARGIN_MS = 0.5;
const MAX_MARGIN_MS = 2.5;
/** ...and at most this share of the time between two deadlines (many instances: short gaps). */
const MAX_MARGIN_SHARE = 0.05;
/** A late wake-up widens the margin by as much, then is forgotten: half of it every 5 s. */
const LATE_HALF_LIFE_MS = 5000;

export class TimerClock implements Clock {
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  /** how late sleeps have woken recently (decaying maximum, ms) and when it was last updated */
  private late = 0;
  private lateAt = 0;
  /** when the timer last fired, and the time between its last two firings */
  private firedAt = Number.NEGATIVE_INFINITY;
  private gap = Number.POSITIVE_INFINITY;
  /** told when a deadline is met this much late or more (max_auto_priority) */
  private overdue: { readonly afterMs: number; readonly call: (lateMs: number) => void } | undefined;

  constructor(private readonly nowFn: () => number = () => performance.now()) {}

  /** `call(lateMs)` whenever the timer fires more than `afterMs` after its deadline; undefined: no more. */
  watchOverdue(w: { readonly afterMs: number; readonly call: (lateMs: number) => void } | undefined): void {
    this.overdue = w;
  }

  now(): number {
    return this.nowFn();
  }

  arm(at: number | undefined, fire: () => void): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    if (at === undefined) return;
    const sleep = (ms: number): void => {
      const wakeAt = this.nowFn() + ms;
      this.timer = setTimeout(() => {
        this.noteWake(this.nowFn() - wakeAt);
        check();
      }, ms);
    };
    const check = (): void => {
      const now = this.nowFn();
      const left = at - now;
      // Waits are cut into pieces of at most 50 ms: Linux lets a poll timeout of T fire up to
      // T/1000 late (select_estimate_accuracy: 3.6 ms on a 3.6 s Master_Down timer), and
      // setTimeout has millisecond granularity. The last stretch before the deadline is waited
      // out on the check phase (setImmediate): the wake-up margin, half a millisecond on a
      // quiet machine, widened up to 2.5 ms while sleeps wake late (a busy CPU, a VM's
      // scheduling), at the cost of that much CPU per deadline.
      // It fires at the deadline, never before it: an early call would find the engine's
      // timer not yet due and cost one more round of the loop.
      const margin = left > MIN_MARGIN_MS + 1 ? this.margin(now) : MIN_MARGIN_MS;
      if (left > margin + 1) sleep(Math.min(MAX_SLEEP_MS, Math.floor(left - margin)));
      else if (left > 0) this.immediate = setImmediate(check);
      else {
        this.timer = undefined;
        this.immediate = undefined;
        this.gap = now - this.firedAt;
        this.firedAt = now;
        if (this.overdue && now - at > this.overdue.afterMs) this.overdue.call(now - at);
        fire();
      }
    };
    check();
  }

  /** The current wake-up margin before a deadline (ms). */
  margin(now = this.nowFn()): number {
    const wanted = Math.min(MAX_MARGIN_MS, Math.max(MIN_MARGIN_MS, this.recentLate(now) + 0.25));
    return Math.min(wanted, Math.max(MIN_MARGIN_MS, this.gap * MAX_MARGIN_SHARE));
  }

  private recentLate(now: number): number {
    return this.late * Math.pow(0.5, (now - this.lateAt) / LATE_HALF_LIFE_MS);
  }

  /** A sleep woke `lateMs` after it was due (negative: early, setTimeout's ms granularity). */
  private noteWake(lateMs: number): void {
    const now = this.nowFn();
    this.late = Math.max(this.recentLate(now), Math.min(MAX_MARGIN_MS, lateMs));
    this.lateAt = now;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }
}
