// virtual_ipaddress entries -> RTM_NEWADDR / RTM_DELADDR objects, as keepalived 2.2.7 sends them.
import { describe, expect, it } from 'vitest';
import { addressFlags, addressRequest, describeAddress } from '../../../src/netlink/address.js';
import { IFA_F_HOMEADDRESS, IFA_F_NODAD, IFA_F_NOPREFIXROUTE, INFINITY_LIFE_TIME } from '../../../src/netlink/constants.js';
import { bytes, vip } from './helpers.js';

function add(line: string) {
  const r = addressRequest(vip(line), 7, 'add');
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('addressRequest add', () => {
  it.each([
    // line, family, prefixlen, scope, label
    ['10.0.0.100 dev eth0', 2, 32, undefined, undefined],
    ['10.0.0.100/24 dev eth0', 2, 24, undefined, undefined],
    ['10.0.0.100/32 dev eth0 label eth0:vip', 2, 32, undefined, 'eth0:vip'],
    ['10.0.0.100 dev eth0 scope link', 2, 32, 253, undefined],
    ['10.0.0.100 dev eth0 scope host', 2, 32, 254, undefined],
    ['10.0.0.100 dev eth0 scope 200', 2, 32, 200, undefined],
    ['2001:db8::1 dev eth0', 10, 128, undefined, undefined],
    ['2001:db8::1/64 dev eth0', 10, 64, undefined, undefined],
  ])('%s', (line, family, prefixlen, scope, label) => {
    const r = add(line);
    expect(r.data).toEqual({ family, prefixlen, index: 7, ...(scope === undefined ? {} : { scope }) });
    expect(r.attrs.label).toBe(label);
    expect(bytes(r.attrs.local)).toEqual(bytes(vip(line).address.bytes));
    // a plain address carries no IFA_ADDRESS on add (the kernel copies IFA_LOCAL)
    expect(r.attrs.address).toBeUndefined();
  });

  it.each([
    ['10.0.0.100 dev eth0', 0],
    ['10.0.0.100 dev eth0 home', IFA_F_HOMEADDRESS],
    ['10.0.0.100/24 dev eth0 noprefixroute', IFA_F_NOPREFIXROUTE],
    // keepalived adds every IPv6 VIP without DAD
    ['2001:db8::1 dev eth0', IFA_F_NODAD],
    ['2001:db8::1/64 dev eth0 noprefixroute', IFA_F_NODAD | IFA_F_NOPREFIXROUTE],
  ])('flags of %s', (line, flags) => {
    expect(addressFlags(vip(line))).toBe(flags);
    const r = add(line);
    // only through the u32 IFA_FLAGS attribute (ifa_flags is a u8)
    expect(r.data.flags).toBeUndefined();
    expect(r.attrs.flags).toEqual(flags ? { __unknown: flags } : undefined);
  });

  it.each([
    ['10.0.0.100/24 dev eth0 brd +', [10, 0, 0, 255]],
    ['10.0.0.100/24 dev eth0 brd -', [10, 0, 0, 0]],
    ['10.1.2.3/12 dev eth0 brd +', [10, 15, 255, 255]],
    ['10.1.2.3/30 dev eth0 brd +', [10, 1, 2, 3]],
    ['10.0.0.100/24 dev eth0 broadcast 10.0.0.127', [10, 0, 0, 127]],
  ])('broadcast of %s', (line, brd) => {
    const r = add(line);
    expect(bytes(r.attrs.broadcast)).toEqual(brd);
    expect(r.warnings).toEqual([]);
  });

  it.each([
    ['10.0.0.100/31 dev eth0 brd +', /too long for a broadcast/],
    ['10.0.0.100/32 dev eth0 brd -', /too long for a broadcast/],
    ['10.0.0.1 dev eth0 peer 10.0.0.2 brd +', /peer has no broadcast/],
  ])('broadcast of %s is ignored with a warning, as keepalived does', (line, why) => {
    const r = add(line);
    expect(r.attrs.broadcast).toBeUndefined();
    expect(r.warnings.join()).toMatch(why);
  });

  it('peer: IFA_ADDRESS is the peer and the prefix is the peer\'s', () => {
    const r = add('10.9.9.1 dev eth0 peer 10.9.9.2/30');
    expect(bytes(r.attrs.local)).toEqual([10, 9, 9, 1]);
    expect(bytes(r.attrs.address)).toEqual([10, 9, 9, 2]);
    expect(r.data.prefixlen).toBe(30);
  });

  it.each([
    // IPv6 preferred_lft: 0 (deprecated) by default for a /128, forever otherwise; valid forever
    ['2001:db8::1 dev eth0', { ifaPrefered: 0, ifaValid: INFINITY_LIFE_TIME }],
    ['2001:db8::1/64 dev eth0', undefined],
    ['2001:db8::1 dev eth0 preferred_lft forever', undefined],
    ['2001:db8::1/64 dev eth0 preferred_lft 30', { ifaPrefered: 30, ifaValid: INFINITY_LIFE_TIME }],
    ['10.0.0.1 dev eth0', undefined],
  ])('cacheinfo of %s', (line, cacheInfo) => {
    expect(add(line).attrs.cacheInfo).toEqual(cacheInfo);
  });

  it('IPv6: scope is not sent (keepalived drops it) and is reported', () => {
    const r = add('2001:db8::1 dev eth0 scope link');
    expect(r.data.scope).toBeUndefined();
    expect(r.warnings.join()).toMatch(/scope link ignored/);
  });

  it('IPv4 preferred_lft is reported as ignored', () => {
    expect(add('10.0.0.1 dev eth0 preferred_lft 10').warnings.join()).toMatch(/preferred_lft ignored/);
  });

  it('refuses what the kernel cannot take', () => {
    const e = { ...vip('2001:db8::1 dev eth0'), broadcast: '+' };
    expect(addressRequest(e, 1, 'add')).toEqual({ ok: false, error: 'broadcast + on an IPv6 address' });
    const s = { ...vip('10.0.0.1 dev eth0'), scope: 'galaxy' };
    expect(addressRequest(s, 1, 'add')).toEqual({ ok: false, error: "unknown scope 'galaxy'" });
  });
});

describe('addressRequest delete', () => {
  it.each([
    // IPv4 names the prefix address in IFA_ADDRESS (or the peer); nothing of the add-only parts
    ['10.0.0.100/24 dev eth0 brd + label eth0:x', 2, 24, [10, 0, 0, 100]],
    ['10.9.9.1 dev eth0 peer 10.9.9.2', 2, 32, [10, 9, 9, 2]],
    ['2001:db8::1 dev eth0', 10, 128, undefined],
  ])('%s', (line, family, prefixlen, address) => {
    const r = addressRequest(vip(line), 3, 'delete');
    if (!r.ok) throw new Error(r.error);
    expect(r.value.data).toEqual({ family, prefixlen, index: 3 });
    expect(bytes(r.value.attrs.address)).toEqual(address);
    expect(r.value.attrs.broadcast).toBeUndefined();
    expect(r.value.attrs.label).toBeUndefined();
    expect(r.value.attrs.flags).toBeUndefined();
    expect(r.value.attrs.cacheInfo).toBeUndefined();
  });
});

describe('describeAddress', () => {
  it.each([
    ['10.0.0.100 dev eth0', undefined, '10.0.0.100/32 dev eth0'],
    ['2001:db8::1/64 dev eth0', undefined, '2001:db8::1/64 dev eth0'],
    ['10.9.9.1 dev eth0 peer 10.9.9.2', undefined, '10.9.9.1/32 peer 10.9.9.2 dev eth0'],
  ])('%s', (line, dev, text) => {
    expect(describeAddress(vip(line), dev)).toBe(text);
  });

  it('uses the given interface name when the entry has no dev', () => {
    const e = { ...vip('10.0.0.100 dev eth0'), dev: undefined };
    expect(describeAddress(e, 'bond0')).toBe('10.0.0.100/32 dev bond0');
    expect(describeAddress(e)).toBe('10.0.0.100/32');
  });
});
