/**
 * One full garbage collection once the daemon has started: loading the configuration leaves
 * garbage that V8 would otherwise collect with a few full GCs over the next seconds, each a
 * pause of 10-20 ms in the middle of the advert schedule (seen as p99 advert jitter). Doing
 * it once, before the first advert, also returns the memory to the system (idle RSS).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export function collectStartupGarbage(): void {
  try {
    // V8's memory reducer would run two more full GCs some 8 s later to shrink a heap this
    // collection has already shrunk: switch it off.
    setFlagsFromString('--no-memory-reducer');
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (() => void) | undefined;
    gc?.();
  } catch {
    // not fatal: V8 will collect on its own
  }
}
