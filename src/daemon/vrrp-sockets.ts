/**
 * The VRRP sockets of the daemon: one IPv4 raw socket per interface and IP protocol (112, or
 * 51 for `auth_type AH` instances), joined to the multicast groups its instances use, and one
 * IPv6 raw socket joined per interface. `update()` follows
 * the configuration: at a reload, sockets whose interface and groups did not change are kept
 * (no advert is lost to a reopened socket), others are opened or closed. Received adverts go
 * to `onPacket` with the interface they arrived on.
 */
import type { Logger } from 'pino';
import { Raw6Socket } from '../io/native.js';
import { IPPROTO_VRRP, VRRP4_RCVBUF, Vrrp4Socket } from '../io/vrrp-socket4.js';
import { IPPROTO_AH } from '../vrrp/ipsec-ah.js';
import { formatIp } from '../util/ip.js';
import type { RxPacket } from '../vrrp/packet.js';
import type { AdvertPort } from './effects.js';
import type { MappedInstance } from './engine-config.js';
import type { LinkTable } from './links.js';

/** An IPv4 socket's key: the interface, and the protocol when it is AH. */
const key4 = (ifname: string, protocol: number): string => (protocol === IPPROTO_AH ? `${ifname} ah` : ifname);

export class VrrpSockets implements AdvertPort {
  /** by key4(interface, protocol) */
  private readonly sockets4 = new Map<string, Vrrp4Socket>();
  /** the interface index each IPv4 socket was bound with, by key4 */
  private readonly index4 = new Map<string, number>();
  /** by key4 */
  private groups4 = new Map<string, Uint8Array[]>();
  private groups6 = new Map<string, Uint8Array[]>();
  /** IPv6 memberships made ("ifindex group"); kept across reloads */
  private readonly joined6 = new Set<string>();
  private raw6: Raw6Socket | undefined;

  constructor(
    private readonly links: LinkTable,
    private readonly onPacket: (ifname: string, packet: RxPacket) => void,
    private readonly log: Logger,
  ) {}

  /** The interface was created again since its socket was opened (another index): the socket is deaf. */
  stale(ifname: string): boolean {
    return this.staleKey(ifname, ifname) || this.staleKey(key4(ifname, IPPROTO_AH), ifname);
  }

  private staleKey(key: string, ifname: string): boolean {
    const was = this.index4.get(key);
    const now = this.links.index(ifname);
    return was !== undefined && now !== undefined && was !== now;
  }

  /** Open, keep or close sockets so that they fit these instances. */
  update(instances: Iterable<MappedInstance>): void {
    const groups4 = new Map<string, Uint8Array[]>();
    const groups6 = new Map<string, Uint8Array[]>();
    for (const m of instances) {
      const c = m.config;
      // an interface that is not there yet gets its socket when the daemon maps it again
      if (this.links.index(c.interface) === undefined) continue;
      const map = c.family === 'inet' ? groups4 : groups6;
      const key = c.family === 'inet' ? key4(c.interface, c.authentication?.authType === 'AH' ? IPPROTO_AH : IPPROTO_VRRP) : c.interface;
      const list = map.get(key) ?? [];
      if (!c.unicastPeer?.length && c.mcastDstIp && !list.some((g) => sameBytes(g, c.mcastDstIp!.bytes))) list.push(c.mcastDstIp.bytes);
      map.set(key, list);
    }
    for (const [key, s] of this.sockets4) {
      const want = groups4.get(key);
      if (want && sameGroups(this.groups4.get(key) ?? [], want) && !this.staleKey(key, s.ifname)) continue;
      s.close();
      this.sockets4.delete(key);
      this.index4.delete(key);
    }
    for (const [key, groups] of groups4) {
      if (this.sockets4.has(key)) continue;
      const ifname = key.endsWith(' ah') ? key.slice(0, -3) : key;
      this.index4.set(key, this.links.index(ifname)!);
      this.sockets4.set(key, new Vrrp4Socket({
        ifname,
        ifindex: this.links.index(ifname)!,
        protocol: key === ifname ? IPPROTO_VRRP : IPPROTO_AH,
        groups,
        onPacket: (data) => this.onPacket(ifname, { family: 'inet', data }),
        onSendError: (err, dst) => this.log.warn({ mod: 'vrrp', ifname, err, dst }, 'VRRP send failed'),
      }));
    }
    this.groups4 = groups4;
    this.groups6 = groups6;
    if (groups6.size > 0 && !this.raw6) {
      this.raw6 = new Raw6Socket(IPPROTO_VRRP, (data, src, dst, hopLimit, ifindex) => {
        const ifname = this.links.linkByIndex(ifindex)?.name;
        if (ifname === undefined || !this.groups6.has(ifname)) return;
        this.onPacket(ifname, { family: 'inet6', data, src, dst, hopLimit });
      });
    }
    for (const [ifname, groups] of groups6) {
      const ifindex = this.links.index(ifname)!;
      for (const g of groups) {
        const key = `${ifindex} ${formatIp(g)}`;
        if (this.joined6.has(key)) continue;
        this.raw6!.join(ifindex, g);
        this.joined6.add(key);
      }
    }
  }

  /** The socket an interface's instances of a family use (data dump): descriptor, SO_RCVBUF (0: kernel default). */
  describe(ifname: string, family: 'inet' | 'inet6', ah = false): { fd?: number; rxBufSize: number } | undefined {
    if (family === 'inet') {
      const s = this.sockets4.get(key4(ifname, ah ? IPPROTO_AH : IPPROTO_VRRP));
      return s ? { ...(s.fd !== undefined ? { fd: s.fd } : {}), rxBufSize: VRRP4_RCVBUF } : undefined;
    }
    return this.raw6 && this.groups6.has(ifname) ? { fd: this.raw6.descriptor, rxBufSize: 0 } : undefined;
  }

  /** IPv4: a whole datagram (its protocol field picks the socket); IPv6: the VRRP message from `src`, hop limit 255. */
  send(ifname: string, family: 'inet' | 'inet6', src: Uint8Array, dst: Uint8Array, data: Uint8Array): void {
    if (family === 'inet') {
      const s = this.sockets4.get(key4(ifname, data[9]!));
      if (!s) throw new Error(`no VRRP socket on ${ifname}`);
      s.send(data, dst);
    } else {
      const ifindex = this.links.index(ifname);
      if (ifindex === undefined || !this.raw6) throw new Error(`no VRRP socket on ${ifname}`);
      this.raw6.send(ifindex, src, dst, data);
    }
  }

  /** Every queued advert handed to the kernel (the last priority-0 adverts at stop). */
  drain(): Promise<void> {
    return Promise.all([...this.sockets4.values()].map((s) => s.drain())).then(() => undefined);
  }

  close(): void {
    for (const s of this.sockets4.values()) s.close();
    this.sockets4.clear();
    this.raw6?.close();
    this.raw6 = undefined;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameGroups(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  return a.length === b.length && a.every((g, i) => sameBytes(g, b[i]!));
}
