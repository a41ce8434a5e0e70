// Decoder reasons and their order (keepalived vrrp_check_packet, reference §d.2), and the
// checksum variants (RFC 3768 §5.3.8, RFC 5798 §5.2.8, RFC 9568 §5.2.8).
import { describe, expect, it } from 'vitest';
import { parseIp } from '../../../src/util/ip.js';
import {
  decodeAdvert, encodeAdvert, peekVrid, VRRP_GROUP_INET, VRRP_GROUP_INET6,
  type Advert, type DecodeReason, type RxExpect, type RxPacket,
} from '../../../src/vrrp/packet.js';

const ip = (s: string): Uint8Array => parseIp(s)!.bytes;
const SRC = ip('10.0.0.9');
const VIP = ip('10.0.51.1');

function v2(extra: Partial<Advert> = {}): Advert {
  return { version: 2, vrid: 51, priority: 100, adverIntervalMs: 1000, addrs: [VIP], authType: 0, authData: new Uint8Array(8), ...extra };
}
function v3(extra: Partial<Advert> = {}): Advert {
  return { version: 3, vrid: 51, priority: 100, adverIntervalMs: 1000, addrs: [VIP], authType: 0, authData: undefined, ...extra };
}
function expect2(extra: Partial<RxExpect> = {}): RxExpect {
  return {
    family: 'inet', version: 2, vrid: 51, authType: 0, authData: new Uint8Array(8), adverIntervalMs: 1000,
    vips: [VIP], unicast: false, unicastPeers: [], checkUnicastSrc: false, checksumAsV2: false, unicastChecksum: 'new', ...extra,
  };
}
const pkt4 = (a: Advert, opts: { dst?: Uint8Array; ttl?: number; asV2?: boolean; pseudoDst?: Uint8Array } = {}): RxPacket => ({
  family: 'inet',
  data: encodeAdvert(a, { family: 'inet', src: SRC, dst: opts.dst ?? VRRP_GROUP_INET, ttl: opts.ttl ?? 255, ipId: 1, checksumAsV2: opts.asV2, pseudoDst: opts.pseudoDst }),
});
function reason(p: RxPacket, e: RxExpect): DecodeReason | 'ok' {
  const r = decodeAdvert(p, e);
  return r.ok ? 'ok' : r.error.reason;
}
function patch(p: RxPacket, at: number, value: number): RxPacket {
  const data = p.data.slice();
  data[at] = value;
  return { ...p, data };
}

