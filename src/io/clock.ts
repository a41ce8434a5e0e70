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

export class TimerClock implements Clock {
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  constructor(private readonly nowFn: () => number = () => performance.now()) {}

  now(): number {
    return this.nowFn();
  }

  arm(at: number | undefined, fire: () => void): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    if (at === undefined) return;
    const check = (): void => {
      const left = at - this.nowFn();
      // Waits are cut into pieces of at most 50 ms: Linux lets a poll timeout of T fire up to
      // T/1000 late (select_estimate_accuracy: 3.6 ms on a 3.6 s Master_Down timer), and
      // setTimeout has millisecond granularity. The last fraction of a millisecond is waited
      // out on the check phase (setImmediate), well under a millisecond of CPU per deadline.
      // It fires at the deadline, never before it: an early call would find the engine's
      // timer not yet due and cost one more round of the loop.
      if (left > 1.5) this.timer = setTimeout(check, Math.min(MAX_SLEEP_MS, Math.floor(left - 0.5)));
      else if (left > 0) this.immediate = setImmediate(check);
      else {
        this.timer = undefined;
        this.immediate = undefined;
        fire();
      }
    };
    check();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }
}
