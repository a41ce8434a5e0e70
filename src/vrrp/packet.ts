/**
 * VRRP advertisement codec: VRRPv2 (RFC 3768) and VRRPv3 (RFC 5798 / RFC 9568), IPv4 and
 * IPv6. This is the only module that speaks the wire units (seconds for v2, centiseconds
 * for v3); everything it returns is in milliseconds.
 *
 * IPv4 adverts are built with keepalived's own IP header (TOS 0xC0, TTL 255, protocol 112,
 * caller-supplied incrementing IP ID) because keepalived sends with IP_HDRINCL. For IPv6 the
 * kernel builds the IP header, so only the VRRP message is produced (checksum filled in with
 * the IPv6 pseudo-header, as the kernel would with IPV6_CHECKSUM).
 *
 * Decoding never throws: it returns `Result<RxAdvert, DecodeError>` and checks in the order
 * of keepalived 2.2.7 `vrrp_check_packet` (reference §d.2), one reason per failure.
 */
import type { Family } from '../util/ip.js';
import { err, ok, type Result } from '../util/result.js';
import { finishChecksum, pseudoHeaderSum, sumWords } from './checksum.js';
import { AH_HEADER_LEN, checkAuthHeader, IPPROTO_AH } from './ipsec-ah.js';
import { RxAdvert } from './rx-advert.js';

export { IPPROTO_AH } from './ipsec-ah.js';
export const IPPROTO_VRRP = 112;
export const VRRP_TTL = 255;
export const VRRP_AUTH_LEN = 8;
export const VRRP_HEADER_LEN = 8;
export const IPV4_HEADER_LEN = 20;
/** 224.0.0.18 (RFC 3768 §5.2.2) */
export const VRRP_GROUP_INET: Uint8Array = Uint8Array.of(224, 0, 0, 18);
/** ff02::12 (RFC 5798 §5.1.2.2) */
export const VRRP_GROUP_INET6: Uint8Array = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12);

export type VrrpVersion = 2 | 3;
/** v2 Auth Type (RFC 3768 §5.3.6): 0 none, 1 simple text password, 2 IP Authentication Header (ipsec-ah.ts). */
export type AuthType = 0 | 1 | 2;

/** The VRRP message itself, independent of the IP header. */
export interface Advert {
  readonly version: VrrpVersion;
  readonly vrid: number;
  readonly priority: number;
  /** v2: Adver Int (s) x 1000; v3: Max Adver Int (cs) x 10. */
  readonly adverIntervalMs: number;
  /** 4 or 16 bytes each, network order. */
  readonly addrs: readonly Uint8Array[];
  /** v2 only; always 0 for v3. */
  readonly authType: AuthType;
  /** v2 only: the 8-byte authentication data trailer; undefined for v3. */
  readonly authData: Uint8Array | undefined;
}

export interface EncodeOptions {
  readonly family: Family;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  /** IPv4 TTL (multicast must be 255; unicast_ttl may lower it). */
  readonly ttl?: number;
  /** IPv4 Identification; keepalived counts from 1 per instance, skipping 0. */
  readonly ipId?: number;
  /** v3 over IPv4: checksum without the pseudo-header (`v3_checksum_as_v2`, RFC 9568). */
  readonly checksumAsV2?: boolean;
  /** v3: destination to put in the pseudo-header instead of `dst` (old unicast checksum). */
  readonly pseudoDst?: Uint8Array;
}

/** Size of the VRRP message (header, addresses, v2 auth trailer). */
export function vrrpMessageLength(version: VrrpVersion, family: Family, naddr: number): number {
  const alen = family === 'inet' ? 4 : 16;
  return VRRP_HEADER_LEN + naddr * alen + (version === 2 && family === 'inet' ? VRRP_AUTH_LEN : 0);
}

/**
 * Encodes one advert. IPv4: the whole IP datagram (header + VRRP). IPv6: the VRRP message.
 */
