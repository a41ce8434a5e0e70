// KEEPALIVED-MIB's route, rule and next-hop tables (src/snmp/vrrp-route-mib.ts) from entries'
// words (src/daemon/vrrp-snmp-routes.ts): what test/interop/snmp.test.ts cannot show beside
// keepalived (routes the kernel of the netns test would refuse, the deliberate differences of
// docs/errors.md, entries keepalived drops).
import { describe, expect, it } from 'vitest';
import type { RouteEntry, RuleEntry } from '../../../src/config/model.js';
import { routeRows } from '../../../src/daemon/vrrp-snmp-routes.js';
import type { HostLink } from '../../../src/daemon/view.js';
import { DEFAULT_RT_NAMES } from '../../../src/netlink/names.js';
import type { Varbind } from '../../../src/snmp/agentx.js';
import { Builder } from '../../../src/snmp/values.js';
import { routeTables } from '../../../src/snmp/vrrp-route-mib.js';

const link = (name: string, index: number, extra: object = {}): HostLink => ({ link: { name, index, ...extra } as HostLink['link'], addresses: [] });
const LINKS = [link('eth0', 3), link('blue', 9, { kind: 'vrf', vrfTable: 1001 })];
const route = (words: string): RouteEntry => ({ words: words.split(' ') } as unknown as RouteEntry);
const rule = (words: string): RuleEntry => ({ words: words.split(' ') } as unknown as RuleEntry);

/** "table.column.index..." -> value, for the rows of one owner's routes and rules */
function view(routes: string[], rules: string[] = [], names = DEFAULT_RT_NAMES): Map<string, string> {
  const ruleEntries = rules.map(rule);
  const rows = routeRows(LINKS, names, ruleEntries);
  const b = new Builder();
  routeTables(b, [{ routes: [], rules: [] }, { routes: rows.routes(routes.map(route), true), rules: rows.rules(ruleEntries, false) }]);
  const text = (v: Varbind['value']): string => {
    if (v.type === 'octets') return Array.from(v.value).every((c) => c >= 0x20 && c < 0x7f) ? `"${new TextDecoder().decode(v.value)}"` : Array.from(v.value).join('.');
    return 'value' in v ? String(v.value) : v.type;
  };
  return new Map(b.out.map((x) => [x.oid.slice(10).join('.'), text(x.value)]));
}

describe('vrrpRouteTable', () => {
  it('shows advmss when advmss is given, not when hoplimit is (keepalived 2.2.7 looks at hoplimit\'s bit)', () => {
    const v = view(['10.1.0.0/16 via 10.0.0.1 dev eth0 advmss 1200', '10.2.0.0/16 via 10.0.0.1 dev eth0 hoplimit 9']);
    expect(v.get('7.1.25.1.1')).toBe('1200');
    expect(v.get('7.1.26.1.1')).toBe('2');
    expect(v.has('7.1.24.1.1')).toBe(false);
    expect(v.get('7.1.24.1.2')).toBe('9');
    expect(v.has('7.1.25.1.2')).toBe(false);
  });

  it('gives an IPv6 default route the zero address of length 0, and its interface', () => {
    const v = view(['inet6 default via fe80::1 dev eth0']);
    expect(v.get('7.1.2.1.1')).toBe('2');
    expect(v.get('7.1.3.1.1')).toBe(Array(16).fill(0).join('.'));
    expect(v.get('7.1.4.1.1')).toBe('0');
    expect(v.get('7.1.11.1.1')).toBe('3');
    expect(v.get('7.1.12.1.1')).toBe('"eth0"');
  });

  it('makes the deprecated `or` two next hops: type 2, no gateway and no secondary gateway', () => {
    const v = view(['10.3.0.0/16 via 10.0.0.1 or 10.0.0.2 dev eth0']);
    expect(v.get('7.1.10.1.1')).toBe('2');
    expect(v.has('7.1.5.1.1')).toBe(false);
    expect(v.has('7.1.6.1.1')).toBe(false);
    expect(v.get('11.1.3.1.1.1')).toBe('10.0.0.1');
    expect(v.get('11.1.3.1.1.2')).toBe('10.0.0.2');
  });

  it('shows a lone next hop as the secondary gateway unless it has an encap, whose columns are the next hop\'s', () => {
    const v = view(['10.4.0.0/16 nexthop via 10.0.0.3 dev eth0 weight 4 onlink', '10.5.0.0/16 nexthop via 10.0.0.4 dev eth0 encap ip id 7 dst 10.9.9.9 ttl 5']);
    expect(v.get('7.1.6.1.1')).toBe('10.0.0.3');
    expect(v.get('11.1.4.1.1.1')).toBe('3');
    expect(v.get('11.1.6.1.1.1')).toBe('4');
    expect(v.get('11.1.7.1.1.1')).toBe('1');
    expect(v.has('7.1.6.1.2')).toBe(false);
    expect(v.get('11.1.10.1.2.1')).toBe('3'); // LWTUNNEL_ENCAP_IP (2) + 1
    expect(v.get('11.1.12.1.2.1')).toBe('7');
    expect(v.get('11.1.13.1.2.1')).toBe('10.9.9.9');
    expect(v.get('11.1.16.1.2.1')).toBe('5');
  });

  it('shows an MPLS label stack as its labels and an IPv6 encap\'s hoplimit as the TTL', () => {
    const v = view(['10.6.0.0/16 encap mpls 100/200 via 10.0.0.1 dev eth0', 'fd00:6::/64 encap ip6 id 3 dst fd00::9 hoplimit 4 tc 8 dev eth0']);
    expect(v.get('7.1.46.1.1')).toBe('2');
    expect(v.get('7.1.47.1.1')).toBe('"100/200"');
    expect(v.get('7.1.46.1.2')).toBe('5');
    expect(v.get('7.1.51.1.2')).toBe('8');
    expect(v.get('7.1.52.1.2')).toBe('4');
  });

  it('puts a vrf route in its table and leaves out the routes keepalived would have dropped', () => {
    const v = view(['10.7.0.0/16 dev eth0 vrf blue', '10.8.0.0/16 dev eth0 vrf nosuch', '10.9.0.0/16 dev eth0 table 7']);
    expect(v.get('7.1.13.1.1')).toBe('1001');
    expect(v.get('7.1.13.1.2')).toBe('7');
    expect(v.has('7.1.13.1.3')).toBe(false);
  });

  it('shows the protocol of a tracked route, and of an untracked one only when written', () => {
    const v = view(['10.10.0.0/16 dev eth0', '10.11.0.0/16 dev eth0 no_track', '10.12.0.0/16 dev eth0 no_track protocol boot']);
    expect(v.get('7.1.18.1.1')).toBe('19');
    expect(v.has('7.1.18.1.2')).toBe(false);
    expect(v.get('7.1.18.1.3')).toBe('4');
  });
});

