// The VRRP process's view of the interfaces and their addresses (src/daemon/links.ts): an
// address is one entry per interface, address and prefix length, whichever way its key is made
// (packed for IPv4 on an interface index below 2^15, a string otherwise), and the addresses
// the netlink parser gives share their bytes' buffers (src/netlink/parse.ts).
import { describe, expect, it } from 'vitest';
import { LinkTable } from '../../../src/daemon/links.js';
import { addrFromMessage } from '../../../src/netlink/parse.js';
import type { AddrInfo, LinkInfo } from '../../../src/netlink/types.js';

const link = (index: number, name: string): LinkInfo => ({ index, name, up: true, running: true, lowerUp: true, mac: new Uint8Array(6), mtu: 1500, flags: 0x41 });
const v4 = (index: number, a: number[], prefixLen: number): AddrInfo => ({ index, family: 'inet', address: new Uint8Array(a), prefixLen, scope: 0, flags: 0 });
const v6 = (index: number, a: number[], prefixLen: number): AddrInfo => ({ index, family: 'inet6', address: new Uint8Array(a), prefixLen, scope: 0, flags: 0 });
const LL = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

describe('LinkTable addresses', () => {
  it('one entry per interface, address and prefix length; a deletion removes only its own', () => {
    const big = 70_000; // an index too large for the packed key
    const t = new LinkTable([link(2, 'eth0'), link(big, 'veth9')], [v4(2, [10, 0, 0, 1], 24), v4(2, [10, 0, 0, 1], 32), v4(big, [10, 0, 0, 1], 24), v6(2, LL, 64)]);
    const count = (index: number): number => t.all().find((l) => l.link.index === index)!.addresses.length;
    expect([count(2), count(big)]).toEqual([3, 1]);
    t.apply({ type: 'addr', addr: v4(2, [10, 0, 0, 1], 32), deleted: false }); // the same again: no new entry
    expect(count(2)).toBe(3);
    t.apply({ type: 'addr', addr: v4(2, [10, 0, 0, 1], 24), deleted: true });
    expect(t.hasAddress(2, new Uint8Array([10, 0, 0, 1]))).toBe(true); // the /32 stays
    t.apply({ type: 'addr', addr: v4(2, [10, 0, 0, 1], 32), deleted: true });
    expect(t.hasAddress(2, new Uint8Array([10, 0, 0, 1]))).toBe(false);
    expect(t.hasAddress(big, new Uint8Array([10, 0, 0, 1]))).toBe(true);
    t.apply({ type: 'addr', addr: v4(big, [10, 0, 0, 1], 24), deleted: true });
    expect(t.isLocal(new Uint8Array([10, 0, 0, 1]))).toBe(false);
    expect(t.primary('eth0', 'inet6')).toEqual(new Uint8Array(LL));
    // the interface going takes its addresses with it
    t.apply({ type: 'link', link: link(2, 'eth0'), deleted: true });
    expect(t.isLocal(new Uint8Array(LL))).toBe(false);
  });

  it('keeps the kernel\'s order per interface: the primary address is the first IPv4 one', () => {
    const t = new LinkTable([link(3, 'eth1')], [v4(3, [192, 168, 1, 9], 24), v4(3, [192, 168, 1, 1], 24)]);
    expect(t.primary('eth1', 'inet')).toEqual(new Uint8Array([192, 168, 1, 9]));
  });

  it('parsed addresses: their bytes on shared buffers, each its own; labels shared', () => {
    const parsed = [1, 2, 3].map((i) => {
      const local = Buffer.from([10, 8, 0, i]);
      const r = addrFromMessage({ kind: 'address', data: { family: 2, index: 5, prefixlen: 32, scope: 0, flags: {} }, attrs: { local, address: Buffer.from([10, 9, 0, i]), broadcast: Buffer.from([10, 8, 0, 255]), label: ['r', 's', '0'].join('') } } as never);
      if (!r.ok) throw new Error(r.reason);
      return r.value;
    });
    expect(parsed.map((a) => [...a.address])).toEqual([[10, 8, 0, 1], [10, 8, 0, 2], [10, 8, 0, 3]]);
    expect(parsed.map((a) => [...a.peer!])).toEqual([[10, 9, 0, 1], [10, 9, 0, 2], [10, 9, 0, 3]]);
    expect(parsed[1]!.address.buffer).toBe(parsed[0]!.address.buffer);
    expect(parsed.every((a) => a.label === 'rs0' && a.address.byteLength === 4)).toBe(true);
    const t = new LinkTable([link(5, 'rs0')], parsed);
    expect(t.isLocal(new Uint8Array([10, 8, 0, 2]))).toBe(true);
    expect(t.isLocal(new Uint8Array([10, 8, 0, 4]))).toBe(false);
  });
});
