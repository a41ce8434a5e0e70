/**
 * Entry syntax of value blocks: addresses (`ip addr` words), routes (`ip route` words),
 * rules (`ip rule` words), unicast peers and track references.
 */
import { parseIp, parsePrefix } from '../util/ip.js';
import type { ParseCtx } from './parser.js';
import { lineLoc, type Line } from './line.js';
import type { AddressEntry, RouteEntry, RuleEntry, TrackRef, UnicastPeer } from './model.js';
import { argInt } from './kw.js';
import { setFieldLoc } from './loc.js';
import { readEncap } from './route-encap.js';

const SCOPES = ['site', 'link', 'host', 'nowhere', 'global'];

export function parseAddressEntry(ctx: ParseCtx, line: Line, allowTrackGroup = false): AddressEntry | undefined {
  const w = line.words;
  const address = parsePrefix(w[0]!);
  if (!address) {
    ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `invalid address '${w[0]}'`, lineLoc(line, 0));
    return undefined;
  }
  const e: { -readonly [K in keyof AddressEntry]: AddressEntry[K] } = {
    address,
    noDad: address.family === 'inet6',
    noPrefixRoute: false,
    home: false,
    noTrack: false,
    useVmac: false,
    loc: lineLoc(line, 0),
  };
  for (let i = 1; i < w.length; i++) {
    const k = w[i]!;
    const arg = () => {
      const v = w[i + 1];
      if (v === undefined) ctx.report('CONFIG_MISSING', 'GENERAL_ERROR', `'${k}' needs a value`, lineLoc(line, i));
      i++;
      return v;
    };
    switch (k) {
      case 'dev': {
        const v = arg();
        if (v) {
          e.dev = v;
          setFieldLoc(e, 'dev', lineLoc(line, i));
        }
        break;
      }
      case 'scope': {
        const v = arg();
        if (v === undefined) break;
        if (!SCOPES.includes(v) && !/^[0-9]+$/.test(v)) ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `invalid scope '${v}'`, lineLoc(line, i));
        else e.scope = v;
        break;
      }
      case 'brd':
      case 'broadcast': {
        const v = arg();
        if (v === undefined) break;
        if (v !== '+' && v !== '-' && !parseIp(v)) ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `invalid broadcast '${v}'`, lineLoc(line, i));
        else e.broadcast = v;
        break;
      }
      case 'label': {
        const v = arg();
        if (v === undefined) break;
        if (address.family === 'inet6') ctx.report('CONFIG_CONFLICT', 'GENERAL_ERROR', `cannot specify label for IPv6 addresses (${w[0]}) - ignoring label`, lineLoc(line, i - 1));
        else e.label = v;
        break;
      }
      case 'peer': {
        const v = arg();
        const p = v ? parsePrefix(v) : undefined;
        if (v && !p) ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `invalid peer address '${v}'`, lineLoc(line, i));
        if (p) e.peer = p;
        break;
      }
      case 'preferred_lft': {
        const v = arg();
        if (v === 'forever') e.preferredLft = 'forever';
        else if (v !== undefined && /^[0-9]+$/.test(v)) e.preferredLft = Number(v);
        else if (v !== undefined) ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `invalid preferred_lft '${v}'`, lineLoc(line, i));
        break;
      }
      case 'track_group': {
        const v = arg();
        if (!allowTrackGroup) ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `track_group is only valid for static addresses`, lineLoc(line, i - 1));
        else if (v) e.trackGroup = v;
        break;
      }
      case 'home':
        e.home = true;
        break;
      case '-nodad':
      case 'nodad':
        e.noDad = true;
        break;
      case 'noprefixroute':
        e.noPrefixRoute = true;
        break;
      case 'mngtmpaddr':
      case 'autojoin':
        break;
      case 'no_track':
        e.noTrack = true;
        break;
      case 'use_vmac':
        e.useVmac = true;
        break;
      default:
        ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `unknown address option '${k}'`, lineLoc(line, i));
    }
  }
  return e;
}

