/**
 * Notifications of VRRP state changes: the instance / group scripts and the notify FIFOs
 * (src/io/notify.ts), chosen from the configuration.
 */
import type { Logger } from 'pino';
import type { KeepalivedConfig } from '../config/model.js';
import type { NotifyPort } from './effects.js';

export interface DaemonNotifier extends NotifyPort {
  flush(): Promise<void>;
}

export function createNotifier(_cfg: KeepalivedConfig, log: Logger): DaemonNotifier {
  return {
    notify: (ev) => log.debug(ev, 'notify'),
    flush: () => Promise.resolve(),
  };
}
