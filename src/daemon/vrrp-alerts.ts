/**
 * Email alerts of the VRRP side (keepalived vrrp_smtp_notifier): an instance with `smtp_alert`
 * (or, without it, `smtp_alert_vrrp`, then `smtp_alert`; off by default) sends one email when it
 * enters MASTER, BACKUP or FAULT (FAULT not with `no_email_faults`), and so does a sync group
 * with `smtp_alert` for the group's state, through the relay of the
 * configuration running at that moment (src/io/smtp-alert.ts). Quiet transitions (those a
 * reload carries over) send nothing.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { KeepalivedConfig } from '../config/model.js';
import { alerterFor, type SmtpAlerter } from '../io/smtp-alert.js';
import type { Effect } from '../vrrp/types.js';

const BODIES: Record<string, string> = {
  MASTER: '=> VRRP Instance is now owning VRRP VIPs <=',
  BACKUP: '=> VRRP Instance is nolonger owning VRRP VIPs <=',
  FAULT: '=> VRRP Instance is in FAULT state <=',
};

/** Subscribes to the daemon's effects; returns the unsubscribe function. */
export function startVrrpAlerts(
  daemon: { view(): { readonly config: KeepalivedConfig }; onEffect(listener: (e: Effect) => void): () => void },
  log: Logger,
): () => void {
  // one alerter per configuration (a reload may change the relay)
  let alerter: { cfg: KeepalivedConfig; a: SmtpAlerter | undefined } | undefined;
  const current = (cfg: KeepalivedConfig): SmtpAlerter | undefined => {
    if (alerter?.cfg !== cfg) alerter = { cfg, a: alerterFor(cfg.globalDefs, hostname(), log) };
    return alerter.a;
  };
  return daemon.onEffect((e) => {
    if (e.type !== 'stateChange' && e.type !== 'groupStateChange') return;
    if ((e.type === 'stateChange' && e.quiet) || BODIES[e.to] === undefined) return;
    const cfg = daemon.view().config;
    const g = cfg.globalDefs;
    if (e.to === 'FAULT' && g.noEmailFaults) return;
    const own = e.type === 'stateChange'
      ? cfg.vrrpInstances.find((i) => i.name === e.instance)?.smtpAlert
      : cfg.vrrpSyncGroups.find((sg) => sg.name === e.group)?.smtpAlert;
    if (!(own ?? g.smtpAlertVrrp ?? g.smtpAlert ?? false)) return;
    if (e.type === 'stateChange') void current(cfg)?.send(`VRRP Instance ${e.instance} - Entering ${e.to} state`, BODIES[e.to]!);
    else void current(cfg)?.send(`VRRP Group ${e.group} - Entering ${e.to} state`, `=> All VRRP group instances are now in ${e.to} state <=`);
  });
}
