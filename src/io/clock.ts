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
  constructor(private readonly nowFn: () => number = () => performance.now()) {}

  now(): number {
    return this.nowFn();
  }

  arm(at: number | undefined, fire: () => void): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (at === undefined) return;
    const check = (): void => {
      const left = at - this.nowFn();
      // setTimeout has millisecond granularity and may fire a fraction early: wait again
      // for what is left rather than handing the engine a tick before its deadline.
      if (left > 0.05) this.timer = setTimeout(check, left < 1 ? 0 : Math.floor(left));
      else {
        this.timer = undefined;
        fire();
      }
    };
    const delay = at - this.nowFn();
    this.timer = setTimeout(check, delay <= 0 ? 0 : Math.floor(delay));
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
