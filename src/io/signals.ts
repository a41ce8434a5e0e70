/**
 * Signal handlers, including keepalived's real-time signals: the JSON dump is SIGRTMIN+2 (36)
 * and the stats-and-clear signal SIGRTMAX-1 (63) in keepalived 2.2.7 (`keepalived --signum`).
 * Node names only the classic signals; real-time ones go through the same libuv signal
 * handle that `process.on('SIGUSR1')` uses underneath.
 */

/** keepalived's signal numbers on Linux (`keepalived --signum=NAME`). */
export const KEEPALIVED_SIGNALS = {
  STOP: 15, RELOAD: 1, DATA: 10, STATS: 12, STATS_CLEAR: 63, JSON: 36,
} as const;

export type SignalName = keyof typeof KEEPALIVED_SIGNALS;

interface SignalHandle {
  onsignal: (signum: number) => void;
  start(signum: number): number;
  close(): void;
  unref(): void;
}

const NAMED: Record<number, NodeJS.Signals> = { 1: 'SIGHUP', 2: 'SIGINT', 10: 'SIGUSR1', 12: 'SIGUSR2', 15: 'SIGTERM' };

/**
 * Calls `fn` on each delivery of signal number `signum`; returns a function that removes the
 * handler. Real-time signals need libuv's handle; an error starting it is returned as text.
 */
export function onSignal(signum: number, fn: () => void): { off: () => void; error?: string } {
  const name = NAMED[signum];
  if (name) {
    process.on(name, fn);
    return { off: () => process.off(name, fn) };
  }
  try {
    const binding = quietBinding<{ Signal: new () => SignalHandle }>('signal_wrap');
    const h = new binding.Signal();
    h.onsignal = () => fn();
    const rc = h.start(signum);
    if (rc !== 0) {
      h.close();
      return { off: () => undefined, error: `cannot catch signal ${signum} (libuv error ${rc})` };
    }
    h.unref();
    return { off: () => h.close() };
  } catch (e) {
    return { off: () => undefined, error: `cannot catch signal ${signum}: ${(e as Error).message}` };
  }
}

/** `process.binding` without its deprecation warning on stderr. */
function quietBinding<T>(name: string): T {
  const emit = process.emitWarning;
  process.emitWarning = () => undefined;
  try {
    return (process as unknown as { binding(n: string): T }).binding(name);
  } finally {
    process.emitWarning = emit;
  }
}
