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
      // setTimeout has millisecond granularity and may fire a fraction early: wait again for
      // what is left rather than handing the engine a tick before its deadline; the last
      // fraction of a millisecond is waited out on the check phase (setImmediate), which
      // costs well under a millisecond of CPU per deadline.
      if (left > 1) this.timer = setTimeout(check, Math.floor(left));
      else if (left > 0.02) this.immediate = setImmediate(check);
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
