// The `encap` words of routes and nexthops, read as keepalived 2.2.7 reads them
// (vrrp_iproute.c parse_encap*): what each form gives, keepalived's message for what it refuses,
// and where keepalived reads on (the config reader goes on there too).
import { afterAll, describe, expect, it } from 'vitest';
import { readEncap } from '../../../src/config/route-encap.js';
import { loadConfig } from '../../../src/config/load.js';
import { formatIp } from '../../../src/util/ip.js';
import { fakeMachine, TmpDir } from './helpers.js';

/** readEncap on a route line whose first `encap` is read. */
const read = (line: string) => {
  const words = line.split(' ');
  return { words, ...readEncap(words, words.indexOf('encap')) };
};

describe('readEncap: the forms keepalived 2.2.7 accepts', () => {
  it('mpls: one or two labels, C numbers, the words after it are the route\'s', () => {
    const r = read('10.1.0.0/16 encap mpls 200 via 10.0.0.1 dev eth0');
    expect(r.encap).toEqual({ kind: 'mpls', labels: [200] });
    expect(r.words[r.next]).toBe('via');
    expect(read('10.1.0.0/16 encap mpls 0x10/020').encap).toEqual({ kind: 'mpls', labels: [16, 16] });
    expect(read('10.1.0.0/16 encap mpls 1048575').encap).toEqual({ kind: 'mpls', labels: [0xfffff] });
  });

  it('ip: id (64 bits), dst, src, tos (a C number), ttl, flags; reading stops at the first other word', () => {
    const r = read('10.1.0.0/16 encap ip id 18446744073709551615 dst 10.9.0.1 src 10.9.0.2 tos 0x10 ttl 9 flags 256 dev eth0');
    expect(r.encap).toMatchObject({ kind: 'ip', id: 18446744073709551615n, tos: 16, ttl: 9, flags: 256 });
    expect(r.encap?.kind === 'ip' && [formatIp(r.encap.dst!), formatIp(r.encap.src!)]).toEqual(['10.9.0.1', '10.9.0.2']);
    expect(r.words[r.next]).toBe('dev');
    // ip6's keys are not ip's: `tc` ends the encapsulation (keepalived then calls it an unknown route keyword)
    const tc = read('10.1.0.0/16 encap ip id 1 tc 3');
    expect(tc.encap).toEqual({ kind: 'ip', id: 1n });
    expect(tc.words[tc.next]).toBe('tc');
  });

  it('ip6: id, dst, src (IPv6), tc, hoplimit, flags; on an IPv4 route too', () => {
    const r = read('10.1.0.0/16 encap ip6 dst fd00::1 tc 32 hoplimit 7 flags 3 dev eth0');
    expect(r.encap).toMatchObject({ kind: 'ip6', tc: 32, hoplimit: 7, flags: 3 });
    expect(r.encap?.kind === 'ip6' && formatIp(r.encap.dst!)).toBe('fd00::1');
    expect(r.encap).not.toHaveProperty('id');
  });

  it('ila: the locator in network order; nothing more is read (keepalived 2.2.7 has no ILA options)', () => {
    const r = read('2001:db8:0:1:2000::/67 encap ila 2001:0:0x0:ffff csum-mode adj-transport');
    expect(r.encap).toEqual({ kind: 'ila', locator: Uint8Array.from([0x20, 0x01, 0, 0, 0, 0, 0xff, 0xff]) });
    expect(r.words[r.next]).toBe('csum-mode');
  });
});

