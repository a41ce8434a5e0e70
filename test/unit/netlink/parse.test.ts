// Kernel link/address messages -> LinkInfo / AddrInfo / RtnlEvent. Messages are encoded with the
// `netlink` package and parsed back by it, so the objects have exactly the shape the watch sees.
import { AttrStream, ifla, rt } from 'netlink';
import { describe, expect, it } from 'vitest';
import { attr, attrs, parseAttrs, readString, readU32, u32 } from '../../../src/netlink/attrs.js';
import {
  IFA_F_NODAD, IFA_F_PERMANENT, IFA_F_SECONDARY, IFF_LOWER_UP, IFF_RUNNING, IFF_UP, RTM_DELADDR, RTM_DELLINK,
  RTM_NEWADDR, RTM_NEWLINK,
} from '../../../src/netlink/constants.js';
import { addrFromMessage, eventFromMessage, linkFromMessage } from '../../../src/netlink/parse.js';
import { macvlanRequest } from '../../../src/netlink/vmac.js';

function bytesOf(bufs: Uint8Array[]): Buffer {
  return Buffer.concat(bufs);
}

function linkMessage(data: rt.Link, a: ifla.LinkAttrs): rt.LinkMessage {
  const s = new AttrStream();
  rt.formatLinkMessage({ kind: 'link', data, attrs: a }, s);
  return rt.parseMessage(RTM_NEWLINK, bytesOf(s.bufs)) as rt.LinkMessage;
}

function addrMessage(data: rt.Address, a: rt.AddressAttrs): rt.AddressMessage {
  const s = new AttrStream();
  rt.formatAddressMessage({ kind: 'address', data, attrs: a }, s);
  return rt.parseMessage(RTM_NEWADDR, bytesOf(s.bufs)) as rt.AddressMessage;
}

const mac = Buffer.from([0x02, 0, 0, 0, 0, 1]);

