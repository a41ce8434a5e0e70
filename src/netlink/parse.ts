/**
 * Kernel link and address messages (as the `netlink` package parses them) -> our LinkInfo,
 * AddrInfo and RtnlEvent. A message missing what we need is reported as malformed, never
 * thrown: the watch counts it and carries on.
 */
import { createRequire } from 'node:module';
import type { rt } from 'netlink';

// the rtnetlink structures only: the package's index also loads nl80211 and WireGuard (megabytes of heap)
const { LinkType } = createRequire(import.meta.url)('netlink/dist/rt/structs.js') as Pick<typeof rt, 'LinkType'>;
import { parseAttrs, readString, readU32 } from './attrs.js';
import {
  AF_INET, AF_INET6, IFLA_INET6_CONF, IFLA_INET_CONF, IFLA_INFO_DATA, IFLA_INFO_KIND, IFLA_MACVLAN_MODE,
  IFLA_VRF_TABLE, RTM_DELADDR, RTM_DELLINK, RTM_NEWADDR, RTM_NEWLINK,
} from './constants.js';
import type { AddrInfo, LinkInfo, RtnlEvent } from './types.js';
import { keep } from '../util/ip.js';

type FlagObject = { readonly [k: string]: unknown; readonly __unknown?: number };

const DEVICE_FLAG_BITS: Readonly<Record<string, number>> = {
  up: 0x1, broadcast: 0x2, debug: 0x4, loopback: 0x8, pointopoint: 0x10, notrailers: 0x20, running: 0x40,
  noarp: 0x80, promisc: 0x100, allmulti: 0x200, master: 0x400, slave: 0x800, multicast: 0x1000,
  portsel: 0x2000, automedia: 0x4000, dynamic: 0x8000, lowerUp: 0x10000, dormant: 0x20000, echo: 0x40000,
};
const ADDRESS_FLAG_BITS: Readonly<Record<string, number>> = {
  secondary: 0x1, nodad: 0x2, optimistic: 0x4, dadfailed: 0x8, homeaddress: 0x10, deprecated: 0x20,
  tentative: 0x40, permanent: 0x80, managetempaddr: 0x100, noprefixroute: 0x200, mcautojoin: 0x400,
  stablePrivacy: 0x800,
};

