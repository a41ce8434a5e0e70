/**
 * Process scheduling knobs keepalived applies to its VRRP process: `vrrp_priority` is the nice
 * value (setpriority(2) on the calling thread, the one that runs the advert timers).
 */
import { setPriority } from 'node:os';

/** Set the nice value; returns the error text when it cannot (e.g. not root for < 0). */
export function setNice(value: number): string | undefined {
  try {
    setPriority(value);
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
}