describe('linkFromMessage', () => {
  it('a plain up link, with its ARPHRD type and broadcast address (keepalived.data shows both)', () => {
    const brd = Buffer.from('ffffffffffff', 'hex');
    const r = linkFromMessage(linkMessage(
      { index: 3, type: 'ETHER', flags: { up: true, running: true, lowerUp: true, broadcast: true } },
      { ifname: 'eth0', mtu: 1500, address: mac, broadcast: brd, operstate: 6 },
    ));
    expect(r).toEqual({
      ok: true,
      value: {
        index: 3, name: 'eth0', up: true, running: true, lowerUp: true, operstate: 6, mac: new Uint8Array(mac), mtu: 1500,
        flags: IFF_UP | IFF_RUNNING | IFF_LOWER_UP | 0x2, hwType: 1, broadcast: new Uint8Array(brd),
      },
    });
  });

  it.each<[rt.DeviceFlags, boolean, boolean]>([
    [{ up: true }, true, false],
    [{ up: true, running: true }, true, true],
    [{}, false, false],
  ])('flags %j: up %s, running %s', (flags, up, running) => {
    const r = linkFromMessage(linkMessage({ index: 3, flags }, { ifname: 'eth0' }));
    expect(r.ok && [r.value.up, r.value.running]).toEqual([up, running]);
  });

  it('a macvlan: kind, parent, mode', () => {
    const req = macvlanRequest(3, 'vrrp.51', Uint8Array.from([0, 0, 0x5e, 0, 1, 51]));
    const r = linkFromMessage(linkMessage({ index: 9, flags: { up: true } }, req.attrs));
    expect(r.ok && r.value).toMatchObject({ name: 'vrrp.51', kind: 'macvlan', parentIndex: 3, macvlanMode: 1, mac: Uint8Array.from([0, 0, 0x5e, 0, 1, 51]) });
  });

  it('a veth: kind only', () => {
    const r = linkFromMessage(linkMessage({ index: 4 }, { ifname: 'veth0', linkinfo: attr(1, Buffer.from('veth\0')) }));
    expect(r.ok && r.value.kind).toBe('veth');
    expect(r.ok && r.value.macvlanMode).toBeUndefined();
  });

  it('a VRF device: its table from IFLA_INFO_DATA / IFLA_VRF_TABLE (a route\'s `vrf` goes there)', () => {
    const vrf = linkFromMessage(linkMessage({ index: 6 }, { ifname: 'blue', linkinfo: attrs(attr(1, Buffer.from('vrf\0')), attr(2, attr(1, u32(1001)))) }));
    expect(vrf.ok && [vrf.value.kind, vrf.value.vrfTable]).toEqual(['vrf', 1001]);
    const other = linkFromMessage(linkMessage({ index: 7 }, { ifname: 'br0', linkinfo: attrs(attr(1, Buffer.from('bridge\0')), attr(2, attr(1, u32(1001)))) }));
    expect(other.ok && other.value.vrfTable).toBeUndefined();
  });

  it('forwarding of each family from IFLA_AF_SPEC', () => {
    const conf = (...v: number[]) => Buffer.concat(v.map((x) => u32(x)));
    const afSpec = new Map([
      [2, attr(1, conf(1, 0, 0))], // AF_INET / IFLA_INET_CONF: forwarding first
      [10, attrs(attr(1, u32(0)), attr(2, conf(0, 64)))], // AF_INET6 / IFLA_INET6_FLAGS, IFLA_INET6_CONF
    ]);
    const r = linkFromMessage(linkMessage({ index: 3 }, { ifname: 'eth0', afSpec }));
    expect(r.ok && r.value.forwarding).toEqual({ inet: true, inet6: false });
    const none = linkFromMessage(linkMessage({ index: 3 }, { ifname: 'eth0' }));
    expect(none.ok && none.value.forwarding).toBeUndefined();
    const only6 = linkFromMessage(linkMessage({ index: 3 }, { ifname: 'eth0', afSpec: new Map([[10, attr(2, conf(1))]]) }));
    expect(only6.ok && only6.value.forwarding).toEqual({ inet6: true });
  });

  it.each<[rt.Link, ifla.LinkAttrs, string]>([
    [{ index: 0 }, { ifname: 'eth0' }, 'link without index'],
    [{ index: 5 }, {}, 'link 5 without name'],
    [{ index: 5 }, { ifname: 'x', linkinfo: Buffer.from([0xff, 0, 1, 0]) }, 'link 5: malformed IFLA_LINKINFO'],
  ])('malformed: %j %j', (data, a, reason) => {
    expect(linkFromMessage(linkMessage(data, a))).toEqual({ ok: false, reason });
  });
});

