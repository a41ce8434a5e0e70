// Unsolicited NA: our frames equal keepalived 2.2.7's byte for byte (test/fixtures/l2/).
import { describe, expect, it } from 'vitest';
import { buildUnsolicitedNa, UNSOLICITED_NA_FRAME_LEN } from '../../../src/l2/index.js';
import { formatIp } from '../../../src/util/ip.js';
import { fixture, hex, ip, mac, toHex } from './golden.js';

const naFrames = fixture.frames.filter((f) => f.hex.slice(24, 28) === '86dd');
/** ICMPv6 target address of an NA frame. */
const target = (h: string): string => formatIp(hex(h).subarray(62, 78));

// Mirrors the IPv6 instances of the capture config: L2_V6 on veth0 (forwarding 0),
// L2_V6R on veth2 (forwarding 1).
const cases = [
  { name: 'link-local VIP, no forwarding', mac: '02:00:00:00:00:0a', vip: 'fe80::72', router: false },
  { name: 'global VIP, no forwarding', mac: '02:00:00:00:00:0a', vip: '2001:db8:12::72', router: false },
  { name: 'global VIP, forwarding on (Router flag)', mac: '02:00:00:00:00:2a', vip: '2001:db8:12:2::73', router: true },
];

/** RFC 1071 sum over the IPv6 pseudo-header and the ICMPv6 message of a frame; 0xffff when valid. */
function icmp6Sum(f: Uint8Array): number {
  const words: number[] = [];
  const push = (b: Uint8Array): void => { for (let i = 0; i < b.length; i += 2) words.push((b[i]! << 8) | (b[i + 1] ?? 0)); };
  const msg = f.subarray(54);
  push(f.subarray(22, 54)); // source + destination
  push(Uint8Array.of(0, 0, msg.length >> 8, msg.length & 0xff, 0, 0, 0, 58));
  push(msg);
  let s = words.reduce((a, b) => a + b, 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

describe('buildUnsolicitedNa against keepalived 2.2.7', () => {
  it('the fixture holds a burst of NAs for every IPv6 VIP and nothing else', () => {
    for (const c of cases) expect(naFrames.filter((f) => target(f.hex) === c.vip).length, c.vip).toBeGreaterThanOrEqual(5);
    expect(new Set(naFrames.map((f) => target(f.hex)))).toEqual(new Set(cases.map((c) => c.vip)));
  });

  it.each(cases)('$name: identical bytes', (c) => {
    const ours = toHex(buildUnsolicitedNa(mac(c.mac), ip(c.vip), c.router));
    for (const f of naFrames.filter((g) => target(g.hex) === c.vip)) expect(ours).toBe(f.hex);
  });

  it('goes from the VIP to ff02::1 with hop limit 255, Override, and the TLLA option', () => {
    const vip = ip('2001:db8::5');
    const m = mac('52:54:00:12:34:56');
    const f = buildUnsolicitedNa(m, vip, false);
    expect(f.length).toBe(UNSOLICITED_NA_FRAME_LEN);
    expect(toHex(f.subarray(0, 14))).toBe('333300000001' + '525400123456' + '86dd');
    expect(toHex(f.subarray(14, 22))).toBe('60000000' + '0020' + '3a' + 'ff');
    expect(formatIp(f.subarray(22, 38))).toBe('2001:db8::5');
    expect(formatIp(f.subarray(38, 54))).toBe('ff02::1');
    expect(f[54]).toBe(136);
    expect(f[55]).toBe(0);
    expect(toHex(f.subarray(58, 62))).toBe('20000000');
    expect(f.subarray(62, 78)).toEqual(vip);
    expect(toHex(f.subarray(78))).toBe('0201' + '525400123456');
    expect(icmp6Sum(f)).toBe(0xffff);
  });

  it('the Router flag changes only the flags and the checksum, which stays valid', () => {
    const a = buildUnsolicitedNa(mac('52:54:00:12:34:56'), ip('fe80::1'), false);
    const b = buildUnsolicitedNa(mac('52:54:00:12:34:56'), ip('fe80::1'), true);
    expect(b[58]).toBe(0xa0);
    const diff = [...a.keys()].filter((i) => a[i] !== b[i]);
    expect(diff.every((i) => i === 56 || i === 57 || i === 58)).toBe(true);
    expect(icmp6Sum(a)).toBe(0xffff);
    expect(icmp6Sum(b)).toBe(0xffff);
  });

  it('rejects addresses of the wrong size', () => {
    expect(() => buildUnsolicitedNa(new Uint8Array(8), ip('fe80::1'), false)).toThrow();
    expect(() => buildUnsolicitedNa(mac('52:54:00:12:34:56'), ip('192.0.2.1'), false)).toThrow();
  });
});
