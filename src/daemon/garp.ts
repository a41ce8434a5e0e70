/**
 * Gratuitous ARP / unsolicited NA bursts (reference §d.5): `repeat` rounds, each one frame
 * per VIP and eVIP, sent on the address's interface with that interface's MAC. IPv6 NAs
 * carry the Router flag when forwarding is on for the interface. Back to back by default;
 * `vrrp_garp_interval` / `vrrp_gna_interval` space the frames on each interface; a
 * `garp_group` gives its interfaces intervals of their own, and one queue for all of them (the
 * group's frames are spaced across its interfaces, keepalived's shared garp_delay). A VMAC
 * shares the queue of the interface under it (IF_BASE_IFP). With spacing, an address waits in
 * its queue at most once: the repeats of a burst that find it waiting fold into it, as
 * keepalived's pending flag does.
 */
import type { Logger } from 'pino';
import type { AddressEntry, KeepalivedConfig } from '../config/model.js';
import { buildGarp, buildUnsolicitedNa } from '../l2/index.js';
import type { LinkInfo } from '../io/rtnl.js';
import type { LinkTable } from './links.js';

export interface FramePort {
  send(ifindex: number, frame: Uint8Array): void;
}

export interface GarpStats {
  garpSent: number;
  naSent: number;
  errors: number;
}

export interface GarpSpacing {
  /** vrrp_garp_interval: time between two GARPs on one interface (0 = back to back) */
  readonly garpMs: number;
  /** vrrp_gna_interval: the same for unsolicited NAs */
  readonly gnaMs: number;
  /** garp_group: per interface name, its group's number and intervals */
  readonly groups?: ReadonlyMap<string, { readonly group: number; readonly garpMs: number; readonly gnaMs: number }>;
}

interface Pending {
  readonly owner: string;
  readonly ifindex: number;
  readonly frame: Uint8Array;
  readonly v6: boolean;
}

/** The GARP (IPv4) or unsolicited NA (IPv6, with the Router flag when `router`) for `address`. */
function build(owner: string, link: LinkInfo, address: Uint8Array, router: boolean): Pending {
  const v6 = address.length === 16;
  const frame = v6 ? buildUnsolicitedNa(link.mac, address, router) : buildGarp(link.mac, address);
  return { owner, ifindex: link.index, frame, v6 };
}

/** The spacing a configuration asks for: the global intervals, and each garp_group's (first group of an interface wins). */
export function garpSpacing(cfg: Pick<KeepalivedConfig, 'globalDefs' | 'garpGroups'>): GarpSpacing {
  const groups = new Map<string, { group: number; garpMs: number; gnaMs: number }>();
  (cfg.garpGroups ?? []).forEach((g, group) => {
    for (const i of g.interfaces) {
      if (!groups.has(i.name)) groups.set(i.name, { group, garpMs: g.garpIntervalMs ?? 0, gnaMs: g.gnaIntervalMs ?? 0 });
    }
  });
  return { garpMs: cfg.globalDefs.vrrpGarpIntervalMs, gnaMs: cfg.globalDefs.vrrpGnaIntervalMs, groups };
}

export class GarpSender {
  readonly stats: GarpStats = { garpSent: 0, naSent: 0, errors: 0 };
  /** per interface: frames waiting for their turn when spacing is configured */
  private readonly queues = new Map<string, { items: Pending[]; busy: boolean }>();
  /** frames by entry (see entryFrame); the LinkTable replaces a link's object when it changes */
  private readonly built = new WeakMap<AddressEntry, { link: LinkInfo; router: boolean; item: Pending }>();

  constructor(
    private readonly port: FramePort,
    private readonly links: LinkTable,
    private readonly forwarding6: (ifname: string) => boolean,
    private readonly log: Logger,
    private spacing: GarpSpacing = { garpMs: 0, gnaMs: 0 },
  ) {}

  /** New intervals (a reload); frames already queued keep their turn. */
  setSpacing(spacing: GarpSpacing): void {
    this.spacing = spacing;
  }

