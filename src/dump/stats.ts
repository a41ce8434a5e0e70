/**
 * keepalived.stats (SIGUSR2, and SIGRTMAX-1 before the counters are cleared): keepalived
 * 2.2.7 vrrp_print_stats, line for line.
 */
import { keepalivedCounters } from './common.js';
import type { VrrpView } from '../daemon/view.js';

export function formatStats(view: VrrpView): string {
  const out: string[] = [];
  for (const iv of view.instances) {
    const c = keepalivedCounters(iv.live.stats);
    out.push(
      `VRRP Instance: ${iv.name}`,
      '  Advertisements:',
      `    Received: ${c.advert_rcvd}`,
      `    Sent: ${c.advert_sent}`,
      `  Became master: ${c.become_master}`,
      `  Released master: ${c.release_master}`,
      '  Packet Errors:',
      `    Length: ${c.packet_len_err}`,
      `    TTL: ${c.ip_ttl_err}`,
      `    Invalid Type: ${c.invalid_type_rcvd}`,
      `    Advertisement Interval: ${c.advert_interval_err}`,
      `    Address List: ${c.addr_list_err}`,
      '  Authentication Errors:',
      `    Invalid Type: ${c.invalid_authtype}`,
      `    Type Mismatch: ${c.authtype_mismatch}`,
      `    Failure: ${c.auth_failure}`,
      '  Priority Zero:',
      `    Received: ${c.pri_zero_rcvd}`,
      `    Sent: ${c.pri_zero_sent}`,
    );
  }
  return out.length ? `${out.join('\n')}\n` : '';
}
