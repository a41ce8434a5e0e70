/**
 * The firewall of instances without accept mode (`no_accept`, or strict mode's default), as
 * keepalived 2.2.7 installs it with nftables (vrrp/vrrp_nftables.c): while such an instance is
 * MASTER its VIPs are in a set that drops traffic to and from them, so that a master that is
 * not the address owner does not answer for them (RFC 5798 6.4.3, Accept_Mode False).
 *
 * Tables `ip NAME` / `ip6 NAME` (`nftables NAME`, default `keepalived`), made when a family's
 * first VIP goes in, removed at stop:
 * - chains `in` (hook input) and `out` (hook output), priority `nftables_priority` (-1), policy
 *   accept; set `vips`; rules `ip daddr @vips drop` in, `ip saddr @vips drop` out;
 * - IPv6 also lets neighbour solicitations and adverts through (set `neighbor-discovery`) and
 *   sends link-local addresses (fe80::/10) to chains `in_link_local` / `out_link_local`, whose
 *   set pairs the address with its interface: by index (`vips_link_local`), or by name
 *   (`vips_link_local_name`) for an instance with dont_track_primary when `nftables_ifindex`
 *   is not set;
 * - `nftables_counters` puts a counter in every rule.
 * With `use_vmac` the table also moves the kernel's IGMP / MLD reports off the VMACs (whose
 * source MAC a switch would learn there) to their base interfaces, from the start and whatever
 * the state (keepalived nft_add_vmac): map `vmac_map` (VMAC index : base index) and rule
 * `ip protocol igmp meta oifkind "macvlan" dup to ip daddr device oif map @vmac_map drop` in
 * `out`; IPv6 the same for mld2-listener-report, and router solicitations from a VMAC dropped
 * (set `vmac_set`).
 * The objects are made in keepalived's order (a family's table and `out` first, then the VMAC
 * objects or the VIP ones, whichever is needed first), so `nft list` shows the same tables for both.
 *
 * An element belongs to the instances that hold it (the same VIP in two instances stays until
 * neither is MASTER). Changes go to nftables one transaction at a time, in order; a refused one
 * is logged with nft's words and counted (`errors`), and nothing of it is applied.
 */
import type { Logger } from 'pino';
import type { NftCommand, NftPort } from '../io/nft.js';

export interface FirewallOptions {
  readonly table: string;
  readonly priority: number;
  readonly counters: boolean;
}

/** A VIP as the firewall sees it. */
export interface FirewallAddress {
  readonly family: 'inet' | 'inet6';
  /** the address, as nft reads it (no prefix length) */
  readonly ip: string;
  /** the interface it is on (link-local IPv6 only) */
  readonly ifname: string;
  /** link-local IPv6 matched by interface name (keepalived: dont_track_primary, no nftables_ifindex) */
  readonly byName: boolean;
}

/** A VMAC whose IGMP / MLD reports leave by its base interface (keepalived nft_add_vmac). */
export interface FirewallVmac {
  readonly family: 'inet' | 'inet6';
  /** the instance has eVIPs of the other family: that family's table gets the VMAC too */
  readonly otherFamily: boolean;
  readonly index: number;
  readonly baseIndex: number;
}

type Family = 'ip' | 'ip6';
type SetName = 'vips' | 'vips_link_local' | 'vips_link_local_name';

interface Element {
  readonly family: Family;
  readonly set: SetName;
  readonly elem: unknown;
  readonly owners: Set<string>;
}

const LINK_LOCAL = /^fe[89ab][0-9a-f]:/i;

