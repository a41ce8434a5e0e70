/**
 * One virtual_routes / static_routes line (`ip route` words) as keepalived 2.2.7 reads it when
 * it loads the configuration (vrrp_iproute.c alloc_route, parse_nexthops): what `-t` reports,
 * with keepalived's words. The words are kept for the daemon, which reads them again to build
 * the request (src/netlink/route.ts).
 *
 * - `as [to] ADDR` is for MPLS: keepalived says so and leaves it out; in a `nexthop` it is
 *   refused, and that nexthop and the words after it are left out (the route stays).
 * - `vrf NAME` needs a VRF device: a missing one, or a link of another kind, drops the route
 *   (keepalived looks it up while reading; so do we, through the machine view, when given).
 * - `track_group NAME` (static routes only) must name a track_group read before it, and the
 *   route needs a `dev`; on a virtual route it is an unknown word, which drops the route.
 */
import { parseIp, parsePrefix } from '../util/ip.js';
import { argInt } from './kw.js';
import { lineLoc, type Line } from './line.js';
import type { RouteEntry } from './model.js';
import type { ParseCtx } from './parser.js';
import { readEncap } from './route-encap.js';
import { takeTrackGroup } from './track-group.js';

const ROUTE_TYPES = ['unicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'local', 'broadcast', 'anycast', 'multicast', 'nat'];
const ROUTE_ARG_WORDS = ['or', 'tos', 'dsfield', 'protocol', 'realms', 'mtu', 'advmss', 'rtt', 'rttvar', 'reordering', 'window', 'cwnd', 'initcwnd', 'initrwnd', 'ssthresh', 'rto_min', 'hoplimit', 'features', 'quickack', 'congctl', 'pref', 'fastopen_no_cookie', 'ttl-propagate', 'encap', 'expires', 'nexthop', 'weight', 'nhid', 'lock'];
const ROUTE_FLAG_WORDS = ['onlink', 'pervasive', 'add', 'append', 'no_track'];
/** Route words whose value may follow `lock` (keepalived's alloc_route). */
const ROUTE_LOCK_WORDS = ['mtu', 'advmss', 'rtt', 'rttvar', 'reordering', 'cwnd', 'ssthresh', 'rto_min', 'congctl'];

/**
 * `trackGroups`: for a static route, the track groups read so far (a virtual route has none
 * and cannot name one).
 */
export function parseRouteEntry(ctx: ParseCtx, line: Line, trackGroups?: ReadonlySet<string>): RouteEntry | undefined {
  const w = line.words;
  const r: { -readonly [K in keyof RouteEntry]: RouteEntry[K] } = { to: 'default', family: 'inet', noTrack: false, words: w.slice(), loc: lineLoc(line, 0) };
  let haveTo = false;
  // after `nexthop`, keepalived reads every word as part of the nexthops (their `via` / `dev` are
  // not the route's); a route word after them is "trailing nonsense"
  let inNexthops = false;
  for (let i = 0; i < w.length; i++) {
    const k = w[i]!;
    if (inNexthops && (k === 'via' || k === 'gw' || k === 'dev' || k === 'oif' || k === 'weight' || k === 'onlink')) {
      if (k !== 'onlink') i++;
      continue;
    }
    if (inNexthops && k === 'as') {
      // keepalived stops reading the nexthops here: the route keeps those before this one
      ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', "'as [to]' (nat) not supported", lineLoc(line, i), { row: 'route.nexthop-as' });
      break;
    }
    if (inNexthops && k === 'no_track') {
      ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `Route has trailing nonsense after nexthops - ${k}`, lineLoc(line, i));
      continue;
    }
    const next = (): string | undefined => {
      const v = w[++i];
      if (v === undefined) ctx.report('CONFIG_MISSING', 'GENERAL_ERROR', `route option '${k}' needs a value`, lineLoc(line, i - 1));
      return v;
    };
    const addr = (v: string | undefined) => {
      if (v === undefined) return undefined;
      const a = parseIp(v);
      if (!a) ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `invalid address '${v}' in route`, lineLoc(line, i));
      return a;
    };
    if (k === 'src') {
      const a = addr(next());
      if (a) r.src = a;
    } else if (k === 'via' || k === 'gw') {
      let v = next();
      if (v === 'inet' || v === 'inet6') v = next();
      const a = addr(v);
      if (a) r.via = a;
    } else if (k === 'dev' || k === 'oif') {
      const v = next();
      if (v) r.dev = v;
    } else if (k === 'table') {
      const v = next();
      if (v === undefined) continue;
      // keepalived looks the name up as it reads the route (vrrp_iproute.c, find_rttables_table)
      if (ctx.machine?.rtTableId && ctx.machine.rtTableId(v) === undefined) {
        ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `Routing table ${v} not found for route`, lineLoc(line, i), { row: 'route.table-not-found' });
        return undefined;
      }
      r.table = v;
    } else if (k === 'metric' || k === 'priority' || k === 'preference') {
      const v = argInt(ctx, line, ++i, 0, 0xffffffff);
      if (v !== undefined) r.metric = v;
    } else if (k === 'scope') {
      const v = next();
      if (v) r.scope = v;
    } else if (k === 'no_track') r.noTrack = true;
    else if (k === 'as') {
      // `as [to] ADDR`: keepalived reads it and leaves it out
      ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', '"as to" for MPLS only - ignoring', lineLoc(line, i), { row: 'route.as-ignored' });
      if (w[i + 1] === 'to') i++;
      i++;
    } else if (k === 'vrf') {
      const v = next();
      if (v === undefined) continue;
      const m = ctx.machine;
      if (m?.isVrf && !m.interfaceExists(v)) {
        ctx.report('CONFIG_INTERFACE', 'GENERAL_ERROR', `VRF ${v} not found for route`, lineLoc(line, i), { row: 'route.vrf-not-found' });
        return undefined;
      }
      if (m?.isVrf && !m.isVrf(v)) {
        ctx.report('CONFIG_INTERFACE', 'GENERAL_ERROR', `Route specified VRF ${v} is not a VRF`, lineLoc(line, i), { row: 'route.vrf-not-vrf' });
        return undefined;
      }
    } else if (k === 'track_group' && trackGroups) {
      const at = takeTrackGroup(ctx, line, i, trackGroups, r);
      if (at === undefined) break;
      i = at;
    } else if (ROUTE_FLAG_WORDS.includes(k)) continue;
    else if (ROUTE_ARG_WORDS.includes(k)) {
      if (k === 'nexthop') {
        inNexthops = true;
        continue;
      }
      if (k === 'encap') {
        const { problem, next: after } = readEncap(w, i);
        if (problem?.unsupported) {
          ctx.report('CONFIG_UNSUPPORTED', 'OK', `route '${w.join(' ')}': encap ${problem.message}: this route cannot be installed`, lineLoc(line, problem.at));
        } else if (problem) ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', problem.message, lineLoc(line, problem.at));
        i = after - 1;
        continue;
      }
      if (k === 'or') ctx.report('CONFIG_DEPRECATED', 'GENERAL_ERROR', '"or" for routes is deprecated. Please use "nexthop"', lineLoc(line, i));
      if (ROUTE_LOCK_WORDS.includes(k) && w[i + 1] === 'lock') i++;
      next();
    } else if (ROUTE_TYPES.includes(k) && !haveTo) r.type = k;
    else if (k === 'track_group') {
      // a virtual route: keepalived takes the word for a destination and drops the route
      ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `unknown route keyword ${k}`, lineLoc(line, i), { row: 'route.virtual-track-group' });
      return undefined;
    } else if (k === 'to' || !haveTo) {
      const v = k === 'to' ? next() : k;
      if (v === undefined) continue;
      if (v === 'default') haveTo = true;
      else {
        const p = parsePrefix(v);
        if (!p) {
          ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `invalid route destination '${v}'`, lineLoc(line, i));
          return undefined;
        }
        r.to = p;
        r.family = p.family;
        haveTo = true;
      }
    } else {
      ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `unknown route option '${k}'`, lineLoc(line, i));
    }
  }
  if (r.to === 'default' && r.via) r.family = r.via.family;
  if (r.dev === undefined && !r.noTrack) {
    ctx.report('CONFIG_WARNING', 'GENERAL_ERROR', `cannot track route ${w[0]} with no interface specified, not tracking (add 'dev IF' or 'no_track')`, lineLoc(line, 0));
  }
  if (r.trackGroup !== undefined && r.dev === undefined) {
    ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', 'Static route cannot have track group if no oif specified', lineLoc(line, 0), { row: 'static.route-track-group-no-dev' });
    delete r.trackGroup;
  }
  return r;
}
