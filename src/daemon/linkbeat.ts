/**
 * linkbeat_interfaces / linkbeat_use_polling: keepalived's polling of link state
 * (vrrp_if.c init_interface_linkbeat, init_linkbeat_status, if_linkbeat_refresh_thread).
 *
 * A polled interface's link state is not taken from rtnetlink: once a second the daemon asks
 * the driver, through the MII PHY's status register (MII), the ethtool link query (ETHTOOL)
 * or neither (IOCTL), and then the interface flags (up and running). The first method that
 * works is kept, the configured one tried first. A change is logged ("Linkbeat reports eth0
 * down") and counts at once: interface_up_down_delays apply to rtnetlink's reports only, as in
 * keepalived. Only interfaces that an instance tracks are polled, and never a VMAC, whose
 * rtnetlink reports are right.
 *
 * The ioctls are in the native addon (`linkProbe`); this module holds the choices and state.
 */
import type { KeepalivedConfig } from '../config/model.js';
import type { Logger } from 'pino';

export type LinkbeatMethod = 'MII' | 'ETHTOOL' | 'IOCTL';

/** One ioctl probe: 1 link up, 0 down, -1 the method does not work on this interface. */
export type LinkProbe = (ifname: string, method: 'mii' | 'ethtool' | 'flags') => number;

/** keepalived's POLLING_DELAY */
export const LINKBEAT_POLL_MS = 1000;

/** An instance as the plan needs it: the interface it runs on, and whether that is its VMAC. */
export interface LinkbeatInstance {
  readonly ifname: string;
  readonly vmac: boolean;
  /** the instance's own (deprecated) linkbeat_use_polling */
  readonly usePolling: boolean;
}

/**
 * The interfaces to poll, with the method configured for each (undefined: the first that
 * works), and keepalived's log lines for those it leaves to rtnetlink.
 */
export function linkbeatPlan(
  cfg: Pick<KeepalivedConfig, 'linkbeatInterfaces' | 'linkbeatUsePolling'>,
  instances: readonly LinkbeatInstance[],
  tracked: ReadonlySet<string>,
): { polled: Map<string, LinkbeatMethod | undefined>; notes: string[] } {
  const wanted = new Map<string, { method: LinkbeatMethod | undefined; vmac: boolean }>();
  for (const l of cfg.linkbeatInterfaces ?? []) wanted.set(l.name, { method: l.method, vmac: false });
  for (const i of instances) {
    if (!i.usePolling && !cfg.linkbeatUsePolling) continue;
    const had = wanted.get(i.ifname);
    wanted.set(i.ifname, { method: had?.method, vmac: i.vmac || (had?.vmac ?? false) });
  }
  const polled = new Map<string, LinkbeatMethod | undefined>();
  const notes: string[] = [];
  for (const [name, w] of wanted) {
    if (w.vmac) notes.push(`Turning off linkbeat for ${name} since netlink works for vmacs/ipvlans`);
    else if (!tracked.has(name)) notes.push(`Turning off linkbeat for ${name} since not used for tracking`);
    else polled.set(name, w.method);
  }
  return { polled, notes };
}

interface Polled {
  /** as configured: tried first, and kept for an interface that comes later */
  readonly configured: LinkbeatMethod | undefined;
  /** the method found; undefined until the interface has been probed */
  method: LinkbeatMethod | undefined;
  up: boolean;
}

export class Linkbeat {
  private readonly polled = new Map<string, Polled>();
  private timer: NodeJS.Timeout | undefined;
  /** probes that threw (a name the kernel refuses, the addon gone): counted, read as keepalived reads a failed ioctl */
  probeErrors = 0;
  private readonly failing = new Set<string>();

  constructor(
    private readonly probe: LinkProbe,
    /** whether the interface exists now */
    private readonly exists: (ifname: string) => boolean,
    /** a polled interface's link state changed */
    private readonly onChange: (ifname: string, up: boolean) => void,
    private readonly log: Logger,
  ) {}

