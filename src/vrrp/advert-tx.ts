/**
 * The sending side of an instance's adverts (keepalived vrrp_send_adv, reference §d.1, §d.8):
 * one IP ID per advert, one copy per destination (the unicast peers, or the multicast group).
 * Each copy is encoded once per (priority, destination, checksum style) and kept; a send
 * copies it and writes the IP ID in.
 *
 * ```ts
 * const tx = new AdvertTx(resolved);
 * tx.prepare(100, false);                                  // encode now, send later
 * tx.send(100, false, (dst, data) => out.push(...));       // one call per destination
 * ```
 */
import type { ResolvedInstance } from './config.js';
import { insertAuthHeader, sealAuthHeader } from './ipsec-ah.js';
import { encodeAdvert, IPPROTO_VRRP, setIpv4Id, VRRP_GROUP_INET } from './packet.js';

/** More distinct encodings than this (priorities come and go with trackers): start again. */
const MAX_TEMPLATES = 64;

export class AdvertTx {
  /** the last IP ID sent (IPv4); carried over a reload */
  ipId = 0;
  private readonly templates = new Map<number, Uint8Array>();

  constructor(private readonly r: ResolvedInstance) {}

  /**
   * Sends the adverts at `priority` through `out`, one per destination, with the next IP ID.
   * `oldChecksum`: unicast checksum computed the pre-2.2.x way (unicast_checksum_compat).
   * `ahSeq`: auth_type AH, the sequence number of this advert (the same for every peer).
   */
  send(priority: number, oldChecksum: boolean, out: (dst: Uint8Array, data: Uint8Array) => void, ahSeq = 0): void {
    this.ipId = (this.ipId + 1) & 0xffff;
    if (this.ipId === 0) this.ipId = 1; // 0 would let the kernel pick one
    this.destinations((dst, i) => {
      const data = this.template(priority, oldChecksum, i, dst).slice();
      if (this.r.family === 'inet') setIpv4Id(data, this.ipId);
      if (this.r.authType === 2) sealAuthHeader(data, this.r.authData!, ahSeq, this.r.unicast);
      out(dst, data);
    });
  }

  /** Encodes the adverts at `priority` ahead of their first send (a backup's, before Master_Down). */
  prepare(priority: number, oldChecksum: boolean): void {
    this.destinations((dst, i) => this.template(priority, oldChecksum, i, dst));
  }

  private destinations(f: (dst: Uint8Array, index: number) => void): void {
    const peers = this.r.unicast ? this.r.peers : undefined;
    if (!peers) f(this.r.mcastDst, 0);
    else for (let i = 0; i < peers.length; i++) f(peers[i]!.address, i);
  }

  private template(priority: number, oldChecksum: boolean, dstIndex: number, dst: Uint8Array): Uint8Array {
    const r = this.r;
    const key = priority * 512 + dstIndex * 2 + (oldChecksum ? 1 : 0);
    let t = this.templates.get(key);
    if (!t) {
      if (this.templates.size > MAX_TEMPLATES) this.templates.clear();
      t = encodeAdvert({
        version: r.version, vrid: r.vrid, priority, adverIntervalMs: r.adverIntervalMs, addrs: r.vips,
        authType: r.authType, authData: r.version === 2 && r.authType === 1 ? r.authData : undefined,
      }, {
        family: r.family, src: r.src, dst, ipId: 0, ttl: r.unicast ? r.unicastTtl : 255, checksumAsV2: r.checksumAsV2,
        pseudoDst: r.unicast && oldChecksum ? VRRP_GROUP_INET : undefined,
      });
      // AH: the VRRP trailer stays zero, the key goes into the ICV (keepalived vrrp_build_vrrp_v2)
      if (r.authType === 2) t = insertAuthHeader(t, IPPROTO_VRRP);
      this.templates.set(key, t);
    }
    return t;
  }
}
