/**
 * KEEPALIVED-MIB's vrrpRouteTable (.2.7), vrrpRuleTable (.2.8) and vrrpRouteNextHopTable
 * (.2.11), as keepalived 2.2.7 fills them in (vrrp/vrrp_snmp.c vrrp_snmp_route, _rule,
 * _next_hop, _encap), from the routes and rules as keepalived reads their words
 * (src/netlink/route.ts, rule.ts). Pure.
 *
 * Rows are indexed (owner, position): the static_routes / static_rules are owner 0, each
 * instance's virtual_routes / virtual_rules its position (1 on); a next hop is (owner, route,
 * position). As keepalived:
 * - every route has a destination (the default route's is the zero address of its family,
 *   length 0), a metric, a scope, a type and a table; its protocol is shown when tracked (18,
 *   shown + 1) or when written;
 * - a route with next hops is of type 2, and its secondary gateway is its one next hop's
 *   address when it has exactly one (the deprecated `or` makes two);
 * - a rule's `from all` / `to all` are the zero address of its family, length 0; its table
 *   columns exist for a table action only, its target for goto only; a rule written without a
 *   preference shows the one keepalived gives it (16384 down, per family).
 * Where keepalived 2.2.7 is wrong the value is the right one (docs/errors.md): advmss is
 * shown when advmss is given (keepalived looks at hoplimit's bit), an MPLS label stack as the
 * labels (keepalived prints the raw stack entries in network order), an IPv6 encap's
 * hoplimit in the TTL column (keepalived leaves it out).
 */
import type { SnmpValue } from './agentx.js';
import { Builder, bytes, gauge, inetType, int, scope, str, truth, VRRP_OID } from './values.js';
import type { RouteSpec, Nexthop } from '../netlink/route.js';
import type { RuleSpec } from '../netlink/rule.js';
import type { Encap } from '../config/route-encap.js';
import { FR_ACT_GOTO, FR_ACT_TO_TBL, RTAX, RTN_UNICAST } from '../netlink/constants.js';

/** a route of an instance or of static_routes, with what the running daemon knows of it */
export interface SnmpRoute {
  readonly spec: RouteSpec;
  /** its table (a `vrf` resolved to the VRF device's table) */
  readonly table: number;
  /** the index of `spec.dev` (0: not found) */
  readonly ifindex: number;
  /** the index of each next hop's `dev`, by position */
  readonly nexthopIfindex: readonly number[];
  /** protocol written, or the route tracked (keepalived's IPROUTE_BIT_PROTOCOL) */
  readonly protocolShown: boolean;
  readonly set: boolean;
}

/** a rule of an instance or of static_rules */
export interface SnmpRule {
  readonly spec: RuleSpec;
  /** `from all` / `to all` written (keepalived keeps a zero address of length 0) */
  readonly fromAll: boolean;
  readonly toAll: boolean;
  /** the preference written or given by keepalived's numbering */
  readonly preference: number;
  /** `suppress_ifgroup` as keepalived names it (the group's name, else its number) */
  readonly suppressGroup?: string;
  readonly set: boolean;
}

/** ICMPV6_ROUTER_PREF_* -> vrrpRoutePreference: low(1) medium(2) high(3) */
const PREF_COLUMN: Readonly<Record<number, number>> = { 3: 1, 0: 2, 1: 3 };
/** LWTUNNEL_ENCAP_* of an Encap kind (the column is the number + 1, as keepalived) */
const ENCAP_TYPE: Readonly<Record<Encap['kind'], number>> = { mpls: 1, ip: 2, ila: 3, ip6: 4 };

const zeros = (family: 'inet' | 'inet6'): Uint8Array => new Uint8Array(family === 'inet' ? 4 : 16);

