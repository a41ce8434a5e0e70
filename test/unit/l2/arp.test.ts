// Gratuitous ARP: our frames equal keepalived 2.2.7's byte for byte (test/fixtures/l2/).
import { describe, expect, it } from 'vitest';
import { buildGarp, GARP_FRAME_LEN } from '../../../src/l2/index.js';
import { fixture, hex, ip, mac, toHex } from './golden.js';

const arpFrames = fixture.frames.filter((f) => f.hex.slice(24, 28) === '0806');
/** Sender protocol address of an ARP frame (bytes 28..31). */
const spa = (h: string): string => Array.from(hex(h).subarray(28, 32)).join('.');

// Mirrors the IPv4 instances of the capture config: L2_V4 on veth0, L2_VMAC on vrrp.57.
const cases = [
  { name: 'interface MAC, first VIP', mac: '02:00:00:00:00:0a', vip: '10.12.0.71' },
  { name: 'interface MAC, second VIP', mac: '02:00:00:00:00:0a', vip: '10.12.0.171' },
  { name: 'VMAC (use_vmac, VRID 57)', mac: '00:00:5e:00:01:39', vip: '10.12.0.57' },
];

describe('buildGarp against keepalived 2.2.7', () => {
  it('the fixture holds a burst of GARPs for every IPv4 VIP and nothing else', () => {
    expect(fixture.keepalived).toBe('2.2.7');
    for (const c of cases) expect(arpFrames.filter((f) => spa(f.hex) === c.vip).length, c.vip).toBeGreaterThanOrEqual(5);
    expect(new Set(arpFrames.map((f) => spa(f.hex)))).toEqual(new Set(cases.map((c) => c.vip)));
  });

  it.each(cases)('$name: identical bytes', (c) => {
    const ours = toHex(buildGarp(mac(c.mac), ip(c.vip)));
    for (const f of arpFrames.filter((g) => spa(g.hex) === c.vip)) expect(ours).toBe(f.hex);
  });

  it('is a broadcast ARP request with sender IP = target IP = VIP and target MAC broadcast', () => {
    const f = buildGarp(mac('52:54:00:12:34:56'), ip('192.0.2.7'));
    expect(f.length).toBe(GARP_FRAME_LEN);
    expect(toHex(f)).toBe(
      'ffffffffffff' + '525400123456' + '0806' + // Ethernet
      '0001' + '0800' + '06' + '04' + '0001' + // Ethernet/IPv4, request
      '525400123456' + 'c0000207' + 'ffffffffffff' + 'c0000207',
    );
  });

  it('rejects addresses of the wrong size', () => {
    expect(() => buildGarp(new Uint8Array(5), ip('192.0.2.7'))).toThrow(/INTERNAL|6/);
    expect(() => buildGarp(mac('52:54:00:12:34:56'), ip('2001:db8::1'))).toThrow();
  });
});