describe('decodeAdvert reasons (one per failure)', () => {
  const good = pkt4(v2());
  it.each<[string, RxPacket, Partial<RxExpect>, DecodeReason | 'ok']>([
    ['valid v2', good, {}, 'ok'],
    ['truncated IP header', { family: 'inet', data: good.data.subarray(0, 10) }, {}, 'short'],
    ['one address byte missing', { family: 'inet', data: good.data.subarray(0, good.data.length - 1) }, {}, 'short'],
    ['naddr larger than the payload', patch(good, 23, 2), { vips: undefined }, 'short'],
    ['other VRID', good, { vrid: 52 }, 'vrid'],
    ['multicast TTL 254', pkt4(v2(), { ttl: 254 }), {}, 'ttl'],
    ['unicast TTL is not checked', pkt4(v2(), { ttl: 64, dst: ip('10.0.0.5') }), { unicast: true }, 'ok'],
    ['v3 advert to a v2 instance', pkt4(v3()), {}, 'version'],
    ['v2 auth type 3', patch(good, 24, 3), {}, 'auth'],
    ['PASS expected, none sent', good, { authType: 1, authData: Uint8Array.of(112, 119, 0, 0, 0, 0, 0, 0) }, 'auth'],
    ['AH protocol, too short for an AH', patch(good, 9, 51), {}, 'short'],
    ['v2 interval 2 s vs 1 s', pkt4(v2({ adverIntervalMs: 2000 })), {}, 'interval'],
    ['v3 interval mismatch is accepted', pkt4(v3({ adverIntervalMs: 2000 })), { version: 3 }, 'ok'],
    ['type 2', patch(good, 20, 0x22), {}, 'type'],
    ['two VIPs sent, one expected', pkt4(v2({ addrs: [VIP, ip('10.0.51.2')] })), {}, 'naddr'],
    ['checksum flipped', patch(good, 27, good.data[27]! ^ 1), {}, 'checksum'],
    ['unicast advert to a multicast instance', pkt4(v2(), { dst: ip('10.0.0.5') }), {}, 'dst'],
    ['multicast advert to a unicast instance', good, { unicast: true }, 'dst'],
    ['VIP differs', pkt4(v2({ addrs: [ip('10.0.51.9')] })), {}, 'addr-mismatch'],
    ['address checks skipped', pkt4(v2({ addrs: [ip('10.0.51.9'), VIP] })), { vips: undefined }, 'ok'],
    ['unicast source not a peer', pkt4(v2(), { dst: ip('10.0.0.5') }), { unicast: true, checkUnicastSrc: true, unicastPeers: [{ address: ip('10.0.0.8'), minTtl: 0, maxTtl: 255 }] }, 'src-not-peer'],
    ['unicast peer TTL out of range', pkt4(v2(), { dst: ip('10.0.0.5'), ttl: 60 }), { unicast: true, checkUnicastSrc: true, unicastPeers: [{ address: SRC, minTtl: 64, maxTtl: 255 }] }, 'ttl'],
  ])('%s', (_name, p, e, want) => {
    expect(reason(p, expect2(e))).toBe(want);
  });

  it('says which kind of authentication failure (RFC 2787 vrrpTrapAuthErrorType)', () => {
    const kind = (p: RxPacket, e: RxExpect): number | undefined => {
      const r = decodeAdvert(p, e);
      return r.ok ? undefined : r.error.authError;
    };
    expect(kind(patch(good, 24, 3), expect2())).toBe(1);
    expect(kind(good, expect2({ authType: 1, authData: Uint8Array.of(112, 119, 0, 0, 0, 0, 0, 0) }))).toBe(2);
    expect(kind(patch(good, 9, 51), expect2())).toBeUndefined(); // too short first
    const pass = pkt4(v2({ authType: 1, authData: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) }));
    expect(kind(pass, expect2({ authType: 1, authData: Uint8Array.of(112, 119, 0, 0, 0, 0, 0, 0) }))).toBe(3);
    expect(kind(pkt4(v2(), { ttl: 1 }), expect2())).toBeUndefined();
  });

  it('checks in keepalived order: length, TTL, version, auth, interval, type, count, checksum, dst, addresses', () => {
    let p = pkt4(v3({ adverIntervalMs: 2000, addrs: [ip('1.2.3.4')] }), { ttl: 1, dst: ip('10.0.0.5') });
    p = patch(p, 20, 0x32); // v3, type 2
    const e = expect2({ authType: 1 });
    expect(reason(p, e)).toBe('ttl');
    expect(reason(p, { ...e, unicast: true })).toBe('version');
    expect(reason(patch(p, 20, 0x22), { ...e, unicast: true })).toBe('short'); // as v2 it lacks the auth trailer
    const q = patch(pkt4(v2({ adverIntervalMs: 3000, addrs: [ip('1.2.3.4'), VIP] }), { dst: ip('10.0.0.5') }), 20, 0x22);
    expect(reason(q, e)).toBe('auth');
    expect(reason(q, expect2())).toBe('interval');
    expect(reason(q, expect2({ adverIntervalMs: 3000 }))).toBe('type');
    const r = pkt4(v2({ addrs: [ip('1.2.3.4'), VIP] }), { dst: ip('10.0.0.5') });
    expect(reason(r, expect2())).toBe('naddr');
    expect(reason(patch(r, 27, 0), expect2({ vips: [VIP, VIP] }))).toBe('checksum');
    expect(reason(r, expect2({ vips: [VIP, VIP] }))).toBe('dst');
    expect(reason(r, expect2({ vips: [VIP, ip('9.9.9.9')], unicast: true }))).toBe('addr-mismatch');
  });

  it('never throws on any prefix or bit flip of a valid packet', () => {
    for (let n = 0; n <= good.data.length; n++) decodeAdvert({ family: 'inet', data: good.data.subarray(0, n) }, expect2());
    for (let i = 0; i < good.data.length * 8; i++) decodeAdvert(patch(good, i >> 3, good.data[i >> 3]! ^ (1 << (i & 7))), expect2());
    expect(peekVrid({ family: 'inet', data: new Uint8Array(3) })).toBeUndefined();
  });

  it('tolerates Ethernet padding after the IP datagram', () => {
    const padded = new Uint8Array(46);
    padded.set(good.data);
    expect(reason({ family: 'inet', data: padded }, expect2())).toBe('ok');
  });
});

describe('checksums', () => {
  it('v3 IPv4 includes the pseudo-header by default and omits it with v3_checksum_as_v2', () => {
    const e = expect2({ version: 3 });
    const std = pkt4(v3());
    const asV2 = pkt4(v3(), { asV2: true });
    expect(std.data.subarray(26, 28)).not.toEqual(asV2.data.subarray(26, 28));
    expect(reason(std, e)).toBe('ok');
    expect(reason(asV2, e)).toBe('checksum');
    expect(reason(asV2, { ...e, checksumAsV2: true })).toBe('ok');
  });

  it('v3 unicast: the peer address in the pseudo-header; the pre-1.3.6 group address is auto-detected', () => {
    const dst = ip('10.0.0.5');
    const e = expect2({ version: 3, unicast: true });
    const oldStyle = pkt4(v3(), { dst, pseudoDst: VRRP_GROUP_INET });
    expect(reason(pkt4(v3(), { dst }), e)).toBe('ok');
    expect(reason(oldStyle, e)).toBe('checksum');
    const auto = decodeAdvert(oldStyle, { ...e, unicastChecksum: 'auto' });
    expect(auto.ok && auto.value.legacyUnicastChecksum).toBe(true);
    expect(reason(oldStyle, { ...e, unicastChecksum: 'old' })).toBe('ok');
  });

  it('IPv6: verified with the pseudo-header when source and destination are known', () => {
    const a = v3({ addrs: [ip('fe80::51')] });
    const src = ip('fe80::9');
    const data = encodeAdvert(a, { family: 'inet6', src, dst: VRRP_GROUP_INET6 });
    const e = expect2({ family: 'inet6', version: 3, vips: [ip('fe80::51')] });
    expect(reason({ family: 'inet6', data, src, dst: VRRP_GROUP_INET6, hopLimit: 255 }, e)).toBe('ok');
    expect(reason({ family: 'inet6', data, src: ip('fe80::8'), dst: VRRP_GROUP_INET6, hopLimit: 255 }, e)).toBe('checksum');
    expect(reason({ family: 'inet6', data, src, dst: VRRP_GROUP_INET6, hopLimit: 1 }, e)).toBe('ttl');
  });
});