const ROUTE_TYPES = ['unicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'local', 'broadcast', 'anycast', 'multicast', 'nat'];
const ROUTE_ARG_WORDS = ['or', 'tos', 'dsfield', 'protocol', 'realms', 'mtu', 'advmss', 'rtt', 'rttvar', 'reordering', 'window', 'cwnd', 'initcwnd', 'initrwnd', 'ssthresh', 'rto_min', 'hoplimit', 'features', 'quickack', 'congctl', 'pref', 'fastopen_no_cookie', 'ttl-propagate', 'encap', 'expires', 'nexthop', 'weight', 'nhid', 'lock'];
const ROUTE_FLAG_WORDS = ['onlink', 'pervasive', 'add', 'append', 'no_track'];
/** Route words whose value may follow `lock` (keepalived's alloc_route). */
const ROUTE_LOCK_WORDS = ['mtu', 'advmss', 'rtt', 'rttvar', 'reordering', 'cwnd', 'ssthresh', 'rto_min', 'congctl'];

export function parseRouteEntry(ctx: ParseCtx, line: Line, trackable = true): RouteEntry | undefined {
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
      if (v) r.table = v;
    } else if (k === 'metric' || k === 'priority' || k === 'preference') {
      const v = argInt(ctx, line, ++i, 0, 0xffffffff);
      if (v !== undefined) r.metric = v;
    } else if (k === 'scope') {
      const v = next();
      if (v) r.scope = v;
    } else if (k === 'no_track') r.noTrack = true;
    else if (ROUTE_FLAG_WORDS.includes(k)) continue;
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
    else if (k === 'to' || !haveTo) {
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
  if (trackable && r.dev === undefined && !r.noTrack) {
    ctx.report('CONFIG_WARNING', 'GENERAL_ERROR', `cannot track route ${w[0]} with no interface specified, not tracking (add 'dev IF' or 'no_track')`, lineLoc(line, 0));
  }
  return r;
}

const RULE_ARG_WORDS = ['tos', 'dsfield', 'priority', 'order', 'realms', 'suppress_prefixlength', 'suppress_ifgroup', 'uidrange', 'ipproto', 'ip_proto', 'sport', 'dport', 'goto', 'nat', 'tun_id', 'protocol', 'lookup'];
const RULE_FLAGS = ['not', 'l3mdev', 'no_track', 'unicast', 'blackhole', 'unreachable', 'prohibit'];

export function parseRuleEntry(ctx: ParseCtx, line: Line): RuleEntry | undefined {
  const w = line.words;
  const r: { -readonly [K in keyof RuleEntry]: RuleEntry[K] } = { family: 'inet', noTrack: false, words: w.slice(), loc: lineLoc(line, 0) };
  for (let i = 0; i < w.length; i++) {
    const k = w[i]!;
    const next = (): string | undefined => {
      const v = w[++i];
      if (v === undefined) ctx.report('CONFIG_MISSING', 'GENERAL_ERROR', `rule option '${k}' needs a value`, lineLoc(line, i - 1));
      return v;
    };
    if (k === 'from' || k === 'to') {
      const v = next();
      if (v === undefined) continue;
      if (v === 'all') r[k] = 'all';
      else {
        const p = parsePrefix(v);
        if (!p) {
          ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `invalid rule address '${v}'`, lineLoc(line, i));
          return undefined;
        }
        r[k] = p;
        r.family = p.family;
      }
    } else if (k === 'table' || k === 'lookup') {
      const v = next();
      if (v) r.table = v;
    } else if (k === 'preference' || k === 'pref' || k === 'priority') {
      const v = argInt(ctx, line, ++i, 0, 0xffffffff);
      if (v !== undefined) r.preference = v;
    } else if (k === 'fwmark') {
      const v = next();
      if (v) r.fwmark = v;
    } else if (k === 'iif') {
      const v = next();
      if (v) r.iif = v;
    } else if (k === 'oif') {
      const v = next();
      if (v) r.oif = v;
    } else if (k === 'no_track') r.noTrack = true;
    else if (k === 'inet6') r.family = 'inet6';
    else if (k === 'inet') r.family = 'inet';
    else if (RULE_FLAGS.includes(k)) continue;
    else if (RULE_ARG_WORDS.includes(k)) next();
    else ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `unknown rule option '${k}'`, lineLoc(line, i));
  }
  return r;
}

export function parseUnicastPeer(ctx: ParseCtx, line: Line): UnicastPeer | undefined {
  const address = parseIp(line.words[0]!);
  if (!address) {
    ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `invalid unicast peer address '${line.words[0]}'`, lineLoc(line, 0));
    return undefined;
  }
  const peer: { -readonly [K in keyof UnicastPeer]: UnicastPeer[K] } = { address, loc: lineLoc(line, 0) };
  for (let i = 1; i < line.words.length; i++) {
    const k = line.words[i];
    if (k === 'min_ttl' || k === 'max_ttl') {
      const v = argInt(ctx, line, ++i, 0, 255);
      if (v !== undefined) peer[k === 'min_ttl' ? 'minTtl' : 'maxTtl'] = v;
    } else ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `unknown unicast_peer option '${k}'`, lineLoc(line, i));
  }
  return peer;
}

/** `NAME [weight W [reverse|noreverse]]` in track_* blocks. */
/**
 * One entry of a track_* block, with keepalived's grammar (vrrp_track.c): `NAME [weight W
 * [reverse]]` (`noreverse` too, except for interfaces). Any other second word, or `weight`
 * without a value, drops the entry with an error; a bad fourth word is an error only.
 */
export function trackRef(min: number, max: number, kind = 'track') {
  return (ctx: ParseCtx, line: Line): TrackRef | undefined => {
    const w = line.words;
    // reverse stays unset unless written: a track_script / track_file / track_process entry then
    // keeps its object's (completion, complete-vrrp.ts resolveTrackRefs)
    const ref: { -readonly [K in keyof TrackRef]: TrackRef[K] } = { name: w[0]!, loc: lineLoc(line, 0) };
    if (w.length < 2) return ref;
    if (w[1] !== 'weight') {
      ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `unknown ${kind} ${w[0]} option ${w[1]} - ignoring`, lineLoc(line, 1));
      return undefined;
    }
    if (w.length === 2) {
      ctx.report('CONFIG_MISSING', 'GENERAL_ERROR', `weight without value specified for ${kind} ${w[0]} - ignoring`, lineLoc(line, 1));
      return undefined;
    }
    const v = argInt(ctx, line, 2, min, max);
    if (v !== undefined) ref.weight = v;
    if (w.length >= 4) {
      if (w[3] === 'reverse') ref.reverse = true;
      else if (w[3] === 'noreverse' && kind !== 'track_interface') ref.reverse = false;
      else ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `unknown ${kind} ${w[0]} weight option ${w[3]} - ignoring`, lineLoc(line, 3));
    }
    return ref;
  };
}
