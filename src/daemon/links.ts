/**
 * The daemon's view of the machine's interfaces and addresses, filled from one rtnetlink dump
 * and kept current by rtnetlink notifications. It answers what the VRRP side asks: an
 * interface's index and MAC, whether it is usable for an instance (link up and running, and
 * an address of the family to send from), and whether an address is present.
 */
import type { AddrInfo, LinkInfo, RtnlEvent } from '../io/rtnl.js';
import { formatIp, sameAddress, type Family } from '../util/ip.js';

export class LinkTable {
  private readonly byIndex = new Map<number, LinkInfo>();
  private readonly byName = new Map<string, LinkInfo>();
  /** addrKey -> AddrInfo */
  private readonly addrs = new Map<string | number, AddrInfo>();

  constructor(links: readonly LinkInfo[], addrs: readonly AddrInfo[]) {
    this.reset(links, addrs);
  }

  /** Replace the whole view with a fresh dump. */
  reset(links: readonly LinkInfo[], addrs: readonly AddrInfo[]): void {
    this.byIndex.clear();
    this.byName.clear();
    this.addrs.clear();
    for (const l of links) this.setLink(l);
    for (const a of addrs) this.addrs.set(addrKey(a), a);
  }

  private setLink(l: LinkInfo): void {
    const old = this.byIndex.get(l.index);
    if (old && old.name !== l.name) this.byName.delete(old.name);
    this.byIndex.set(l.index, l);
    this.byName.set(l.name, l);
  }

  /** Apply a notification. */
  apply(ev: RtnlEvent): void {
    if (ev.type === 'link') {
      if (ev.deleted) {
        this.byIndex.delete(ev.link.index);
        if (this.byName.get(ev.link.name)?.index === ev.link.index) this.byName.delete(ev.link.name);
        for (const [k, a] of this.addrs) if (a.index === ev.link.index) this.addrs.delete(k);
      } else this.setLink(ev.link);
    } else if (ev.deleted) this.addrs.delete(addrKey(ev.addr));
    else this.addrs.set(addrKey(ev.addr), ev.addr);
  }

  link(name: string): LinkInfo | undefined {
    return this.byName.get(name);
  }

  linkByIndex(index: number): LinkInfo | undefined {
    return this.byIndex.get(index);
  }

  index(name: string): number | undefined {
    return this.byName.get(name)?.index;
  }

  /** keepalived's primary address: the first IPv4 address; for IPv6 the link-local one. */
  primary(name: string, family: Family): Uint8Array | undefined {
    const l = this.byName.get(name);
    if (!l) return undefined;
    for (const a of this.addrs.values()) {
      if (a.index !== l.index || a.family !== family) continue;
      if (family === 'inet6' && !(a.address[0] === 0xfe && (a.address[1]! & 0xc0) === 0x80)) continue;
      return a.address;
    }
    return undefined;
  }

  hasAddress(index: number, address: Uint8Array): boolean {
    for (const a of this.addrs.values()) {
      if (a.index === index && sameAddress(a.address, address)) return true;
    }
    return false;
  }

  /** Whether any interface holds `address` (a local address the kernel lets a socket bind to). */
  isLocal(address: Uint8Array): boolean {
    for (const a of this.addrs.values()) {
      if (sameAddress(a.address, address)) return true;
    }
    return false;
  }

  /** Every interface by index, each with its addresses in the kernel's order (for the data dump). */
  all(): { link: LinkInfo; addresses: AddrInfo[] }[] {
    const out = [...this.byIndex.values()].sort((a, b) => a.index - b.index).map((link) => ({ link, addresses: [] as AddrInfo[] }));
    const at = new Map(out.map((l) => [l.link.index, l.addresses]));
    for (const a of this.addrs.values()) at.get(a.index)?.push(a);
    return out;
  }

  /** Link up and running (carrier). */
  linkUp(name: string): boolean {
    const l = this.byName.get(name);
    return l !== undefined && l.up && l.running;
  }
}

/**
 * An address's key: a number for IPv4 (interface index, address and prefix length packed below
 * 2^53, for an index below 2^15), else "index/address/prefix". A director with 50,000 local
 * addresses kept a built string for each (bench/RESULTS.md, footprint).
 */
function addrKey(a: AddrInfo): string | number {
  const b = a.address;
  if (a.family === 'inet' && a.index < 2 ** 15) return (a.index * 2 ** 32 + (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0)) * 64 + a.prefixLen;
  return `${a.index}/${formatIp(b)}/${a.prefixLen}`;
}
