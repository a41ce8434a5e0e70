/**
 * virtual_ipaddress / static_ipaddress entries -> RTM_NEWADDR / RTM_DELADDR message objects,
 * with keepalived 2.2.7's semantics (vrrp_ipaddress.c netlink_ipaddress):
 *  - the prefix is the entry's (the config model defaults it to /32 or /128); with `peer`, the
 *    peer's prefix length is used and IFA_ADDRESS carries the peer;
 *  - IPv4: IFA_LOCAL, IFA_BROADCAST (`brd ADDR`, or `+`/`-` computed from the prefix when it is
 *    at most /30), IFA_LABEL, the scope; on delete IFA_ADDRESS names the prefix address;
 *  - IPv6: IFA_LOCAL, IFA_F_NODAD unless DAD is asked for (keepalived adds VIPs without DAD),
 *    IFA_CACHEINFO with preferred_lft (default 0, i.e. deprecated, for a /128, so the VIP is
 *    not picked as a source address; forever otherwise) and valid_lft forever; scope and label
 *    are not sent (keepalived drops them for IPv6);
 *  - IFA_FLAGS: nodad, home, noprefixroute.
 */
import type { rt } from 'netlink';
import type { AddressEntry } from '../config/model.js';
import { formatIp, parseIpv4 } from '../util/ip.js';
import { err, ok, type Result } from '../util/result.js';
import {
  AF_INET, AF_INET6, IFA_F_HOMEADDRESS, IFA_F_NODAD, IFA_F_NOPREFIXROUTE, INFINITY_LIFE_TIME,
} from './constants.js';
import { DEFAULT_RT_NAMES, lookupName, type RtNames } from './names.js';

export interface AddressRequest {
  readonly data: rt.Address;
  readonly attrs: rt.AddressAttrs;
  /** Parts of the entry that were not sent, each with the reason (keepalived ignores them too). */
  readonly warnings: readonly string[];
}

/** Effective prefix length: the peer's when there is a peer (keepalived), else the address's. */
export function addressPrefixLen(e: AddressEntry): number {
  return e.peer ? e.peer.prefixLen : e.address.prefixLen;
}

/** `10.0.0.100/32 dev eth0` (the dev is the entry's, else the name given, else `if#N`). */
export function describeAddress(e: AddressEntry, dev?: string): string {
  const peer = e.peer ? ` peer ${formatIp(e.peer)}` : '';
  const d = e.dev ?? dev;
  return `${formatIp(e.address)}/${addressPrefixLen(e)}${peer}${d ? ` dev ${d}` : ''}`;
}

/** The IFA_F_* flags an add request carries for this entry. */
export function addressFlags(e: AddressEntry): number {
  let f = 0;
  if (e.address.family === 'inet6' && e.noDad) f |= IFA_F_NODAD;
  if (e.home) f |= IFA_F_HOMEADDRESS;
  if (e.noPrefixRoute) f |= IFA_F_NOPREFIXROUTE;
  return f;
}

/** IPv4 broadcast for `brd ADDR|+|-`; undefined with a reason when keepalived would not set one. */
function broadcastOf(e: AddressEntry, prefixLen: number): { brd?: Uint8Array; warning?: string } {
  const b = e.broadcast;
  if (b === undefined) return {};
  if (e.peer) return { warning: `broadcast ${b} ignored: an address with a peer has no broadcast` };
  if (b !== '+' && b !== '-') {
    const v4 = parseIpv4(b);
    return v4 ? { brd: v4 } : { warning: `broadcast ${b} ignored: not an IPv4 address` };
  }
  if (prefixLen > 30) return { warning: `broadcast ${b} ignored: prefix /${prefixLen} too long for a broadcast` };
  const base = e.address.bytes;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const bits = Math.max(0, Math.min(8, prefixLen - 8 * i));
    const mask = (0xff << (8 - bits)) & 0xff;
    out[i] = b === '+' ? (base[i]! & mask) | (~mask & 0xff) : base[i]! & mask;
  }
  return { brd: out };
}

/**
 * The message for adding (`op: 'add'`) or deleting an address on interface `ifindex`.
 * Errors (an entry the kernel cannot take as written) come back as a reason.
 */
export function addressRequest(e: AddressEntry, ifindex: number, op: 'add' | 'delete', names: RtNames = DEFAULT_RT_NAMES): Result<AddressRequest, string> {
  const v6 = e.address.family === 'inet6';
  const prefixLen = addressPrefixLen(e);
  const warnings: string[] = [];
  if (e.peer && e.peer.family !== e.address.family) return err(`peer ${formatIp(e.peer)} is not of the address's family`);
  const local = Buffer.from(e.address.bytes);
  const data: rt.Address = { family: v6 ? AF_INET6 : AF_INET, prefixlen: prefixLen, index: ifindex };
  const attrs: rt.AddressAttrs = { local };
  if (e.peer) attrs.address = Buffer.from(e.peer.bytes);
  else if (!v6 && op === 'delete') attrs.address = local;

  if (v6) {
    if (e.broadcast !== undefined) return err(`broadcast ${e.broadcast} on an IPv6 address`);
    if (e.scope !== undefined) warnings.push(`scope ${e.scope} ignored for an IPv6 address`);
    if (e.label !== undefined) warnings.push(`label ${e.label} ignored for an IPv6 address`);
  } else if (e.scope !== undefined) {
    const scope = lookupName(names.scopes, e.scope, 255);
    if (scope === undefined) return err(`unknown scope '${e.scope}'`);
    data.scope = scope;
  }
  if (op === 'delete') return ok({ data, attrs, warnings });

  const flags = addressFlags(e);
  // Through the u32 IFA_FLAGS attribute only: ifa_flags is a u8 and cannot hold noprefixroute.
  if (flags) attrs.flags = { __unknown: flags };
  if (!v6) {
    const b = broadcastOf(e, prefixLen);
    if (b.brd) attrs.broadcast = Buffer.from(b.brd);
    if (b.warning) warnings.push(b.warning);
    if (e.label !== undefined) attrs.label = e.label;
  } else {
    const preferred = e.preferredLft === 'forever' ? INFINITY_LIFE_TIME : e.preferredLft ?? (prefixLen === 128 ? 0 : INFINITY_LIFE_TIME);
    if (preferred !== INFINITY_LIFE_TIME) attrs.cacheInfo = { ifaPrefered: preferred, ifaValid: INFINITY_LIFE_TIME };
  }
  if (!v6 && e.preferredLft !== undefined) warnings.push(`preferred_lft ignored for an IPv4 address`);
  return ok({ data, attrs, warnings });
}
