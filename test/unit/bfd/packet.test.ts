// The BFD control packet codec (RFC 5880 §4.1) and its reception checks (§6.8.6 plus
// keepalived's bfd_check_packet), one reason per failure; the TTL helper (RFC 5881 §5).
import { describe, expect, it } from 'vitest';
import {
  BFD_STATES, DECODE_REASONS, decodeControl, defaultTtl, encodeControl, ttlAcceptable,
  type ControlPacket, type DecodeReason,
} from '../../../src/bfd/packet.js';

const base: ControlPacket = {
  diag: 0, state: 'Up', poll: false, final: false, controlPlaneIndependent: false, demand: false,
  detectMult: 5, myDiscriminator: 0x11223344, yourDiscriminator: 0x55667788,
  desiredMinTxIntervalUs: 10_000, requiredMinRxIntervalUs: 1_000_000, requiredMinEchoRxIntervalUs: 0,
};
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function reason(data: Uint8Array): DecodeReason | 'ok' {
  const r = decodeControl(data);
  return r.ok ? 'ok' : r.error.reason;
}
/** a copy of `data` with byte `at` replaced */
function patch(data: Uint8Array, at: number, value: number): Uint8Array {
  const d = data.slice();
  d[at] = value;
  return d;
}

describe('encodeControl golden bytes (RFC 5880 §4.1 layout)', () => {
  it('Up with Poll, mult 5, 10 ms / 1 s', () => {
    // Vers 1 Diag 0 -> 0x20; Sta 3 P 1 -> 0b11_1_0_0_0_0_0 = 0xe0; Detect Mult 5; Length 24
    expect(hex(encodeControl({ ...base, poll: true }))).toBe(
      '20e00518' + '11223344' + '55667788' + '00002710' + '000f4240' + '00000000',
    );
  });

  it('Down with diag 1 and your discriminator 0, Final, Demand and C bits', () => {
    const p: ControlPacket = { ...base, diag: 1, state: 'Down', final: true, demand: true, controlPlaneIndependent: true, yourDiscriminator: 0, detectMult: 3 };
    // Vers 1 Diag 1 -> 0x21; Sta 1 F C D -> 0b01_0_1_1_0_1_0 = 0x5a
    expect(hex(encodeControl(p))).toBe('215a0318' + '11223344' + '00000000' + '00002710' + '000f4240' + '00000000');
  });

  it('AdminDown with diag 7 and an echo interval', () => {
    const p: ControlPacket = { ...base, diag: 7, state: 'AdminDown', requiredMinEchoRxIntervalUs: 50_000 };
    expect(hex(encodeControl(p))).toBe('27000518' + '11223344' + '55667788' + '00002710' + '000f4240' + '0000c350');
  });
});

describe('round trips', () => {
  it.each(BFD_STATES.map((s) => [s]))('state %s', (state) => {
    const p: ControlPacket = { ...base, state, diag: 8, yourDiscriminator: state === 'Init' || state === 'Up' ? 7 : 0, final: true };
    expect(decodeControl(encodeControl(p))).toEqual({ ok: true, value: p });
  });

  it('every flag and the largest values', () => {
    const p: ControlPacket = {
      ...base, poll: true, demand: true, controlPlaneIndependent: true, detectMult: 255,
      myDiscriminator: 0xffffffff, yourDiscriminator: 0xfffffffe,
      desiredMinTxIntervalUs: 0xffffffff, requiredMinRxIntervalUs: 0, requiredMinEchoRxIntervalUs: 0x80000000,
    };
    expect(decodeControl(encodeControl(p))).toEqual({ ok: true, value: p });
  });

  it('decodes from a view into a larger buffer', () => {
    const big = new Uint8Array(40);
    big.set(encodeControl(base), 8);
    expect(decodeControl(big.subarray(8, 32))).toEqual({ ok: true, value: base });
  });
});

