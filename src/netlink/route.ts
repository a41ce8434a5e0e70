/**
 * virtual_routes / static_routes entries -> RTM_NEWROUTE / RTM_DELROUTE message objects.
 *
 * The entry's `words` (the `ip route` arguments) are read the way keepalived 2.2.7 reads them
 * (vrrp_iproute.c alloc_route, netlink_route): a route type word may precede the destination;
 * `default`/`any`/`all` are the default route; the protocol is `keepalived` (18) unless the
 * route is `no_track` and names another; add uses scope universe unless `scope` is given, and
 * delete uses scope nowhere (match any) and the type only when one was given; the table goes in
 * rtm_table when below 256, else in RTA_TABLE; `add` = NLM_F_EXCL, `append` = NLM_F_APPEND,
 * default (`prepend`) = NLM_F_CREATE only; `encap` (of the route or of a nexthop) is read by
 * src/config/route-encap.ts and sent as src/netlink/route-encap.ts builds it; nexthops are
 * read by ./route-nexthop.ts. `vrf NAME` puts the route in the VRF device's table, found when
 * the route is installed (withVrfTable); `as [to] ADDR` is left out with keepalived's error
 * (a warning here), `track_group` (static routes) is the daemon's, not the kernel's.
 */
import type { rt } from 'netlink';
import type { RouteEntry } from '../config/model.js';
import type { LinkInfo } from './types.js';
import { formatIp, parseIp, parsePrefix, type IpAddress, type IpPrefix } from '../util/ip.js';
import { err, ok, type Result } from '../util/result.js';
import { readEncap, type Encap } from '../config/route-encap.js';
import {
  AF_INET, AF_INET6, NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL, RT_SCOPE_NOWHERE, RT_SCOPE_UNIVERSE,
  RT_TABLE_MAIN, RT_TABLE_UNSPEC, RTAX, RTAX_FEATURE_ECN, RTN_UNICAST, RTNH_F_ONLINK, RTPROT_KEEPALIVED,
} from './constants.js';
import { DEFAULT_RT_NAMES, lookupName, parseRealms, parseUnsigned, ROUTE_TYPES, type RtNames } from './names.js';
import { u32 } from './attrs.js';
import { encapPayload, LWTUNNEL_ENCAP } from './route-encap.js';
import { multipath, parseNexthops, type Nexthop } from './route-nexthop.js';

export type { Nexthop } from './route-nexthop.js';

type Family = 'inet' | 'inet6';
type MetricName = 'mtu' | 'advmss' | 'window' | 'cwnd' | 'ssthresh' | 'reordering' | 'hoplimit' | 'initcwnd' | 'initrwnd' | 'quickack' | 'fastopenNoCookie' | 'features'
  | 'rtt' | 'rttvar' | 'rtoMin';

/** A route as keepalived understands its words. */
export interface RouteSpec {
  readonly family: Family;
  /** undefined: the default route. */
  readonly dst?: IpPrefix;
  /** `from PREFIX` (IPv6 source routing, RTA_SRC). */
  readonly from?: IpPrefix;
  /** `src ADDR` (RTA_PREFSRC). */
  readonly prefSrc?: IpAddress;
  readonly via?: IpAddress;
  readonly dev?: string;
  readonly table: number;
  readonly protocol: number;
  /** Only when given (`scope S`). */
  readonly scope?: number;
  /** Only when given (a type word before the destination). */
  readonly type?: number;
  readonly metric?: number;
  readonly tos?: number;
  readonly onlink: boolean;
  /** NLM_F_* for add: `prepend` (default) CREATE, `add` CREATE|EXCL, `append` CREATE|APPEND. */
  readonly mode: 'prepend' | 'add' | 'append';
  readonly metrics: Readonly<Partial<Record<MetricName, number>>>;
  /** RTAX_LOCK bits (`mtu lock N`, ...). */
  readonly lock: number;
  /** RTAX_CC_ALGO (`congctl [lock] NAME`) */
  readonly congctl?: string;
  /** RTA_FLOW (`realms [FROM/]TO`, IPv4) */
  readonly realms?: number;
  /** RTA_EXPIRES in seconds (IPv6) */
  readonly expires?: number;
  /** RTA_PREF (`pref low|medium|high|N`, IPv6) */
  readonly pref?: number;
  /** RTA_TTL_PROPAGATE (`ttl-propagate enabled|disabled`) */
  readonly ttlPropagate?: number;
  /** `nexthop ...` (or the deprecated `or ADDR`): RTA_MULTIPATH */
  readonly nexthops: readonly Nexthop[];
  /** `encap ...`: RTA_ENCAP_TYPE / RTA_ENCAP */
  readonly encap?: Encap;
  /**
   * `vrf NAME` written after any `table`: the route goes in that VRF device's table, which
   * withVrfTable finds when the route is installed (`table` holds the one written before).
   */
  readonly vrf?: string;
  readonly noTrack: boolean;
  /** What keepalived would also change or ignore, each with the reason (for the log). */
  readonly warnings: readonly string[];
}

