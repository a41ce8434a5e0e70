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
export function collectStartupGarbage(opts: { readonly settle?: boolean; readonly shrink?: boolean } = {}): void {
  try {
    // V8's memory reducer would run two more full GCs some 8 s later to shrink a heap this
    // collection has already shrunk: switch it off.
    setFlagsFromString('--no-memory-reducer');
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (() => void) | undefined;
    gc?.();
    // `shrink`: the second collection at once, for a process about to start its adverts (the
    // VRRP process). The first one leaves the heap at its size; the second finds it almost
    // empty, takes a few ms, and shrinks it. When the VRRP process read the whole file at its
    // start, it kept the pages of that reading at 50,000 real servers: 79 -> 62 MB of RSS on the
    // host (it reads only its own blocks now, main.ts runDaemon).
    if (opts.shrink) gc?.();
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

/**
 * `build` run with V8's allocation-site pretenuring off. V8 allocates in the old generation
 * straight away at the allocation sites whose objects survived before: those of the checker
 * engine's build, after the start-up one. A reload's build, which takes the old engine's objects
 * over, makes the same objects only to find them equal and drop them; pretenured, those were
 * 9 MB of old-generation pages at 50,000 real servers (each page first touched is a page fault,
 * about 0.2 ms in a small VM). The flag is set at run time, and put back afterwards.
 */
export function withoutPretenuring<T>(build: () => T): T {
  // already off for the whole process (node's own flags): left so
  if (process.execArgv.some((a) => /^--no[-_]allocation[-_]site[-_]pretenuring$/.test(a))) return build();
  try {
    setFlagsFromString('--no-allocation-site-pretenuring');
  } catch {
    // not fatal: the build is the same, only slower
  }
  try {
    return build();
  } finally {
    try {
      setFlagsFromString('--allocation-site-pretenuring');
    } catch {
      // as above
    }
  }
}