describe('addrFromMessage', () => {
  it('IPv4 with label and broadcast', () => {
    const r = addrFromMessage(addrMessage({ family: 2, prefixlen: 24, index: 3, scope: 0 }, {
      local: Buffer.from([10, 0, 0, 1]), address: Buffer.from([10, 0, 0, 1]), broadcast: Buffer.from([10, 0, 0, 255]), label: 'eth0:vip', flags: { permanent: true },
    }));
    expect(r).toEqual({ ok: true, value: { index: 3, family: 'inet', address: Uint8Array.from([10, 0, 0, 1]), prefixLen: 24, scope: 0, flags: IFA_F_PERMANENT, broadcast: Uint8Array.from([10, 0, 0, 255]), label: 'eth0:vip' } });
  });

  it('IPv4 point-to-point: the peer', () => {
    const r = addrFromMessage(addrMessage({ family: 2, prefixlen: 32, index: 3 }, { local: Buffer.from([10, 9, 9, 1]), address: Buffer.from([10, 9, 9, 2]) }));
    expect(r.ok && [...r.value.address]).toEqual([10, 9, 9, 1]);
    expect(r.ok && r.value.peer && [...r.value.peer]).toEqual([10, 9, 9, 2]);
  });

  it('IPv6: IFA_ADDRESS only; IFA_FLAGS wins over ifa_flags', () => {
    const v6 = Buffer.alloc(16);
    v6[0] = 0x20;
    v6[15] = 1;
    const r = addrFromMessage(addrMessage({ family: 10, prefixlen: 128, index: 3, flags: { secondary: true } }, { address: v6, flags: { nodad: true, permanent: true } }));
    expect(r.ok && r.value).toMatchObject({ family: 'inet6', prefixLen: 128, flags: IFA_F_NODAD | IFA_F_PERMANENT });
    expect(r.ok && r.value.peer).toBeUndefined();
    const noFlagsAttr = addrFromMessage(addrMessage({ family: 10, prefixlen: 64, index: 3, flags: { secondary: true } }, { address: v6 }));
    expect(noFlagsAttr.ok && noFlagsAttr.value.flags).toBe(IFA_F_SECONDARY);
  });

  it.each<[rt.Address, rt.AddressAttrs, string]>([
    [{ family: 7, prefixlen: 0, index: 1 }, { address: Buffer.from([1, 2, 3, 4]) }, 'address of family 7'],
    [{ family: 2, prefixlen: 8, index: 0 }, { address: Buffer.from([1, 2, 3, 4]) }, 'address without interface index'],
    [{ family: 2, prefixlen: 8, index: 1 }, {}, 'address on 1 without a 4-byte address'],
    [{ family: 2, prefixlen: 8, index: 1 }, { local: Buffer.from([1, 2, 3]) }, 'address on 1 without a 4-byte address'],
    [{ family: 10, prefixlen: 64, index: 1 }, { address: Buffer.from([1, 2, 3, 4]) }, 'address on 1 without a 16-byte address'],
    [{ family: 2, prefixlen: 33, index: 1 }, { local: Buffer.from([1, 2, 3, 4]) }, 'address on 1 with prefix 33'],
  ])('malformed: %j %j', (data, a, reason) => {
    expect(addrFromMessage(addrMessage(data, a))).toEqual({ ok: false, reason });
  });
});

describe('eventFromMessage', () => {
  const link = linkMessage({ index: 3, flags: { up: true } }, { ifname: 'eth0' });
  const addr = addrMessage({ family: 2, prefixlen: 32, index: 3 }, { local: Buffer.from([10, 0, 0, 100]) });

  it.each([
    [RTM_NEWLINK, link, 'link', false],
    [RTM_DELLINK, link, 'link', true],
    [RTM_NEWADDR, addr, 'addr', false],
    [RTM_DELADDR, addr, 'addr', true],
  ] as const)('type %d -> %s deleted=%s', (type, m, kind, deleted) => {
    const ev = eventFromMessage(type, m);
    expect(ev?.ok && ev.value.type).toBe(kind);
    expect(ev?.ok && ev.value.deleted).toBe(deleted);
  });

  it('ignores other message types (routes, neighbours)', () => {
    expect(eventFromMessage(24, { kind: 'route', data: {}, attrs: {} })).toBeUndefined();
  });

  it('a body of the wrong kind is malformed', () => {
    expect(eventFromMessage(RTM_NEWLINK, addr)).toEqual({ ok: false, reason: 'link notification carrying address' });
    expect(eventFromMessage(RTM_DELADDR, link)).toEqual({ ok: false, reason: 'address notification carrying link' });
  });
});

describe('attrs', () => {
  it('round-trips nested attributes and pads to 4 bytes', () => {
    const buf = attrs(attr(1, Buffer.from('macvlan')), attr(2, attr(1, u32(4))));
    expect(buf.length % 4).toBe(0);
    const m = parseAttrs(buf)!;
    expect(readString(m.get(1))).toBe('macvlan');
    expect(readU32(parseAttrs(m.get(2)!)!.get(1))).toBe(4);
  });

  it('rejects a length that runs past the end, and a short u32', () => {
    expect(parseAttrs(Buffer.from([8, 0, 1, 0, 0]))).toBeUndefined();
    expect(parseAttrs(Buffer.from([2, 0, 1, 0]))).toBeUndefined();
    expect(readU32(Buffer.from([1, 2]))).toBeUndefined();
  });
});