const LOCKABLE: ReadonlySet<string> = new Set(['mtu', 'advmss', 'cwnd', 'ssthresh', 'reordering']);
/** rtt, rttvar and rto_min: the kernel's units per millisecond (1/8, 1/4, 1 ms), keepalived's get_time_rtt */
const RTT_WORDS: ReadonlyMap<string, { name: 'rtt' | 'rttvar' | 'rtoMin'; perMs: number }> = new Map([
  ['rtt', { name: 'rtt', perMs: 8 }], ['rttvar', { name: 'rttvar', perMs: 4 }], ['rto_min', { name: 'rtoMin', perMs: 1 }],
]);
const RTT_MIN_MS = 200;
const RTT_MAX_MS = 120_000;
/** ICMPV6_ROUTER_PREF_* */
const PREFS: ReadonlyMap<string, number> = new Map([['low', 3], ['medium', 0], ['high', 1]]);
const METRIC_WORDS: ReadonlyMap<string, { name: MetricName; max: number }> = new Map([
  ['mtu', { name: 'mtu', max: 0xffffffff }], ['advmss', { name: 'advmss', max: 0xffffffff }],
  ['window', { name: 'window', max: 0xffffffff }], ['cwnd', { name: 'cwnd', max: 0xffffffff }],
  ['ssthresh', { name: 'ssthresh', max: 0xffffffff }], ['reordering', { name: 'reordering', max: 0xffffffff }],
  ['hoplimit', { name: 'hoplimit', max: 255 }], ['initcwnd', { name: 'initcwnd', max: 0xffffffff }],
  ['initrwnd', { name: 'initrwnd', max: 0xffffffff }], ['quickack', { name: 'quickack', max: 1 }],
  ['fastopen_no_cookie', { name: 'fastopenNoCookie', max: 1 }],
]);