export class VipFirewall {
  /** refused nftables transactions */
  errors = 0;
  private elements = new Map<string, Element>();
  /** VMAC elements in force, by `family index` */
  private vmacs = new Map<string, { readonly family: Family; readonly index: number; readonly baseIndex: number }>();
  /** objects made: 'ip' / 'ip6' (the table and `out`), 'ip vips', 'ip vmac', 'ip6 vips_link_local', ... */
  private readonly made = new Set<string>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly nft: NftPort,
    private readonly opts: FirewallOptions,
    private readonly log: Logger,
  ) {}

  get table(): string {
    return this.opts.table;
  }

  get priority(): number {
    return this.opts.priority;
  }

  get counters(): boolean {
    return this.opts.counters;
  }


  /** Start-up: a table left by an earlier run (a crash) goes, whatever is in it. */
  clearLeftovers(): Promise<void> {
    const cmds = (['ip', 'ip6'] as const).flatMap((family) => this.dropTable(family));
    return this.submit(cmds, 'removing tables left by an earlier run');
  }

  /** `owner` holds `addrs` (it became MASTER): the ones not yet in go in. */
  add(owner: string, addrs: readonly FirewallAddress[]): Promise<void> {
    const next = this.copy();
    for (const a of addrs) this.hold(next, owner, a);
    return this.apply(next, `(${owner}) setting firewall drop rule`);
  }

  /** `owner` no longer holds its VIPs: those nobody else holds go out. */
  remove(owner: string): Promise<void> {
    const next = this.copy();
    for (const [key, e] of next) {
      e.owners.delete(owner);
      if (e.owners.size === 0) next.delete(key);
    }
    return this.apply(next, `(${owner}) removing firewall drop rule`);
  }

  /**
   * A reload: each instance now holds exactly `held` (MASTERs without accept mode), and no
   * other name holds anything. Elements kept are not touched.
   */
  reconcile(held: ReadonlyMap<string, readonly FirewallAddress[]>): Promise<void> {
    const next = new Map<string, Element>();
    for (const [owner, addrs] of held) for (const a of addrs) this.hold(next, owner, a);
    return this.apply(next, 'reloading the firewall drop rules');
  }

  /**
   * The VMACs now in use (start, reload, a VMAC created again): elements of VMACs gone go out,
   * new ones go in (by interface index, so that a deleted link's element can still go).
   */
  setVmacs(list: readonly FirewallVmac[]): Promise<void> {
    const want = new Map<string, { family: Family; index: number; baseIndex: number }>();
    for (const v of list) {
      const own: Family = v.family === 'inet' ? 'ip' : 'ip6';
      for (const family of v.otherFamily ? [own, own === 'ip' ? 'ip6' as const : 'ip' as const] : [own]) {
        want.set(`${family} ${v.index}`, { family, index: v.index, baseIndex: v.baseIndex });
      }
    }
    const element = (verb: 'add' | 'delete', family: Family, name: string, elem: unknown): NftCommand =>
      ({ [verb]: { element: { family, table: this.opts.table, name, elem: [elem] } } });
    const cmds: NftCommand[] = [];
    for (const [key, v] of this.vmacs) {
      if (want.get(key)?.baseIndex === v.baseIndex) continue;
      cmds.push(element('delete', v.family, 'vmac_map', v.index));
      if (v.family === 'ip6') cmds.push(element('delete', v.family, 'vmac_set', v.index));
    }
    for (const [key, v] of want) {
      if (this.vmacs.get(key)?.baseIndex === v.baseIndex) continue;
      cmds.push(...this.setUpVmac(v.family), element('add', v.family, 'vmac_map', [v.index, v.baseIndex]));
      if (v.family === 'ip6') cmds.push(element('add', v.family, 'vmac_set', v.index));
    }
    this.vmacs = want;
    return this.submit(cmds, 'setting the VMAC IGMP / MLD rules');
  }

  /** Stop: the tables made go, with everything in them. */
  stop(): Promise<void> {
    const cmds = (['ip', 'ip6'] as const).filter((f) => this.made.has(f)).map((family) => ({ delete: { table: { family, name: this.opts.table } } }));
    this.made.clear();
    this.elements.clear();
    this.vmacs.clear();
    return this.submit(cmds, 'removing the firewall tables');
  }

  /** Resolves once every change asked for so far was applied (or refused). */
  idle(): Promise<void> {
    return this.queue;
  }

  private element(a: FirewallAddress): { key: string; family: Family; set: SetName; elem: unknown } {
    const family: Family = a.family === 'inet' ? 'ip' : 'ip6';
    const linkLocal = family === 'ip6' && LINK_LOCAL.test(a.ip);
    const set: SetName = !linkLocal ? 'vips' : a.byName ? 'vips_link_local_name' : 'vips_link_local';
    const elem = linkLocal ? { concat: [a.ip, a.ifname] } : a.ip;
    return { key: `${family} ${set} ${JSON.stringify(elem)}`, family, set, elem };
  }

  private copy(): Map<string, Element> {
    return new Map([...this.elements].map(([k, e]) => [k, { ...e, owners: new Set(e.owners) }]));
  }

  private hold(into: Map<string, Element>, owner: string, a: FirewallAddress): void {
    const { key, family, set, elem } = this.element(a);
    const held = into.get(key);
    if (held) held.owners.add(owner);
    else into.set(key, { family, set, elem, owners: new Set([owner]) });
  }

  /** One transaction from the elements in force to `next`: deletions, then what is new. */
  private apply(next: Map<string, Element>, what: string): Promise<void> {
    const group = (from: Map<string, Element>, without: Map<string, Element>): Map<string, Element[]> => {
      const out = new Map<string, Element[]>();
      for (const [key, e] of from) {
        if (without.has(key)) continue;
        const k = `${e.family} ${e.set}`;
        if (!out.has(k)) out.set(k, []);
        out.get(k)!.push(e);
      }
      return out;
    };
    const element = (verb: 'add' | 'delete', es: Element[]): NftCommand =>
      ({ [verb]: { element: { family: es[0]!.family, table: this.opts.table, name: es[0]!.set, elem: es.map((e) => e.elem) } } });
    const cmds: NftCommand[] = [];
    for (const es of group(this.elements, next).values()) cmds.push(element('delete', es));
    for (const es of group(next, this.elements).values()) cmds.push(...this.setUp(es[0]!.family, es[0]!.set), element('add', es));
    this.elements = next;
    return this.submit(cmds, what);
  }

  /** A family's table and its `out` chain (keepalived nft_setup_ipv4 / _ipv6), made the first time. */
  private setUpTable(family: Family): NftCommand[] {
    if (this.made.has(family)) return [];
    this.made.add(family);
    return [...this.dropTable(family), { add: { table: { family, name: this.opts.table } } }, this.chain(family, 'out', 'output')];
  }

  /** The VMAC objects of a family (keepalived nft_setup_igmp), made the first time. */
  private setUpVmac(family: Family): NftCommand[] {
    const out = this.setUpTable(family);
    if (this.made.has(`${family} vmac`)) return out;
    this.made.add(`${family} vmac`);
    return [...out, ...(family === 'ip' ? this.vmacV4() : this.vmacV6())];
  }

  /** The table of a family, its VIP objects, and the link-local set an element needs, made the first time. */
  private setUp(family: Family, set: SetName): NftCommand[] {
    const out = this.setUpTable(family);
    if (!this.made.has(`${family} vips`)) {
      this.made.add(`${family} vips`);
      out.push(...(family === 'ip' ? this.vipsV4() : this.vipsV6()));
    }
    if (set !== 'vips' && !this.made.has(`ip6 ${set}`)) {
      this.made.add(`ip6 ${set}`);
      out.push(...this.linkLocal(set === 'vips_link_local_name'));
    }
    return out;
  }

  /** add then delete: removes the table whether or not it is there, in one transaction */
  private dropTable(family: Family): NftCommand[] {
    const table = { family, name: this.opts.table };
    return [{ add: { table } }, { delete: { table } }];
  }

  private chain(family: Family, name: string, hook?: 'input' | 'output'): NftCommand {
    return { add: { chain: { family, table: this.opts.table, name, ...(hook ? { type: 'filter', hook, prio: this.opts.priority, policy: 'accept' } : {}) } } };
  }

  private rule(family: Family, chain: string, match: unknown, verdict: unknown): NftCommand {
    const expr = [{ match: { op: '==', ...(match as object) } }, ...(this.opts.counters ? [{ counter: { packets: 0, bytes: 0 } }] : []), verdict];
    return { add: { rule: { family, table: this.opts.table, chain, expr } } };
  }

  private vipRule(family: Family, chain: 'in' | 'out', set: string): NftCommand {
    const field = chain === 'in' ? 'daddr' : 'saddr';
    return this.rule(family, chain, { left: { payload: { protocol: family, field } }, right: `@${set}` }, { drop: null });
  }

  /** keepalived nft_setup_ipv4_vips */
  private vipsV4(): NftCommand[] {
    const t = this.opts.table;
    return [
      this.chain('ip', 'in', 'input'),
      { add: { set: { family: 'ip', table: t, name: 'vips', type: 'ipv4_addr' } } },
      this.vipRule('ip', 'in', 'vips'),
      this.vipRule('ip', 'out', 'vips'),
    ];
  }

  /** keepalived nft_setup_ipv6_vips */
  private vipsV6(): NftCommand[] {
    const t = this.opts.table;
    const nd = (chain: string): NftCommand => this.rule('ip6', chain, { left: { payload: { protocol: 'icmpv6', field: 'type' } }, right: '@neighbor-discovery' }, { accept: null });
    const toLinkLocal = (chain: 'in' | 'out'): NftCommand => this.rule('ip6', chain,
      { left: { payload: { protocol: 'ip6', field: chain === 'in' ? 'daddr' : 'saddr' } }, right: { prefix: { addr: 'fe80::', len: 10 } } },
      { goto: { target: `${chain}_link_local` } });
    return [
      this.chain('ip6', 'in', 'input'),
      this.chain('ip6', 'in_link_local'),
      this.chain('ip6', 'out_link_local'),
      { add: { set: { family: 'ip6', table: t, name: 'vips', type: 'ipv6_addr' } } },
      { add: { set: { family: 'ip6', table: t, name: 'neighbor-discovery', type: 'icmpv6_type', flags: ['constant'], elem: ['nd-neighbor-solicit', 'nd-neighbor-advert'] } } },
      nd('in'),
      toLinkLocal('in'),
      nd('out'),
      toLinkLocal('out'),
      this.vipRule('ip6', 'in', 'vips'),
      this.vipRule('ip6', 'out', 'vips'),
    ];
  }

  /** `[match] macvlan oif ... [counter] verdict` (keepalived setup_rule_move_igmp and its kin). */
  private vmacRule(family: Family, match: unknown, action: unknown[]): NftCommand {
    const expr = [
      { match: { op: '==', ...(match as object) } },
      { match: { op: '==', left: { meta: { key: 'oifkind' } }, right: 'macvlan' } },
      ...action.slice(0, -1),
      ...(this.opts.counters ? [{ counter: { packets: 0, bytes: 0 } }] : []),
      action.at(-1),
    ];
    return { add: { rule: { family, table: this.opts.table, chain: 'out', expr } } };
  }

  private dupToBase(family: Family): unknown {
    return { dup: { addr: { payload: { protocol: family, field: 'daddr' } }, dev: { map: { key: { meta: { key: 'oif' } }, data: '@vmac_map' } } } };
  }

  private vmacV4(): NftCommand[] {
    const t = this.opts.table;
    return [
      { add: { map: { family: 'ip', table: t, name: 'vmac_map', type: 'iface_index', map: 'iface_index' } } },
      this.vmacRule('ip', { left: { payload: { protocol: 'ip', field: 'protocol' } }, right: 'igmp' }, [this.dupToBase('ip'), { drop: null }]),
    ];
  }

  private vmacV6(): NftCommand[] {
    const t = this.opts.table;
    const icmp6 = (type: string): unknown => ({ left: { payload: { protocol: 'icmpv6', field: 'type' } }, right: type });
    return [
      { add: { map: { family: 'ip6', table: t, name: 'vmac_map', type: 'iface_index', map: 'iface_index' } } },
      { add: { set: { family: 'ip6', table: t, name: 'vmac_set', type: 'iface_index' } } },
      this.vmacRule('ip6', icmp6('mld2-listener-report'), [this.dupToBase('ip6'), { drop: null }]),
      this.vmacRule('ip6', icmp6('nd-router-solicit'), [{ match: { op: '==', left: { meta: { key: 'oif' } }, right: '@vmac_set' } }, { drop: null }]),
    ];
  }

  private linkLocal(byName: boolean): NftCommand[] {
    const name = byName ? 'vips_link_local_name' : 'vips_link_local';
    const concat = (field: 'daddr' | 'saddr', key: string): unknown => ({ concat: [{ payload: { protocol: 'ip6', field } }, { meta: { key } }] });
    return [
      { add: { set: { family: 'ip6', table: this.opts.table, name, type: ['ipv6_addr', byName ? 'ifname' : 'iface_index'] } } },
      this.rule('ip6', 'in_link_local', { left: concat('daddr', byName ? 'iifname' : 'iif'), right: `@${name}` }, { drop: null }),
      this.rule('ip6', 'out_link_local', { left: concat('saddr', byName ? 'oifname' : 'oif'), right: `@${name}` }, { drop: null }),
    ];
  }

  private submit(cmds: readonly NftCommand[], what: string): Promise<void> {
    if (cmds.length === 0) return this.queue;
    this.queue = this.queue.then(async () => {
      try {
        await this.nft.run(cmds);
        this.log.debug({ table: this.opts.table }, what);
      } catch (e) {
        this.errors++;
        this.log.error({ table: this.opts.table, err: (e as Error).message, errors: this.errors }, `nftables: ${what} failed`);
      }
    });
    return this.queue;
  }
}
