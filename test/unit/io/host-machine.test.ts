// The machine view's VRF test (src/io/host-machine.ts isVrfSysfs): sysfs names no link kind, so
// a VRF device is known by what the vrf driver sets (test/uml/vrf-routes.test.ts reads these
// files of a real VRF, dummy and veth).
import { describe, expect, it } from 'vitest';
import { isVrfSysfs } from '../../../src/io/host-machine.js';

describe('isVrfSysfs', () => {
  it.each([
    ['a VRF (Ethernet type, IFF_MASTER | IFF_NOARP, up)', '1\n', '0x1481\n', false, true],
    ['a VRF, down', '1\n', '0x480\n', false, true],
    ['a bond with ARP turned off', '1\n', '0x1483\n', true, false],
    ['a bond', '1\n', '0x1403\n', true, false],
    ['a dummy (IFF_NOARP only)', '1\n', '0x83\n', false, false],
    ['a veth', '1\n', '0x1003\n', false, false],
    ['eql (a master of another type)', '8\n', '0x480\n', false, false],
  ])('%s', (_what, type, flags, bonding, want) => {
    expect(isVrfSysfs(type, flags, bonding)).toBe(want);
  });
});