/** Reads `ip route` words as keepalived does; errors name the offending word. */
export function parseRouteWords(words: readonly string[], names: RtNames = DEFAULT_RT_NAMES): Result<RouteSpec, string> {
  let family: Family | undefined;
  let dst: IpPrefix | 'default' | undefined;
  let from: IpPrefix | undefined;
  let prefSrc: IpAddress | undefined;
  let via: IpAddress | undefined;
  let dev: string | undefined;
  let table = RT_TABLE_MAIN;
  let protocol: number | undefined;
  let scope: number | undefined;
  let type: number | undefined;
  let metric: number | undefined;
  let tos: number | undefined;
  let onlink = false;
  let mode: RouteSpec['mode'] = 'prepend';
  const metrics: Partial<Record<MetricName, number>> = {};
  let lock = 0;
  let noTrack = false;
  let congctl: string | undefined;
  let realms: number | undefined;
  let expires: number | undefined;
  let pref: number | undefined;
  let ttlPropagate: number | undefined;
  let encap: Encap | undefined;
  let vrf: string | undefined;
  const nexthops: Nexthop[] = [];
  const warnings: string[] = [];

  const setFamily = (f: Family, what: string): string | undefined => {
    if (family === undefined) family = f;
    else if (family !== f) return `cannot mix IPv4 and IPv6 (${what})`;
    return undefined;
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const arg = (): string | undefined => words[++i];
    const need = (v: string | undefined): v is string => v !== undefined;
    let problem: string | undefined;
    if (w === 'inet' || w === 'inet6') problem = setFamily(w, w);
    else if (w === 'src') {
      const v = arg();
      const a = need(v) ? parseIp(v) : undefined;
      if (!a) return err(`invalid src '${v ?? ''}'`);
      prefSrc = a;
      problem = setFamily(a.family, `src ${v}`);
    } else if (w === 'via' || w === 'gw') {
      let v = arg();
      let viaFamily: Family | undefined;
      if (v === 'inet' || v === 'inet6') {
        viaFamily = v;
        v = arg();
      }
      const a = need(v) ? parseIp(v) : undefined;
      if (!a || (viaFamily && a.family !== viaFamily)) return err(`invalid via '${v ?? ''}'`);
      via = a;
      problem = setFamily(a.family, `via ${v}`);
    } else if (w === 'from') {
      const v = arg();
      const p = need(v) ? parsePrefix(v) : undefined;
      if (!p || p.family !== 'inet6') return err(`route 'from' needs an IPv6 prefix ('${v ?? ''}')`);
      from = p;
      problem = setFamily('inet6', `from ${v}`);
    } else if (w === 'dev' || w === 'oif') {
      const v = arg();
      if (!need(v)) return err(`'${w}' needs an interface`);
      dev = v;
    } else if (w === 'table') {
      const v = arg();
      const t = need(v) ? lookupName(names.tables, v, 0xffffffff) : undefined;
      if (t === undefined) return err(`routing table '${v ?? ''}' not found`);
      table = t;
      vrf = undefined;
    } else if (w === 'vrf') {
      // keepalived sets the table from the VRF when it reads the word: the last of the two wins
      const v = arg();
      if (!need(v)) return err(`'vrf' needs a VRF device`);
      vrf = v;
    } else if (w === 'as') {
      // keepalived reads `as [to] ADDR` and leaves it out (it is for MPLS routes)
      if (arg() === 'to') i++;
      warnings.push('"as to" for MPLS only - ignoring');
    } else if (w === 'track_group') {
      // a static route's group of instances tracking its interface (src/daemon/engine-config.ts)
      arg();
    } else if (w === 'protocol' || w === 'proto') {
      const v = arg();
      const p = need(v) ? lookupName(names.protocols, v, 255) : undefined;
      if (p === undefined) return err(`protocol '${v ?? ''}' not found`);
      protocol = p;
    } else if (w === 'scope') {
      const v = arg();
      const s = need(v) ? lookupName(names.scopes, v, 255) : undefined;
      if (s === undefined) return err(`scope '${v ?? ''}' not found`);
      scope = s;
    } else if (w === 'metric' || w === 'priority' || w === 'preference') {
      const v = arg();
      const m = need(v) ? parseUnsigned(v, 0xffffffff) : undefined;
      if (m === undefined) return err(`invalid metric '${v ?? ''}'`);
      metric = m;
    } else if (w === 'tos' || w === 'dsfield') {
      const v = arg();
      const t = need(v) ? parseUnsigned(v, 255) : undefined;
      if (t === undefined) return err(`tos '${v ?? ''}' is not a number (names from rt_dsfield are not supported by keepalived-ts)`);
      tos = t;
    } else if (w === 'onlink') onlink = true;
    else if (w === 'add' || w === 'append' || w === 'prepend') mode = w;
    else if (w === 'no_track') noTrack = true;
    else if (w === 'features') {
      const v = arg();
      if (v !== 'ecn') return err(`feature '${v ?? ''}' not supported`);
      metrics.features = RTAX_FEATURE_ECN;
    } else if (METRIC_WORDS.has(w)) {
      const { name, max } = METRIC_WORDS.get(w)!;
      let v = arg();
      if (v === 'lock' && LOCKABLE.has(w)) {
        lock |= 1 << RTAX[name];
        v = arg();
      }
      const n = need(v) ? parseUnsigned(v, max) : undefined;
      if (n === undefined) return err(`invalid ${w} '${v ?? ''}'`);
      metrics[name] = n;
    } else if (RTT_WORDS.has(w)) {
      const { name, perMs } = RTT_WORDS.get(w)!;
      let v = arg();
      if (v === 'lock') {
        lock |= 1 << RTAX[name];
        v = arg();
      }
      const n = need(v) ? rttValue(v, perMs) : undefined;
      if (n === undefined) return err(`invalid ${w} '${v ?? ''}'`);
      metrics[name] = n;
    } else if (w === 'congctl') {
      let v = arg();
      if (v === 'lock') {
        lock |= 1 << RTAX.ccAlgo;
        v = arg();
      }
      if (!need(v)) return err(`'congctl' needs an algorithm`);
      congctl = v;
    } else if (w === 'realms') {
      const v = arg();
      const r = need(v) ? parseRealms(v, names) : undefined;
      if (r === undefined) return err(`invalid realms '${v ?? ''}'`);
      realms = r;
      problem = setFamily('inet', 'realms');
    } else if (w === 'expires') {
      const v = arg();
      const n = need(v) ? parseUnsigned(v, 0xffffffff) : undefined;
      if (n === undefined) return err(`invalid expires '${v ?? ''}'`);
      expires = n;
      problem = setFamily('inet6', 'expires');
    } else if (w === 'pref') {
      const v = arg();
      const n = need(v) ? PREFS.get(v) ?? parseUnsigned(v, 255) : undefined;
      if (n === undefined) return err(`invalid pref '${v ?? ''}'`);
      pref = n;
      problem = setFamily('inet6', 'pref');
    } else if (w === 'ttl-propagate') {
      const v = arg();
      if (v !== 'enabled' && v !== 'disabled') return err(`ttl-propagate value '${v ?? ''}' not recognised`);
      ttlPropagate = v === 'enabled' ? 1 : 0;
    } else if (w === 'encap') {
      const r = readEncap(words, i);
      if (r.problem) return err(r.problem.message);
      encap = r.encap;
      i = r.next - 1;
    } else if (w === 'or') {
      // keepalived's deprecated form: the route's via and this address become two nexthops
      const v = arg();
      const a = need(v) ? parseIp(v) : undefined;
      if (!a) return err(`invalid "or" address '${v ?? ''}'`);
      if (nexthops.length === 0) {
        nexthops.push({ ...(via ? { via } : {}), onlink: false }, { via: a, onlink: false });
        via = undefined;
      }
      problem = setFamily(a.family, `or ${v}`);
    } else if (w === 'nexthop') {
      const r = parseNexthops(words, i, names);
      if (!r.ok) return r;
      if (r.value.warning !== undefined) warnings.push(r.value.warning);
      for (const nh of r.value.nexthops) {
        if (nh.via) problem ??= setFamily(nh.via.family, `nexthop via ${formatIp(nh.via.bytes)}`);
        if (nh.realms !== undefined) problem ??= setFamily('inet', 'nexthop realms');
      }
      nexthops.push(...r.value.nexthops);
      i = words.length;
    } else {
      // [to] [TYPE] PREFIX
      let d = w;
      if (d === 'to') d = arg() ?? '';
      const t = ROUTE_TYPES.get(d);
      if (t !== undefined) {
        type = t;
        d = arg() ?? '';
      }
      if (d === 'default' || d === 'any' || d === 'all') dst = 'default';
      else if (d === 'default6') {
        dst = 'default';
        problem = setFamily('inet6', d);
      } else {
        const p = parsePrefix(d);
        if (!p) return err(`unknown route keyword '${d}'`);
        dst = p;
        problem = setFamily(p.family, d);
      }
    }
    if (problem) return err(problem);
  }
  if (dst === undefined) return err('route has no destination');
  if (protocol !== undefined && !noTrack && protocol !== RTPROT_KEEPALIVED) {
    warnings.push(`protocol ${protocol} replaced by keepalived (${RTPROT_KEEPALIVED}): a tracked route must carry it (add no_track to keep it)`);
    protocol = RTPROT_KEEPALIVED;
  }
  const spec: { -readonly [K in keyof RouteSpec]: RouteSpec[K] } = {
    family: family ?? 'inet', table, protocol: protocol ?? RTPROT_KEEPALIVED, onlink, mode, metrics, lock, noTrack, warnings, nexthops,
  };
  if (congctl !== undefined) spec.congctl = congctl;
  if (realms !== undefined) spec.realms = realms;
  if (expires !== undefined) spec.expires = expires;
  if (pref !== undefined) spec.pref = pref;
  if (ttlPropagate !== undefined) spec.ttlPropagate = ttlPropagate;
  if (encap) spec.encap = encap;
  if (vrf !== undefined) spec.vrf = vrf;
  if (dst !== 'default') spec.dst = dst;
  if (from) spec.from = from;
  if (prefSrc) spec.prefSrc = prefSrc;
  if (via) spec.via = via;
  if (dev !== undefined) spec.dev = dev;
  if (scope !== undefined) spec.scope = scope;
  if (type !== undefined) spec.type = type;
  if (metric !== undefined) spec.metric = metric;
  if (tos !== undefined) spec.tos = tos;
  return ok(spec);
}

