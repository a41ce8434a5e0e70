// virtual_routes words -> RTM_NEWROUTE / RTM_DELROUTE objects, as keepalived 2.2.7 reads them.
import { AttrStream, rt } from 'netlink';
import { describe, expect, it } from 'vitest';
import {
  NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL, RT_SCOPE_LINK, RT_SCOPE_NOWHERE, RT_SCOPE_UNIVERSE, RTN_BLACKHOLE,
  RTAX, RTN_PROHIBIT, RTN_UNICAST, RTN_UNREACHABLE, RTNH_F_ONLINK, RTPROT_KEEPALIVED,
} from '../../../src/netlink/constants.js';
import { DEFAULT_RT_NAMES, mergeNames, parseRtNamesFile } from '../../../src/netlink/names.js';
import { describeRoute, parseRouteWords, routeRequest, vrfTableOf, withVrfTable, type RouteSpec } from '../../../src/netlink/route.js';
import { parseAttrs, u32 } from '../../../src/netlink/attrs.js';
import { encapRefusal } from '../../../src/netlink/route-encap.js';
import { bytes, route } from './helpers.js';

function spec(line: string): RouteSpec {
  const r = parseRouteWords(route(line).words);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('parseRouteWords', () => {
  it.each<[string, Partial<RouteSpec>]>([
    ['10.1.0.0/16 dev eth0', { family: 'inet', table: 254, protocol: RTPROT_KEEPALIVED, dev: 'eth0', mode: 'prepend', onlink: false }],
    ['to 10.1.0.0/16 via 10.0.0.1 dev eth0', { via: { family: 'inet', bytes: Uint8Array.from([10, 0, 0, 1]) } }],
    ['10.1.0.0/16 via inet 10.0.0.1 dev eth0', { via: { family: 'inet', bytes: Uint8Array.from([10, 0, 0, 1]) } }],
    ['10.1.0.0/16 gw 10.0.0.1 dev eth0', { via: { family: 'inet', bytes: Uint8Array.from([10, 0, 0, 1]) } }],
    ['10.1.0.0/16 dev eth0 table main', { table: 254 }],
    ['10.1.0.0/16 dev eth0 table local', { table: 255 }],
    ['10.1.0.0/16 dev eth0 table default', { table: 253 }],
    ['10.1.0.0/16 dev eth0 table 100', { table: 100 }],
    ['10.1.0.0/16 dev eth0 table 0x10', { table: 16 }],
    ['10.1.0.0/16 dev eth0 table 70000', { table: 70000 }],
    ['10.1.0.0/16 dev eth0 metric 5', { metric: 5 }],
    ['10.1.0.0/16 dev eth0 priority 6', { metric: 6 }],
    ['10.1.0.0/16 dev eth0 preference 7', { metric: 7 }],
    ['10.1.0.0/16 dev eth0 scope link', { scope: RT_SCOPE_LINK }],
    ['10.1.0.0/16 dev eth0 scope 200', { scope: 200 }],
    ['blackhole 10.1.0.0/16', { type: RTN_BLACKHOLE }],
    ['unreachable 10.1.0.0/16', { type: RTN_UNREACHABLE }],
    ['prohibit 10.1.0.0/16', { type: RTN_PROHIBIT }],
    ['unicast 10.1.0.0/16 dev eth0', { type: RTN_UNICAST }],
    ['10.1.0.0/16 via 10.0.0.1 dev eth0 onlink', { onlink: true }],
    ['10.1.0.0/16 dev eth0 add', { mode: 'add' }],
    ['10.1.0.0/16 dev eth0 append', { mode: 'append' }],
    ['10.1.0.0/16 dev eth0 src 10.0.0.5', { prefSrc: { family: 'inet', bytes: Uint8Array.from([10, 0, 0, 5]) } }],
    ['10.1.0.0/16 dev eth0 tos 0x10', { tos: 16 }],
    ['10.1.0.0/16 dev eth0 no_track protocol static', { protocol: 4, noTrack: true }],
    ['10.1.0.0/16 dev eth0 no_track protocol 99', { protocol: 99 }],
    ['10.1.0.0/16 dev eth0 no_track protocol bird', { protocol: 12 }],
    ['10.1.0.0/16 dev eth0 mtu 1400', { metrics: { mtu: 1400 }, lock: 0 }],
    ['10.1.0.0/16 dev eth0 mtu lock 1400 advmss 1300', { metrics: { mtu: 1400, advmss: 1300 }, lock: 1 << 2 }],
    ['10.1.0.0/16 dev eth0 hoplimit 9 initcwnd 10 initrwnd 11 window 12 quickack 1', { metrics: { hoplimit: 9, initcwnd: 10, initrwnd: 11, window: 12, quickack: 1 } }],
    ['10.1.0.0/16 dev eth0 features ecn', { metrics: { features: 1 } }],
    ['2001:db8::/32 dev eth0', { family: 'inet6' }],
    ['2001:db8::/32 from 2001:db8:1::/48 dev eth0', { from: { family: 'inet6', bytes: Uint8Array.from([0x20, 1, 0xd, 0xb8, 0, 1, ...new Array(10).fill(0)]), prefixLen: 48 } }],
  ])('%s', (line, want) => {
    expect(spec(line)).toMatchObject(want);
  });

  it.each([
    ['default via 10.0.0.1 dev eth0', 'inet'],
    ['default via 2001:db8::1 dev eth0', 'inet6'],
    // words the config loader does not take yet (it reports them), read as keepalived does
    ['inet6 default dev eth0', 'inet6'],
    ['any via 10.0.0.1 dev eth0', 'inet'],
    ['default6 dev eth0', 'inet6'],
  ])('the default route: %s', (line, family) => {
    const r = parseRouteWords(line.split(' '));
    if (!r.ok) throw new Error(r.error);
    expect(r.value.dst).toBeUndefined();
    expect(r.value.family).toBe(family);
  });

  it('a tracked route keeps protocol keepalived, with a warning (as keepalived resets it)', () => {
    const s = spec('10.1.0.0/16 dev eth0 protocol static');
    expect(s.protocol).toBe(RTPROT_KEEPALIVED);
    expect(s.warnings.join()).toMatch(/protocol 4 replaced by keepalived/);
  });

  it.each([
    ['10.1.0.0/16 dev eth0 realms 256', "invalid realms '256'"],
    ['10.1.0.0/16 dev eth0 encap mpls 1048576', 'invalid mpls address 1048576 for encapsulation'],
    ['10.1.0.0/16 nexthop via 10.0.0.1 encap seg6 mode encap segs fc00::1', 'Unknown encap type - seg6'],
    ['10.1.0.0/16 nexthop via 10.0.0.1 weight 0', 'Invalid weight 0 specified for route'],
    ['10.1.0.0/16 nexthop via 10.0.0.1 metric 5', 'Route has trailing nonsense after nexthops - metric'],
    ['10.1.0.0/16 dev eth0 realms nowhere', "invalid realms 'nowhere'"],
    ['10.1.0.0/16 dev eth0 rtt 1e3', "invalid rtt '1e3'"],
    ['10.1.0.0/16 dev eth0 pref high', 'cannot mix IPv4 and IPv6 (pref)'],
    ['2001:db8::/64 dev eth0 realms 3', 'cannot mix IPv4 and IPv6 (realms)'],
    ['10.1.0.0/16 dev eth0 ttl-propagate maybe', "ttl-propagate value 'maybe' not recognised"],
    ['10.1.0.0/16 dev eth0 table nosuch', "routing table 'nosuch' not found"],
    ['10.1.0.0/16 dev eth0 scope galaxy', "scope 'galaxy' not found"],
    ['10.1.0.0/16 dev eth0 no_track protocol nosuch', "protocol 'nosuch' not found"],
    ['10.1.0.0/16 dev eth0 tos lowdelay', "tos 'lowdelay' is not a number (names from rt_dsfield are not supported by keepalived-ts)"],
    ['10.1.0.0/16 dev eth0 features sack', "feature 'sack' not supported"],
    ['10.1.0.0/16 dev eth0 hoplimit 300', "invalid hoplimit '300'"],
    ['10.1.0.0/16 via 2001:db8::1 dev eth0', 'cannot mix IPv4 and IPv6 (via 2001:db8::1)'],
    ['10.1.0.0/16 from 10.2.0.0/16 dev eth0', "route 'from' needs an IPv6 prefix ('10.2.0.0/16')"],
  ])('refuses %s', (line, error) => {
    expect(parseRouteWords(route(line).words)).toEqual({ ok: false, error });
  });

  it('`as [to] ADDR`: left out, with keepalived\'s words; in a nexthop, that nexthop and those after it are left out', () => {
    for (const line of ['10.1.0.0/16 dev eth0 as to 10.2.0.1 metric 5', '10.1.0.0/16 dev eth0 as 10.2.0.1 metric 5']) {
      const s = spec(line);
      expect([s.dst?.prefixLen, s.dev, s.metric, s.warnings]).toEqual([16, 'eth0', 5, ['"as to" for MPLS only - ignoring']]);
    }
    const nh = spec('10.1.0.0/16 dev eth0 nexthop via 10.0.0.1 nexthop via 10.0.0.2 as to 10.2.0.1 nexthop via 10.0.0.3');
    expect(nh.nexthops.map((n) => n.via?.bytes.join('.'))).toEqual(['10.0.0.1']);
    expect(nh.warnings).toEqual(["'as [to]' (nat) not supported: this nexthop and those after it are left out"]);
    expect(spec('10.1.0.0/16 dev eth0 nexthop via 10.0.0.1 as 10.2.0.1').nexthops).toEqual([]);
  });

  it('`vrf NAME`: the table of that VRF device, found when the route is installed; the later of `vrf` and `table` wins', () => {
    const links = { vrfTable: (n: string) => (n === 'blue' ? 1001 : n === 'eth0' ? 'not-vrf' as const : undefined) };
    const s = spec('10.1.0.0/16 via 10.0.0.1 dev eth0 vrf blue');
    expect(s.vrf).toBe('blue');
    expect(() => routeRequest(s, 2, 'add')).toThrow(/VRF blue/);
    const r = withVrfTable(s, links);
    expect(r.ok && [r.value.table, r.value.vrf]).toEqual([1001, undefined]);
    const req = routeRequest((r as { value: RouteSpec }).value, 2, 'add');
    expect([req.data.table, req.attrs.table]).toEqual([0, 1001]); // above 255: RTA_TABLE
    expect(spec('10.1.0.0/16 dev eth0 table 100 vrf blue').vrf).toBe('blue');
    expect([spec('10.1.0.0/16 dev eth0 vrf blue table 100').vrf, spec('10.1.0.0/16 dev eth0 vrf blue table 100').table]).toEqual([undefined, 100]);
    expect(withVrfTable(spec('10.1.0.0/16 dev eth0 vrf red'), links)).toEqual({ ok: false, error: 'VRF red not found for route' });
    expect(withVrfTable(spec('10.1.0.0/16 dev eth1 vrf eth0'), links)).toEqual({ ok: false, error: 'Route specified VRF eth0 is not a VRF' });
    expect(withVrfTable(spec('10.1.0.0/16 dev eth0'), links)).toMatchObject({ ok: true, value: { table: 254 } });
    expect(vrfTableOf({ kind: 'vrf', vrfTable: 7 })).toBe(7);
    expect(vrfTableOf({ kind: 'bridge' })).toBe('not-vrf');
    expect(vrfTableOf(undefined)).toBeUndefined();
  });

  it('`track_group NAME` (a static route\'s) is not the kernel\'s: nothing is sent for it', () => {
    const words = ['10.1.0.0/16', 'dev', 'eth0', 'track_group', 'TG', 'metric', '5'];
    const r = parseRouteWords(words);
    expect(r.ok && [r.value.metric, r.value.warnings]).toEqual([5, []]);
  });

  it('reports a route with no destination', () => {
    expect(parseRouteWords(['dev', 'eth0'])).toEqual({ ok: false, error: 'route has no destination' });
  });

  it('reads table and protocol names from iproute2 files', () => {
    const names = {
      ...DEFAULT_RT_NAMES,
      tables: mergeNames(parseRtNamesFile('# comment\n100 vip\n0x200 big\nbad line here\n', 0xffffffff), DEFAULT_RT_NAMES.tables),
    };
    const r = parseRouteWords(['10.1.0.0/16', 'dev', 'eth0', 'table', 'vip'], names);
    expect(r.ok && r.value.table).toBe(100);
    const b = parseRouteWords(['10.1.0.0/16', 'dev', 'eth0', 'table', 'big'], names);
    expect(b.ok && b.value.table).toBe(0x200);
    const m = parseRouteWords(['10.1.0.0/16', 'dev', 'eth0', 'table', 'main'], names);
    expect(m.ok && m.value.table).toBe(254);
  });
});

describe('the route words keepalived sends beyond the basics', () => {
  it('nexthops: via, dev, weight (rtnh_hops = weight - 1), onlink, realms; the deprecated `or`', () => {
    const s = spec('10.1.0.0/16 nexthop via 10.0.0.1 dev eth0 weight 3 realms 2/5 nexthop via inet 10.0.0.2 onlink');
    expect(s.nexthops).toEqual([
      { via: expect.objectContaining({ family: 'inet' }), dev: 'eth0', weight: 3, onlink: false, realms: (2 << 16) | 5 },
      { via: expect.objectContaining({ family: 'inet' }), onlink: true },
    ]);
    const mp = routeRequest(s, undefined, 'add', (n) => (n === 'eth0' ? 7 : undefined)).attrs.multipath!;
    // rtnexthop {len 24, flags 0, hops 2, ifindex 7} RTA_GATEWAY 10.0.0.1 RTA_FLOW 0x00020005,
    // then {len 16, flags ONLINK, hops 0, ifindex 0} RTA_GATEWAY 10.0.0.2
    expect(mp.toString('hex')).toBe('1800000207000000' + '080005000a000001' + '08000b0005000200' + '1000040000000000' + '080005000a000002');
    const or = spec('10.1.0.0/16 via 10.0.0.1 or 10.0.0.2 dev eth0');
    expect(or.via).toBeUndefined();
    expect(or.nexthops.map((n) => n.via?.bytes.join('.'))).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it('rtt / rttvar / rto_min in the kernel units (1/8, 1/4, 1 ms), clamped to 200 ms .. 120 s; raw numbers as they are', () => {
    const s = spec('10.1.0.0/16 dev eth0 rtt 300ms rttvar lock 1s rto_min 250 congctl lock reno');
    expect(s.metrics).toMatchObject({ rtt: 2400, rttvar: 4000, rtoMin: 250 });
    expect(s.lock).toBe((1 << RTAX.rttvar) | (1 << RTAX.ccAlgo));
    expect(s.congctl).toBe('reno');
    expect(spec('10.1.0.0/16 dev eth0 rtt 10ms').metrics.rtt).toBe(1600);
    expect(spec('10.1.0.0/16 dev eth0 rtt 0.5s').metrics.rtt).toBe(4000);
    expect(spec('10.1.0.0/16 dev eth0 rtt 300s').metrics.rtt).toBe(960_000);
    const m = routeRequest(s, 3, 'add').attrs.metrics!;
    expect(m.ccAlgo!.toString()).toBe('reno');
  });

  it('realms (RTA_FLOW), expires and pref (IPv6), ttl-propagate', () => {
    expect(routeRequest(spec('10.1.0.0/16 dev eth0 realms 3'), 2, 'add').attrs.flow).toBe(3);
    const v6 = routeRequest(spec('2001:db8::/64 dev eth0 pref low expires 60 ttl-propagate enabled'), 2, 'add').attrs;
    expect(v6.pref).toEqual(Buffer.from([3]));
    expect(v6.expires).toEqual(u32(60));
    expect(v6.ttlPropagate).toBe(1);
  });
});

describe('encap: RTA_ENCAP_TYPE and the nested RTA_ENCAP, as keepalived 2.2.7 builds them (add_encap*)', () => {
  /** The route message's attributes as the socket writes them (the `netlink` package), by type. */
  const sent = (line: string, op: 'add' | 'delete' = 'add'): Map<number, Buffer> => {
    const { data, attrs } = routeRequest(spec(line), 3, op);
    const s = new AttrStream();
    rt.formatRouteMessage({ kind: 'route', data, attrs }, s);
    // struct rtmsg is 12 bytes; the attributes follow
    return parseAttrs(Buffer.concat(s.bufs).subarray(12))!;
  };
  const RTA_ENCAP_TYPE = 21;
  const RTA_ENCAP = 22;
  const hex = (b: Buffer | undefined): string | undefined => b?.toString('hex');

  it.each([
    // MPLS_IPTUNNEL_DST: label 200 << 12 with the bottom-of-stack bit, big-endian
    ['10.1.0.0/16 encap mpls 200 via 10.0.0.1 dev eth0', 1, '08000100' + '000c8100'],
    ['10.1.0.0/16 encap mpls 100/200 dev eth0', 1, '0c000100' + '00064000' + '000c8100'],
    // LWTUNNEL_IP_ID (u64 big-endian), _DST, _SRC, _TOS 5, _TTL 4, _FLAGS 6 (u16 host order), padded to 4
    ['10.1.0.0/16 encap ip id 5 dst 10.9.0.1 src 10.9.0.2 tos 16 ttl 9 flags 256 dev eth0', 2,
      '0c000100' + '0000000000000005' + '08000200' + '0a090001' + '08000300' + '0a090002'
      + '05000500' + '10000000' + '05000400' + '09000000' + '06000600' + '00010000'],
    // LWTUNNEL_IP6_ID, _DST, _TC 5, _HOPLIMIT 4
    ['10.1.0.0/16 encap ip6 id 8 dst fd00::1 tc 32 hoplimit 7 dev eth0', 4,
      '0c000100' + '0000000000000008' + '14000200' + 'fd000000000000000000000000000001' + '05000500' + '20000000' + '05000400' + '07000000'],
    // ILA_ATTR_LOCATOR: the four groups in network order
    ['2001:db8:0:1:2000::/67 encap ila 2001:0:0:2 dev eth0', 3, '0c000100' + '2001000000000002'],
  ])('%s', (line, type, encap) => {
    const a = sent(line);
    expect(hex(a.get(RTA_ENCAP_TYPE))).toBe(Buffer.from(new Uint16Array([type]).buffer).toString('hex'));
    expect(hex(a.get(RTA_ENCAP))).toBe(encap);
  });

  it('the delete carries the encapsulation too (keepalived\'s netlink_route sends it for both)', () => {
    expect(hex(sent('10.1.0.0/16 encap mpls 200 dev eth0', 'delete').get(RTA_ENCAP))).toBe('08000100000c8100');
  });

  it('a kernel without that lightweight tunnel (EOPNOTSUPP, ENOTSUP to Node) is told apart from other refusals', () => {
    expect(encapRefusal('ENOTSUP', ['mpls'])).toBe("ENOTSUP (this kernel has no lightweight tunnel for 'encap mpls' (module rtnl-lwt-MPLS))");
    expect(encapRefusal('EOPNOTSUPP', ['ila', 'ip', 'ila'])).toBe("EOPNOTSUPP (this kernel has no lightweight tunnel for 'encap ila' (module rtnl-lwt-ILA), 'encap ip' (module rtnl-lwt-IP))");
    expect(encapRefusal('EINVAL', ['ila'])).toBeUndefined();
    expect(encapRefusal('ENOTSUP', [])).toBeUndefined();
  });

  it('a nexthop\'s encap: RTA_ENCAP and RTA_ENCAP_TYPE inside its rtnexthop, counted in rtnh_len', () => {
    const s = spec('10.1.0.0/16 nexthop via 10.0.0.1 dev eth0 encap mpls 100 nexthop via 10.0.0.2 dev eth0');
    expect(s.nexthops[0]!.encap).toEqual({ kind: 'mpls', labels: [100] });
    expect(s.encap).toBeUndefined();
    const mp = routeRequest(s, undefined, 'add', (n) => (n === 'eth0' ? 7 : undefined)).attrs.multipath!;
    // {len 36, flags 0, hops 0, ifindex 7} RTA_GATEWAY, RTA_ENCAP {MPLS_IPTUNNEL_DST 0x00064100}, RTA_ENCAP_TYPE 1;
    // then {len 16, ..., ifindex 7} RTA_GATEWAY 10.0.0.2
    expect(mp.toString('hex')).toBe('2400000007000000' + '080005000a000001' + '0c001600' + '0800010000064100' + '0600150001000000'
      + '1000000007000000' + '080005000a000002');
  });
});

describe('routeRequest', () => {
  it('add: keepalived defaults (scope universe, type unicast, protocol keepalived, NLM_F_CREATE)', () => {
    const r = routeRequest(spec('10.1.0.0/16 via 10.0.0.1 dev eth0 metric 5 src 10.0.0.9'), 4, 'add');
    expect(r.data).toEqual({ family: 2, protocol: RTPROT_KEEPALIVED, scope: RT_SCOPE_UNIVERSE, type: RTN_UNICAST, table: 254, dstLen: 16 });
    expect(bytes(r.attrs.dst)).toEqual([10, 1, 0, 0]);
    expect(bytes(r.attrs.gateway)).toEqual([10, 0, 0, 1]);
    expect(bytes(r.attrs.prefsrc)).toEqual([10, 0, 0, 9]);
    expect(r.attrs.oif).toBe(4);
    expect(r.attrs.priority).toBe(5);
    expect(r.attrs.table).toBeUndefined();
    expect(r.flags).toBe(NLM_F_CREATE);
  });

  it('delete: scope nowhere and no type unless one was given; no NEW flags', () => {
    const r = routeRequest(spec('10.1.0.0/16 via 10.0.0.1 dev eth0'), 4, 'delete');
    expect(r.data.scope).toBe(RT_SCOPE_NOWHERE);
    expect(r.data.type).toBeUndefined();
    expect(r.data.protocol).toBe(RTPROT_KEEPALIVED);
    expect(r.flags).toBe(0);
    const t = routeRequest(spec('blackhole 10.1.0.0/16 scope link'), undefined, 'delete');
    expect(t.data).toMatchObject({ type: RTN_BLACKHOLE, scope: RT_SCOPE_LINK });
  });

  it.each([
    ['10.1.0.0/16 dev eth0 table 100', 100, undefined],
    ['10.1.0.0/16 dev eth0 table 255', 255, undefined],
    ['10.1.0.0/16 dev eth0 table 256', 0, 256],
    ['10.1.0.0/16 dev eth0 table 70000', 0, 70000],
  ])('%s: rtm_table %d, RTA_TABLE %s', (line, rtm, rta) => {
    const r = routeRequest(spec(line), 1, 'add');
    expect(r.data.table).toBe(rtm);
    expect(r.attrs.table).toBe(rta);
  });

  it.each([
    ['10.1.0.0/16 dev eth0', NLM_F_CREATE],
    ['10.1.0.0/16 dev eth0 prepend', NLM_F_CREATE],
    ['10.1.0.0/16 dev eth0 add', NLM_F_CREATE | NLM_F_EXCL],
    ['10.1.0.0/16 dev eth0 append', NLM_F_CREATE | NLM_F_APPEND],
  ])('%s: nlmsg flags', (line, flags) => {
    expect(routeRequest(spec(line), 1, 'add').flags).toBe(flags);
  });

  it('onlink goes in rtm_flags; metrics (with lock) in RTA_METRICS on add only', () => {
    const s = spec('10.1.0.0/16 via 10.0.0.1 dev eth0 onlink mtu lock 1400 hoplimit 9');
    const a = routeRequest(s, 1, 'add');
    expect(a.data.flags).toEqual({ __unknown: RTNH_F_ONLINK });
    expect(a.attrs.metrics).toEqual({ mtu: u32(1400), hoplimit: u32(9), lock: u32(1 << 2) });
    expect(routeRequest(s, 1, 'delete').attrs.metrics).toBeUndefined();
  });

  it('the default route carries no RTA_DST; IPv6 source routing carries RTA_SRC', () => {
    const d = routeRequest(spec('default via 10.0.0.1 dev eth0'), 1, 'add');
    expect(d.data.dstLen).toBeUndefined();
    expect(d.attrs.dst).toBeUndefined();
    const f = routeRequest(spec('2001:db8::/32 from 2001:db8:1::/48 dev eth0'), 1, 'add');
    expect(f.data).toMatchObject({ family: 10, dstLen: 32, srcLen: 48 });
    expect(f.attrs.src?.length).toBe(16);
  });

  it('describeRoute gives the words as written', () => {
    expect(describeRoute(route('10.1.0.0/16 via 10.0.0.1 dev eth0 table 100'))).toBe('10.1.0.0/16 via 10.0.0.1 dev eth0 table 100');
  });
});