/** the encap columns from `first` (type; MPLS labels, id, dst, src, tos, ttl, flags, ILA locator) */
function encapColumns(e: Encap | undefined, col: (n: number, v: SnmpValue) => void, first: number): void {
  if (!e) return;
  col(first, int(ENCAP_TYPE[e.kind] + 1));
  if (e.kind === 'mpls') col(first + 1, str(e.labels.join('/')));
  // keepalived keeps the locator in network order and shows that u64 as a host number (as its dump does)
  else if (e.kind === 'ila') col(first + 8, { type: 'counter64', value: Buffer.from(e.locator).readBigUInt64LE() });
  else {
    if (e.id !== undefined) col(first + 2, { type: 'counter64', value: e.id });
    if (e.dst) col(first + 3, bytes(e.dst.bytes));
    if (e.src) col(first + 4, bytes(e.src.bytes));
    const tos = e.kind === 'ip' ? e.tos : e.tc;
    const ttl = e.kind === 'ip' ? e.ttl : e.hoplimit;
    if (tos !== undefined) col(first + 5, gauge(tos));
    if (ttl !== undefined) col(first + 6, gauge(ttl));
    if (e.flags !== undefined) col(first + 7, gauge(e.flags));
  }
}

function routeRow(b: Builder, x: number, y: number, r: SnmpRoute): void {
  const s = r.spec;
  const col = (n: number, v: SnmpValue): void => b.add([...VRRP_OID, 7, 1, n, x, y], v);
  const locked = (name: keyof typeof RTAX): SnmpValue => truth((s.lock & (1 << RTAX[name])) !== 0);
  const m = s.metrics;
  col(2, int(inetType(s.family)));
  col(3, bytes(s.dst?.bytes ?? zeros(s.family)));
  col(4, gauge(s.dst?.prefixLen ?? 0));
  if (s.via) col(5, bytes(s.via.bytes));
  const only = s.nexthops.length === 1 ? s.nexthops[0] : undefined;
  if (only?.via && !only.encap) col(6, bytes(only.via.bytes));
  if (s.prefSrc) col(7, bytes(s.prefSrc.bytes));
  col(8, gauge(s.metric ?? 0));
  col(9, int(scope(s.scope ?? 0)));
  // keepalived's vrrpRouteType: unicast(1) multipath(2) blackhole(3) anycast(4) multicast(5)
  // broadcast(6) unreachable(7) prohibit(8) throw(9) nat(10) xresolve(11), from RTN_* 6, 4, 5, 3, 7, 8, 9, 10, 11
  const RTN_COLUMN: Readonly<Record<number, number>> = { 6: 3, 4: 4, 5: 5, 3: 6, 7: 7, 8: 8, 9: 9, 10: 10, 11: 11 };
  col(10, int(s.nexthops.length > 0 ? 2 : RTN_COLUMN[s.type ?? RTN_UNICAST] ?? 1));
  if (s.dev !== undefined) {
    col(11, int(r.ifindex));
    col(12, str(s.dev));
  }
  col(13, gauge(r.table));
  col(14, truth(r.set));
  if (s.from) {
    col(15, bytes(s.from.bytes));
    col(16, gauge(s.from.prefixLen));
  }
  if (s.tos !== undefined) col(17, gauge(s.tos));
  if (r.protocolShown) col(18, int(s.protocol + 1));
  col(19, truth(m.features !== undefined));
  col(20, truth(m.quickack !== undefined));
  if (s.expires !== undefined) col(21, int(s.expires));
  const metric = (value: number | undefined, c: number, lock?: keyof typeof RTAX): void => {
    if (value === undefined) return;
    col(c, gauge(value));
    if (lock) col(c + 1, locked(lock));
  };
  metric(m.mtu, 22, 'mtu');
  metric(m.hoplimit, 24);
  metric(m.advmss, 25, 'advmss');
  metric(m.rtt === undefined ? undefined : Math.floor(m.rtt / 8), 27, 'rtt');
  metric(m.rttvar === undefined ? undefined : Math.floor(m.rttvar / 4), 29, 'rttvar');
  metric(m.reordering, 31, 'reordering');
  metric(m.window, 33);
  metric(m.cwnd, 34, 'cwnd');
  metric(m.ssthresh, 36, 'ssthresh');
  metric(m.rtoMin, 38, 'rtoMin');
  metric(m.initcwnd, 40);
  metric(m.initrwnd, 41);
  if (s.congctl !== undefined) col(42, str(s.congctl));
  if (s.pref !== undefined) col(43, int(PREF_COLUMN[s.pref] ?? 0));
  realmColumns(s.realms, col, 44);
  encapColumns(s.encap, col, 46);
  if (m.fastopenNoCookie !== undefined) col(55, truth(m.fastopenNoCookie !== 0));
}

