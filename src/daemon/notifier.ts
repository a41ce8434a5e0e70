/**
 * Notifications of VRRP state changes: the instance and sync-group notify scripts and the
 * notify FIFOs (src/io/notify.ts), chosen from the configuration.
 */
import type { Logger } from 'pino';
import type { KeepalivedConfig } from '../config/model.js';
import { Notifier, type NotifyEvent } from '../io/notify.js';
import type { ScriptUsers } from '../io/users.js';
import type { NotifyPort } from './effects.js';

export interface DaemonNotifier extends NotifyPort {
  /** STOP notifications have been issued: wait for the scripts, then close the FIFOs. */
  flush(): Promise<void>;
}

export async function createNotifier(cfg: KeepalivedConfig, users: ScriptUsers, log: Logger): Promise<DaemonNotifier> {
  const g = cfg.globalDefs;
  const n = await Notifier.create({
    instances: cfg.vrrpInstances,
    groups: cfg.vrrpSyncGroups,
    ...(g.notifyFifo ? { notifyFifo: { ...g.notifyFifo, ...(g.notifyFifoScript ? { script: g.notifyFifoScript } : {}) } } : {}),
    ...(g.vrrpNotifyFifo ? { vrrpNotifyFifo: { ...g.vrrpNotifyFifo, ...(g.vrrpNotifyFifoScript ? { script: g.vrrpNotifyFifoScript } : {}) } } : {}),
    users,
    log,
  });
  return {
    notify: (ev) => n.notify(ev as NotifyEvent),
    flush: async () => {
      await n.flush(2000);
      await n.close();
    },
  };
}