export function encodeAdvert(advert: Advert, opts: EncodeOptions): Uint8Array {
  const v4 = opts.family === 'inet';
  const vlen = vrrpMessageLength(advert.version, opts.family, advert.addrs.length);
  const off = v4 ? IPV4_HEADER_LEN : 0;
  const buf = new Uint8Array(off + vlen);
  if (v4) writeIpv4Header(buf, vlen, opts);
  buf[off] = (advert.version << 4) | 1;
  buf[off + 1] = advert.vrid & 0xff;
  buf[off + 2] = advert.priority & 0xff;
  buf[off + 3] = advert.addrs.length & 0xff;
  if (advert.version === 2) {
    buf[off + 4] = advert.authType;
    buf[off + 5] = Math.floor(advert.adverIntervalMs / 1000) & 0xff;
  } else {
    const cs = Math.floor(advert.adverIntervalMs / 10) & 0x0fff;
    buf[off + 4] = cs >> 8;
    buf[off + 5] = cs & 0xff;
  }
  let p = off + VRRP_HEADER_LEN;
  for (const a of advert.addrs) {
    buf.set(a, p);
    p += a.length;
  }
  // RFC 3768 §5.3.10: the trailer is always present in IPv4 v2 (zeros unless PASS).
  if (advert.version === 2 && v4 && advert.authData) buf.set(advert.authData.subarray(0, VRRP_AUTH_LEN), p);
  const sum = vrrpChecksum(buf, off, vlen, advert.version, opts.family, opts.src, opts.pseudoDst ?? opts.dst, opts.checksumAsV2 === true);
  buf[off + 6] = sum >> 8;
  buf[off + 7] = sum & 0xff;
  return buf;
}

function writeIpv4Header(buf: Uint8Array, vlen: number, opts: EncodeOptions): void {
  const total = IPV4_HEADER_LEN + vlen;
  const id = opts.ipId ?? 0;
  buf[0] = 0x45;
  buf[1] = 0xc0; // internetwork control
  buf[2] = total >> 8;
  buf[3] = total & 0xff;
  buf[4] = (id >> 8) & 0xff;
  buf[5] = id & 0xff;
  buf[8] = opts.ttl ?? VRRP_TTL;
  buf[9] = IPPROTO_VRRP;
  buf.set(opts.src, 12);
  buf.set(opts.dst, 16);
  const sum = finishChecksum(sumWords(buf, 0, IPV4_HEADER_LEN, 0));
  buf[10] = sum >> 8;
  buf[11] = sum & 0xff;
}

/** Checksum of the VRRP message at buf[off, off+len) with its checksum field taken as 0. */
function vrrpChecksum(
  buf: Uint8Array, off: number, len: number, version: VrrpVersion, family: Family,
  src: Uint8Array, pseudoDst: Uint8Array, asV2: boolean,
): number {
  let acc = 0;
  // v2 (RFC 3768 §5.3.8): message only. v3 (RFC 5798 §5.2.8): with the pseudo-header,
  // except over IPv4 under v3_checksum_as_v2 (RFC 9568 §5.2.8).
  if (version === 3 && !(asV2 && family === 'inet')) acc = pseudoHeaderSum(src, pseudoDst, IPPROTO_VRRP, len);
  acc = sumWords(buf, off, off + 6, acc);
  acc = sumWords(buf, off + 8, off + len, acc);
  return finishChecksum(acc);
}

// ---------------------------------------------------------------------------------------
// Decoding

export type DecodeReason =
  | 'short' | 'ttl' | 'version' | 'type' | 'checksum' | 'vrid' | 'auth' | 'interval'
  | 'naddr' | 'addr-mismatch' | 'src-not-peer' | 'dst';

export const DECODE_REASONS: readonly DecodeReason[] = [
  'short', 'ttl', 'version', 'type', 'checksum', 'vrid', 'auth', 'interval',
  'naddr', 'addr-mismatch', 'src-not-peer', 'dst',
];

export interface DecodeError {
  readonly reason: DecodeReason;
  /** Constant text for the log line, keepalived's wording where it has one. */
  readonly message: string;
  /** AH: the sequence number accepted before a later check failed (keepalived keeps it). */
  readonly ahSeq?: number;
  /** keepalived drops it without a word or a counter (an AH datagram of another protocol). */
  readonly quiet?: boolean;
  /** an authentication failure's kind, as RFC 2787's vrrpTrapAuthErrorType: invalidAuthType(1), authTypeMismatch(2), authFailure(3) */
  readonly authError?: AuthErrorType;
}