function realmColumns(realms: number | undefined, col: (n: number, v: SnmpValue) => void, first: number): void {
  if (!realms) return;
  col(first, gauge(realms & 0xffff));
  if (realms >>> 16) col(first + 1, gauge(realms >>> 16));
}

function nexthopRow(b: Builder, x: number, y: number, z: number, nh: Nexthop, ifindex: number): void {
  const col = (n: number, v: SnmpValue): void => b.add([...VRRP_OID, 11, 1, n, x, y, z], v);
  if (nh.via) {
    col(2, int(inetType(nh.via.family)));
    col(3, bytes(nh.via.bytes));
  }
  if (nh.dev !== undefined) {
    col(4, int(ifindex));
    col(5, str(nh.dev));
  }
  if (nh.weight !== undefined) col(6, gauge(nh.weight));
  col(7, truth(nh.onlink));
  realmColumns(nh.realms, col, 8);
  encapColumns(nh.encap, col, 10);
}

function ruleRow(b: Builder, x: number, y: number, r: SnmpRule): void {
  const s = r.spec;
  const col = (n: number, v: SnmpValue): void => b.add([...VRRP_OID, 8, 1, n, x, y], v);
  const to = s.to ?? (r.toAll ? { family: s.family, bytes: zeros(s.family), prefixLen: 0 } : undefined);
  const from = s.from ?? (r.fromAll ? { family: s.family, bytes: zeros(s.family), prefixLen: 0 } : undefined);
  // the obsolete direction columns: "to" wins over "from"
  col(2, str(to ? (from ? 'both' : 'to') : from ? 'from' : ''));
  const either = to ?? from;
  if (either) {
    col(3, int(inetType(either.family)));
    col(4, bytes(either.bytes));
    col(5, gauge(either.prefixLen));
  }
  const table = s.action === FR_ACT_TO_TBL ? s.table ?? 0 : undefined;
  if (table !== undefined) col(6, gauge(table));
  col(7, truth(r.set));
  col(8, truth(s.invert));
  if (to) {
    col(9, int(inetType(to.family)));
    col(10, bytes(to.bytes));
    col(11, gauge(to.prefixLen));
  }
  if (from) {
    col(12, int(inetType(from.family)));
    col(13, bytes(from.bytes));
    col(14, gauge(from.prefixLen));
  }
  col(15, gauge(s.tos ?? 0));
  if (s.fwmark !== undefined) col(16, gauge(s.fwmark));
  if (s.fwmask !== undefined) col(17, gauge(s.fwmask));
  realmColumns(s.realms, col, 18);
  if (s.iif !== undefined) col(20, str(s.iif));
  if (s.oif !== undefined) col(21, str(s.oif));
  if (s.action === FR_ACT_GOTO) col(22, gauge(s.gotoTarget ?? 0));
  col(23, int(s.action));
  if (table !== undefined) col(24, gauge(table));
  if (r.preference) col(25, gauge(r.preference));
  if (s.suppressPrefixLength !== undefined) col(26, gauge(s.suppressPrefixLength));
  if (r.suppressGroup !== undefined) col(27, str(r.suppressGroup));
  if (s.tunnelId) {
    col(28, gauge(Number(s.tunnelId >> 32n)));
    col(29, gauge(Number(s.tunnelId & 0xffffffffn)));
  }
  if (s.uidRange) {
    col(30, gauge(s.uidRange.start));
    col(31, gauge(s.uidRange.end));
  }
  if (s.l3mdev) col(32, int(1));
}

/** The three tables: `owners[0]` is static_routes / static_rules, `owners[i]` instance i's. */
export function routeTables(b: Builder, owners: readonly { readonly routes: readonly SnmpRoute[]; readonly rules: readonly SnmpRule[] }[]): void {
  owners.forEach((o, x) => {
    o.routes.forEach((r, j) => {
      routeRow(b, x, j + 1, r);
      r.spec.nexthops.forEach((nh, k) => nexthopRow(b, x, j + 1, k + 1, nh, r.nexthopIfindex[k] ?? 0));
    });
    o.rules.forEach((r, j) => ruleRow(b, x, j + 1, r));
  });
}