describe('vrrpRuleTable', () => {
  it('keeps `from all` as the zero address, numbers rules without a preference per family, and shows set', () => {
    const v = view([], ['from all table 100', 'to 10.1.0.0/16 table 101', 'inet6 from fd00::/64 table 102', 'from 10.2.0.0/16 table 103 preference 40']);
    expect(v.get('8.1.2.1.1')).toBe('"from"');
    expect(v.get('8.1.13.1.1')).toBe('0.0.0.0');
    expect(v.get('8.1.14.1.1')).toBe('0');
    expect(v.get('8.1.2.1.2')).toBe('"to"');
    expect(v.get('8.1.25.1.1')).toBe('16384');
    expect(v.get('8.1.25.1.2')).toBe('16383');
    expect(v.get('8.1.25.1.3')).toBe('16384');
    expect(v.get('8.1.25.1.4')).toBe('40');
    expect(v.get('8.1.7.1.1')).toBe('2');
  });

  it('has table columns for a table action only, a target for goto only, and the action', () => {
    const v = view([], ['from 10.3.0.0/16 goto 300 preference 200', 'fwmark 0x10/0xff blackhole preference 210', 'from 10.4.0.0/16 table 5 preference 220']);
    expect(v.get('8.1.22.1.1')).toBe('300');
    expect(v.get('8.1.23.1.1')).toBe('2');
    expect(v.has('8.1.6.1.1')).toBe(false);
    expect(v.get('8.1.16.1.2')).toBe('16');
    expect(v.get('8.1.17.1.2')).toBe('255');
    expect(v.get('8.1.23.1.2')).toBe('6');
    expect(v.get('8.1.6.1.3')).toBe('5');
    expect(v.get('8.1.24.1.3')).toBe('5');
    expect(v.has('8.1.22.1.3')).toBe(false);
  });

  it('names a suppressed interface group from the group file, else by number, and splits a tunnel id', () => {
    const names = { ...DEFAULT_RT_NAMES, groups: new Map([['edge', 3]]) };
    const v = view([], ['from 10.5.0.0/16 table 6 suppress_ifgroup edge preference 1', 'from 10.6.0.0/16 table 6 suppress_ifgroup 4 preference 2', 'from 10.7.0.0/16 table 6 tunnel-id 4294967298 preference 3'], names);
    expect(v.get('8.1.27.1.1')).toBe('"edge"');
    expect(v.get('8.1.27.1.2')).toBe('"4"');
    expect(v.get('8.1.28.1.3')).toBe('1');
    expect(v.get('8.1.29.1.3')).toBe('2');
  });
});