/**
 * keepalived's get_time_rtt: a number, raw kernel units without a suffix, or with `ms` /
 * `s` (`sec`, `secs`; seconds may have 3 decimals) converted; clamped to 200 ms .. 120 s.
 */
function rttValue(text: string, perMs: number): number | undefined {
  const m = /^(\d+(?:\.\d{1,3})?)(ms|msec|msecs|s|sec|secs)?$/i.exec(text);
  if (!m) return undefined;
  const unit = m[2]?.toLowerCase();
  if (unit === undefined) {
    if (m[1]!.includes('.')) return undefined;
    const raw = Number(m[1]);
    return Math.min(Math.max(raw, RTT_MIN_MS * perMs), RTT_MAX_MS * perMs);
  }
  const ms = unit.startsWith('m') ? Number(m[1]) : Math.round(Number(m[1]) * 1000);
  if (unit.startsWith('m') && m[1]!.includes('.')) return undefined;
  return Math.min(Math.max(ms, RTT_MIN_MS), RTT_MAX_MS) * perMs;
}

/** What installing a route asks of the machine's links. */
export interface RouteLinks {
  /** an interface's index; undefined: no such interface */
  index(name: string): number | undefined;
  /** a VRF device's table (IFLA_VRF_TABLE); 'not-vrf' for another kind of link; undefined: no such link */
  vrfTable(name: string): number | 'not-vrf' | undefined;
}

