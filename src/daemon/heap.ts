/**
 * One full garbage collection once the daemon has started: loading the configuration leaves
 * garbage that V8 would otherwise collect with a few full GCs over the next seconds, each a
 * pause of 10-20 ms in the middle of the advert schedule (seen as p99 advert jitter). Doing
 * it once, before the first advert, also returns the memory to the system (idle RSS).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** How long after the collection the settling one runs (`settle`). */
const SETTLE_MS = 2000;
let settling: NodeJS.Timeout | undefined;

/**
 * `settle`: one more full collection SETTLE_MS later, for a process with no advert to hold up
 * (the checker). The first one's empty pages are swept in the background, and only a later
 * collection gives them back to the system: a reloaded 50,000-server checker on the host kept
 * 175 MB of RSS after the first (the old and the new model and engine had been alive together),
 * 127 MB after the second, as before the reload.
 */
export function collectStartupGarbage(opts: { readonly settle?: boolean } = {}): void {
  try {
    // V8's memory reducer would run two more full GCs some 8 s later to shrink a heap this
    // collection has already shrunk: switch it off.
    setFlagsFromString('--no-memory-reducer');
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (() => void) | undefined;
    gc?.();
    if (!opts.settle || !gc) return;
    clearTimeout(settling);
    settling = setTimeout(() => {
      settling = undefined;
      gc();
    }, SETTLE_MS);
    settling.unref();
  } catch {
    // not fatal: V8 will collect on its own
  }
}
