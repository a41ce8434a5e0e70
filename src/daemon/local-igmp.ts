/**
 * `disable_local_igmp` (keepalived vrrp_daemon.c set_disable_local_igmp): while the daemon
 * runs, the kernel sends no IGMP reports for link-local groups (224.0.0.0/24, VRRP's among
 * them): /proc/sys/net/ipv4/igmp_link_local_mcast_reports goes from 1 to 0 at start and back at
 * stop. Applied at start only, as keepalived does; IPv4 VMACs then need no IGMP firewall rule.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { IGMP_LINK_LOCAL_REPORTS } from '../config/keywords-global.js';

export class LocalIgmp {
  private saved: string | undefined;

  /** Turns the reports off; false when the knob cannot be read or written (keepalived then goes on with them). */
  disable(log: Logger): boolean {
    let was: string;
    try {
      was = readFileSync(IGMP_LINK_LOCAL_REPORTS, 'utf8').trim();
    } catch (e) {
      log.info({ err: (e as NodeJS.ErrnoException).code }, `Unable to open ${IGMP_LINK_LOCAL_REPORTS}`);
      return false;
    }
    if (was === '1') {
      try {
        writeFileSync(IGMP_LINK_LOCAL_REPORTS, '0');
      } catch (e) {
        log.info({ err: (e as NodeJS.ErrnoException).code }, `Unable to write ${IGMP_LINK_LOCAL_REPORTS}`);
        return false;
      }
    }
    this.saved = was;
    return true;
  }

  /** At stop: the value found at start, if it was changed. */
  restore(log: Logger): void {
    if (this.saved !== '1') return;
    try {
      writeFileSync(IGMP_LINK_LOCAL_REPORTS, '1');
    } catch (e) {
      log.info({ err: (e as NodeJS.ErrnoException).code }, `Unable to write ${IGMP_LINK_LOCAL_REPORTS}`);
    }
    this.saved = undefined;
  }
}