/** RouteLinks.vrfTable of a link as rtnetlink shows it (undefined: no such link). */
export function vrfTableOf(link: Pick<LinkInfo, 'kind' | 'vrfTable'> | undefined): number | 'not-vrf' | undefined {
  if (!link) return undefined;
  return link.kind === 'vrf' && link.vrfTable !== undefined ? link.vrfTable : 'not-vrf';
}

/**
 * The route in its VRF's table (keepalived's words when there is no such VRF), or as it is
 * without `vrf`. The result has no `vrf` left: routeRequest sends its `table`.
 */
export function withVrfTable(spec: RouteSpec, links: Pick<RouteLinks, 'vrfTable'>): Result<RouteSpec, string> {
  if (spec.vrf === undefined) return ok(spec);
  const table = links.vrfTable(spec.vrf);
  if (table === undefined) return err(`VRF ${spec.vrf} not found for route`);
  if (table === 'not-vrf') return err(`Route specified VRF ${spec.vrf} is not a VRF`);
  const { vrf: _resolved, ...rest } = spec;
  return ok({ ...rest, table });
}

export interface RouteRequest {
  readonly data: rt.Route;
  readonly attrs: rt.RouteAttrs;
  /** Extra nlmsghdr flags (REQUEST and ACK are added by the socket). */
  readonly flags: number;
}

