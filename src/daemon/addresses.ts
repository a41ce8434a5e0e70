/**
 * Installs and removes what an instance owns while MASTER: its VIPs and eVIPs, virtual routes
 * and virtual rules (and the static_* entries for the life of the daemon), through rtnetlink.
 *
 * - All changes go through one queue, so an add and a later remove of the same VIP can never
 *   reach the kernel out of order.
 * - Only addresses keepalived-ts configured are ever touched; at start-up the configured VIPs
 *   found on their interfaces are removed (keepalived does the same: they were left behind
 *   by a previous run and this node is not MASTER yet).
 * - A VIP deleted by someone else while we hold it is logged and put back.
 */
import type { Logger } from 'pino';
import type { AddressEntry, RouteEntry, RuleEntry } from '../config/model.js';
import type { AddrInfo } from '../io/rtnl.js';
import { vrfTableOf, type RouteLinks } from '../netlink/route.js';
import { DEFAULT_RT_NAMES, type RtNames } from '../netlink/names.js';
import { defaultRulePreferences } from '../netlink/rule.js';
import { formatIp } from '../util/ip.js';
import type { LinkTable } from './links.js';

export interface AddressPort {
  addAddress(e: AddressEntry, ifindex: number): Promise<void>;
  deleteAddress(e: AddressEntry, ifindex: number): Promise<void>;
  addRoute(r: RouteEntry, links: RouteLinks): Promise<void>;
  deleteRoute(r: RouteEntry, links: RouteLinks): Promise<void>;
  addRule(r: RuleEntry, opts?: { preference?: number }): Promise<void>;
  deleteRule(r: RuleEntry, opts?: { preference?: number }): Promise<void>;
  /** Optional: build what adding `e` sends, ahead of the add (nothing is sent). */
  prepareAddress?(e: AddressEntry, ifindex: number): void;
}

/** What one owner (an instance, or "static") installs. */
export interface AddressSet {
  readonly owner: string;
  /** interface for entries without `dev` */
  readonly interface?: string;
  readonly addresses: readonly AddressEntry[];
  readonly routes: readonly RouteEntry[];
  readonly rules: readonly RuleEntry[];
}

interface Held {
  readonly owner: string;
  readonly entry: AddressEntry;
  readonly ifindex: number;
}

export function addressText(e: AddressEntry, ifname: string | undefined): string {
  return `${formatIp(e.address)}/${e.address.prefixLen} dev ${ifname ?? '?'}`;
}

export class AddressManager {
  private queue: Promise<void> = Promise.resolve();
  /** Settles when the last queued operation has started (its request is in the kernel). */
  private lastSubmitted: Promise<void> = Promise.resolve();
  /** operations queued and not yet answered */
  private pending = 0;
  /** operations queued and not yet started */
  private waiting = 0;
  /** "ifindex/address" -> what we hold */
  private readonly held = new Map<string, Held>();
  failures = 0;
  restored = 0;
  /** keepalived numbers rules written without a preference (16384 down, per family) */
  private rulePrefs = new Map<RuleEntry, number>();

  constructor(
    private readonly port: AddressPort,
    private readonly links: LinkTable,
    private readonly log: Logger,
    /** the iproute2 names the rules are read with (the port's) */
    private readonly names: RtNames = DEFAULT_RT_NAMES,
  ) {}

  /** Every rule the configuration holds, in config order, for keepalived's automatic numbering. */
  numberRules(rules: readonly RuleEntry[]): void {
    this.rulePrefs = defaultRulePreferences(rules, this.names);
  }

  /** A reload: number the new configuration's rules too (entries are compared by identity). */
  addRuleNumbers(rules: readonly RuleEntry[]): void {
    for (const [r, p] of defaultRulePreferences(rules, this.names)) this.rulePrefs.set(r, p);
  }

  /** The preference a rule is written with (undefined: the kernel's choice). */
  rulePreference(r: RuleEntry): number | undefined {
    return this.rulePrefs.get(r);
  }

  private ruleOpts(r: RuleEntry): { preference?: number } {
    const p = this.rulePrefs.get(r);
    return p === undefined ? {} : { preference: p };
  }

  /** The links as a route needs them: interface indexes, VRF tables. */
  private readonly routeLinks: RouteLinks = {
    index: (name) => this.links.index(name),
    vrfTable: (name) => vrfTableOf(this.links.link(name)),
  };

  private devOf(set: AddressSet, e: { readonly dev?: string }): string | undefined {
    return e.dev ?? set.interface;
  }

