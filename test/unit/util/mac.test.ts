// use_vmac's MAC as keepalived 2.2.7 reads it (src/util/mac.ts): the cases its -t was run on
// (test/fixtures/config/bad/160-vmac-mac-invalid.conf) and the edges of its octet loop.
import { describe, expect, it } from 'vitest';
import { parseVmacMac } from '../../../src/util/mac.js';

describe('parseVmacMac', () => {
  it.each([
    ['02:11:22:33:44:55', [2, 0x11, 0x22, 0x33, 0x44, 0x55], false],
    ['2:a:b:c:d:e', [2, 10, 11, 12, 13, 14], false],
    ['02:11:22:33:44', [2, 0x11, 0x22, 0x33, 0x44], true],
    ['02:11:22:33:44:', [2, 0x11, 0x22, 0x33, 0x44], true],
    ['02:11:22:33:44:55:', [2, 0x11, 0x22, 0x33, 0x44, 0x55], false],
    ['02:11:22:33:44:55:66:77', [2, 0x11, 0x22, 0x33, 0x44, 0x55], false],
    ['00:00:5e:00:03:01', [0, 0, 0x5e, 0, 3, 1], false],
  ])('%s is read', (text, octets, useVrid) => {
    expect(parseVmacMac(text)).toEqual({ ok: true, octets, useVrid });
  });

  it.each([
    ['02:11:zz:33:44:55', 'VMAC invalid MAC address 02:11:zz:33:44:55'],
    ['02:112:22:33:44:55', 'VMAC invalid MAC address 02:112:22:33:44:55 - ignored'],
    ['02:11:22:33', 'VMAC invalid MAC address 02:11:22:33 - ignored'],
    ['02:11:22:33:', 'VMAC invalid MAC address 02:11:22:33: - ignored'],
    ['02::22:33:44:55', 'VMAC invalid MAC address 02::22:33:44:55 - ignored'],
    [':', 'VMAC invalid MAC address : - ignored'],
    ['03:11:22:33:44:55', 'VMAC MAC address is multicast 03:11:22:33:44:55 - ignoring'],
    ['00:00:5e:00:01:07', 'VMAC MAC address not allowed to be RFC5798 address (00:00:5e:00:01:07) - ignoring'],
    ['00:00:5E:00:02', 'VMAC MAC address not allowed to be RFC5798 address (00:00:5E:00:02) - ignoring'],
  ])('%s is refused', (text, error) => {
    expect(parseVmacMac(text)).toEqual({ ok: false, error });
  });
});