describe('readEncap: what keepalived 2.2.7 refuses, in its words, and where it reads on', () => {
  it.each([
    ['10.1.0.0/16 dev eth0 encap', 'Missing encap type', 'encap', undefined],
    ['10.1.0.0/16 encap seg6 mode encap segs fc00::1 dev eth0', 'Unknown encap type - seg6', 'seg6', 'encap'],
    ['10.1.0.0/16 encap mpls', 'missing address for MPLS encapsulation', 'mpls', undefined],
    ['10.1.0.0/16 encap mpls 1048576 dev eth0', 'invalid mpls address 1048576 for encapsulation', '1048576', 'dev'],
    ['10.1.0.0/16 encap mpls 1/2/3 dev eth0', 'invalid mpls address 1/2/3 for encapsulation', '1/2/3', 'dev'],
    ['10.1.0.0/16 encap mpls -1 dev eth0', 'invalid mpls address -1 for encapsulation', '-1', 'dev'],
    ['10.1.0.0/16 encap mpls 100/ dev eth0', 'invalid mpls address 100/ for encapsulation', '100/', 'dev'],
    ['10.1.0.0/16 encap ila', 'missing locator for ILA encapsulation', 'ila', undefined],
    ['10.1.0.0/16 encap ila 1:2:3 dev eth0', 'invalid locator 1:2:3 for ila encapsulation', '1:2:3', 'dev'],
    ['10.1.0.0/16 encap ila 1::2:3 dev eth0', 'invalid locator 1::2:3 for ila encapsulation', '1::2:3', 'dev'],
    ['10.1.0.0/16 encap ila 1:2:3:10000 dev eth0', 'invalid locator 1:2:3:10000 for ila encapsulation', '1:2:3:10000', 'dev'],
    ['10.1.0.0/16 encap ip ttl 3 dev eth0', 'address or id missing for ip encapsulation', 'ip', 'dev'],
    ['10.1.0.0/16 encap ip6 hoplimit 3 dev eth0', 'address or id missing for ip6 encapsulation', 'ip6', 'dev'],
    ['10.1.0.0/16 encap ip id 5 dst 10.1.1.1 ttl 300 dev eth0', 'ttl 300 is not valid for ip encapsulation', '300', 'ttl'],
    ['10.1.0.0/16 encap ip id 0x5', 'encap id 0x5 value is invalid', '0x5', 'id'],
    ['10.1.0.0/16 encap ip id 18446744073709551616', 'encap id 18446744073709551616 value is invalid', '18446744073709551616', 'id'],
    ['10.1.0.0/16 encap ip dst fd00::1', 'IPv6 address fd00::1 not valid for ip encapsulation', 'fd00::1', 'dst'],
    ['10.1.0.0/16 encap ip src 10.1.1 id 1', 'Invalid encap ip src 10.1.1', '10.1.1', 'src'],
    ['10.1.0.0/16 encap ip id 1 tos 256', 'dsfield 256 not valid for ip encapsulation', '256', 'tos'],
    ['10.1.0.0/16 encap ip id 1 flags 65536', 'flags 65536 is not valid for ip encapsulation', '65536', 'flags'],
    ['10.1.0.0/16 encap ip6 id -1', 'id -1 value invalid for IPv6 encapsulation', '-1', 'id'],
    ['10.1.0.0/16 encap ip6 dst 10.1.1.1 dev eth0', 'IPv4 address 10.1.1.1 not valid for ip6 encapsulation', '10.1.1.1', 'dst'],
    ['10.1.0.0/16 encap ip6 dst fd00::1 src nowhere', 'Invalid encap ip6 src nowhere', 'nowhere', 'src'],
    ['10.1.0.0/16 encap ip6 dst fd00::1 tc 0x100', 'tc value 0x100 is invalid for ip6 encapsulation', '0x100', 'tc'],
    ['10.1.0.0/16 encap ip6 dst fd00::1 hoplimit 256', 'Invalid hoplimit 256 specified for ip6 encapsulation', '256', 'hoplimit'],
    ['10.1.0.0/16 encap ip6 dst fd00::1 flags 1.5', 'flags 1.5 is not valid for ip6 encapsulation', '1.5', 'flags'],
  ])('%s: %s', (line, message, word, nextWord) => {
    const r = read(line);
    expect(r.encap).toBeUndefined();
    expect(r.problem).toEqual({ message, at: r.words.indexOf(word, r.words.indexOf('encap')) });
    expect(r.words[r.next]).toBe(nextWord);
  });

  it('a tos / tc name (rt_dsfield, which keepalived-ts does not read) is unsupported, and the words after it are read on', () => {
    const r = read('10.1.0.0/16 encap ip id 1 tos lowdelay ttl 5 dev eth0');
    expect(r.problem).toEqual({ message: "tos 'lowdelay' is a name from rt_dsfield, which keepalived-ts does not read", at: 6, unsupported: true });
    expect(r.words[r.next]).toBe('dev');
  });
});

describe('the config reader says an encapsulation problem at -t, with its place', () => {
  const tmp = new TmpDir();
  afterAll(() => tmp.cleanup());
  const load = (route: string) => {
    const file = tmp.conf(`static_routes {\n  ${route}\n}\n`);
    return loadConfig(file, { configId: 'lb1', machine: fakeMachine(), displayBase: file.replace(/\/keepalived\.conf$/, '') }).diagnostics;
  };

  it('a good encapsulation says nothing, and the route words after it are the route\'s', () => {
    const d = load('10.1.0.0/16 encap ip6 id 3 dst fd00::1 hoplimit 4 dev eth0 nexthop via 10.0.0.1 encap mpls 100/200 nexthop via 10.0.0.2');
    expect(d.list).toEqual([]);
    expect(d.configTestExitCode()).toBe(0);
  });

  it.each([
    ['10.1.0.0/16 encap mpls 1048576 dev eth0', 'invalid mpls address 1048576 for encapsulation', 26, 'GENERAL_ERROR'],
    ['10.1.0.0/16 dev eth0 encap seg6 mode encap segs fc00::1', 'Unknown encap type - seg6', 30, 'GENERAL_ERROR'],
    ['10.1.0.0/16 nexthop via 10.0.0.1 dev eth0 encap ip ttl 3', 'address or id missing for ip encapsulation', 51, 'GENERAL_ERROR'],
  ])('%s', (route, message, col, kaClass) => {
    const d = load(route);
    expect(d.list[0]).toMatchObject({ code: 'CONFIG_VALUE', kaClass, message, loc: { line: 2, col } });
    expect(d.configTestExitCode()).toBe(5);
  });

  it('a tos name is reported as not supported (class OK: keepalived accepts the names it knows)', () => {
    const d = load('10.1.0.0/16 encap ip id 1 tos lowdelay dev eth0');
    expect(d.list.map((x) => [x.code, x.kaClass, x.loc?.col])).toEqual([['CONFIG_UNSUPPORTED', 'OK', 33]]);
    expect(d.list[0]!.message).toMatch(/tos 'lowdelay' is a name from rt_dsfield.*: this route cannot be installed/);
  });
});