/** The package's unpacked flag object -> the kernel's bitmask. */
export function flagBits(obj: FlagObject | undefined, bits: Readonly<Record<string, number>>): number {
  if (!obj) return 0;
  let v = obj.__unknown ?? 0;
  for (const [k, bit] of Object.entries(bits)) if (obj[k] === true) v |= bit;
  return v >>> 0;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** `forwarding` of each family from IFLA_AF_SPEC (the first u32 of each devconf array). */
function forwardingOf(afSpec: ReadonlyMap<number, Buffer> | undefined): LinkInfo['forwarding'] {
  if (!afSpec) return undefined;
  const first = (family: number, confType: number): boolean | undefined => {
    const nested = afSpec.get(family);
    const conf = nested ? parseAttrs(nested)?.get(confType) : undefined;
    const v = conf && conf.length >= 4 ? readU32(conf.subarray(0, 4)) : undefined;
    return v === undefined ? undefined : v !== 0;
  };
  const inet = first(AF_INET, IFLA_INET_CONF);
  const inet6 = first(AF_INET6, IFLA_INET6_CONF);
  if (inet === undefined && inet6 === undefined) return undefined;
  return { ...(inet === undefined ? {} : { inet }), ...(inet6 === undefined ? {} : { inet6 }) };
}

/** RTM_NEWLINK / RTM_DELLINK body -> LinkInfo. */
export function linkFromMessage(m: rt.LinkMessage): Parsed<LinkInfo> {
  const { data, attrs } = m;
  if (typeof data.index !== 'number' || data.index <= 0) return { ok: false, reason: 'link without index' };
  if (typeof attrs.ifname !== 'string') return { ok: false, reason: `link ${data.index} without name` };
  const flags = flagBits(data.flags as FlagObject | undefined, DEVICE_FLAG_BITS);
  const link: { -readonly [K in keyof LinkInfo]: LinkInfo[K] } = {
    index: data.index,
    name: attrs.ifname,
    up: (flags & 0x1) !== 0,
    running: (flags & 0x40) !== 0,
    lowerUp: (flags & 0x10000) !== 0,
    mac: attrs.address ? new Uint8Array(attrs.address) : new Uint8Array(0),
    mtu: attrs.mtu ?? 0,
    flags,
  };
  if (attrs.operstate !== undefined) link.operstate = attrs.operstate;
  if (attrs.master !== undefined) link.master = attrs.master;
  const parent = readU32(attrs.link);
  if (parent !== undefined && parent !== 0) link.parentIndex = parent;
  const forwarding = forwardingOf(attrs.afSpec);
  if (forwarding) link.forwarding = forwarding;
  // the package gives ifi_type as the ARPHRD_* name when it knows it
  const hwType = typeof data.type === 'string' ? LinkType[data.type] : data.type;
  if (hwType !== undefined) link.hwType = hwType;
  if (attrs.broadcast) link.broadcast = new Uint8Array(attrs.broadcast);
  if (attrs.linkinfo) {
    const info = parseAttrs(attrs.linkinfo);
    if (!info) return { ok: false, reason: `link ${data.index}: malformed IFLA_LINKINFO` };
    const kind = readString(info.get(IFLA_INFO_KIND));
    if (kind) link.kind = kind;
    const infoData = info.get(IFLA_INFO_DATA);
    if (kind === 'macvlan' && infoData) {
      const mode = readU32(parseAttrs(infoData)?.get(IFLA_MACVLAN_MODE));
      if (mode !== undefined) link.macvlanMode = mode;
    }
    if (kind === 'vrf' && infoData) {
      const table = readU32(parseAttrs(infoData)?.get(IFLA_VRF_TABLE));
      if (table !== undefined) link.vrfTable = table;
    }
  }
  return { ok: true, value: link };
}

/** An address's label (its interface's name, or an alias), one string per label: 50,000 copies of "rs0" were 1.2 MB. */
const LABELS = new Map<string, string>();
const MAX_LABELS = 4096;

function internLabel(label: string): string {
  const seen = LABELS.get(label);
  if (seen !== undefined) return seen;
  if (LABELS.size < MAX_LABELS) LABELS.set(label, label);
  return label;
}

/** RTM_NEWADDR / RTM_DELADDR body -> AddrInfo. */
export function addrFromMessage(m: rt.AddressMessage): Parsed<AddrInfo> {
  const { data, attrs } = m;
  const family = data.family === AF_INET ? 'inet' : data.family === AF_INET6 ? 'inet6' : undefined;
  if (!family) return { ok: false, reason: `address of family ${data.family}` };
  if (typeof data.index !== 'number' || data.index <= 0) return { ok: false, reason: 'address without interface index' };
  const len = family === 'inet' ? 4 : 16;
  const local = attrs.local ?? attrs.address;
  if (!local || local.length !== len) return { ok: false, reason: `address on ${data.index} without a ${len}-byte address` };
  if (typeof data.prefixlen !== 'number' || data.prefixlen > len * 8) return { ok: false, reason: `address on ${data.index} with prefix ${data.prefixlen}` };
  const flags = attrs.flags ? flagBits(attrs.flags as FlagObject, ADDRESS_FLAG_BITS) : flagBits(data.flags as FlagObject | undefined, ADDRESS_FLAG_BITS);
  const a: { -readonly [K in keyof AddrInfo]: AddrInfo[K] } = {
    index: data.index,
    family,
    address: keep(local),
    prefixLen: data.prefixlen,
    scope: data.scope ?? 0,
    flags,
  };
  if (attrs.local && attrs.address && attrs.address.length === len && !attrs.address.equals(attrs.local)) a.peer = keep(attrs.address);
  if (attrs.broadcast && attrs.broadcast.length === len) a.broadcast = keep(attrs.broadcast);
  if (attrs.label !== undefined) a.label = internLabel(attrs.label);
  return { ok: true, value: a };
}

/**
 * A notification (nlmsg type + parsed body) -> an event; `undefined` for message types the
 * watch does not report (routes, neighbours, ...).
 */
export function eventFromMessage(type: number, m: rt.Message): Parsed<RtnlEvent> | undefined {
  if (type === RTM_NEWLINK || type === RTM_DELLINK) {
    if (m.kind !== 'link') return { ok: false, reason: `link notification carrying ${m.kind}` };
    const l = linkFromMessage(m);
    return l.ok ? { ok: true, value: { type: 'link', link: l.value, deleted: type === RTM_DELLINK } } : l;
  }
  if (type === RTM_NEWADDR || type === RTM_DELADDR) {
    if (m.kind !== 'address') return { ok: false, reason: `address notification carrying ${m.kind}` };
    const a = addrFromMessage(m);
    return a.ok ? { ok: true, value: { type: 'addr', addr: a.value, deleted: type === RTM_DELADDR } } : a;
  }
  return undefined;
}