  /** The queue a frame waits in, and the spacing of that queue. */
  private queueOf(item: Pending): { key: string; spacingMs: number } {
    let link = this.links.linkByIndex(item.ifindex);
    if (link?.kind === 'macvlan' && link.parentIndex !== undefined) link = this.links.linkByIndex(link.parentIndex) ?? link;
    const group = link ? this.spacing.groups?.get(link.name) : undefined;
    if (group) return { key: `group ${group.group}`, spacingMs: item.v6 ? group.gnaMs : group.garpMs };
    return { key: `if ${link?.index ?? item.ifindex}`, spacingMs: item.v6 ? this.spacing.gnaMs : this.spacing.garpMs };
  }

  /** One burst for the addresses of an instance (`ifname` for entries without `dev`). */
  burst(owner: string, ifname: string, addresses: readonly AddressEntry[], repeat: number): void {
    const frames: Pending[] = [];
    for (const e of addresses) {
      const f = this.entryFrame(owner, e.dev ?? ifname, e);
      if (f) frames.push(f);
    }
    for (let r = 0; r < repeat; r++) {
      for (const f of frames) this.sendOne(f);
    }
  }

  /** Builds the frames of a later burst now (a backup's, before it may have to take over). */
  prepare(owner: string, ifname: string, addresses: readonly AddressEntry[]): void {
    for (const e of addresses) this.entryFrame(owner, e.dev ?? ifname, e);
  }

  /** The frame of an entry, kept while its interface (index, MAC) and Router flag stay the same. */
  private entryFrame(owner: string, dev: string, e: AddressEntry): Pending | undefined {
    const link = this.links.link(dev);
    if (!link) return undefined;
    const router = e.address.bytes.length === 16 && this.forwarding6(dev);
    const kept = this.built.get(e);
    if (kept && kept.link === link && kept.router === router && kept.item.owner === owner) return kept.item;
    const item = build(owner, link, e.address.bytes, router);
    this.built.set(e, { link, router, item });
    return item;
  }

  /** One frame for a single address (unicast instance leaving FAULT: its own source). */
  single(owner: string, ifname: string, address: Uint8Array): void {
    const f = this.frameFor(owner, ifname, address);
    if (f) this.sendOne(f);
  }

  /** The GARP (IPv4) or unsolicited NA (IPv6) for `address` on `dev`, with its MAC. */
  private frameFor(owner: string, dev: string, address: Uint8Array): Pending | undefined {
    const link = this.links.link(dev);
    if (!link) return undefined;
    return build(owner, link, address, address.length === 16 && this.forwarding6(dev));
  }

  private sendOne(item: Pending): void {
    const { key, spacingMs } = this.queueOf(item);
    if (spacingMs <= 0) {
      this.transmit(item);
      return;
    }
    let q = this.queues.get(key);
    if (!q) this.queues.set(key, (q = { items: [], busy: false }));
    // keepalived marks an address pending, once (ip_address_t garp_gna_pending): a frame still
    // waiting for its turn is not queued again, so repeats within the spacing fold into one
    if (q.items.includes(item)) return;
    q.items.push(item);
    if (!q.busy) this.drain(q, spacingMs);
  }

  private drain(q: { items: Pending[]; busy: boolean }, spacingMs: number): void {
    const item = q.items.shift();
    if (!item) {
      q.busy = false;
      return;
    }
    q.busy = true;
    this.transmit(item);
    setTimeout(() => this.drain(q, spacingMs), spacingMs).unref();
  }

  private transmit({ owner, ifindex, frame, v6 }: Pending): void {
    try {
      this.port.send(ifindex, frame);
      if (v6) this.stats.naSent++;
      else this.stats.garpSent++;
    } catch (e) {
      this.stats.errors++;
      this.log.warn({ inst: owner, ifindex, err: (e as Error).message }, v6 ? 'unsolicited NA send failed' : 'gratuitous ARP send failed');
    }
  }
}