/**
 * The message for adding or deleting `spec` (with its VRF's table: withVrfTable); `oif` is the
 * resolved index of `dev`.
 */
export function routeRequest(spec: RouteSpec, oif: number | undefined, op: 'add' | 'delete',
  resolveIf: (name: string) => number | undefined = () => undefined): RouteRequest {
  if (spec.vrf !== undefined) throw new Error(`route for VRF ${spec.vrf}: its table is not known yet (withVrfTable)`);
  const add = op === 'add';
  const data: rt.Route = {
    family: spec.family === 'inet' ? AF_INET : AF_INET6,
    protocol: spec.protocol,
    scope: spec.scope ?? (add ? RT_SCOPE_UNIVERSE : RT_SCOPE_NOWHERE),
  };
  const type = spec.type ?? (add ? RTN_UNICAST : undefined);
  if (type !== undefined) data.type = type;
  const attrs: rt.RouteAttrs = {};
  if (spec.table < 256) data.table = spec.table;
  else {
    data.table = RT_TABLE_UNSPEC;
    attrs.table = spec.table;
  }
  if (spec.dst) {
    data.dstLen = spec.dst.prefixLen;
    attrs.dst = Buffer.from(spec.dst.bytes);
  }
  if (spec.from) {
    data.srcLen = spec.from.prefixLen;
    attrs.src = Buffer.from(spec.from.bytes);
  }
  if (spec.prefSrc) attrs.prefsrc = Buffer.from(spec.prefSrc.bytes);
  if (spec.via) attrs.gateway = Buffer.from(spec.via.bytes);
  if (spec.tos !== undefined) data.tos = spec.tos;
  if (oif !== undefined) attrs.oif = oif;
  if (spec.metric !== undefined) attrs.priority = spec.metric;
  if (spec.onlink) data.flags = { __unknown: RTNH_F_ONLINK };
  if (spec.realms !== undefined) attrs.flow = spec.realms;
  if (spec.expires !== undefined) attrs.expires = u32(spec.expires);
  if (spec.pref !== undefined) attrs.pref = Buffer.from([spec.pref]);
  if (spec.ttlPropagate !== undefined) attrs.ttlPropagate = spec.ttlPropagate;
  if (spec.nexthops.length > 0) attrs.multipath = multipath(spec.nexthops, resolveIf);
  if (spec.encap) {
    attrs.encapType = LWTUNNEL_ENCAP[spec.encap.kind];
    attrs.encap = encapPayload(spec.encap);
  }
  if (add) {
    const m: rt.RouteMetrics = {};
    for (const [k, v] of Object.entries(spec.metrics) as [MetricName, number][]) m[k] = u32(v);
    if (spec.congctl !== undefined) m.ccAlgo = Buffer.from(spec.congctl);
    if (Object.keys(m).length > 0) {
      if (spec.lock) m.lock = u32(spec.lock);
      attrs.metrics = m;
    }
  }
  const flags = !add ? 0 : NLM_F_CREATE | (spec.mode === 'add' ? NLM_F_EXCL : spec.mode === 'append' ? NLM_F_APPEND : 0);
  return { data, attrs, flags };
}

/** The route as written (its `ip route` words), for messages. */
export function describeRoute(r: RouteEntry): string {
  return r.words.join(' ');
}
