/**
 * `promote_secondaries`, as keepalived 2.2.7 sets it (vrrp.c vrrp_complete_init,
 * vrrp_if_config.c set_promote_secondaries): net.ipv4.conf.IF.promote_secondaries = 1 on the
 * interface of every instance that asks for it, so that removing a VIP that happens to be the
 * interface's primary address in its subnet does not take the other addresses of that subnet
 * with it. An interface that had it already is left alone; the ones this daemon set are put
 * back to 0 at stop. A reload sets it on interfaces it newly names.
 */
import type { Logger } from 'pino';
import type { KeepalivedConfig } from '../config/model.js';
import { Sysctl } from '../io/rtnl-sysctl.js';

export class PromoteSecondaries {
  /** interfaces whose sysctl this daemon turned on */
  private readonly owned = new Set<string>();
  private readonly seen = new Set<string>();
  /** per interface this daemon set: the instances asking for it (keepalived's reset counter) */
  private readonly users = new Map<string, number>();

  constructor(private readonly log: Logger, private readonly sysctl = new Sysctl()) {}

  async apply(cfg: KeepalivedConfig): Promise<void> {
    for (const vi of cfg.vrrpInstances) {
      const ifname = vi.interface ?? cfg.globalDefs.defaultInterface;
      if (!vi.promoteSecondaries || ifname === undefined || this.seen.has(ifname)) continue;
      const path = `net/ipv4/conf/${ifname}/promote_secondaries`;
      try {
        if ((await this.sysctl.read(path)) === 1) {
          this.seen.add(ifname);
          continue;
        }
        await this.sysctl.write(path, 1);
        this.seen.add(ifname);
        this.owned.add(ifname);
      } catch (e) {
        // an interface not there yet (dynamic_interfaces): tried again at the next reload
        this.log.warn({ ifname, err: (e as Error).message }, `(${vi.name}) cannot set promote_secondaries on ${ifname}`);
      }
    }
    this.users.clear();
    for (const vi of cfg.vrrpInstances) {
      const ifname = vi.interface ?? cfg.globalDefs.defaultInterface;
      if (vi.promoteSecondaries && ifname !== undefined && this.owned.has(ifname)) this.users.set(ifname, (this.users.get(ifname) ?? 0) + 1);
    }
  }

  /** keepalived's "Reset promote_secondaries counter": 0 unless this daemon set the interface's sysctl */
  counter(ifname: string): number {
    return this.users.get(ifname) ?? 0;
  }

  /** Stop: the interfaces this daemon set go back to 0. */
  async restore(): Promise<void> {
    for (const ifname of this.owned) {
      await this.sysctl.write(`net/ipv4/conf/${ifname}/promote_secondaries`, 0).catch((e: unknown) => {
        this.log.warn({ ifname, err: (e as Error).message }, `promote_secondaries of ${ifname} not put back`);
      });
    }
    this.owned.clear();
    this.seen.clear();
    this.users.clear();
  }
}
