/**
 * The `nexthop` groups of a multipath route (keepalived 2.2.7 vrrp_iproute.c parse_nexthops)
 * and the RTA_MULTIPATH attribute they become.
 *
 * keepalived reads `nexthop` groups to the end of the words: `via [inet|inet6] ADDR`, `dev`,
 * `weight 1..256`, `onlink`, `realms` and `encap` belong to the group; `as [to] ADDR` is
 * refused ("'as [to]' (nat) not supported") and keepalived stops there, installing the route
 * with the groups before it only; any other word after the groups is "trailing nonsense".
 */
import type { Encap } from '../config/route-encap.js';
import { readEncap } from '../config/route-encap.js';
import { parseIp, type IpAddress } from '../util/ip.js';
import { err, ok, type Result } from '../util/result.js';
import { RTNH_F_ONLINK } from './constants.js';
import { parseRealms, parseUnsigned, type RtNames } from './names.js';
import { attr, attrs as attrStream, u32 } from './attrs.js';
import { encapAttrs } from './route-encap.js';

/** One `nexthop` of a multipath route (an rtnexthop in RTA_MULTIPATH). */
export interface Nexthop {
  readonly via?: IpAddress;
  readonly dev?: string;
  /** 1..256 as written (rtnh_hops is weight - 1) */
  readonly weight?: number;
  readonly onlink: boolean;
  /** RTA_FLOW: from realm << 16 | to realm */
  readonly realms?: number;
  /** `encap ...`: RTA_ENCAP_TYPE / RTA_ENCAP of this nexthop */
  readonly encap?: Encap;
}

/** keepalived's words when a nexthop has `as [to] ADDR`. */
export const NEXTHOP_AS_REFUSED = "'as [to]' (nat) not supported";

/**
 * The `nexthop ...` groups from words[i] on. `warning` says what keepalived leaves out: a
 * group with `as` and every group after it.
 */
export function parseNexthops(words: readonly string[], i: number, names: RtNames): Result<{ nexthops: Nexthop[]; warning?: string }, string> {
  const nexthops: Nexthop[] = [];
  while (i < words.length && words[i] === 'nexthop') {
    i++;
    const nh: { -readonly [K in keyof Nexthop]: Nexthop[K] } = { onlink: false };
    for (; i < words.length; i++) {
      const w = words[i]!;
      if (w === 'via') {
        let v = words[++i];
        let fam: 'inet' | 'inet6' | undefined;
        if (v === 'inet' || v === 'inet6') {
          fam = v;
          v = words[++i];
        }
        const a = v === undefined ? undefined : parseIp(v);
        if (!a || (fam && a.family !== fam)) return err(`invalid nexthop address '${v ?? ''}'`);
        nh.via = a;
      } else if (w === 'dev') {
        const v = words[++i];
        if (v === undefined) return err(`'dev' needs an interface`);
        nh.dev = v;
      } else if (w === 'weight') {
        const v = words[++i];
        const n = v === undefined ? undefined : parseUnsigned(v, 256);
        if (!n) return err(`Invalid weight ${v ?? ''} specified for route`);
        nh.weight = n;
      } else if (w === 'onlink') nh.onlink = true;
      else if (w === 'realms') {
        const v = words[++i];
        const r = v === undefined ? undefined : parseRealms(v, names);
        if (r === undefined) return err(`invalid realms '${v ?? ''}'`);
        nh.realms = r;
      } else if (w === 'encap') {
        const r = readEncap(words, i);
        if (r.problem) return err(r.problem.message);
        nh.encap = r.encap;
        i = r.next - 1;
      } else if (w === 'as') return ok({ nexthops, warning: `${NEXTHOP_AS_REFUSED}: this nexthop and those after it are left out` });
      else break;
    }
    nexthops.push(nh);
  }
  if (i < words.length) return err(`Route has trailing nonsense after nexthops - ${words[i]}`);
  return ok({ nexthops });
}

const RTA_GATEWAY = 5;
const RTA_FLOW = 11;

/** RTA_MULTIPATH: one rtnexthop (len, flags, hops, ifindex) per nexthop, each followed by its RTA_GATEWAY / RTA_FLOW / RTA_ENCAP + RTA_ENCAP_TYPE. */
export function multipath(nexthops: readonly Nexthop[], resolveIf: (name: string) => number | undefined): Buffer {
  return attrStream(...nexthops.map((nh) => {
    const body = attrStream(
      ...(nh.via ? [attr(RTA_GATEWAY, nh.via.bytes)] : []),
      ...(nh.realms !== undefined ? [attr(RTA_FLOW, u32(nh.realms))] : []),
      ...(nh.encap ? [encapAttrs(nh.encap)] : []),
    );
    // struct rtnexthop (little-endian: the x86-64 hosts this runs on)
    const head = new DataView(new ArrayBuffer(8));
    head.setUint16(0, 8 + body.length, true);
    head.setUint8(2, nh.onlink ? RTNH_F_ONLINK : 0);
    head.setUint8(3, nh.weight !== undefined ? nh.weight - 1 : 0);
    head.setInt32(4, nh.dev !== undefined ? resolveIf(nh.dev) ?? 0 : 0, true);
    return Buffer.concat([Buffer.from(head.buffer), body]);
  }));
}
