/**
 * Entry syntax of value blocks: addresses (`ip addr` words), unicast peers and track
 * references. Routes and rules: ./route-entry.ts, ./rule-entry.ts.
 */
import { parseIp, parsePrefix, parseSockaddr } from '../util/ip.js';
import type { ParseCtx } from './parser.js';
import { lineLoc, type Line } from './line.js';
import type { AddressEntry, TrackRef, UnicastPeer } from './model.js';
import { argInt } from './kw.js';
import { setFieldLoc } from './loc.js';
import { readTrackGroup } from './track-group.js';

const SCOPES = ['site', 'link', 'host', 'nowhere', 'global'];

/** `trackGroups`: for a static address, the track groups read so far (see ./track-group.ts). */
export function parseAddressEntry(ctx: ParseCtx, line: Line, trackGroups?: ReadonlySet<string>): AddressEntry | undefined {
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
        if (e.dev !== undefined && w[i + 1] !== undefined) {
          // row: vrrp.vip-dev-twice (vrrp_ipaddress.c parse_ipaddress: the address is dropped)
          ctx.report('CONFIG_DUPLICATE', 'GENERAL_ERROR', `Cannot specify ipaddress device more than once for ${w[0]}`, lineLoc(line, i), { row: 'vrrp.vip-dev-twice' });
          return undefined;
        }
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
        if (!trackGroups) {
          // keepalived: an unknown word of a virtual address (and so is the group's name after it)
          ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `Unknown configuration entry 'track_group' for ip address - ignoring`, lineLoc(line, i));
          break;
        }
        if (w[i + 1] === undefined) {
          arg();
          break;
        }
        const t = readTrackGroup(ctx, line, i, trackGroups, e.trackGroup);
        if (t.stop) i = w.length;
        else if (t.group !== undefined) e.trackGroup = t.group;
        i++;
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

export function parseUnicastPeer(ctx: ParseCtx, line: Line): UnicastPeer | undefined {
  const address = parseSockaddr(line.words[0]!);
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
    const v = argInt(ctx, line, 2, min, max, 10, true);
    if (v !== undefined) ref.weight = v;
    if (w.length >= 4) {
      if (w[3] === 'reverse') ref.reverse = true;
      else if (w[3] === 'noreverse' && kind !== 'track_interface') ref.reverse = false;
      else ctx.report('CONFIG_VALUE', 'GENERAL_ERROR', `unknown ${kind} ${w[0]} weight option ${w[3]} - ignoring`, lineLoc(line, 3));
    }
    return ref;
  };
}