export type AuthErrorType = 1 | 2 | 3;

/** What arrived on the raw socket. */
export interface RxPacket {
  readonly family: Family;
  /** IPv4: the IP datagram (header included); IPv6: the VRRP message only. */
  readonly data: Uint8Array;
  /** IPv6 source (from recvmsg); ignored for IPv4 (taken from the header). */
  readonly src?: Uint8Array;
  /** IPv6 destination (IPV6_PKTINFO); ignored for IPv4. */
  readonly dst?: Uint8Array;
  /** IPv6 hop limit (IPV6_HOPLIMIT); ignored for IPv4. -1 or absent = unknown. */
  readonly hopLimit?: number;
}

export { RxAdvert } from './rx-advert.js';

export interface UnicastPeerCheck {
  readonly address: Uint8Array;
  readonly minTtl: number;
  readonly maxTtl: number;
}

/** The receiving instance's expectations (what `vrrp_check_packet` compares against). */
export interface RxExpect {
  readonly family: Family;
  readonly version: VrrpVersion;
  readonly vrid: number;
  readonly authType: AuthType;
  /** 8 bytes, zero padded: the password (1) or the HMAC key (2). */
  readonly authData: Uint8Array | undefined;
  /** Own advert_int; v2 adverts must carry the same whole seconds. */
  readonly adverIntervalMs: number;
  /** Own VIPs; undefined skips the count/address/peer checks (skip_check_adv_addr). */
  readonly vips: readonly Uint8Array[] | undefined;
  readonly unicast: boolean;
  readonly unicastPeers: readonly UnicastPeerCheck[];
  readonly checkUnicastSrc: boolean;
  readonly checksumAsV2: boolean;
  /** v3 unicast pseudo-header destination: 'new' = the peer address, 'old' = 224.0.0.18,
   * 'auto' = the peer address, falling back to 224.0.0.18 (reported in the result). */
  readonly unicastChecksum: 'new' | 'old' | 'auto';
}

const fail = (reason: DecodeReason, message: string, ahSeq?: number): Result<RxAdvert, DecodeError> =>
  err(ahSeq === undefined ? { reason, message } : { reason, message, ahSeq });
const authFail = (authError: AuthErrorType, message: string): Result<RxAdvert, DecodeError> => err({ reason: 'auth', message, authError });

/** The VRID of a packet, for demultiplexing; undefined when too short to hold one. */
export function peekVrid(pkt: RxPacket): number | undefined {
  const d = pkt.data;
  if (pkt.family === 'inet6') return d.length >= VRRP_HEADER_LEN ? d[1] : undefined;
  if (d.length < IPV4_HEADER_LEN) return undefined;
  const ihl = (d[0]! & 0x0f) * 4;
  const ah = d[9] === IPPROTO_AH ? AH_HEADER_LEN : 0;
  return d.length >= ihl + ah + VRRP_HEADER_LEN ? d[ihl + ah + 1] : undefined;
}

function bytesEqual(a: Uint8Array, ao: number, b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (a[ao + i] !== b[i]) return false;
  return true;
}

/**
 * Decodes and validates one received advert against an instance, in keepalived's order.
 * Pass `expect` = undefined to parse the structure only (length, type, checksum).
 * `lastAhSeq`: auth_type AH, the instance's sequence counter (the advert must be above it).
 */