  /** The interfaces to poll (start and reload); one that stays keeps its state. */
  set(plan: ReturnType<typeof linkbeatPlan>): void {
    for (const n of plan.notes) this.log.info({ mod: 'vrrp' }, n);
    for (const [name, p] of this.polled) if (!plan.polled.has(name) || plan.polled.get(name) !== p.configured) this.polled.delete(name);
    for (const [name, configured] of plan.polled) {
      if (this.polled.has(name)) continue;
      const p: Polled = { configured, method: configured, up: false };
      if (this.exists(name)) this.initial(name, p);
      this.polled.set(name, p);
    }
    if (this.polled.size > 0 && !this.timer) {
      this.timer = setInterval(() => this.tick(), LINKBEAT_POLL_MS);
      this.log.info({ mod: 'vrrp', interfaces: [...this.polled.keys()] }, 'Using MII-BMSR/ETHTOOL NIC polling thread(s)...');
    } else if (this.polled.size === 0) this.stop();
  }

  /** Whether `ifname` is polled, and its link state as polled. */
  up(ifname: string): boolean | undefined {
    return this.polled.get(ifname)?.up;
  }

  polls(ifname: string): boolean {
    return this.polled.has(ifname);
  }

  /** The method in use (the data dump's "NIC support ..." line); undefined for an interface not polled. */
  method(ifname: string): LinkbeatMethod | 'unknown' | undefined {
    const p = this.polled.get(ifname);
    return p ? (p.method ?? 'unknown') : undefined;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One poll of every interface (the timer's; exported for tests). */
  tick(): void {
    for (const [name, p] of this.polled) {
      const was = p.up;
      if (!this.exists(name)) p.up = false;
      else if (p.method === undefined) this.initial(name, p);
      else {
        // a failed probe (-1) reads as up, as in keepalived's refresh; the flags decide then
        let up = true;
        if (p.method === 'MII') up = this.ask(name, 'mii') !== 0;
        else if (p.method === 'ETHTOOL') up = this.ask(name, 'ethtool') !== 0;
        p.up = up && this.ask(name, 'flags') === 1;
      }
      if (p.up !== was) {
        this.log.info({ mod: 'vrrp', ifname: name, up: p.up }, `Linkbeat reports ${name} ${p.up ? 'up' : 'down'}`);
        this.onChange(name, p.up);
      }
    }
  }

  /** Find the method (the configured one first) and read the link with it. */
  private initial(name: string, p: Polled): void {
    const configured = p.configured;
    let method: LinkbeatMethod | undefined = configured;
    let up = false;
    if (method === undefined || method === 'MII') {
      const s = this.ask(name, 'mii');
      method = s >= 0 ? 'MII' : undefined;
      up = s === 1;
    }
    if (method === undefined || method === 'ETHTOOL') {
      const s = this.ask(name, 'ethtool');
      if (s >= 0) {
        method = 'ETHTOOL';
        up = s === 1;
      } else {
        const m = method === undefined ? -1 : this.ask(name, 'mii');
        method = m >= 0 ? 'MII' : undefined;
        up = m === 1;
      }
    }
    if (method === undefined || method === 'IOCTL') {
      method = 'IOCTL';
      up = true;
    }
    p.method = method;
    p.up = up && this.ask(name, 'flags') === 1;
    if (configured !== undefined && configured !== method) this.log.info({ mod: 'vrrp', ifname: name }, `(${name}): Configured linkbeat type ${configured} not supported, using ${method}`);
  }

  private ask(name: string, how: 'mii' | 'ethtool' | 'flags'): number {
    try {
      return this.probe(name, how);
    } catch (e) {
      // counted every time, said once per interface and method
      this.probeErrors++;
      if (!this.failing.has(`${name}/${how}`)) this.log.warn({ mod: 'vrrp', ifname: name, err: (e as Error).message }, `linkbeat ${how} probe of ${name} failed`);
      this.failing.add(`${name}/${how}`);
      return how === 'flags' ? 1 : -1;
    }
  }
}