describe('decodeControl reasons (one per failure)', () => {
  const good = encodeControl(base);
  const withAuth = patch(patch(good, 1, good[1]! | 0x04), 3, 26);
  it.each<[string, Uint8Array, DecodeReason | 'ok']>([
    ['valid', good, 'ok'],
    ['empty payload', new Uint8Array(0), 'short'],
    ['version 0', patch(good, 0, 0x00), 'version'],
    ['version 2', patch(good, 0, 0x40), 'version'],
    ['version checked before size (RFC order)', Uint8Array.of(0x40, 0xc0), 'version'],
    ['23 bytes', good.subarray(0, 23), 'short'],
    ['Length 23', patch(good, 3, 23), 'length'],
    ['Length 24 with the A bit (26 needed)', patch(good, 1, good[1]! | 0x04), 'length'],
    ['Length 28 on a 24-byte payload', patch(good, 3, 28), 'short'],
    ['payload longer than Length (keepalived)', Uint8Array.from([...good, 0, 0, 0, 0]), 'length'],
    ['Detect Mult 0', patch(good, 2, 0), 'detect-mult'],
    ['Multipoint', patch(good, 1, good[1]! | 0x01), 'multipoint'],
    ['My Discriminator 0', encodeControl({ ...base, myDiscriminator: 0 }), 'my-discriminator'],
    ['Your Discriminator 0 in Up', encodeControl({ ...base, yourDiscriminator: 0 }), 'your-discriminator'],
    ['Your Discriminator 0 in Init', encodeControl({ ...base, state: 'Init', yourDiscriminator: 0 }), 'your-discriminator'],
    ['Your Discriminator 0 in Down is fine', encodeControl({ ...base, state: 'Down', yourDiscriminator: 0 }), 'ok'],
    ['Your Discriminator 0 in AdminDown is fine', encodeControl({ ...base, state: 'AdminDown', yourDiscriminator: 0 }), 'ok'],
    ['Poll and Final (keepalived)', encodeControl({ ...base, poll: true, final: true }), 'poll-and-final'],
    ['Diagnostic 9 (keepalived)', patch(good, 0, 0x29), 'diag'],
    ['Diagnostic 31 (keepalived)', patch(good, 0, 0x3f), 'diag'],
    ['authentication present', Uint8Array.from([...withAuth, 1, 2]), 'auth'],
  ])('%s', (_name, data, want) => {
    expect(reason(data)).toBe(want);
  });

  it('checks in the documented order', () => {
    // each packet fails one check and every later one; the earliest must be reported
    let d = encodeControl({ ...base, poll: true, final: true, yourDiscriminator: 0, myDiscriminator: 0 });
    d = patch(patch(patch(d, 0, 0x3f), 1, d[1]! | 0x05), 2, 0);
    const seen: DecodeReason[] = [];
    seen.push(reason(d) as DecodeReason); // A set with Length 24
    d = patch(d, 3, 26);
    d = Uint8Array.from([...d, 0, 0]);
    for (const fix of [
      (x: Uint8Array) => patch(x, 2, 5), // detect mult
      (x: Uint8Array) => patch(x, 1, x[1]! & ~0x01), // multipoint
      (x: Uint8Array) => patch(x, 7, 1), // my discriminator
      (x: Uint8Array) => patch(x, 11, 1), // your discriminator
      (x: Uint8Array) => patch(x, 1, x[1]! & ~0x10), // final
      (x: Uint8Array) => patch(x, 0, 0x20), // diag
    ]) {
      seen.push(reason(d) as DecodeReason);
      d = fix(d);
    }
    seen.push(reason(d) as DecodeReason);
    expect(seen).toEqual(['length', 'detect-mult', 'multipoint', 'my-discriminator', 'your-discriminator', 'poll-and-final', 'diag', 'auth']);
    expect(DECODE_REASONS.filter((r) => r !== 'short' && r !== 'version')).toEqual(seen.filter((r, i) => seen.indexOf(r) === i));
  });

  it('never throws on random bytes', () => {
    let x = 12345;
    for (let n = 0; n < 2000; n++) {
      const len = n % 40;
      const d = new Uint8Array(len);
      for (let i = 0; i < len; i++) d[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
      if (len > 0 && n % 2 === 0) d[0] = (d[0]! & 0x1f) | 0x20;
      if (len > 3 && n % 4 === 0) d[3] = len;
      const r = decodeControl(d);
      if (!r.ok) expect(DECODE_REASONS).toContain(r.error.reason);
    }
  });
});

describe('TTL / Hop Limit (keepalived bfd_check_packet_ttl)', () => {
  it('defaults: 255 for IPv4, 64 for IPv6', () => {
    expect(defaultTtl('inet')).toBe(255);
    expect(defaultTtl('inet6')).toBe(64);
  });

  it.each<[number | undefined, number, number, boolean]>([
    [255, 255, 0, true], // single hop: RFC 5881 §5
    [254, 255, 0, false],
    [1, 255, 0, false],
    [254, 255, 1, true], // max_hops widens the window
    [253, 255, 1, false],
    [64, 64, 0, true], // IPv6 with keepalived's hop limit
    [63, 64, 0, false],
    [1, 255, 255, true], // max_hops -1 as keepalived stores it
    [1, 255, -1, true],
    [undefined, 255, 0, true], // no ancillary data: keepalived warns and accepts
    [0, 255, 0, true],
  ])('received %s, ttl %s, max_hops %s -> %s', (rx, ttl, maxHops, ok) => {
    expect(ttlAcceptable(rx, ttl, maxHops)).toBe(ok);
  });
});
