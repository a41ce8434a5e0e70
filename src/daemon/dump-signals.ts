/**
 * keepalived's dump signals: USR1 (state, /tmp/keepalived.data), USR2 (stats,
 * /tmp/keepalived.stats), 63 (stats, then counters cleared) and 36 (JSON, /tmp/keepalived.json).
 * PLACEHOLDER until the dump formatters land (issue 6): the signals are caught and logged.
 */
import type { Logger } from 'pino';
import { KEEPALIVED_SIGNALS, onSignal } from '../io/signals.js';
import type { VrrpView } from './view.js';
import type { CheckView } from './check-view.js';

export interface DumpSignalOptions {
  readonly log: Logger;
  /** the VRRP side's view (main process) */
  readonly vrrp?: () => VrrpView;
  /** the checker side's view (checker process) */
  readonly check?: () => CheckView;
  /** pass a signal on to the checker child */
  readonly forward?: (signal: NodeJS.Signals | number) => void;
}

export function installDumpSignals(o: DumpSignalOptions): void {
  for (const [name, num] of Object.entries(KEEPALIVED_SIGNALS)) {
    if (name === 'STOP' || name === 'RELOAD') continue;
    const r = onSignal(num, () => {
      o.log.warn({ signal: name }, 'dump signals are not implemented yet');
      o.forward?.(num);
    });
    if (r.error) o.log.warn({ signal: name, err: r.error }, 'cannot catch signal');
  }
}
