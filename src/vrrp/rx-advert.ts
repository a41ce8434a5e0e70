/**
 * The decoded form of a received advert: a view over the receive buffer whose address
 * fields are materialised on first use, so validating and handling an advert allocates little.
 */
import type { Advert, AuthType, VrrpVersion } from './packet.js';

const VRRP_AUTH_LEN = 8;

/**
 * A decoded advert plus what the IP layer said about it. A view over the received buffer:
 * the address fields are materialised on first use, so the hot path allocates little.
 */
export class RxAdvert implements Advert {
  readonly version: VrrpVersion;
  readonly vrid: number;
  readonly priority: number;
  readonly adverIntervalMs: number;
  readonly authType: AuthType;
  /** TTL / hop limit, -1 when unknown. */
  readonly ttl: number;
  readonly ipId: number | undefined;
  readonly checksum: number;
  /** v3 unicast advert whose checksum used 224.0.0.18 in the pseudo-header (pre-1.3.6). */
  readonly legacyUnicastChecksum: boolean;
  /** auth_type AH: the Authentication Header's sequence number. */
  readonly ahSeq: number | undefined;
  private readonly d: Uint8Array;
  private readonly off: number;
  private readonly naddr: number;
  private readonly src6: Uint8Array | undefined;
  private readonly dst6: Uint8Array | undefined;
  private srcView: Uint8Array | undefined;

  constructor(
    d: Uint8Array, off: number, naddr: number, src6: Uint8Array | undefined, dst6: Uint8Array | undefined,
    version: VrrpVersion, vrid: number, priority: number, adverIntervalMs: number, authType: AuthType,
    ttl: number, ipId: number | undefined, checksum: number, legacyUnicastChecksum: boolean, ahSeq?: number,
  ) {
    this.d = d;
    this.off = off;
    this.naddr = naddr;
    this.src6 = src6;
    this.dst6 = dst6;
    this.version = version;
    this.vrid = vrid;
    this.priority = priority;
    this.adverIntervalMs = adverIntervalMs;
    this.authType = authType;
    this.ttl = ttl;
    this.ipId = ipId;
    this.checksum = checksum;
    this.legacyUnicastChecksum = legacyUnicastChecksum;
    this.ahSeq = ahSeq;
    this.srcView = undefined;
  }

  get src(): Uint8Array {
    this.srcView ??= this.src6 ?? this.d.subarray(12, 16);
    return this.srcView;
  }

  get dst(): Uint8Array {
    return this.dst6 ?? this.d.subarray(16, 20);
  }

  get addrs(): readonly Uint8Array[] {
    const alen = this.src6 ? 16 : 4;
    const out: Uint8Array[] = [];
    for (let i = 0; i < this.naddr; i++) out.push(this.d.subarray(this.off + 8 + i * alen, this.off + 8 + (i + 1) * alen));
    return out;
  }

  /** v2 IPv4: the 8-byte trailer; undefined otherwise. */
  get authData(): Uint8Array | undefined {
    return this.version === 2 && !this.src6 ? this.d.subarray(this.d.length - VRRP_AUTH_LEN) : undefined;
  }

  /** Numeric comparison of the source address with `other` (<0, 0, >0), allocation free. */
  compareSrc(other: Uint8Array): number {
    const s = this.src6 ?? this.d;
    const o = this.src6 ? 0 : 12;
    for (let i = 0; i < other.length; i++) if (s[o + i] !== other[i]) return s[o + i]! - other[i]!;
    return 0;
  }

  /** Copies the source address into `out` (same length), allocation free. */
  copySrc(out: Uint8Array): void {
    const s = this.src6 ?? this.d;
    const o = this.src6 ? 0 : 12;
    for (let i = 0; i < out.length; i++) out[i] = s[o + i]!;
  }
}