  /**
   * Operations run one after the other, each once the previous one is answered. With nothing
   * pending, an operation starts at once, in the caller's turn: its request is in the kernel
   * when enqueue returns (see submitted()).
   */
  private enqueue(what: string | (() => string), op: () => Promise<void>): Promise<void> {
    const start = (): Promise<void> => {
      try {
        return op();
      } catch (e) {
        return Promise.reject(e);
      }
    };
    let run: Promise<void>;
    if (this.pending === 0) run = start();
    else {
      this.waiting++;
      let submitted!: () => void;
      this.lastSubmitted = new Promise<void>((res) => (submitted = res));
      // settling first is safe: whoever waits on it runs after op's synchronous part
      run = this.queue.then(() => {
        this.waiting--;
        submitted();
        return start();
      });
    }
    this.pending++;
    run = run
      .catch((e: unknown) => {
        this.failures++;
        this.log.error({ err: (e as Error).message, what: typeof what === 'string' ? what : what() }, 'netlink operation failed');
      })
      .finally(() => {
        this.pending--;
      });
    this.queue = run;
    return run;
  }

  /** Builds the address adds of a later install now (a backup's, before it may take over). */
  prepare(set: AddressSet): void {
    if (!this.port.prepareAddress) return;
    for (const e of set.addresses) {
      const dev = this.devOf(set, e);
      const ifindex = dev === undefined ? undefined : this.links.index(dev);
      if (ifindex !== undefined) this.port.prepareAddress(e, ifindex);
    }
  }

  /** Becoming MASTER: add addresses, then routes, then rules. */
  install(set: AddressSet): Promise<void> {
    for (const e of set.addresses) {
      const dev = this.devOf(set, e);
      this.enqueue(() => `add ${addressText(e, dev)}`, async () => {
        const ifindex = dev === undefined ? undefined : this.links.index(dev);
        if (ifindex === undefined) throw new Error(`interface ${dev ?? '(none)'} not found`);
        await this.port.addAddress(e, ifindex);
        this.held.set(`${ifindex}/${formatIp(e.address)}`, { owner: set.owner, entry: e, ifindex });
      });
    }
    for (const r of set.routes) this.enqueue(`add route ${r.words.join(' ')}`, () => this.port.addRoute(r, this.routeLinks));
    for (const r of set.rules) this.enqueue(`add rule ${r.words.join(' ')}`, () => this.port.addRule(r, this.ruleOpts(r)));
    return this.queue;
  }

  /** Leaving MASTER: rules, routes, then addresses (reverse order). */
  remove(set: AddressSet): Promise<void> {
    for (const r of set.rules) this.enqueue(`delete rule ${r.words.join(' ')}`, () => this.port.deleteRule(r, this.ruleOpts(r)));
    for (const r of set.routes) this.enqueue(`delete route ${r.words.join(' ')}`, () => this.port.deleteRoute(r, this.routeLinks));
    for (const e of set.addresses) {
      const dev = this.devOf(set, e);
      this.enqueue(`delete ${addressText(e, dev)}`, async () => {
        const ifindex = dev === undefined ? undefined : this.links.index(dev);
        if (ifindex === undefined) return;
        // forget it before the kernel's delete notification can ask for a restore
        this.held.delete(`${ifindex}/${formatIp(e.address)}`);
        await this.port.deleteAddress(e, ifindex);
      });
    }
    return this.queue;
  }

  /** Start-up: remove configured addresses left on their interfaces by an earlier run. */
  removeLeftovers(sets: readonly AddressSet[]): Promise<void> {
    for (const set of sets) {
      for (const e of set.addresses) {
        const dev = this.devOf(set, e);
        const ifindex = dev === undefined ? undefined : this.links.index(dev);
        if (ifindex === undefined || !this.links.hasAddress(ifindex, e.address.bytes)) continue;
        this.log.info({ inst: set.owner, address: addressText(e, dev) }, 'removing address left behind by an earlier run');
        this.enqueue(`delete leftover ${addressText(e, dev)}`, () => this.port.deleteAddress(e, ifindex));
      }
    }
    return this.queue;
  }

  /** An address disappeared from the kernel: put it back if we hold it. */
  addressDeleted(a: AddrInfo): void {
    const key = `${a.index}/${formatIp(a.address)}`;
    const h = this.held.get(key);
    if (!h) return;
    this.restored++;
    const ifname = this.links.linkByIndex(h.ifindex)?.name;
    this.log.warn({ inst: h.owner, address: addressText(h.entry, ifname) }, 'VIP deleted by someone else while MASTER: restoring it');
    this.enqueue(`restore ${addressText(h.entry, ifname)}`, async () => {
      // a removal queued before this restore ran has the last word
      if (this.held.get(key) === h) await this.port.addAddress(h.entry, h.ifindex);
    });
  }

  /** Every queued operation has completed. */
  idle(): Promise<void> {
    return this.queue;
  }

  /**
   * Every queued operation has started, though not every answer is in: an operation sends its
   * request in its synchronous part and rtnetlink applies it inside that sendmsg, so the
   * address is on the interface by then. What a GARP waits for (keepalived adds the address,
   * then sends the GARP, without waiting on anything else); a failed add is still logged and
   * counted when its answer comes.
   */
  submitted(): Promise<void> {
    return this.lastSubmitted;
  }

  /** Every queued operation has started already (submitted() would settle with nothing left to wait for). */
  allSubmitted(): boolean {
    return this.waiting === 0;
  }
}