export function decodeAdvert(pkt: RxPacket, expect?: RxExpect, lastAhSeq = 0): Result<RxAdvert, DecodeError> {
  const v4 = pkt.family === 'inet';
  let d = pkt.data;
  let off = 0;
  let src: Uint8Array | undefined;
  let dst: Uint8Array;
  let ttl: number;
  let ipId: number | undefined;
  let ahSeq: number | undefined;
  const ah = v4 && d.length > 9 && d[9] === IPPROTO_AH;
  if (v4) {
    if (d.length < IPV4_HEADER_LEN) return fail('short', 'IPv4 VRRP packet too short');
    const ihl = (d[0]! & 0x0f) * 4;
    off = ihl + (ah ? AH_HEADER_LEN : 0);
    if (ihl < IPV4_HEADER_LEN || d.length < off + VRRP_HEADER_LEN) return fail('short', ah ? 'IPv4 VRRP packet with AH too short' : 'IPv4 VRRP packet too short');
    if (expect && ah !== (expect.authType === 2)) return authFail(2, ah ? 'Received AH header but auth type not AH' : 'No AH header but auth type is AH');
    const totLen = (d[2]! << 8) | d[3]!;
    if (d.length > totLen && totLen >= off + VRRP_HEADER_LEN) d = d.subarray(0, totLen); // link padding
    dst = d;
    ttl = d[8]!;
    ipId = (d[4]! << 8) | d[5]!;
  } else {
    if (d.length < VRRP_HEADER_LEN) return fail('short', 'IPv6 VRRP packet too short');
    src = pkt.src ?? new Uint8Array(16);
    dst = pkt.dst ?? VRRP_GROUP_INET6;
    ttl = pkt.hopLimit ?? -1;
  }
  const verType = d[off]!;
  const version = verType >> 4;
  const vrid = d[off + 1]!;
  const naddr = d[off + 3]!;
  if (expect && vrid !== expect.vrid) return fail('vrid', 'Unknown VRID');
  // Length is computed from the packet's own version and address count.
  const vlen = VRRP_HEADER_LEN + naddr * (v4 ? 4 : 16) + (version === 2 && v4 ? VRRP_AUTH_LEN : 0);
  if (d.length !== off + vlen) return fail('short', d.length > off + vlen ? 'vrrp packet too long' : 'vrrp packet too short');
  const unicast = expect?.unicast ?? false;
  if (expect && !unicast && ttl !== -1 && ttl !== VRRP_TTL) return fail('ttl', 'invalid TTL/HL');
  if (expect ? version !== expect.version : version !== 2 && version !== 3) return fail('version', 'wrong version');
  const authType = version === 2 ? d[off + 4]! : 0;
  if (version === 2 && expect) {
    if (authType > 2) return authFail(1, 'Invalid auth type');
    if (authType !== expect.authType) return authFail(2, 'received an unexpected auth type');
    if (authType === 1 && v4) {
      const pw = expect.authData ?? new Uint8Array(VRRP_AUTH_LEN);
      let diff = 0; // constant time, like memcmp_constant_time
      for (let i = 0; i < VRRP_AUTH_LEN; i++) diff |= d[d.length - VRRP_AUTH_LEN + i]! ^ (pw[i] ?? 0);
      if (diff !== 0) return authFail(3, 'received an invalid passwd!');
    } else if (authType === 2 && ah) {
      const c = checkAuthHeader(d, expect.authData ?? new Uint8Array(VRRP_AUTH_LEN), unicast, lastAhSeq);
      if (!c.ok) return c.drop ? err({ reason: 'auth', message: c.message, quiet: true }) : authFail(3, c.message);
      ahSeq = c.seq;
    }
    if (d[off + 5]! * 1000 !== expect.adverIntervalMs) return fail('interval', 'advertisement interval mismatch', ahSeq);
  }
  if ((verType & 0x0f) !== 1) return fail('type', 'Invalid packet type', ahSeq);
  const vips = expect?.vips;
  if (vips && naddr !== vips.length) return fail('naddr', 'received an unexpected ip number count', ahSeq);
  // IPv4 total length vs received length: both already equal off + vlen after the trim.
  if (v4 && ((d[2]! << 8) | d[3]!) !== d.length) return fail('short', 'ip_tot_len mismatch against received length', ahSeq);
  const checksum = (d[off + 6]! << 8) | d[off + 7]!;
  let legacyUnicastChecksum = false;
  // keepalived checks IPv4 only (the kernel verifies IPv6); we verify IPv6 when we know src/dst.
  if (v4 || (pkt.src && pkt.dst)) {
    const asV2 = expect?.checksumAsV2 ?? false;
    const mode = unicast ? (expect?.unicastChecksum ?? 'new') : 'new';
    const ver = version as VrrpVersion;
    let calc = rxChecksum(d, off, vlen, ver, src, mode === 'old' && v4 ? VRRP_GROUP_INET : src ? dst : undefined, asV2);
    if (calc !== checksum && version === 3 && v4 && mode === 'auto' && !bytesEqual(d, 16, VRRP_GROUP_INET)) {
      calc = rxChecksum(d, off, vlen, ver, src, VRRP_GROUP_INET, asV2);
      legacyUnicastChecksum = calc === checksum;
    }
    if (calc !== checksum) return fail('checksum', version === 3 ? 'Invalid VRRPv3 checksum' : 'Invalid VRRPv2 checksum', ahSeq);
  }
  if (expect) {
    // IPv6 without IPV6_PKTINFO: the destination is unknown, so this check cannot apply
    const mcast = v4 ? (d[16]! & 0xf0) === 0xe0 : pkt.dst ? dst[0] === 0xff : !unicast;
    if (mcast === unicast) return fail('dst', unicast ? 'Expected unicast packet but received multicast packet' : 'Expected multicast packet but received unicast packet', ahSeq);
  }
  const alen = v4 ? 4 : 16;
  if (vips && expect) {
    for (const vip of vips) {
      let found = false;
      for (let i = 0; i < naddr && !found; i++) found = bytesEqual(d, off + 8 + i * alen, vip);
      if (!found) return fail('addr-mismatch', 'ip address associated with VRID not present in MASTER advert', ahSeq);
    }
    if (unicast && expect.checkUnicastSrc) {
      let peer: UnicastPeerCheck | undefined;
      for (const p of expect.unicastPeers) {
        if (src ? bytesEqual(src, 0, p.address) : bytesEqual(d, 12, p.address)) {
          peer = p;
          break;
        }
      }
      if (!peer) return fail('src-not-peer', 'unicast source address not a unicast peer', ahSeq);
      if (ttl !== -1 && (ttl < peer.minTtl || ttl > peer.maxTtl)) return fail('ttl', 'TTL/HL not in range', ahSeq);
    }
  }
  const adverIntervalMs = version === 2 ? d[off + 5]! * 1000 : (((d[off + 4]! & 0x0f) << 8) | d[off + 5]!) * 10;
  return ok(new RxAdvert(
    d, off, naddr, src, v4 ? undefined : dst, version as VrrpVersion, vrid, d[off + 2]!, adverIntervalMs,
    authType as AuthType, ttl, ipId, checksum, legacyUnicastChecksum, ahSeq,
  ));
}

