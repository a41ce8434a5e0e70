/**
 * VRRPv2 `auth_type AH` as keepalived 2.2.7 sends and checks it (RFC 2402 header, RFC 2403
 * HMAC-MD5-96): an IPv4 datagram of protocol 51 whose Authentication Header carries
 * next header 112, payload length 4 (96-bit ICV), SPI = the sender's IPv4 source address,
 * a sequence number and the first 12 bytes of HMAC-MD5 keyed with the 8-byte auth_pass.
 *
 * The ICV covers the IP header with its mutable fields zeroed (TOS, fragment, header
 * checksum, and the TTL only when the instance is unicast), the AH with a zero ICV, and the
 * VRRP message. keepalived counts sequence numbers per instance for both directions: a
 * received advert must carry a number above the last one seen or sent (instance.ts keeps it).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { finishChecksum, sumWords } from './checksum.js';

export const IPPROTO_AH = 51;
/** next header, payload length, reserved, SPI, sequence number, 96-bit ICV */
export const AH_HEADER_LEN = 24;
/** Payload Len: the AH in 32-bit words minus 2 (RFC 2402 §2.2) */
const AH_PAYLOAD_LEN = 4;
const ICV_LEN = 12;
const ICV_OFF = 12;
/** keepalived flags a counter past this as cycled (vrrp_update_pkt) */
export const AH_SEQ_LIMIT = 0xfffffffd;

/**
 * Inserts an Authentication Header after the IP header of an encoded IPv4 advert
 * (protocol 112, 20-byte header): protocol 51, total length + 24, SPI = source address.
 * Sequence number and ICV are left zero for `sealAuthHeader`.
 */
export function insertAuthHeader(datagram: Uint8Array, protocolInside: number): Uint8Array {
  const ihl = (datagram[0]! & 0x0f) * 4;
  const out = new Uint8Array(datagram.length + AH_HEADER_LEN);
  out.set(datagram.subarray(0, ihl), 0);
  out.set(datagram.subarray(ihl), ihl + AH_HEADER_LEN);
  const total = out.length;
  out[2] = total >> 8;
  out[3] = total & 0xff;
  out[9] = IPPROTO_AH;
  out[ihl] = protocolInside;
  out[ihl + 1] = AH_PAYLOAD_LEN;
  out.set(datagram.subarray(12, 16), ihl + 4); // SPI: the source address, as keepalived picks it
  writeHeaderChecksum(out, ihl);
  return out;
}

/** Writes the sequence number and the ICV into a datagram made by `insertAuthHeader`. */
export function sealAuthHeader(datagram: Uint8Array, key: Uint8Array, seq: number, unicast: boolean): void {
  const ihl = (datagram[0]! & 0x0f) * 4;
  const ah = ihl;
  writeU32(datagram, ah + 8, seq);
  datagram.fill(0, ah + ICV_OFF, ah + ICV_OFF + ICV_LEN);
  datagram.set(icv(datagram, ihl, key, unicast), ah + ICV_OFF);
  writeHeaderChecksum(datagram, ihl);
}

export type AhCheck =
  | { readonly ok: true; readonly seq: number }
  | { readonly ok: false; readonly drop: boolean; readonly message: string; readonly seq?: number };

/**
 * keepalived's checks of a received AH datagram (vrrp_check_packet / vrrp_in_chk_ipsecah),
 * in its order: another protocol inside (dropped quietly), the ICV, the SPI, then a sequence
 * number above `lastSeq`. The caller has checked that the headers are all there.
 */
export function checkAuthHeader(d: Uint8Array, key: Uint8Array, unicast: boolean, lastSeq: number): AhCheck {
  const ihl = (d[0]! & 0x0f) * 4;
  if (d[ihl] !== 112) return { ok: false, drop: true, message: 'AH header for another protocol' };
  const want = icv(d, ihl, key, unicast);
  if (!timingSafeEqual(want, d.subarray(ihl + ICV_OFF, ihl + ICV_OFF + ICV_LEN))) {
    return { ok: false, drop: false, message: 'IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !' };
  }
  for (let i = 0; i < 4; i++) {
    if (d[ihl + 4 + i] !== d[12 + i]) return { ok: false, drop: false, message: 'IPSEC AH : invalid IPSEC SPI value' };
  }
  const seq = readU32(d, ihl + 8);
  if (seq <= lastSeq) return { ok: false, drop: false, message: 'IPSEC-AH : sequence number already processed. Packet dropped.' };
  return { ok: true, seq };
}

/** The 96-bit ICV of a datagram: mutable IP fields and the ICV field taken as zero. */
function icv(d: Uint8Array, ihl: number, key: Uint8Array, unicast: boolean): Uint8Array {
  // a copy (a Buffer's own slice() would be a view, and the zeroing would change the datagram)
  const head = Uint8Array.from(d.subarray(0, ihl + AH_HEADER_LEN));
  head[1] = 0; // TOS
  head[6] = head[7] = 0; // flags + fragment offset
  head[10] = head[11] = 0; // header checksum
  if (unicast) head[8] = 0; // TTL (keepalived treats it as mutable for unicast only)
  head.fill(0, ihl + ICV_OFF, ihl + ICV_OFF + ICV_LEN);
  const mac = createHmac('md5', key).update(head).update(d.subarray(ihl + AH_HEADER_LEN)).digest();
  return new Uint8Array(mac.buffer, mac.byteOffset, ICV_LEN);
}

function writeHeaderChecksum(d: Uint8Array, ihl: number): void {
  d[10] = d[11] = 0;
  const sum = finishChecksum(sumWords(d, 0, ihl, 0));
  d[10] = sum >> 8;
  d[11] = sum & 0xff;
}

function writeU32(d: Uint8Array, off: number, v: number): void {
  d[off] = (v >>> 24) & 0xff;
  d[off + 1] = (v >>> 16) & 0xff;
  d[off + 2] = (v >>> 8) & 0xff;
  d[off + 3] = v & 0xff;
}

function readU32(d: Uint8Array, off: number): number {
  return ((d[off]! << 24) | (d[off + 1]! << 16) | (d[off + 2]! << 8) | d[off + 3]!) >>> 0;
}

/**
 * An instance's AH sequence counter, shared by what it sends and what it accepts, with
 * keepalived's rules: each advert sent takes the next number; a valid received advert
 * moves the counter to its number; a MASTER that hears a lower priority goes above that
 * router's number; a counter past 0xFFFFFFFD stops counting ("cycled") and starts again
 * from 0 when the instance next becomes MASTER.
 */
export class AhSequence {
  seq = 0;
  cycled = false;

  /** The number for the next advert (keepalived vrrp_update_pkt). */
  next(): number {
    if (this.seq > AH_SEQ_LIMIT) this.cycled = true;
    else this.seq++;
    return this.seq;
  }

  /** A received advert passed the AH checks with this number. */
  accepted(seq: number, backup: boolean): void {
    this.seq = seq;
    if (backup) this.cycled = false;
  }

  /** vrrp_state_goto_master: a cycled counter starts again. */
  becomingMaster(): void {
    if (!this.cycled) return;
    this.cycled = false;
    this.seq = 0;
  }

  /** A MASTER heard a lower priority advert with this number: count on from above it. */
  syncAbove(seq: number): void {
    this.seq = (seq + 1) >>> 0;
    this.cycled = false;
  }
}