/** Receive-side checksum; IPv4 addresses are read from the header in place. */
function rxChecksum(
  d: Uint8Array, off: number, len: number, version: VrrpVersion, src6: Uint8Array | undefined,
  pseudoDst: Uint8Array | undefined, asV2: boolean,
): number {
  let acc = 0;
  if (version === 3 && !(asV2 && !src6)) {
    // src6 set = IPv6 (addresses from recvmsg); otherwise IPv4 header bytes 12..19
    acc = src6 ? sumWords(src6, 0, 16, 0) : sumWords(d, 12, 16, 0);
    acc = pseudoDst ? sumWords(pseudoDst, 0, pseudoDst.length, acc) : sumWords(d, 16, 20, acc);
    acc += IPPROTO_VRRP + len;
  }
  acc = sumWords(d, off, off + 6, acc);
  acc = sumWords(d, off + 8, off + len, acc);
  return finishChecksum(acc);
}

/** Rewrites the IPv4 Identification of an encoded advert and fixes the header checksum. */
export function setIpv4Id(datagram: Uint8Array, ipId: number): void {
  datagram[4] = (ipId >> 8) & 0xff;
  datagram[5] = ipId & 0xff;
  datagram[10] = 0;
  datagram[11] = 0;
  const sum = finishChecksum(sumWords(datagram, 0, IPV4_HEADER_LEN, 0));
  datagram[10] = sum >> 8;
  datagram[11] = sum & 0xff;
}

/** Internet checksum of an IPv4 header (for checking captured frames). */
export function ipv4HeaderChecksumOk(d: Uint8Array): boolean {
  const ihl = (d[0]! & 0x0f) * 4;
  return finishChecksum(sumWords(d, 0, ihl, 0)) === 0;
}
